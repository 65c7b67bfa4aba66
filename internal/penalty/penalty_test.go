package penalty

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func p(s string) time.Time { return d(s + "-01") }

// tableWith loads the default table after replacing old by new in its JSON text (the edit must apply).
func tableWith(t testing.TB, old, new string) *Rules {
	t.Helper()
	if !bytes.Contains(defaultJSON, []byte(old)) {
		t.Fatalf("default rules.json has no %q", old)
	}
	r, err := Load(bytes.NewReader(bytes.Replace(defaultJSON, []byte(old), []byte(new), 1)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// before329 is the table as the older research note had it: the key rate itself from 2025 (21 % then).
const rule329 = `{"from": "2025-01-01", "mode": "min_cap", "percent": "9.5", "key_rate_on": "payment", "basis": "ПП № 329 от 18.03.2025: не выше 9,5 % до 01.01.2027"}`
const ruleStatutory2025 = `{"from": "2025-01-01", "mode": "statutory", "basis": "ЖК РФ ст. 155 ч. 14"}`

type wantSpan struct {
	kind          SpanKind
	from, to      string
	first, last   int
	divisor       int64
	rate, keyRate string
	amount        int64
}

func TestCompute(t *testing.T) {
	t.Parallel()
	def := Default()
	eachDay := tableWith(t, `{"from": "2016-01-01", "mode": "statutory", "key_rate_on": "payment"`, `{"from": "2016-01-01", "mode": "statutory", "key_rate_on": "each_day"`)
	jan25 := []Debt{{Period: p("2025-01"), Amount: 500000}}
	tests := []struct {
		name    string
		rules   *Rules
		in      Input
		total   int64
		periods []int64 // penalty per period, in period order
		due     []string
		advance int64
		ignored int
		spans   []wantSpan // of the first period's parts, in order; nil: not checked
	}{
		{
			// cabinet-anchors §E: 5 000,00 for January 2025, unpaid on 31.05.2025, min(9.5 %, 21 %).
			name: "worked example", rules: def,
			in:    Input{Category: Housing, Debts: jan25, On: d("2025-05-31")},
			total: 16808, periods: []int64{16808}, due: []string{"2025-02-10"},
			spans: []wantSpan{
				{Grace, "2025-02-11", "2025-03-12", 1, 30, 0, "", "", 0},
				{Accrual, "2025-03-13", "2025-05-11", 31, 90, 300, "9.5", "21", 9500},
				{Accrual, "2025-05-12", "2025-05-31", 91, 110, 130, "9.5", "21", 7308},
			},
		},
		{
			name: "worked example under the old note's table (statutory 21 %)", rules: tableWith(t, rule329, ruleStatutory2025),
			in:    Input{Category: Housing, Debts: jan25, On: d("2025-05-31")},
			total: 37154, periods: []int64{37154},
		},
		{
			name: "partial payment on day 60, rest unpaid", rules: def,
			in: Input{Category: Housing, Debts: jan25, On: d("2025-05-31"),
				Payments: []Payment{{Date: d("2025-04-11"), Amount: 200000}}},
			total: 11985, periods: []int64{11985},
			spans: []wantSpan{
				{Grace, "2025-02-11", "2025-03-12", 1, 30, 0, "", "", 0},
				{Accrual, "2025-03-13", "2025-04-11", 31, 60, 300, "9.5", "21", 1900},
				{Grace, "2025-02-11", "2025-03-12", 1, 30, 0, "", "", 0},
				{Accrual, "2025-03-13", "2025-05-11", 31, 90, 300, "9.5", "21", 5700},
				{Accrual, "2025-05-12", "2025-05-31", 91, 110, 130, "9.5", "21", 4385},
			},
		},
		{
			name: "overpayment before the due dates is an advance", rules: def,
			in: Input{Category: Housing, On: d("2025-12-31"),
				Debts:    []Debt{{Period: p("2025-02"), Amount: 300000}, {Period: p("2025-01"), Amount: 300000}},
				Payments: []Payment{{Date: d("2025-01-20"), Amount: 700000}}},
			total: 0, periods: []int64{0, 0}, advance: 100000,
		},
		{
			name: "a payment naming a period pays it, the oldest stays unpaid", rules: def,
			in: Input{Category: Housing, On: d("2025-05-31"),
				Debts:    []Debt{{Period: p("2025-01"), Amount: 500000}, {Period: p("2025-02"), Amount: 500000}},
				Payments: []Payment{{Date: d("2025-03-01"), Amount: 500000, Period: p("2025-02")}}},
			total: 16808, periods: []int64{16808, 0},
		},
		{
			name: "an unnamed payment pays the oldest first; the excess of a named one too", rules: def,
			in: Input{Category: Housing, On: d("2025-05-31"),
				Debts:    []Debt{{Period: p("2025-01"), Amount: 500000}, {Period: p("2025-02"), Amount: 500000}},
				Payments: []Payment{{Date: d("2025-03-01"), Amount: 600000, Period: p("2025-02")}, {Date: d("2025-03-02"), Amount: 400000}}},
			total: 0, periods: []int64{0, 0},
		},
		{
			name: "payments after the calculation day are ignored", rules: def,
			in: Input{Category: Housing, Debts: jan25, On: d("2025-05-31"),
				Payments: []Payment{{Date: d("2025-06-01"), Amount: 500000}}},
			total: 16808, periods: []int64{16808}, ignored: 1,
		},
		{
			// September 2022 is due 10.10.2022: 52 days at the fixed 9.5 % of ПП 474 in 2022, then
			// min(9.5 %, 7.5 % on the payment day) from 01.01.2023, at 1/300 until day 90, then 1/130.
			name: "the regime changes inside the window", rules: def,
			in: Input{Category: Housing, On: d("2023-03-01"), Debts: []Debt{{Period: p("2022-09"), Amount: 1000000}},
				Payments: []Payment{{Date: d("2023-03-01"), Amount: 1000000}}},
			total: 48467, periods: []int64{48467},
			spans: []wantSpan{
				{Grace, "2022-10-11", "2022-11-09", 1, 30, 0, "", "", 0},
				{Accrual, "2022-11-10", "2022-12-31", 31, 82, 300, "9.5", "", 16467},
				{Accrual, "2023-01-01", "2023-01-08", 83, 90, 300, "7.5", "7.5", 2000},
				{Accrual, "2023-01-09", "2023-03-01", 91, 142, 130, "7.5", "7.5", 30000},
			},
		},
		{
			name: "key rate changes inside the window: the payment day's rate (ЖК 155 ч. 14)", rules: def,
			in: Input{Category: Housing, On: d("2021-05-10"), Debts: []Debt{{Period: p("2021-01"), Amount: 500000}},
				Payments: []Payment{{Date: d("2021-05-10"), Amount: 500000}}},
			total: 4917, periods: []int64{4917},
		},
		{
			name: "key rate changes inside the window: each day's rate (table option each_day)", rules: eachDay,
			in: Input{Category: Housing, On: d("2021-05-10"), Debts: []Debt{{Period: p("2021-01"), Amount: 500000}},
				Payments: []Payment{{Date: d("2021-05-10"), Amount: 500000}}},
			total: 4513, periods: []int64{4513},
			spans: []wantSpan{
				{Grace, "2021-02-11", "2021-03-12", 1, 30, 0, "", "", 0},
				{Accrual, "2021-03-13", "2021-03-21", 31, 39, 300, "4.25", "4.25", 638},
				{Accrual, "2021-03-22", "2021-04-25", 40, 74, 300, "4.5", "4.5", 2625},
				{Accrual, "2021-04-26", "2021-05-10", 75, 89, 300, "5", "5", 1250},
			},
		},
		{
			// ПП 424: nothing accrues 06.04.2020–31.12.2020; the day count runs on, so it restarts at 1/130.
			name: "moratorium 2020 stops and restarts penalties", rules: def,
			in:    Input{Category: Housing, On: d("2021-03-01"), Debts: []Debt{{Period: p("2020-01"), Amount: 500000}}},
			total: 11579, periods: []int64{11579},
			spans: []wantSpan{
				{Grace, "2020-02-11", "2020-03-11", 1, 30, 0, "", "", 0},
				{Accrual, "2020-03-12", "2020-04-05", 31, 55, 300, "4.25", "4.25", 1771},
				{Moratorium, "2020-04-06", "2020-12-31", 56, 325, 0, "", "", 0},
				{Accrual, "2021-01-01", "2021-03-01", 326, 385, 130, "4.25", "4.25", 9808},
			},
		},
		{
			// ПП 497 covers debts of periods before April 2022 only, through 01.10.2022 inclusive.
			name: "bankruptcy moratorium 2022: February covered, April not", rules: def,
			in: Input{Category: Housing, On: d("2022-10-31"),
				Debts: []Debt{{Period: p("2022-02"), Amount: 500000}, {Period: p("2022-04"), Amount: 500000}}},
			total: 10962 + 40192, periods: []int64{10962, 40192},
			spans: []wantSpan{
				{Grace, "2022-03-11", "2022-04-09", 1, 30, 0, "", "", 0},
				{Moratorium, "2022-04-10", "2022-10-01", 31, 205, 0, "", "", 0},
				{Accrual, "2022-10-02", "2022-10-31", 206, 235, 130, "9.5", "", 10962},
			},
		},
		{name: "paid on day 30", rules: def, total: 0, periods: []int64{0},
			in: Input{Category: Housing, Debts: jan25, On: d("2025-05-31"), Payments: []Payment{{Date: d("2025-03-12"), Amount: 500000}}}},
		{name: "paid on day 31", rules: def, total: 158, periods: []int64{158},
			in: Input{Category: Housing, Debts: jan25, On: d("2025-05-31"), Payments: []Payment{{Date: d("2025-03-13"), Amount: 500000}}}},
		{name: "paid on day 90", rules: def, total: 9500, periods: []int64{9500},
			in: Input{Category: Housing, Debts: jan25, On: d("2025-05-31"), Payments: []Payment{{Date: d("2025-05-11"), Amount: 500000}}}},
		{name: "paid on day 91", rules: def, total: 9865, periods: []int64{9865},
			in: Input{Category: Housing, Debts: jan25, On: d("2025-05-31"), Payments: []Payment{{Date: d("2025-05-12"), Amount: 500000}}}},
		{name: "paid on the due date", rules: def, total: 0, periods: []int64{0},
			in:    Input{Category: Housing, Debts: jan25, On: d("2025-05-31"), Payments: []Payment{{Date: d("2025-02-10"), Amount: 500000}}},
			spans: []wantSpan{}},
		{
			// January 2026 is due 10.02.2026; February 2026, billed after 01.03.2026's law, 15.03.2026.
			name: "due date 10th → 15th: day 30 of both", rules: def,
			in: Input{Category: Housing, On: d("2026-04-14"),
				Debts:    []Debt{{Period: p("2026-01"), Amount: 300000}, {Period: p("2026-02"), Amount: 300000}},
				Payments: []Payment{{Date: d("2026-03-12"), Amount: 300000, Period: p("2026-01")}}},
			total: 0, periods: []int64{0, 0}, due: []string{"2026-02-10", "2026-03-15"},
		},
		{
			name: "due date 10th → 15th: day 31 of both", rules: def,
			in: Input{Category: Housing, On: d("2026-04-15"),
				Debts:    []Debt{{Period: p("2026-01"), Amount: 300000}, {Period: p("2026-02"), Amount: 300000}},
				Payments: []Payment{{Date: d("2026-03-13"), Amount: 300000, Period: p("2026-01")}}},
			total: 95 + 95, periods: []int64{95, 95}, due: []string{"2026-02-10", "2026-03-15"},
		},
		{
			name: "a contract due date given with the debt", rules: def,
			in:    Input{Category: Housing, On: d("2025-05-31"), Debts: []Debt{{Period: p("2025-01"), Amount: 500000, Due: d("2025-02-25")}}},
			total: 11327, periods: []int64{11327}, due: []string{"2025-02-25"},
		},
		{
			// ЖК 155 ч. 14.1: 1/300 from the day after the due date, no grace, no 1/130.
			name: "capital repair", rules: def,
			in:    Input{Category: CapitalRepair, Debts: jan25, On: d("2025-05-31")},
			total: 17417, periods: []int64{17417},
			spans: []wantSpan{{Accrual, "2025-02-11", "2025-05-31", 1, 110, 300, "9.5", "21", 17417}},
		},
		{
			name: "no debts", rules: def,
			in:    Input{Category: Housing, On: d("2025-05-31"), Payments: []Payment{{Date: d("2025-01-01"), Amount: 100}}},
			total: 0, advance: 100,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := tc.rules.Compute(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != tc.total || res.Advance != tc.advance || res.Ignored != tc.ignored {
				t.Errorf("total %d advance %d ignored %d, want %d %d %d", res.Total, res.Advance, res.Ignored, tc.total, tc.advance, tc.ignored)
			}
			if len(res.Periods) != len(tc.periods) {
				t.Fatalf("%d periods, want %d", len(res.Periods), len(tc.periods))
			}
			var sum int64
			for i, ln := range res.Periods {
				sum += ln.Amount
				if ln.Amount != tc.periods[i] {
					t.Errorf("period %s: penalty %d, want %d", ln.Period.Format("2006-01"), ln.Amount, tc.periods[i])
				}
				if tc.due != nil && ln.Due.Format(time.DateOnly) != tc.due[i] {
					t.Errorf("period %s: due %s, want %s", ln.Period.Format("2006-01"), ln.Due.Format(time.DateOnly), tc.due[i])
				}
				var spanSum, base int64
				for _, pt := range ln.Parts {
					base += pt.Base
					for _, s := range pt.Spans {
						spanSum += s.Amount
					}
				}
				if spanSum != ln.Amount || base != ln.Principal || ln.Paid+ln.Unpaid != ln.Principal {
					t.Errorf("period %s: spans add up to %d of %d, parts to %d of %d", ln.Period.Format("2006-01"), spanSum, ln.Amount, base, ln.Principal)
				}
			}
			if sum != res.Total {
				t.Errorf("periods add up to %d, total %d", sum, res.Total)
			}
			if tc.spans == nil {
				return
			}
			var got []wantSpan
			for _, pt := range res.Periods[0].Parts {
				for _, s := range pt.Spans {
					got = append(got, wantSpan{s.Kind, s.From.Format(time.DateOnly), s.To.Format(time.DateOnly), s.FirstDay, s.LastDay, s.Divisor, s.Rate, s.KeyRate, s.Amount})
					if s.Days != s.LastDay-s.FirstDay+1 {
						t.Errorf("span %+v: %d days", s, s.Days)
					}
				}
			}
			if len(got) != len(tc.spans) {
				t.Fatalf("spans\n got %+v\nwant %+v", got, tc.spans)
			}
			for i := range got {
				if got[i] != tc.spans[i] {
					t.Errorf("span %d\n got %+v\nwant %+v", i, got[i], tc.spans[i])
				}
			}
		})
	}
}

func TestComputeErrors(t *testing.T) {
	t.Parallel()
	def := Default()
	ok := []Debt{{Period: p("2025-01"), Amount: 100}}
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"unknown category", Input{Category: "gas", Debts: ok, On: d("2025-05-31")}, `category "gas"`},
		{"no calculation day", Input{Category: Housing, Debts: ok}, "on: missing"},
		{"period not the 1st", Input{Category: Housing, Debts: []Debt{{Period: d("2025-01-15"), Amount: 1}}, On: d("2025-05-31")}, "debts[0].period 2025-01-15"},
		{"negative debt", Input{Category: Housing, Debts: []Debt{{Period: p("2025-01"), Amount: -1}}, On: d("2025-05-31")}, "debts[0].amount -1"},
		{"two debts for one month", Input{Category: Housing, Debts: []Debt{{Period: p("2025-02"), Amount: 1}, {Period: p("2025-01"), Amount: 1}, {Period: p("2025-02"), Amount: 1}}, On: d("2025-05-31")}, "debts[2].period 2025-02: the same month as debts[0]"},
		{"zero payment", Input{Category: Housing, Debts: ok, Payments: []Payment{{Date: d("2025-02-01")}}, On: d("2025-05-31")}, "payments[0].amount 0"},
		{"payment without a date", Input{Category: Housing, Debts: ok, Payments: []Payment{{Amount: 1}}, On: d("2025-05-31")}, "payments[0].date: missing"},
		{"payment naming a mid-month day", Input{Category: Housing, Debts: ok, Payments: []Payment{{Date: d("2025-02-01"), Amount: 1, Period: d("2025-01-02")}}, On: d("2025-05-31")}, "payments[0].period 2025-01-02"},
		{"period before the table", Input{Category: Housing, Debts: []Debt{{Period: p("2015-12"), Amount: 1}}, On: d("2025-05-31")}, "debts[0].period 2015-12: the table's housing due-date rules start later"},
		{"beyond the key rates", Input{Category: Housing, Debts: ok, On: d("2027-03-01")}, "the key rate on 2027-03-01 is not in the table (known until 2026-12-31)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := def.Compute(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("kind %v, want invalid", apperr.KindOf(err))
			}
		})
	}
}

