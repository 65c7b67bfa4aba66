package gis_test

import (
	"reflect"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

func TestExportMappings(t *testing.T) {
	const g1, g2 = "a0b1c2d3-e4f5-4a6b-8c7d-000000000001", "a0b1c2d3-e4f5-4a6b-8c7d-000000000002"
	h, bad := gis.House(&giszhkh.ExportedHouse{FIASHouseGUID: house, HouseGUID: g1, Premises: []giszhkh.ExportedPremises{
		{Number: "1", GUID: g1, Residential: true}, {Number: "2", GUID: g2, Terminated: true}, {Number: "3", GUID: "x"}}})
	if want := []model.GISPremises{{Number: "1", GUID: g1, Residential: true}}; !reflect.DeepEqual(h.Premises, want) || h.HouseGUID != g1 || len(bad) != 1 {
		t.Errorf("House = %+v, %v", h, bad)
	}
	as, _ := gis.ExportedAccounts([]giszhkh.ExportedAccount{{AccountGUID: acc, AccountNumber: "1", UnifiedAccountNumber: "short", ServiceID: "10АБ000001-01"}})
	if want := []model.GISExportedAccount{{GUID: acc, Number: "1", ServiceID: "10АБ000001-01"}}; !reflect.DeepEqual(as, want) {
		t.Errorf("ExportedAccounts = %+v", as)
	}
	ms, _ := gis.ExportedMeters([]giszhkh.ExportedMeter{{RootGUID: g1, VersionGUID: g2, Number: "A", ResourceCode: "2"},
		{RootGUID: g2, VersionGUID: g1, Number: "B", Archived: true}, {RootGUID: g2, VersionGUID: g1, Number: "C", Electric: true}})
	if want := []model.GISExportedMeter{{RootGUID: g1, VersionGUID: g2, Number: "A", Resource: "hot_water"}, {RootGUID: g2, VersionGUID: g1, Number: "C", Resource: "electricity"}}; !reflect.DeepEqual(ms, want) {
		t.Errorf("ExportedMeters = %+v", ms)
	}
	ds, bad := gis.ExportedDocuments([]giszhkh.ExportedDocument{{PaymentDocumentID: "12АБ345678-01-6101", AccountGUID: acc}, {PaymentDocumentID: "1", AccountGUID: acc}})
	if len(ds) != 1 || len(bad) != 1 {
		t.Errorf("ExportedDocuments = %+v, %v", ds, bad)
	}
	os, _ := gis.Orgs([]giszhkh.ExportedOrg{{RootGUID: g1, PPAGUID: g2, OGRN: "1", Actual: true}, {RootGUID: g2, OGRN: "2"}})
	if want := []model.GISOrg{{RootGUID: g1, PPAGUID: g2, OGRN: "1"}}; !reflect.DeepEqual(os, want) {
		t.Errorf("Orgs = %+v", os)
	}
}
