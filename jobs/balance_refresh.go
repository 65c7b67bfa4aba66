package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

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
	return completeWith(ctx, w.Pool, job, fmt.Sprintf("refresh balances of registry %d", job.Args.RegistryID), func(tx pgx.Tx) error {
		_, err := store.RefreshRegistryBalances(ctx, tx, job.Args.RegistryID)
		return err
	})
}
