package penalty

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// maxAmount bounds a debt or payment: 10^15 kopecks (ten trillion rubles) is far above any account and keeps
// every product inside the exact 128-bit sum.
const maxAmount = 1_000_000_000_000_000

// Input is one account's debts of one category, its payments and the calculation day.
type Input struct {
	// Category selects the rule set (Housing, CapitalRepair, or another category of the table).
	Category Category `json:"category"`
	// Debts are the monthly principal amounts billed, one per period.
	Debts []Debt `json:"debts"`
	// Payments are the money received; those dated after On are not counted (Result.Ignored).
	Payments []Payment `json:"payments"`
	// On is the calculation day; it is a penalty day itself for an amount still unpaid.
	On time.Time `json:"on"`
}

// Debt is the principal billed for one month. Penalties are never part of it.
type Debt struct {
	// Period is the first day of the billed month.
	Period time.Time `json:"period"`
	// Amount is the principal in kopecks (≥ 0).
	Amount int64 `json:"amount"`
	// Due is the last day to pay without penalty; zero derives it from the table's due-date rule.
	Due time.Time `json:"due,omitzero"`
}

// Payment is money received. It pays the period it names, the rest pays the oldest debts first.
type Payment struct {
	// Date is the day the money was paid; that day is still a penalty day for the amount it pays.
	Date time.Time `json:"date"`
	// Amount is in kopecks (> 0).
	Amount int64 `json:"amount"`
	// Period is the first day of the month the payer named (registry ММГГ, QR PaymPeriod); zero if none.
	Period time.Time `json:"period,omitzero"`
}

// Result is an account's penalty on the calculation day, with everything a receipt line and an "explain
// this" view need.
type Result struct {
	Category Category  `json:"category"`
	On       time.Time `json:"on"`
	// Total is the penalty in kopecks: the sum of the periods' amounts.
	Total int64 `json:"total"`
	// Advance is money paid beyond every debt given (переплата); it carries no penalty.
	Advance int64 `json:"advance"`
	// Ignored counts payments dated after On.
	Ignored int `json:"ignored"`
	// Periods are the debts in period order.
	Periods []PeriodLine `json:"periods"`
}

// PeriodLine is the penalty on one month's principal.
type PeriodLine struct {
	Period    time.Time `json:"period"`
	Due       time.Time `json:"due"`
	Principal int64     `json:"principal"`
	// Paid is the principal paid by payments up to On; Unpaid the rest.
	Paid   int64 `json:"paid"`
	Unpaid int64 `json:"unpaid"`
	// Amount is the penalty in kopecks: the exact sum over the parts, rounded once, half up.
	Amount int64 `json:"amount"`
	// Parts split the principal by the day each portion was paid (or not).
	Parts []Part `json:"parts"`
}

// Part is a portion of a month's principal that stopped accruing on one day: the day a payment paid it,
// or the calculation day if it is unpaid.
type Part struct {
	Base int64 `json:"base"`
	// PaidOn is the payment day; zero if the portion is unpaid on the calculation day.
	PaidOn time.Time `json:"paid_on,omitzero"`
	// Through is the last penalty day: PaidOn, or the calculation day.
	Through time.Time `json:"through"`
	// Spans cover the days from the day after the due date to Through; empty if paid by the due date.
	Spans []Span `json:"spans,omitempty"`
}

// SpanKind says why a run of days accrues or not.
type SpanKind string

// The span kinds.
const (
	Grace      SpanKind = "grace"      // days before the first band (days 1–30 for housing)
	Accrual    SpanKind = "accrual"    // penalty days
	Moratorium SpanKind = "moratorium" // a decree suspended penalties
)

