package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindBalanceRefresh is the kind of BalanceRefreshArgs.
const KindBalanceRefresh = "balance_refresh"

// BalanceRefreshArgs follows a posted registry: the balances of the
// accounts it paid are recomputed.
type BalanceRefreshArgs struct {
	RegistryID int64 `json:"registry_id"`
}

// Kind implements river.JobArgs.
func (BalanceRefreshArgs) Kind() string { return KindBalanceRefresh }

// InsertOpts keeps one live refresh per registry on the default queue.
func (BalanceRefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: registryUniqueStates}}
}

// BalanceRefreshWorker recomputes the balances set-based and completes
// itself in the same transaction.
type BalanceRefreshWorker struct {
	river.WorkerDefaults[BalanceRefreshArgs]
	Pool *pgxpool.Pool
}

// Work implements river.Worker.
func (w *BalanceRefreshWorker) Work(ctx context.Context, job *river.Job[BalanceRefreshArgs]) error {
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return Edge(fmt.Errorf("refresh balances of registry %d: %w", job.Args.RegistryID, err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := store.RefreshRegistryBalances(ctx, tx, job.Args.RegistryID); err != nil {
		return Edge(err)
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return Edge(fmt.Errorf("refresh balances of registry %d: complete job: %w", job.Args.RegistryID, err))
	}
	return Edge(tx.Commit(ctx))
}
