package giszhkh

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/base"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/bills"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/devicemetering"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/housemanagement"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrycommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/payment"
)

// Request states of an asynchronous message (base:AsyncRequestStateType).
const (
	StateReceived   = 1 // получено
	StateProcessing = 2 // в обработке
	StateDone       = 3 // обработано
)

// Error codes with special handling (research note §5).
const (
	CodeNoObjects       = "INT002012" // «Нет объектов для экспорта»: an empty result, not an error
	CodeUnknownMessage  = "INT002013" // getState for a MessageGUID GIS does not know
	CodeTransferFailure = "EXP001000" // transient: re-send as a new message
)

// Ack is GIS's synchronous answer to an accepted request.
type Ack struct {
	MessageGUID          string // GIS's id, used for getState
	RequesterMessageGUID string // our header MessageGUID
}

// Fault is a SOAP fault carrying a GIS error code (base:Fault).
type Fault struct {
	Code    string
	Message string
}

// Error implements error.
func (f *Fault) Error() string { return fmt.Sprintf("GIS ZhKH fault %s: %s", f.Code, f.Message) }

// ItemError is a GIS error on a whole message or one item.
type ItemError struct {
	Code        string
	Description string
}

// ItemResult is the outcome of one item, matched by TransportGUID.
type ItemResult struct {
	TransportGUID string
	GUID          string // GIS id of the created or changed object
	UniqueNumber  string // e.g. account number in GIS, PaymentDocumentID, order id
	UpdateDate    string
	Errors        []ItemError
	// Account imports also return the ЕЛС and ЖКУ id.
	UnifiedAccountNumber, ServiceID string
	// Metering device imports return the device (root) GUID; GUID is then
	// the version GUID.
	RootGUID string
}

// ExportedAccount is one account of an exportAccountData result.
type ExportedAccount struct {
	AccountGUID          string
	AccountNumber        string
	UnifiedAccountNumber string // ЕЛС, 10 characters
	ServiceID            string // идентификатор ЖКУ, 13 characters
}

// ExportedReading is one value of an exportMeteringDeviceHistory result:
// a current reading, or a device's base (installation) value.
type ExportedReading struct {
	RootGUID     string
	ResourceCode string // one-rate devices: the НСИ 2 resource; "" for electricity
	ResourceGUID string
	// Value is the reading (tariff T1 of an electricity meter); ValueT2 and
	// ValueT3 are the other tariffs of a multi-tariff meter, "" if none.
	Value, ValueT2, ValueT3 string
	Date                    string // DateValue; for a base value the day it entered GIS
	ReadingSource           string // who entered it, as GIS says
	Electric                bool   // ElectricDeviceValue
	Base                    bool   // BaseValue: the value at installation, not a period's reading
}

// SkippedReading is an exportMeteringDeviceHistory entry the gateway does
// not import, with the reason, so an export reports what it left out.
type SkippedReading struct {
	RootGUID string
	Reason   string
}

// ExportedDocument is one payment document of an exportPaymentDocumentData result.
type ExportedDocument struct {
	PaymentDocumentID string
	Number            string
	AccountGUID       string
}

// ExportedOrg is one organization of an exportOrgRegistry result.
type ExportedOrg struct {
	RootGUID    string // orgRootEntityGUID
	VersionGUID string // orgVersionGUID
	PPAGUID     string // orgPPAGUID: set when the organization is registered in GIS
	OGRN, KPP   string // OGRNIP for an individual entrepreneur
	INN, Name   string
	Actual      bool // the version is the actual one
}

// ExportedProvider is one data provider linked to our information system
// (exportDataProvider).
type ExportedProvider struct {
	DataProviderGUID string
	RootGUID         string // orgRootEntityGUID of the organization
	Actual           bool
}

// ExportedHouse is the answer of exportHouseData: the house and its
// residential and non-residential premises.
type ExportedHouse struct {
	FIASHouseGUID string
	HouseGUID     string // GIS housing-registry id (versions ≥ 15.6.0.1)
	UniqueNumber  string
	Apartment     bool // многоквартирный дом; false: жилой дом
	Premises      []ExportedPremises
}

// ExportedPremises is one premises of an exported house.
type ExportedPremises struct {
	Number       string
	GUID         string
	UniqueNumber string
	Residential  bool
	Terminated   bool // annulled in GIS (TerminationDate set)
}

// ExportedMeter is one device of an exportMeteringDeviceData result.
type ExportedMeter struct {
	RootGUID, VersionGUID string
	Number                string // factory number
	Archived              bool   // StatusRootDoc Archival
	ResourceCode          string // НСИ 2 code of the first resource, "" if none given
	Electric              bool   // an electricity meter (MunicipalResourceEnergy)
	AccountGUIDs          []string
	PremisesGUIDs         []string
}

