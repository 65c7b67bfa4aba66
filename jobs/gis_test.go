package jobs_test

import (
	"context"
	"fmt"
	"iter"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

const (
	gisOrgPPA = "6d2f5e3a-1b2c-4d5e-8f90-123456789abc"
	gisHouse  = "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"
)

var gisPeriod = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func seqOf[T any](xs []T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, x := range xs {
			if !yield(x) {
				return
			}
		}
	}
}

// gisWorld is what GIS holds before the exchange: the settlement centre
// registered (its root GUID derived by the simulator) and the house with
// the n premises seedGIS creates, premises GUIDs derived.
func gisWorld(n int) sim.World {
	houses := make([]sim.WorldHouse, gisHouses(n))
	for i := range houses {
		houses[i] = sim.WorldHouse{FIASHouseGUID: gisHouseGUID(i + 1), Address: gisHouseAddress(i + 1), OKTMO: "57701000"}
	}
	for i := 1; i <= n; i++ {
		h := &houses[gisHouseOf(i)-1]
		h.Premises = append(h.Premises, sim.WorldPremises{Number: fmt.Sprint(i), Kind: sim.KindResidential, Area: "54.30"})
	}
	return sim.World{Orgs: []sim.WorldOrg{{Name: "РЦ «Город»", INN: "5902987651", KPP: "590201001", OGRN: "1115902000123",
		PPAGUID: gisOrgPPA, Roles: []string{"settlement"}}, gisPayerOrg}, Houses: houses}
}

// gisPerHouse is how many premises a house of a benchmark-sized seed has:
// a real house holds hundreds, not 100 000 (whose export would not fit in
// one answer). Tests below 1000 accounts keep one house.
const gisPerHouse = 500

func gisHouses(n int) int {
	if n < 1000 {
		return 1
	}
	return (n + gisPerHouse - 1) / gisPerHouse
}

// gisHouseOf is the house (from 1) of premises i.
func gisHouseOf(i int) int64 {
	return int64((i-1)/gisPerHouse + 1)
}

func gisHouseGUID(h int) string {
	if h == 1 {
		return gisHouse
	}
	return fmt.Sprintf("b9a1c2d3-e4f5-4a6b-8c7d-%012d", h)
}

func gisHouseAddress(h int) string {
	if h == 1 {
		return "ул. Ленина, 1"
	}
	return fmt.Sprintf("ул. Ленина, %d", h)
}

// gisPayerOrg rents the last premises: its account is placed with the
// payer's registry version, which only the orgs export can tell.
var gisPayerOrg = sim.WorldOrg{Name: "ООО «Ромашка»", INN: "5904123450", KPP: "590401001", OGRN: "1025900512345"}

