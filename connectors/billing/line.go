package billing

import (
	"fmt"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Column names, shared by the text header and the JSON keys.
const (
	ColAccount       = "account"
	ColService       = "service"
	ColUnit          = "unit"
	ColTariff        = "tariff"
	ColVolume        = "volume"
	ColCommonVolume  = "common_volume"
	ColNorm          = "norm"
	ColCharged       = "charged"
	ColRecalculation = "recalculation"
	ColRecalcReason  = "recalc_reason"
	ColBenefit       = "benefit"
	ColTotal         = "total"
	ColCalc          = "calc"
)

// columns lists every column in the documented order.
var columns = []string{ColAccount, ColService, ColUnit, ColTariff, ColVolume, ColCommonVolume, ColNorm, ColCharged,
	ColRecalculation, ColRecalcReason, ColBenefit, ColTotal, ColCalc}

// required columns must be present in the header (or keys in JSON).
var required = []string{ColAccount, ColService, ColTariff, ColVolume, ColCharged, ColTotal}

// fields is a line's values by column, as text, before checking.
type fields [13]string

func colIndex(name string) int {
	for i, c := range columns {
		if c == name {
			return i
		}
	}
	return -1
}

const maxTextField = 200

// check turns the text fields of a line into a Line, or lists what is wrong.
func check(f *fields, l *Line) (probs []Problem, chargedOK, totalOK bool) {
	bad := func(col, val, reason string) { probs = append(probs, Problem{Column: col, Value: val, Reason: reason}) }
	get := func(col string) string { return strings.TrimSpace(f[colIndex(col)]) }

	l.Account, l.Service, l.Unit = get(ColAccount), get(ColService), get(ColUnit)
	l.RecalcReason, l.Calc = get(ColRecalcReason), strings.ToLower(get(ColCalc))
	switch {
	case l.Account == "":
		bad(ColAccount, "", "empty account number")
	case len(l.Account) > 30 || !accountChars(l.Account):
		bad(ColAccount, l.Account, "account number must be 1-30 letters, digits or '-'")
	}
	if l.Service == "" {
		bad(ColService, "", "empty service code")
	}
	for _, c := range []string{ColService, ColUnit, ColRecalcReason} {
		if len(get(c)) > maxTextField {
			bad(c, "", fmt.Sprintf("longer than %d bytes", maxTextField))
		}
	}
	dec := func(col string, scale int32, optional bool) (model.Decimal, bool, bool) {
		v := get(col)
		if v == "" && optional {
			return model.Decimal{}, false, true
		}
		d, err := parseDecimal(v, scale)
		if err != nil {
			bad(col, v, err.Error())
			return model.Decimal{}, false, false
		}
		return d, true, true
	}
	kop := func(col string, neg, optional bool) (int64, bool) {
		v := get(col)
		if v == "" && optional {
			return 0, true
		}
		k, err := parseKopecks(v, neg)
		if err != nil {
			bad(col, v, err.Error())
			return 0, false
		}
		return k, true
	}
	var tok, vok, cok bool
	l.Tariff, _, tok = dec(ColTariff, TariffDecimals, false)
	l.Volume, _, vok = dec(ColVolume, VolumeDecimals, false)
	l.CommonVolume, _, cok = dec(ColCommonVolume, VolumeDecimals, true)
	if n, has, _ := dec(ColNorm, VolumeDecimals, true); has {
		l.Norm = &n
	}
	var chok, rok, bok, took bool
	l.Charged, chok = kop(ColCharged, false, false)
	l.Recalculation, rok = kop(ColRecalculation, true, true)
	l.Benefit, bok = kop(ColBenefit, false, true)
	l.Total, took = kop(ColTotal, true, false)

	switch l.Calc {
	case "", CalcVolume:
		l.Calc = CalcVolume
		if tok && vok && cok && chok {
			want, ok := productKopecks(l.Tariff, addDec(l.Volume, l.CommonVolume))
			switch {
			case !ok:
				bad(ColCharged, "", "tariff × volume is too large")
			case abs(l.Charged-want) > ChargedTolerance:
				bad(ColCharged, rubles(l.Charged), fmt.Sprintf("tariff %s × volume %s = %s, not the charged amount (tolerance %d kopeck; mark calc=other if computed otherwise)",
					l.Tariff, addDec(l.Volume, l.CommonVolume), rubles(want), ChargedTolerance))
			}
		}
	case CalcOther:
	default:
		bad(ColCalc, l.Calc, "unknown calculation method (want empty, volume or other)")
	}
	if rok && l.Recalculation != 0 && l.RecalcReason == "" {
		bad(ColRecalcReason, "", "a recalculation needs its reason")
	}
	if chok && rok && bok && took && l.Charged+l.Recalculation-l.Benefit != l.Total {
		bad(ColTotal, rubles(l.Total), fmt.Sprintf("charged %s + recalculation %s − benefit %s = %s",
			rubles(l.Charged), rubles(l.Recalculation), rubles(l.Benefit), rubles(l.Charged+l.Recalculation-l.Benefit)))
	}
	return probs, chok, took
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func accountChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
