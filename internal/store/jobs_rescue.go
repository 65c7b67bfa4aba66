package store

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