// seedGIS loads one settlement centre with n accounts, each with a meter,
// three charges, a ready payment document and one payment for the period.
// The centre's orgPPAGUID is known; its registry GUIDs and the GUIDs of the
// house and premises come from the orgs and houses exports.
func seedGIS(t testing.TB, db *pgxpool.Pool, n int) int64 {
	t.Helper()
	ctx := context.Background()
	ppa := uuid.MustParse(gisOrgPPA)
	must := func(_ int64, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CopyOrganizations(ctx, db, seqOf([]model.Organization{{ID: 1, Name: "РЦ «Город»", INN: "5902987651", KPP: "590201001", OGRN: "1115902000123", Role: "settlement", GISOrgPPAGUID: &ppa}})))
	var houses []model.House
	for h := 1; h <= gisHouses(n); h++ {
		houses = append(houses, model.House{ID: int64(h), OrgID: 1, Address: gisHouseAddress(h), FIASHouseGUID: uuid.MustParse(gisHouseGUID(h)),
			OKTMO: "57701000", Floors: 9, BuiltYear: 1985, TotalArea: model.Decimal{Units: 500000, Scale: 2}})
	}
	must(store.CopyHouses(ctx, db, seqOf(houses)))
	must(store.CopyServices(ctx, db, seqOf([]model.Service{
		{ID: 1, OrgID: 1, Code: "maintenance", Name: "Содержание", Unit: "м²", Kind: "housing", NSIRegistry: 50, NSICode: "1"},
		{ID: 2, OrgID: 1, Code: "cold_water", Name: "ХВС", Unit: "м³", Kind: "utility", NSIRegistry: 51, NSICode: "1"},
		{ID: 3, OrgID: 1, Code: "capital_repair", Name: "Капремонт", Unit: "м²", Kind: "capital_repair"},
	})))
	var prem []model.Premises
	var accs []model.Account
	var meters []model.Meter
	var readings []model.Reading
	var charges []model.Charge
	var docs []model.PaymentDocument
	var pays []model.Payment
	opened := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		id := int64(i)
		prem = append(prem, model.Premises{ID: id, HouseID: gisHouseOf(i), Number: fmt.Sprint(i), Kind: "residential", TotalArea: model.Decimal{Units: 5430, Scale: 2}})
		accs = append(accs, model.Account{ID: id, OrgID: 1, PremisesID: id, Number: fmt.Sprintf("77%05d", i), PayerName: "Иванов Иван Иванович",
			TotalArea: model.Decimal{Units: 5430, Scale: 2}, ResidentsCount: 2, OpenedOn: opened})
		meters = append(meters, model.Meter{ID: id, PremisesID: id, AccountID: id, Number: fmt.Sprintf("ХВ-%05d", i), Resource: "cold_water",
			TariffZones: 1, InstalledOn: opened, VerifiedOn: opened, NextVerifyOn: opened.AddDate(6, 0, 0)})
		readings = append(readings, model.Reading{MeterID: id, TakenOn: opened, Value: model.Decimal{Units: 1000, Scale: 2}, Source: "initial"})
		charges = append(charges,
			model.Charge{AccountID: id, ServiceID: 1, Period: gisPeriod, Tariff: model.Decimal{Units: 285000, Scale: 4}, Volume: model.Decimal{Units: 5430, Scale: 2}, Amount: 154755},
			model.Charge{AccountID: id, ServiceID: 2, Period: gisPeriod, Tariff: model.Decimal{Units: 482000, Scale: 4}, Volume: model.Decimal{Units: 55, Scale: 1}, Amount: 26510},
			model.Charge{AccountID: id, ServiceID: 3, Period: gisPeriod, Tariff: model.Decimal{Units: 128500, Scale: 4}, Volume: model.Decimal{Units: 5430, Scale: 2}, Amount: 69776})
		docs = append(docs, model.PaymentDocument{ID: id, AccountID: id, Period: gisPeriod, Number: fmt.Sprintf("2026-10-%05d", i),
			Charged: 251041, TotalDue: 251041, State: "ready"})
		p := gisPeriod
		pays = append(pays, model.Payment{Source: "sber", OperationID: fmt.Sprintf("op-%d", i), OperationDate: gisPeriod.AddDate(0, 0, 14),
			AccountID: id, Period: &p, Amount: 251041, PayerName: "Иванов"})
	}
	must(store.CopyPremises(ctx, db, seqOf(prem)))
	must(store.CopyAccounts(ctx, db, seqOf(accs)))
	must(store.CopyMeters(ctx, db, seqOf(meters)))
	must(store.CopyReadings(ctx, db, seqOf(readings)))
	must(store.CopyCharges(ctx, db, seqOf(charges)))
	must(store.CopyPaymentDocuments(ctx, db, seqOf(docs)))
	must(store.CopyPayments(ctx, db, seqOf(pays)))
	return 1
}

// payLastByOrg makes gisPayerOrg the payer of account n: the orgs sync must
// then run before accounts (the month cycle does).
func payLastByOrg(t testing.TB, db *pgxpool.Pool, n int) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `UPDATE accounts SET payer_kind = 'organization', payer_name = $2, payer_inn = $3,
		payer_ogrn = $4, payer_kpp = $5 WHERE id = $1`, n, gisPayerOrg.Name, gisPayerOrg.INN, gisPayerOrg.OGRN, gisPayerOrg.KPP); err != nil {
		t.Fatal(err)
	}
}

