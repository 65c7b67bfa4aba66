package bankpay

import (
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
)

func sber13(t *testing.T) *bank.Profile {
	t.Helper()
	p, err := bank.NewSet(bank.Builtin()...).Get("sber-zhku-13")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func goodRow() bank.Row {
	return bank.Row{
		Line: 7, Date: time.Date(2025, 3, 15, 9, 41, 17, 0, time.UTC), HasTime: true,
		OperationID: "10284736251", Account: "1002003004", Payer: "ИВАНОВ ИВАН ИВАНОВИЧ",
		Period: day(2025, 2, 1), Amount: 451237, Transfer: 446725, Commission: 4512,
		HasTransfer: true, HasCommission: true, Channel: "1",
		Meters: []bank.MeterReading{{Code: "101", Value: "345.120"}},
	}
}

func TestMap(t *testing.T) {
	rules := Rules{Today: day(2025, 3, 20)}
	totals := &bank.Totals{OrderNumber: "551234", OrderDate: day(2025, 3, 16)}
	tests := []struct {
		name    string
		edit    func(r *bank.Row)
		problem string // "field: reason" substring, or ""
		warning string
	}{
		{name: "good"},
		{name: "future date", edit: func(r *bank.Row) { r.Date = day(2025, 3, 21) }, problem: "date: payment date is in the future (today is 20.03.2025)"},
		{name: "today", edit: func(r *bank.Row) { r.Date = day(2025, 3, 20) }},
		{name: "ancient date", edit: func(r *bank.Row) { r.Date = day(2019, 3, 20); r.Period = day(2019, 2, 1) }, problem: "date: payment date is more than 5 years ago"},
		{name: "zero amount", edit: func(r *bank.Row) { r.Amount, r.Transfer, r.Commission = 0, 0, 0 }, problem: "amount: amount must be positive"},
		{name: "period too old", edit: func(r *bank.Row) { r.Period = day(2022, 2, 1) }, problem: "period: more than 36 months before the payment"},
		{name: "period 36 months back", edit: func(r *bank.Row) { r.Period = day(2022, 3, 1) }},
		{name: "period too far ahead", edit: func(r *bank.Row) { r.Period = day(2025, 6, 1) }, problem: "period: more than 2 months after the payment"},
		{name: "period 2 months ahead", edit: func(r *bank.Row) { r.Period = day(2025, 5, 1) }},
		{name: "commission mismatch warns", edit: func(r *bank.Row) { r.Commission = 4500 }, warning: "amount 4512,37 ≠ to transfer 4467,25 + commission 45,00"},
		{name: "transfer above amount", edit: func(r *bank.Row) { r.Transfer = 500000 }, problem: "transfer: to transfer exceeds the amount paid",
			warning: "amount 4512,37 ≠ to transfer 5000,00 + commission 45,12"},
		{name: "bad account characters", edit: func(r *bank.Row) { r.Account = "1002/003" }, problem: "account: not an account number"},
		{name: "service split mismatch", edit: func(r *bank.Row) { r.Services = []bank.ServiceAmount{{Code: "01", Amount: 100}} }, warning: "service amounts sum to 1,00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := goodRow()
			if tt.edit != nil {
				tt.edit(&row)
			}
			pay, probs := Map(row, sber13(t), totals, rules)
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			joined := strings.Join(got, "; ")
			if tt.problem == "" && len(probs) > 0 {
				t.Fatalf("unexpected problems: %s", joined)
			}
			if tt.problem != "" {
				field, reason, _ := strings.Cut(tt.problem, ": ")
				if len(probs) != 1 || probs[0].Field != field || !strings.Contains(probs[0].Reason, reason) {
					t.Errorf("problems = %q, want one in field %s: %q", joined, field, reason)
				}
			}
			if w := strings.Join(pay.Warnings, "; "); tt.warning != "" && !strings.Contains(w, tt.warning) || tt.warning == "" && w != "" {
				t.Errorf("warnings = %q, want %q", w, tt.warning)
			}
		})
	}
}

func TestCommissionBilledSeparately(t *testing.T) {
	p := *sber13(t)
	no := false
	p.CommissionWithheld = &no
	rules := Rules{Today: day(2025, 3, 20)}
	row := goodRow() // to transfer 4467,25 of 4512,37: wrong for this contract
	if pay, _ := Map(row, &p, nil, rules); len(pay.Warnings) != 1 || !strings.Contains(pay.Warnings[0], "bills the commission separately") {
		t.Errorf("warnings = %v", pay.Warnings)
	}
	row.Transfer = row.Amount
	if pay, _ := Map(row, &p, nil, rules); len(pay.Warnings) != 0 {
		t.Errorf("warnings = %v", pay.Warnings)
	}
}

func TestMapFields(t *testing.T) {
	pay, probs := Map(goodRow(), sber13(t), &bank.Totals{OrderNumber: "551234", OrderDate: day(2025, 3, 16)}, Rules{Today: day(2025, 3, 20)})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want := Payment{
		Line: 7, Source: "sberbank", OperationID: "10284736251", OperationDate: day(2025, 3, 15),
		PaidAt: time.Date(2025, 3, 15, 9, 41, 17, 0, MSK), AccountNumber: "1002003004", Period: day(2025, 2, 1),
		Amount: 451237, Transfer: 446725, Commission: 4512, PayerName: "ИВАНОВ ИВАН ИВАНОВИЧ",
		OrderNumber: "551234", OrderDate: day(2025, 3, 16), Readings: []Reading{{"101", "345.120"}},
	}
	if pay.PaidAt.UTC() != want.PaidAt.UTC() || pay.OperationDate != want.OperationDate || pay.Source != want.Source ||
		pay.OrderNumber != want.OrderNumber || pay.Transfer != want.Transfer || pay.Commission != want.Commission ||
		len(pay.Readings) != 1 || pay.Readings[0] != want.Readings[0] || pay.Period != want.Period {
		t.Errorf("Map =\n%+v\nwant\n%+v", pay, want)
	}
	if pay.PaidAt.UTC().Hour() != 6 {
		t.Errorf("paid at %v: registry times are Moscow time", pay.PaidAt.UTC())
	}
}
