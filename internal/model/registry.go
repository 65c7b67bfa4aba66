package model

import "time"

// RegistryLine is one bank registry line as the mapping leaves it, on its
// way to the payments table. A line with a Problem is quarantined as
// invalid; the others are judged against accounts and earlier payments by
// the store, all lines at once.
type RegistryLine struct {
	Line          int
	Raw           string
	Problem       string // non-empty: the line cannot be posted
	Warning       string // non-empty: posted, but worth a look
	OperationID   string
	OperationDate time.Time
	PaidAt        time.Time // zero: unknown
	AccountNumber string
	Period        time.Time // zero: not given
	Amount        int64
	Commission    int64
	PayerName     string
	MeterCodes    []string
	MeterValues   []string // decimals
}
