package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// gisSeed creates an organization with a GIS orgPPAGUID, a house, n premises
// and n accounts, and returns the org id and account ids.
func gisSeed(t *testing.T, db *pgxpool.Pool, n int) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	var org, house int64
	err := db.QueryRow(ctx, `INSERT INTO organizations (name, inn, role, gis_org_ppa_guid)
		VALUES ('РЦ', '7701234567', 'settlement', '6d2f5e3a-1b2c-4d5e-8f90-123456789abc') RETURNING id`).Scan(&org)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `INSERT INTO houses (org_id, address, fias_house_guid)
		VALUES ($1, 'ул. Ленина, 1', 'b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d') RETURNING id`, org).Scan(&house); err != nil {
		t.Fatal(err)
	}
	var accs []int64
	for i := range n {
		var prem, acc int64
		if err := db.QueryRow(ctx, `INSERT INTO premises (house_id, number) VALUES ($1, $2) RETURNING id`, house, fmt.Sprint(i+1)).Scan(&prem); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `INSERT INTO accounts (org_id, premises_id, number, payer_name, opened_on)
			VALUES ($1, $2, $3, 'Иванов Иван Иванович', '2020-01-01') RETURNING id`, org, prem, fmt.Sprintf("10%03d", i)).Scan(&acc); err != nil {
			t.Fatal(err)
		}
		accs = append(accs, acc)
	}
	return org, accs
}

func inTx(t *testing.T, db *pgxpool.Pool, f func(tx pgx.Tx) error) error {
	t.Helper()
	return pgx.BeginFunc(context.Background(), db, f)
}

func TestGISMessageLifecycle(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 3)

	if g, err := store.GISOrgPPAGUID(ctx, db, org); err != nil || g == "" {
		t.Fatalf("GISOrgPPAGUID = %q, %v", g, err)
	}
	rows, err := store.GISAccountsToSend(ctx, db, org, 100)
	if err != nil || len(rows) != 3 {
		t.Fatalf("accounts to send: %d, %v", len(rows), err)
	}
	items := []store.GISItem{
		{TransportGUID: "00000000-0000-4000-8000-000000000001", ObjectKind: "account", ObjectID: accs[0]},
		{TransportGUID: "00000000-0000-4000-8000-000000000002", ObjectKind: "account", ObjectID: accs[1]},
		{TransportGUID: "00000000-0000-4000-8000-000000000003", ObjectKind: "account", ObjectID: accs[2]},
	}
	var id int64
	if err := inTx(t, db, func(tx pgx.Tx) error {
		id, err = store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: org, Kind: "accounts", Service: "house-management", Operation: "importAccountData"}, items)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// In flight: nothing more to send, and a second message for the same object is refused.
	if rows, _ := store.GISAccountsToSend(ctx, db, org, 100); len(rows) != 0 {
		t.Errorf("accounts in flight offered again: %d", len(rows))
	}
	err = inTx(t, db, func(tx pgx.Tx) error {
		_, err := store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: org, Kind: "accounts", Service: "house-management", Operation: "importAccountData"},
			[]store.GISItem{{TransportGUID: "00000000-0000-4000-8000-000000000009", ObjectKind: "account", ObjectID: accs[0]}})
		return err
	})
	if apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("second item for an object in flight: %v, want Conflict", err)
	}

	if err := store.MarkGISSending(ctx, db, id, "00000000-0000-4000-8000-0000000000aa", "<env/>"); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkGISSent(ctx, db, id, "00000000-0000-4000-8000-0000000000bb", "<ack/>"); err != nil {
		t.Fatal(err)
	}
	results := []model.GISItemResult{
		{TransportGUID: items[0].TransportGUID, OK: true, GUID: "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a", UniqueNumber: "0000000001", UnifiedAccountNumber: "10АБ000001", ServiceID: "10АБ000001-01"},
		{TransportGUID: items[1].TransportGUID, OK: false, ErrorCode: "INT004132", Error: "уже размещен"},
		// items[2]: no result at all.
	}
	apply := func() error {
		return inTx(t, db, func(tx pgx.Tx) error { return store.ApplyGISResults(ctx, tx, id, "<state/>", results) })
	}
	if err := apply(); err != nil {
		t.Fatal(err)
	}
	if err := apply(); err != nil { // a crash-resumed apply changes nothing
		t.Fatal(err)
	}
	m, got, err := store.GetGISMessage(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != store.MessageDone || m.ItemsOK != 1 || m.ItemsFailed != 2 {
		t.Errorf("message %s ok=%d failed=%d, want done 1 2", m.State, m.ItemsOK, m.ItemsFailed)
	}
	states := map[string]string{}
	for _, it := range got {
		states[it.TransportGUID] = string(it.State) + " " + it.ErrorCode
	}
	if states[items[0].TransportGUID] != "ok " || states[items[1].TransportGUID] != "held INT004132" || states[items[2].TransportGUID] != "failed NORESULT" {
		t.Errorf("item states %v", states)
	}
	var els, zhku, guid string
	if err := db.QueryRow(ctx, `SELECT els, zhku_id, gis_account_guid::text FROM accounts WHERE id = $1`, accs[0]).Scan(&els, &zhku, &guid); err != nil {
		t.Fatal(err)
	}
	if els != "10АБ000001" || zhku != "10АБ000001-01" || guid != results[0].GUID {
		t.Errorf("account 0: els %q zhku %q guid %q", els, zhku, guid)
	}
	// The account without a result is offered again; the one GIS refused is
	// held. Both are listed as unconfirmed with the error.
	if rows, _ := store.GISAccountsToSend(ctx, db, org, 100); len(rows) != 1 || rows[0].ID != accs[2] {
		t.Errorf("after results: %+v to send, want account %d only", rows, accs[2])
	}
	un, err := store.ListGISUnconfirmed(ctx, db, org, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 2 || un[0].State != string(store.ItemHeld) || un[1].State != string(store.ItemFailed) || un[0].Error == "" {
		t.Errorf("unconfirmed %+v", un)
	}
	list, err := store.ListGISMessages(ctx, db, store.GISMessageFilter{OrgID: org})
	if err != nil || len(list) != 1 {
		t.Errorf("list messages: %d, %v", len(list), err)
	}
	if _, _, err := store.GetGISMessage(ctx, db, 999999); !errors.Is(err, err) || apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("missing message: %v", err)
	}
}

