package receipt

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/money"
)

var (
	reQuantity = regexp.MustCompile(`^-?[0-9]{1,12}([.,][0-9]{1,8})?$`)
	pngMagic   = []byte("\x89PNG\r\n\x1a\n")
)

// CheckNoDebt refuses a debt-free certificate for a positive balance
// (kopecks, positive = debt) with an apperr.Conflict naming the amount.
// Certificate validation calls it too, so RenderCertificate never prints a
// certificate for an account in debt; callers may call it first to answer
// before assembling the certificate.
func CheckNoDebt(balanceKopecks int64) error {
	if balanceKopecks > 0 {
		return apperr.E(apperr.Conflict, "receipt: check debt",
			fmt.Sprintf("справка не может быть выдана: задолженность %s ₽", money.Rubles(balanceKopecks)))
	}
	return nil
}

// checker collects the first validation error with the field's path.
type checker struct {
	op  string
	err error
}

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = apperr.Invalidf(c.op, "%s: %s", field, fmt.Sprintf(format, args...))
	}
}

// text checks that s is printable with the embedded fonts; required also
// demands it is not blank.
func (c *checker) text(field, s string, required bool, maxRunes int) {
	if required && strings.TrimSpace(s) == "" {
		c.fail(field, "missing")
		return
	}
	if !utf8.ValidString(s) {
		c.fail(field, "not valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(s); maxRunes > 0 && n > maxRunes {
		c.fail(field, "%d characters, at most %d", n, maxRunes)
		return
	}
	for _, r := range s {
		if !printable(r) {
			c.fail(field, "character %q (U+%04X) cannot be printed", r, r)
			return
		}
	}
}

func (c *checker) digits(field, s string, lengths ...int) {
	if s == "" {
		c.fail(field, "missing")
		return
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			c.fail(field, "%q is not digits", s)
			return
		}
	}
	for _, n := range lengths {
		if len(s) == n {
			return
		}
	}
	c.fail(field, "%q has %d digits, want %v", s, len(s), lengths)
}

func (c *checker) quantity(field string, q Quantity) {
	if q != "" && !reQuantity.MatchString(string(q)) {
		c.fail(field, "%q is not a decimal number", string(q))
	}
}

func (c *checker) org(field string, o Organization, bank bool) {
	c.text(field+".name", o.Name, true, 300)
	c.digits(field+".inn", o.INN, 10, 12)
	if o.KPP != "" || len(o.INN) == 10 {
		c.digits(field+".kpp", o.KPP, 9)
	}
	c.text(field+".address", o.Address, true, 300)
	c.text(field+".phone", o.Phone, false, 100)
	c.text(field+".email", o.Email, false, 100)
	c.text(field+".site", o.Site, false, 100)
	if bank {
		c.text(field+".bank.name", o.Bank.Name, true, 200)
		c.digits(field+".bank.bic", o.Bank.BIC, 9)
		c.digits(field+".bank.account", o.Bank.Account, 20)
		c.digits(field+".bank.corr_account", o.Bank.CorrAccount, 20)
	}
}

func (c *checker) line(field string, l Line) {
	c.text(field+".service", l.Service, true, 200)
	c.text(field+".unit", l.Unit, false, 20)
	c.quantity(field+".volume_individual", l.VolumeIndividual)
	c.quantity(field+".volume_common", l.VolumeCommon)
	c.quantity(field+".norm_individual", l.NormIndividual)
	c.quantity(field+".norm_common", l.NormCommon)
	c.quantity(field+".tariff", l.Tariff)
	c.text(field+".recalculation_reason", l.RecalculationReason, l.Recalculation != 0, 500)
	if l.Benefit < 0 {
		c.fail(field+".benefit", "negative (%s); benefits are a non-negative reduction", money.Rubles(l.Benefit))
	}
	if want := l.Charged + l.Recalculation - l.Benefit; l.Total != want {
		c.fail(field+".total", "%s, but charged %s + recalculation %s − benefit %s = %s",
			money.Rubles(l.Total), money.Rubles(l.Charged), money.Rubles(l.Recalculation), money.Rubles(l.Benefit), money.Rubles(want))
	}
}

