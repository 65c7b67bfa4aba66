package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindRegistryPosted is the kind of RegistryPostedArgs.
const KindRegistryPosted = "registry_posted"

// RegistryPostedArgs follows a registry whose payments were posted: it
// tells the residents concerned that their payment arrived.
type RegistryPostedArgs struct {
	RegistryID int64 `json:"registry_id"`
}

// Kind implements river.JobArgs.
func (RegistryPostedArgs) Kind() string { return KindRegistryPosted }

// InsertOpts puts the job on the notify queue.
func (RegistryPostedArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: registryUniqueStates}}
}

// RegistryPostedWorker writes a cabinet notification for every resident
// linked to an account paid in the registry, and completes itself in the
// same transaction so a retry never notifies twice.
type RegistryPostedWorker struct {
	river.WorkerDefaults[RegistryPostedArgs]
	Pool *pgxpool.Pool
}

// Work implements river.Worker.
func (w *RegistryPostedWorker) Work(ctx context.Context, job *river.Job[RegistryPostedArgs]) error {
	return completeWith(ctx, w.Pool, job, fmt.Sprintf("registry %d notifications", job.Args.RegistryID), func(tx pgx.Tx) error {
		_, err := store.NotifyRegistryPayments(ctx, tx, job.Args.RegistryID)
		return err
	})
}
