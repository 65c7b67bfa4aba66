package bankpay

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Lines maps a registry reader's rows to registry lines, one per Next. A
// line the reader refuses keeps its text and reason as a Problem; a row
// Map judges gets its problems and warnings joined. It also collects the
// payment order the lines name, for formats without a totals line.
type Lines struct {
	r     *bank.Reader
	p     *bank.Profile
	rules Rules
	order struct {
		number string
		date   time.Time
		mixed  bool
	}
}

// NewLines reads r, whose rows follow profile p, judged by rules.
func NewLines(r *bank.Reader, p *bank.Profile, rules Rules) *Lines {
	return &Lines{r: r, p: p, rules: rules}
}

// Next returns the next line, or nil at the end of the rows (the reader's
// Summary then says whether the file was complete and consistent). An
// error is a failure to read, not a bad line.
func (l *Lines) Next() (*model.RegistryLine, error) {
	row, err := l.r.Next()
	var le *bank.LineError
	var re *bank.RejectedError
	switch {
	case errors.Is(err, io.EOF), errors.As(err, &re):
		return nil, nil // the summary tells which
	case errors.As(err, &le):
		return &model.RegistryLine{Line: le.Line, Raw: le.Raw, Problem: le.Reason()}, nil
	case err != nil:
		return nil, err
	}
	pay, probs := Map(row, l.p, nil, l.rules)
	l.see(pay.OrderNumber, pay.OrderDate)
	out := &model.RegistryLine{
		Line: row.Line, Raw: row.Raw, OperationID: pay.OperationID, OperationDate: pay.OperationDate,
		PaidAt: pay.PaidAt, AccountNumber: pay.AccountNumber, Period: pay.Period, Amount: pay.Amount,
		Commission: pay.Commission, PayerName: pay.PayerName, Warning: strings.Join(pay.Warnings, "; "),
	}
	if len(probs) > 0 {
		parts := make([]string, len(probs))
		for i, pr := range probs {
			parts[i] = pr.String()
		}
		out.Problem = strings.Join(parts, "; ")
	}
	for _, rd := range pay.Readings {
		out.MeterCodes = append(out.MeterCodes, rd.MeterCode)
		out.MeterValues = append(out.MeterValues, rd.Value)
	}
	return out, nil
}

func (l *Lines) see(number string, date time.Time) {
	o := &l.order
	switch {
	case number == "" || o.mixed:
	case o.number == "":
		o.number, o.date = number, date
	case o.number != number || !o.date.Equal(date):
		o.mixed = true
	}
}

// Order is the payment order every line read so far named, when they all
// named the same one.
func (l *Lines) Order() (number string, date time.Time, ok bool) {
	if l.order.number == "" || l.order.mixed {
		return "", time.Time{}, false
	}
	return l.order.number, l.order.date, true
}