// ПП № 329 of 18.03.2025 capped 2025's rate at 9.5 % after the fact: re-running January–March 2025 under
// both tables gives the recalculation lines.
func TestRecalculate(t *testing.T) {
	t.Parallel()
	old, new := tableWith(t, rule329, ruleStatutory2025), Default()
	in := Input{Category: Housing, On: d("2025-05-31"),
		Debts: []Debt{{Period: p("2024-12"), Amount: 500000}, {Period: p("2025-01"), Amount: 500000}, {Period: p("2025-02"), Amount: 500000}, {Period: p("2025-04"), Amount: 500000}},
		Payments: []Payment{
			{Date: d("2025-04-20"), Amount: 500000}, // pays December 2024 on its day 100
		}}
	diff, err := Recalculate(old, new, in)
	if err != nil {
		t.Fatal(err)
	}
	// December 2024: due 10.01.2025, paid 20.04.2025 (day 100): days 31–90 at 1/300 and 91–100 at 1/130,
	// all of them in 2025, so ПП 329 caps them too: 21 % → 9.5 %.
	want := []PeriodDiff{
		{Period: p("2024-12"), Old: 29077, New: 13154, Delta: -15923},
		{Period: p("2025-01"), Old: 37154, New: 16808, Delta: -20346},
		{Period: p("2025-02"), Old: 18200, New: 8233, Delta: -9967},
		{Period: p("2025-04"), Old: 0, New: 0, Delta: 0},
	}
	if len(diff.Periods) != len(want) {
		t.Fatalf("%d periods, want %d", len(diff.Periods), len(want))
	}
	var sum int64
	for i, w := range want {
		if diff.Periods[i] != w {
			t.Errorf("period %d: %+v, want %+v", i, diff.Periods[i], w)
		}
		sum += w.Delta
	}
	if diff.Delta != sum || diff.Delta != diff.New.Total-diff.Old.Total {
		t.Errorf("delta %d, want %d", diff.Delta, sum)
	}
	if _, err := Recalculate(old, new, Input{Category: "gas", On: d("2025-01-01")}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad input: %v, want an invalid error", err)
	}
}

