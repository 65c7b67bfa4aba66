// Package docs maps what the store holds about an account into the payment
// document (ЕПД) and the debt-free certificate the receipt package renders,
// with the GOST R 56042 payment QR code. It is pure: the store loads, this
// package maps, receipt draws.
package docs

import (
	"fmt"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/payqr"
	"github.com/zhkhgate/zhkhgate/internal/penalty"
	"github.com/zhkhgate/zhkhgate/internal/receipt"
)

// QRSize is the side of the QR code image in pixels; the PDF prints it 34 mm
// wide, so 400 px is about 300 dpi.
const QRSize = 400

// dueRules date the payment: the penalty table's due-date rules (the 10th
// of the next month, the 15th for periods from February 2026).
var dueRules = penalty.Default()

// recalculationReason is printed for a recalculation when the billing did not
// pass its reason: section 6 requires one, and the store keeps none per charge.
const recalculationReason = "перерасчёт по данным начислений (основание не передано)"

// meterServices names the service and unit of an individual meter's resource.
var meterServices = map[string][2]string{
	"cold_water":  {"Холодное водоснабжение", "м³"},
	"hot_water":   {"Горячее водоснабжение", "м³"},
	"electricity": {"Электроснабжение", "кВт·ч"},
	"heat":        {"Отопление", "Гкал"},
	"gas":         {"Газоснабжение", "м³"},
	"wastewater":  {"Водоотведение", "м³"},
}

// Period converts a month's first day to a receipt period.
func Period(p time.Time) receipt.Period { return receipt.Period{Year: p.Year(), Month: p.Month()} }

// recipient maps the payee; bank details go to the QR code as well.
func recipient(p model.PayeeDetails) receipt.Organization {
	return receipt.Organization{Name: p.Name, INN: p.INN, KPP: p.KPP, Address: p.Address,
		Bank: receipt.BankDetails{Name: p.BankName, BIC: p.BIK, Account: p.SettlementAccount, CorrAccount: p.CorrAccount}}
}

// Document builds the payment document of d with its QR code, and checks it
// the way receipt.Validate does: stored totals that do not add up are an
// apperr.Invalid naming the account, the period and the first inconsistent
// field, never silently corrected.
func Document(d model.DocumentData) (receipt.Document, error) {
	h, t := d.Header, d.Document
	op := fmt.Sprintf("payment document of account %s for %s", h.Number, t.Period.Format("2006-01"))
	next := t.Period.AddDate(0, 1, 0)
	due, err := dueRules.DueDate(penalty.Housing, t.Period)
	if err != nil {
		return receipt.Document{}, fmt.Errorf("%s: %w", op, err)
	}
	doc := receipt.Document{
		Recipient:      recipient(h.Payee),
		Payer:          receipt.Payer{Name: h.PayerName, Address: h.Address, Area: quantity(h.Area, 0), Residents: h.Residents},
		AccountNumber:  h.Number,
		UnifiedAccount: h.ELS,
		ServiceID:      h.ZhkuID,
		Period:         Period(t.Period),
		Number:         t.Number,
		// The document of a month is issued on the first day of the next one.
		IssueDate: next,
		DueDate:   due,
		Totals: receipt.Totals{OpeningBalance: t.OpeningBalance, Paid: t.Paid, Charged: t.Charged,
			Penalties: t.Penalties, TotalToPay: t.TotalDue},
	}
	if d.LastPaymentDate != nil {
		doc.Totals.LastPaymentDate = *d.LastPaymentDate
	}
	for _, l := range d.Lines {
		line := receipt.Line{Service: l.Service, Unit: l.Unit, VolumeIndividual: quantity(l.Volume, 0),
			NormIndividual: quantity(l.Norm, 0), Tariff: quantity(l.Tariff, 2), Charged: l.Amount,
			Recalculation: l.Recalculation, Benefit: l.Benefit, Total: l.Total}
		if l.Recalculation != 0 {
			line.RecalculationReason = recalculationReason
		}
		doc.Totals.Recalculations += l.Recalculation
		if l.Kind == "capital_repair" && doc.CapitalRepair == nil {
			doc.CapitalRepair = &receipt.CapitalRepair{Line: line}
			continue
		}
		doc.Lines = append(doc.Lines, line)
	}
	for _, m := range d.Meters {
		svc, ok := meterServices[m.Resource]
		if !ok {
			svc = [2]string{m.Resource, ""}
		}
		rm := receipt.Meter{Number: m.Number, Service: svc[0], Unit: svc[1], Previous: quantity(m.Previous, 0),
			Current: quantity(m.Current, 0), Consumption: quantity(m.Consumption, 0)}
		if m.PreviousOn != nil {
			rm.PreviousDate = *m.PreviousOn
		}
		if m.CurrentOn != nil {
			rm.CurrentDate = *m.CurrentOn
		}
		if m.NextVerification != nil {
			rm.VerificationDate = *m.NextVerification
		}
		doc.Meters = append(doc.Meters, rm)
	}
	if t.Penalties > 0 {
		doc.PenaltyNote = "Пени начислены за просрочку оплаты по ч. 14 ст. 155 ЖК РФ."
	}

	if p := h.Payee; p.BIK == "" || p.SettlementAccount == "" || p.BankName == "" {
		return doc, apperr.Invalidf(op, "the payee %s (INN %s) has no bank details (bank, BIC, settlement account): a payment document cannot be printed without them", p.Name, p.INN)
	}
	payload, err := payqr.Encode(QRPayment(h, t), payqr.UTF8)
	if err != nil {
		return doc, fmt.Errorf("%s: qr code: %w", op, err)
	}
	if doc.QRPNG, err = payqr.PNG(payload, QRSize); err != nil {
		return doc, fmt.Errorf("%s: qr code: %w", op, err)
	}
	if err := doc.Validate(); err != nil {
		// The message names the account and month, so an operator's CLI and a log line say which document is wrong.
		return doc, apperr.E(apperr.KindOf(err), op, apperr.UserMessage(err))
	}
	return doc, nil
}

