package password

import (
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		pw   string
		ids  []string
		want string // part of the message, "" for accepted
	}{
		{"12345678", nil, "распространённых"},
		{"aaaaaaaa", nil, "простой"},
		{"password", nil, "распространённых"},
		{"qwertyui", nil, "распространённых"},
		{"abcdefgh", nil, "простой"},
		{"23456789", nil, "простой"},
		{"98765432", nil, "простой"},
		{"zyxwvuts", nil, "простой"},
		{"йцукенгш", nil, "простой"},
		{"абвгдежз", nil, "простой"},
		{"12121212", nil, "простой"},
		{"abcabcab", nil, "простой"},
		{"11112222", nil, "распространённых"}, {"11113333", nil, "простой"},
		{"Я-Я-Я-Я-", nil, "простой"},
		{"short", nil, "не короче 8"},
		{strings.Repeat("ж", 37), nil, "слишком длинный"},
		{"ivan.petrov2026", []string{"ivan.petrov@example.org"}, "логин"},
		{"Operator1-xyz", []string{"operator1"}, "логин"},
		{"correct horse", []string{"admin"}, ""},
		{"Right-pass-2026", []string{"brute@example.org"}, ""},
		{"зелёный слон 7", nil, ""},
	} {
		err := Check(c.pw, c.ids...)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want accepted", c.pw, err)
		case c.want != "" && (err == nil || !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.UserMessage(err), c.want)):
			t.Errorf("Check(%q) = %v, want Invalid with %q", c.pw, err, c.want)
		}
	}
	if len(common) < 4000 {
		t.Errorf("common list holds %d passwords", len(common))
	}
}

// FuzzCheck: Check never panics, and what it accepts is within the bounds and not common.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"12345678", "correct horse", "йцукенгш", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "aaaaaaab"} {
		f.Add(s, "admin")
	}
	f.Fuzz(func(t *testing.T, pw, login string) {
		if Check(pw, login) != nil {
			return
		}
		if len(pw) > MaxBytes || common[strings.ToLower(pw)] || trivial(strings.ToLower(pw)) {
			t.Fatalf("accepted %q", pw)
		}
	})
}
