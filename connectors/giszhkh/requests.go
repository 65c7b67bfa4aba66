package giszhkh

import (
	"context"
	"fmt"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/base"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/bills"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/devicemetering"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/housemanagement"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/individualregistrybase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/meteringdevicebase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsi"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsibase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsicommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsbase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrybase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrycommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/payment"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/paymentsbase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/premisesbase"
)

// Versions sent for operations whose schema allows several (the annotation
// «Доступны версии»); the newest that the gateway understands.
const (
	versionExportHouse         = "15.10.0.0"
	versionExportMeteringData  = "14.8.0.1"
	versionExportDeviceHistory = "10.0.1.1"
	versionExportPaymentDoc    = "13.1.0.1"
	versionSupplierNotices     = "10.0.1.1"
)

// XSD batch limits (maxOccurs), from the generated schema constants.
const (
	MaxAccountsPerImport       = housemanagement.ImportAccountRequest_AccountMaxOccurs
	MaxMetersPerImport         = housemanagement.ImportMeteringDeviceDataRequest_MeteringDeviceMaxOccurs
	MaxDevicesPerValuesImport  = devicemetering.ImportMeteringDeviceValuesRequest_MeteringDevicesValuesMaxOccurs
	MaxDocumentsPerImport      = bills.ImportPaymentDocumentRequest_PaymentDocumentMaxOccurs
	MaxWithdrawalsPerImport    = bills.ImportPaymentDocumentRequest_WithdrawPaymentDocumentMaxOccurs
	MaxIDsPerDocumentExport    = bills.ExportPaymentDocumentRequest_PaymentDocumentIDMaxOccurs
	MaxIDsPerAccountExport     = housemanagement.ExportAccountRequest_AccountGUIDMaxOccurs
	MaxSupplierNotices         = payment.ImportSupplierNotificationsOfOrderExecutionRequest_SupplierNotificationOfOrderExecutionMaxOccurs
	MaxCancellationsPerImport  = payment.ImportNotificationsOfOrderExecutionCancellationRequest_NotificationOfOrderExecutionCancellationMaxOccurs
	MaxOrgSearchCriteria       = organizationsregistrycommon.ExportOrgRegistryRequest_SearchCriteriaMaxOccurs
	MaxDevicesPerHistoryExport = devicemetering.ExportMeteringDeviceHistoryRequest_MeteringDeviceRootGUIDMaxOccurs
)

// NsiRef is a reference into a GIS reference book (nsi-base:nsiRef).
//
// This and the other types marshalled into stored messages (gis_items.payload,
// gis_messages.query) carry explicit JSON names: they are a durable format,
// pinned by internal/gisexchange's golden files.
type NsiRef struct {
	Code string `json:"code,omitempty"`
	GUID string `json:"guid,omitempty"`
	Name string `json:"name,omitempty"`
}

func (r NsiRef) gen() nsibase.NsiRef {
	return nsibase.NsiRef{Code: nsibase.NsiCodeType(r.Code), GUID: base.GUIDType(r.GUID), Name: r.Name}
}

func date(t time.Time) string { return t.Format("2006-01-02") }

func bodyBase() base.BaseType { return base.BaseType{Id: SignedID} }

// --- organisations registry -------------------------------------------------

// OrgSearch is one exportOrgRegistry search criterion: OGRN (+KPP), OGRNIP,
// or orgPPAGUID.
type OrgSearch struct {
	OGRN       string `json:"ogrn,omitempty"`
	KPP        string `json:"kpp,omitempty"`
	OGRNIP     string `json:"ogrnip,omitempty"`
	OrgPPAGUID string `json:"org_ppa_guid,omitempty"`
}

// ExportOrgRegistry builds exportOrgRegistry for up to 100 criteria.
func (b *Builder) ExportOrgRegistry(ctx context.Context, criteria []OrgSearch) (*Request, error) {
	if n := len(criteria); n == 0 || n > MaxOrgSearchCriteria {
		return nil, fmt.Errorf("giszhkh: exportOrgRegistry takes 1..%d criteria, got %d", MaxOrgSearchCriteria, n)
	}
	req := organizationsregistrycommon.ExportOrgRegistryRequest{BaseType: bodyBase(), Version: organizationsregistrycommon.ExportOrgRegistryRequest_VersionFixed}
	for _, c := range criteria {
		req.SearchCriteria = append(req.SearchCriteria, organizationsregistrycommon.ExportOrgRegistryRequest_SearchCriteria{
			OGRN: organizationsbase.OGRNType(c.OGRN), KPP: organizationsbase.KPPType(c.KPP),
			OGRNIP: organizationsbase.OGRNIPType(c.OGRNIP), OrgPPAGUID: base.GUIDType(c.OrgPPAGUID),
		})
	}
	return b.build(ctx, ServiceOrgRegistry, OpExportOrgRegistry, "", req, nil)
}

