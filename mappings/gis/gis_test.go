package gis_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

func ptr[T any](v T) *T { return &v }

const (
	house = "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"
	acc   = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
	tg    = "00000000-0000-4000-8000-000000000001"
)

func TestAccount(t *testing.T) {
	good := model.GISAccountRow{ID: 7, Number: "100200", FIASHouseGUID: house, TotalArea: ptr("54.3000"), ResidentsCount: 2,
		PayerName: "Иванов Иван Иванович", PayerKind: "person"}
	a, err := gis.Account(good, tg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Surname != "Иванов" || a.FirstName != "Иван" || a.Patronymic != "Иванович" || a.TotalArea != "54.3" || a.FIASHouseGUID != house {
		t.Errorf("mapped %+v", a)
	}
	org := good
	org.PayerKind, org.PayerName, org.PayerOGRN, org.PayerOrgVersionGUID = "organization", "ООО «Ромашка»", ptr("1027700132195"), ptr(acc)
	if a, err := gis.Account(org, tg); err != nil || a.PayerOrgVersionGUID != acc || a.Surname != "" {
		t.Errorf("organisation payer mapped to %+v, %v; want orgVersionGUID %s and no name", a, err, acc)
	}
	tests := []struct {
		name  string
		edit  func(r *model.GISAccountRow)
		field string
	}{
		{"number too long", func(r *model.GISAccountRow) { r.Number = strings.Repeat("1", 31) }, "number"},
		{"bad house", func(r *model.GISAccountRow) { r.FIASHouseGUID = "x" }, "houses.fias_house_guid"},
		{"area", func(r *model.GISAccountRow) { r.TotalArea = ptr("12.345") }, "total_area"},
		{"unknown payer kind", func(r *model.GISAccountRow) { r.PayerKind = "state" }, "payer_kind"},
		{"organisation payer without OGRN", func(r *model.GISAccountRow) { r.PayerKind = "organization" }, "payer_ogrn"},
		{"organisation payer not found in GIS yet", func(r *model.GISAccountRow) {
			r.PayerKind, r.PayerOGRN = "organization", ptr("1027700132195")
		}, "gis_payer_org_version_guid"},
		{"organisation payer with a bad GUID", func(r *model.GISAccountRow) {
			r.PayerKind, r.PayerOGRN, r.PayerOrgVersionGUID = "organization", ptr("1027700132195"), ptr("x")
		}, "gis_payer_org_version_guid"},
		{"one-word name", func(r *model.GISAccountRow) { r.PayerName = "Иванов" }, "payer_name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			tc.edit(&r)
			_, err := gis.Account(r, tg)
			var fe *gis.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || fe.ID != "7" || fe.Object != "account" {
				t.Errorf("error %v, want FieldError on account 7 field %s", err, tc.field)
			}
		})
	}
}

