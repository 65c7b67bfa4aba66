package cabinet

import (
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/model"
)

func TestParseRubles(t *testing.T) {
	for in, want := range map[string]int64{
		"1234,56": 123456, "1 234,56": 123456, "1\u00a0234.5": 123450, "1234": 123400, "0,07": 7, "12 ₽": 1200, "99,9 руб.": 9990,
	} {
		if got, err := parseRubles(in); err != nil || got != want {
			t.Errorf("parseRubles(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", ",", "1,234", "1.2.3", "-5", "1e3", "12345678901234", "1; DROP TABLE x", "0x10"} {
		if got, err := parseRubles(in); err == nil {
			t.Errorf("parseRubles(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseReading(t *testing.T) {
	for in, want := range map[string]model.Decimal{"123": {Units: 123}, "123,45": {Units: 12345, Scale: 2}, " 0.0001 ": {Units: 1, Scale: 4}} {
		if got, err := parseReading(in); err != nil || got != want {
			t.Errorf("parseReading(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-1", "1.23456", "123456789012", "1,2,3", "abc", ".5"} {
		if _, err := parseReading(in); err == nil {
			t.Errorf("parseReading(%q) accepted", in)
		}
	}
	if cmpDecimal(model.Decimal{Units: 1230, Scale: 1}, model.Decimal{Units: 123}) != 0 ||
		cmpDecimal(model.Decimal{Units: 1231, Scale: 1}, model.Decimal{Units: 123}) != 1 {
		t.Error("cmpDecimal")
	}
	if wholePart(model.Decimal{Units: 12399, Scale: 2}) != 123 {
		t.Error("wholePart")
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, in := range []string{"+7 900 123-45-67", "8 (900) 123-45-67", "9001234567", "+79001234567"} {
		if got, err := normalizePhone(in); err != nil || got != "+79001234567" {
			t.Errorf("normalizePhone(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "123", "+1 900 123 45 67 8", "<script>", "+7 900 123-45-67 доб. 1"} {
		if _, err := normalizePhone(in); err == nil {
			t.Errorf("normalizePhone(%q) accepted", in)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, err := normalizeEmail(" Ivanov@Example.org "); err != nil || got != "ivanov@example.org" {
		t.Errorf("normalizeEmail = %q, %v", got, err)
	}
	for _, in := range []string{"", "ivanov", "Ivan <i@example.org>", "i@example.org\r\nBcc: x@y", strings.Repeat("a", 250) + "@x.org"} {
		if _, err := normalizeEmail(in); err == nil {
			t.Errorf("normalizeEmail(%q) accepted", in)
		}
	}
}

// The parsers below read what residents type; whatever comes, they must not panic, and what
// they accept must be well-formed.

func FuzzParseRubles(f *testing.F) {
	for _, s := range []string{"1 234,56", "0,07", "12 ₽", ",", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := parseRubles(s); err == nil && k < 0 {
			t.Fatalf("parseRubles(%q) = %d", s, k)
		}
	})
}

func FuzzParseReading(f *testing.F) {
	for _, s := range []string{"123,45", "0.0001", "-1", "99999999999.9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseReading(s); err == nil && (d.Units < 0 || d.Scale > 4) {
			t.Fatalf("parseReading(%q) = %+v", s, d)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+7 900 123-45-67", "8(900)1234567", "٣٣٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := normalizePhone(s); err == nil && (len(p) != 12 || !strings.HasPrefix(p, "+7")) {
			t.Fatalf("normalizePhone(%q) = %q", s, p)
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.c", "Ivan <i@example.org>", "\"a b\"@example.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := normalizeEmail(s); err == nil && (strings.ContainsAny(e, "\r\n<>") || !strings.Contains(e, "@")) {
			t.Fatalf("normalizeEmail(%q) = %q", s, e)
		}
	})
}