// State is the decoded getState answer.
type State struct {
	RequestState int
	MessageGUID  string
	// Error is set when GIS rejected the whole message (base:ErrorMessage).
	Error     *ItemError
	Results   []ItemResult
	Accounts  []ExportedAccount
	Readings  []ExportedReading
	Documents []ExportedDocument
	// NsiElements are the elements of an exported reference book;
	// NsiPages is the number of pages of a paged export (0 if not paged).
	NsiElements []NsiElement
	NsiPages    int
	// NsiPage is the page an exportNsiPagingItem answer carries (0 if not paged).
	NsiPage int
	// Orgs and Providers are exportOrgRegistry and exportDataProvider results.
	Orgs      []ExportedOrg
	Providers []ExportedProvider
	// House is an exportHouseData result.
	House *ExportedHouse
	// Meters are exportMeteringDeviceData results.
	Meters []ExportedMeter
	// SkippedReadings are history entries not imported, with the reason.
	SkippedReadings []SkippedReading
	// NextBlock is set when an exportMeteringDeviceHistory answer is one
	// block of several: ask again with HistoryQuery.NextBlock = NextBlock.
	NextBlock string
}

// NsiElement is one element of a GIS reference book.
type NsiElement struct {
	Code, GUID, Name string
	Actual           bool
}

// nsiElement decodes an NsiElement by hand: its fields are polymorphic
// (xsi:type StringField, EnumField …), which the generated types do not
// model; the first field's Value is taken as the element's name.
type nsiElement struct {
	Code     string `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Code"`
	GUID     string `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ GUID"`
	IsActual bool   `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ IsActual"`
	Fields   []struct {
		Name  string `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Name"`
		Value string `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Value"`
	} `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ NsiElementField"`
	Children []nsiElement `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ ChildElement"`
}

type nsiItem struct {
	Elements    []nsiElement `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ NsiElement"`
	TotalPages  int          `xml:"TotalPages"`
	CurrentPage int          `xml:"CurrentPage"`
}

func (st *State) addNsi(item *nsiItem) {
	if item == nil {
		return
	}
	st.NsiPages, st.NsiPage = item.TotalPages, item.CurrentPage
	var walk func([]nsiElement)
	walk = func(els []nsiElement) {
		for _, e := range els {
			n := NsiElement{Code: e.Code, GUID: e.GUID, Actual: e.IsActual}
			for _, f := range e.Fields {
				if f.Value != "" {
					n.Name = f.Value
					break
				}
			}
			st.NsiElements = append(st.NsiElements, n)
			walk(e.Children)
		}
	}
	walk(item.Elements)
}

// Empty reports whether the whole-message error only says there was nothing
// to export (INT002012), which is a normal empty result.
func (s *State) Empty() bool { return s.Error != nil && s.Error.Code == CodeNoObjects }

// bodyDecoder positions a decoder on the first element inside soap:Body.
func bodyDecoder(data []byte) (*xml.Decoder, xml.StartElement, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	inBody := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, xml.StartElement{}, errors.New("giszhkh: response has no SOAP Body content")
		}
		if err != nil {
			return nil, xml.StartElement{}, fmt.Errorf("giszhkh: response is not XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if inBody {
			return d, se, nil
		}
		if se.Name.Space == NSSoap && se.Name.Local == "Body" {
			inBody = true
		}
	}
}

// soapFault is a SOAP 1.1 fault with GIS's detail.
type soapFault struct {
	Code   string     `xml:"faultcode"`
	String string     `xml:"faultstring"`
	Detail base.Fault `xml:"detail>Fault"`
}

func decodeFault(d *xml.Decoder, se xml.StartElement) error {
	var f soapFault
	if err := d.DecodeElement(&f, &se); err != nil {
		return fmt.Errorf("giszhkh: decode SOAP fault: %w", err)
	}
	fe := &Fault{Code: f.Detail.ErrorCode, Message: f.Detail.ErrorMessage}
	if fe.Code == "" {
		fe.Code = f.Code
	}
	if fe.Message == "" {
		fe.Message = f.String
	}
	return fe
}

