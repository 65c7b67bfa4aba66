package gis

import (
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// The functions below map GIS export results to canonical updates. An
// object whose identifiers the canonical columns cannot hold is left out
// and reported, never half-written.

func badGUID(obj, id, field, v string) error {
	return &FieldError{Object: obj, ID: id, Field: field, Value: v, Reason: "not a GUID"}
}

// Orgs maps the actual versions of exported organizations.
func Orgs(os []giszhkh.ExportedOrg) ([]model.GISOrg, []error) {
	var out []model.GISOrg
	var bad []error
	for _, o := range os {
		switch {
		case !o.Actual:
			continue
		case !guidRE.MatchString(o.RootGUID):
			bad = append(bad, badGUID("organization", o.OGRN, "orgRootEntityGUID", o.RootGUID))
			continue
		case o.PPAGUID != "" && !guidRE.MatchString(o.PPAGUID):
			bad = append(bad, badGUID("organization", o.OGRN, "orgPPAGUID", o.PPAGUID))
			continue
		}
		ver := o.VersionGUID
		if !guidRE.MatchString(ver) {
			ver = ""
		}
		out = append(out, model.GISOrg{RootGUID: o.RootGUID, VersionGUID: ver, PPAGUID: o.PPAGUID, OGRN: o.OGRN, KPP: o.KPP})
	}
	return out, bad
}

// Providers maps the active data providers linked to our system.
func Providers(ps []giszhkh.ExportedProvider) ([]model.GISProvider, []error) {
	var out []model.GISProvider
	var bad []error
	for _, p := range ps {
		switch {
		case !p.Actual:
			continue
		case !guidRE.MatchString(p.DataProviderGUID):
			bad = append(bad, badGUID("data provider", p.RootGUID, "DataProviderGUID", p.DataProviderGUID))
		case !guidRE.MatchString(p.RootGUID):
			bad = append(bad, badGUID("data provider", p.DataProviderGUID, "orgRootEntityGUID", p.RootGUID))
		default:
			out = append(out, model.GISProvider{DataProviderGUID: p.DataProviderGUID, RootGUID: p.RootGUID})
		}
	}
	return out, bad
}

// House maps an exported house and its live (not annulled) premises.
func House(h *giszhkh.ExportedHouse) (model.GISHouse, []error) {
	out := model.GISHouse{FIASHouseGUID: h.FIASHouseGUID, UniqueNumber: h.UniqueNumber}
	var bad []error
	if guidRE.MatchString(h.HouseGUID) {
		out.HouseGUID = h.HouseGUID
	} else if h.HouseGUID != "" {
		bad = append(bad, badGUID("house", h.FIASHouseGUID, "HouseGUID", h.HouseGUID))
	}
	for _, p := range h.Premises {
		switch {
		case p.Terminated:
			continue
		case !guidRE.MatchString(p.GUID):
			bad = append(bad, badGUID("premises", p.Number, "PremisesGUID", p.GUID))
		case p.Number == "":
			bad = append(bad, &FieldError{Object: "premises", ID: p.GUID, Field: "PremisesNum", Reason: "GIS gave no number to match by"})
		default:
			out.Premises = append(out.Premises, model.GISPremises{Number: p.Number, GUID: p.GUID, UniqueNumber: p.UniqueNumber, Residential: p.Residential})
		}
	}
	return out, bad
}

// ExportedAccounts maps exported accounts; a ЕЛС or ЖКУ id of the wrong
// length is dropped (the account still matches by its GUID).
func ExportedAccounts(as []giszhkh.ExportedAccount) ([]model.GISExportedAccount, []error) {
	var out []model.GISExportedAccount
	var bad []error
	for _, a := range as {
		if !guidRE.MatchString(a.AccountGUID) {
			bad = append(bad, badGUID("account", a.AccountNumber, "AccountGUID", a.AccountGUID))
			continue
		}
		x := model.GISExportedAccount{GUID: a.AccountGUID, Number: a.AccountNumber, ELS: a.UnifiedAccountNumber, ServiceID: a.ServiceID}
		if utf8.RuneCountInString(x.ELS) != 10 {
			x.ELS = ""
		}
		if utf8.RuneCountInString(x.ServiceID) != 13 {
			x.ServiceID = ""
		}
		out = append(out, x)
	}
	return out, bad
}

// ExportedMeters maps the active exported devices, with the canonical
// resource when GIS names one the gateway knows.
func ExportedMeters(ms []giszhkh.ExportedMeter) ([]model.GISExportedMeter, []error) {
	var out []model.GISExportedMeter
	var bad []error
	for _, m := range ms {
		switch {
		case m.Archived:
			continue
		case !guidRE.MatchString(m.RootGUID):
			bad = append(bad, badGUID("meter", m.Number, "MeteringDeviceRootGUID", m.RootGUID))
			continue
		case !guidRE.MatchString(m.VersionGUID):
			bad = append(bad, badGUID("meter", m.Number, "MeteringDeviceVersionGUID", m.VersionGUID))
			continue
		}
		x := model.GISExportedMeter{RootGUID: m.RootGUID, VersionGUID: m.VersionGUID, Number: m.Number}
		if m.Electric {
			x.Resource = "electricity"
		} else if r, ok := ResourceByCode(m.ResourceCode); ok {
			x.Resource = r
		}
		out = append(out, x)
	}
	return out, bad
}

// ExportedDocuments maps exported payment documents.
func ExportedDocuments(ds []giszhkh.ExportedDocument) ([]model.GISExportedDocument, []error) {
	var out []model.GISExportedDocument
	var bad []error
	for _, d := range ds {
		switch {
		case utf8.RuneCountInString(d.PaymentDocumentID) != paymentDocIDs:
			bad = append(bad, &FieldError{Object: "document", ID: d.Number, Field: "PaymentDocumentID", Value: d.PaymentDocumentID, Reason: "must be 18 characters"})
		case !guidRE.MatchString(d.AccountGUID):
			bad = append(bad, badGUID("document", d.PaymentDocumentID, "AccountGuid", d.AccountGUID))
		default:
			out = append(out, model.GISExportedDocument{PaymentDocumentID: d.PaymentDocumentID, Number: d.Number, AccountGUID: d.AccountGUID})
		}
	}
	return out, bad
}
