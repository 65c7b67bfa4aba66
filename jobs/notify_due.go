package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindNotifyDue is the kind of NotifyDueArgs.
const KindNotifyDue = "notify_due"

// notifyDueEvery is how often the time-based notifications are looked for.
const notifyDueEvery = time.Hour

// NotifyDueArgs asks for the time-based notifications as of now: issued documents, the
// reading window, bills due in 3 days, meter verifications due (periodic, hourly).
type NotifyDueArgs struct{}

// Kind implements river.JobArgs.
func (NotifyDueArgs) Kind() string { return KindNotifyDue }

// InsertOpts puts the job on the notify queue, at most one waiting per hour.
func (NotifyDueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, UniqueOpts: river.UniqueOpts{ByPeriod: notifyDueEvery}}
}

// NotifyDueWorker writes the notifications store.DueNotices finds, in one transaction. Each is
// keyed per resident, kind and period (document, account and month, meter and date), so a rerun
// or a second worker never doubles one.
type NotifyDueWorker struct {
	river.WorkerDefaults[NotifyDueArgs]
	Pool *pgxpool.Pool
	// Now is the clock; time.Now when nil (tests inject one).
	Now func() time.Time
}

// Work implements river.Worker.
func (w *NotifyDueWorker) Work(ctx context.Context, job *river.Job[NotifyDueArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return Edge(fmt.Errorf("notify due: %w", err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := store.DueNotices(ctx, tx, now); err != nil {
		return Edge(err)
	}
	return Edge(tx.Commit(ctx))
}
