package billing

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Limits of the numbers in a charge file.
const (
	// TariffDecimals: the canonical store keeps tariffs as numeric(14, 4), as
	// tariff decisions publish them.
	TariffDecimals = 4
	// VolumeDecimals applies to volumes and norms.
	VolumeDecimals = 6
	// ChargedTolerance is how far, in kopecks, charged may lie from
	// round(tariff × (volume + common_volume)): billing systems round at
	// different steps.
	ChargedTolerance = 1
	maxIntDigits     = 12
)

// parseDecimal reads a non-negative decimal with a point or comma and at
// most maxScale decimals.
func parseDecimal(s string, maxScale int32) (model.Decimal, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return model.Decimal{}, errors.New("empty number")
	}
	if v[0] == '-' {
		return model.Decimal{}, errors.New("negative value")
	}
	if v[0] == '+' {
		v = v[1:]
	}
	intPart, frac, hasSep := v, "", false
	if i := strings.IndexAny(v, ",."); i >= 0 {
		intPart, frac, hasSep = v[:i], v[i+1:], true
	}
	if intPart == "" || !digits(intPart) || !digits(frac) || (hasSep && frac == "") {
		return model.Decimal{}, errors.New("not a number (want digits with a decimal point or comma)")
	}
	if int32(len(frac)) > maxScale {
		return model.Decimal{}, fmt.Errorf("more than %d decimals", maxScale)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > maxIntDigits {
		return model.Decimal{}, errors.New("number too large")
	}
	var u int64
	for _, c := range intPart + frac {
		u = u*10 + int64(c-'0')
	}
	return model.Decimal{Units: u, Scale: int32(len(frac))}, nil
}

// parseKopecks reads rubles with at most two decimals into kopecks.
func parseKopecks(s string, allowNegative bool) (int64, error) {
	v := strings.TrimSpace(s)
	neg := false
	if v != "" && v[0] == '-' {
		if !allowNegative {
			return 0, errors.New("negative amount")
		}
		neg, v = true, v[1:]
	}
	if i := strings.IndexAny(v, ",."); i >= 0 && len(v)-i-1 > 2 && digits(v[i+1:]) {
		return 0, fmt.Errorf("amount has %d decimals (kopecks are 2)", len(v)-i-1)
	}
	d, err := parseDecimal(v, 2)
	if err != nil {
		return 0, err
	}
	k := scaleTo(d, 2)
	if neg {
		k = -k
	}
	return k, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scaleTo returns d's units at scale s ≥ d.Scale (within int64: inputs are
// bounded to 12 integer digits and 6 decimals).
func scaleTo(d model.Decimal, s int32) int64 {
	u := d.Units
	for i := d.Scale; i < s; i++ {
		u *= 10
	}
	return u
}

// productKopecks is round half up of tariff × volume, in kopecks, with ok
// false when it does not fit.
func productKopecks(tariff, volume model.Decimal) (int64, bool) {
	t := uint64(scaleTo(tariff, TariffDecimals))
	v := uint64(scaleTo(volume, VolumeDecimals))
	// t × v is at scale 10; kopecks are scale 2: divide by 10^8 rounding half up.
	hi, lo := bits.Mul64(t, v)
	const div = 100_000_000
	if hi >= div {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, div)
	if r >= div/2 {
		q++
	}
	if q > 1<<62 {
		return 0, false
	}
	return int64(q), true
}

// addDec adds two non-negative decimals at the larger scale.
func addDec(a, b model.Decimal) model.Decimal {
	s := max(a.Scale, b.Scale)
	return model.Decimal{Units: scaleTo(a, s) + scaleTo(b, s), Scale: s}
}

// rubles prints kopecks as rubles with two decimals.
func rubles(k int64) string {
	sign := ""
	if k < 0 {
		sign, k = "-", -k
	}
	return fmt.Sprintf("%s%d.%02d", sign, k/100, k%100)
}
