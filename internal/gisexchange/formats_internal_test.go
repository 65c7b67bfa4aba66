package gisexchange

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// storedFormats are samples, every field set, of what each subject stores:
// item payloads (gis_items.payload) and message queries
// (gis_messages.query). Messages already queued are read back with these
// types, so their JSON is a durable format.
var storedFormats = map[What]map[string]any{
	Orgs: {"query": orgsQuery{Criteria: []giszhkh.OrgSearch{{OGRN: "1115902000123", KPP: "590201001", OGRNIP: "304590200012345",
		OrgPPAGUID: "6d2f5e3a-1b2c-4d5e-8f90-123456789abc"}}}},
	Nsi:            {"query": nsiQuery{Registry: 51, Provider: true, Page: 2}},
	Houses:         {"query": houseQuery{FIASHouseGUID: "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"}},
	AccountsExport: {"query": houseQuery{FIASHouseGUID: "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"}},
	Accounts: {"item": giszhkh.Account{TransportGUID: "00000000-0000-4000-8000-000000000001", AccountNumber: "7700001",
		AccountGUID: "00000000-0000-4000-8000-000000000002", FIASHouseGUID: "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d",
		PremisesGUID: "00000000-0000-4000-8000-000000000003", SharePercent: "50", TotalArea: "54.30", LivingPersons: 2,
		Surname: "Иванов", FirstName: "Иван", Patronymic: "Иванович", PayerOrgVersionGUID: "00000000-0000-4000-8000-000000000004",
		ClosedOn: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), CloseReason: nsiRef(22)}},
	MetersExport: {"query": houseQuery{FIASHouseGUID: "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"}},
	Meters: {"item": giszhkh.Meter{TransportGUID: "00000000-0000-4000-8000-000000000001", Number: "ХВ-00001", Stamp: "Пульс", Model: "СХВ-15",
		CommissioningDate: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), PremisesGUID: "00000000-0000-4000-8000-000000000003",
		AccountGUID: "00000000-0000-4000-8000-000000000002", Resource: nsiRef(2), Unit: "113", InitialValue: "10.00",
		VersionGUID: "00000000-0000-4000-8000-000000000005", ArchiveReason: nsiRef(21)}},
	ReadingsImport: {"item": giszhkh.Reading{TransportGUID: "00000000-0000-4000-8000-000000000001", RootGUID: "00000000-0000-4000-8000-000000000006",
		Resource: nsiRef(2), Value: "123.456", Date: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)}},
	Readings: {"query": giszhkh.HistoryQuery{FIASHouseGUIDs: []string{"b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"},
		RootGUIDs: []string{"00000000-0000-4000-8000-000000000006"}, Resources: []giszhkh.NsiRef{nsiRef(2)},
		From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), NextBlock: "00000000-0000-4000-8000-000000000007"}},
	DocumentsExport: {"query": giszhkh.DocumentQuery{PaymentDocumentIDs: []string{"51АБ123456-01-6101"}, Year: 2026, Month: 10,
		AccountGUIDs: []string{"00000000-0000-4000-8000-000000000002"}}},
	Documents: {
		"item": giszhkh.PaymentDocument{TransportGUID: "00000000-0000-4000-8000-000000000001", AccountGUID: "00000000-0000-4000-8000-000000000002",
			Number: "2026-10-00001", DebtKopecks: -1500, PayableKopecks: 251041, Charges: []giszhkh.Charge{{Kind: giszhkh.ChargeCapitalRepair,
				Service: nsiRef(50), Rate: "12.85", Volume: "54.30", AccruedKopecks: 69776, PayableKopecks: 69776,
				ProviderPPAGUID: "6d2f5e3a-1b2c-4d5e-8f90-123456789abc"}}},
		"query": documentsQuery{Year: 2026, Month: 10, Provider: "6d2f5e3a-1b2c-4d5e-8f90-123456789abc",
			Bank: giszhkh.BankDetails{TransportGUID: "00000000-0000-4000-8000-000000000008", BIK: "044525225", Account: "40702810938000012345"}},
	},
	Withdrawals: {"item": giszhkh.Withdrawal{TransportGUID: "00000000-0000-4000-8000-000000000001", PaymentDocumentID: "51АБ123456-01-6101"}},
	Payments: {"item": giszhkh.SupplierNotification{TransportGUID: "00000000-0000-4000-8000-000000000001",
		OrderDate: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), Year: 2026, Month: 10, PaymentDocumentID: "51АБ123456-01-6101",
		ServiceID: "51АБ123456-01", AmountKopecks: 251041, Online: true}},
	Cancellations: {"item": giszhkh.Cancellation{TransportGUID: "00000000-0000-4000-8000-000000000001", OrderID: "1234567890",
		Date: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), Comment: "ошибочный платёж"}},
}

func nsiRef(registry int) giszhkh.NsiRef {
	return giszhkh.NsiRef{Code: "1", GUID: "00000000-0000-4000-8000-0000000000" + string(rune('0'+registry/10)) + string(rune('0'+registry%10)), Name: "Холодная вода"}
}

// TestStoredFormats pins the JSON of every stored payload and query to
// testdata/formats/SUBJECT-PART.json: renaming a JSON name breaks messages
// already queued, so a changed format fails here (review, then -update).
// Every registry subject must have its samples, and every sample must set
// every field, so a new field shows in the golden file.
func TestStoredFormats(t *testing.T) {
	for _, s := range Subjects() {
		samples, ok := storedFormats[s.What]
		if !ok {
			t.Errorf("subject %s has no stored-format sample", s.What)
			continue
		}
		if _, ok := samples["item"]; ok == s.Export {
			t.Errorf("subject %s: an item sample must exist exactly for item subjects (Export=%v)", s.What, s.Export)
		}
		for part, v := range samples {
			t.Run(string(s.What)+"-"+part, func(t *testing.T) {
				if zero := zeroFields(reflect.ValueOf(v), ""); len(zero) > 0 {
					t.Errorf("sample leaves fields unset, the golden file would not show them: %v", zero)
				}
				got, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				path := filepath.Join("testdata", "formats", string(s.What)+"-"+part+".json")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("the stored format of %s changed; messages already queued would not decode.\n got: %s\nwant: %s", path, got, want)
				}
				// What is stored decodes back to the same value.
				back := reflect.New(reflect.TypeOf(v))
				if err := json.Unmarshal(want, back.Interface()); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(back.Elem().Interface(), v) {
					t.Errorf("%s does not decode to the sample: %+v", path, back.Elem().Interface())
				}
			})
		}
	}
}

// zeroFields lists the zero-valued exported fields of v, recursively.
func zeroFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			if v.IsZero() {
				return []string{path}
			}
			return nil
		}
		var out []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			out = append(out, zeroFields(v.Field(i), path+"."+f.Name)...)
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		return zeroFields(v.Index(0), path+"[0]")
	default:
		if v.IsZero() {
			return []string{path}
		}
		return nil
	}
}
