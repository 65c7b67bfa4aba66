package giszhkh

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Rubles formats kopecks as a ruble amount with two decimals ("1234.50"),
// the form of bills MoneyType and payment Amount (MoneyPositiveType).
func Rubles(kopecks int64) string {
	var b [24]byte
	out := b[:0]
	if kopecks < 0 {
		out = append(out, '-')
		kopecks = -kopecks
	}
	out = strconv.AppendInt(out, kopecks/100, 10)
	out = append(out, '.', byte('0'+kopecks%100/10), byte('0'+kopecks%10))
	return string(out)
}

// ParseRubles parses a decimal ruble amount ("12", "12.3", "-12.34") into
// kopecks. More than two decimals is an error: GIS money has at most two.
func ParseRubles(s string) (int64, error) {
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole+frac, "+-") {
		return 0, fmt.Errorf("giszhkh: amount %q is not a ruble amount with at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("giszhkh: amount %q: %w", s, err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("giszhkh: amount %q: %w", s, err)
	}
	if w > math.MaxInt64/100-1 {
		return 0, fmt.Errorf("giszhkh: amount %q is too large", s)
	}
	k := w*100 + f
	if neg {
		k = -k
	}
	return k, nil
}