type gisEnv struct {
	db     *pgxpool.Pool
	sim    *sim.Server
	gis    *gisexchange.Exchange
	client *river.Client[pgx.Tx]
}

// newExchange builds the exchange the tests' workers use, against client.
func newExchange(t testing.TB, b *giszhkh.Builder, client gisexchange.Client) *gisexchange.Exchange {
	t.Helper()
	x, err := gisexchange.New(gisexchange.Config{BankBIK: "044525225", BankAccount: "40702810938000012345",
		Poll: []time.Duration{20 * time.Millisecond, 50 * time.Millisecond}, ResendAfter: 20 * time.Millisecond},
		gisexchange.Deps{Builder: b, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func newGISEnv(t testing.TB, n int, faults sim.Faults) *gisEnv {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	seedGIS(t, db, n)
	payLastByOrg(t, db, n)
	// Small tests use blocks of 100 devices to cross block boundaries;
	// benchmarks use GIS's 1000.
	block := 100
	if n >= 1000 {
		block = 1000
	}
	ge := gistest.Start(t, gistest.Options{Sim: sim.Config{World: gisWorld(n), Delay: 30 * time.Millisecond, Faults: faults, Seed: 7, HistoryBlock: block,
		Now: func() time.Time { return time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC).Add(time.Since(start)) }}})
	g := newExchange(t, ge.Builder, ge.Client)
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.GISSyncWorker{Pool: db, GIS: g})
	river.AddWorker(workers, &jobs.GISSendWorker{Pool: db, GIS: g})
	river.AddWorker(workers, &jobs.GISPollWorker{Pool: db, GIS: g})
	rc, err := river.NewClient(riverpgxv5.New(db), &river.Config{
		Queues:            map[string]river.QueueConfig{jobs.QueueGIS: {MaxWorkers: 8}},
		Workers:           workers,
		FetchCooldown:     5 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	return &gisEnv{db: db, sim: ge.Sim, gis: g, client: rc}
}

var start = time.Now()

// sync runs one subject and waits until every message is settled.
func (e *gisEnv) sync(t testing.TB, what gisexchange.What) {
	t.Helper()
	ctx := context.Background()
	began := time.Now()
	defer func() { t.Logf("%s settled in %s", what, time.Since(began).Round(time.Millisecond)) }()
	if _, err := e.client.Insert(ctx, jobs.GISSyncArgs{OrgID: 1, What: what, Period: "2026-10"}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		ms, err := store.ListGISMessages(ctx, e.db, store.GISMessageFilter{OrgID: 1, Kind: string(what), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		settled := len(ms) > 0
		for _, m := range ms {
			if m.State != store.MessageDone && m.State != store.MessageStopped {
				settled = false
			}
		}
		if settled {
			// The sync job itself must be finished too (it creates the messages).
			return
		}
	}
	t.Fatalf("%s: messages not settled in time", what)
}

func (e *gisEnv) checkAllConfirmed(t testing.TB, what gisexchange.What, wantItems int) {
	t.Helper()
	ms, err := store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: string(what), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, m := range ms {
		if m.State != store.MessageDone || m.ItemsFailed > 0 || m.ItemsUnknown > 0 {
			_, items, _ := store.GetGISMessage(context.Background(), e.db, m.ID)
			t.Fatalf("%s message %d: state %s, %d failed, %d unknown (%s %s; %s); items %+v", what, m.ID, m.State, m.ItemsFailed,
				m.ItemsUnknown, m.ErrorCode, m.Error, m.Report, items[:min(len(items), 1)])
		}
		ok += m.ItemsOK
	}
	if ok != wantItems {
		t.Errorf("%s: %d items confirmed, want %d", what, ok, wantItems)
	}
}

func runMonth(t testing.TB, e *gisEnv, n int) {
	t.Helper()
	ctx := context.Background()
	e.sync(t, gisexchange.Orgs)
	var root *string
	if err := e.db.QueryRow(ctx, `SELECT gis_org_root_guid::text FROM organizations WHERE id = 1`).Scan(&root); err != nil || root == nil {
		t.Errorf("orgs: the centre has no registry root GUID (%v)", err)
	}
	e.sync(t, gisexchange.Nsi)
	nsiMsgs, _ := store.ListGISMessages(ctx, e.db, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Nsi)})
	if len(nsiMsgs) != 4 {
		t.Errorf("nsi: %d messages, want 4 reference books", len(nsiMsgs))
	}
	e.sync(t, gisexchange.Houses)
	e.checkAllConfirmed(t, gisexchange.Houses, n) // every premises matched, none unmatched
	e.sync(t, gisexchange.Accounts)
	e.checkAllConfirmed(t, gisexchange.Accounts, n)
	e.sync(t, gisexchange.Meters)
	e.checkAllConfirmed(t, gisexchange.Meters, n)
	// Meters refer to municipal resources with the GUIDs the NSI export brought.
	meterMsgs, _ := store.ListGISMessages(ctx, e.db, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Meters)})
	_, items, _ := store.GetGISMessage(ctx, e.db, meterMsgs[0].ID)
	if want := sim.NsiGUID(2, "1"); !strings.Contains(string(items[0].Payload), want) {
		t.Errorf("meter payload %s does not use НСИ 2 GUID %s", items[0].Payload, want)
	}
	var premGUID string
	if err := e.db.QueryRow(ctx, `SELECT p.gis_premises_guid::text FROM meters m JOIN premises p ON p.id = m.premises_id WHERE m.id = $1`,
		items[0].ObjectID).Scan(&premGUID); err != nil ||
		premGUID == "" || !strings.Contains(string(items[0].Payload), premGUID) {
		t.Errorf("meter payload %s does not carry its premises' GIS GUID %q (%v)", items[0].Payload, premGUID, err)
	}
	e.sync(t, gisexchange.Readings)
	e.sync(t, gisexchange.Documents)
	e.checkAllConfirmed(t, gisexchange.Documents, n)
	e.sync(t, gisexchange.Payments)
	e.checkAllConfirmed(t, gisexchange.Payments, n)

	// Withdraw one document and cancel one payment's notification.
	if err := store.RequestGISWithdrawal(ctx, e.db, 1); err != nil {
		t.Fatal(err)
	}
	if err := store.RequestGISCancellation(ctx, e.db, 2); err != nil {
		t.Fatal(err)
	}
	if err := store.RequestGISCancellation(ctx, e.db, 2); err != nil { // asking twice is harmless
		t.Fatal(err)
	}
	e.sync(t, gisexchange.Withdrawals)
	e.checkAllConfirmed(t, gisexchange.Withdrawals, 1)
	e.sync(t, gisexchange.Cancellations)
	e.checkAllConfirmed(t, gisexchange.Cancellations, 1)
	if err := store.RequestGISWithdrawal(ctx, e.db, 1); err == nil {
		t.Error("a withdrawn document can be withdrawn again")
	}

	c := e.sim.Counts()
	if c.WithdrawnDocuments != 1 || c.CancelledOrders != 1 {
		t.Errorf("simulator: %d withdrawn documents, %d cancelled notices; want 1 and 1", c.WithdrawnDocuments, c.CancelledOrders)
	}
	if c.Accounts != n || c.Meters != n || c.Documents != n || c.Orders != n {
		t.Errorf("simulator holds %+v, want %d of each: something was placed twice or lost", c, n)
	}
	un, err := store.ListGISUnconfirmed(ctx, e.db, 1, gisPeriod, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 0 {
		t.Errorf("unconfirmed after the cycle: %+v", un)
	}
	// Readings residents entered on Gosuslugi arrived, one per meter.
	ms, _ := store.ListGISMessages(ctx, e.db, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Readings)})
	got := 0
	for _, m := range ms {
		got += m.ItemsOK
	}
	if got != n {
		t.Errorf("readings received %d, want %d", got, n)
	}
	// A second sync of everything finds nothing left to send.
	for _, w := range []gisexchange.What{gisexchange.Accounts, gisexchange.Meters, gisexchange.Documents, gisexchange.Payments, gisexchange.Withdrawals, gisexchange.Cancellations} {
		plans, err := e.gis.Plan(ctx, e.db, gisexchange.Scope{OrgID: 1, What: w, Period: "2026-10"})
		if err != nil || len(plans) != 0 {
			t.Errorf("second %s sync plans %d messages (%v), want none", w, len(plans), err)
		}
	}
}

