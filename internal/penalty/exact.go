package penalty

import "math/bits"

// u128 is a non-negative exact numerator. A penalty is Σ base × rate × days × (lcm/divisor) over the
// denominator lcm × 10^6 (rate units are 1/10 000 %, so a rate unit is 10^-6 of the base per day and
// divisor). Every term is an integer, so the sum is exact; rounding happens once, in roundHalfUp. This is
// the same arithmetic as math/big.Rat (a test compares them) without allocating on the hot path.
type u128 struct{ hi, lo uint64 }

// addMul adds a×b and reports false on overflow of 128 bits.
func (u *u128) addMul(a, b uint64) bool {
	hi, lo := bits.Mul64(a, b)
	var c uint64
	u.lo, c = bits.Add64(u.lo, lo, 0)
	u.hi, c = bits.Add64(u.hi, hi, c)
	return c == 0
}

func (u u128) add(v u128) (u128, bool) {
	var c uint64
	u.lo, c = bits.Add64(u.lo, v.lo, 0)
	u.hi, c = bits.Add64(u.hi, v.hi, c)
	return u, c == 0
}

// roundHalfUp returns ⌊u/d + 1/2⌋ for an even d, and false if it does not fit int64.
func (u u128) roundHalfUp(d uint64) (int64, bool) {
	n, ok := u.add(u128{lo: d / 2})
	if !ok {
		return 0, false
	}
	qhi, r := n.hi/d, n.hi%d
	if qhi != 0 {
		return 0, false
	}
	q, _ := bits.Div64(r, n.lo, d)
	if q > 1<<63-1 {
		return 0, false
	}
	return int64(q), true
}
