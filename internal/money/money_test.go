package money

import "testing"

func TestRubles(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]string{0: "0,00", 5: "0,05", 123456: "1\u00a0234,56", -100: "−1,00", 100000000: "1\u00a0000\u00a0000,00"} {
		if got := Rubles(in); got != want {
			t.Errorf("Rubles(%d) = %q, want %q", in, got, want)
		}
	}
}