// The explanation of the worked example as JSON, for the "explain this" view and as a check that the
// stored shape does not drift. go test ./internal/penalty -run Golden -update rewrites it.
func TestGoldenExplanation(t *testing.T) {
	t.Parallel()
	res, err := Default().Compute(Input{Category: Housing, On: d("2025-05-31"),
		Debts:    []Debt{{Period: p("2025-01"), Amount: 500000}, {Period: p("2025-02"), Amount: 400000}},
		Payments: []Payment{{Date: d("2025-04-11"), Amount: 200000}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "explain-2025-05-31.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("explanation differs from %s (run with -update after checking):\n%s", path, got)
	}
}

// TestDueDate: the 10th of the next month, the 15th for periods from
// February 2026 (due from March 2026), as the default table says.
func TestDueDate(t *testing.T) {
	r := Default()
	for _, tc := range []struct{ period, want string }{
		{"2025-12-01", "2026-01-10"}, {"2026-01-01", "2026-02-10"}, {"2026-02-01", "2026-03-15"}, {"2026-10-01", "2026-11-15"},
	} {
		got, err := r.DueDate(Housing, d(tc.period))
		if err != nil || !got.Equal(d(tc.want)) {
			t.Errorf("%s: %v %v, want %s", tc.period, got, err, tc.want)
		}
	}
	if _, err := r.DueDate("water", d("2026-01-01")); err == nil {
		t.Error("unknown category accepted")
	}
}
