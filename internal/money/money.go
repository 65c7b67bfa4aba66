// Package money formats kopecks for people: one formatter for the admin
// console and the residents' cabinet.
package money

import (
	"fmt"
	"strings"
)

// Rubles prints kopecks as rubles with a decimal comma, groups of thousands
// separated by no-break spaces, and a typographic minus: 123456 → "1 234,56",
// -100 → "−1,00".
func Rubles(kopecks int64) string {
	sign := ""
	if kopecks < 0 {
		sign, kopecks = "−", -kopecks
	}
	rub := fmt.Sprint(kopecks / 100)
	var b strings.Builder
	for i, c := range rub {
		if i > 0 && (len(rub)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s,%02d", sign, b.String(), kopecks%100)
}
