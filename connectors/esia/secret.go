package esia

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TimestampLayout is ESIA's request timestamp format ("yyyy.MM.dd HH:mm:ss Z").
const TimestampLayout = "2006.01.02 15:04:05 -0700"

// Signer makes the raw GOST R 34.10-2012 signature (s‖r, OpenSSL byte order) of msg with the
// information system's key. A gost.Signer satisfies it.
type Signer interface {
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// CMSSigner makes a detached CMS SignedData (DER) over msg; needed only for the legacy flow.
type CMSSigner interface {
	SignCMS(ctx context.Context, msg []byte) ([]byte, error)
}

// SecretParams are the values the client secret covers. Code is empty at the authorization
// endpoint and for a refresh.
type SecretParams struct {
	ClientID    string
	Scope       string
	ScopeOrg    string
	Timestamp   string
	State       string
	RedirectURI string
	Code        string
}

// Message returns the string ESIA's v2 endpoints expect to be signed:
// client_id + scope + scope_org + timestamp + state + redirect_uri (+ code).
func (p SecretParams) Message() string {
	return p.ClientID + p.Scope + p.ScopeOrg + p.Timestamp + p.State + p.RedirectURI + p.Code
}

// LegacyMessage returns the string the legacy /ac and /te endpoints expect to be signed:
// scope + timestamp + client_id + state.
func (p SecretParams) LegacyMessage() string {
	return p.Scope + p.Timestamp + p.ClientID + p.State
}

// EncodeSecret encodes a signature the way ESIA wants it in client_secret: base64url, no padding.
func EncodeSecret(sig []byte) string { return base64.RawURLEncoding.EncodeToString(sig) }

// DecodeSecret accepts base64url with or without padding (both appear in the wild), in the
// canonical form only (unused trailing bits zero).
func DecodeSecret(s string) ([]byte, error) {
	// encoding/base64 skips CR and LF; a secret is one token, so refuse them.
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("client_secret contains a line break")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(trimPadding(s))
	if err != nil {
		return nil, fmt.Errorf("client_secret is not base64url: %w", err)
	}
	return b, nil
}

func trimPadding(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// FormatTimestamp renders t in ESIA's timestamp format.
func FormatTimestamp(t time.Time) string { return t.Format(TimestampLayout) }

// ParseTimestamp parses ESIA's timestamp format.
func ParseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(TimestampLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not in format %q: %w", s, TimestampLayout, err)
	}
	return t, nil
}

// NewState returns a fresh random state value (UUID v4), as ESIA requires.
func NewState() string { return uuid.NewString() }

// ValidState reports whether s is a UUID, the only state form ESIA accepts.
func ValidState(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && len(s) == 36 && u.String() == lower(s)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
