package cabinet

import (
	"testing"
	"time"
)

// FuzzParseDate: any input is a date at midnight UTC that prints back to itself, or an Invalid
// error; never a panic.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"", "2026-10-20", "20.10.2026", "1.2.2026", "31.02.2026", "2026-13-01", " 20.10.2026 ", "20/10/2026", "0000-01-01"} {
		f.Add(s)
	}
	today := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate(s, today)
		if err != nil {
			return
		}
		if d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 || d.Location() != time.UTC {
			t.Fatalf("parseDate(%q) = %v: not a date", s, d)
		}
		back, err := parseDate(d.Format("2006-01-02"), today)
		if err != nil || !back.Equal(d) {
			t.Fatalf("parseDate(%q) = %v does not round-trip: %v, %v", s, d, back, err)
		}
	})
}
