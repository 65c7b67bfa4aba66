package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

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
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return Edge(fmt.Errorf("registry %d notifications: %w", job.Args.RegistryID, err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := store.NotifyRegistryPayments(ctx, tx, job.Args.RegistryID); err != nil {
		return Edge(err)
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return Edge(fmt.Errorf("registry %d notifications: complete job: %w", job.Args.RegistryID, err))
	}
	return Edge(tx.Commit(ctx))
}