// DecodeAck decodes the answer to a request: an Ack, or a *Fault error.
func DecodeAck(data []byte) (Ack, error) {
	d, se, err := bodyDecoder(data)
	if err != nil {
		return Ack{}, err
	}
	if se.Name.Space == NSSoap && se.Name.Local == "Fault" {
		return Ack{}, decodeFault(d, se)
	}
	var a base.AckRequest
	if err := d.DecodeElement(&a, &se); err != nil {
		return Ack{}, fmt.Errorf("giszhkh: decode Ack: %w", err)
	}
	if a.Ack.MessageGUID == "" {
		return Ack{}, fmt.Errorf("giszhkh: answer %s has no Ack/MessageGUID", se.Name.Local)
	}
	return Ack{MessageGUID: string(a.Ack.MessageGUID), RequesterMessageGUID: string(a.Ack.RequesterMessageGUID)}, nil
}

func itemError(e *base.ErrorMessageType) *ItemError {
	if e == nil {
		return nil
	}
	return &ItemError{Code: e.ErrorCode, Description: e.Description}
}

func commonResult(c base.CommonResultType) ItemResult {
	r := ItemResult{TransportGUID: string(c.TransportGUID), GUID: string(c.GUID), UniqueNumber: c.UniqueNumber, UpdateDate: c.UpdateDate}
	for _, e := range c.Error {
		r.Errors = append(r.Errors, ItemError{Code: e.ErrorCode, Description: e.Description})
	}
	return r
}

// DecodeState decodes a getState answer of service s, or returns a *Fault.
func DecodeState(s Service, data []byte) (*State, error) {
	d, se, err := bodyDecoder(data)
	if err != nil {
		return nil, err
	}
	if se.Name.Space == NSSoap && se.Name.Local == "Fault" {
		return nil, decodeFault(d, se)
	}
	if want := ServiceNamespace(s); se.Name.Space != want {
		return nil, fmt.Errorf("giszhkh: answer %s in namespace %q is not the %s service's (%q)", se.Name.Local, se.Name.Space, s, want)
	}
	st := &State{}
	fill := func(b base.BaseAsyncResponseType, e *base.ErrorMessageType) {
		st.RequestState, st.MessageGUID, st.Error = int(b.RequestState), string(b.MessageGUID), itemError(e)
	}
	switch s {
	case ServiceBills:
		var r bills.GetStateResult
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode bills getStateResult: %w", err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
		for _, c := range r.ImportResult {
			st.Results = append(st.Results, commonResult(c))
		}
		for _, x := range r.ExportPaymentDocResult {
			if x.PaymentDocument != nil {
				st.Documents = append(st.Documents, ExportedDocument{PaymentDocumentID: x.PaymentDocument.PaymentDocumentID,
					Number: x.PaymentDocument.PaymentDocumentNumber, AccountGUID: string(x.PaymentDocument.AccountGuid)})
			}
		}
	case ServiceHouseManagement:
		var r housemanagement.GetStateResult
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode house-management getStateResult: %w", err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
		for _, ir := range r.ImportResult {
			if ir.ErrorMessage != nil && st.Error == nil {
				st.Error = itemError(ir.ErrorMessage)
			}
			for _, c := range ir.CommonResult {
				r := commonResult(c.CommonResultType)
				if c.ImportAccount != nil {
					r.UnifiedAccountNumber, r.ServiceID = c.ImportAccount.UnifiedAccountNumber, c.ImportAccount.ServiceID
				}
				if c.ImportMeteringDevice != nil {
					r.RootGUID = string(c.ImportMeteringDevice.MeteringDeviceGUID)
				}
				st.Results = append(st.Results, r)
			}
		}
		for _, a := range r.ExportAccountResult {
			st.Accounts = append(st.Accounts, ExportedAccount{AccountGUID: string(a.AccountGUID), AccountNumber: a.AccountNumber,
				UnifiedAccountNumber: a.UnifiedAccountNumber, ServiceID: a.ServiceID})
		}
		if h := r.ExportHouseResult; h != nil {
			st.House = exportedHouse(h)
		}
		for _, m := range r.ExportMeteringDeviceDataResult {
			st.Meters = append(st.Meters, exportedMeter(m))
		}
	case ServiceDeviceMetering:
		var r devicemetering.GetStateResult
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode device-metering getStateResult: %w", err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
		for _, c := range r.ImportResult {
			st.Results = append(st.Results, commonResult(c))
		}
		if p := r.PagedOutput; p != nil && (p.LastPage == nil || !*p.LastPage) && p.ExportMeteringDeviceRootGUID != "" {
			st.NextBlock = string(p.ExportMeteringDeviceRootGUID)
		}
		for _, h := range r.ExportMeteringDeviceHistoryResult {
			st.addHistory(h)
		}
	case ServicePayment:
		var r payment.GetStateResult
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode payment getStateResult: %w", err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
		for _, c := range r.ImportResult {
			st.Results = append(st.Results, commonResult(c))
		}
	case ServiceNsiCommon, ServiceNsi:
		var r struct {
			base.BaseAsyncResponseType
			ErrorMessage *base.ErrorMessageType `xml:"http://dom.gosuslugi.ru/schema/integration/base/ ErrorMessage"`
			Item         *nsiItem               `xml:"NsiItem"`
			PagingItem   *nsiItem               `xml:"NsiPagingItem"`
		}
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode %s getStateResult: %w", s, err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
		st.addNsi(r.Item)
		st.addNsi(r.PagingItem)
	case ServiceOrgRegistry:
		var r organizationsregistrycommon.GetStateResult
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode %s getStateResult: %w", s, err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
		for _, o := range r.ExportOrgRegistryResult {
			st.Orgs = append(st.Orgs, exportedOrg(o))
		}
		for _, p := range r.ExportDataProviderResult {
			st.Providers = append(st.Providers, ExportedProvider{DataProviderGUID: string(p.DataProviderGUID),
				RootGUID: string(p.RegOrg.OrgRootEntityGUID), Actual: p.IsActual})
		}
	default:
		// Services whose results the gateway does not map yet: state and
		// whole-message error only.
		var r struct {
			base.BaseAsyncResponseType
			ErrorMessage *base.ErrorMessageType `xml:"http://dom.gosuslugi.ru/schema/integration/base/ ErrorMessage"`
		}
		if err := d.DecodeElement(&r, &se); err != nil {
			return nil, fmt.Errorf("giszhkh: decode %s getStateResult: %w", s, err)
		}
		fill(r.BaseAsyncResponseType, r.ErrorMessage)
	}
	if st.RequestState < StateReceived || st.RequestState > StateDone {
		return nil, fmt.Errorf("giszhkh: getStateResult has RequestState %d, want 1..3", st.RequestState)
	}
	if !strings.EqualFold(se.Name.Local, "getStateResult") {
		return nil, fmt.Errorf("giszhkh: answer %s is not a getStateResult", se.Name.Local)
	}
	return st, nil
}

