// Package bankpay maps bank registry rows to canonical payments and meter
// readings, and judges each row against rules that need more than its own
// syntax: the clock (future dates), plausible periods, positive amounts,
// amount = to-transfer + commission. It is pure: no I/O, no SQL. Checks that
// need the database (the account exists and is open, the operation is not
// already posted) are set-based in the store.
package bankpay

import (
	"fmt"
	"regexp"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
)

// MSK is the zone registry times are written in. Moscow time has had no
// daylight saving since 2014, so a fixed zone needs no tz database.
var MSK = time.FixedZone("MSK", 3*60*60)

// Payment is a registry row as the canonical model wants it.
type Payment struct {
	Line          int
	Source        string    // the bank, part of the idempotency key
	OperationID   string    // the bank's operation number
	OperationDate time.Time // civil date (UTC midnight)
	PaidAt        time.Time // zero when the registry gives no time
	AccountNumber string
	Period        time.Time // first day of the month paid for; zero when not given
	Amount        int64     // kopecks, > 0
	Transfer      int64     // kopecks the bank moves to the center
	Commission    int64     // kopecks withheld by the bank
	PayerName     string
	OrderNumber   string    // payment order moving the money (row or totals line)
	OrderDate     time.Time // its date
	Readings      []Reading
	Warnings      []string // accepted, but worth an operator's eye
}

// Reading is a meter reading carried by a payment; Value is a decimal.
type Reading struct {
	MeterCode string
	Value     string
}

// Rules are the limits a row is judged by.
type Rules struct {
	// Today is the settlement center's current date; payments dated later
	// are refused.
	Today time.Time
	// PeriodBack and PeriodAhead bound the month paid for, counted in
	// months from the payment month (defaults 36 and 2).
	PeriodBack, PeriodAhead int
	// OldestYears refuses payments dated more than this many years before
	// Today (default 5): such a date is a typo, not a late registry.
	OldestYears int
}

func (r Rules) withDefaults() Rules {
	if r.PeriodBack == 0 {
		r.PeriodBack = 36
	}
	if r.PeriodAhead == 0 {
		r.PeriodAhead = 2
	}
	if r.OldestYears == 0 {
		r.OldestYears = 5
	}
	if r.Today.IsZero() {
		r.Today = time.Now().In(MSK)
	}
	y, m, d := r.Today.Date()
	r.Today = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return r
}

// accountSyntax is what the accounts table accepts as a number.
var accountSyntax = regexp.MustCompile(`^[0-9A-Za-z-]{1,30}$`)

// maxOperationID bounds the bank's operation number.
const maxOperationID = 64

// Map turns one registry row into a payment. totals is the file's totals
// line when it has one (it names the payment order for every row). A row
// that must not be posted gets problems; the payment is then incomplete and
// must go to quarantine.
func Map(row bank.Row, p *bank.Profile, totals *bank.Totals, rules Rules) (Payment, []bank.Problem) {
	rules = rules.withDefaults()
	var probs []bank.Problem
	fail := func(field, value, f string, a ...any) {
		probs = append(probs, bank.Problem{Field: field, Value: value, Reason: fmt.Sprintf(f, a...)})
	}
	pay := Payment{
		Line:          row.Line,
		Source:        p.Bank,
		OperationID:   row.OperationID,
		AccountNumber: row.Account,
		Period:        row.Period,
		Amount:        row.Amount,
		Transfer:      row.Amount,
		PayerName:     row.Payer,
		OrderNumber:   row.OrderNumber,
		OrderDate:     row.OrderDate,
	}
	y, m, d := row.Date.Date()
	pay.OperationDate = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if row.HasTime {
		h, mi, s := row.Date.Clock()
		pay.PaidAt = time.Date(y, m, d, h, mi, s, 0, MSK)
	}
	if totals != nil && pay.OrderNumber == "" {
		pay.OrderNumber, pay.OrderDate = totals.OrderNumber, totals.OrderDate
	}

	if len(row.OperationID) > maxOperationID {
		fail(bank.ColOperationID, row.OperationID, "longer than %d characters", maxOperationID)
	}
	if !accountSyntax.MatchString(row.Account) {
		fail(bank.ColAccount, row.Account, "not an account number (letters, digits and '-', at most 30)")
	}
	dateField := bank.ColDate
	if !p.Has(bank.ColDate) {
		dateField = bank.ColOperationID
	}
	switch {
	case pay.OperationDate.After(rules.Today):
		fail(dateField, pay.OperationDate.Format("02.01.2006"), "payment date is in the future (today is %s)", rules.Today.Format("02.01.2006"))
	case pay.OperationDate.Before(rules.Today.AddDate(-rules.OldestYears, 0, 0)):
		fail(dateField, pay.OperationDate.Format("02.01.2006"), "payment date is more than %d years ago", rules.OldestYears)
	}
	if !row.Period.IsZero() && !pay.OperationDate.IsZero() {
		payMonth := monthIndex(pay.OperationDate)
		per := monthIndex(row.Period)
		switch {
		case per < payMonth-rules.PeriodBack:
			fail(bank.ColPeriod, row.Period.Format("01.2006"), "more than %d months before the payment", rules.PeriodBack)
		case per > payMonth+rules.PeriodAhead:
			fail(bank.ColPeriod, row.Period.Format("01.2006"), "more than %d months after the payment", rules.PeriodAhead)
		}
	}
	if row.Amount <= 0 {
		fail(bank.ColAmount, bank.FormatAmount(row.Amount), "amount must be positive")
	}
	if row.HasTransfer {
		pay.Transfer = row.Transfer
	}
	if row.HasCommission {
		pay.Commission = row.Commission
	}
	// Contracts differ on whether the commission is withheld; a row that
	// breaks its contract's rule is posted with a warning, not refused.
	switch {
	case !row.HasTransfer:
	case p.WithholdsCommission() && row.HasCommission && row.Transfer+row.Commission != row.Amount:
		pay.Warnings = append(pay.Warnings, fmt.Sprintf("amount %s ≠ to transfer %s + commission %s",
			bank.FormatAmount(row.Amount), bank.FormatAmount(row.Transfer), bank.FormatAmount(row.Commission)))
	case !p.WithholdsCommission() && row.Transfer != row.Amount:
		pay.Warnings = append(pay.Warnings, fmt.Sprintf("to transfer %s ≠ amount %s (the contract bills the commission separately)",
			bank.FormatAmount(row.Transfer), bank.FormatAmount(row.Amount)))
	}
	if row.HasTransfer && row.Transfer > row.Amount {
		fail(bank.ColTransfer, bank.FormatAmount(row.Transfer), "to transfer exceeds the amount paid %s", bank.FormatAmount(row.Amount))
	}
	if len(row.Services) > 0 {
		var sum int64
		for _, s := range row.Services {
			sum += s.Amount
		}
		if sum != row.Amount {
			pay.Warnings = append(pay.Warnings, fmt.Sprintf("service amounts sum to %s, the payment is %s",
				bank.FormatAmount(sum), bank.FormatAmount(row.Amount)))
		}
	}
	for _, mr := range row.Meters {
		pay.Readings = append(pay.Readings, Reading{MeterCode: mr.Code, Value: mr.Value})
	}
	return pay, probs
}

func monthIndex(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }
