package penalty

import (
	"math/rand/v2"
	"testing"
)

// benchInputs are accounts with 12 months of 2025 debts each, paid late, partly or not at all, computed on
// 30.06.2026. A pool of distinct accounts is cycled: run with -benchtime=1000000x for a million accounts.
func benchInputs(n int) []Input {
	rng := rand.New(rand.NewPCG(7, 7))
	out := make([]Input, n)
	for i := range out {
		in := Input{Category: Housing, On: d("2026-06-30")}
		for m := range 12 {
			in.Debts = append(in.Debts, Debt{Period: monthTime(2025*12 + int32(m)), Amount: 200_000 + int64(rng.IntN(600_000))})
			if rng.IntN(4) != 0 { // three months in four get a payment, 0–120 days after the 10th
				due := dueDay(2025*12+int32(m), 10)
				in.Payments = append(in.Payments, Payment{Date: dayTime(due + int32(rng.IntN(120))), Amount: 100_000 + int64(rng.IntN(700_000))})
			}
		}
		out[i] = in
	}
	return out
}

func BenchmarkCompute(b *testing.B) {
	r := Default()
	pool := benchInputs(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	var total int64
	for i := range b.N {
		res, err := r.Compute(pool[i%len(pool)])
		if err != nil {
			b.Fatal(err)
		}
		total += res.Total
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accounts/s")
	sink = total
}

// BenchmarkSumDebts is the anchor: a bare loop over the same accounts summing their debts and payments.
func BenchmarkSumDebts(b *testing.B) {
	pool := benchInputs(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	var total int64
	for i := range b.N {
		in := &pool[i%len(pool)]
		for _, d := range in.Debts {
			total += d.Amount
		}
		for _, p := range in.Payments {
			total -= p.Amount
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accounts/s")
	sink = total
}

var sink int64
