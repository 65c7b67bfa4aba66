// Package gis maps canonical rows (internal/store) to GIS ZhKH request items
// (connectors/giszhkh) and GIS results back to canonical updates. It is pure:
// no I/O, no SQL. Every refusal is a *FieldError naming the object, the field
// and why, so an operator can fix the source data.
package gis

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// FieldError is a validation failure of one field of one object.
type FieldError struct {
	Object string // "account", "meter", "document", "payment", "reading"
	ID     string // the object's id or GIS id
	Field  string
	Value  string
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %s: field %s = %q: %s", e.Object, e.ID, e.Field, e.Value, e.Reason)
}

func fieldErr(obj string, id int64, field, value, reason string) *FieldError {
	return &FieldError{Object: obj, ID: fmt.Sprint(id), Field: field, Value: value, Reason: reason}
}

var (
	guidRE        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	accountNumRE  = regexp.MustCompile(`^.{0,29}[0-9A-Za-zА-Яа-яЁё].{0,29}$`)
	decimalRE     = regexp.MustCompile(`^\d{1,15}(\.\d{1,7})?$`)
	areaRE        = regexp.MustCompile(`^\d{1,8}(\.\d{1,2})?$`)
	rateRE        = regexp.MustCompile(`^\d{1,8}(\.\d{1,6})?$`)
	paymentDocIDs = 18
)

// nsiNamespace derives stand-in GUIDs for reference-book elements whose real
// GIS GUID the canonical store does not hold yet (see NsiRef).
var nsiNamespace = uuid.MustParse("0e1c2b3a-4d5e-4f60-8172-839405a6b7c8")

// NSI is what GIS exported of its reference books (store.GISNsiGUIDs); the
// zero value knows nothing and yields stand-in GUIDs.
type NSI = model.GISNsiIndex

// nsiRef builds a reference to element code of reference book registry,
// with the GUID GIS exported, or a stand-in when the book was not synced.
func nsiRef(n NSI, registry int, code, name string) giszhkh.NsiRef {
	return NsiRef(registry, code, n.GUIDs[fmt.Sprintf("%d/%s", registry, code)], name)
}

// nsiCodeByName finds the code of the element named name (case-insensitive)
// in reference book registry: a service without a code in the canonical
// store is matched to the provider's book by its name.
func nsiCodeByName(n NSI, registry int, name string) (string, bool) {
	c, ok := n.Codes[fmt.Sprintf("%d/%s", registry, strings.ToLower(strings.TrimSpace(name)))]
	return c, ok
}

// NsiRef builds a reference to element code of GIS reference book registry.
// guid is the element's GIS GUID from an NSI export; when it is empty a
// stable stand-in GUID is derived from (registry, code) — enough for the
// simulator, which does not check NSI GUIDs, but not for the real GIS.
func NsiRef(registry int, code, guid, name string) giszhkh.NsiRef {
	if guid == "" {
		guid = uuid.NewSHA1(nsiNamespace, fmt.Appendf(nil, "nsi/%d/%s", registry, code)).String()
	}
	return giszhkh.NsiRef{Code: code, GUID: guid, Name: name}
}

// resources maps canonical meter resources to НСИ 2 («Вид коммунального
// ресурса») codes and the OKEI unit of readings.
var resources = map[string]struct {
	code, name, unit string
}{
	"cold_water":  {"1", "Холодная вода", "113"},         // м³
	"hot_water":   {"2", "Горячая вода", "113"},          // м³
	"electricity": {"3", "Электрическая энергия", "245"}, // кВт·ч
	"gas":         {"4", "Газ", "113"},                   // м³
	"heat":        {"5", "Тепловая энергия", "233"},      // Гкал
	"wastewater":  {"8", "Сточные воды", "113"},          // м³
}

// Resource returns the НСИ 2 reference and OKEI unit of a canonical resource.
func Resource(nsi NSI, resource string) (giszhkh.NsiRef, string, bool) {
	r, ok := resources[resource]
	if !ok {
		return giszhkh.NsiRef{}, "", false
	}
	return nsiRef(nsi, 2, r.code, r.name), r.unit, true
}

