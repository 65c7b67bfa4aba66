package gisexchange

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// addAccount adds an account of organization 1 in a premises GIS named.
func addAccount(t *testing.T, db *pgxpool.Pool, number string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `
		WITH p AS (INSERT INTO premises (house_id, number, gis_premises_guid) VALUES (1, $1, gen_random_uuid()) RETURNING id)
		INSERT INTO accounts (org_id, premises_id, number, payer_name, total_area, residents_count, opened_on)
		SELECT 1, p.id, $1, 'Иванов Иван Иванович', 54.3, 2, '2020-01-01' FROM p`, number); err != nil {
		t.Fatal(err)
	}
}

// TestSyncRunsAgainForWorkArrivedMeanwhile: an account committed while a
// sync plans (whose own sync request the running sync absorbed as a
// duplicate) makes the sync ask to run again; without new work it does not.
func TestSyncRunsAgainForWorkArrivedMeanwhile(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	if _, err := db.Exec(ctx, `
		INSERT INTO organizations (id, name, inn, role, gis_org_ppa_guid) VALUES (1, 'РЦ', '7720999999', 'settlement', gen_random_uuid());
		INSERT INTO houses (id, org_id, address, fias_house_guid) VALUES (1, 1, 'ул. Примерная, 1', gen_random_uuid())`); err != nil {
		t.Fatal(err)
	}
	addAccount(t, db, "1001")
	x, err := New(Config{}, Deps{Builder: gistest.NewBuilder(t, gistestBuilderOpts), Client: noClient{}})
	if err != nil {
		t.Fatal(err)
	}
	sc := Scope{OrgID: 1, What: Accounts}

	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	f, err := x.Sync(ctx, tx, sc)
	if err != nil || len(f.Send) != 1 || f.Resync {
		t.Fatalf("first sync: %+v, %v; want one message and no rerun", f, err)
	}
	// The sync planned; before it commits, another transaction adds an account.
	addAccount(t, db, "1002")
	seen := map[int64]bool{}
	rows, err := tx.Query(ctx, `SELECT object_id FROM gis_items`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		seen[id] = true
	}
	if err := rows.Err(); err != nil || len(seen) != 1 {
		t.Fatalf("items of the first sync: %v, %v", seen, err)
	}
	again, err := x.arrived(ctx, tx, sc, seen)
	if err != nil || !again {
		t.Errorf("an account committed during the sync: arrived = %v, %v; want true (else it waits for no one)", again, err)
	}
}
