package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindSessionCleanup is the kind of SessionCleanupArgs.
const KindSessionCleanup = "session_cleanup"

// SessionCleanupArgs asks for expired staff and resident sessions, ESIA
// login states and old cabinet attempt counters to be deleted.
type SessionCleanupArgs struct{}

// Kind implements river.JobArgs.
func (SessionCleanupArgs) Kind() string { return KindSessionCleanup }

// InsertOpts keeps at most one cleanup waiting at a time.
func (SessionCleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// SessionCleanupWorker deletes sessions past their absolute expiry or idle
// timeout, expired ESIA login states and day-old attempt counters.
type SessionCleanupWorker struct {
	river.WorkerDefaults[SessionCleanupArgs]
	Pool *pgxpool.Pool
	Idle time.Duration
}

// Work implements river.Worker.
func (w *SessionCleanupWorker) Work(ctx context.Context, job *river.Job[SessionCleanupArgs]) error {
	if _, err := store.DeleteExpiredSessions(ctx, w.Pool, w.Idle); err != nil {
		return Edge(err)
	}
	return Edge(store.DeleteExpiredLoginStates(ctx, w.Pool))
}
