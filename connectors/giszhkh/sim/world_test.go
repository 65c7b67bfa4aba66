package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const livingHouse = "c0ffee00-1111-4222-8333-444455556666"

func loadTestWorld(t *testing.T) sim.World {
	t.Helper()
	w, err := sim.LoadWorld("testdata/world.json")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// newWorldEnv is a simulator seeded with testdata/world.json.
func newWorldEnv(t *testing.T) *env {
	t.Helper()
	w := loadTestWorld(t)
	return newEnvWith(t, 0, func(c *sim.Config) { c.World = w })
}

// TestSeededGUIDsAreStable: the GUIDs the simulator derives for a world are
// the same on every run (golden file), and two simulators agree.
func TestSeededGUIDsAreStable(t *testing.T) {
	w := loadTestWorld(t)
	got, err := json.MarshalIndent(w.Seeded(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "world.seeded.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != string(got) {
		t.Errorf("seeded world differs from %s (run with -update if the change is intended):\n%s", golden, got)
	}
	// GUIDs given in the seed are kept; the others are filled in.
	s := w.Seeded()
	if s.Orgs[0].PPAGUID != org || s.Orgs[1].PPAGUID == "" || s.Houses[0].Premises[2].GUID == "" {
		t.Errorf("seeded orgs %+v", s.Orgs)
	}
	a, b := newWorldEnv(t).sim.SeededWorld(), newWorldEnv(t).sim.SeededWorld()
	if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
		t.Error("two simulators seeded from one world disagree on GUIDs")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	reHouseUnique    = regexp.MustCompile(`^[0-9]{25}-[0-9]{5}$`)
	rePremisesUnique = regexp.MustCompile(`^[0-9]{25}-[0-9]{10}$`)
)

// TestWorldExports: request → Ack → getState → the decoded result carries
// the world's data, for every export answered from the world.
func TestWorldExports(t *testing.T) {
	e := newWorldEnv(t)
	ctx := context.Background()
	b := e.builder
	w := e.sim.SeededWorld()
	rc, uk, ip := w.Orgs[0], w.Orgs[1], w.Orgs[2]
	h := w.Houses[0]
	if h.FIASHouseGUID != house {
		h = w.Houses[1]
	}
	tests := []struct {
		name  string
		req   func() (*giszhkh.Request, error)
		check func(t *testing.T, st *giszhkh.State)
	}{
		{"org by OGRN and KPP", func() (*giszhkh.Request, error) {
			return b.ExportOrgRegistry(ctx, []giszhkh.OrgSearch{{OGRN: rc.OGRN, KPP: rc.KPP}})
		}, func(t *testing.T, st *giszhkh.State) {
			if len(st.Orgs) != 1 {
				t.Fatalf("orgs %+v, want 1", st.Orgs)
			}
			o := st.Orgs[0]
			if o.PPAGUID != org || o.RootGUID != rc.RootGUID || o.VersionGUID != rc.VersionGUID || o.INN != rc.INN || o.KPP != rc.KPP ||
				o.Name != "РЦ «Город»" || !o.Actual {
				t.Errorf("org %+v, want %+v", o, rc)
			}
		}},
		{"orgs by OGRN, OGRNIP and orgPPAGUID in one message", func() (*giszhkh.Request, error) {
			return b.ExportOrgRegistry(ctx, []giszhkh.OrgSearch{{OGRN: uk.OGRN}, {OGRNIP: ip.OGRN}, {OrgPPAGUID: rc.PPAGUID}, {OGRN: uk.OGRN}})
		}, func(t *testing.T, st *giszhkh.State) {
			if len(st.Orgs) != 3 {
				t.Fatalf("orgs %+v, want 3 (each once)", st.Orgs)
			}
			if st.Orgs[0].PPAGUID != uk.PPAGUID || st.Orgs[1].OGRN != ip.OGRN || st.Orgs[1].Name != "Петров Пётр Петрович" || st.Orgs[2].RootGUID != rc.RootGUID {
				t.Errorf("orgs %+v", st.Orgs)
			}
		}},
		{"org by KPP of another org: nothing", func() (*giszhkh.Request, error) {
			return b.ExportOrgRegistry(ctx, []giszhkh.OrgSearch{{OGRN: rc.OGRN, KPP: uk.KPP}})
		}, func(t *testing.T, st *giszhkh.State) {
			if !st.Empty() || len(st.Orgs) != 0 {
				t.Errorf("got %+v / %+v, want INT002012", st.Orgs, st.Error)
			}
		}},
		{"data providers", func() (*giszhkh.Request, error) { return b.ExportDataProvider(ctx, true) }, func(t *testing.T, st *giszhkh.State) {
			if len(st.Providers) != 3 || st.Providers[0].RootGUID != rc.RootGUID || st.Providers[2].RootGUID != ip.RootGUID || !st.Providers[1].Actual {
				t.Errorf("providers %+v", st.Providers)
			}
		}},
		{"apartment house with its premises", func() (*giszhkh.Request, error) { return b.ExportHouse(ctx, org, house) }, func(t *testing.T, st *giszhkh.State) {
			x := st.House
			if x == nil {
				t.Fatalf("no house: %+v", st.Error)
			}
			if x.HouseGUID != h.HouseGUID || x.FIASHouseGUID != house || !x.Apartment || !reHouseUnique.MatchString(x.UniqueNumber) || len(x.Premises) != 3 {
				t.Fatalf("house %+v", x)
			}
			byNumber := map[string]giszhkh.ExportedPremises{}
			for _, p := range x.Premises {
				byNumber[p.Number] = p
				if !rePremisesUnique.MatchString(p.UniqueNumber) {
					t.Errorf("premises %s unique number %q", p.Number, p.UniqueNumber)
				}
			}
			for _, p := range h.Premises {
				got := byNumber[p.Number]
				if got.GUID != p.GUID || got.Residential != (p.Kind == sim.KindResidential) {
					t.Errorf("premises %s: %+v, want %+v", p.Number, got, p)
				}
			}
		}},
		{"living house", func() (*giszhkh.Request, error) { return b.ExportHouse(ctx, org, livingHouse) }, func(t *testing.T, st *giszhkh.State) {
			if st.House == nil || st.House.Apartment || st.House.HouseGUID == "" || st.House.FIASHouseGUID != livingHouse || len(st.House.Premises) != 0 {
				t.Errorf("house %+v", st.House)
			}
		}},
		{"house GIS does not hold", func() (*giszhkh.Request, error) {
			return b.ExportHouse(ctx, org, "99999999-9999-4999-8999-999999999999")
		}, func(t *testing.T, st *giszhkh.State) {
			if !st.Empty() || st.House != nil {
				t.Errorf("got %+v / %+v, want INT002012", st.House, st.Error)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := tc.req()
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, e.exchange(t, req, org))
		})
	}
	if s := e.sim.Stats(); s.BadResponses != 0 {
		t.Errorf("%d responses broke the schema", s.BadResponses)
	}
}

// TestMeterExport: devices placed through importMeteringDeviceData come
// back from exportMeteringDeviceData by house and by device, with their
// root and version GUIDs, premises and account; archived ones only when
// asked by device.
func TestMeterExport(t *testing.T) {
	e := newWorldEnv(t)
	ctx := context.Background()
	b := e.builder
	prem := e.sim.SeededWorld().Houses[0].Premises[0].GUID
	req, _ := b.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: b.NewGUID(), AccountNumber: "1001", PremisesGUID: prem, Surname: "Иванов", FirstName: "Иван"}})
	st := e.exchange(t, req, org)
	noErrors(t, st, 1)
	acc := st.Results[0].GUID
	mreq, _ := b.ImportMeters(ctx, org, []giszhkh.Meter{
		{TransportGUID: b.NewGUID(), Number: "ХВ-1", CommissioningDate: e.clock.Now(), PremisesGUID: prem, AccountGUID: acc, Resource: water, Unit: "113", InitialValue: "10"},
		{TransportGUID: b.NewGUID(), Number: "ГВ-1", CommissioningDate: e.clock.Now(), PremisesGUID: prem, AccountGUID: acc,
			Resource: giszhkh.NsiRef{Code: "2", GUID: sim.NsiGUID(2, "2")}, Unit: "113", InitialValue: "5"},
	})
	st = e.exchange(t, mreq, org)
	noErrors(t, st, 2)
	root, version := st.Results[0].RootGUID, st.Results[0].GUID

	byHouse, _ := b.ExportMeters(ctx, org, giszhkh.MeterQuery{FIASHouseGUID: house})
	st = e.exchange(t, byHouse, org)
	if len(st.Meters) != 2 {
		t.Fatalf("meters of the house: %+v, want 2", st.Meters)
	}
	var m giszhkh.ExportedMeter
	for _, x := range st.Meters {
		if x.RootGUID == root {
			m = x
		}
	}
	if m.VersionGUID != version || m.Number != "ХВ-1" || m.Archived || m.ResourceCode != "1" ||
		len(m.PremisesGUIDs) != 1 || m.PremisesGUIDs[0] != prem || len(m.AccountGUIDs) != 1 || m.AccountGUIDs[0] != acc {
		t.Errorf("meter %+v", m)
	}

	areq, _ := b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), VersionGUID: version, ArchiveReason: giszhkh.NsiRef{Code: "1", GUID: sim.NsiGUID(21, "1")}}})
	noErrors(t, e.exchange(t, areq, org), 1)
	byHouse, _ = b.ExportMeters(ctx, org, giszhkh.MeterQuery{FIASHouseGUID: house}) // a new message: a re-sent one gets its first answer
	st = e.exchange(t, byHouse, org)
	if len(st.Meters) != 1 || st.Meters[0].RootGUID == root {
		t.Errorf("after archiving, the house has %+v, want only the other device", st.Meters)
	}
	one, _ := b.ExportMeters(ctx, org, giszhkh.MeterQuery{RootGUID: root})
	st = e.exchange(t, one, org)
	if len(st.Meters) != 1 || !st.Meters[0].Archived {
		t.Errorf("archived device by its GUID: %+v", st.Meters)
	}
	other, _ := b.ExportMeters(ctx, org, giszhkh.MeterQuery{FIASHouseGUID: livingHouse})
	if st = e.exchange(t, other, org); !st.Empty() {
		t.Errorf("a house without devices: %+v, want INT002012", st.Meters)
	}
}