// ResourceByCode maps an НСИ 2 code back to the canonical resource.
func ResourceByCode(code string) (string, bool) {
	for k, r := range resources {
		if r.code == code {
			return k, true
		}
	}
	return "", false
}

func checkGUID(obj string, id int64, field, v string) error {
	if !guidRE.MatchString(v) {
		return fieldErr(obj, id, field, v, "not a GUID")
	}
	return nil
}

// splitName splits "Фамилия Имя Отчество" into its parts.
func splitName(full string) (surname, first, patronymic string, ok bool) {
	parts := strings.Fields(full)
	if len(parts) < 2 {
		return "", "", "", false
	}
	return parts[0], parts[1], strings.Join(parts[2:], " "), true
}

// Account maps an account row to an importAccountData item (ЛС РЦ).
func Account(r model.GISAccountRow, transport string) (giszhkh.Account, error) {
	const obj = "account"
	a := giszhkh.Account{TransportGUID: transport, AccountNumber: r.Number, FIASHouseGUID: r.FIASHouseGUID, LivingPersons: r.ResidentsCount}
	if !accountNumRE.MatchString(r.Number) || utf8.RuneCountInString(r.Number) > 30 {
		return a, fieldErr(obj, r.ID, "number", r.Number, "must be 1–30 characters with at least one letter or digit")
	}
	if err := checkGUID(obj, r.ID, "houses.fias_house_guid", r.FIASHouseGUID); err != nil {
		return a, err
	}
	if r.PremisesGUID != nil {
		if err := checkGUID(obj, r.ID, "premises.gis_premises_guid", *r.PremisesGUID); err != nil {
			return a, err
		}
		a.PremisesGUID = *r.PremisesGUID
	}
	if r.TotalArea != nil {
		a.TotalArea = trimDecimal(*r.TotalArea)
		if !areaRE.MatchString(a.TotalArea) {
			return a, fieldErr(obj, r.ID, "total_area", *r.TotalArea, "must be a non-negative area with at most 2 decimals")
		}
	}
	switch r.PayerKind {
	case "person":
	case "organization":
		// GIS knows an organisation payer only by its registry record.
		switch {
		case r.PayerOGRN == nil || *r.PayerOGRN == "":
			return a, fieldErr(obj, r.ID, "payer_ogrn", "", "an organisation payer needs its OGRN to be found in GIS's organisation registry")
		case r.PayerOrgVersionGUID == nil:
			return a, fieldErr(obj, r.ID, "gis_payer_org_version_guid", "", "GIS has not yet named the payer organisation (OGRN "+*r.PayerOGRN+"): run the orgs sync first")
		}
		if err := checkGUID(obj, r.ID, "gis_payer_org_version_guid", *r.PayerOrgVersionGUID); err != nil {
			return a, err
		}
		a.PayerOrgVersionGUID = *r.PayerOrgVersionGUID
		return a, nil
	default:
		return a, fieldErr(obj, r.ID, "payer_kind", r.PayerKind, "want person or organization")
	}
	var ok bool
	a.Surname, a.FirstName, a.Patronymic, ok = splitName(r.PayerName)
	if !ok {
		return a, fieldErr(obj, r.ID, "payer_name", r.PayerName, "needs at least a surname and a first name")
	}
	return a, nil
}

