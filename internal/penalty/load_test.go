package penalty

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

func TestDefaultTable(t *testing.T) {
	t.Parallel()
	r := Default()
	if got := r.Categories(); len(got) != 2 || got[0] != CapitalRepair || got[1] != Housing {
		t.Errorf("categories %v", got)
	}
	if r.KeyRatesKnownUntil.Format(time.DateOnly) != "2026-12-31" || r.lcm != 3900 {
		t.Errorf("known until %v, lcm %d", r.KeyRatesKnownUntil, r.lcm)
	}
}

// Each case edits the default table's text once and expects the error to name the line and the field.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	lineOf := func(s string) int {
		i := bytes.Index(defaultJSON, []byte(s))
		if i < 0 {
			t.Fatalf("default rules.json has no %q", s)
		}
		return lineAt(defaultJSON, int64(i))
	}
	tests := []struct {
		name, old, new string
		line           int // 0: the line of old
		want           string
	}{
		{"bad percent", `{"from": "2025-12-22", "percent": "16.00"}`, `{"from": "2025-12-22", "percent": "16,00"}`, 0, `key_rates[49].percent: "16,00": want a percent with a dot`},
		{"too many decimals", `{"from": "2025-12-22", "percent": "16.00"}`, `{"from": "2025-12-22", "percent": "16.00001"}`, 0, `key_rates[49].percent`},
		{"zero rate", `"percent": "16.00"`, `"percent": "0"`, 0, `want a percent above 0`},
		{"rate over 100", `"percent": "16.00"`, `"percent": "101"`, 0, `at most 100`},
		{"dates out of order", `{"from": "2025-12-22"`, `{"from": "2025-10-01"`, 0, `key_rates[49].from: 2025-10-01 is not after`},
		{"bad date", `{"from": "2025-12-22"`, `{"from": "22.12.2025"`, 0, `key_rates[49].from: "22.12.2025": want a date YYYY-MM-DD`},
		{"known until before the last rate", `"key_rates_known_until": "2026-12-31"`, `"key_rates_known_until": "2025-01-01"`, 0, `key_rates_known_until: 2025-01-01 is before`},
		{"unknown mode", `"mode": "fixed"`, `"mode": "fixd"`, 0, `regimes[1].mode: "fixd"`},
		{"fixed without percent", `"mode": "fixed", "percent": "9.5",`, `"mode": "fixed",`, 0, `regimes[1].percent: missing`},
		{"statutory with percent", `{"from": "2016-01-01", "mode": "statutory",`, `{"from": "2016-01-01", "mode": "statutory", "percent": "9.5",`, 0, `regimes[0].percent: a statutory regime takes the key rate`},
		{"bad key_rate_on", `"mode": "statutory", "key_rate_on": "payment"`, `"mode": "statutory", "key_rate_on": "paid"`, 0, `regimes[0].key_rate_on: "paid"`},
		{"unknown category in a regime", `{"from": "2027-01-01", "mode": "statutory",`, `{"from": "2027-01-01", "categories": ["gas"], "mode": "statutory",`, 0, `regimes[4].categories[0]: unknown category "gas"`},
		{"moratorium ends before it starts", `"to": "2020-12-31"`, `"to": "2020-01-31"`, 0, `moratoria[0].to: 2020-01-31 is before from 2020-04-06`},
		{"bad debts_before", `"debts_before": "2022-04"`, `"debts_before": "April"`, 0, `moratoria[1].debts_before: "April": want a month YYYY-MM`},
		{"due day 0", `{"from_period": "2026-02", "day": 15}`, `{"from_period": "2026-02", "day": 0}`, 0, `due[1].day: 0: want a day of the month`},
		{"step days out of order", `{"from_day": 91, "divisor": 130}`, `{"from_day": 31, "divisor": 130}`, 0, `categories.housing.bands[0].steps[1].from_day: 31 is not after`},
		{"divisor 0", `{"from_day": 91, "divisor": 130}`, `{"from_day": 91, "divisor": 0}`, 0, `categories.housing.bands[0].steps[1].divisor: 0`},
		{"unknown field", `"basis": "ПП № 424 от 02.04.2020: пени не начисляются"`, `"basic": "x"`, 0, `moratoria[0].basic: unknown field`},
		{"wrong type", `"day": 15}`, `"day": "15"}`, 0, `categories.due.day: string where int is wanted`},
		{"syntax error", `{"from": "2016-06-14", "percent": "10.50"},`, `{"from": "2016-06-14", "percent": "10.50"},,`, 0, `invalid character ','`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			line := tc.line
			if line == 0 {
				line = lineOf(tc.old)
			}
			in := bytes.Replace(defaultJSON, []byte(tc.old), []byte(tc.new), 1)
			_, err := Load(bytes.NewReader(in))
			if err == nil {
				t.Fatal("loaded")
			}
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("kind %v, want invalid", apperr.KindOf(err))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			if want := "line " + itoa(line) + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		})
	}
	for in, want := range map[string]string{
		"":                                   "empty",
		"{}":                                 "key_rates_known_until: missing",
		`{"name": 1}`:                        "line 1: name: number where string is wanted",
		"{} {}":                              "data after the table's object",
		`{"key_rates": [`:                    "ends in the middle",
		strings.Repeat(" ", maxTableBytes+1): "over",
	} {
		if _, err := Load(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%.20q): %v, want %q", in, err, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// FuzzLoad: any input loads or fails with an invalid error naming where; a table that loads computes.
func FuzzLoad(f *testing.F) {
	f.Add(defaultJSON)
	f.Add([]byte(`{"key_rates_known_until":"2020-01-01","key_rates":[{"from":"2019-01-01","percent":"5"}],"regimes":[{"from":"2019-01-01","mode":"min_cap","percent":"1"}],"categories":{"x":{"due":[{"from_period":"2019-01","day":31}],"bands":[{"from_period":"2019-01","steps":[{"from_day":1,"divisor":7}]}]}}}`))
	f.Add([]byte(`{"moratoria":[{"from":"2020-01-01","to":"2020-01-01"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Load(bytes.NewReader(data))
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("kind %v: %v", apperr.KindOf(err), err)
			}
			return
		}
		for _, c := range r.Categories() {
			in := Input{Category: c, On: r.KeyRatesKnownUntil,
				Debts:    []Debt{{Period: monthTime(r.cats[c].due[0].fromPeriod), Amount: 123456}, {Period: monthTime(r.cats[c].due[0].fromPeriod + 7), Amount: 1}},
				Payments: []Payment{{Date: dayTime(r.keyFrom[0]), Amount: 50000}}}
			res, err := r.Compute(in)
			if err != nil {
				if !apperr.Is(err, apperr.Invalid) {
					t.Fatalf("compute: kind %v: %v", apperr.KindOf(err), err)
				}
				continue
			}
			if res.Total < 0 {
				t.Fatalf("negative penalty %d", res.Total)
			}
		}
	})
}
