package store

// This file is the only place that reads or writes River's own tables
// (river_job, river_migration, …). River owns their schema and may change it
// in an upgrade: TestRiverSchema checks every column used here and River's
// migration version, so an upgrade that moves them fails there, not in
// production.

import (
	"context"
	"fmt"
)

// RescueOwnJobs makes the jobs a worker left running when it died available
// again. Only a worker that has just started under a stable ID may call it
// for that ID: River records the ID of every attempt in attempted_by, so a
// job still 'running' whose last attempt carries the ID belongs to a
// previous incarnation of this very worker and nobody is working it. Without
// this, River's rescuer would leave such a job alone for its rescue period.
// It returns how many jobs were rescued.
func RescueOwnJobs(ctx context.Context, db DBTX, workerID string) (int64, error) {
	if workerID == "" {
		return 0, fmt.Errorf("rescue own jobs: empty worker id")
	}
	tag, err := db.Exec(ctx, `
		UPDATE river_job
		SET state = 'available', scheduled_at = now(),
		    errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
		        'error', 'worker ' || $1::text || ' restarted while this attempt was running', 'trace', ''))
		WHERE state = 'running' AND attempted_by[cardinality(attempted_by)] = $1`, workerID)
	if err != nil {
		return 0, fmt.Errorf("rescue own jobs of %s: %w", workerID, err)
	}
	return tag.RowsAffected(), nil
}

// JobCount is the number of River jobs of one kind in one state.
type JobCount struct {
	Kind  string
	Queue string
	State string
	Count int64
}

// JobCounts groups River's jobs by kind, queue and state, for metrics and the dashboard.
func JobCounts(ctx context.Context, db DBTX) ([]JobCount, error) {
	rows, err := db.Query(ctx, `SELECT kind, queue, state::text, count(*) FROM river_job GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var out []JobCount
	for rows.Next() {
		var c JobCount
		if err := rows.Scan(&c.Kind, &c.Queue, &c.State, &c.Count); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GISJobsPending counts jobs of a kind that have not finished (queued,
// scheduled, running or waiting to retry).
func GISJobsPending(ctx context.Context, db DBTX, kind string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state::text = ANY($2)`,
		kind, riverUnfinished).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s jobs: %w", kind, err)
	}
	return n, nil
}

// RiverMigrationVersion is the version of River's schema the SQL in this
// file was written against (River v0.51: migration 008).
const RiverMigrationVersion = 8

// riverUnfinished are River's job states of a job not done yet.
var riverUnfinished = []string{"available", "pending", "retryable", "running", "scheduled"}

// riverColumns are the columns of River's tables this file relies on, with
// their PostgreSQL types (information_schema's udt_name).
var riverColumns = map[string]map[string]string{
	"river_job": {"kind": "text", "queue": "text", "state": "river_job_state", "attempt": "int2",
		"attempted_by": "_text", "errors": "_jsonb", "scheduled_at": "timestamptz"},
}