func TestGISStopFailsPendingItems(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 1)
	var id int64
	if err := inTx(t, db, func(tx pgx.Tx) (err error) {
		id, err = store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: org, Kind: "accounts", Service: "house-management", Operation: "importAccountData"},
			[]store.GISItem{{TransportGUID: "00000000-0000-4000-8000-000000000001", ObjectKind: "account", ObjectID: accs[0]}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkGISStopped(ctx, db, id, "AUT011003", "Доступ запрещен"); err != nil {
		t.Fatal(err)
	}
	m, items, _ := store.GetGISMessage(ctx, db, id)
	if m.State != store.MessageStopped || items[0].State != store.ItemFailed || items[0].ErrorCode != "AUT011003" {
		t.Errorf("stopped message %s, item %+v", m.State, items[0])
	}
}

// TestGISStatesMatchSchema: the typed states are exactly those the
// schema's CHECK constraints allow.
func TestGISStatesMatchSchema(t *testing.T) {
	db := testdb.New(t)
	for _, c := range []struct {
		constraint string
		states     []string
	}{
		{"gis_messages_state_check", statesOf(store.MessageStates)},
		{"gis_items_state_check", statesOf(store.ItemStates)},
	} {
		var def string
		if err := db.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1`, c.constraint).Scan(&def); err != nil {
			t.Fatalf("%s: %v", c.constraint, err)
		}
		allowed := regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(def, -1)
		var got []string
		for _, m := range allowed {
			got = append(got, m[1])
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.states))
		if !slices.Equal(got, want) {
			t.Errorf("%s allows %v; the Go states are %v", c.constraint, got, want)
		}
	}
}

func statesOf[S ~string](ss []S) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// TestGISRefusedItemIsHeld: an item GIS refused by a business rule is held:
// no later sync offers its object again (it would only be refused again),
// while an item without a result is offered again; an operator's release
// puts the held object back.
func TestGISRefusedItemIsHeld(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 2)
	items := []store.GISItem{
		{TransportGUID: "00000000-0000-4000-8000-000000000001", ObjectKind: "account", ObjectID: accs[0]},
		{TransportGUID: "00000000-0000-4000-8000-000000000002", ObjectKind: "account", ObjectID: accs[1]},
	}
	var id int64
	if err := inTx(t, db, func(tx pgx.Tx) (err error) {
		id, err = store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: org, Kind: "accounts", Service: "house-management", Operation: "importAccountData"}, items)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := inTx(t, db, func(tx pgx.Tx) error {
		return store.ApplyGISResults(ctx, tx, id, "<done/>", []model.GISItemResult{
			{TransportGUID: items[0].TransportGUID, ErrorCode: "INT002000", Error: "Не найден документ"}})
	}); err != nil {
		t.Fatal(err)
	}
	offered := func() []int64 {
		t.Helper()
		rows, err := store.GISAccountsToSend(ctx, db, org, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if got := offered(); !slices.Equal(got, []int64{accs[1]}) {
		t.Errorf("offered after the answer: %v; want only %d (no result), not %d (refused)", got, accs[1], accs[0])
	}
	m, got, err := store.GetGISMessage(ctx, db, id)
	if err != nil || m.ItemsFailed != 2 || got[0].State != store.ItemHeld || got[1].State != store.ItemFailed {
		t.Errorf("message failed=%d, items %s/%s (%v); want 2, held/failed", m.ItemsFailed, got[0].State, got[1].State, err)
	}
	un, err := store.ListGISUnconfirmed(ctx, db, org, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), 10)
	if err != nil || len(un) != 2 || un[0].State != string(store.ItemHeld) {
		t.Errorf("unconfirmed %+v, %v; the held account is shown once, as held", un, err)
	}
	if n, err := store.ReleaseGISHeld(ctx, db, id); err != nil || n != 1 {
		t.Fatalf("release = %d, %v", n, err)
	}
	if got := offered(); !slices.Equal(got, accs) {
		t.Errorf("offered after the release: %v; want %v", got, accs)
	}
}

// TestSaveGISReadings keeps every tariff of an electricity meter, takes a
// device's base value only where the meter's history is empty, refuses
// readings dated after today and flags those that contradict the history.
func TestSaveGISReadings(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 2)
	root := func(i int) string { return fmt.Sprintf("e1f2a3b4-c5d6-4e7f-8a9b-%012d", i) }
	for i, acc := range accs {
		if _, err := db.Exec(ctx, `INSERT INTO meters (premises_id, account_id, number, resource, tariff_zones, gis_meter_root_guid)
			SELECT premises_id, id, 'Э-' || number, 'electricity', 2, $2 FROM accounts WHERE id = $1`, acc, root(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The second meter already has a history: GIS's base value must not rewrite where it starts.
	if _, err := db.Exec(ctx, `INSERT INTO readings (meter_id, taken_on, value, source)
		SELECT id, '2026-09-20', 900, 'resident' FROM meters WHERE gis_meter_root_guid = $1`, root(1)); err != nil {
		t.Fatal(err)
	}
	day := func(m, d int) time.Time { return time.Date(2026, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tomorrow := time.Now().UTC().AddDate(0, 0, 2).Truncate(24 * time.Hour)
	in := []model.GISReading{
		{RootGUID: root(0), TakenOn: day(1, 2), Value: "100", ValueT2: "40", Base: true},
		{RootGUID: root(0), TakenOn: day(10, 19), Value: "5230.1", ValueT2: "2104.7"},
		{RootGUID: root(1), TakenOn: day(1, 2), Value: "1", Base: true},
		{RootGUID: root(1), TakenOn: day(10, 20), Value: "871.18"}, // below September's 900: contradicts
		{RootGUID: root(1), TakenOn: tomorrow, Value: "950"},       // in the future: not taken
	}
	var saved, flagged, future int
	if err := inTx(t, db, func(tx pgx.Tx) (err error) {
		saved, flagged, future, err = store.SaveGISReadings(ctx, tx, org, in)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if saved != 3 || flagged != 1 || future != 1 {
		t.Errorf("saved %d, flagged %d, future %d; want 3, 1, 1", saved, flagged, future)
	}
	rows, err := db.Query(ctx, `SELECT m.gis_meter_root_guid::text, r.source, r.value::text, coalesce(r.value_t2::text, ''), r.flag
		FROM readings r JOIN meters m ON m.id = r.meter_id ORDER BY 1, r.taken_on`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var g, src, v, v2, flag string
		err := r.Scan(&g, &src, &v, &v2, &flag)
		return strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", g[len(g)-2:], src, v, v2, flag)), err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"00 initial 100.0000 40.0000", "00 gis 5230.1000 2104.7000", "01 resident 900.0000", "01 gis 871.1800  contradicts"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readings %q, want %q", got, want)
	}
	// The account page shows the resident's 900, not GIS's contradicting value dated later.
	meters, err := store.AccountMeters(ctx, db, accs[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(meters) != 1 || meters[0].LastValue == nil || meters[0].LastValue.String() != "900.0000" {
		t.Errorf("last reading %+v, want the resident's 900", meters)
	}
}

// TestLastReadingRanksSources: on the same day a resident's reading is the
// last one, whatever else arrived that day.
func TestLastReadingRanksSources(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	_, accs := gisSeed(t, db, 1)
	var meter int64
	if err := db.QueryRow(ctx, `INSERT INTO meters (premises_id, account_id, number, resource)
		SELECT premises_id, id, 'ХВ-1', 'cold_water' FROM accounts WHERE id = $1 RETURNING id`, accs[0]).Scan(&meter); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO readings (meter_id, taken_on, value, source) VALUES
		($1, current_date - 30, 1000, 'initial'), ($1, current_date, 1120, 'gis'), ($1, current_date, 1115, 'resident')`, meter); err != nil {
		t.Fatal(err)
	}
	meters, err := store.AccountMeters(ctx, db, accs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(meters) != 1 || meters[0].LastValue == nil || meters[0].LastValue.String() != "1115.0000" {
		t.Errorf("last reading %+v, want the resident's 1115", meters)
	}
}
