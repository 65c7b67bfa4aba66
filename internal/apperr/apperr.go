// Package apperr defines the small closed set of error kinds zhkhgate uses at
// its edges. Code deep inside wraps errors with %w and the operation; only the
// HTTP edge (status codes) and the job edge (cancel, snooze, retry) look at the
// kind, each in exactly one place.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds. The zero value, Internal, is anything unclassified.
const (
	Internal    Kind = iota // a bug or an unexpected failure; retry may help
	Invalid                 // the input is wrong; retrying the same input never helps
	NotFound                // the thing named does not exist
	Conflict                // the thing exists already or changed under us
	Unavailable             // an outside system or resource is down; retry later
	Permission              // the actor may not do this
	NotReady                // the result is not ready yet; ask again later
)

var kindNames = [...]string{"internal", "invalid", "not found", "conflict", "unavailable", "permission", "not ready"}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is an error with a kind and the operation that failed. Message is
// safe to show to users; Err carries the detail for logs.
type Error struct {
	Kind    Kind
	Op      string
	Message string
	Err     error
	// RetryAfter suggests when to ask again for NotReady and Unavailable errors; zero means the caller decides.
	RetryAfter time.Duration
}

// Error renders "op: message: cause".
func (e *Error) Error() string {
	s := e.Op
	add := func(part string) {
		if part == "" {
			return
		}
		if s != "" {
			s += ": "
		}
		s += part
	}
	add(e.Message)
	if e.Err != nil {
		add(e.Err.Error())
	}
	if s == "" {
		s = e.Kind.String()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error of kind k for operation op with a user-facing message.
func E(k Kind, op, message string) *Error { return &Error{Kind: k, Op: op, Message: message} }

// Wrap builds an *Error of kind k for operation op around err.
func Wrap(k Kind, op string, err error) *Error { return &Error{Kind: k, Op: op, Err: err} }

// Invalidf is shorthand for an Invalid error with a formatted message.
func Invalidf(op, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Op: op, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the outermost *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// RetryAfterOf returns the RetryAfter hint of the outermost *Error in err's chain.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// HTTPStatus maps an error to the HTTP status the web edge answers with.
func HTTPStatus(err error) int {
	switch KindOf(err) {
	case Invalid:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Unavailable:
		return http.StatusServiceUnavailable
	case Permission:
		return http.StatusForbidden
	case NotReady:
		return http.StatusAccepted
	default:
		return http.StatusInternalServerError
	}
}

// UserMessage returns the text safe to show a user: the message of a
// classified error, or a generic sentence for internal ones.
func UserMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal && e.Message != "" {
		return e.Message
	}
	if KindOf(err) == Internal {
		return "internal error"
	}
	return err.Error()
}
