package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/canon"
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
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrycommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/payment"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/paymentsbase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/premisesbase"
)

// Business error codes the simulator answers per item.
const (
	codeNotFound = "INT002000" // «Значение в поле отсутствует в реестре»
	codeExists   = "INT004132" // object already posted
	// codeNoHousingObject: the id names no (actual) object of the housing
	// registry, e.g. a premises GUID that is not a premises of the house.
	codeNoHousingObject = "INT002034"
)

const (
	nsBase  = "http://dom.gosuslugi.ru/schema/integration/base/"
	nsHM    = "http://dom.gosuslugi.ru/schema/integration/house-management/"
	nsBills = "http://dom.gosuslugi.ru/schema/integration/bills/"
	nsDM    = "http://dom.gosuslugi.ru/schema/integration/device-metering/"
	nsPay   = "http://dom.gosuslugi.ru/schema/integration/payment/"
)

type account struct {
	guid, org, number, els, zhku, unique, house string
	closed                                      bool
	created                                     string // CreationDate
	acm                                         []housemanagement.AccountExportType_Accommodation
	payer                                       housemanagement.AccountExportType_PayerInfo
	persons                                     *int64
	area                                        string
}

type meter struct {
	root, version, org, account, number, resourceCode, resourceGUID, unit, initial string
	archived                                                                       bool
	house, premises                                                                string // FIAS house GUID and premises GUID as placed
	basic                                                                          housemanagement.MeteringDeviceBasicCharacteristicsType
	versionNo                                                                      int64
	updated                                                                        time.Time
}

type reading struct {
	root, value, date, source string
}

type document struct {
	id, guid, org, account, number string
	year, month                    int
	withdrawn                      bool
	bik, bankAccount, total        string // the recipient's bank details and TotalPayableByPD, as imported
}

type order struct {
	id, org, documentID string
	amount              int64
	cancelled           bool
}

// state is the simulator's registry. Callers hold Server.mu.
type state struct {
	accounts  map[string]*account // by GUID
	accByNum  map[string]*account // org|number
	accByELS  map[string]*account
	accByZHKU map[string]*account
	meters    map[string]*meter // by root GUID
	byVersion map[string]*meter
	meterKey  map[string]*meter // account|number|resource of active meters
	readings  []reading
	readingAt map[string]bool      // root|date|source of stored readings
	byRoot    map[string][]int     // indexes into readings
	docs      map[string]*document // by PaymentDocumentID
	docByNum  map[string]*document // org|year|month|number
	orders    map[string]*order
	seq       int
}

func newState() *state {
	return &state{accounts: map[string]*account{}, accByNum: map[string]*account{}, accByELS: map[string]*account{},
		accByZHKU: map[string]*account{}, meters: map[string]*meter{}, byVersion: map[string]*meter{},
		docs: map[string]*document{}, docByNum: map[string]*document{}, orders: map[string]*order{},
		readingAt: map[string]bool{}, byRoot: map[string][]int{}, meterKey: map[string]*meter{}}
}

// Counts reports how many objects the simulator holds (tests check that
// nothing was created twice).
type Counts struct {
	Accounts, Meters, Readings, Documents, WithdrawnDocuments, Orders, CancelledOrders int
}

// Counts returns the current object counts.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counts{Accounts: len(s.st.accounts), Meters: len(s.st.meters), Readings: len(s.st.readings), Orders: len(s.st.orders)}
	for _, d := range s.st.docs {
		c.Documents++
		if d.withdrawn {
			c.WithdrawnDocuments++
		}
	}
	for _, o := range s.st.orders {
		if o.cancelled {
			c.CancelledOrders++
		}
	}
	return c
}

var cyr = []rune("АБВГДЕЖЗИКЛМНПРСТУФХ")

// nextELS returns a fresh ЕЛС: 2 digits, 2 Cyrillic letters, 6 digits.
func (st *state) nextELS() string {
	st.seq++
	n := st.seq
	return fmt.Sprintf("%02d%c%c%06d", 10+n/(1000000*len(cyr)*len(cyr))%90, cyr[n/1000000%len(cyr)], cyr[n/1000000/len(cyr)%len(cyr)], n%1000000)
}

