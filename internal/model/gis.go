package model

import (
	"time"
)

// GISItemResult is the outcome of one item as GIS reported it.
type GISItemResult struct {
	TransportGUID        string
	OK                   bool
	GUID                 string
	UniqueNumber         string
	RootGUID             string // meters
	UnifiedAccountNumber string // accounts: ЕЛС
	ServiceID            string // accounts: ЖКУ id
	ErrorCode            string
	Error                string
}

// GISReading is a meter reading GIS exported (entered by a resident on Gosuslugi).
type GISReading struct {
	RootGUID string
	TakenOn  time.Time
	Value    string // decimal; tariff T1 of a multi-tariff meter
	// ValueT2 and ValueT3 are a multi-tariff meter's other tariffs ("" if none).
	ValueT2, ValueT3 string
	// Base is the device's installation value, not a period's reading.
	Base bool
}

// GISOrgRow is an organization to look up in the GIS registry.
type GISOrgRow struct {
	ID   int64
	OGRN string
	KPP  string // "" when none
}

// GISOrg is one organization as the GIS registry knows it.
type GISOrg struct {
	RootGUID, VersionGUID, PPAGUID string
	OGRN, KPP                      string
}

// GISProvider is a data provider linked to the gateway's information system.
type GISProvider struct {
	DataProviderGUID, RootGUID string
}

// GISHouse is a house exported from GIS with its live premises.
type GISHouse struct {
	FIASHouseGUID, HouseGUID, UniqueNumber string
	Premises                               []GISPremises
}

// GISPremises is one premises of an exported house.
type GISPremises struct {
	Number, GUID, UniqueNumber string
	Residential                bool
}

// GISExportedAccount is an account GIS holds.
type GISExportedAccount struct {
	GUID, Number, ELS, ServiceID string
}

// GISExportedMeter is an active device GIS holds.
type GISExportedMeter struct {
	RootGUID, VersionGUID, Number string
	Resource                      string // canonical resource, "" = unknown
}

// GISExportedDocument is a payment document GIS holds.
type GISExportedDocument struct {
	PaymentDocumentID, Number, AccountGUID string
}

// GISAccountRow is an account to place in GIS.
type GISAccountRow struct {
	ID             int64
	Number         string
	FIASHouseGUID  string
	PremisesGUID   *string
	TotalArea      *string // decimal
	ResidentsCount int
	PayerName      string
	PayerKind      string
	ClosedOn       *time.Time
	GISAccountGUID *string
	// An organisation payer: its OGRN and, once the orgs sync found it, its
	// orgVersionGUID in GIS's organisation registry.
	PayerOGRN, PayerOrgVersionGUID *string
}

// GISMeterRow is an individual meter to place in GIS.
type GISMeterRow struct {
	ID             int64
	Number         string
	Resource       string // cold_water, hot_water, electricity, heat, gas, wastewater
	InstalledOn    *time.Time
	AccountGUID    string
	PremisesGUID   *string
	InitialReading *string // decimal: the first reading, if any
}

// GISChargeRow is one service line of a payment document.
type GISChargeRow struct {
	ServiceKind string // housing, utility, capital_repair, other
	ServiceName string
	NSIRegistry *int
	NSICode     *string
	NSIGUID     *string
	Tariff      string // decimal
	Volume      string // decimal
	Total       int64  // kopecks
}

// GISDocumentRow is a payment document to post.
type GISDocumentRow struct {
	ID             int64
	Number         string
	AccountGUID    string
	OpeningBalance int64
	TotalDue       int64
	Charges        []GISChargeRow
}

// GISWithdrawalRow is a posted document an operator asked to withdraw.
type GISWithdrawalRow struct {
	ID                int64
	PaymentDocumentID string
}

// GISPaymentRow is a received payment to report to GIS.
type GISPaymentRow struct {
	ID                int64
	OperationDate     time.Time
	Period            *time.Time
	Amount            int64
	PaymentDocumentID *string // the posted document of the period paid for
	ServiceID         *string // ЖКУ id of the account
}

// GISCancellationRow is a reported payment an operator asked to cancel.
type GISCancellationRow struct {
	ID          int64
	OrderID     string
	RequestedAt time.Time
}

// GISWorldOrg is an organization as GIS ZhKH's organizations registry holds
// it: the natural keys and the GIS GUIDs the store knows ("" when not yet).
type GISWorldOrg struct {
	ID                        int64
	Name, ShortName, INN, KPP string
	OGRN, Role                string
	RootGUID, PPAGUID         string
}

// GISWorldHouse is a house of the housing registry with its premises.
type GISWorldHouse struct {
	FIASHouseGUID, Address, OKTMO string
	HouseGUID                     string // "" until GIS's id is known
	Living                        bool
	Floors, BuiltYear             int
	Premises                      []GISWorldPremises
}

// GISNsiIndex indexes the reference-book elements visible to an
// organization (common books and its own, its own winning).
type GISNsiIndex struct {
	GUIDs map[string]string // "registry/code" → GUID
	Codes map[string]string // "registry/lower-case name" → code
}

// GISWorldPremises is one premises of a house; Kind is residential or
// nonresidential (rooms count as residential), Area in m² or "".
type GISWorldPremises struct {
	Number, Kind, Area, GUID string
}
