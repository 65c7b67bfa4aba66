package bank

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Layout is a date, time or period pattern written the way operators write
// it: DD, MM, YYYY, YY for dates, hh, mm, ss for times ("DD-MM-YYYY",
// "hh-mm-ss", "MMYY"). Any other character must appear literally.
type Layout struct {
	human string
	goFmt string
}

// ParseLayout checks a human layout and converts it for time.Parse.
func ParseLayout(human string) (Layout, error) {
	if human == "" {
		return Layout{}, errors.New("empty layout")
	}
	var b strings.Builder
	for s := human; s != ""; {
		switch {
		case strings.HasPrefix(s, "YYYY"):
			b.WriteString("2006")
			s = s[4:]
		case strings.HasPrefix(s, "YY"):
			b.WriteString("06")
			s = s[2:]
		case strings.HasPrefix(s, "MM"):
			b.WriteString("01")
			s = s[2:]
		case strings.HasPrefix(s, "DD"):
			b.WriteString("02")
			s = s[2:]
		case strings.HasPrefix(s, "hh"):
			b.WriteString("15")
			s = s[2:]
		case strings.HasPrefix(s, "mm"):
			b.WriteString("04")
			s = s[2:]
		case strings.HasPrefix(s, "ss"):
			b.WriteString("05")
			s = s[2:]
		default:
			c := s[0]
			if (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
				return Layout{}, fmt.Errorf("layout %q: unexpected %q (use DD, MM, YYYY, YY, hh, mm, ss and separators)", human, c)
			}
			b.WriteByte(c)
			s = s[1:]
		}
	}
	return Layout{human: human, goFmt: b.String()}, nil
}

// mustLayout is for layouts written in this package's code.
func mustLayout(h string) Layout {
	l, err := ParseLayout(h)
	if err != nil {
		panic(err)
	}
	return l
}

// String returns the layout as the operator wrote it.
func (l Layout) String() string { return l.human }

// IsZero reports whether the layout is unset.
func (l Layout) IsZero() bool { return l.goFmt == "" }

// Len is the length of a value in this layout.
func (l Layout) Len() int { return len(l.human) }

// Parse reads v in this layout as a UTC civil date/time. Its error says what
// is wrong in words an operator understands.
func (l Layout) Parse(v string) (time.Time, error) {
	if len(v) != len(l.human) {
		return time.Time{}, fmt.Errorf("want %s", l.human)
	}
	t, err := time.Parse(l.goFmt, v)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return time.Time{}, fmt.Errorf("%s (want %s)", strings.TrimPrefix(pe.Message, ": "), l.human)
		}
		return time.Time{}, fmt.Errorf("want %s", l.human)
	}
	return t, nil
}

// Format prints t in this layout.
func (l Layout) Format(t time.Time) string { return t.Format(l.goFmt) }

// MarshalText writes the human form.
func (l Layout) MarshalText() ([]byte, error) { return []byte(l.human), nil }

// UnmarshalText reads the human form.
func (l *Layout) UnmarshalText(b []byte) error {
	v, err := ParseLayout(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
