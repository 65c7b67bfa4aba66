// Package receipt renders the unified payment document (ЕПД, квитанция) of
// Приказ Минстроя России № 43/пр and the debt-free certificate («справка об
// отсутствии задолженности») as PDF.
//
// The package is pure: it takes a fully assembled Document or Certificate and
// writes a PDF; it never reads the store. Money is int64 kopecks everywhere;
// volumes, norms, tariffs and areas are Quantity, a decimal number kept as the
// text the billing produced, so the document prints exactly what was computed
// and never re-rounds it.
//
// Section numbers follow the form as the GIS ZhKH schema cites it
// (PaymentDocumentType, "Раздел N примерной формы ПД"): 1 payer and provider,
// 2 payment details and the QR code, 3 the calculation, 4 reference
// information (norms, meter readings, house volumes), 5 installments,
// 6 recalculations with their reasons.
package receipt

import (
	"time"
)

// Quantity is a non-negative or negative decimal number written as text with
// a dot or a comma ("12.345", "0,0191"); it is printed with a decimal comma.
// The empty Quantity means "not applicable" and prints as an empty cell.
// A text type rather than a float keeps the billing's own digits (a tariff of
// 45.73 stays 45,73, never 45,7299999).
type Quantity string

// BankDetails are the recipient's bank requisites printed in section 2 and
// carried by the QR code.
type BankDetails struct {
	Name        string // bank name, e.g. «ПАО Сбербанк»
	BIC         string // 9 digits
	Account     string // settlement account (р/с), 20 digits
	CorrAccount string // correspondent account (к/с), 20 digits
}

// Organization is the payment recipient or the service provider (исполнитель).
type Organization struct {
	Name    string
	INN     string // 10 digits (legal entity) or 12 (individual entrepreneur)
	KPP     string // 9 digits; empty for an individual entrepreneur
	Address string
	Phone   string
	Email   string
	Site    string
	Bank    BankDetails
}

// Payer is the person or organization billed and the premises.
type Payer struct {
	Name      string
	Address   string
	Area      Quantity // total area of the premises, m²
	Residents int      // persons living (registered) in the premises
}

// Period is a billing month.
type Period struct {
	Year  int
	Month time.Month
}

// Line is one row of section 3: a service with its volume, tariff and money.
// Total must equal Charged + Recalculation − Benefit.
type Line struct {
	Service          string
	Unit             string   // e.g. «куб.м», «кВт·ч», «кв.м», «Гкал»
	VolumeIndividual Quantity // individual consumption in the period
	VolumeCommon     Quantity // consumption for common-house needs (ОДН)
	NormIndividual   Quantity // norm of individual consumption (section 4)
	NormCommon       Quantity // norm for common-house needs (section 4)
	Tariff           Quantity // rubles per unit
	Charged          int64    // charged for the period without recalculations and benefits, kopecks
	// Recalculation is the sum of recalculations, kopecks: positive adds (доначисление), negative reduces.
	Recalculation       int64
	RecalculationReason string // required when Recalculation is not zero (section 6)
	Benefit             int64  // benefits and subsidies, kopecks, a non-negative amount that reduces the total
	Total               int64  // to pay for the period, kopecks
}

// CapitalRepair is the capital repair contribution billed on the same
// document: one more section 3 row (Unit «кв.м», VolumeIndividual the area,
// Tariff the contribution per m²) and, optionally, the account it goes to.
type CapitalRepair struct {
	Line Line
	// Fund names the account the contribution goes to when it differs from the
	// recipient's (the regional operator or the house's special account).
	Fund string
}

// Totals are the document's sums, all in kopecks.
//
// TotalToPay = OpeningBalance − Paid + Charged + Penalties, where Charged is
// the sum of the section 3 lines including the capital repair row. A negative
// TotalToPay is an overpayment: the document shows 0,00 to pay and the
// overpayment beside it.
type Totals struct {
	OpeningBalance  int64     // debt (+) or advance (−) at the start of the period
	Paid            int64     // payments received in the period
	LastPaymentDate time.Time // the last payment taken into account; zero when none
	Charged         int64     // Σ Line.Total
	Recalculations  int64     // Σ Line.Recalculation (shown, already inside Charged)
	Penalties       int64     // пени
	TotalToPay      int64
	// HasPreliminary shows the preliminary charge of the open month (a project
	// convention, not a 43/пр term) and the total with it.
	HasPreliminary       bool
	Preliminary          int64
	TotalWithPreliminary int64 // TotalToPay + Preliminary
}

// Meter is one individual meter reading of section 4.
type Meter struct {
	Number           string
	Service          string
	Unit             string
	Previous         Quantity
	PreviousDate     time.Time
	Current          Quantity
	CurrentDate      time.Time
	Consumption      Quantity
	VerificationDate time.Time // next verification (поверка) due; zero when unknown
}

// HouseVolume is the house-wide volume of a service in section 4: consumed in
// the premises, for common-house needs, and the house meter (ОДПУ) reading.
type HouseVolume struct {
	Service         string
	Unit            string
	Premises        Quantity
	Common          Quantity
	HouseMeterTotal Quantity
}

// Installment is one row of section 5: a payment spread over months.
type Installment struct {
	Service         string
	CurrentPeriod   int64    // installment from the current period, kopecks
	PreviousPeriods int64    // installments from previous periods, kopecks
	InterestPercent Quantity // interest rate of the installment, %
	Interest        int64    // interest charged, kopecks
	Total           int64    // to pay with the installment and its interest, kopecks
}

// Document is a fully assembled unified payment document for one account and
// one billing month.
type Document struct {
	Recipient      Organization // the payment recipient (section 2) and service provider (section 1)
	Payer          Payer
	AccountNumber  string // лицевой счёт at the recipient, 1–30 characters
	UnifiedAccount string // ЕЛС of GIS ZhKH, 10 characters, optional
	ServiceID      string // идентификатор ЖКУ of GIS ZhKH, 13 characters, optional
	Period         Period
	Number         string // document number, 1–30 characters
	IssueDate      time.Time
	DueDate        time.Time // pay until

	Lines         []Line
	CapitalRepair *CapitalRepair // nil when not billed on this document
	// CapitalRepairSeparate prints that the contribution comes on a separate
	// document; it excludes CapitalRepair.
	CapitalRepairSeparate bool
	Totals                Totals
	// PenaltyNote explains how the penalties were computed (printed under the totals); optional.
	PenaltyNote string

	Installments []Installment
	Meters       []Meter
	HouseVolumes []HouseVolume
	LimitIndex   Quantity // предельный индекс изменения размера платы, %; optional

	Notices []string // messages to the payer, one paragraph each
	QRPNG   []byte   // the GOST R 56042 payment QR code as a PNG image
}

// Certificate is the debt-free certificate for an account on a date.
type Certificate struct {
	Organization   Organization // the issuer (bank details are not printed)
	Number         string
	IssueDate      time.Time
	AsOf           time.Time // the date the balance is stated for
	AccountNumber  string
	UnifiedAccount string // ЕЛС, optional
	Address        string
	Payer          string // owner or payer
	Area           Quantity
	// Balance is the account balance on AsOf in kopecks, positive = debt. The
	// certificate is refused (apperr.Conflict) when it is positive.
	Balance        int64
	SignatoryTitle string // e.g. «Начальник абонентского отдела»
	Signatory      string // e.g. «И. И. Иванова»
}