// Span is a run of days with one fraction and one rate.
type Span struct {
	Kind SpanKind `json:"kind"`
	// From and To are inclusive; FirstDay and LastDay count from the due date (day 1 is the day after it).
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	FirstDay int       `json:"first_day"`
	LastDay  int       `json:"last_day"`
	Days     int       `json:"days"`
	// Divisor is the fraction's denominator: 300 for 1/300, 130 for 1/130 (accrual only).
	Divisor int64 `json:"divisor,omitempty"`
	// Rate is the annual percent applied, e.g. "9.5"; KeyRate the key rate read and KeyRateDate its day,
	// unless the regime is fixed.
	Rate        string    `json:"rate,omitempty"`
	KeyRate     string    `json:"key_rate,omitempty"`
	KeyRateDate time.Time `json:"key_rate_date,omitzero"`
	// Basis is the legal basis of the regime or moratorium, as the table states it.
	Basis string `json:"basis,omitempty"`
	// Amount is the span's share of the line in kopecks. Shares are rounded cumulatively (each is the
	// rounded running sum less the previous rounded running sum), so the spans of a line add up to its Amount
	// exactly and each is within a kopeck of its exact value.
	Amount int64 `json:"amount"`
}

const farDay = math.MaxInt32

// Compute allocates the payments and computes the penalty of every period. Input errors are
// apperr.Invalid and name the field (debts[2].period); so is a day the table does not cover.
func (r *Rules) Compute(in Input) (Result, error) {
	const op = "compute penalty"
	c, ok := r.cats[in.Category]
	if !ok {
		return Result{}, apperr.Invalidf(op, "category %q: the table defines %v", in.Category, r.Categories())
	}
	if in.On.IsZero() {
		return Result{}, apperr.Invalidf(op, "on: missing calculation day")
	}
	on := dayOf(in.On)
	res := Result{Category: in.Category, On: dayTime(on)}

	// Debts in period order, each with its due day.
	n := len(in.Debts)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	period := make([]int32, n)
	for i, d := range in.Debts {
		if d.Period.IsZero() || d.Period.Day() != 1 {
			return Result{}, apperr.Invalidf(op, "debts[%d].period %s: want the first day of the month", i, d.Period.Format(time.DateOnly))
		}
		if d.Amount < 0 || d.Amount > maxAmount {
			return Result{}, apperr.Invalidf(op, "debts[%d].amount %d: want 0 to %d kopecks", i, d.Amount, int64(maxAmount))
		}
		period[i] = monthOf(d.Period)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(period[a], period[b]) })
	for k := 1; k < n; k++ {
		if period[order[k]] == period[order[k-1]] {
			return Result{}, apperr.Invalidf(op, "debts[%d].period %s: the same month as debts[%d]; give one debt per month", order[k], in.Debts[order[k]].Period.Format("2006-01"), order[k-1])
		}
	}
	lines := make([]PeriodLine, n)
	rem := make([]int64, n)
	// paid records a portion of debt k paid on day; appended in payment-date order.
	type paid struct {
		k      int
		amount int64
		day    int32
	}
	var allocs []paid
	for k, i := range order {
		d := in.Debts[i]
		var due int32
		if d.Due.IsZero() {
			rule, ok := findFrom(c.due, period[i], func(u dueRule) int32 { return u.fromPeriod })
			if !ok {
				return Result{}, apperr.Invalidf(op, "debts[%d].period %s: the table's %s due-date rules start later", i, d.Period.Format("2006-01"), c.name)
			}
			due = dueDay(period[i], rule.day)
		} else {
			due = dayOf(d.Due)
		}
		lines[k] = PeriodLine{Period: monthTime(period[i]), Due: dayTime(due), Principal: d.Amount}
		rem[k] = d.Amount
	}

	// Allocation: payments in date order; the named period first, then the oldest debts.
	sortedPeriods := make([]int32, n)
	for k, i := range order {
		sortedPeriods[k] = period[i]
	}
	pays := make([]int, len(in.Payments))
	for i, p := range in.Payments {
		if p.Date.IsZero() {
			return Result{}, apperr.Invalidf(op, "payments[%d].date: missing", i)
		}
		if p.Amount <= 0 || p.Amount > maxAmount {
			return Result{}, apperr.Invalidf(op, "payments[%d].amount %d: want 1 to %d kopecks", i, p.Amount, int64(maxAmount))
		}
		if !p.Period.IsZero() && p.Period.Day() != 1 {
			return Result{}, apperr.Invalidf(op, "payments[%d].period %s: want the first day of the month", i, p.Period.Format(time.DateOnly))
		}
		pays[i] = i
	}
	slices.SortStableFunc(pays, func(a, b int) int { return cmp.Compare(dayOf(in.Payments[a].Date), dayOf(in.Payments[b].Date)) })
	oldest := 0
	for _, i := range pays {
		p := in.Payments[i]
		day := dayOf(p.Date)
		if day > on {
			res.Ignored++
			continue
		}
		amt := p.Amount
		take := func(k int) {
			t := min(amt, rem[k])
			rem[k] -= t
			amt -= t
			allocs = append(allocs, paid{k, t, day})
		}
		if !p.Period.IsZero() {
			if k, ok := slices.BinarySearch(sortedPeriods, monthOf(p.Period)); ok && rem[k] > 0 {
				take(k)
			}
		}
		for oldest < n && rem[oldest] == 0 {
			oldest++
		}
		for k := oldest; k < n && amt > 0; k++ {
			if rem[k] > 0 {
				take(k)
			}
		}
		res.Advance += amt
	}

	// Penalties per period: exact sum over parts and spans, rounded once.
	// Group the portions by debt (stable: each debt's stay in date order) and give every line its parts
	// and spans from two shared arrays: a handful of allocations per account instead of one per span.
	slices.SortStableFunc(allocs, func(a, b paid) int { return cmp.Compare(a.k, b.k) })
	m := 0
	for _, a := range allocs {
		if m > 0 && allocs[m-1].k == a.k && allocs[m-1].day == a.day {
			allocs[m-1].amount += a.amount // two payments of one day are one portion
			continue
		}
		allocs[m] = a
		m++
	}
	allocs = allocs[:m]
	nparts := len(allocs)
	for k := range rem {
		if rem[k] > 0 {
			nparts++
		}
	}
	w := walker{r: r, c: c, den: uint64(r.lcm) * 100 * rateScale,
		parts: make([]Part, 0, nparts), spans: make([]Span, 0, nparts*4)}
	next := 0
	for k, i := range order {
		ln := &lines[k]
		bs, ok := findFrom(c.bands, period[i], func(b bandSet) int32 { return b.fromPeriod })
		if !ok {
			return Result{}, apperr.Invalidf(op, "debts[%d].period %s: the table's %s bands start later", i, in.Debts[i].Period.Format("2006-01"), c.name)
		}
		due := dayOf(ln.Due)
		ln.Unpaid = rem[k]
		ln.Paid = ln.Principal - rem[k]
		w.steps, w.period, w.due, w.acc, w.rounded = bs.steps, period[i], due, u128{}, 0
		first := len(w.parts)
		for ; next < len(allocs) && allocs[next].k == k; next++ {
			a := allocs[next]
			if err := w.part(a.amount, a.day, true); err != nil {
				return Result{}, apperr.Wrap(apperr.Invalid, fmt.Sprintf("%s: period %s", op, ln.Period.Format("2006-01")), err)
			}
		}
		if rem[k] > 0 {
			if err := w.part(rem[k], on, false); err != nil {
				return Result{}, apperr.Wrap(apperr.Invalid, fmt.Sprintf("%s: period %s", op, ln.Period.Format("2006-01")), err)
			}
		}
		ln.Parts = w.parts[first:len(w.parts):len(w.parts)]
		ln.Amount = w.rounded
		res.Total += ln.Amount
	}
	res.Periods = lines
	return res, nil
}