// Validate reports the first missing or inconsistent part of d as an
// apperr.Invalid naming the field.
func (d *Document) Validate() error {
	c := &checker{op: "receipt: validate document"}
	c.org("recipient", d.Recipient, true)
	c.text("payer.name", d.Payer.Name, true, 300)
	c.text("payer.address", d.Payer.Address, true, 300)
	c.quantity("payer.area", d.Payer.Area)
	if d.Payer.Residents < 0 {
		c.fail("payer.residents", "negative")
	}
	c.text("account_number", d.AccountNumber, true, 30)
	if n := utf8.RuneCountInString(d.UnifiedAccount); n != 0 && n != 10 {
		c.fail("unified_account", "%q must have 10 characters", d.UnifiedAccount)
	}
	c.text("unified_account", d.UnifiedAccount, false, 10)
	if n := utf8.RuneCountInString(d.ServiceID); n != 0 && n != 13 {
		c.fail("service_id", "%q must have 13 characters", d.ServiceID)
	}
	c.text("service_id", d.ServiceID, false, 13)
	if d.Period.Year < 2000 || d.Period.Year > 2200 || d.Period.Month < 1 || d.Period.Month > 12 {
		c.fail("period", "%04d-%02d is not a billing month", d.Period.Year, int(d.Period.Month))
	}
	c.text("number", d.Number, true, 30)
	if d.IssueDate.IsZero() {
		c.fail("issue_date", "missing")
	}
	if d.DueDate.IsZero() {
		c.fail("due_date", "missing")
	}
	if len(d.Lines) == 0 {
		c.fail("lines", "no services")
	}
	var sumTotal, sumRecalc int64
	for i, l := range d.Lines {
		c.line(fmt.Sprintf("lines[%d]", i), l)
		sumTotal += l.Total
		sumRecalc += l.Recalculation
	}
	if d.CapitalRepair != nil {
		if d.CapitalRepairSeparate {
			c.fail("capital_repair_separate", "set together with a capital repair row")
		}
		c.line("capital_repair.line", d.CapitalRepair.Line)
		c.text("capital_repair.fund", d.CapitalRepair.Fund, false, 300)
		sumTotal += d.CapitalRepair.Line.Total
		sumRecalc += d.CapitalRepair.Line.Recalculation
	}
	t := d.Totals
	if t.Charged != sumTotal {
		c.fail("totals.charged", "%s, but the lines total %s", money.Rubles(t.Charged), money.Rubles(sumTotal))
	}
	if t.Recalculations != sumRecalc {
		c.fail("totals.recalculations", "%s, but the lines' recalculations total %s", money.Rubles(t.Recalculations), money.Rubles(sumRecalc))
	}
	if t.Paid < 0 {
		c.fail("totals.paid", "negative")
	}
	if t.Penalties < 0 {
		c.fail("totals.penalties", "negative")
	}
	if want := t.OpeningBalance - t.Paid + t.Charged + t.Penalties; t.TotalToPay != want {
		c.fail("totals.total_to_pay", "%s, but opening %s − paid %s + charged %s + penalties %s = %s",
			money.Rubles(t.TotalToPay), money.Rubles(t.OpeningBalance), money.Rubles(t.Paid), money.Rubles(t.Charged),
			money.Rubles(t.Penalties), money.Rubles(want))
	}
	if t.HasPreliminary && t.TotalWithPreliminary != t.TotalToPay+t.Preliminary {
		c.fail("totals.total_with_preliminary", "%s, but total to pay %s + preliminary %s = %s", money.Rubles(t.TotalWithPreliminary),
			money.Rubles(t.TotalToPay), money.Rubles(t.Preliminary), money.Rubles(t.TotalToPay+t.Preliminary))
	}
	c.text("penalty_note", d.PenaltyNote, false, 1000)
	for i, in := range d.Installments {
		f := fmt.Sprintf("installments[%d]", i)
		c.text(f+".service", in.Service, true, 200)
		c.quantity(f+".interest_percent", in.InterestPercent)
		if want := in.CurrentPeriod + in.PreviousPeriods + in.Interest; in.Total != want {
			c.fail(f+".total", "%s, but current %s + previous %s + interest %s = %s", money.Rubles(in.Total),
				money.Rubles(in.CurrentPeriod), money.Rubles(in.PreviousPeriods), money.Rubles(in.Interest), money.Rubles(want))
		}
	}
	for i, m := range d.Meters {
		f := fmt.Sprintf("meters[%d]", i)
		c.text(f+".number", m.Number, true, 50)
		c.text(f+".service", m.Service, true, 200)
		c.text(f+".unit", m.Unit, false, 20)
		c.quantity(f+".previous", m.Previous)
		c.quantity(f+".current", m.Current)
		c.quantity(f+".consumption", m.Consumption)
	}
	for i, h := range d.HouseVolumes {
		f := fmt.Sprintf("house_volumes[%d]", i)
		c.text(f+".service", h.Service, true, 200)
		c.text(f+".unit", h.Unit, false, 20)
		c.quantity(f+".premises", h.Premises)
		c.quantity(f+".common", h.Common)
		c.quantity(f+".house_meter_total", h.HouseMeterTotal)
	}
	c.quantity("limit_index", d.LimitIndex)
	for i, n := range d.Notices {
		c.text(fmt.Sprintf("notices[%d]", i), n, true, 2000)
	}
	if len(d.QRPNG) == 0 {
		c.fail("qr_png", "missing")
	} else if !bytes.HasPrefix(d.QRPNG, pngMagic) {
		c.fail("qr_png", "not a PNG image")
	}
	return c.err
}

// Validate reports the first missing part of c as an apperr.Invalid naming
// the field, or an apperr.Conflict from CheckNoDebt when the account is in debt.
func (c *Certificate) Validate() error {
	k := &checker{op: "receipt: validate certificate"}
	k.org("organization", c.Organization, false)
	k.text("number", c.Number, true, 30)
	if c.IssueDate.IsZero() {
		k.fail("issue_date", "missing")
	}
	if c.AsOf.IsZero() {
		k.fail("as_of", "missing")
	}
	k.text("account_number", c.AccountNumber, true, 30)
	k.text("unified_account", c.UnifiedAccount, false, 10)
	k.text("address", c.Address, true, 300)
	k.text("payer", c.Payer, true, 300)
	k.quantity("area", c.Area)
	k.text("signatory_title", c.SignatoryTitle, false, 100)
	k.text("signatory", c.Signatory, false, 100)
	if k.err != nil {
		return k.err
	}
	return CheckNoDebt(c.Balance)
}
