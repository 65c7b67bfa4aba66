// Package jobs holds zhkhgate's durable background work on River: one file
// per job kind (its args and its worker), and this file, the one place where
// kinds, queues and periodic jobs are registered.
//
// Jobs glue the layers: they load IDs, call a connector, map, and write
// through internal/store — in one transaction that also enqueues the next
// job (InsertTx) and completes the current one (JobCompleteTx). Job args
// carry IDs, never payloads.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
)

// Queue names. Each has its own concurrency so a slow GIS exchange never
// starves bank intake.
const (
	QueueDefault = river.QueueDefault
	QueueBank    = "bank"
	QueueGIS     = "gis"
	QueueNotify  = "notify"
)

// defaultConcurrency is the number of workers per queue unless configured;
// its keys are every queue there is.
var defaultConcurrency = map[string]int{QueueDefault: 4, QueueBank: 2, QueueGIS: 8, QueueNotify: 4}

// DefaultConcurrency returns the workers per queue unless configured.
func DefaultConcurrency() map[string]int { return maps.Clone(defaultConcurrency) }

// Client is the River client type used everywhere.
type Client = river.Client[pgx.Tx]

// Deps are what workers need, passed explicitly. Fields are added as job
// kinds need them; a nil field disables nothing silently — the worker that
// needs it reports an error.
type Deps struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// RegistryProfiles are the bank registry formats; nil means the built-in ones.
	RegistryProfiles *bank.Set
	// GIS configures the GIS ZhKH exchange; nil leaves its workers failing with a clear error.
	GIS *gisexchange.Exchange
	// OnlinePay is online payment through the acquirer; nil when it is not configured.
	OnlinePay *onlinepay.Service
	// Mailer sends notifications' e-mails; nil leaves notify_mail failing with a clear error.
	Mailer mail.Mailer
}

// Config tunes the client.
type Config struct {
	// Concurrency per queue; missing queues get their defaults
	// (default 4, bank 2, gis 8, notify 4). An unknown queue is an error.
	Concurrency map[string]int
	// FetchCooldown is how long a worker waits between fetches. Defaults to River's 100ms.
	FetchCooldown time.Duration
	// FetchPollInterval is how often a worker polls for new jobs when
	// notifications are missed. Defaults to River's 1s.
	FetchPollInterval time.Duration
	// SessionIdle is the idle timeout the session cleaner applies. Defaults to 15 minutes.
	SessionIdle time.Duration
	// WorkerID names this worker process stably across restarts
	// (ZHKHGATE_WORKER_ID). River records it on every attempt, so a worker
	// restarted after a crash can take back at once the jobs it was running
	// (store.RescueOwnJobs) instead of waiting for River's rescuer. Empty: a
	// random ID, and only the rescuer helps.
	WorkerID string
}

// RescueAfter is how long a job may run before River's rescuer retries it
// (a worker died under it). It must exceed the longest job timeout (the
// registry's hour), or a slow job would be run twice; every client gets it
// from RiverConfig, and a test checks it against every registered kind.
const RescueAfter = registryTimeout + 5*time.Minute

// Role says what a client is for.
type Role int

// The roles of River clients.
const (
	// RoleWorker works every queue and runs the periodic jobs (`run`, `worker`, `demo`).
	RoleWorker Role = iota
	// RoleInsert only inserts jobs and serves River UI (`serve`); it works nothing.
	RoleInsert
	// RoleBank works only the bank queue: commands that process registries
	// in their own process (`registry import`) without taking other
	// queues' jobs or periodic work.
	RoleBank
)