func TestDocumentKopecks(t *testing.T) {
	r := model.GISDocumentRow{ID: 3, Number: "10-1", AccountGUID: acc, OpeningBalance: -500, TotalDue: 123456,
		Charges: []model.GISChargeRow{
			{ServiceKind: "utility", ServiceName: "ХВС", NSIRegistry: ptr(51), NSICode: ptr("1"), Tariff: "45.1200", Volume: "5.500000", Total: 24816},
			{ServiceKind: "housing", ServiceName: "Содержание", NSICode: ptr("2"), Tariff: "30.5", Volume: "54.3", Total: 98640},
		}}
	d, err := gis.Document(gis.NSI{}, r, acc, tg)
	if err != nil {
		t.Fatal(err)
	}
	if d.PayableKopecks != 123456 || d.DebtKopecks != -500 || d.Charges[0].PayableKopecks != 24816 || d.Charges[0].Rate != "45.12" ||
		d.Charges[0].Volume != "5.5" || d.Charges[1].Kind != giszhkh.ChargeHousing || d.Charges[1].Volume != "" {
		t.Errorf("mapped %+v", d)
	}
	if d.Charges[0].Service.GUID == "" || d.Charges[0].Service.GUID == d.Charges[1].Service.GUID {
		t.Errorf("NSI stand-in GUIDs %q %q", d.Charges[0].Service.GUID, d.Charges[1].Service.GUID)
	}
	bad := r
	bad.Charges = []model.GISChargeRow{{ServiceKind: "heating_oil", Tariff: "1", Total: 1}}
	if _, err := gis.Document(gis.NSI{}, bad, acc, tg); err == nil || !strings.Contains(err.Error(), "charges[0].kind") {
		t.Errorf("unknown kind: %v", err)
	}
	cr := r
	cr.Charges = append(cr.Charges, model.GISChargeRow{ServiceKind: "capital_repair", Tariff: "12.8500", Total: 69776})
	if d, err := gis.Document(gis.NSI{}, cr, acc, tg); err != nil || d.Charges[2].Kind != giszhkh.ChargeCapitalRepair || d.Charges[2].Rate != "12.85" {
		t.Errorf("capital repair: %+v %v", d.Charges, err)
	}
	for tariff, want := range map[string]string{"14.1000": "14.10", "14": "14", "0.5": "0.50"} {
		cr.Charges[2].Tariff = tariff
		if d, err := gis.Document(gis.NSI{}, cr, acc, tg); err != nil || d.Charges[2].Rate != want {
			t.Errorf("capital repair contribution %s: got %+v %v, want %s", tariff, d.Charges, err, want)
		}
	}
	cr.Charges[2].Tariff = "14.1221"
	if _, err := gis.Document(gis.NSI{}, cr, acc, tg); err == nil || !strings.Contains(err.Error(), "charges[2].tariff") {
		t.Errorf("contribution with fractions of a kopeck: err = %v, want a charges[2].tariff error", err)
	}
	bad.Charges = []model.GISChargeRow{{ServiceKind: "other", ServiceName: "Домофон", Tariff: "1", Total: 1}}
	if _, err := gis.Document(gis.NSI{}, bad, acc, tg); err == nil || !strings.Contains(err.Error(), "nsi_code") {
		t.Errorf("missing NSI code: %v", err)
	}
}

func TestPaymentAndResults(t *testing.T) {
	day := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	n, err := gis.Payment(model.GISPaymentRow{ID: 1, OperationDate: day, Amount: 150001, ServiceID: ptr("10АБ000001-01")}, tg)
	if err != nil || n.ServiceID == "" || n.AmountKopecks != 150001 {
		t.Errorf("payment %+v %v", n, err)
	}
	if _, err := gis.Payment(model.GISPaymentRow{ID: 2, OperationDate: day, Amount: 1}, tg); err == nil {
		t.Error("payment without document or ЖКУ id accepted")
	}
	rs := gis.Results([]giszhkh.ItemResult{
		{TransportGUID: tg, GUID: acc, UnifiedAccountNumber: "10АБ000001", ServiceID: "10АБ000001-01"},
		{TransportGUID: tg, Errors: []giszhkh.ItemError{{Code: "INT004132", Description: "уже"}}},
		{TransportGUID: tg, GUID: "not-a-guid"},
	})
	if !rs[0].OK || rs[0].ServiceID == "" || rs[1].OK || rs[1].ErrorCode != "INT004132" || rs[2].OK {
		t.Errorf("results %+v", rs)
	}
	good, errs := gis.Readings([]giszhkh.ExportedReading{{RootGUID: acc, Value: "12.5", Date: "2026-10-20"}, {RootGUID: acc, Value: "x", Date: "2026-10-20"}})
	if len(good) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "MeteringValue") {
		t.Errorf("readings %+v %v", good, errs)
	}
	// DateValue is xs:date or xs:dateTime depending on the schema version; the day is taken in GIS's zone.
	oct20 := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	for _, d := range []string{"2026-10-20", "2026-10-20+03:00", "2026-10-20T00:00:00.000+03:00", "2026-10-20T23:30:00Z", "2026-10-20T10:00:00"} {
		good, errs := gis.Readings([]giszhkh.ExportedReading{{RootGUID: acc, Value: "1", Date: d}})
		if len(errs) != 0 || len(good) != 1 || !good[0].TakenOn.Equal(oct20) {
			t.Errorf("reading dated %q: %+v %v, want %s", d, good, errs, oct20)
		}
	}
	if _, errs := gis.Readings([]giszhkh.ExportedReading{{RootGUID: acc, Value: "1", Date: "20.10.2026"}}); len(errs) != 1 {
		t.Errorf("reading dated 20.10.2026 accepted")
	}
	// Multi-tariff electricity and installation base values are kept whole.
	good, errs = gis.Readings([]giszhkh.ExportedReading{
		{RootGUID: acc, Value: "5230.1", ValueT2: "2104.7", Date: "2026-10-19", Electric: true},
		{RootGUID: acc, Value: "12.5", Date: "2020-01-02T09:00:00+03:00", Base: true},
		{RootGUID: acc, Value: "1", ValueT3: "x", Date: "2026-10-19", Electric: true},
	})
	want := []model.GISReading{
		{RootGUID: acc, TakenOn: time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC), Value: "5230.1", ValueT2: "2104.7"},
		{RootGUID: acc, TakenOn: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), Value: "12.5", Base: true},
	}
	if !reflect.DeepEqual(good, want) || len(errs) != 1 || !strings.Contains(errs[0].Error(), "MeteringValueT3") {
		t.Errorf("tariff readings %+v %v, want %+v and a MeteringValueT3 error", good, errs, want)
	}
}

