package cabinet

import (
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func dec(units int64, scale int32) *model.Decimal { return &model.Decimal{Units: units, Scale: scale} }

func ptr[T any](v T) *T { return &v }

// TestCheckReading: every reading check with its exact message, and the limits: equal to the
// previous is taken, a reading on the retirement day is not, on the verification day it is.
func TestCheckReading(t *testing.T) {
	today := d(2026, 10, 20)
	meter := store.MeterCard{MeterID: 7, Number: "01-77", LastValue: dec(123456, 3), LastTakenOn: ptr(d(2026, 9, 20)),
		Average: dec(5000, 3), NextVerificationOn: ptr(d(2027, 1, 1))}
	with := func(f func(*store.MeterCard)) store.MeterCard { m := meter; f(&m); return m }
	for _, c := range []struct {
		name      string
		m         store.MeterCard
		value     model.Decimal
		date      time.Time
		confirmed bool
		err, warn string
	}{
		{name: "ordinary", m: meter, value: *dec(128, 0), date: today},
		{name: "equal to the previous", m: meter, value: *dec(1234560, 4), date: today},
		{name: "first reading of a meter", m: with(func(m *store.MeterCard) { m.LastValue, m.LastTakenOn, m.Average = nil, nil, nil }), value: *dec(5, 0), date: today},
		{name: "below the previous", m: meter, value: *dec(123455, 3), date: today,
			err: "Показание счётчика № 01-77 (123,455) меньше предыдущего (123,456 от 20.09.2026). Проверьте цифры."},
		{name: "in the future", m: meter, value: *dec(130, 0), date: d(2026, 10, 21),
			err: "Дата показания (21.10.2026) ещё не наступила. Укажите сегодняшнюю или прошедшую дату."},
		{name: "before the last reading", m: meter, value: *dec(130, 0), date: d(2026, 9, 19),
			err: "Дата показания счётчика № 01-77 (19.09.2026) раньше даты последнего показания (20.09.2026)."},
		{name: "retired", m: with(func(m *store.MeterCard) { m.RetiredOn = ptr(today) }), value: *dec(130, 0), date: today,
			err: "Счётчик № 01-77 выведен из эксплуатации 20.10.2026 — показания по нему не принимаются."},
		{name: "retired tomorrow", m: with(func(m *store.MeterCard) { m.RetiredOn = ptr(d(2026, 10, 21)) }), value: *dec(130, 0), date: today},
		{name: "verification expired", m: with(func(m *store.MeterCard) { m.NextVerificationOn = ptr(d(2026, 10, 19)) }), value: *dec(130, 0), date: today,
			err: "Срок поверки счётчика № 01-77 истёк 19.10.2026: показания не принимаются, пока счётчик не поверят. До поверки начисление идёт по нормативу."},
		{name: "verification due today", m: with(func(m *store.MeterCard) { m.NextVerificationOn = ptr(today) }), value: *dec(130, 0), date: today},
		// One month since the last reading, average 5: up to 15 is usual, above asks.
		{name: "three times the average", m: meter, value: *dec(138456, 3), date: today},
		{name: "above three times the average", m: meter, value: *dec(138457, 3), date: today,
			warn: "Расход по счётчику № 01-77 — 15,001 с 20.09.2026 — больше обычного более чем в 3 раза (в среднем 5 в месяц за полгода). Проверьте цифры; если всё верно, отметьте «Подтверждаю» и отправьте ещё раз."},
		{name: "above, confirmed", m: meter, value: *dec(138457, 3), date: today, confirmed: true},
		{name: "two months since the last: twice the allowance", m: with(func(m *store.MeterCard) { m.LastTakenOn = ptr(d(2026, 8, 20)) }),
			value: *dec(150, 0), date: today},
		{name: "no average: no warning", m: with(func(m *store.MeterCard) { m.Average = nil }), value: *dec(9999, 0), date: today},
		{name: "zero average: no warning", m: with(func(m *store.MeterCard) { m.Average = dec(0, 3) }), value: *dec(9999, 0), date: today},
	} {
		warn, err := checkReading(c.m, c.value, c.date, today, c.confirmed)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.err != "" && (!apperr.Is(err, apperr.Invalid) || apperr.UserMessage(err) != c.err):
			t.Errorf("%s: error %q, want Invalid %q", c.name, apperr.UserMessage(err), c.err)
		case warn != c.warn:
			t.Errorf("%s: warning %q, want %q", c.name, warn, c.warn)
		}
	}
}

