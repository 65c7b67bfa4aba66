package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// gisUniqueStates make send and poll jobs unique while alive but not once
// completed: a message sent again after GIS lost it gets a new send job.
var gisUniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// GISDB is the database a GIS worker uses: the pool in production. A test
// may pass its own transaction (Begin then opens a savepoint), which is
// how rivertest works a job.
type GISDB interface {
	store.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

func gisNotConfigured(op string) error {
	return apperr.E(apperr.Invalid, op, "GIS ZhKH is not configured (ZHKHGATE_GIS_URL and the signing key)")
}

// gisCommit runs effect in one transaction that also enqueues the jobs it
// asks for and completes job, so a retry never repeats a committed effect.
// Errors are mapped by Edge.
func gisCommit[T river.JobArgs](ctx context.Context, db GISDB, job *river.Job[T], op string, effect gisexchange.Effect) error {
	return gisCommitAgain(ctx, db, job, op, effect, nil)
}

// gisCommitAgain is gisCommit that also inserts again (args, when the
// effect asks for a resync) after the job is completed: a sync is unique
// while running, so its rerun can only be queued once it is done.
func gisCommitAgain[T river.JobArgs](ctx context.Context, db GISDB, job *river.Job[T], op string, effect gisexchange.Effect, again river.JobArgs) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return Edge(fmt.Errorf("%s: %w", op, err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	f, err := effect(ctx, tx)
	if err != nil {
		return Edge(err)
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	for _, id := range f.Send {
		if _, err := client.InsertTx(ctx, tx, GISSendArgs{MessageID: id}, nil); err != nil {
			return Edge(fmt.Errorf("%s: enqueue send of message %d: %w", op, id, err))
		}
	}
	for _, sc := range f.Sync {
		if _, err := client.InsertTx(ctx, tx, GISSyncArgs{OrgID: sc.OrgID, What: sc.What, Period: sc.Period}, nil); err != nil {
			return Edge(fmt.Errorf("%s: queue %s sync of organization %d: %w", op, sc.What, sc.OrgID, err))
		}
	}
	if f.Poll != 0 {
		var opts *river.InsertOpts
		if !f.PollAt.IsZero() {
			opts = &river.InsertOpts{ScheduledAt: f.PollAt}
		}
		if _, err := client.InsertTx(ctx, tx, GISPollArgs{MessageID: f.Poll}, opts); err != nil {
			return Edge(fmt.Errorf("%s: enqueue poll of message %d: %w", op, f.Poll, err))
		}
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return Edge(fmt.Errorf("%s: complete job: %w", op, err))
	}
	if f.Resync && again != nil {
		if _, err := client.InsertTx(ctx, tx, again, nil); err != nil {
			return Edge(fmt.Errorf("%s: queue again: %w", op, err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return Edge(fmt.Errorf("%s: commit: %w", op, err))
	}
	return nil
}