func TestMeter(t *testing.T) {
	today := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	const prem = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
	m, err := gis.Meter(gis.NSI{}, model.GISMeterRow{ID: 4, Number: "X-1", Resource: "hot_water", AccountGUID: acc, PremisesGUID: ptr(prem), InitialReading: ptr("12.3400")}, tg, today)
	if err != nil || m.Resource.Code != "2" || m.Unit != "113" || m.InitialValue != "12.34" || !m.CommissioningDate.Equal(today) || m.PremisesGUID != prem {
		t.Errorf("meter %+v %v", m, err)
	}
	refused := []struct {
		name  string
		row   model.GISMeterRow
		field string
	}{
		{"unknown resource", model.GISMeterRow{ID: 5, Number: "X", Resource: "steam", AccountGUID: acc, PremisesGUID: ptr(prem)}, "resource"},
		// The account no longer stands in for the premises: GIS needs the premises' own GUID.
		{"premises not synced", model.GISMeterRow{ID: 6, Number: "X", Resource: "cold_water", AccountGUID: acc}, "premises.gis_premises_guid"},
		{"premises GUID malformed", model.GISMeterRow{ID: 7, Number: "X", Resource: "cold_water", AccountGUID: acc, PremisesGUID: ptr("42")}, "premises.gis_premises_guid"},
	}
	for _, tc := range refused {
		_, err := gis.Meter(gis.NSI{}, tc.row, tg, today)
		var fe *gis.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a field error on %s", tc.name, err, tc.field)
		}
	}
	if _, err := gis.Meter(gis.NSI{}, refused[1].row, tg, today); err == nil || !strings.Contains(err.Error(), "houses sync") {
		t.Errorf("premises not synced: %v, want advice to run the houses sync", err)
	}
}

func TestNSILookup(t *testing.T) {
	nsi := gis.NSI{GUIDs: map[string]string{"2/2": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "1/7": "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee"},
		Codes: map[string]string{"1/обслуживание домофона": "7"}}
	ref, _, _ := gis.Resource(nsi, "hot_water")
	if ref.GUID != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" || ref.Code != "2" {
		t.Errorf("synced GUID not used: %+v", ref)
	}
	ref, _, _ = gis.Resource(nsi, "cold_water")
	if ref.GUID == "" || ref.GUID == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
		t.Errorf("stand-in GUID: %+v", ref)
	}
	// A service without a code is found in the provider's book by its name.
	d, err := gis.Document(nsi, model.GISDocumentRow{ID: 9, Number: "1", AccountGUID: acc, TotalDue: 4500,
		Charges: []model.GISChargeRow{{ServiceKind: "other", ServiceName: "Обслуживание  домофона ", Tariff: "45", Volume: "1", Total: 4500}}}, acc, tg)
	if err == nil {
		t.Errorf("name with a double space matched: %+v", d)
	}
	d, err = gis.Document(nsi, model.GISDocumentRow{ID: 9, Number: "1", AccountGUID: acc, TotalDue: 4500,
		Charges: []model.GISChargeRow{{ServiceKind: "other", ServiceName: "Обслуживание домофона", NSIRegistry: ptr(0), Tariff: "45", Volume: "1", Total: 4500}}}, acc, tg)
	if err != nil || d.Charges[0].Service.Code != "7" || d.Charges[0].Service.GUID != "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
		t.Errorf("by name: %+v %v", d.Charges, err)
	}
}
