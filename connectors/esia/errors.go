package esia

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Known ESIA error codes (from the ESIA methodological recommendations).
const (
	// CodeMissingParam is "the request doesn't contain the mandatory parameter".
	CodeMissingParam = "ESIA-007014"
	// CodeSecretWrong is "client_secret does not match the certificate, the system or the
	// certificate is not active" (OAuthErrorEnum.clientSecretWrong).
	CodeSecretWrong = "ESIA-007053"
	// CodeGrantInvalid is "the provided authorization grant or refresh token is invalid,
	// expired, revoked, does not match the redirection URI ... or was issued to another client"
	// (error invalid_grant at the token endpoint).
	CodeGrantInvalid = "ESIA-007011"
)

// Error is an error answered by ESIA, either as an error redirect to redirect_uri or as an
// error body from the token endpoint.
type Error struct {
	// Err is the OAuth error ("access_denied", "invalid_grant", ...).
	Err string
	// Code is the ESIA-NNNNNN code from error_description, when present.
	Code string
	// Description is the full error_description.
	Description string
}

// Error renders "esia: <oauth error>: <description>".
func (e *Error) Error() string {
	return fmt.Sprintf("esia: %s: %s", e.Err, e.Description)
}

// newError builds an *Error, extracting the ESIA-NNNNNN code from description.
func newError(oauthErr, description string) *Error {
	e := &Error{Err: oauthErr, Description: description}
	if strings.HasPrefix(description, "ESIA-") {
		code, _, _ := strings.Cut(description, ":")
		e.Code = strings.TrimSpace(code)
	}
	return e
}

// ErrStateMismatch is returned when the state coming back does not match the one sent.
var ErrStateMismatch = errors.New("esia: state does not match the login started in this session")

// Callback is what ESIA sent back to redirect_uri.
type Callback struct {
	Code  string
	State string
}

// ParseCallback reads the query ESIA redirected the browser with and checks it against the
// state stored in the browser's session (wantState). It returns an *Error for ESIA error
// redirects and ErrStateMismatch for a missing or foreign state. The caller must forget
// wantState afterwards whatever the result, so a state is never accepted twice.
func ParseCallback(q url.Values, wantState string) (Callback, error) {
	state := q.Get("state")
	if e := q.Get("error"); e != "" {
		// An error redirect is reported even with a wrong state; it grants nothing.
		return Callback{State: state}, newError(e, q.Get("error_description"))
	}
	if wantState == "" || state == "" || !constantTimeEqual(state, wantState) {
		return Callback{State: state}, ErrStateMismatch
	}
	code := q.Get("code")
	if code == "" {
		return Callback{State: state}, &Error{Err: "invalid_request", Description: "callback has no code"}
	}
	return Callback{Code: code, State: state}, nil
}