// findFrom returns the last item whose start is at or before at (items are sorted by start).
func findFrom[T any](items []T, at int32, start func(T) int32) (T, bool) {
	i, _ := slices.BinarySearchFunc(items, at+1, func(it T, v int32) int { return cmp.Compare(start(it), v) })
	if i == 0 {
		var zero T
		return zero, false
	}
	return items[i-1], true
}

// walker computes one period line, keeping its exact running sum.
type walker struct {
	r       *Rules
	c       *category
	steps   []step
	period  int32
	due     int32
	den     uint64
	acc     u128
	rounded int64 // the running sum rounded half up
	parts   []Part
	spans   []Span // backing array of the parts' spans
}

// part adds the spans of one portion that accrues through the day end (inclusive).
func (w *walker) part(base int64, end int32, isPaid bool) error {
	p := Part{Base: base, Through: dayTime(end)}
	if isPaid {
		p.PaidOn = p.Through
	}
	rateDay := end
	first := len(w.spans)
	x := w.due + 1
	for x <= end {
		n := x - w.due
		si := -1
		for j := range w.steps {
			if w.steps[j].fromDay > n {
				break
			}
			si = j
		}
		nextBand := int32(farDay)
		if si+1 < len(w.steps) {
			nextBand = w.due + w.steps[si+1].fromDay
		}
		sp := Span{From: dayTime(x), FirstDay: int(n)}
		var nb int32
		if si < 0 {
			sp.Kind = Grace
			nb = min(nextBand, end+1)
		} else if mo, active, mNext := w.moratoriumAt(x); active {
			sp.Kind, sp.Basis = Moratorium, mo.basis
			nb = min(mo.to+1, end+1)
		} else {
			ri := w.regimeAt(x)
			if ri < 0 {
				return fmt.Errorf("no regime of the table is in force on %s for category %s", dayTime(x).Format(time.DateOnly), w.c.name)
			}
			rg := &w.c.regimes[ri]
			nb = min(nextBand, mNext, end+1)
			if ri+1 < len(w.c.regimes) {
				nb = min(nb, w.c.regimes[ri+1].from)
			}
			rate := rg.cap
			if rg.mode != Fixed {
				kd := rateDay
				if rg.keyOn == OnEachDay {
					kd = x
				}
				ki, err := w.r.keyAt(kd)
				if err != nil {
					return err
				}
				key := w.r.keyRate[ki]
				if rg.keyOn == OnEachDay && ki+1 < len(w.r.keyFrom) {
					nb = min(nb, w.r.keyFrom[ki+1])
				}
				rate, sp.Rate = key, w.r.keyStr[ki]
				if rg.mode == MinCap && rg.cap < key {
					rate, sp.Rate = rg.cap, rg.capStr
				}
				sp.KeyRate, sp.KeyRateDate = w.r.keyStr[ki], dayTime(kd)
			} else {
				sp.Rate = rg.capStr
			}
			st := w.steps[si]
			days := uint64(nb - x)
			if !w.acc.addMul(uint64(base), uint64(rate)*days*uint64(st.mul)) {
				return fmt.Errorf("the penalty of %d kopecks over %d days does not fit", base, days)
			}
			total, ok := w.acc.roundHalfUp(w.den)
			if !ok {
				return fmt.Errorf("the penalty of %d kopecks over %d days does not fit", base, days)
			}
			sp.Kind, sp.Divisor, sp.Basis = Accrual, st.divisor, rg.basis
			sp.Amount, w.rounded = total-w.rounded, total
		}
		sp.To = dayTime(nb - 1)
		sp.LastDay = int(nb - 1 - w.due)
		sp.Days = int(nb - x)
		w.spans = append(w.spans, sp)
		x = nb
	}
	if n := len(w.spans); n > first {
		p.Spans = w.spans[first:n:n]
	}
	w.parts = append(w.parts, p)
	return nil
}

