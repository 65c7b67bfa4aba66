package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/metrics"
	"github.com/zhkhgate/zhkhgate/internal/pg"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// app holds the process's shared dependencies, built by hand from Config.
type app struct {
	cfg     Config
	env     *Env
	logger  *slog.Logger
	pool    *pgxpool.Pool
	metrics *metrics.Metrics
	// profiles are the registry format profiles: built-in and ZHKHGATE_REGISTRY_PROFILES.
	profiles *bank.Set
	// cluster is the embedded database this process started, stopped on close.
	cluster *pg.Cluster
}

// openApp connects to the database — DATABASE_URL, or the embedded cluster
// under DataDir/pg, started if needed — and optionally migrates it.
func openApp(ctx context.Context, env *Env, migrate bool) (*app, error) {
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, env: env, logger: cfg.logger()}
	if a.profiles, err = registryProfiles(env); err != nil {
		return nil, err // a broken profile file stops the process: no silent fallback
	}
	url := cfg.DatabaseURL
	if url == "" {
		c := &pg.Cluster{Dir: filepath.Join(cfg.DataDir, "pg"), Logger: a.logger}
		wasRunning := c.Running(ctx)
		if url, err = c.Start(ctx); err != nil {
			return nil, err
		}
		if !wasRunning {
			a.cluster = c
		}
		a.logger.Info("using the embedded PostgreSQL", "dir", c.Root())
	}
	if a.pool, err = store.Open(ctx, url); err != nil {
		a.close()
		return nil, err
	}
	if migrate {
		if err := store.Migrate(ctx, a.pool, a.logger); err != nil {
			a.close()
			return nil, err
		}
	}
	a.metrics = metrics.New(a.pool, a.logger)
	return a, nil
}

func (a *app) close() {
	if a.pool != nil {
		a.pool.Close()
	}
	if a.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := a.cluster.Stop(ctx); err != nil {
			a.logger.Warn("stop embedded PostgreSQL", "error", err)
		} else {
			a.logger.Info("stopped the embedded PostgreSQL")
		}
	}
}

// jobDeps are the dependencies handed to every worker.
func (a *app) jobDeps() jobs.Deps {
	// A mail setting that does not load leaves Mailer nil: notify_mail reports it, the cabinet refuses to start.
	mailer, _ := a.mailer()
	return jobs.Deps{Pool: a.pool, Logger: a.logger, GIS: a.gis(), RegistryProfiles: a.profiles, Mailer: mailer}
}

func (a *app) jobConfig() jobs.Config {
	return jobs.Config{Concurrency: a.cfg.Queues, WorkerID: a.cfg.WorkerID}
}

// startWorkers starts a River client that works every queue.
func (a *app) startWorkers(ctx context.Context) (*jobs.Client, error) {
	client, err := jobs.NewClient(a.jobDeps(), a.jobConfig())
	if err != nil {
		return nil, err
	}
	if id := a.cfg.WorkerID; id != "" {
		// Jobs this worker was running when it last died are nobody's now.
		n, err := store.RescueOwnJobs(ctx, a.pool, id)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			a.logger.Warn("took back jobs left running by this worker's previous run", "worker", id, "jobs", n)
		}
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("start workers: %w", err)
	}
	a.logger.Info("workers started", "queues", a.cfg.Queues, "worker", a.cfg.WorkerID)
	if err := a.startRegistryInbox(ctx, client); err != nil {
		return nil, err
	}
	return client, nil
}

// stopWorkers lets running jobs finish for up to 30s, then cancels them;
// cancelled jobs are retried by whichever worker takes them next.
func (a *app) stopWorkers(client *jobs.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := client.Stop(ctx); err != nil {
		a.logger.Warn("workers did not finish in time; cancelling running jobs", "error", err)
		ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel2()
		_ = client.StopAndCancel(ctx2)
	}
	a.logger.Info("workers stopped")
}

// webDeps are the web server's dependencies; jobsClient may be an insert-only client.
func (a *app) webDeps(jobsClient *jobs.Client) web.Deps {
	return web.Deps{Pool: a.pool, Jobs: jobsClient, Metrics: a.metrics, Logger: a.logger}
}

// serve runs the HTTP server until ctx ends, then shuts it down gracefully.
func (a *app) serve(ctx context.Context, jobsClient *jobs.Client, ready func(url string)) error {
	srv, err := a.newWebServer(ctx, jobsClient)
	if err != nil {
		return err
	}
	uiCtx, cancelUI := context.WithCancel(ctx)
	defer cancelUI()
	if err := srv.Start(uiCtx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (ZHKHGATE_HTTP_ADDR): %w", a.cfg.HTTPAddr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a.logger.Info("http server listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(a.cfg.publicURL())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	a.logger.Info("http server stopped")
	return nil
}
