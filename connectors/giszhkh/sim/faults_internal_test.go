package sim

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestFaultRatesAreExactFractions: a short rehearsal still gets its share of
// faults — every run of 1/rate calls holds one — whatever the seed.
func TestFaultRatesAreExactFractions(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		s := &Server{cfg: Config{Now: time.Now}, rnd: rand.New(rand.NewPCG(seed, seed)),
			faults: Faults{EXPRate: 0.2, HTTP502Rate: 0.1}}
		var exp, bad int
		for i := range 60 {
			switch s.injected(i%3 == 0) { // every third call a getState, which never gets EXP001000
			case -1:
				exp++
			case http.StatusBadGateway:
				bad++
			}
		}
		// 60 calls at 10% → 6 (±1) HTTP 502; 20% EXP001000 of the remaining non-getState requests (~35) → ~7.
		if bad < 5 || bad > 7 || exp < 5 || exp > 9 {
			t.Errorf("seed %d: %d × 502 and %d × EXP001000 in 60 calls", seed, bad, exp)
		}
	}
	s := &Server{cfg: Config{Now: time.Now}, rnd: rand.New(rand.NewPCG(1, 1)), faults: Faults{EXPRate: 1}}
	for range 5 {
		if s.injected(false) != -1 {
			t.Fatal("rate 1 must fault every request")
		}
	}
	if s.injected(true) != 0 {
		t.Error("getState answered with EXP001000")
	}
}
