package cabinet

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// WarnMultiple is how many times the six-month average monthly consumption (per month since the
// last reading, at least one) a new reading's consumption may reach before the resident is asked
// to confirm it. A meter with no average (readings spanning less than 28 days) or an average of
// zero is never warned about.
const WarnMultiple = 3

// VerificationSoon is how many days before the next verification date the meter information
// page warns that the meter must be verified.
const VerificationSoon = 60

// daysPerMonth turns a span of days into months for averages (365.25 / 12).
const daysPerMonth = 30.4375

// checkWindow refuses a reading submitted on a day outside the organization's reading window.
func checkWindow(w store.ReadingWindow, today time.Time) error {
	if !w.Contains(today.Day()) {
		return apperr.Invalidf("reading", "Показания принимаются с %d по %d число месяца, сегодня %d-е. Передайте их в эти дни.",
			w.From, w.To, today.Day())
	}
	return nil
}

// checkReading applies the reading checks to a new value of meter m dated date, submitted on
// today. It returns an Invalid error for a reading that cannot be taken, or a warning the
// resident must confirm (unless confirmed) for one far above the usual consumption.
func checkReading(m store.MeterCard, value model.Decimal, date, today time.Time, confirmed bool) (warning string, err error) {
	n := m.Number
	switch {
	case date.After(today):
		return "", apperr.Invalidf("reading", "Дата показания (%s) ещё не наступила. Укажите сегодняшнюю или прошедшую дату.", day(date))
	case m.LastTakenOn != nil && date.Before(*m.LastTakenOn):
		return "", apperr.Invalidf("reading", "Дата показания счётчика № %s (%s) раньше даты последнего показания (%s).", n, day(date), day(*m.LastTakenOn))
	case m.RetiredOn != nil && !date.Before(*m.RetiredOn):
		return "", apperr.Invalidf("reading", "Счётчик № %s выведен из эксплуатации %s — показания по нему не принимаются.", n, day(*m.RetiredOn))
	case m.NextVerificationOn != nil && date.After(*m.NextVerificationOn):
		return "", apperr.Invalidf("reading", "Срок поверки счётчика № %s истёк %s: показания не принимаются, пока счётчик не поверят. До поверки начисление идёт по нормативу.",
			n, day(*m.NextVerificationOn))
	case m.LastValue != nil && cmpDecimal(value, *m.LastValue) < 0:
		return "", apperr.Invalidf("reading", "Показание счётчика № %s (%s) меньше предыдущего (%s от %s). Проверьте цифры.",
			n, decimalText(value), decimalText(*m.LastValue), day(*m.LastTakenOn))
	}
	if confirmed || m.LastValue == nil || m.Average == nil || m.Average.Units <= 0 {
		return "", nil
	}
	months := math.Max(1, date.Sub(*m.LastTakenOn).Hours()/24/daysPerMonth)
	use := toFloat(value) - toFloat(*m.LastValue)
	if use <= WarnMultiple*toFloat(*m.Average)*months {
		return "", nil
	}
	return fmt.Sprintf("Расход по счётчику № %s — %s с %s — больше обычного более чем в %d раза (в среднем %s в месяц за полгода). "+
		"Проверьте цифры; если всё верно, отметьте «Подтверждаю» и отправьте ещё раз.",
		n, trimFloat(use), day(*m.LastTakenOn), WarnMultiple, decimalText(*m.Average)), nil
}

// verificationNote says in plain Russian what the next verification date means for the
// resident: "" when it is more than VerificationSoon days away or unknown; overdue is true when
// the date has passed (readings are refused and the charge is by norm).
func verificationNote(next *time.Time, today time.Time) (note string, overdue bool) {
	if next == nil {
		return "", false
	}
	days := int(math.Round(next.Sub(today).Hours() / 24))
	switch {
	case days < 0:
		return fmt.Sprintf("Срок поверки истёк %s. Показания этого счётчика не принимаются, и плата начисляется по нормативу. "+
			"Закажите поверку или замену счётчика.", day(*next)), true
	case days == 0:
		return "Срок поверки истекает сегодня. С завтрашнего дня, пока счётчик не поверят, плата будет начисляться по нормативу.", false
	case days <= VerificationSoon:
		return fmt.Sprintf("До поверки осталось %d %s (срок — %s). Закажите поверку заранее: после этой даты плата будет начисляться по нормативу.",
			days, plural(days, "день", "дня", "дней"), day(*next)), false
	}
	return "", false
}

// plural picks the Russian form for n: 1 день, 2 дня, 5 дней.
func plural(n int, one, few, many string) string {
	n %= 100
	switch {
	case n >= 11 && n <= 14:
		return many
	case n%10 == 1:
		return one
	case n%10 >= 2 && n%10 <= 4:
		return few
	}
	return many
}

func day(t time.Time) string { return t.Format("02.01.2006") }

// decimalText prints a reading as residents write it: a comma, no trailing zeros.
func decimalText(d model.Decimal) string {
	s := d.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return strings.Replace(s, ".", ",", 1)
}

// numText prints a decimal or a pointer to one (nil: —) for templates.
func numText(v any) string {
	switch d := v.(type) {
	case model.Decimal:
		return decimalText(d)
	case *model.Decimal:
		if d != nil {
			return decimalText(*d)
		}
	}
	return "—"
}

func toFloat(d model.Decimal) float64 { return float64(d.Units) / math.Pow10(int(d.Scale)) }

func trimFloat(f float64) string {
	return strings.Replace(strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", f), "0"), "."), ".", ",", 1)
}

// addDecimal adds two non-negative decimals exactly.
func addDecimal(a, b model.Decimal) model.Decimal {
	for a.Scale < b.Scale {
		a.Units, a.Scale = a.Units*10, a.Scale+1
	}
	for b.Scale < a.Scale {
		b.Units, b.Scale = b.Units*10, b.Scale+1
	}
	return model.Decimal{Units: a.Units + b.Units, Scale: a.Scale}
}

// parseDate reads the reading's date as a date input sends it (2026-10-20) or as residents type
// it (20.10.2026); empty is today.
func parseDate(s string, today time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return today, nil
	}
	for _, layout := range []string{"2006-01-02", "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, apperr.Invalidf("reading", "Дата показания указана неверно: например 20.10.2026.")
}
