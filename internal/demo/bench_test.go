package demo

import (
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// BenchmarkGenerate measures the client side of a demo load: generating
// every charge row of 1 000 accounts × 12 months without a database.
func BenchmarkGenerate(b *testing.B) {
	g := newGenerator(Options{Accounts: 1000, Months: 12, Until: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}.withDefaults())
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for c := range g.charges() {
			_ = c
			n++
		}
		if n != 1000*12*9 {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(1000*12*9*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkLoad measures a whole demo load (2 000 accounts × 12 months,
// 216 000 charges) into a fresh database per iteration.
func BenchmarkLoad(b *testing.B) {
	ctx := b.Context()
	for b.Loop() {
		b.StopTimer()
		pool := testdb.New(b)
		b.StartTimer()
		res, err := Load(ctx, pool, Options{Accounts: 2000, Months: 12, Until: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}, quiet)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Counts["charges"]), "charges/op")
	}
}