// TestWorldControls: premises GUIDs the housing registry does not hold are
// refused per item; houses outside the world keep the lenient checks.
func TestWorldControls(t *testing.T) {
	e := newWorldEnv(t)
	ctx := context.Background()
	b := e.builder
	prem := e.sim.SeededWorld().Houses[0].Premises[1].GUID
	unknown := "99999999-9999-4999-8999-999999999999"
	elsewhere := "abcdef01-2345-4678-89ab-cdef01234567" // a house the world does not hold

	account := func(number, premises, fias string) string {
		t.Helper()
		req, _ := b.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: b.NewGUID(), AccountNumber: number, PremisesGUID: premises, FIASHouseGUID: fias, Surname: "А", FirstName: "Б"}})
		st := e.exchange(t, req, org)
		noErrors(t, st, 1)
		return st.Results[0].GUID
	}
	inWorld := account("1", "", house)
	inPremises := account("2", prem, "")
	outside := account("3", "", elsewhere)

	tests := []struct {
		name string
		req  func() (*giszhkh.Request, error)
		code string // "" = accepted
	}{
		{"account in premises the registry does not hold", func() (*giszhkh.Request, error) {
			return b.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: b.NewGUID(), AccountNumber: "10", PremisesGUID: unknown, Surname: "А", FirstName: "Б"}})
		}, "INT002034"},
		{"meter whose premises is the account GUID, house in the world", func() (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "M-1", CommissioningDate: e.clock.Now(), PremisesGUID: inWorld, AccountGUID: inWorld, Resource: water, Unit: "113", InitialValue: "0"}})
		}, "INT002034"},
		{"meter in a premises of another house", func() (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "M-2", CommissioningDate: e.clock.Now(), PremisesGUID: prem, AccountGUID: outside, Resource: water, Unit: "113", InitialValue: "0"}})
		}, "INT002034"},
		{"meter in a premises of the house", func() (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "M-3", CommissioningDate: e.clock.Now(), PremisesGUID: prem, AccountGUID: inWorld, Resource: water, Unit: "113", InitialValue: "0"}})
		}, ""},
		{"meter of an account placed in a premises", func() (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "M-4", CommissioningDate: e.clock.Now(), PremisesGUID: prem, AccountGUID: inPremises, Resource: water, Unit: "113", InitialValue: "0"}})
		}, ""},
		{"house outside the world: lenient as before", func() (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "M-5", CommissioningDate: e.clock.Now(), PremisesGUID: outside, AccountGUID: outside, Resource: water, Unit: "113", InitialValue: "0"}})
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := tc.req()
			if err != nil {
				t.Fatal(err)
			}
			st := e.exchange(t, req, org)
			if tc.code == "" {
				noErrors(t, st, 1)
				return
			}
			if len(st.Results) != 1 || len(st.Results[0].Errors) != 1 || st.Results[0].Errors[0].Code != tc.code ||
				!strings.Contains(st.Results[0].Errors[0].Description, "Помещение") {
				t.Errorf("results %+v, want one %s about the premises", st.Results, tc.code)
			}
		})
	}
	if c := e.sim.Counts(); c.Accounts != 3 || c.Meters != 3 {
		t.Errorf("counts %+v, want the 3 accounts and 3 meters that passed", c)
	}
}