// ExportDataProvider builds exportDataProvider (providers linked to our IS).
func (b *Builder) ExportDataProvider(ctx context.Context, onlyActual bool) (*Request, error) {
	req := organizationsregistrycommon.ExportDataProviderRequest{BaseType: bodyBase(), Version: organizationsregistrycommon.ExportDataProviderRequest_VersionFixed}
	if onlyActual {
		req.IsActual = &onlyActual
	}
	return b.build(ctx, ServiceOrgRegistry, OpExportDataProvider, "", req, nil)
}

// --- reference books ------------------------------------------------------

// ExportNsiItem builds exportNsiItem for a common reference book; page > 0
// builds exportNsiPagingItem for that page (1000 items each).
func (b *Builder) ExportNsiItem(ctx context.Context, registry int, group string, page int, modifiedAfter time.Time) (*Request, error) {
	mod := ""
	if !modifiedAfter.IsZero() {
		mod = modifiedAfter.Format(dateTimeLayout)
	}
	if page > 0 {
		req := nsicommon.ExportNsiPagingItemRequest{BaseType: bodyBase(), Version: nsicommon.ExportNsiPagingItemRequest_VersionFixed,
			RegistryNumber: nsibase.NsiItemRegistryNumberType(registry), ListGroup: group, Page: int64(page), ModifiedAfter: mod}
		return b.build(ctx, ServiceNsiCommon, OpExportNsiPagingItem, "", req, nil)
	}
	req := nsicommon.ExportNsiItemRequest{BaseType: bodyBase(), Version: nsicommon.ExportNsiItemRequest_VersionFixed,
		RegistryNumber: nsibase.NsiItemRegistryNumberType(registry), ListGroup: group, ModifiedAfter: mod}
	return b.build(ctx, ServiceNsiCommon, OpExportNsiItem, "", req, nil)
}

// ExportDataProviderNsiItem builds exportDataProviderNsiItem for the
// organisation's own reference book (1, 51, 59, 219, 272, 302, 337).
func (b *Builder) ExportDataProviderNsiItem(ctx context.Context, org string, registry int) (*Request, error) {
	req := nsi.ExportDataProviderNsiItemRequest{BaseType: bodyBase(), Version: nsi.ExportDataProviderNsiItemRequest_VersionFixed, RegistryNumber: int64(registry)}
	return b.build(ctx, ServiceNsi, OpExportDataProviderNsiItem, org, req, nil)
}

// --- houses and accounts --------------------------------------------------

// ExportHouse builds exportHouseData for one house by its FIAS GUID.
func (b *Builder) ExportHouse(ctx context.Context, org, fiasHouseGUID string) (*Request, error) {
	req := housemanagement.ExportHouseRequest{BaseType: bodyBase(), Version: versionExportHouse, FIASHouseGuid: premisesbase.FIASHouseGUIDType(fiasHouseGUID)}
	return b.build(ctx, ServiceHouseManagement, OpExportHouseData, org, req, nil)
}

// AccountQuery selects accounts to export: a house, or up to 1000 ids of one kind.
type AccountQuery struct {
	FIASHouseGUID         string
	AccountGUIDs          []string
	UnifiedAccountNumbers []string
	ServiceIDs            []string
}

// ExportAccounts builds exportAccountData.
func (b *Builder) ExportAccounts(ctx context.Context, org string, q AccountQuery) (*Request, error) {
	n := 0
	for _, l := range []int{len(q.AccountGUIDs), len(q.UnifiedAccountNumbers), len(q.ServiceIDs)} {
		if l > MaxIDsPerAccountExport {
			return nil, fmt.Errorf("giszhkh: exportAccountData takes at most %d ids, got %d", MaxIDsPerAccountExport, l)
		}
		if l > 0 {
			n++
		}
	}
	if q.FIASHouseGUID != "" {
		n++
	}
	if n != 1 {
		return nil, fmt.Errorf("giszhkh: exportAccountData needs exactly one selector (house, account GUIDs, ЕЛС or ЖКУ ids), got %d", n)
	}
	req := housemanagement.ExportAccountRequest{BaseType: bodyBase(), Version: housemanagement.ExportAccountRequest_VersionFixed,
		FIASHouseGuid: base.GUIDType(q.FIASHouseGUID), UnifiedAccountNumber: q.UnifiedAccountNumbers, ServiceID: q.ServiceIDs}
	for _, g := range q.AccountGUIDs {
		req.AccountGUID = append(req.AccountGUID, base.GUIDType(g))
	}
	return b.build(ctx, ServiceHouseManagement, OpExportAccountData, org, req, nil)
}

