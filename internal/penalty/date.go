package penalty

import "time"

// Dates are civil days. Inside the package a day is its number since 1970-01-01 (int32) and a billing period
// is its month number year*12 + month-1, which keeps the per-day walk free of time.Time arithmetic.

// dayOf returns the day number of t's calendar date, in t's own location.
func dayOf(t time.Time) int32 {
	y, m, d := t.Date()
	return civilDay(y, int(m), d)
}

// civilDay is the days-from-civil algorithm (proleptic Gregorian calendar).
func civilDay(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// dayTime returns the day as midnight UTC.
func dayTime(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func monthOf(t time.Time) int32 { return int32(t.Year()*12 + int(t.Month()) - 1) }

// monthTime returns the first day of the month number, midnight UTC.
func monthTime(m int32) time.Time {
	return time.Date(int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// dueDay returns the day number of the given day of the month after period, clamped to that month's length.
func dueDay(period int32, day int) int32 {
	next := period + 1
	y, m := int(next/12), int(next%12)+1
	first := civilDay(y, m, 1)
	var nm int32
	if m == 12 {
		nm = civilDay(y+1, 1, 1)
	} else {
		nm = civilDay(y, m+1, 1)
	}
	return first + min(int32(day), nm-first) - 1
}
