package bank

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// BenchmarkReader measures parsing alone: lines per second of a generated
// Sberbank registry held in memory.
func BenchmarkReader(b *testing.B) {
	var buf bytes.Buffer
	const lines = 100_000
	if _, err := GenerateSber(&buf, GenerateOptions{Lines: lines, Accounts: []string{"0000100001", "0000100002"},
		Date: time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), Seed: 1, FirstOperation: 1}); err != nil {
		b.Fatal(err)
	}
	p := NewSet(Builtin()...).latest["sber-zhku-13"]
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), "bench", p)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
