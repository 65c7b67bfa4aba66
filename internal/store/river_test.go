package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestRescueOwnJobs(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	// Jobs as River leaves them: running under some worker's attempt.
	rows := []struct {
		state       string
		attemptedBy []string
	}{
		{"running", []string{"w1"}},       // ours: rescued
		{"running", []string{"w2", "w1"}}, // ours on its second attempt: rescued
		{"running", []string{"w1", "w2"}}, // retried elsewhere, now w2's: kept
		{"running", []string{"w2"}},       // another worker's: kept
		{"completed", []string{"w1"}},     // finished: kept
		{"available", []string{"w1"}},     // already waiting: kept
	}
	for _, r := range rows {
		if _, err := db.Exec(ctx, `INSERT INTO river_job (kind, args, state, attempt, attempted_by, attempted_at, max_attempts,
			queue, priority, finalized_at) VALUES ('gis_send', '{}', $1::river_job_state, 1, $2, now(), 5, 'gis', 1,
			CASE WHEN $1 = 'completed' THEN now() END)`, r.state, r.attemptedBy); err != nil {
			t.Fatal(err)
		}
	}
	n, err := store.RescueOwnJobs(ctx, db, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("rescued %d jobs, want 2", n)
	}
	var running, available, withNote int
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'available'),
		count(*) FILTER (WHERE cardinality(errors) = 1 AND errors[1]->>'error' LIKE 'worker w1 restarted%') FROM river_job`).
		Scan(&running, &available, &withNote); err != nil {
		t.Fatal(err)
	}
	if running != 2 || available != 3 || withNote != 2 {
		t.Errorf("after rescue: running %d available %d noted %d, want 2 3 2", running, available, withNote)
	}
	if n, err := store.RescueOwnJobs(ctx, db, "w1"); err != nil || n != 0 {
		t.Errorf("second rescue = %d, %v; want 0, nil", n, err)
	}
	if _, err := store.RescueOwnJobs(ctx, db, ""); err == nil {
		t.Error("rescue with an empty worker id succeeded")
	}
}

// TestRiverSchema fails when a River upgrade changes what river.go relies
// on: River's migration version, the columns it reads and writes with their
// types, and the job states it names.
func TestRiverSchema(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	var version int
	if err := db.QueryRow(ctx, `SELECT max(version) FROM river_migration WHERE line = 'main'`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != store.RiverMigrationVersion {
		t.Errorf("River's schema is at migration %d, river.go was written for %d: check its SQL against River's changes, then update RiverMigrationVersion",
			version, store.RiverMigrationVersion)
	}
	for table, cols := range store.RiverColumns() {
		for col, want := range cols {
			var got string
			err := db.QueryRow(ctx, `SELECT udt_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, table, col).Scan(&got)
			if err != nil {
				t.Errorf("%s.%s: %v (River dropped or renamed it?)", table, col, err)
				continue
			}
			if got != want {
				t.Errorf("%s.%s is %s, river.go expects %s", table, col, got, want)
			}
		}
	}
	var states []string
	if err := db.QueryRow(ctx, `SELECT array_agg(enumlabel::text) FROM pg_enum WHERE enumtypid = 'river_job_state'::regtype`).Scan(&states); err != nil {
		t.Fatal(err)
	}
	for _, s := range store.RiverUnfinishedStates() {
		if !slices.Contains(states, s) {
			t.Errorf("river_job_state has no %q any more (has %v)", s, states)
		}
	}
}

// TestRiverQueries runs every query of river.go once against River's real
// tables, so a column River renamed fails here.
func TestRiverQueries(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	if _, err := db.Exec(ctx, `INSERT INTO river_job (kind, args, state, attempt, max_attempts, queue, priority)
		VALUES ('gis_sync', '{}', 'available', 0, 5, 'gis', 1), ('gis_sync', '{}', 'retryable', 1, 5, 'gis', 1)`); err != nil {
		t.Fatal(err)
	}
	if n, err := store.GISJobsPending(ctx, db, "gis_sync"); err != nil || n != 2 {
		t.Errorf("GISJobsPending = %d, %v; want 2", n, err)
	}
	counts, err := store.JobCounts(ctx, db)
	if err != nil || len(counts) != 2 || counts[0].Kind != "gis_sync" || counts[0].Count != 1 {
		t.Errorf("JobCounts = %+v, %v", counts, err)
	}
}
