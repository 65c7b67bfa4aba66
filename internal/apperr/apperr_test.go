package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestKindMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		kind   Kind
		status int
		user   string
	}{
		{"invalid wrapped", fmt.Errorf("import: %w", Invalidf("parse", "line %d: bad amount", 3)), Invalid, http.StatusBadRequest, "line 3: bad amount"},
		{"not found", E(NotFound, "account", "account 001 not found"), NotFound, http.StatusNotFound, "account 001 not found"},
		{"conflict", E(Conflict, "x", "dup"), Conflict, http.StatusConflict, "dup"},
		{"unavailable", Wrap(Unavailable, "gis send", errors.New("502")), Unavailable, http.StatusServiceUnavailable, "gis send: 502"},
		{"permission", E(Permission, "x", "no"), Permission, http.StatusForbidden, "no"},
		{"not ready", E(NotReady, "x", "later"), NotReady, http.StatusAccepted, "later"},
		{"plain", errors.New("boom"), Internal, http.StatusInternalServerError, "internal error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := KindOf(tc.err); got != tc.kind {
				t.Errorf("KindOf = %v, want %v", got, tc.kind)
			}
			if got := HTTPStatus(tc.err); got != tc.status {
				t.Errorf("HTTPStatus = %d, want %d", got, tc.status)
			}
			if got := UserMessage(tc.err); got != tc.user {
				t.Errorf("UserMessage = %q, want %q", got, tc.user)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	err := Wrap(Unavailable, "open database", errors.New("connection refused"))
	if got, want := err.Error(), "open database: connection refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(fmt.Errorf("outer: %w", err), err.Err) {
		t.Error("errors.Is does not reach the cause")
	}
}
