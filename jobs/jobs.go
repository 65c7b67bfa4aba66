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
	"strconv"
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
)

// Queue names. Each has its own concurrency so a slow GIS exchange never
// starves bank intake.
const (
	QueueDefault = river.QueueDefault
	QueueBank    = "bank"
	QueueGIS     = "gis"
	QueueNotify  = "notify"
)

// defaultConcurrency is the number of workers per queue unless configured.
var defaultConcurrency = map[string]int{QueueDefault: 4, QueueBank: 2, QueueGIS: 8, QueueNotify: 4}

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
	// Mailer sends notifications' e-mails; nil leaves notify_mail failing with a clear error.
	Mailer mail.Mailer
}

// Config tunes the client.
type Config struct {
	// Concurrency per queue; missing queues get their defaults
	// (default 4, bank 2, gis 8, notify 4). Zero removes nothing.
	Concurrency map[string]int
	// FetchCooldown is how long a worker waits between fetches. Defaults to River's 100ms.
	FetchCooldown time.Duration
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
// registry's hour), or a slow job would be run twice.
const RescueAfter = registryTimeout + 5*time.Minute

// NewClient builds a River client with every worker and periodic job
// registered. Call Start on it to work jobs (`zhkhgate worker`, `run`).
func NewClient(deps Deps, cfg Config) (*Client, error) {
	workers := river.NewWorkers()
	if err := register(workers, deps, cfg); err != nil {
		return nil, err
	}
	queues := map[string]river.QueueConfig{}
	for q, n := range defaultConcurrency {
		queues[q] = river.QueueConfig{MaxWorkers: cmp.Or(cfg.Concurrency[q], n)}
	}
	for q, n := range cfg.Concurrency {
		if n > 0 {
			queues[q] = river.QueueConfig{MaxWorkers: n}
		}
	}
	client, err := river.NewClient(riverpgxv5.New(deps.Pool), &river.Config{
		Logger:        deps.Logger,
		Queues:        queues,
		Workers:       workers,
		PeriodicJobs:  periodicJobs(cfg),
		FetchCooldown: cfg.FetchCooldown,
		ErrorHandler:  &errorLogger{logger: deps.Logger},
		ID:            cfg.WorkerID,

		RescueStuckJobsAfter: RescueAfter,
	})
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return client, nil
}

// NewInsertClient builds a client that only inserts jobs and serves River UI
// (`zhkhgate serve`); it works nothing. Workers are still registered so
// inserted kinds are validated.
func NewInsertClient(deps Deps) (*Client, error) {
	workers := river.NewWorkers()
	if err := register(workers, deps, Config{}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(deps.Pool), &river.Config{Logger: deps.Logger, Workers: workers})
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return client, nil
}

// register is the one place where job kinds are added.
func register(w *river.Workers, deps Deps, cfg Config) error {
	return errors.Join(
		river.AddWorkerSafely(w, &SessionCleanupWorker{Pool: deps.Pool, Idle: cmp.Or(cfg.SessionIdle, 15*time.Minute)}),
		river.AddWorkerSafely(w, NewRegistryProcessWorker(deps)),
		river.AddWorkerSafely(w, &RegistryPostedWorker{Pool: deps.Pool}),
		river.AddWorkerSafely(w, &BalanceRefreshWorker{Pool: deps.Pool}),
		river.AddWorkerSafely(w, &GISSyncWorker{Pool: deps.Pool, GIS: deps.GIS}),
		river.AddWorkerSafely(w, &GISSendWorker{Pool: deps.Pool, GIS: deps.GIS}),
		river.AddWorkerSafely(w, &GISPollWorker{Pool: deps.Pool, GIS: deps.GIS}),
		river.AddWorkerSafely(w, &GISSweepWorker{Pool: deps.Pool, GIS: deps.GIS}),
		river.AddWorkerSafely(w, &NotifyDueWorker{Pool: deps.Pool}),
		river.AddWorkerSafely(w, &NotifyMailWorker{Pool: deps.Pool, Mailer: deps.Mailer}),
	)
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

// ParseConcurrency reads "bank=2,gis=8" into a map; used for the
// ZHKHGATE_QUEUES setting.
func ParseConcurrency(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, num, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if !ok || strings.TrimSpace(name) == "" || err != nil || n < 1 || n > 10000 {
			return nil, apperr.Invalidf("parse queue concurrency", "%q: want queue=workers with workers 1..10000", part)
		}
		out[strings.TrimSpace(name)] = n
	}
	return out, nil
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
