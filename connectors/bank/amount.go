package bank

import (
	"errors"
	"strconv"
	"strings"
)

// maxAmountDigits bounds the integer part of an amount so that kopecks never
// overflow int64 (and so that garbage digits fail fast).
const maxAmountDigits = 15

// AmountSyntax says which spellings of a money amount a profile accepts.
type AmountSyntax struct {
	// ThousandsSpaces allows spaces (and no-break spaces) between digit
	// groups, as in "4 512,37". Off by default: banks' machine files do not
	// use them, and a space usually means a field was hand-edited.
	ThousandsSpaces bool `json:"thousands_spaces,omitempty"`
}

// ParseAmount parses a non-negative money amount in rubles with a decimal
// comma or point and at most two decimals, returning kopecks. It never goes
// through floating point.
func ParseAmount(s string, syn AmountSyntax) (int64, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return 0, errors.New("empty amount")
	}
	if v[0] == '-' {
		return 0, errors.New("negative amount")
	}
	if v[0] == '+' {
		v = v[1:]
	}
	if strings.ContainsAny(v, " \u00a0\u202f\t") {
		if !syn.ThousandsSpaces {
			return 0, errors.New("amount contains a space (digit grouping is not allowed by this profile)")
		}
		v = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "\t", "").Replace(v)
	}
	intPart, frac, hasSep := v, "", false
	if i := strings.IndexAny(v, ",."); i >= 0 {
		intPart, frac, hasSep = v[:i], v[i+1:], true
		if strings.ContainsAny(frac, ",.") {
			return 0, errors.New("amount has more than one decimal separator")
		}
	}
	if intPart == "" {
		return 0, errors.New("amount has no digits before the decimal separator")
	}
	if !allDigits(intPart) || !allDigits(frac) {
		return 0, errors.New("amount is not a number")
	}
	if hasSep && frac == "" {
		return 0, errors.New("amount has no digits after the decimal separator")
	}
	if len(frac) > 2 {
		return 0, errors.New("amount has more than two decimals")
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > maxAmountDigits {
		return 0, errors.New("amount is too large")
	}
	rub := int64(0)
	if intPart != "" {
		n, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil {
			return 0, errors.New("amount is too large")
		}
		rub = n
	}
	kop := int64(0)
	switch len(frac) {
	case 1:
		kop = int64(frac[0]-'0') * 10
	case 2:
		kop = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return rub*100 + kop, nil
}

// FormatAmount prints kopecks as rubles with a decimal comma, the way
// registries spell them: 451237 → "4512,37".
func FormatAmount(kop int64) string {
	sign := ""
	if kop < 0 {
		sign, kop = "-", -kop
	}
	s := strconv.FormatInt(kop/100, 10)
	c := kop % 100
	return sign + s + "," + string(rune('0'+c/10)) + string(rune('0'+c%10))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
