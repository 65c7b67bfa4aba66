package penalty

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// refLine is an independent, slow reference: it walks every single day of every paid or unpaid portion,
// looks everything up by linear scans, and sums big.Rat values; rounding half up at the end. Compute's
// spans and 128-bit sums must agree with it to the kopeck.
func refLine(t *testing.T, r *Rules, c *category, period, due int32, parts []Part) int64 {
	t.Helper()
	var steps []step
	for _, b := range c.bands {
		if b.fromPeriod <= period {
			steps = b.steps
		}
	}
	sum := new(big.Rat)
	for _, pt := range parts {
		end := dayOf(pt.Through)
		for x := due + 1; x <= end; x++ {
			n := x - due
			var div int64
			for _, s := range steps {
				if s.fromDay <= n {
					div = s.divisor
				}
			}
			if div == 0 {
				continue
			}
			stopped := false
			for _, m := range c.moratoria {
				if (m.debtsBefore == 0 || period < m.debtsBefore) && m.from <= x && x <= m.to {
					stopped = true
				}
			}
			if stopped {
				continue
			}
			var rg regime
			for _, g := range c.regimes {
				if g.from <= x {
					rg = g
				}
			}
			kd := end
			if rg.keyOn == OnEachDay {
				kd = x
			}
			var key int64
			for i, f := range r.keyFrom {
				if f <= kd {
					key = r.keyRate[i]
				}
			}
			rate := key
			switch rg.mode {
			case Fixed:
				rate = rg.cap
			case MinCap:
				rate = min(rate, rg.cap)
			}
			// base × rate% / 100 / div for one day; rate units are 1/10 000 %.
			sum.Add(sum, new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(pt.Base), big.NewInt(rate)), big.NewInt(div*100*rateScale)))
		}
	}
	// half up: floor(sum + 1/2)
	sum.Add(sum, big.NewRat(1, 2))
	q := new(big.Int).Quo(sum.Num(), sum.Denom())
	return q.Int64()
}

func randomInput(rng *rand.Rand, cat Category) Input {
	start := int32(2016*12 + rng.IntN(11*12)) // 2016-01 .. 2026-12
	n := 1 + rng.IntN(14)
	in := Input{Category: cat}
	for i := range n {
		m := start + int32(i)
		if m > 2026*12+10 {
			break
		}
		amt := int64(rng.IntN(1_000_000))
		if rng.IntN(10) == 0 {
			amt = int64(rng.Int64N(maxAmount))
		}
		in.Debts = append(in.Debts, Debt{Period: monthTime(m), Amount: amt})
	}
	lastDay := civilDay(2026, 12, 31)
	first := dayOf(monthTime(start))
	on := first + int32(rng.IntN(int(lastDay-first)+1))
	in.On = dayTime(on)
	for range rng.IntN(8) {
		pd := first + int32(rng.IntN(int(on-first)+40)) // some after On
		pay := Payment{Date: dayTime(pd), Amount: 1 + int64(rng.IntN(800_000))}
		if rng.IntN(3) == 0 {
			pay.Period = monthTime(start + int32(rng.IntN(16)))
		}
		in.Payments = append(in.Payments, pay)
	}
	return in
}

func TestComputeMatchesDayByDayReference(t *testing.T) {
	t.Parallel()
	eachDay := tableWith(t, `{"from": "2016-01-01", "mode": "statutory", "key_rate_on": "payment"`, `{"from": "2016-01-01", "mode": "statutory", "key_rate_on": "each_day"`)
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 200
	if testing.Short() {
		rounds = 50
	}
	for i := range rounds {
		r := Default()
		if i%3 == 2 {
			r = eachDay
		}
		cat := Housing
		if i%4 == 3 {
			cat = CapitalRepair
		}
		in := randomInput(rng, cat)
		res, err := r.Compute(in)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		var paid, advance int64
		for _, pay := range in.Payments {
			if dayOf(pay.Date) <= dayOf(in.On) {
				paid += pay.Amount
			}
		}
		for _, ln := range res.Periods {
			want := refLine(t, r, r.cats[cat], monthOf(ln.Period), dayOf(ln.Due), ln.Parts)
			if ln.Amount != want {
				t.Fatalf("round %d, period %s: %d, reference %d\ninput %+v", i, ln.Period.Format("2006-01"), ln.Amount, want, in)
			}
			advance += ln.Paid
		}
		if advance+res.Advance != paid {
			t.Fatalf("round %d: allocated %d + advance %d, paid %d", i, advance, res.Advance, paid)
		}
	}
}