// Account is one settlement-centre account (ЛС РЦ) to create or update.
type Account struct {
	TransportGUID string `json:"transport_guid,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`  // the centre's number, 1–30 characters
	AccountGUID   string `json:"account_guid,omitempty"`    // GIS id: set to update an account placed before
	FIASHouseGUID string `json:"fias_house_guid,omitempty"` // where the account lives: the house ...
	PremisesGUID  string `json:"premises_guid,omitempty"`   // ... or, when known, the premises
	SharePercent  string `json:"share_percent,omitempty"`   // decimal share of the premises, "" = whole
	TotalArea     string `json:"total_area,omitempty"`      // m², decimal, "" = not sent
	LivingPersons int    `json:"living_persons,omitempty"`  // 0 = not sent
	// Payer, an individual ...
	Surname    string `json:"surname,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	Patronymic string `json:"patronymic,omitempty"`
	// ... or an organisation, by the orgVersionGUID of its record in
	// GIS's organisation registry (exportOrgRegistry); when set, the name
	// fields are not sent.
	PayerOrgVersionGUID string `json:"payer_org_version_guid,omitempty"`
	// Closing: set ClosedOn and CloseReason (НСИ 22) to close the account.
	ClosedOn    time.Time `json:"closed_on"`
	CloseReason NsiRef    `json:"close_reason"`
}

// payerInfo names the payer: an organisation by its registry version, or
// an individual by name.
func payerInfo(a Account) housemanagement.AccountType_PayerInfo {
	if a.PayerOrgVersionGUID != "" {
		return housemanagement.AccountType_PayerInfo{Org: &organizationsregistrybase.RegOrgVersionType{OrgVersionGUID: base.GUIDType(a.PayerOrgVersionGUID)}}
	}
	return housemanagement.AccountType_PayerInfo{
		Ind: &housemanagement.AccountIndType{FIOType: individualregistrybase.FIOType{Surname: a.Surname, FirstName: a.FirstName, Patronymic: a.Patronymic}},
	}
}

// ImportAccounts builds importAccountData for up to 100 accounts of type
// «ЛС РЦ» (isRCAccount).
func (b *Builder) ImportAccounts(ctx context.Context, org string, accounts []Account) (*Request, error) {
	if n := len(accounts); n == 0 || n > MaxAccountsPerImport {
		return nil, fmt.Errorf("giszhkh: importAccountData takes 1..%d accounts, got %d", MaxAccountsPerImport, n)
	}
	req := housemanagement.ImportAccountRequest{BaseType: bodyBase(), Version: housemanagement.ImportAccountRequest_VersionFixed}
	var ids []string
	yes := true
	for _, a := range accounts {
		acc := housemanagement.ImportAccountRequest_Account{
			AccountType: housemanagement.AccountType{
				IsRCAccount: &yes,
				TotalSquare: premisesbase.PremisesAreaType(a.TotalArea),
				PayerInfo:   payerInfo(a),
			},
			TransportGUID: base.GUIDType(a.TransportGUID),
			AccountNumber: a.AccountNumber,
			AccountGUID:   base.GUIDType(a.AccountGUID),
		}
		if a.LivingPersons > 0 {
			n := int64(a.LivingPersons)
			acc.LivingPersonsNumber = &n
		}
		acm := housemanagement.AccountType_Accommodation{SharePercent: a.SharePercent}
		if a.PremisesGUID != "" {
			acm.PremisesGUID = base.GUIDType(a.PremisesGUID)
		} else {
			acm.FIASHouseGuid = premisesbase.FIASHouseGUIDType(a.FIASHouseGUID)
		}
		acc.Accommodation = []housemanagement.AccountType_Accommodation{acm}
		if !a.ClosedOn.IsZero() {
			acc.Closed = &housemanagement.ClosedAccountAttributesType{CloseReason: a.CloseReason.gen(), CloseDate: date(a.ClosedOn)}
		}
		req.Account = append(req.Account, acc)
		ids = append(ids, a.TransportGUID)
	}
	return b.build(ctx, ServiceHouseManagement, OpImportAccountData, org, req, ids)
}

// --- metering devices -----------------------------------------------------

// MeterQuery selects devices to export: a house, or one device.
type MeterQuery struct {
	FIASHouseGUID string
	RootGUID      string
}

// ExportMeters builds exportMeteringDeviceData.
func (b *Builder) ExportMeters(ctx context.Context, org string, q MeterQuery) (*Request, error) {
	if (q.FIASHouseGUID == "") == (q.RootGUID == "") {
		return nil, fmt.Errorf("giszhkh: exportMeteringDeviceData needs a house or a device root GUID, not both")
	}
	req := housemanagement.ExportMeteringDeviceDataRequest{BaseType: bodyBase(), Version: versionExportMeteringData,
		FIASHouseGuid: base.GUIDType(q.FIASHouseGUID), MeteringDeviceRootGUID: base.GUIDType(q.RootGUID)}
	return b.build(ctx, ServiceHouseManagement, OpExportMeteringDeviceData, org, req, nil)
}

// Meter is one individual (apartment) meter to create, or to archive when
// VersionGUID and ArchiveReason are set.
type Meter struct {
	TransportGUID     string    `json:"transport_guid,omitempty"`
	Number            string    `json:"number,omitempty"` // factory number
	Stamp             string    `json:"stamp,omitempty"`
	Model             string    `json:"model,omitempty"`
	CommissioningDate time.Time `json:"commissioning_date"`
	PremisesGUID      string    `json:"premises_guid,omitempty"`
	AccountGUID       string    `json:"account_guid,omitempty"`
	Resource          NsiRef    `json:"resource"`                // НСИ 2, municipal resource
	Unit              string    `json:"unit,omitempty"`          // OKEI code of the readings, e.g. "113" (m³)
	InitialValue      string    `json:"initial_value,omitempty"` // reading at commissioning, decimal
	// Archive an existing device instead of creating one.
	VersionGUID   string `json:"version_guid,omitempty"`
	ArchiveReason NsiRef `json:"archive_reason"` // НСИ 21
}

// ImportMeters builds importMeteringDeviceData for up to 100 devices.
func (b *Builder) ImportMeters(ctx context.Context, org string, meters []Meter) (*Request, error) {
	if n := len(meters); n == 0 || n > MaxMetersPerImport {
		return nil, fmt.Errorf("giszhkh: importMeteringDeviceData takes 1..%d devices, got %d", MaxMetersPerImport, n)
	}
	req := housemanagement.ImportMeteringDeviceDataRequest{BaseType: bodyBase(), Version: housemanagement.ImportMeteringDeviceDataRequest_VersionFixed}
	var ids []string
	for _, m := range meters {
		dev := housemanagement.ImportMeteringDeviceDataRequest_MeteringDevice{TransportGUID: base.GUIDType(m.TransportGUID)}
		if m.VersionGUID != "" {
			dev.DeviceDataToUpdate = &housemanagement.ImportMeteringDeviceDataRequest_MeteringDevice_DeviceDataToUpdate{
				MeteringDeviceVersionGUID: meteringdevicebase.MeteringDeviceGUIDType(m.VersionGUID),
				ArchiveDevice:             &housemanagement.ImportMeteringDeviceDataRequest_MeteringDevice_DeviceDataToUpdate_ArchiveDevice{ArchivingReason: m.ArchiveReason.gen()},
			}
		} else {
			yes := true
			dev.DeviceDataToCreate = &housemanagement.MeteringDeviceFullInformationType{
				BasicChatacteristicts: housemanagement.MeteringDeviceBasicCharacteristicsType{
					MeteringDeviceNumber: m.Number,
					MeteringDeviceStamp:  m.Stamp,
					MeteringDeviceModel:  m.Model,
					CommissioningDate:    date(m.CommissioningDate),
					ResidentialPremiseDevice: &housemanagement.MeteringDeviceBasicCharacteristicsType_ResidentialPremiseDevice{
						PremiseGUID: []base.GUIDType{base.GUIDType(m.PremisesGUID)},
						AccountGUID: []base.GUIDType{base.GUIDType(m.AccountGUID)},
					},
				},
				NotLinkedWithMetering: &yes,
				MunicipalResourceNotEnergy: []housemanagement.MunicipalResourceNotElectricBaseType{{
					OneRateMeteringValueBaseType: meteringdevicebase.OneRateMeteringValueBaseType{
						MunicipalResource: m.Resource.gen(),
						MeteringValue:     meteringdevicebase.MeteringValueType(m.InitialValue),
					},
					Unit: m.Unit,
				}},
			}
		}
		req.MeteringDevice = append(req.MeteringDevice, dev)
		ids = append(ids, m.TransportGUID)
	}
	return b.build(ctx, ServiceHouseManagement, OpImportMeteringDeviceData, org, req, ids)
}

// --- readings -------------------------------------------------------------

// HistoryQuery selects readings to export: up to 100 devices, or the
// devices of some resources (НСИ 2) in up to 100 houses, from a date.
type HistoryQuery struct {
	FIASHouseGUIDs []string  `json:"fias_house_guids,omitempty"`
	RootGUIDs      []string  `json:"root_guids,omitempty"`
	Resources      []NsiRef  `json:"resources,omitempty"`
	From           time.Time `json:"from"` // input dates, zero = open
	To             time.Time `json:"to"`   // input dates, zero = open
	// NextBlock continues a previous export that returned more than 1000 devices.
	NextBlock string `json:"next_block,omitempty"`
}

// ExportMeterHistory builds exportMeteringDeviceHistory.
func (b *Builder) ExportMeterHistory(ctx context.Context, org string, q HistoryQuery) (*Request, error) {
	if len(q.RootGUIDs) > MaxDevicesPerHistoryExport || len(q.FIASHouseGUIDs) > 100 {
		return nil, fmt.Errorf("giszhkh: exportMeteringDeviceHistory takes at most %d devices and 100 houses", MaxDevicesPerHistoryExport)
	}
	if (len(q.RootGUIDs) == 0) == (len(q.Resources) == 0) {
		return nil, fmt.Errorf("giszhkh: exportMeteringDeviceHistory needs either device GUIDs or resources")
	}
	req := devicemetering.ExportMeteringDeviceHistoryRequest{BaseType: bodyBase(), Version: versionExportDeviceHistory,
		ExportMeteringDeviceRootGUID: base.GUIDType(q.NextBlock)}
	for _, g := range q.FIASHouseGUIDs {
		req.FIASHouseGuid = append(req.FIASHouseGuid, base.GUIDType(g))
	}
	for _, g := range q.RootGUIDs {
		req.MeteringDeviceRootGUID = append(req.MeteringDeviceRootGUID, base.GUIDType(g))
	}
	for _, r := range q.Resources {
		req.MunicipalResource = append(req.MunicipalResource, r.gen())
	}
	if !q.From.IsZero() {
		req.InputDateFrom = date(q.From)
	}
	if !q.To.IsZero() {
		req.InputDateTo = date(q.To)
	}
	return b.build(ctx, ServiceDeviceMetering, OpExportMeteringDeviceHistory, org, req, nil)
}

// Reading is one current value of a one-rate device.
type Reading struct {
	TransportGUID string    `json:"transport_guid,omitempty"`
	RootGUID      string    `json:"root_guid,omitempty"` // device
	Resource      NsiRef    `json:"resource"`            // НСИ 2
	Value         string    `json:"value,omitempty"`     // decimal, \d{1,15}(\.\d{1,7})?
	Date          time.Time `json:"date"`
}

// ImportReadings builds importMeteringDeviceValues; readings of one device
// are grouped (up to 3 per device, 1000 devices per message).
func (b *Builder) ImportReadings(ctx context.Context, org string, readings []Reading) (*Request, error) {
	req := devicemetering.ImportMeteringDeviceValuesRequest{BaseType: bodyBase(), Version: devicemetering.ImportMeteringDeviceValuesRequest_VersionFixed}
	index := map[string]int{}
	var ids []string
	for _, r := range readings {
		i, ok := index[r.RootGUID]
		if !ok {
			i = len(req.MeteringDevicesValues)
			index[r.RootGUID] = i
			req.MeteringDevicesValues = append(req.MeteringDevicesValues, devicemetering.ImportMeteringDeviceValuesRequest_MeteringDevicesValues{
				MeteringDeviceRootGUID: meteringdevicebase.MeteringDeviceGUIDType(r.RootGUID),
				OneRateDeviceValue:     &devicemetering.ImportMeteringDeviceValuesRequest_MeteringDevicesValues_OneRateDeviceValue{},
			})
		}
		v := req.MeteringDevicesValues[i].OneRateDeviceValue
		if len(v.CurrentValue) == 3 {
			return nil, fmt.Errorf("giszhkh: importMeteringDeviceValues: device %s has more than 3 readings in one message", r.RootGUID)
		}
		v.CurrentValue = append(v.CurrentValue, devicemetering.ImportMeteringDeviceValuesRequest_MeteringDevicesValues_OneRateDeviceValue_CurrentValue{
			OneRateMeteringValueImportType: devicemetering.OneRateMeteringValueImportType{
				OneRateMeteringValueBaseType: meteringdevicebase.OneRateMeteringValueBaseType{MunicipalResource: r.Resource.gen(), MeteringValue: meteringdevicebase.MeteringValueType(r.Value)},
				DateValue:                    date(r.Date),
				TransportGUID:                base.GUIDType(r.TransportGUID),
			},
		})
		ids = append(ids, r.TransportGUID)
	}
	if n := len(req.MeteringDevicesValues); n == 0 || n > MaxDevicesPerValuesImport {
		return nil, fmt.Errorf("giszhkh: importMeteringDeviceValues takes 1..%d devices, got %d", MaxDevicesPerValuesImport, n)
	}
	return b.build(ctx, ServiceDeviceMetering, OpImportMeteringDeviceValues, org, req, ids)
}

// --- payment documents ----------------------------------------------------

// ChargeKind says which ChargeInfo branch a charge goes to.
type ChargeKind int

// Charge kinds.
const (
	ChargeMunicipal     ChargeKind = iota // коммунальная услуга (НСИ 51)
	ChargeHousing                         // жилищная услуга (НСИ 50)
	ChargeAdditional                      // дополнительная услуга (НСИ 1)
	ChargeCapitalRepair                   // взнос на капитальный ремонт (Rate is the contribution per m²)
)

// Charge is one service line of a payment document. Money is in kopecks.
type Charge struct {
	Kind            ChargeKind `json:"kind"`
	Service         NsiRef     `json:"service"`
	Rate            string     `json:"rate,omitempty"`              // tariff, decimal rubles (up to 6 decimals)
	Volume          string     `json:"volume,omitempty"`            // consumption, decimal, "" = not sent
	AccruedKopecks  int64      `json:"accrued_kopecks,omitempty"`   // AccountingPeriodTotal
	PayableKopecks  int64      `json:"payable_kopecks,omitempty"`   // TotalPayable
	ProviderPPAGUID string     `json:"provider_ppa_guid,omitempty"` // service provider (required for ЛС РЦ)
}

// PaymentDocument is one document (ПД) to post.
type PaymentDocument struct {
	TransportGUID  string   `json:"transport_guid,omitempty"`
	AccountGUID    string   `json:"account_guid,omitempty"`
	Number         string   `json:"number,omitempty"` // the centre's document number
	Charges        []Charge `json:"charges,omitempty"`
	DebtKopecks    int64    `json:"debt_kopecks,omitempty"`    // > 0 debt of previous periods, < 0 advance
	PayableKopecks int64    `json:"payable_kopecks,omitempty"` // total to pay for the period
}

// BankDetails are the payee's bank details the documents refer to.
type BankDetails struct {
	TransportGUID string `json:"transport_guid,omitempty"`
	BIK           string `json:"bik,omitempty"`
	Account       string `json:"account,omitempty"` // operating account number, 20 digits
}

// PaymentDocuments is one importPaymentDocumentData posting.
type PaymentDocuments struct {
	Year, Month int
	Bank        BankDetails
	// ProviderPPAGUID: PaymentProviderInformation, mandatory for ЛС РЦ.
	ProviderPPAGUID string
	Documents       []PaymentDocument
}

// ImportPaymentDocuments builds importPaymentDocumentData (posting) for up
// to 500 documents. Amounts are written in rubles.
func (b *Builder) ImportPaymentDocuments(ctx context.Context, org string, p PaymentDocuments) (*Request, error) {
	req, ids, err := paymentDocumentsBody(p)
	if err != nil {
		return nil, err
	}
	return b.build(ctx, ServiceBills, OpImportPaymentDocumentData, org, req, ids)
}

// paymentDocumentsBody maps a posting to the generated request type.
func paymentDocumentsBody(p PaymentDocuments) (*bills.ImportPaymentDocumentRequest, []string, error) {
	if n := len(p.Documents); n == 0 || n > MaxDocumentsPerImport {
		return nil, nil, fmt.Errorf("giszhkh: importPaymentDocumentData takes 1..%d documents, got %d", MaxDocumentsPerImport, n)
	}
	month := base.MonthType(p.Month)
	year := int64(p.Year)
	yes := true
	req := &bills.ImportPaymentDocumentRequest{BaseType: bodyBase(), Version: bills.ImportPaymentDocumentRequest_VersionFixed,
		ConfirmAmountsCorrect: &yes, Month: &month, Year: &year}
	req.PaymentInformation = []bills.ImportPaymentDocumentRequest_PaymentInformation{{
		PaymentInformationKeyType: paymentsbase.PaymentInformationKeyType{BankBIK: organizationsbase.BIKType(p.Bank.BIK), OperatingAccountNumber: p.Bank.Account},
		TransportGUID:             base.GUIDType(p.Bank.TransportGUID),
	}}
	ids := make([]string, 0, len(p.Documents))
	for _, d := range p.Documents {
		doc := bills.ImportPaymentDocumentRequest_PaymentDocument{
			PaymentDocumentType: bills.PaymentDocumentType{
				AccountGuid:           base.GUIDType(d.AccountGUID),
				PaymentDocumentNumber: d.Number,
				TotalPayableByPD:      Rubles(d.PayableKopecks),
			},
			TransportGUID:         base.GUIDType(d.TransportGUID),
			PaymentInformationKey: base.GUIDType(p.Bank.TransportGUID),
		}
		var sum int64
		for _, c := range d.Charges {
			if c.Kind == ChargeCapitalRepair {
				if doc.CapitalRepairCharge != nil {
					return nil, nil, fmt.Errorf("giszhkh: payment document %s has more than one capital repair charge", d.TransportGUID)
				}
				doc.CapitalRepairCharge = &bills.PaymentDocumentType_CapitalRepairCharge{CapitalRepairImportType: bills.CapitalRepairImportType{
					Contribution: c.Rate, AccountingPeriodTotal: Rubles(c.AccruedKopecks), TotalPayable: Rubles(c.PayableKopecks),
					OrgPPAGUID: base.GUIDType(c.ProviderPPAGUID),
				}}
				sum += c.PayableKopecks
				continue
			}
			svc := bills.ServicePDImportType{
				ServiceType:           c.Service.gen(),
				Rate:                  c.Rate,
				TotalPayable:          Rubles(c.PayableKopecks),
				AccountingPeriodTotal: Rubles(c.AccruedKopecks),
				OrgPPAGUID:            base.GUIDType(c.ProviderPPAGUID),
			}
			var ci bills.PaymentDocumentType_ChargeInfo
			switch c.Kind {
			case ChargeMunicipal:
				ms := &bills.PDServiceChargeType_MunicipalService{ServicePDImportType: svc}
				if c.Volume != "" {
					ms.Consumption = &bills.PDServiceChargeType_MunicipalService_Consumption{Volume: []bills.PDServiceChargeType_MunicipalService_Consumption_Volume{{
						Value: bills.ConsumptionVolumeType(c.Volume), Type: "I", DeterminingMethod: "M",
					}}}
				}
				ci.MunicipalService = ms
			case ChargeHousing:
				ci.HousingService = &bills.PDServiceChargeType_HousingService{ServicePDImportType: svc}
			case ChargeAdditional:
				ci.AdditionalService = &bills.PDServiceChargeType_AdditionalService{ServicePDImportType: svc}
			default:
				return nil, nil, fmt.Errorf("giszhkh: payment document %s: unknown charge kind %d", d.TransportGUID, c.Kind)
			}
			doc.ChargeInfo = append(doc.ChargeInfo, ci)
			sum += c.PayableKopecks
		}
		doc.TotalPayableByChargeInfo = Rubles(sum)
		if d.DebtKopecks > 0 {
			doc.DebtPreviousPeriods = Rubles(d.DebtKopecks)
		} else if d.DebtKopecks < 0 {
			doc.AdvanceBllingPeriod = Rubles(-d.DebtKopecks)
		}
		req.PaymentDocument = append(req.PaymentDocument, doc)
		ids = append(ids, d.TransportGUID)
	}
	if p.ProviderPPAGUID != "" {
		req.PaymentProviderInformation = &bills.ImportPaymentDocumentRequest_PaymentProviderInformation{OrgPPAGUID: base.GUIDType(p.ProviderPPAGUID)}
	}
	return req, ids, nil
}

// Withdrawal withdraws (отзыв) one posted document.
type Withdrawal struct {
	TransportGUID     string `json:"transport_guid,omitempty"`
	PaymentDocumentID string `json:"payment_document_id,omitempty"` // GIS id, 18 characters
}

// WithdrawPaymentDocuments builds importPaymentDocumentData withdrawing up
// to 1000 documents.
func (b *Builder) WithdrawPaymentDocuments(ctx context.Context, org string, ws []Withdrawal) (*Request, error) {
	if n := len(ws); n == 0 || n > MaxWithdrawalsPerImport {
		return nil, fmt.Errorf("giszhkh: document withdrawal takes 1..%d documents, got %d", MaxWithdrawalsPerImport, n)
	}
	req := bills.ImportPaymentDocumentRequest{BaseType: bodyBase(), Version: bills.ImportPaymentDocumentRequest_VersionFixed}
	var ids []string
	for _, w := range ws {
		req.WithdrawPaymentDocument = append(req.WithdrawPaymentDocument, bills.ImportPaymentDocumentRequest_WithdrawPaymentDocument{
			TransportGUID: base.GUIDType(w.TransportGUID), PaymentDocumentID: w.PaymentDocumentID,
		})
		ids = append(ids, w.TransportGUID)
	}
	return b.build(ctx, ServiceBills, OpImportPaymentDocumentData, org, req, ids)
}

// DocumentQuery selects payment documents to export: up to 1000 GIS ids, or
// a period with up to 1000 account GUIDs.
type DocumentQuery struct {
	PaymentDocumentIDs []string `json:"payment_document_ids,omitempty"`
	Year               int      `json:"year,omitempty"`
	Month              int      `json:"month,omitempty"`
	AccountGUIDs       []string `json:"account_guids,omitempty"`
}

// ExportPaymentDocuments builds exportPaymentDocumentData.
func (b *Builder) ExportPaymentDocuments(ctx context.Context, org string, q DocumentQuery) (*Request, error) {
	req := bills.ExportPaymentDocumentRequest{BaseType: bodyBase(), Version: versionExportPaymentDoc, PaymentDocumentID: q.PaymentDocumentIDs}
	switch {
	case len(q.PaymentDocumentIDs) > 0 && len(q.AccountGUIDs) == 0:
		if len(q.PaymentDocumentIDs) > MaxIDsPerDocumentExport {
			return nil, fmt.Errorf("giszhkh: exportPaymentDocumentData takes at most %d ids", MaxIDsPerDocumentExport)
		}
	case len(q.PaymentDocumentIDs) == 0 && len(q.AccountGUIDs) > 0 && q.Year > 0 && q.Month > 0:
		if len(q.AccountGUIDs) > MaxIDsPerDocumentExport {
			return nil, fmt.Errorf("giszhkh: exportPaymentDocumentData takes at most %d accounts", MaxIDsPerDocumentExport)
		}
		y, m := int64(q.Year), base.MonthType(q.Month)
		req.Year, req.Month = &y, &m
		for _, g := range q.AccountGUIDs {
			req.AccountGUID = append(req.AccountGUID, base.GUIDType(g))
		}
	default:
		return nil, fmt.Errorf("giszhkh: exportPaymentDocumentData needs document ids, or a period with account GUIDs")
	}
	return b.build(ctx, ServiceBills, OpExportPaymentDocumentData, org, req, nil)
}

// --- payments -------------------------------------------------------------

// SupplierNotification reports one payment received by the provider
// (извещение о принятии к исполнению распоряжения, posted by the provider).
type SupplierNotification struct {
	TransportGUID     string    `json:"transport_guid,omitempty"`
	OrderDate         time.Time `json:"order_date"`
	Year              int       `json:"year,omitempty"`                // period paid for, 0 = not sent
	Month             int       `json:"month,omitempty"`               // period paid for, 0 = not sent
	PaymentDocumentID string    `json:"payment_document_id,omitempty"` // either the document ...
	ServiceID         string    `json:"service_id,omitempty"`          // ... or the ЖКУ id
	AmountKopecks     int64     `json:"amount_kopecks,omitempty"`      // written in rubles
	Online            bool      `json:"online,omitempty"`
}

// ImportSupplierNotifications builds importSupplierNotificationsOfOrderExecution
// for up to 250 notices (practice: 200, see the jobs' caps).
func (b *Builder) ImportSupplierNotifications(ctx context.Context, org string, ns []SupplierNotification) (*Request, error) {
	if n := len(ns); n == 0 || n > MaxSupplierNotices {
		return nil, fmt.Errorf("giszhkh: importSupplierNotificationsOfOrderExecution takes 1..%d notices, got %d", MaxSupplierNotices, n)
	}
	req := payment.ImportSupplierNotificationsOfOrderExecutionRequest{BaseType: bodyBase(), Version: versionSupplierNotices}
	var ids []string
	for _, n := range ns {
		if (n.PaymentDocumentID == "") == (n.ServiceID == "") {
			return nil, fmt.Errorf("giszhkh: supplier notice %s needs either a payment document id or a ЖКУ id", n.TransportGUID)
		}
		if n.AmountKopecks <= 0 {
			return nil, fmt.Errorf("giszhkh: supplier notice %s: amount %d kopecks must be positive", n.TransportGUID, n.AmountKopecks)
		}
		it := payment.ImportSupplierNotificationsOfOrderExecutionRequest_SupplierNotificationOfOrderExecution{
			SupplierNotificationOfOrderExecutionType: payment.SupplierNotificationOfOrderExecutionType{
				OrderDate:         date(n.OrderDate),
				PaymentDocumentID: n.PaymentDocumentID,
				ServiceID:         n.ServiceID,
				Amount:            Rubles(n.AmountKopecks),
			},
			TransportGUID: base.GUIDType(n.TransportGUID),
		}
		if n.Year > 0 {
			it.OrderPeriod = &payment.SupplierNotificationOfOrderExecutionType_OrderPeriod{Month: base.MonthType(n.Month), Year: int64(n.Year)}
		}
		if n.Online {
			it.OnlinePayment = &n.Online
		}
		req.SupplierNotificationOfOrderExecution = append(req.SupplierNotificationOfOrderExecution, it)
		ids = append(ids, n.TransportGUID)
	}
	return b.build(ctx, ServicePayment, OpImportSupplierNotifications, org, req, ids)
}

// Cancellation cancels one notification placed before, by its order id.
type Cancellation struct {
	TransportGUID string    `json:"transport_guid,omitempty"`
	OrderID       string    `json:"order_id,omitempty"` // UniqueNumber GIS returned for the notification
	Date          time.Time `json:"date"`
	Comment       string    `json:"comment,omitempty"`
}

// ImportCancellations builds importNotificationsOfOrderExecutionCancellation.
func (b *Builder) ImportCancellations(ctx context.Context, org string, cs []Cancellation) (*Request, error) {
	if n := len(cs); n == 0 || n > MaxCancellationsPerImport {
		return nil, fmt.Errorf("giszhkh: notification cancellation takes 1..%d items, got %d", MaxCancellationsPerImport, n)
	}
	req := payment.ImportNotificationsOfOrderExecutionCancellationRequest{BaseType: bodyBase(), Version: payment.ImportNotificationsOfOrderExecutionCancellationRequest_VersionFixed}
	var ids []string
	for _, c := range cs {
		req.NotificationOfOrderExecutionCancellation = append(req.NotificationOfOrderExecutionCancellation, paymentsbase.NotificationOfOrderExecutionCancellationType{
			OrderID: paymentsbase.OrderIDExportType(c.OrderID), CancellationDate: date(c.Date), Comment: c.Comment, TransportGUID: base.GUIDType(c.TransportGUID),
		})
		ids = append(ids, c.TransportGUID)
	}
	return b.build(ctx, ServicePayment, OpImportNotificationsCancellation, org, req, ids)
}
