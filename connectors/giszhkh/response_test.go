package giszhkh_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

// TestDecodeExportResults decodes the golden getState answers of every
// export the gateway maps. Each golden answer is first validated against the
// official XSD, so the decoder is tested on what GIS may really send.
func TestDecodeExportResults(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		file    string
		service giszhkh.Service
		check   func(t *testing.T, st *giszhkh.State)
	}{
		{"exportOrgRegistry.xml", giszhkh.ServiceOrgRegistry, func(t *testing.T, st *giszhkh.State) {
			want := []giszhkh.ExportedOrg{{RootGUID: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", VersionGUID: "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a",
				PPAGUID: "6d2f5e3a-1b2c-4d5e-8f90-123456789abc", OGRN: "1115902000123", KPP: "590201001", INN: "5902987651",
				Name: "ООО «РЦ Город»", Actual: true}}
			if !reflect.DeepEqual(st.Orgs, want) {
				t.Errorf("Orgs = %+v, want %+v", st.Orgs, want)
			}
		}},
		{"exportDataProvider.xml", giszhkh.ServiceOrgRegistry, func(t *testing.T, st *giszhkh.State) {
			want := []giszhkh.ExportedProvider{
				{DataProviderGUID: "6d2f5e3a-1b2c-4d5e-8f90-123456789abc", RootGUID: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", Actual: true},
				{DataProviderGUID: "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", RootGUID: "8f9a0b1c-2d3e-4f4a-8b5c-6d7e8f9a0b1c"},
			}
			if !reflect.DeepEqual(st.Providers, want) {
				t.Errorf("Providers = %+v, want %+v", st.Providers, want)
			}
		}},
		{"exportHouseData.xml", giszhkh.ServiceHouseManagement, func(t *testing.T, st *giszhkh.State) {
			want := &giszhkh.ExportedHouse{FIASHouseGUID: "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", HouseGUID: "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
				UniqueNumber: "1234567890123456789012345-00001", Apartment: true, Premises: []giszhkh.ExportedPremises{
					{Number: "1", GUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000001", UniqueNumber: "1234567890123456789012345-0000000001", Residential: true},
					{Number: "2", GUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000002", UniqueNumber: "1234567890123456789012345-0000000002", Residential: true, Terminated: true},
					{Number: "1Н", GUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000101", UniqueNumber: "1234567890123456789012345-0000000101"},
				}}
			if !reflect.DeepEqual(st.House, want) {
				t.Errorf("House = %+v, want %+v", st.House, want)
			}
		}},
		{"exportMeteringDeviceData.xml", giszhkh.ServiceHouseManagement, func(t *testing.T, st *giszhkh.State) {
			dev := func(num, code, root, version string, archived bool) giszhkh.ExportedMeter {
				return giszhkh.ExportedMeter{RootGUID: root, VersionGUID: version, Number: num, Archived: archived, ResourceCode: code,
					AccountGUIDs: []string{"d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"}, PremisesGUIDs: []string{"a0b1c2d3-e4f5-4a6b-8c7d-000000000001"}}
			}
			want := []giszhkh.ExportedMeter{
				dev("ХВ-00001", "1", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5c", false),
				dev("ГВ-00001", "2", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a6b", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a6c", true),
			}
			if !reflect.DeepEqual(st.Meters, want) {
				t.Errorf("Meters = %+v, want %+v", st.Meters, want)
			}
		}},
		{"exportAccountData.xml", giszhkh.ServiceHouseManagement, func(t *testing.T, st *giszhkh.State) {
			want := []giszhkh.ExportedAccount{{AccountGUID: "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a", AccountNumber: "7700001",
				UnifiedAccountNumber: "10АБ000001", ServiceID: "10АБ000001-01"}}
			if !reflect.DeepEqual(st.Accounts, want) {
				t.Errorf("Accounts = %+v, want %+v", st.Accounts, want)
			}
		}},
		{"exportPaymentDocumentData.xml", giszhkh.ServiceBills, func(t *testing.T, st *giszhkh.State) {
			want := []giszhkh.ExportedDocument{{PaymentDocumentID: "12АБ345678-01-6101", Number: "2026-10-00001", AccountGUID: "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"}}
			if !reflect.DeepEqual(st.Documents, want) {
				t.Errorf("Documents = %+v, want %+v", st.Documents, want)
			}
		}},
		{"exportMeteringDeviceHistory.xml", giszhkh.ServiceDeviceMetering, func(t *testing.T, st *giszhkh.State) {
			const water, electric, hot, volume = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a7b",
				"e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a8b", "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a9b"
			want := []giszhkh.ExportedReading{
				{RootGUID: water, ResourceCode: "1", ResourceGUID: "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c", Value: "12.5", Date: "2020-01-02T09:00:00+03:00", Base: true},
				{RootGUID: water, ResourceCode: "1", ResourceGUID: "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c", Value: "241.318", Date: "2026-10-20T00:00:00+03:00", ReadingSource: "Гражданин"},
				{RootGUID: electric, Value: "100", ValueT2: "40", Date: "2021-03-01T10:00:00+03:00", Electric: true, Base: true},
				{RootGUID: electric, Value: "5230.1", ValueT2: "2104.7", Date: "2026-10-19T00:00:00+03:00", ReadingSource: "Гражданин", Electric: true},
				{RootGUID: hot, ResourceCode: "2", ResourceGUID: "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b6c", Value: "0.001", Date: "2024-05-06T09:00:00+03:00", Base: true},
			}
			if !reflect.DeepEqual(st.Readings, want) {
				t.Errorf("Readings =\n%+v\nwant\n%+v", st.Readings, want)
			}
			skipped := []giszhkh.SkippedReading{
				{RootGUID: water, Reason: "1 control or verification values (not a period's reading)"},
				{RootGUID: volume, Reason: "consumption volumes only (a volume device reports no readings)"},
			}
			if !reflect.DeepEqual(st.SkippedReadings, skipped) {
				t.Errorf("SkippedReadings = %+v, want %+v", st.SkippedReadings, skipped)
			}
		}},
		{"exportNsiPagingItem.xml", giszhkh.ServiceNsiCommon, func(t *testing.T, st *giszhkh.State) {
			if st.NsiPages != 3 || st.NsiPage != 2 {
				t.Errorf("page %d of %d, want 2 of 3", st.NsiPage, st.NsiPages)
			}
			want := []giszhkh.NsiElement{{Code: "1", GUID: "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c", Name: "Холодная вода", Actual: true}}
			if !reflect.DeepEqual(st.NsiElements, want) {
				t.Errorf("NsiElements = %+v, want %+v", st.NsiElements, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "responses", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(data); err != nil {
				t.Fatal(err)
			}
			body, err := giszhkh.BodyElement(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.xsd.Validate(ctx, string(tc.service), standalone(t, body)); err != nil {
				t.Fatalf("golden answer is not schema-valid: %v", err)
			}
			st, err := giszhkh.DecodeState(tc.service, data)
			if err != nil {
				t.Fatal(err)
			}
			if st.RequestState != giszhkh.StateDone || st.Error != nil {
				t.Fatalf("state %d, error %+v; want 3 without error", st.RequestState, st.Error)
			}
			tc.check(t, st)
		})
	}
}

// TestDecodeStateOtherService refuses a getStateResult of another service:
// read as the wrong service, a valid answer must not pass for an empty one.
func TestDecodeStateOtherService(t *testing.T) {
	for _, tc := range []struct {
		file string
		as   giszhkh.Service
	}{
		{"exportHouseData.xml", giszhkh.ServiceNsiCommon},
		{"exportHouseData.xml", giszhkh.ServiceNsi},
		{"exportNsiPagingItem.xml", giszhkh.ServiceNsi},
		{"exportOrgRegistry.xml", giszhkh.ServiceBills},
		{"exportPaymentDocumentData.xml", giszhkh.ServiceDeviceMetering},
		{"exportMeteringDeviceHistory.xml", giszhkh.ServicePayment},
	} {
		t.Run(tc.file+" as "+string(tc.as), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "responses", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			st, err := giszhkh.DecodeState(tc.as, data)
			if err == nil {
				t.Fatalf("decoded as %s: state %d with %d NSI elements; want an error", tc.as, st.RequestState, len(st.NsiElements))
			}
			if !strings.Contains(err.Error(), "namespace") {
				t.Errorf("error %q does not say the namespace is wrong", err)
			}
		})
	}
}