func TestCheckWindow(t *testing.T) {
	w := store.ReadingWindow{From: 15, To: 25}
	for day, ok := range map[int]bool{14: false, 15: true, 20: true, 25: true, 26: false} {
		err := checkWindow(w, d(2026, 10, day))
		if ok != (err == nil) {
			t.Errorf("day %d: %v", day, err)
		}
		if want := "Показания принимаются с 15 по 25 число месяца, сегодня "; err != nil && !strings.HasPrefix(apperr.UserMessage(err), want) {
			t.Errorf("day %d: %q, want %q…", day, apperr.UserMessage(err), want)
		}
	}
	if err := checkWindow(store.ReadingWindow{From: 1, To: 31}, d(2026, 10, 31)); err != nil {
		t.Errorf("a 1–31 window takes every day: %v", err)
	}
}

// TestVerificationNote: more than 60 days away says nothing; 60 days to 1 day warns; the day
// itself warns it is the last; after it, overdue.
func TestVerificationNote(t *testing.T) {
	today := d(2026, 10, 20)
	for _, c := range []struct {
		days    int
		want    string
		overdue bool
	}{
		{61, "", false},
		{60, "До поверки осталось 60 дней (срок — 19.12.2026). Закажите поверку заранее: после этой даты плата будет начисляться по нормативу.", false},
		{22, "До поверки осталось 22 дня (срок — 11.11.2026). Закажите поверку заранее: после этой даты плата будет начисляться по нормативу.", false},
		{1, "До поверки осталось 1 день (срок — 21.10.2026). Закажите поверку заранее: после этой даты плата будет начисляться по нормативу.", false},
		{0, "Срок поверки истекает сегодня. С завтрашнего дня, пока счётчик не поверят, плата будет начисляться по нормативу.", false},
		{-1, "Срок поверки истёк 19.10.2026. Показания этого счётчика не принимаются, и плата начисляется по нормативу. Закажите поверку или замену счётчика.", true},
	} {
		note, overdue := verificationNote(ptr(today.AddDate(0, 0, c.days)), today)
		if note != c.want || overdue != c.overdue {
			t.Errorf("%d days: %q, overdue %v; want %q, %v", c.days, note, overdue, c.want, c.overdue)
		}
	}
	if note, _ := verificationNote(nil, today); note != "" {
		t.Errorf("unknown date: %q", note)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/accounts/5/readings":         "/accounts/5/readings",
		"/accounts/5/meters?x=1":       "/accounts/5/meters?x=1",
		"":                             "",
		"//evil.example/":              "",
		"/\\evil.example":              "",
		"https://evil.example/":        "",
		"evil":                         "",
		"/a\r\nSet-Cookie: x":          "",
		"javascript:alert(1)":          "",
		"/" + strings.Repeat("a", 600): "",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConsumptionChart: bars for trusted readings with consumption only, oldest first, the
// highest reaching the top of the plot.
func TestConsumptionChart(t *testing.T) {
	rows := []store.HistoryRow{
		{TakenOn: d(2026, 10, 20), Value: *dec(30, 0), Consumption: dec(10, 0)},
		{TakenOn: d(2026, 9, 20), Value: *dec(20, 0), Consumption: dec(5, 0)},
		{TakenOn: d(2026, 9, 25), Value: *dec(99, 0), Flag: "contradicts"},
		{TakenOn: d(2026, 8, 20), Value: *dec(15, 0)},
	}
	ch := consumptionChart(rows)
	if ch == nil || len(ch.Bars) != 2 {
		t.Fatalf("chart %+v", ch)
	}
	if ch.Bars[0].Label != "сен" || ch.Bars[1].Label != "окт" || ch.Bars[1].H <= ch.Bars[0].H || ch.Bars[1].Y+ch.Bars[1].H != ch.Base {
		t.Errorf("bars %+v", ch.Bars)
	}
	if consumptionChart(rows[3:]) != nil {
		t.Error("a chart without consumption")
	}
}

func TestRowValue(t *testing.T) {
	row := meterRow{MeterCard: store.MeterCard{Number: "5", LastValue: dec(1005, 1)}}
	row.Use = "2,25"
	if v, err := rowValue(&row); err != nil || decimalText(v) != "102,75" {
		t.Errorf("last 100,5 + 2,25 = %v, %v", v, err)
	}
	row.Value = "103"
	if _, err := rowValue(&row); apperr.UserMessage(err) != "Для счётчика № 5 укажите показание или расход, а не то и другое." {
		t.Errorf("both: %v", err)
	}
	row = meterRow{MeterCard: store.MeterCard{Number: "5"}, Use: "3"}
	if _, err := rowValue(&row); apperr.UserMessage(err) != "У счётчика № 5 ещё нет показаний: введите показание, а не расход." {
		t.Errorf("consumption without a previous reading: %v", err)
	}
	row.Use = "-3"
	if _, err := rowValue(&row); apperr.UserMessage(err) != "Расход — число, например 3,5 (не больше 4 знаков после запятой)." {
		t.Errorf("negative consumption: %v", err)
	}
}
