package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindAcquiringStatus is the kind of AcquiringStatusArgs.
const KindAcquiringStatus = "acquiring_status"

// acquiringStatusEvery is how often the job looks for orders whose callback is late or lost.
const acquiringStatusEvery = time.Minute

// AcquiringStatusAfter is how long after registration an order without a final callback is
// asked about; the default of AcquiringStatusWorker.After.
const AcquiringStatusAfter = 5 * time.Minute

// AcquiringStatusArgs asks the acquirer about orders that are not final some minutes after
// registration (periodic): a lost callback is closed by the status query.
type AcquiringStatusArgs struct{}

// Kind implements river.JobArgs.
func (AcquiringStatusArgs) Kind() string { return KindAcquiringStatus }

// InsertOpts puts the job on the default queue.
func (AcquiringStatusArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// AcquiringStatusWorker queries the status of orders registered more than After ago that are not
// final, each at most once a minute, and applies the answers (onlinepay.Service.CheckStatus, one
// transaction per order, idempotent with callbacks). Without online payment configured it does
// nothing.
type AcquiringStatusWorker struct {
	river.WorkerDefaults[AcquiringStatusArgs]
	Pay *onlinepay.Service
	// After is how old an order must be; AcquiringStatusAfter when zero.
	After time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Work implements river.Worker.
func (w *AcquiringStatusWorker) Work(ctx context.Context, job *river.Job[AcquiringStatusArgs]) error {
	if w.Pay == nil {
		return nil
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	after := w.After
	if after == 0 {
		after = AcquiringStatusAfter
	}
	orders, err := store.OrdersToCheck(ctx, w.Pay.Pool, now.Add(-after), now.Add(-acquiringStatusEvery), 200)
	if err != nil {
		return Edge(err)
	}
	var errs []error
	for _, o := range orders {
		if _, err := w.Pay.CheckStatus(ctx, o.ID, o.AcquirerOrderID); err != nil {
			errs = append(errs, err)
		}
	}
	// The orders that answered are applied; a failure is retried by the next run anyway.
	return Edge(errors.Join(errs...))
}
