package billing

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// checks are the few assertions these tests use, without a test library.
type checks struct{}

var require checks

func fail(t testing.TB, msg []any, format string, args ...any) {
	t.Helper()
	t.Fatalf(format+" %s", append(args, fmt.Sprint(msg...))...)
}

func (checks) NoError(t testing.TB, err error, msg ...any) {
	t.Helper()
	if err != nil {
		fail(t, msg, "unexpected error: %v", err)
	}
}

func (checks) Error(t testing.TB, err error, msg ...any) {
	t.Helper()
	if err == nil {
		fail(t, msg, "expected an error")
	}
}

func (checks) ErrorAs(t testing.TB, err error, target any, msg ...any) {
	t.Helper()
	if !errors.As(err, target) {
		fail(t, msg, "error %v is not a %T", err, target)
	}
}

func (checks) Equal(t testing.TB, want, got any, msg ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		fail(t, msg, "\nwant %#v\ngot  %#v", want, got)
	}
}

func (checks) Len(t testing.TB, v any, n int, msg ...any) {
	t.Helper()
	if l := reflect.ValueOf(v).Len(); l != n {
		fail(t, msg, "want length %d, got %d: %#v", n, l, v)
	}
}

func (checks) Empty(t testing.TB, v any, msg ...any) {
	t.Helper()
	if l := reflect.ValueOf(v).Len(); l != 0 {
		fail(t, msg, "want empty, got %#v", v)
	}
}

func (checks) Nil(t testing.TB, v any, msg ...any) {
	t.Helper()
	if v != nil && !reflect.ValueOf(v).IsNil() {
		fail(t, msg, "want nil, got %#v", v)
	}
}

func (checks) Contains(t testing.TB, s, sub string, msg ...any) {
	t.Helper()
	if !strings.Contains(s, sub) {
		fail(t, msg, "%q does not contain %q", s, sub)
	}
}

func (checks) True(t testing.TB, b bool, msg ...any) {
	t.Helper()
	if !b {
		fail(t, msg, "want true")
	}
}

func (checks) False(t testing.TB, b bool, msg ...any) {
	t.Helper()
	if b {
		fail(t, msg, "want false")
	}
}
