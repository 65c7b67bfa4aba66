package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// gisMessage creates a message of kind with one item per object and applies
// results: refused with code where codes has one, else confirmed with a GUID.
func gisMessage(t *testing.T, db *pgxpool.Pool, org int64, kind, object string, ids []int64, codes map[int64]string) []string {
	t.Helper()
	ctx := context.Background()
	var items []store.GISItem
	var results []model.GISItemResult
	for _, id := range ids {
		g := testUUID(t, db)
		items = append(items, store.GISItem{TransportGUID: g, ObjectKind: object, ObjectID: id})
		if c, ok := codes[id]; ok {
			results = append(results, model.GISItemResult{TransportGUID: g, ErrorCode: c, Error: "отказ"})
		} else {
			results = append(results, model.GISItemResult{TransportGUID: g, OK: true, GUID: testUUID(t, db)})
		}
	}
	if err := inTx(t, db, func(tx pgx.Tx) error {
		id, err := store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: org, Kind: kind, Service: "s", Operation: "o"}, items)
		if err != nil {
			return err
		}
		return store.ApplyGISResults(ctx, tx, id, "<done/>", results)
	}); err != nil {
		t.Fatal(err)
	}
	guids := make([]string, len(items))
	for i, it := range items {
		guids[i] = it.TransportGUID
	}
	return guids
}