// Meter maps a meter row to an importMeteringDeviceData item.
func Meter(nsi NSI, r model.GISMeterRow, transport string, today time.Time) (giszhkh.Meter, error) {
	const obj = "meter"
	m := giszhkh.Meter{TransportGUID: transport, Number: r.Number, AccountGUID: r.AccountGUID, InitialValue: "0"}
	if strings.TrimSpace(r.Number) == "" || utf8.RuneCountInString(r.Number) > 50 {
		return m, fieldErr(obj, r.ID, "number", r.Number, "must be 1–50 characters")
	}
	ref, unit, ok := Resource(nsi, r.Resource)
	if !ok {
		return m, fieldErr(obj, r.ID, "resource", r.Resource, "has no GIS municipal resource (НСИ 2)")
	}
	m.Resource, m.Unit = ref, unit
	if err := checkGUID(obj, r.ID, "accounts.gis_account_guid", r.AccountGUID); err != nil {
		return m, err
	}
	// GIS places a device in its premises: the GUID comes from exportHouseData.
	if r.PremisesGUID == nil {
		return m, fieldErr(obj, r.ID, "premises.gis_premises_guid", "", "the premises has no GIS GUID: run the houses sync (gis sync --what houses) first")
	}
	if err := checkGUID(obj, r.ID, "premises.gis_premises_guid", *r.PremisesGUID); err != nil {
		return m, err
	}
	m.PremisesGUID = *r.PremisesGUID
	m.CommissioningDate = today
	if r.InstalledOn != nil {
		m.CommissioningDate = *r.InstalledOn
	}
	if r.InitialReading != nil {
		v := trimDecimal(*r.InitialReading)
		if !decimalRE.MatchString(v) {
			return m, fieldErr(obj, r.ID, "readings.value", *r.InitialReading, "must be a decimal with up to 15 digits and 7 decimals")
		}
		m.InitialValue = v
	}
	return m, nil
}

