// Package model holds zhkhgate's canonical domain types: what the store
// fills and returns, and what mappings read and produce. It has no
// behaviour beyond formatting and depends on no database or protocol
// package, so mappings stay pure transforms (`go list -deps ./mappings/...`
// shows no pgx, goose or River).
package model

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Decimal is a fixed-point number: Units × 10^-Scale. It carries tariffs,
// volumes, areas and meter readings without floating point.
type Decimal struct {
	Units int64
	Scale int32
}

// String prints d with exactly Scale decimals, e.g. {12345, 2} → "123.45".
func (d Decimal) String() string {
	if d.Scale <= 0 {
		return fmt.Sprint(d.Units)
	}
	sign, u := "", d.Units
	if u < 0 {
		sign, u = "-", -u
	}
	p := int64(1)
	for range d.Scale {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, u/p, int(d.Scale), u%p)
}

// Organization is a management company, supplier, settlement center or HOA served.
type Organization struct {
	ID            int64
	Name          string
	ShortName     string
	INN, KPP      string
	OGRN          string
	Role          string // management, supplier, settlement, hoa, capital_repair
	GISOrgPPAGUID *uuid.UUID
	// Address and the bank requisites are printed on payment documents; empty when unknown.
	Address                                       string
	BankName, BIK, SettlementAccount, CorrAccount string
}

// House is an apartment building.
type House struct {
	ID            int64
	OrgID         int64
	Address       string
	FIASHouseGUID uuid.UUID
	OKTMO         string
	Floors        int
	BuiltYear     int
	TotalArea     Decimal
}

// Premises is a flat or non-residential room in a house.
type Premises struct {
	ID        int64
	HouseID   int64
	Number    string
	Kind      string // residential, nonresidential, room
	TotalArea Decimal
	Rooms     int
}

// Account is a personal account (лицевой счёт).
type Account struct {
	ID             int64
	OrgID          int64
	PremisesID     int64
	Number         string // text: leading zeros matter
	PayerName      string
	TotalArea      Decimal
	ResidentsCount int
	OpenedOn       time.Time
}

// Service is a housing or utility service billed to accounts.
type Service struct {
	ID          int64
	OrgID       int64
	Code        string
	Name        string
	Unit        string
	Kind        string // housing, utility, capital_repair, other
	NSIRegistry int
	NSICode     string
}

// Tariff is the rate of a service from a date.
type Tariff struct {
	ServiceID int64
	ValidFrom time.Time
	ValidTo   *time.Time
	Rate      Decimal // rubles per unit
	Norm      *Decimal
}

// Charge is one month's charge of one service to one account.
type Charge struct {
	AccountID, ServiceID int64
	Period               time.Time // first day of the month
	Tariff               Decimal
	Norm                 *Decimal
	Volume               Decimal
	Amount               int64 // kopecks
	Recalculation        int64 // kopecks
	Benefit              int64 // kopecks
}

// PaymentDocument is the monthly bill of an account.
type PaymentDocument struct {
	ID             int64
	AccountID      int64
	Period         time.Time
	Number         string
	OpeningBalance int64 // kopecks; positive is debt, negative advance
	Paid           int64
	Charged        int64
	Penalties      int64
	TotalDue       int64
	State          string
}

// Payment is money a payer paid to an account.
type Payment struct {
	Source        string
	OperationID   string
	OperationDate time.Time
	PaidAt        time.Time
	AccountID     int64
	Period        *time.Time
	Amount        int64 // kopecks
	Commission    int64
	PayerName     string
}

// Meter is a metering device in premises.
type Meter struct {
	ID           int64
	PremisesID   int64
	AccountID    int64
	Number       string
	Resource     string // cold_water, hot_water, electricity, heat, gas, wastewater
	Place        string
	TariffZones  int
	InstalledOn  time.Time
	VerifiedOn   time.Time
	NextVerifyOn time.Time
}

// Reading is a meter reading.
type Reading struct {
	MeterID int64
	TakenOn time.Time
	Value   Decimal
	Source  string // resident, gis, bank, initial, staff
}

// ChargeLine is one line of a charge file on its way to a version. A line
// with a Problem is quarantined as invalid; the others are matched to
// accounts and services in SQL, all at once.
type ChargeLine struct {
	Line          int
	Raw           string
	Problem       string
	AccountNumber string
	ServiceCode   string
	Unit          string
	Tariff        Decimal
	Norm          *Decimal
	Volume        Decimal
	CommonVolume  Decimal
	Amount        int64
	Recalculation int64
	RecalcReason  string
	Benefit       int64
	Total         int64
	Calc          string
}

// Payment documents as the PDF receipt needs them (filled by store.DocumentForPDF).
// PayeeDetails are the account's organization as printed on its documents.
// Optional columns read as empty strings.
type PayeeDetails struct {
	Name, ShortName, INN, KPP, Address            string
	BankName, BIK, SettlementAccount, CorrAccount string
}

// AccountHeader is what every document of an account prints about the payer,
// the premises and the payee.
type AccountHeader struct {
	AccountID int64
	Number    string
	ELS       string // empty when GIS ZhKH has not assigned one
	ZhkuID    string // empty when GIS ZhKH has not assigned one
	PayerName string
	Address   string // house address and flat
	Area      string // total area in m² as the store keeps it; empty when unknown
	Residents int
	Payee     PayeeDetails
}

// DocumentTotals is one payment_documents row.
type DocumentTotals struct {
	ID             int64
	Period         time.Time
	Number         string
	State          string
	OpeningBalance int64
	Paid           int64
	Charged        int64
	Penalties      int64
	TotalDue       int64
	CreatedAt      time.Time
}

// DocumentLine is one charge of the period with its service.
type DocumentLine struct {
	Service, Unit, Kind   string
	Tariff, Norm, Volume  string // numeric text; Norm empty when the service has none
	Amount, Recalculation int64
	Benefit, Total        int64
}

// DocumentMeter is one individual meter with its trusted readings around the period.
type DocumentMeter struct {
	Number, Resource string
	Previous         string // the last trusted reading before the period; empty when none
	PreviousOn       *time.Time
	Current          string // the last trusted reading within the period; empty when none
	CurrentOn        *time.Time
	Consumption      string // Current − Previous; empty unless both are known
	NextVerification *time.Time
}

// DocumentData is everything a payment document of one account and period
// prints, as stored.
type DocumentData struct {
	Header          AccountHeader
	Document        DocumentTotals
	Lines           []DocumentLine
	Meters          []DocumentMeter
	LastPaymentDate *time.Time // the last payment received in the period; nil when none
}