// TestNsiPaging: a large book comes in pages of 1000 with the totals, and a
// page past the last one is empty.
func TestNsiPaging(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	codes := map[string]bool{}
	pages := 0
	for page := 1; ; page++ {
		req, err := e.builder.ExportNsiItem(ctx, sim.PagingBook, "NSI", page, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		st := e.exchange(t, req, org)
		if st.Empty() {
			break
		}
		if page > 10 {
			t.Fatal("paging never stops")
		}
		pages++
		want := min(1000, sim.PagingBookSize-(page-1)*1000)
		if len(st.NsiElements) != want || st.NsiPage != page || st.NsiPages != 3 {
			t.Errorf("page %d: %d elements, page %d of %d; want %d elements of page %d of 3", page, len(st.NsiElements), st.NsiPage, st.NsiPages, want, page)
		}
		for _, el := range st.NsiElements {
			if codes[el.Code] {
				t.Errorf("element %s on two pages", el.Code)
			}
			codes[el.Code] = true
		}
	}
	if pages != 3 || len(codes) != sim.PagingBookSize {
		t.Errorf("%d pages, %d distinct elements; want 3 and %d", pages, len(codes), sim.PagingBookSize)
	}
	// A small book fits one page.
	req, _ := e.builder.ExportNsiItem(ctx, 2, "NSI", 1, time.Time{})
	if st := e.exchange(t, req, org); len(st.NsiElements) != 6 || st.NsiPages != 1 {
		t.Errorf("НСИ 2 page 1: %d elements of %d pages", len(st.NsiElements), st.NsiPages)
	}
}

// TestExportFilters: exportAccountData and exportPaymentDocumentData
// return only what the request selects.
func TestExportFilters(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	b := e.builder
	other := "abcdef01-2345-4678-89ab-cdef01234567"
	req, _ := b.ImportAccounts(ctx, org, []giszhkh.Account{
		{TransportGUID: b.NewGUID(), AccountNumber: "1", FIASHouseGUID: house, Surname: "А", FirstName: "Б"},
		{TransportGUID: b.NewGUID(), AccountNumber: "2", FIASHouseGUID: house, Surname: "В", FirstName: "Г"},
		{TransportGUID: b.NewGUID(), AccountNumber: "3", FIASHouseGUID: other, Surname: "Д", FirstName: "Е"},
	})
	st := e.exchange(t, req, org)
	noErrors(t, st, 3)
	r := st.Results
	bank := giszhkh.BankDetails{TransportGUID: b.NewGUID(), BIK: "044525225", Account: "40702810938000012345"}
	var docs []giszhkh.PaymentDocument
	for i, x := range r {
		docs = append(docs, giszhkh.PaymentDocument{TransportGUID: b.NewGUID(), AccountGUID: x.GUID, Number: "10-" + string(rune('1'+i)), PayableKopecks: 100,
			Charges: []giszhkh.Charge{{Kind: giszhkh.ChargeMunicipal, Service: water, Rate: "1", AccruedKopecks: 100, PayableKopecks: 100, ProviderPPAGUID: org}}})
	}
	dreq, _ := b.ImportPaymentDocuments(ctx, org, giszhkh.PaymentDocuments{Year: 2026, Month: 10, ProviderPPAGUID: org, Bank: bank, Documents: docs})
	st = e.exchange(t, dreq, org)
	noErrors(t, st, 3)
	pd := st.Results[1].UniqueNumber

	accounts := []struct {
		name string
		q    giszhkh.AccountQuery
		want []string // account numbers
	}{
		{"house", giszhkh.AccountQuery{FIASHouseGUID: house}, []string{"1", "2"}},
		{"account GUID", giszhkh.AccountQuery{AccountGUIDs: []string{r[2].GUID}}, []string{"3"}},
		{"ЕЛС", giszhkh.AccountQuery{UnifiedAccountNumbers: []string{r[0].UnifiedAccountNumber, r[1].UnifiedAccountNumber}}, []string{"1", "2"}},
		{"ЖКУ id", giszhkh.AccountQuery{ServiceIDs: []string{r[1].ServiceID}}, []string{"2"}},
	}
	for _, tc := range accounts {
		t.Run("accounts by "+tc.name, func(t *testing.T) {
			req, err := b.ExportAccounts(ctx, org, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			st := e.exchange(t, req, org)
			var got []string
			for _, a := range st.Accounts {
				got = append(got, a.AccountNumber)
			}
			if strings.Join(sorted(got), ",") != strings.Join(tc.want, ",") {
				t.Errorf("accounts %v, want %v", got, tc.want)
			}
		})
	}
	documents := []struct {
		name string
		q    giszhkh.DocumentQuery
		want []string // account GUIDs
	}{
		{"PaymentDocumentID", giszhkh.DocumentQuery{PaymentDocumentIDs: []string{pd}}, []string{r[1].GUID}},
		{"month and account GUID", giszhkh.DocumentQuery{Year: 2026, Month: 10, AccountGUIDs: []string{r[0].GUID, r[2].GUID}}, sorted([]string{r[0].GUID, r[2].GUID})},
		{"another month", giszhkh.DocumentQuery{Year: 2026, Month: 9, AccountGUIDs: []string{r[0].GUID}}, nil},
	}
	for _, tc := range documents {
		t.Run("documents by "+tc.name, func(t *testing.T) {
			req, err := b.ExportPaymentDocuments(ctx, org, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			st := e.exchange(t, req, org)
			var got []string
			for _, d := range st.Documents {
				got = append(got, d.AccountGUID)
			}
			if strings.Join(sorted(got), ",") != strings.Join(tc.want, ",") {
				t.Errorf("documents of %v, want %v", got, tc.want)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestLoadWorldErrors: a world GIS could not hold is refused with the file
// and the field named.
func TestLoadWorldErrors(t *testing.T) {
	t.Parallel()
	org := `{"name": "РЦ", "inn": "5902987651", "ogrn": "1115902000123"}`
	tests := []struct {
		name, json, field string
	}{
		{"syntax", `{"orgs": [`, "world.json"},
		{"unknown field", `{"orgz": []}`, "orgz"},
		{"wrong type", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "floors": "nine"}]}`, "houses.floors"},
		{"OGRN", `{"orgs": [{"name": "РЦ", "inn": "5902987651", "ogrn": "12345"}]}`, "orgs[0].ogrn"},
		{"INN", `{"orgs": [` + org + `, {"name": "УК", "inn": "59", "ogrn": "1025900512345"}]}`, "orgs[1].inn"},
		{"role", `{"orgs": [{"name": "РЦ", "inn": "5902987651", "ogrn": "1115902000123", "roles": ["bank"]}]}`, "orgs[0].roles[0]"},
		{"PPA GUID", `{"orgs": [{"name": "РЦ", "inn": "5902987651", "ogrn": "1115902000123", "ppa_guid": "nope"}]}`, "orgs[0].ppa_guid"},
		{"house GUID", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "house_guid": "x"}]}`, "houses[0].house_guid"},
		{"FIAS missing", `{"houses": [{"address": "ул. Ленина, 1"}]}`, "houses[0].fias_house_guid"},
		{"OKTMO", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "oktmo": "577"}]}`, "houses[0].oktmo"},
		{"premises kind", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "premises": [{"number": "1"}, {"number": "2", "kind": "garage"}]}]}`, "houses[0].premises[1].kind"},
		{"premises twice", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "premises": [{"number": "1"}, {"number": "1"}]}]}`, "houses[0].premises[1].number"},
		{"premises area", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "premises": [{"number": "1", "area": "54,3"}]}]}`, "houses[0].premises[0].area"},
		{"GUID twice", `{"houses": [{"fias_house_guid": "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d", "house_guid": "11111111-1111-4111-8111-111111111111", "premises": [{"number": "1", "guid": "11111111-1111-4111-8111-111111111111"}]}]}`, "houses[0].premises[0].guid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "world.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := sim.LoadWorld(path)
			if err == nil {
				t.Fatal("LoadWorld accepted it")
			}
			if !errors.Is(err, sim.ErrWorld) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q: want ErrWorld naming %s and %s", err, path, tc.field)
			}
		})
	}
	if _, err := sim.LoadWorld(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, sim.ErrWorld) || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}