func failed(transport, code, desc string) base.CommonResultType {
	return base.CommonResultType{TransportGUID: base.GUIDType(transport), Error: []base.CommonResultType_Error{{ErrorMessageType: base.ErrorMessageType{ErrorCode: code, Description: desc}}}}
}

func (s *Server) ok(transport, guid, unique string) base.CommonResultType {
	return base.CommonResultType{TransportGUID: base.GUIDType(transport), GUID: base.GUIDType(guid), UniqueNumber: unique,
		UpdateDate: s.cfg.Now().Format("2006-01-02T15:04:05.000-07:00")}
}

// fragment writes result elements into the getStateResult content.
type fragment struct{ b bytes.Buffer }

func (f *fragment) add(ns, local string, v any) error {
	return canon.New(&f.b, prefixes).ElementAs(ns, local, v)
}

func emptyResult() []byte {
	var f fragment
	_ = f.add(nsBase, "ErrorMessage", base.ErrorMessageType{ErrorCode: giszhkh.CodeNoObjects, Description: "Нет объектов для экспорта"})
	return f.b.Bytes()
}

// process applies one accepted message to the registry and returns the
// getStateResult content to report once processed.
func (st *state) process(s *Server, m *message, body []byte) ([]byte, error) {
	var f fragment
	var err error
	switch m.op {
	case giszhkh.OpImportAccountData:
		err = st.importAccounts(s, m, body, &f)
	case giszhkh.OpExportAccountData:
		err = st.exportAccounts(m, body, &f)
	case giszhkh.OpImportMeteringDeviceData:
		err = st.importMeters(s, m, body, &f)
	case giszhkh.OpImportMeteringDeviceValues:
		err = st.importReadings(s, m, body, &f)
	case giszhkh.OpExportMeteringDeviceHistory:
		err = st.exportHistory(s, m, body, &f)
	case giszhkh.OpImportPaymentDocumentData:
		err = st.importDocuments(s, m, body, &f)
	case giszhkh.OpExportPaymentDocumentData:
		err = st.exportDocuments(m, body, &f)
	case giszhkh.OpImportSupplierNotifications:
		err = st.importNotices(s, m, body, &f)
	case giszhkh.OpImportNotificationsCancellation:
		err = st.cancelNotices(s, m, body, &f)
	case giszhkh.OpExportNsiItem, giszhkh.OpExportNsiPagingItem, giszhkh.OpExportDataProviderNsiItem:
		err = st.exportNsi(s, m, body, &f)
	case giszhkh.OpExportOrgRegistry:
		err = s.exportOrgRegistry(body, &f)
	case giszhkh.OpExportDataProvider:
		err = s.exportDataProvider(body, &f)
	case giszhkh.OpExportHouseData:
		err = s.exportHouse(m, body, &f)
	case giszhkh.OpExportMeteringDeviceData:
		err = st.exportMeters(s, m, body, &f)
	default:
		// Not modelled: an empty export.
		return emptyResult(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("sim: %s: %w", m.op, err)
	}
	if f.b.Len() == 0 {
		return emptyResult(), nil
	}
	return f.b.Bytes(), nil
}

func (st *state) importAccounts(s *Server, m *message, body []byte, f *fragment) error {
	var req housemanagement.ImportAccountRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	res := housemanagement.GetStateResult_ImportResult{Version: m.version}
	for _, a := range req.Account {
		t := string(a.TransportGUID)
		var cr base.CommonResultType
		var acc *account
		house, problem := s.accommodationHouse(a.Accommodation)
		switch {
		case problem != "":
			cr = failed(t, codeNoHousingObject, problem)
		case a.AccountGUID != "":
			acc = st.accounts[strings.ToLower(string(a.AccountGUID))]
			if acc == nil || acc.org != m.org {
				cr = failed(t, codeNotFound, "Лицевой счет с указанным идентификатором не найден")
				break
			}
			cr = s.ok(t, acc.guid, acc.unique)
		case st.accByNum[m.org+"|"+a.AccountNumber] != nil && !st.accByNum[m.org+"|"+a.AccountNumber].closed:
			cr = failed(t, codeExists, "Лицевой счет с номером "+a.AccountNumber+" уже размещен")
		default:
			st.seq++
			acc = &account{guid: uuid.NewString(), org: m.org, number: a.AccountNumber, unique: fmt.Sprintf("%010d", st.seq),
				house: house, created: s.cfg.Now().Format(dateTime), persons: a.LivingPersonsNumber, area: string(a.TotalSquare)}
			acc.els = st.nextELS()
			acc.zhku = acc.els + "-01"
			for _, x := range a.Accommodation {
				acc.acm = append(acc.acm, housemanagement.AccountExportType_Accommodation{PremisesGUID: x.PremisesGUID,
					FIASHouseGuid: x.FIASHouseGuid, LivingRoomGUID: x.LivingRoomGUID, SharePercent: x.SharePercent})
			}
			acc.payer = exportPayer(a.PayerInfo)
			st.accounts[acc.guid], st.accByNum[m.org+"|"+acc.number] = acc, acc
			st.accByELS[acc.els], st.accByZHKU[acc.zhku] = acc, acc
			cr = s.ok(t, acc.guid, acc.unique)
		}
		if acc != nil && len(cr.Error) == 0 && a.Closed != nil {
			acc.closed = true
		}
		c := housemanagement.GetStateResult_ImportResult_CommonResult{CommonResultType: cr}
		if acc != nil && len(cr.Error) == 0 {
			c.ImportAccount = &housemanagement.GetStateResult_ImportResult_CommonResult_ImportAccount{UnifiedAccountNumber: acc.els, ServiceID: acc.zhku}
		}
		res.CommonResult = append(res.CommonResult, c)
	}
	return f.add(nsHM, "ImportResult", res)
}

func (st *state) exportAccounts(m *message, body []byte, f *fragment) error {
	var req housemanagement.ExportAccountRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	var found []*account
	add := func(a *account) {
		if a != nil && a.org == m.org {
			found = append(found, a)
		}
	}
	for _, g := range req.AccountGUID {
		add(st.accounts[strings.ToLower(string(g))])
	}
	for _, e := range req.UnifiedAccountNumber {
		add(st.accByELS[e])
	}
	for _, z := range req.ServiceID {
		add(st.accByZHKU[z])
	}
	if req.FIASHouseGuid != "" {
		for _, a := range st.accounts {
			if a.house == strings.ToLower(string(req.FIASHouseGuid)) {
				add(a)
			}
		}
	}
	yes := true
	for _, a := range found {
		if err := f.add(nsHM, "exportAccountResult", housemanagement.ExportAccountResultType{
			AccountExportType: housemanagement.AccountExportType{IsRCAccount: &yes, CreationDate: a.created, LivingPersonsNumber: a.persons,
				TotalSquare: premisesbase.PremisesAreaExportType(a.area), Accommodation: a.acm, PayerInfo: a.payer},
			AccountNumber: a.number, AccountGUID: base.GUIDType(a.guid), UnifiedAccountNumber: a.els, ServiceID: a.zhku,
		}); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) importMeters(s *Server, m *message, body []byte, f *fragment) error {
	var req housemanagement.ImportMeteringDeviceDataRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	res := housemanagement.GetStateResult_ImportResult{Version: m.version}
	for _, d := range req.MeteringDevice {
		t := string(d.TransportGUID)
		var c housemanagement.GetStateResult_ImportResult_CommonResult
		switch {
		case d.DeviceDataToCreate != nil:
			bc := d.DeviceDataToCreate.BasicChatacteristicts
			var accGUID, premises string
			switch dev := bc; {
			case dev.ResidentialPremiseDevice != nil:
				accGUID, premises = first(dev.ResidentialPremiseDevice.AccountGUID), first(dev.ResidentialPremiseDevice.PremiseGUID)
			case dev.NonResidentialPremiseDevice != nil:
				accGUID, premises = first(dev.NonResidentialPremiseDevice.AccountGUID), first(dev.NonResidentialPremiseDevice.PremiseGUID)
			}
			acc := st.accounts[accGUID]
			if acc == nil || acc.org != m.org {
				c.CommonResultType = failed(t, codeNotFound, "Лицевой счет прибора учета не найден: "+accGUID)
				break
			}
			house := strings.ToLower(string(req.FIASHouseGuid))
			if house == "" {
				house = acc.house
			}
			if problem := s.meterPremisesProblem(house, premises); problem != "" {
				c.CommonResultType = failed(t, codeNoHousingObject, problem)
				break
			}
			if h := s.world.premises[premises]; h != nil {
				house = h.FIASHouseGUID
			}
			mt := &meter{root: uuid.NewString(), version: uuid.NewString(), org: m.org, account: accGUID, number: bc.MeteringDeviceNumber,
				house: house, premises: premises, basic: bc, versionNo: 1, updated: s.cfg.Now()}
			if r := d.DeviceDataToCreate.MunicipalResourceNotEnergy; len(r) > 0 {
				mt.resourceCode, mt.resourceGUID = string(r[0].MunicipalResource.Code), string(r[0].MunicipalResource.GUID)
				mt.unit, mt.initial = r[0].Unit, string(r[0].MeteringValue)
			}
			key := mt.account + "|" + mt.number + "|" + mt.resourceCode
			if other := st.meterKey[key]; other != nil && !other.archived {
				c.CommonResultType = failed(t, codeExists, "Прибор учета с заводским номером "+mt.number+" уже размещен")
				break
			}
			st.meters[mt.root], st.byVersion[mt.version], st.meterKey[key] = mt, mt, mt
			c.CommonResultType = s.ok(t, mt.version, "ПУ-"+strconv.Itoa(len(st.meters)))
			c.ImportMeteringDevice = &housemanagement.GetStateResult_ImportResult_CommonResult_ImportMeteringDevice{MeteringDeviceGUID: meteringdevicebase.MeteringDeviceGUIDType(mt.root)}
		case d.DeviceDataToUpdate != nil:
			mt := st.byVersion[strings.ToLower(string(d.DeviceDataToUpdate.MeteringDeviceVersionGUID))]
			if mt == nil || mt.org != m.org {
				c.CommonResultType = failed(t, codeNotFound, "Версия прибора учета не найдена")
				break
			}
			if d.DeviceDataToUpdate.ArchiveDevice != nil {
				mt.archived = true
				mt.updated = s.cfg.Now()
			}
			c.CommonResultType = s.ok(t, mt.version, "")
		}
		res.CommonResult = append(res.CommonResult, c)
	}
	return f.add(nsHM, "ImportResult", res)
}

func (st *state) importReadings(s *Server, m *message, body []byte, f *fragment) error {
	var req devicemetering.ImportMeteringDeviceValuesRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	for _, dv := range req.MeteringDevicesValues {
		mt := st.meters[strings.ToLower(string(dv.MeteringDeviceRootGUID))]
		if mt == nil {
			mt = st.byVersion[strings.ToLower(string(dv.MeteringDeviceVersionGUID))]
		}
		if dv.OneRateDeviceValue == nil {
			continue
		}
		for _, v := range dv.OneRateDeviceValue.CurrentValue {
			t := string(v.TransportGUID)
			var cr base.CommonResultType
			switch {
			case mt == nil || mt.org != m.org:
				cr = failed(t, codeNotFound, "Прибор учета не найден")
			case mt.archived:
				cr = failed(t, codeNotFound, "Прибор учета архивирован")
			default:
				st.addReading(reading{root: mt.root, value: string(v.MeteringValue), date: v.DateValue, source: "IS"})
				cr = s.ok(t, uuid.NewString(), "")
			}
			if err := f.add(nsDM, "ImportResult", cr); err != nil {
				return err
			}
		}
	}
	return nil
}

// addReading stores r unless the same reading (device, date, source) is there.
func (st *state) addReading(r reading) {
	key := r.root + "|" + r.date + "|" + r.source
	if st.readingAt[key] {
		return
	}
	st.readingAt[key] = true
	st.byRoot[r.root] = append(st.byRoot[r.root], len(st.readings))
	st.readings = append(st.readings, r)
}

// residentReading is the value a resident "entered on Gosuslugi" for a
// meter: deterministic, a little above the newest value GIS holds (the
// readings it was sent, else the initial value), dated now — never ahead
// of the history or of the clock. ok is false when the history already
// reaches today.
func (st *state) residentReading(mt *meter, now time.Time) (r reading, ok bool) {
	last, lastDate := mt.initial, ""
	for _, i := range st.byRoot[mt.root] {
		if x := st.readings[i]; x.date >= lastDate {
			last, lastDate = x.value, x.date
		}
	}
	today := now.UTC().Format("2006-01-02")
	if lastDate >= today {
		return reading{}, false
	}
	base, _ := strconv.ParseFloat(last, 64)
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%s", mt.root, today)
	v := base + 0.5 + float64(h.Sum32()%3000)/1000
	return reading{root: mt.root, value: strconv.FormatFloat(v, 'f', 3, 64), date: today, source: "Гражданин"}, true
}

func (st *state) exportHistory(s *Server, m *message, body []byte, f *fragment) error {
	var req devicemetering.ExportMeteringDeviceHistoryRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, g := range req.MeteringDeviceRootGUID {
		want[strings.ToLower(string(g))] = true
	}
	houses := map[string]bool{}
	for _, g := range req.FIASHouseGuid {
		houses[strings.ToLower(string(g))] = true
	}
	resources := map[string]bool{}
	for _, r := range req.MunicipalResource {
		resources[string(r.Code)] = true
	}
	now := s.cfg.Now()
	var roots []string
	for root, mt := range st.meters {
		if mt.org != m.org || mt.archived {
			continue
		}
		match := want[root] || (len(want) == 0 && (len(houses) == 0 || houses[mt.house]) && (len(resources) == 0 || resources[mt.resourceCode]))
		if match {
			roots = append(roots, root)
		}
	}
	slices.Sort(roots)
	// Blocks of at most 1000 devices; the next block starts at the device
	// named in PagedOutput/ExportMeteringDeviceRootGUID.
	if from := strings.ToLower(string(req.ExportMeteringDeviceRootGUID)); from != "" {
		i, _ := slices.BinarySearch(roots, from)
		roots = roots[i:]
	}
	if len(roots) == 0 {
		return nil
	}
	var next string
	if block := s.historyBlock(); len(roots) > block {
		next, roots = roots[block], roots[:block]
	}
	defer func() {
		last := next == ""
		_ = f.add(nsDM, "PagedOutput", devicemetering.GetStateResult_PagedOutput{ExportMeteringDeviceRootGUID: base.GUIDType(next), LastPage: &last})
	}()
	for _, root := range roots {
		mt := st.meters[root]
		if r, ok := st.residentReading(mt, now); ok {
			st.addReading(r)
		}
		var vals []devicemetering.ExportMeteringDeviceHistoryResultType_OneRateDeviceValue_Values_CurrentValue
		for _, i := range st.byRoot[root] {
			x := st.readings[i]
			if req.InputDateFrom != "" && x.date < req.InputDateFrom {
				continue
			}
			var cv devicemetering.ExportMeteringDeviceHistoryResultType_OneRateDeviceValue_Values_CurrentValue
			cv.MunicipalResource.Code, cv.MunicipalResource.GUID = nsibase.NsiCodeType(mt.resourceCode), base.GUIDType(mt.resourceGUID)
			cv.MeteringValue = meteringdevicebase.MeteringValueType(x.value)
			cv.ReadingsSource = x.source
			cv.EnterIntoSystem = x.date + "T00:00:00.000+03:00"
			cv.DateValue = x.date + "T00:00:00.000+03:00" // xs:dateTime in the export
			vals = append(vals, cv)
		}
		if err := f.add(nsDM, "exportMeteringDeviceHistoryResult", devicemetering.ExportMeteringDeviceHistoryResultType{
			MeteringDeviceRootGUID: meteringdevicebase.MeteringDeviceGUIDType(root),
			OneRateDeviceValue: &devicemetering.ExportMeteringDeviceHistoryResultType_OneRateDeviceValue{
				BaseValue: baseValue(mt), Values: &devicemetering.ExportMeteringDeviceHistoryResultType_OneRateDeviceValue_Values{CurrentValue: vals}},
		}); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) importDocuments(s *Server, m *message, body []byte, f *fragment) error {
	var req bills.ImportPaymentDocumentRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	for _, w := range req.WithdrawPaymentDocument {
		t := string(w.TransportGUID)
		d := st.docs[w.PaymentDocumentID]
		var cr base.CommonResultType
		switch {
		case d == nil || d.org != m.org:
			cr = failed(t, codeNotFound, "Платежный документ не найден")
		case d.withdrawn:
			cr = failed(t, codeExists, "Отзыв ПД невозможен, ПД уже отозван.")
		default:
			d.withdrawn = true
			cr = s.ok(t, d.guid, d.id)
		}
		if err := f.add(nsBills, "ImportResult", cr); err != nil {
			return err
		}
	}
	var year, month int
	if req.Year != nil && req.Month != nil {
		year, month = int(*req.Year), int(*req.Month)
	}
	for _, pd := range req.PaymentDocument {
		t := string(pd.TransportGUID)
		acc := st.accounts[strings.ToLower(string(pd.AccountGuid))]
		key := fmt.Sprintf("%s|%d|%d|%s", m.org, year, month, pd.PaymentDocumentNumber)
		var cr base.CommonResultType
		switch {
		case acc == nil || acc.org != m.org:
			cr = failed(t, codeNotFound, "Лицевой счет не найден: "+string(pd.AccountGuid))
		case pd.PaymentDocumentNumber != "" && st.docByNum[key] != nil && !st.docByNum[key].withdrawn:
			cr = failed(t, codeExists, "Платежный документ с таким номером уже существует.")
		default:
			d := &document{guid: uuid.NewString(), org: m.org, account: acc.guid, number: pd.PaymentDocumentNumber, year: year, month: month,
				total: pd.TotalPayableByPD}
			if len(req.PaymentInformation) > 0 {
				d.bik, d.bankAccount = string(req.PaymentInformation[0].BankBIK), req.PaymentInformation[0].OperatingAccountNumber
			}
			for i := 1; ; i++ {
				d.id = fmt.Sprintf("%s-%02d-%02d%02d", acc.els, i, month, year%100)
				if st.docs[d.id] == nil {
					break
				}
			}
			st.docs[d.id] = d
			if d.number != "" {
				st.docByNum[key] = d
			}
			cr = s.ok(t, d.guid, d.id)
		}
		if err := f.add(nsBills, "ImportResult", cr); err != nil {
			return err
		}
	}
	return nil
}

// exportDocuments answers exportPaymentDocumentData: documents by
// PaymentDocumentID, or of one month by ЕЛС, ЖКУ id, account GUID, or a
// house's account numbers or document numbers. Withdrawn documents are not
// exported.
func (st *state) exportDocuments(m *message, body []byte, f *fragment) error {
	var req bills.ExportPaymentDocumentRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	set := func(vs []string) map[string]bool {
		out := map[string]bool{}
		for _, v := range vs {
			out[strings.ToLower(v)] = true
		}
		return out
	}
	ids := map[string]bool{}
	for _, id := range req.PaymentDocumentID {
		ids[id] = true
	}
	var guids []string
	for _, g := range req.AccountGUID {
		guids = append(guids, string(g))
	}
	accs, els, zhku := set(guids), set(req.UnifiedAccountNumber), set(req.ServiceID)
	numbers, docNumbers := set(req.AccountNumber), set(req.PaymentDocumentNumber)
	house := strings.ToLower(string(req.FIASHouseGuid))
	keys := slices.Sorted(maps.Keys(st.docs))
	for _, id := range keys {
		d := st.docs[id]
		if d.org != m.org || d.withdrawn {
			continue
		}
		acc := st.accounts[d.account]
		inMonth := req.Year != nil && int(*req.Year) == d.year && req.Month != nil && int(*req.Month) == d.month
		match := ids[id] || inMonth && acc != nil && (accs[d.account] || els[strings.ToLower(acc.els)] || zhku[strings.ToLower(acc.zhku)] ||
			house != "" && acc.house == house && (numbers[strings.ToLower(acc.number)] || docNumbers[strings.ToLower(d.number)]))
		if !match {
			continue
		}
		year, month := int64(d.year), base.MonthType(d.month)
		pd := &bills.ExportPaymentDocumentResultType_PaymentDocument{
			PaymentDocumentExportType: bills.PaymentDocumentExportType{AccountGuid: base.GUIDType(d.account), PaymentDocumentNumber: d.number,
				TotalPayableByPD: d.total, Month: &month, Year: &year},
			PaymentDocumentID: d.id,
		}
		if d.bik != "" {
			pd.PaymentInformation = []bills.ExportPaymentDocumentResultType_PaymentDocument_PaymentInformation{{
				PaymentInformationExportType: paymentsbase.PaymentInformationExportType{BankBIK: organizationsbase.BIKExportType(d.bik), OperatingAccountNumber: d.bankAccount},
			}}
		}
		if err := f.add(nsBills, "exportPaymentDocResult", bills.ExportPaymentDocumentResultType{PaymentDocument: pd}); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) importNotices(s *Server, m *message, body []byte, f *fragment) error {
	var req payment.ImportSupplierNotificationsOfOrderExecutionRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	for _, n := range req.SupplierNotificationOfOrderExecution {
		t := string(n.TransportGUID)
		var cr base.CommonResultType
		amount, err := giszhkh.ParseRubles(n.Amount)
		d := st.docs[n.PaymentDocumentID]
		acc := st.accByZHKU[n.ServiceID]
		switch {
		case err != nil || amount <= 0:
			cr = failed(t, "FMT001300", "Некорректная сумма "+n.Amount)
		case n.PaymentDocumentID != "" && (d == nil || d.org != m.org || d.withdrawn):
			cr = failed(t, codeNotFound, "Платежный документ не найден или отозван: "+n.PaymentDocumentID)
		case n.ServiceID != "" && (acc == nil || acc.org != m.org):
			cr = failed(t, codeNotFound, "Идентификатор ЖКУ не найден: "+n.ServiceID)
		default:
			o := &order{id: strings.ReplaceAll(uuid.NewString(), "-", ""), org: m.org, documentID: n.PaymentDocumentID, amount: amount}
			st.orders[o.id] = o
			cr = s.ok(t, uuid.NewString(), o.id)
		}
		if err := f.add(nsPay, "ImportResult", cr); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) cancelNotices(s *Server, m *message, body []byte, f *fragment) error {
	var req payment.ImportNotificationsOfOrderExecutionCancellationRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	for _, c := range req.NotificationOfOrderExecutionCancellation {
		t := string(c.TransportGUID)
		o := st.orders[string(c.OrderID)]
		var cr base.CommonResultType
		switch {
		case o == nil || o.org != m.org:
			cr = failed(t, codeNotFound, "Извещение не найдено: "+string(c.OrderID))
		case o.cancelled:
			cr = failed(t, codeExists, "Извещение уже аннулировано")
		default:
			o.cancelled = true
			cr = s.ok(t, uuid.NewString(), o.id)
		}
		if err := f.add(nsPay, "ImportResult", cr); err != nil {
			return err
		}
	}
	return nil
}

// stateResult renders the getStateResult element of service svc.
func stateResult(svc giszhkh.Service, m *message, state int, content []byte) []byte {
	ns := serviceNS[svc]
	version := m.version
	if v, ok := resultVersion[svc]; ok {
		version = v
	}
	var b bytes.Buffer
	b.WriteString(`<svc:getStateResult xmlns:svc="` + ns + `" xmlns:base="` + nsBase + `" base:version="` + version + `">`)
	fmt.Fprintf(&b, `<base:RequestState>%d</base:RequestState><base:MessageGUID>%s</base:MessageGUID>`, state, m.ack)
	b.Write(content)
	b.WriteString(`</svc:getStateResult>`)
	return b.Bytes()
}

// resultVersion is the base:version each service's schema fixes on its
// getStateResult, whatever version the request had.
var resultVersion = map[giszhkh.Service]string{
	giszhkh.ServiceBills:           bills.GetStateResult_VersionFixed,
	giszhkh.ServiceHouseManagement: housemanagement.GetStateResult_VersionFixed,
	giszhkh.ServiceDeviceMetering:  devicemetering.GetStateResult_VersionFixed,
	giszhkh.ServicePayment:         payment.GetStateResult_VersionFixed,
	giszhkh.ServiceNsi:             nsi.GetStateResult_VersionFixed,
	giszhkh.ServiceNsiCommon:       nsicommon.GetStateResult_VersionFixed,
	giszhkh.ServiceOrgRegistry:     organizationsregistrycommon.GetStateResult_VersionFixed,
}

var serviceNS = map[giszhkh.Service]string{
	giszhkh.ServiceBills:           nsBills,
	giszhkh.ServiceHouseManagement: nsHM,
	giszhkh.ServiceDeviceMetering:  nsDM,
	giszhkh.ServicePayment:         nsPay,
	giszhkh.ServiceNsi:             "http://dom.gosuslugi.ru/schema/integration/nsi/",
	giszhkh.ServiceNsiCommon:       "http://dom.gosuslugi.ru/schema/integration/nsi-common/",
	giszhkh.ServiceOrgRegistry:     "http://dom.gosuslugi.ru/schema/integration/organizations-registry-common/",
}

func first(gs []base.GUIDType) string {
	if len(gs) == 0 {
		return ""
	}
	return strings.ToLower(string(gs[0]))
}

// exportPayer turns the payer of an imported account into its exported form.
func exportPayer(p housemanagement.AccountType_PayerInfo) housemanagement.AccountExportType_PayerInfo {
	out := housemanagement.AccountExportType_PayerInfo{IsRenter: p.IsRenter, IsAccountsDivided: p.IsAccountsDivided, Org: p.Org}
	if i := p.Ind; i != nil {
		out.Ind = &housemanagement.AccountIndExportType{FIOExportType: individualregistrybase.FIOExportType{
			Surname: i.Surname, FirstName: i.FirstName, Patronymic: i.Patronymic}, Sex: i.Sex, DateOfBirth: i.DateOfBirth, SNILS: i.SNILS}
	}
	return out
}

// accommodationHouse returns the FIAS house an account's accommodation
// names, or why GIS would refuse it: a premises GUID must be a premises of
// the housing registry (the World) — of the named house when one is named.
// With an empty World (no housing registry) any premises GUID passes.
func (s *Server) accommodationHouse(acm []housemanagement.AccountType_Accommodation) (house, problem string) {
	for _, x := range acm {
		if x.FIASHouseGuid != "" {
			house = strings.ToLower(string(x.FIASHouseGuid))
		}
	}
	for _, x := range acm {
		p := strings.ToLower(string(x.PremisesGUID))
		if p == "" {
			continue
		}
		h := s.world.premises[p]
		switch {
		case h != nil && house != "" && h.FIASHouseGUID != house:
			return "", fmt.Sprintf("Помещение %s не относится к дому %s", p, house)
		case h != nil:
			house = h.FIASHouseGUID
		case house != "" && s.world.houses[house] != nil:
			return "", fmt.Sprintf("Помещение %s не найдено в доме %s", p, house)
		case house == "" && len(s.world.houses) > 0:
			return "", fmt.Sprintf("Помещение %s не найдено в реестре объектов жилищного фонда", p)
		}
	}
	return house, ""
}

// meterPremisesProblem says why GIS would refuse a device placed in premises
// of house: when the house is in the World, the premises must be one of its
// premises. Houses the World does not hold are not checked.
func (s *Server) meterPremisesProblem(house, premises string) string {
	if h := s.world.premises[premises]; h != nil && house != "" && h.FIASHouseGUID != house {
		return fmt.Sprintf("Помещение %s не относится к дому %s", premises, house)
	}
	if s.world.houses[house] != nil && !s.world.premisesOf[house][premises] {
		return fmt.Sprintf("Помещение %s не найдено в доме %s", premises, house)
	}
	return ""
}

// baseValue is the device's installation value as GIS exports it, dated
// the day it was placed.
func baseValue(mt *meter) []devicemetering.OneRateMeteringValueExportType {
	if mt.initial == "" {
		return nil
	}
	var b devicemetering.OneRateMeteringValueExportType
	b.MunicipalResource.Code, b.MunicipalResource.GUID = nsibase.NsiCodeType(mt.resourceCode), base.GUIDType(mt.resourceGUID)
	b.MeteringValue = meteringdevicebase.MeteringValueType(mt.initial)
	b.EnterIntoSystem = mt.updated.UTC().Format("2006-01-02T15:04:05Z")
	return []devicemetering.OneRateMeteringValueExportType{b}
}
