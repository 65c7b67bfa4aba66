package bank

import (
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		spaces  bool
		want    int64
		wantErr string
	}{
		{in: "4512,37", want: 451237},
		{in: "4512.37", want: 451237},
		{in: "0,05", want: 5},
		{in: "12,5", want: 1250},
		{in: "700", want: 70000},
		{in: " 45,12 ", want: 4512},
		{in: "+1,00", want: 100},
		{in: "0,00", want: 0},
		{in: "000123,40", want: 12340},
		{in: "999999999999999,99", want: 99999999999999999},
		{in: "4 512,37", wantErr: "contains a space"},
		{in: "4\u00a0512,37", wantErr: "contains a space"},
		{in: "4 512,37", spaces: true, want: 451237},
		{in: "1 000 000,00", spaces: true, want: 100000000},
		{in: "4512,370", wantErr: "more than two decimals"},
		{in: "4512.375", wantErr: "more than two decimals"},
		{in: "-4512,37", wantErr: "negative"},
		{in: "", wantErr: "empty"},
		{in: "  ", wantErr: "empty"},
		{in: "12,", wantErr: "no digits after"},
		{in: ",12", wantErr: "no digits before"},
		{in: "1,2,3", wantErr: "more than one decimal separator"},
		{in: "1.234,56", wantErr: "more than one decimal separator"},
		{in: "12a", wantErr: "not a number"},
		{in: "1e5", wantErr: "not a number"},
		{in: "１２", wantErr: "not a number"},
		{in: "9999999999999999,00", wantErr: "too large"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in, AmountSyntax{ThousandsSpaces: tt.spaces})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseAmount(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for kop, want := range map[int64]string{0: "0,00", 5: "0,05", 451237: "4512,37", -1250: "-12,50", 100: "1,00"} {
		if got := FormatAmount(kop); got != want {
			t.Errorf("FormatAmount(%d) = %q, want %q", kop, got, want)
		}
		back, err := ParseAmount(strings.TrimPrefix(want, "-"), AmountSyntax{})
		if err != nil || (kop >= 0 && back != kop) || (kop < 0 && back != -kop) {
			t.Errorf("round trip %d → %q → %d, %v", kop, want, back, err)
		}
	}
}

func TestParseLayout(t *testing.T) {
	tests := []struct {
		layout, in string
		want       string // RFC 3339 date-time, or "" for an error
		wantErr    string
	}{
		{"DD-MM-YYYY", "15-03-2025", "2025-03-15T00:00:00Z", ""},
		{"DD-MM-YYYY", "31-02-2025", "", "day out of range"},
		{"DD-MM-YYYY", "15.03.2025", "", "want DD-MM-YYYY"},
		{"DD-MM-YYYY", "5-3-2025", "", "want DD-MM-YYYY"},
		{"MMYY", "0225", "2025-02-01T00:00:00Z", ""},
		{"MMYY", "1325", "", "month out of range"},
		{"MMYY", "0025", "", "month out of range"},
		{"hh-mm-ss", "09-41-17", "0000-01-01T09:41:17Z", ""},
		{"hh-mm-ss", "25-00-00", "", "hour out of range"},
		{"DDMMYY", "150325", "2025-03-15T00:00:00Z", ""},
		{"MM.YYYY", "02.2025", "2025-02-01T00:00:00Z", ""},
	}
	for _, tt := range tests {
		l, err := ParseLayout(tt.layout)
		if err != nil {
			t.Fatalf("ParseLayout(%q): %v", tt.layout, err)
		}
		got, err := l.Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s.Parse(%q) = %v, %v; want error %q", tt.layout, tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Format("2006-01-02T15:04:05Z07:00") != tt.want {
			t.Errorf("%s.Parse(%q) = %v, %v; want %s", tt.layout, tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "DD-MM-YYYYX", "Q"} {
		if _, err := ParseLayout(bad); err == nil {
			t.Errorf("ParseLayout(%q) succeeded", bad)
		}
	}
}

func TestParseReading(t *testing.T) {
	for in, want := range map[string]string{"345.120": "345.120", "112,004": "112.004", "7": "7", "0.0001": "0.0001",
		"-1": "", "1.23456": "", "abc": "", "1.": "", ".5": "", "123456789012": ""} {
		got, err := ParseReading(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("ParseReading(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