func testUUID(t *testing.T, db *pgxpool.Pool) string {
	t.Helper()
	var s string
	if err := db.QueryRow(context.Background(), `SELECT gen_random_uuid()::text`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReleaseGISItemsOnlyThose: releasing one held item re-queues only its
// object; the other held items stay held, and a second release does nothing.
func TestReleaseGISItemsOnlyThose(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 4)
	guids := gisMessage(t, db, org, "accounts", "account", accs[:3], map[int64]string{accs[0]: "INT004132", accs[1]: "INT004132", accs[2]: "INT008255"})
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
	if got := offered(); !slices.Equal(got, accs[3:]) {
		t.Fatalf("offered before the release: %v, want only %v", got, accs[3:])
	}
	work, n, err := store.ReleaseGISItems(ctx, db, []string{guids[1]})
	if err != nil || n != 1 || len(work) != 1 || work[0].OrgID != org || work[0].ObjectKind != "account" || work[0].Period != nil {
		t.Fatalf("release = %+v, %d, %v; want one account sync of org %d", work, n, err, org)
	}
	if got := offered(); !slices.Equal(got, []int64{accs[1], accs[3]}) {
		t.Errorf("offered after releasing %d: %v", accs[1], got)
	}
	for i, want := range []store.ItemState{store.ItemHeld, store.ItemFailed, store.ItemHeld} {
		it, err := store.GISItemByTransportGUID(ctx, db, guids[i])
		if err != nil || it.State != want {
			t.Errorf("item %d: %s (%v), want %s", i, it.State, err, want)
		}
	}
	if _, n, err := store.ReleaseGISItems(ctx, db, []string{guids[1]}); err != nil || n != 0 {
		t.Errorf("second release = %d, %v; want 0", n, err)
	}
}

// TestGISItemsWaitForTheirAccount: a meter and a payment document GIS
// refused because it does not know their account wait for it, and are
// released — with their syncs — when the account's GIS GUID arrives,
// not before; an unrelated refusal stays held.
func TestGISItemsWaitForTheirAccount(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 2)
	oldGUID := "11111111-1111-4111-8111-111111111111"
	if _, err := db.Exec(ctx, `UPDATE accounts SET gis_account_guid = CASE id WHEN $1 THEN $2::uuid ELSE gen_random_uuid() END`, accs[0], oldGUID); err != nil {
		t.Fatal(err)
	}
	var meters, docs []int64
	for _, a := range accs {
		var m, d int64
		if err := db.QueryRow(ctx, `INSERT INTO meters (premises_id, account_id, number, resource)
			SELECT premises_id, id, 'M-' || id, 'cold_water' FROM accounts WHERE id = $1 RETURNING id`, a).Scan(&m); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `INSERT INTO payment_documents (account_id, period, number, total_due, state)
			VALUES ($1::bigint, '2026-10-01', 'PD-' || $1::text, 100, 'ready') RETURNING id`, a).Scan(&d); err != nil {
			t.Fatal(err)
		}
		meters, docs = append(meters, m), append(docs, d)
	}
	// The meter and document of account 0: GIS does not know the account. Account 1's meter: already there.
	gisMessage(t, db, org, "meters", "meter", meters, map[int64]string{meters[0]: "INT002000", meters[1]: "INT004132"})
	gisMessage(t, db, org, "documents", "document", docs[:1], map[int64]string{docs[0]: "INT002000"})
	rules := [][]string{{"INT002000", "INT002000", "INT002034"}, {"meter", "document", "account"}, {"account", "account", "premises"}}
	release := func() []store.GISWork {
		t.Helper()
		var work []store.GISWork
		if err := inTx(t, db, func(tx pgx.Tx) (err error) {
			var ids []int64
			if err := tx.QueryRow(ctx, `SELECT array_agg(id ORDER BY id) FROM gis_messages`).Scan(&ids); err != nil {
				return err
			}
			for _, id := range ids {
				if _, err := store.HoldGISForPrerequisites(ctx, tx, id, rules[0], rules[1], rules[2]); err != nil {
					return err
				}
			}
			work, err = store.ReleaseGISWaiting(ctx, tx, org)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return work
	}
	if w := release(); len(w) != 0 {
		t.Fatalf("released before the account arrived: %+v", w)
	}
	var waiting int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM gis_items WHERE state = 'held' AND wait_kind = 'account' AND wait_id = $1
		AND wait_guid = $2::uuid`, accs[0], oldGUID).Scan(&waiting); err != nil || waiting != 2 {
		t.Fatalf("%d items wait for account %d (%v), want the meter and the document", waiting, accs[0], err)
	}
	if ms, err := store.GISMetersToSend(ctx, db, org, 10); err != nil || len(ms) != 0 {
		t.Errorf("meters offered while waiting: %+v, %v", ms, err)
	}
	// A reconciliation brings the account's real GUID.
	if _, err := db.Exec(ctx, `UPDATE accounts SET gis_account_guid = gen_random_uuid() WHERE id = $1`, accs[0]); err != nil {
		t.Fatal(err)
	}
	period := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	w := release()
	if len(w) != 2 || w[0].ObjectKind != "document" || w[0].Period == nil || !w[0].Period.Equal(period) || w[1].ObjectKind != "meter" {
		t.Fatalf("released work %+v; want a documents sync of 2026-10 and a meters sync", w)
	}
	ms, err := store.GISMetersToSend(ctx, db, org, 10)
	if err != nil || len(ms) != 1 || ms[0].ID != meters[0] {
		t.Errorf("meters offered after the account arrived: %+v, %v; want only %d (%d stays held)", ms, err, meters[0], meters[1])
	}
	ds, err := store.GISDocumentsToSend(ctx, db, org, period, 10)
	if err != nil || len(ds) != 2 {
		t.Errorf("documents offered after the account arrived: %d, %v; want both", len(ds), err)
	}
	if w := release(); len(w) != 0 {
		t.Errorf("released twice: %+v", w)
	}
}

// TestGISItemWaitsForAccountImport: the account GIS did not know is placed
// by a later import (the same GUID is kept): its confirmation releases the
// waiting meter.
func TestGISItemWaitsForAccountImport(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 1)
	if _, err := db.Exec(ctx, `UPDATE accounts SET gis_account_guid = gen_random_uuid()`); err != nil {
		t.Fatal(err)
	}
	var meter int64
	if err := db.QueryRow(ctx, `INSERT INTO meters (premises_id, account_id, number, resource)
		SELECT premises_id, id, 'M-1', 'hot_water' FROM accounts WHERE id = $1 RETURNING id`, accs[0]).Scan(&meter); err != nil {
		t.Fatal(err)
	}
	gisMessage(t, db, org, "meters", "meter", []int64{meter}, map[int64]string{meter: "INT002000"})
	run := func() (w []store.GISWork) {
		t.Helper()
		if err := inTx(t, db, func(tx pgx.Tx) (err error) {
			if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
				return err
			}
			var id int64
			if err := tx.QueryRow(ctx, `SELECT max(id) FROM gis_messages`).Scan(&id); err != nil {
				return err
			}
			if _, err := store.HoldGISForPrerequisites(ctx, tx, id, []string{"INT002000"}, []string{"meter"}, []string{"account"}); err != nil {
				return err
			}
			w, err = store.ReleaseGISWaiting(ctx, tx, org)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return w
	}
	if w := run(); len(w) != 0 {
		t.Fatalf("released at once: %+v", w)
	}
	gisMessage(t, db, org, "accounts", "account", accs, nil)
	if w := run(); len(w) != 1 || w[0].ObjectKind != "meter" {
		t.Errorf("after the account import: %+v; want the meter released", w)
	}
}