// QRPayment is the payment order of the document's QR code: the payee and
// its bank, the sum to pay (absent for an overpaid account, so the payer's
// app asks for it), the account and the month. No Purpose: bank apps compose
// it from PersAcc and PaymPeriod, and a shorter payload keeps the printed
// code's modules large enough to scan.
func QRPayment(h model.AccountHeader, t model.DocumentTotals) payqr.Payment {
	name := h.Payee.ShortName
	if name == "" {
		name = h.Payee.Name
	}
	return payqr.Payment{
		Name: name, PersonalAcc: h.Payee.SettlementAccount, BankName: h.Payee.BankName, BIC: h.Payee.BIK,
		CorrespAcc: h.Payee.CorrAccount, PayeeINN: h.Payee.INN, KPP: h.Payee.KPP, Sum: max(t.TotalDue, 0),
		PersAcc: h.Number, PaymPeriod: t.Period.Format("012006"), Category: "ЖКУ",
		TechCode: payqr.TechCodeHousing,
	}
}

// Certificate builds the debt-free certificate of an account on a day with
// the balance the store computed; receipt refuses it when the account owes.
func Certificate(h model.AccountHeader, balance int64, day time.Time) receipt.Certificate {
	o := recipient(h.Payee)
	o.Bank = receipt.BankDetails{}
	return receipt.Certificate{
		Organization: o, Number: fmt.Sprintf("%s-%s", h.Number, day.Format("20060102")),
		IssueDate: day, AsOf: day, AccountNumber: h.Number, UnifiedAccount: h.ELS, Address: h.Address,
		Payer: h.PayerName, Area: quantity(h.Area, 0), Balance: balance,
	}
}

// CheckCertificate answers before any PDF is drawn whether the certificate
// can be issued: an apperr.Conflict naming the debt (in Russian, for the
// resident or operator) when the account owes.
func CheckCertificate(h model.AccountHeader, balance int64) error {
	if err := receipt.CheckNoDebt(balance); err != nil {
		return apperr.E(apperr.KindOf(err), "certificate for account "+h.Number,
			fmt.Sprintf("лицевой счёт %s: %s", h.Number, apperr.UserMessage(err)))
	}
	return nil
}

// quantity drops trailing zeros of the store's numeric text (45.670000 →
// 45.67) keeping at least minFrac decimals; the value is unchanged, only
// its padding goes.
func quantity(s string, minFrac int) receipt.Quantity {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return receipt.Quantity(s)
	}
	end := len(s)
	for end > dot+1+minFrac && s[end-1] == '0' {
		end--
	}
	if end == dot+1 {
		end = dot
	}
	return receipt.Quantity(s[:end])
}