// Queues returns the effective workers per queue a client of role works
// under cfg: what `worker` logs at start.
func (cfg Config) Queues(role Role) (map[string]int, error) {
	out := map[string]int{}
	for q, n := range cfg.Concurrency {
		if _, ok := defaultConcurrency[q]; !ok {
			return nil, apperr.Invalidf("job client", "unknown queue %q: want one of %s", q,
				strings.Join(slices.Sorted(maps.Keys(defaultConcurrency)), ", "))
		}
		if n < 1 {
			return nil, apperr.Invalidf("job client", "queue %s: %d workers, want at least 1", q, n)
		}
	}
	switch role {
	case RoleInsert:
		return out, nil
	case RoleBank:
		out[QueueBank] = cmp.Or(cfg.Concurrency[QueueBank], defaultConcurrency[QueueBank])
		return out, nil
	}
	for q, n := range defaultConcurrency {
		out[q] = cmp.Or(cfg.Concurrency[q], n)
	}
	return out, nil
}

// RiverConfig is the one River configuration builder: every client of the
// process (worker, insert-only, bank-only, tests) is built from it, so the
// rescue rule, the error handler and the registered kinds hold for all.
func RiverConfig(deps Deps, cfg Config, role Role) (*river.Config, error) {
	workers := river.NewWorkers()
	if err := register(workers, deps, cfg); err != nil {
		return nil, err
	}
	counts, err := cfg.Queues(role)
	if err != nil {
		return nil, err
	}
	var queues map[string]river.QueueConfig
	if len(counts) > 0 {
		queues = map[string]river.QueueConfig{}
		for q, n := range counts {
			queues[q] = river.QueueConfig{MaxWorkers: n}
		}
	}
	var periodic []*river.PeriodicJob
	if role == RoleWorker {
		periodic = periodicJobs(cfg)
	}
	return &river.Config{
		Logger:            deps.Logger,
		Queues:            queues,
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchCooldown:     cfg.FetchCooldown,
		FetchPollInterval: cfg.FetchPollInterval,
		ErrorHandler:      &errorLogger{logger: deps.Logger},
		ID:                cfg.WorkerID,

		RescueStuckJobsAfter: RescueAfter,
	}, nil
}

// NewRoleClient builds a River client of role from RiverConfig.
func NewRoleClient(deps Deps, cfg Config, role Role) (*Client, error) {
	rc, err := RiverConfig(deps, cfg, role)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(deps.Pool), rc)
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return client, nil
}

// NewClient builds a River client with every worker and periodic job
// registered. Call Start on it to work jobs (`zhkhgate worker`, `run`).
func NewClient(deps Deps, cfg Config) (*Client, error) {
	return NewRoleClient(deps, cfg, RoleWorker)
}

// NewInsertClient builds a client that only inserts jobs and serves River UI
// (`zhkhgate serve`); it works nothing. Workers are still registered so
// inserted kinds are validated.
func NewInsertClient(deps Deps) (*Client, error) {
	return NewRoleClient(deps, Config{}, RoleInsert)
}

// NewBankClient builds a client that works only the bank queue: for
// commands that process registries in their own process (`registry
// import`) without taking other queues' jobs or periodic work. It fetches
// eagerly: the command waits for its own jobs.
func NewBankClient(deps Deps) (*Client, error) {
	return NewRoleClient(deps, Config{FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 100 * time.Millisecond}, RoleBank)
}

// kind is one registered job kind: how to add its worker, and its timeout.
type kind struct {
	name    string
	add     func(*river.Workers) error
	timeout func() time.Duration
}

// kindOf describes worker w; its timeout is asked for a zero job of its kind.
func kindOf[T river.JobArgs](w river.Worker[T]) kind {
	var args T
	return kind{name: args.Kind(), add: func(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) },
		timeout: func() time.Duration {
			return w.Timeout(&river.Job[T]{JobRow: &rivertype.JobRow{Kind: args.Kind()}, Args: args})
		}}
}

// register adds every kind's worker.
func register(w *river.Workers, deps Deps, cfg Config) error {
	var errs []error
	for _, k := range kinds(deps, cfg) {
		errs = append(errs, k.add(w))
	}
	return errors.Join(errs...)
}