func exportedOrg(o organizationsregistrycommon.ExportOrgRegistryResultType) ExportedOrg {
	v := o.OrgVersion
	e := ExportedOrg{RootGUID: string(o.OrgRootEntityGUID), VersionGUID: string(v.OrgVersionGUID), PPAGUID: string(o.OrgPPAGUID), Actual: v.IsActual}
	switch {
	case v.Legal != nil:
		e.OGRN, e.KPP, e.INN, e.Name = string(v.Legal.OGRN), string(v.Legal.KPP), string(v.Legal.INN), v.Legal.ShortName
		if e.Name == "" {
			e.Name = v.Legal.FullName
		}
	case v.Subsidiary != nil:
		e.OGRN, e.KPP, e.INN, e.Name = string(v.Subsidiary.OGRN), string(v.Subsidiary.KPP), string(v.Subsidiary.INN), v.Subsidiary.ShortName
		if e.Name == "" {
			e.Name = v.Subsidiary.FullName
		}
	case v.Entrp != nil:
		e.OGRN, e.INN = string(v.Entrp.OGRNIP), string(v.Entrp.INN)
		e.Name = strings.TrimSpace(v.Entrp.Surname + " " + v.Entrp.FirstName + " " + v.Entrp.Patronymic)
	}
	return e
}

func exportedHouse(h *housemanagement.ExportHouseResultType) *ExportedHouse {
	x := &ExportedHouse{HouseGUID: string(h.HouseGUID), UniqueNumber: h.HouseUniqueNumber}
	if a := h.ApartmentHouse; a != nil {
		x.Apartment = true
		x.FIASHouseGUID = string(a.BasicCharacteristicts.FIASHouseGuid)
		for _, p := range a.ResidentialPremises {
			x.Premises = append(x.Premises, ExportedPremises{Number: string(p.PremisesNum), GUID: string(p.PremisesGUID),
				UniqueNumber: p.PremisesUniqueNumber, Residential: true, Terminated: p.TerminationDate != ""})
		}
		for _, p := range a.NonResidentialPremises {
			x.Premises = append(x.Premises, ExportedPremises{Number: string(p.PremisesNum), GUID: string(p.PremisesGUID),
				UniqueNumber: p.PremisesUniqueNumber, Terminated: p.TerminationDate != ""})
		}
	}
	if l := h.LivingHouse; l != nil {
		x.FIASHouseGUID = string(l.BasicCharacteristicts.FIASHouseGuid)
		if x.HouseGUID == "" {
			x.HouseGUID = string(l.HouseGUID)
		}
	}
	return x
}