// trimDecimal drops trailing fractional zeros: "12.3400" → "12.34", "5.0000" → "5".
func trimDecimal(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// kopeckDecimal renders a trimmed decimal with exactly two decimals ("12.5"
// → "12.50", "12" → "12"), or reports that it has more than two.
func kopeckDecimal(s string) (string, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	switch {
	case !dot:
		return whole, true
	case len(frac) > 2:
		return "", false
	default:
		return whole + "." + frac + strings.Repeat("0", 2-len(frac)), true
	}
}

// chargeKinds maps canonical service kinds to ChargeInfo branches and the
// reference book of their service type.
var chargeKinds = map[string]struct {
	kind     giszhkh.ChargeKind
	registry int
}{
	"utility": {giszhkh.ChargeMunicipal, 51},
	"housing": {giszhkh.ChargeHousing, 50},
	"other":   {giszhkh.ChargeAdditional, 1},
	// Capital repair has its own section and no reference-book entry.
	"capital_repair": {giszhkh.ChargeCapitalRepair, 0},
}

// Document maps a payment document row to an importPaymentDocumentData
// item. Amounts stay in kopecks; the connector writes rubles. provider is
// the orgPPAGUID of the service provider (mandatory for ЛС РЦ).
func Document(nsi NSI, r model.GISDocumentRow, provider, transport string) (giszhkh.PaymentDocument, error) {
	const obj = "document"
	d := giszhkh.PaymentDocument{TransportGUID: transport, AccountGUID: r.AccountGUID, Number: r.Number,
		DebtKopecks: r.OpeningBalance, PayableKopecks: r.TotalDue}
	if r.Number == "" || utf8.RuneCountInString(r.Number) > 30 {
		return d, fieldErr(obj, r.ID, "number", r.Number, "must be 1–30 characters")
	}
	if r.TotalDue < 0 {
		return d, fieldErr(obj, r.ID, "total_due", fmt.Sprint(r.TotalDue), "must not be negative (an overpayment is an advance, not a negative total)")
	}
	if len(r.Charges) == 0 {
		return d, fieldErr(obj, r.ID, "charges", "", "a document needs at least one charge")
	}
	for i, c := range r.Charges {
		field := fmt.Sprintf("charges[%d]", i)
		ck, ok := chargeKinds[c.ServiceKind]
		if !ok {
			return d, fieldErr(obj, r.ID, field+".kind", c.ServiceKind, "has no GIS charge section")
		}
		if c.Total < 0 {
			return d, fieldErr(obj, r.ID, field+".total", fmt.Sprint(c.Total), "must not be negative")
		}
		rate := trimDecimal(c.Tariff)
		if !rateRE.MatchString(rate) {
			return d, fieldErr(obj, r.ID, field+".tariff", c.Tariff, "must be a non-negative decimal with at most 6 decimals")
		}
		if ck.kind == giszhkh.ChargeCapitalRepair {
			// The schema takes the contribution in whole kopecks: "\d+(\.\d{2})?".
			contribution, ok := kopeckDecimal(rate)
			if !ok {
				return d, fieldErr(obj, r.ID, field+".tariff", c.Tariff, "a capital repair contribution must be in whole kopecks per m² (at most 2 decimals)")
			}
			d.Charges = append(d.Charges, giszhkh.Charge{Kind: ck.kind, Rate: contribution, AccruedKopecks: c.Total, PayableKopecks: c.Total, ProviderPPAGUID: provider})
			continue
		}
		code, guid, reg := "", "", ck.registry
		if c.NSICode != nil {
			code = *c.NSICode
		}
		if c.NSIGUID != nil {
			guid = *c.NSIGUID
		}
		if c.NSIRegistry != nil && *c.NSIRegistry > 0 {
			reg = *c.NSIRegistry
		}
		if code == "" {
			var ok bool
			if code, ok = nsiCodeByName(nsi, reg, c.ServiceName); !ok {
				return d, fieldErr(obj, r.ID, field+".nsi_code", "", fmt.Sprintf("service %q has no reference-book code, and НСИ %d has no element of that name (sync nsi first)", c.ServiceName, reg))
			}
		}
		ref := nsiRef(nsi, reg, code, "")
		if guid != "" {
			ref.GUID = guid // the service's own GUID from the canonical store wins
		}
		ch := giszhkh.Charge{Kind: ck.kind, Service: ref, Rate: rate,
			AccruedKopecks: c.Total, PayableKopecks: c.Total, ProviderPPAGUID: provider}
		if ck.kind == giszhkh.ChargeMunicipal {
			v := trimDecimal(c.Volume)
			if v != "" && v != "0" {
				if !decimalRE.MatchString(v) {
					return d, fieldErr(obj, r.ID, field+".volume", c.Volume, "must be a non-negative decimal")
				}
				ch.Volume = v
			}
		}
		d.Charges = append(d.Charges, ch)
	}
	return d, nil
}

// Withdrawal maps a withdrawal request.
func Withdrawal(r model.GISWithdrawalRow, transport string) (giszhkh.Withdrawal, error) {
	if utf8.RuneCountInString(r.PaymentDocumentID) != paymentDocIDs {
		return giszhkh.Withdrawal{}, fieldErr("document", r.ID, "gis_payment_document_id", r.PaymentDocumentID, "must be 18 characters")
	}
	return giszhkh.Withdrawal{TransportGUID: transport, PaymentDocumentID: r.PaymentDocumentID}, nil
}

// Payment maps a received payment to a supplier notification
// (importSupplierNotificationsOfOrderExecution): by the period's posted
// document when there is one, else by the account's ЖКУ id.
func Payment(r model.GISPaymentRow, transport string) (giszhkh.SupplierNotification, error) {
	const obj = "payment"
	n := giszhkh.SupplierNotification{TransportGUID: transport, OrderDate: r.OperationDate, AmountKopecks: r.Amount}
	if r.Amount <= 0 {
		return n, fieldErr(obj, r.ID, "amount", fmt.Sprint(r.Amount), "must be positive")
	}
	if r.Period != nil {
		n.Year, n.Month = r.Period.Year(), int(r.Period.Month())
	}
	switch {
	case r.PaymentDocumentID != nil:
		n.PaymentDocumentID = *r.PaymentDocumentID
	case r.ServiceID != nil && utf8.RuneCountInString(*r.ServiceID) == 13:
		n.ServiceID = *r.ServiceID
	default:
		return n, fieldErr(obj, r.ID, "account", "", "neither a posted payment document nor a ЖКУ id to refer to")
	}
	return n, nil
}

// Cancellation maps a cancellation request of a reported payment.
func Cancellation(r model.GISCancellationRow, transport string) giszhkh.Cancellation {
	return giszhkh.Cancellation{TransportGUID: transport, OrderID: r.OrderID, Date: r.RequestedAt, Comment: "Аннулирование платежа"}
}

// Results maps GIS per-item results to store updates.
func Results(rs []giszhkh.ItemResult) []model.GISItemResult {
	out := make([]model.GISItemResult, 0, len(rs))
	for _, r := range rs {
		x := model.GISItemResult{TransportGUID: r.TransportGUID, OK: len(r.Errors) == 0, GUID: r.GUID, UniqueNumber: r.UniqueNumber,
			RootGUID: r.RootGUID, UnifiedAccountNumber: r.UnifiedAccountNumber, ServiceID: r.ServiceID}
		if !x.OK {
			var codes, msgs []string
			for _, e := range r.Errors {
				codes, msgs = append(codes, e.Code), append(msgs, e.Description)
			}
			x.ErrorCode, x.Error = strings.Join(codes, ","), strings.Join(msgs, "; ")
		}
		// Identifiers the canonical columns cannot hold are dropped, never half-written.
		if x.UnifiedAccountNumber != "" && utf8.RuneCountInString(x.UnifiedAccountNumber) != 10 {
			x.UnifiedAccountNumber = ""
		}
		if x.ServiceID != "" && utf8.RuneCountInString(x.ServiceID) != 13 {
			x.ServiceID = ""
		}
		if x.GUID != "" && !guidRE.MatchString(x.GUID) {
			x.OK, x.ErrorCode, x.Error = false, "BADGUID", fmt.Sprintf("GIS returned GUID %q that is not a GUID", x.GUID)
		}
		out = append(out, x)
	}
	return out
}

// gisDay reads the day of an xs:date or xs:dateTime GIS sends (the
// reading's DateValue is one or the other, by schema version), in the zone
// it was written in.
func gisDay(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02Z07:00", time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", v)
}