// gisIdentifiers lists every GIS identifier the store holds, in one string.
func gisIdentifiers(t testing.TB, db *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := db.QueryRow(context.Background(), `SELECT concat_ws('|',
		(SELECT string_agg(concat_ws(',', id, gis_org_root_guid, gis_org_version_guid, gis_org_ppa_guid), ';' ORDER BY id) FROM organizations),
		(SELECT string_agg(concat_ws(',', id, gis_house_guid, gis_unique_number), ';' ORDER BY id) FROM houses),
		(SELECT string_agg(concat_ws(',', id, gis_premises_guid, gis_unique_number), ';' ORDER BY id) FROM premises),
		(SELECT string_agg(concat_ws(',', id, gis_account_guid, els, zhku_id), ';' ORDER BY id) FROM accounts),
		(SELECT string_agg(concat_ws(',', id, gis_meter_root_guid, gis_meter_version_guid), ';' ORDER BY id) FROM meters),
		(SELECT string_agg(concat_ws(',', id, state, gis_payment_document_id), ';' ORDER BY id) FROM payment_documents))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// identifierDiff names the first entries of gisIdentifiers that differ.
func identifierDiff(got, want string) string {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' })
	}
	g, w := split(got), split(want)
	var out []string
	for i := 0; i < max(len(g), len(w)) && len(out) < 5; i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("got %q want %q", a, b))
		}
	}
	return strings.Join(out, "; ")
}

// TestGISExports: after a month's cycle, the exports bring back identifiers
// whose answers were lost (accounts, meters, documents reconciled by
// number), and running any export again changes nothing.
func TestGISExports(t *testing.T) {
	const n = 40
	ctx := context.Background()
	e := newGISEnv(t, n, sim.Faults{})
	runMonth(t, e, n)
	want := gisIdentifiers(t, e.db)
	var unknown int
	if err := e.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM premises WHERE gis_premises_guid IS NULL)
		+ (SELECT count(*) FROM accounts WHERE gis_account_guid IS NULL OR els IS NULL OR zhku_id IS NULL)
		+ (SELECT count(*) FROM meters WHERE gis_meter_root_guid IS NULL)
		+ (SELECT count(*) FROM payment_documents WHERE gis_payment_document_id IS NULL)`).Scan(&unknown); err != nil || unknown != 0 {
		t.Fatalf("%d identifiers missing after the cycle (%v)", unknown, err)
	}
	// Lose the answers of some placements: GIS holds the objects, the store does not know.
	for _, q := range []string{
		`UPDATE accounts SET gis_account_guid = NULL, els = NULL, zhku_id = NULL WHERE id BETWEEN 3 AND 7`,
		`UPDATE meters SET gis_meter_root_guid = NULL, gis_meter_version_guid = NULL WHERE id BETWEEN 5 AND 9`,
		`UPDATE payment_documents SET gis_payment_document_id = NULL, state = 'sent' WHERE id BETWEEN 10 AND 12`,
	} {
		if _, err := e.db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	e.sync(t, gisexchange.AccountsExport)
	e.sync(t, gisexchange.MetersExport)
	e.sync(t, gisexchange.DocumentsExport)
	for _, w := range []gisexchange.What{gisexchange.AccountsExport, gisexchange.MetersExport, gisexchange.DocumentsExport} {
		ms, _ := store.ListGISMessages(ctx, e.db, store.GISMessageFilter{OrgID: 1, Kind: string(w)})
		for _, m := range ms {
			if m.State != store.MessageDone {
				t.Errorf("%s message %d: %s %s %.300s", w, m.ID, m.State, m.ErrorCode, m.Error)
			}
		}
	}
	if got := gisIdentifiers(t, e.db); got != want {
		t.Errorf("reconciled identifiers differ from those GIS assigned: %s", identifierDiff(got, want))
	}
	for _, w := range []gisexchange.What{gisexchange.Accounts, gisexchange.Meters, gisexchange.Documents} {
		plans, err := e.gis.Plan(ctx, e.db, gisexchange.Scope{OrgID: 1, What: w, Period: "2026-10"})
		if err != nil || len(plans) != 0 {
			t.Errorf("after reconciliation a %s sync plans %d messages (%v), want none", w, len(plans), err)
		}
	}
	// Everything is reconciled: nothing left to ask about.
	for _, w := range []gisexchange.What{gisexchange.AccountsExport, gisexchange.MetersExport, gisexchange.DocumentsExport} {
		plans, err := e.gis.Plan(ctx, e.db, gisexchange.Scope{OrgID: 1, What: w, Period: "2026-10"})
		if err != nil || len(plans) != 0 {
			t.Errorf("a second %s plans %d messages (%v), want none", w, len(plans), err)
		}
	}
	// Exports run again find everything in place.
	e.sync(t, gisexchange.Orgs)
	e.sync(t, gisexchange.Houses)
	if got := gisIdentifiers(t, e.db); got != want {
		t.Errorf("a second orgs and houses sync changed identifiers: %s", identifierDiff(got, want))
	}
	c := e.sim.Counts()
	if c.Accounts != n || c.Meters != n {
		t.Errorf("simulator holds %+v: reconciliation must not place anything again", c)
	}
}

// TestGISMonthCycle runs a month's exchange through River against the
// simulator: accounts → meters → readings in → documents → payments, every
// item confirmed, chunked to the caps (230 accounts = 3 messages, payments
// capped at 200).
func TestGISMonthCycle(t *testing.T) {
	const n = 230
	e := newGISEnv(t, n, sim.Faults{})
	runMonth(t, e, n)
	ms, _ := store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Accounts)})
	if len(ms) != 3 {
		t.Errorf("accounts went in %d messages, want 3 (cap 100)", len(ms))
	}
	ms, _ = store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Payments)})
	if len(ms) != 2 {
		t.Errorf("payments went in %d messages, want 2 (cap 200)", len(ms))
	}
	ms, _ = store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Readings)})
	if len(ms) != 3 {
		t.Errorf("readings came in %d blocks, want 3 (blocks of 100 devices)", len(ms))
	}
}