// moratoriumAt returns the moratorium suspending day x for this debt, if any, and otherwise the next day a
// moratorium for this debt starts.
func (w *walker) moratoriumAt(x int32) (moratorium, bool, int32) {
	next := int32(farDay)
	for _, m := range w.c.moratoria {
		if m.debtsBefore != 0 && w.period >= m.debtsBefore {
			continue
		}
		if m.from <= x && x <= m.to {
			return m, true, 0
		}
		if m.from > x {
			next = min(next, m.from)
		}
	}
	return moratorium{}, false, next
}

func (w *walker) regimeAt(x int32) int {
	i, _ := slices.BinarySearchFunc(w.c.regimes, x+1, func(g regime, v int32) int { return cmp.Compare(g.from, v) })
	return i - 1
}

// keyAt returns the index of the key rate in force on day d.
func (r *Rules) keyAt(d int32) (int, error) {
	if d > r.knownUntil {
		return 0, fmt.Errorf("the key rate on %s is not in the table (known until %s): load a newer table", dayTime(d).Format(time.DateOnly), r.KeyRatesKnownUntil.Format(time.DateOnly))
	}
	i, _ := slices.BinarySearch(r.keyFrom, d+1)
	if i == 0 {
		return 0, fmt.Errorf("the key rate on %s is not in the table (it starts %s)", dayTime(d).Format(time.DateOnly), dayTime(r.keyFrom[0]).Format(time.DateOnly))
	}
	return i - 1, nil
}