// Readings maps exported readings to canonical ones; a reading that cannot
// be stored is reported, the others are kept.
func Readings(rs []giszhkh.ExportedReading) ([]model.GISReading, []error) {
	var out []model.GISReading
	var errs []error
	for _, r := range rs {
		day, err := gisDay(r.Date)
		if err != nil {
			errs = append(errs, &FieldError{Object: "reading", ID: r.RootGUID, Field: "DateValue", Value: r.Date, Reason: "not a date"})
			continue
		}
		if !decimalRE.MatchString(r.Value) {
			errs = append(errs, &FieldError{Object: "reading", ID: r.RootGUID, Field: "MeteringValue", Value: r.Value, Reason: "not a meter value"})
			continue
		}
		if bad := badTariffValue(r); bad != "" {
			errs = append(errs, &FieldError{Object: "reading", ID: r.RootGUID, Field: bad, Value: r.ValueT2 + "/" + r.ValueT3, Reason: "not a meter value"})
			continue
		}
		if !guidRE.MatchString(r.RootGUID) {
			errs = append(errs, &FieldError{Object: "reading", ID: r.RootGUID, Field: "MeteringDeviceRootGUID", Value: r.RootGUID, Reason: "not a GUID"})
			continue
		}
		out = append(out, model.GISReading{RootGUID: r.RootGUID, TakenOn: day, Value: r.Value, ValueT2: r.ValueT2, ValueT3: r.ValueT3, Base: r.Base})
	}
	return out, errs
}

// badTariffValue names the tariff field of r that is set but not a value.
func badTariffValue(r giszhkh.ExportedReading) string {
	switch {
	case r.ValueT2 != "" && !decimalRE.MatchString(r.ValueT2):
		return "MeteringValueT2"
	case r.ValueT3 != "" && !decimalRE.MatchString(r.ValueT3):
		return "MeteringValueT3"
	}
	return ""
}