func exportedMeter(m housemanagement.ExportMeteringDeviceDataResultType) ExportedMeter {
	bc := m.BasicChatacteristicts
	x := ExportedMeter{RootGUID: string(m.MeteringDeviceRootGUID), VersionGUID: string(m.MeteringDeviceVersionGUID),
		Number: bc.MeteringDeviceNumber, Archived: strings.EqualFold(m.StatusRootDoc, "Archival")}
	if d := bc.ResidentialPremiseDevice; d != nil {
		for _, g := range d.PremiseGUID {
			x.PremisesGUIDs = append(x.PremisesGUIDs, string(g))
		}
		for _, g := range d.AccountGUID {
			x.AccountGUIDs = append(x.AccountGUIDs, string(g))
		}
	}
	switch {
	case len(m.MunicipalResourceNotEnergy) > 0:
		x.ResourceCode = string(m.MunicipalResourceNotEnergy[0].MunicipalResource.Code)
	case m.MunicipalResourceEnergy != nil:
		x.Electric = true
	case len(m.MunicipalResources) > 0:
		x.ResourceCode = string(m.MunicipalResources[0].MunicipalResource.Code)
	}
	return x
}

// ServiceNamespace is the XML namespace of service s's messages; a
// getStateResult in another namespace is another service's answer.
func ServiceNamespace(s Service) string {
	return "http://dom.gosuslugi.ru/schema/integration/" + string(s) + "/"
}

// addHistory takes every value kind exportMeteringDeviceHistory may carry:
// one-rate and electricity devices' current and base values. Control and
// verification values and consumption volumes are not readings of a period;
// they are reported as skipped, as is an entry with no value at all.
func (st *State) addHistory(h devicemetering.ExportMeteringDeviceHistoryResultType) {
	root := string(h.MeteringDeviceRootGUID)
	n := len(st.Readings)
	skip := func(reason string) {
		st.SkippedReadings = append(st.SkippedReadings, SkippedReading{RootGUID: root, Reason: reason})
	}
	if v := h.OneRateDeviceValue; v != nil {
		for _, b := range v.BaseValue {
			st.Readings = append(st.Readings, ExportedReading{RootGUID: root, ResourceCode: string(b.MunicipalResource.Code),
				ResourceGUID: string(b.MunicipalResource.GUID), Value: string(b.MeteringValue), Date: b.EnterIntoSystem,
				ReadingSource: b.ReadingsSource, Base: true})
		}
		if v.Values != nil {
			for _, c := range v.Values.CurrentValue {
				st.Readings = append(st.Readings, ExportedReading{RootGUID: root, ResourceCode: string(c.MunicipalResource.Code),
					ResourceGUID: string(c.MunicipalResource.GUID), Value: string(c.MeteringValue), Date: c.DateValue,
					ReadingSource: c.ReadingsSource})
			}
			if k := len(v.Values.ControlValue) + len(v.Values.VerificationValue); k > 0 {
				skip(fmt.Sprintf("%d control or verification values (not a period's reading)", k))
			}
		}
	}
	if v := h.ElectricDeviceValue; v != nil {
		if b := v.BaseValue; b != nil {
			st.Readings = append(st.Readings, ExportedReading{RootGUID: root, Value: string(b.MeteringValueT1),
				ValueT2: string(b.MeteringValueT2), ValueT3: string(b.MeteringValueT3), Date: b.EnterIntoSystem,
				ReadingSource: b.ReadingsSource, Electric: true, Base: true})
		}
		if v.Values != nil {
			for _, c := range v.Values.CurrentValue {
				st.Readings = append(st.Readings, ExportedReading{RootGUID: root, Value: string(c.MeteringValueT1),
					ValueT2: string(c.MeteringValueT2), ValueT3: string(c.MeteringValueT3), Date: c.DateValue,
					ReadingSource: c.ReadingsSource, Electric: true})
			}
			if k := len(v.Values.ControlValue) + len(v.Values.VerificationValue); k > 0 {
				skip(fmt.Sprintf("%d control or verification values (not a period's reading)", k))
			}
		}
	}
	if h.VolumeDeviceValue != nil {
		skip("consumption volumes only (a volume device reports no readings)")
	}
	if len(st.Readings) == n && h.VolumeDeviceValue == nil {
		if h.ArchivedValues != nil {
			skip("archived device without values")
		} else {
			skip("no values")
		}
	}
}