// kinds is the one place where job kinds are added.
func kinds(deps Deps, cfg Config) []kind {
	return []kind{
		kindOf[SessionCleanupArgs](&SessionCleanupWorker{Pool: deps.Pool, Idle: cmp.Or(cfg.SessionIdle, 15*time.Minute)}),
		kindOf(NewRegistryProcessWorker(deps)),
		kindOf[RegistryPostedArgs](&RegistryPostedWorker{Pool: deps.Pool}),
		kindOf[BalanceRefreshArgs](&BalanceRefreshWorker{Pool: deps.Pool}),
		kindOf[GISSyncArgs](&GISSyncWorker{Pool: deps.Pool, GIS: deps.GIS}),
		kindOf[GISSendArgs](&GISSendWorker{Pool: deps.Pool, GIS: deps.GIS}),
		kindOf[GISPollArgs](&GISPollWorker{Pool: deps.Pool, GIS: deps.GIS}),
		kindOf[GISSweepArgs](&GISSweepWorker{Pool: deps.Pool, GIS: deps.GIS}),
		kindOf[ChargesImportArgs](&ChargesImportWorker{Pool: deps.Pool, Logger: deps.Logger}),
		kindOf[AcquiringStatusArgs](&AcquiringStatusWorker{Pay: deps.OnlinePay}),
		kindOf[NotifyDueArgs](&NotifyDueWorker{Pool: deps.Pool}),
		kindOf[NotifyMailArgs](&NotifyMailWorker{Pool: deps.Pool, Mailer: deps.Mailer}),
	}
}

// periodicJobs is the one place where periodic jobs are scheduled.
func periodicJobs(cfg Config) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return SessionCleanupArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindSessionCleanup, RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(gisSweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return GISSweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindGISSweep}),
		river.NewPeriodicJob(river.PeriodicInterval(acquiringStatusEvery),
			func() (river.JobArgs, *river.InsertOpts) { return AcquiringStatusArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindAcquiringStatus}),
		river.NewPeriodicJob(river.PeriodicInterval(notifyDueEvery),
			func() (river.JobArgs, *river.InsertOpts) { return NotifyDueArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindNotifyDue, RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(notifyMailEvery),
			func() (river.JobArgs, *river.InsertOpts) { return NotifyMailArgs{}, nil },
			&river.PeriodicJobOpts{ID: KindNotifyMail}),
	}
}

// Edge maps an error to River's vocabulary, once for every worker: Invalid
// input cancels the job (retrying cannot help), NotReady snoozes it, and
// anything else is returned so River retries with backoff.
func Edge(err error) error {
	if err == nil {
		return nil
	}
	switch apperr.KindOf(err) {
	case apperr.Invalid, apperr.Permission, apperr.NotFound:
		return river.JobCancel(err)
	case apperr.NotReady:
		return river.JobSnooze(cmp.Or(apperr.RetryAfterOf(err), 10*time.Second))
	default:
		return err
	}
}

// completeWith runs fn in one transaction that also completes job, so the
// job's effect and its completion commit together and a retry never repeats
// a committed effect. Errors are mapped by Edge; op names the work in them.
func completeWith[T river.JobArgs](ctx context.Context, pool *pgxpool.Pool, job *river.Job[T], op string, fn func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return Edge(fmt.Errorf("%s: %w", op, err))
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return Edge(err)
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return Edge(fmt.Errorf("%s: complete job: %w", op, err))
	}
	return Edge(tx.Commit(ctx))
}

type errorLogger struct{ logger *slog.Logger }

func (e *errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.logger.WarnContext(ctx, "job failed", "kind", job.Kind, "id", job.ID, "attempt", job.Attempt, "error", err)
	return nil
}

func (e *errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	e.logger.ErrorContext(ctx, "job panicked", "kind", job.Kind, "id", job.ID, "panic", v, "trace", trace)
	return nil
}