// TestGISMonthCycleWithFaults: 20% EXP001000 and 10% HTTP 502 still end
// with every item confirmed exactly once.
func TestGISMonthCycleWithFaults(t *testing.T) {
	const n = 120
	e := newGISEnv(t, n, sim.Faults{EXPRate: 0.2, HTTP502Rate: 0.1})
	runMonth(t, e, n)
	s := e.sim.Stats()
	if s.FaultsEXP == 0 || s.Faults502 == 0 {
		t.Errorf("no faults were injected: %+v", s)
	}
	t.Logf("simulator stats: %+v", s)
}

// BenchmarkGISMonth runs a month's exchange (accounts → meters → readings →
// documents → payments) for ZHKHGATE_GIS_BENCH_ACCOUNTS accounts (default
// 10 000) through River against the simulator with fast polling, and reports
// the wall time and messages per second. Run with -benchtime 1x.
func BenchmarkGISMonth(b *testing.B) {
	n := 10_000
	if v := os.Getenv("ZHKHGATE_GIS_BENCH_ACCOUNTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("ZHKHGATE_GIS_BENCH_ACCOUNTS=%q", v)
		}
	}
	for b.Loop() {
		b.StopTimer()
		e := newGISEnv(b, n, sim.Faults{})
		b.StartTimer()
		began := time.Now()
		runMonth(b, e, n)
		wall := time.Since(began)
		b.StopTimer()
		st := e.sim.Stats()
		b.ReportMetric(wall.Seconds(), "s/month")
		b.ReportMetric(float64(st.Accepted)/wall.Seconds(), "messages/s")
		b.ReportMetric(float64(st.Accepted), "messages")
		b.StartTimer()
	}
}
