package store_test

import (
	"context"
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
