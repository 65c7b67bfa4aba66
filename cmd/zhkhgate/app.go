package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/gost"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/metrics"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/pg"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// app holds the process's shared dependencies, built by hand from Config.
type app struct {
	cfg     config.Config
	env     *Env
	logger  *slog.Logger
	pool    *pgxpool.Pool
	metrics *metrics.Metrics
	// cluster is the embedded database this process started, stopped on close.
	cluster *pg.Cluster
	// profiles are loaded with the configuration, before the database is
	// opened: a broken profile file stops the process at once.
	profiles *bank.Set
	// deps are built once from cfg by wire.
	deps *deps
}

// deps are the dependencies built from the configuration once per process
// and passed down to workers, the web server and commands.
type deps struct {
	// gost is the GOST crypto tool GIS and ESIA sign with; nil when both are off.
	gost *gost.OpenSSL
	// profiles are the registry format profiles: built-in and the operator's.
	profiles *bank.Set
	// gis is the GIS ZhKH exchange; nil when it is off.
	gis *gisexchange.Exchange
	// esia is the ESIA client; nil when ESIA login is off.
	esia *esia.Client
	// mailer sends residents' mail over SMTP, or captures it in the database.
	mailer mail.Mailer
	// pay is online payment through the acquirer; nil when it is off.
	pay *onlinepay.Service
	// payOrigin is the acquirer's payment page origin (the cabinet's CSP lets forms go there).
	payOrigin string
}

// openApp opens the app (openDB) and builds its dependencies (wire).
func openApp(ctx context.Context, env *Env, migrate bool) (*app, error) {
	a, err := openDB(ctx, env, migrate)
	if err != nil {
		return nil, err
	}
	if err := a.wire(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// openDB reads the configuration and connects to the database —
// DATABASE_URL, or the embedded cluster under DataDir/pg, started if needed —
// and optionally migrates it. The dependencies are not built yet (wire).
func openDB(ctx context.Context, env *Env, migrate bool) (*app, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, env: env, logger: cfg.Log.Logger(env.Stderr)}
	if a.profiles, err = loadRegistryProfiles(cfg.Registry); err != nil {
		return nil, err
	}
	url := cfg.Database.URL
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

// wire builds the dependencies from a.cfg, once. Anything the configuration
// names that cannot be built (a key that does not load, a profile file that
// does not parse) is an error: the process stops instead of running with
// the feature off.
func (a *app) wire(ctx context.Context) error {
	if a.deps != nil {
		return nil
	}
	d := &deps{profiles: a.profiles}
	var err error
	if a.cfg.GIS.On() || a.cfg.ESIA.On() {
		if d.gost, err = gost.NewOpenSSL(ctx, gost.OpenSSLOptions{}); err != nil {
			return err
		}
	}
	if a.cfg.GIS.On() {
		if d.gis, err = gisFromConfig(ctx, a.cfg.GIS, d.gost, a.metrics.Transport("gis", nil), a.logger); err != nil {
			return err
		}
	} else {
		a.logger.Info("GIS ZhKH exchange is off (ZHKHGATE_GIS_URL unset)")
	}
	if a.cfg.ESIA.On() {
		if d.esia, err = esiaFromConfig(ctx, a.cfg.ESIA, a.cfg.HTTP.PublicURL, d.gost,
			func(next http.RoundTripper) http.RoundTripper { return a.metrics.Transport("esia", next) }); err != nil {
			return err
		}
	} else {
		a.logger.Info("ESIA login is off (ZHKHGATE_ESIA_URL unset)")
	}
	if a.cfg.Acquiring.On() {
		if d.pay, d.payOrigin, err = onlinePayFromConfig(a.cfg.Acquiring, a.pool, a.metrics.Transport("acquiring", nil), a.logger); err != nil {
			return err
		}
	} else {
		a.logger.Info("online payment is off (ZHKHGATE_ACQUIRING_URL unset)")
	}
	d.mailer = mailerFromConfig(a.cfg.SMTP, a.pool)
	if !a.cfg.SMTP.On() {
		a.logger.Info("mail to residents is captured, not sent (ZHKHGATE_SMTP_ADDR unset); see /admin/mail")
	}
	a.deps = d
	return nil
}

// loadRegistryProfiles loads the built-in registry profiles and the
// operator's files; a file that does not load is an error naming it.
func loadRegistryProfiles(cfg config.Registry) (*bank.Set, error) {
	set, err := bank.LoadSet(cfg.Profiles...)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_REGISTRY_PROFILES: %v", err)
	}
	return set, nil
}

// mailerFromConfig sends over SMTP when it is configured, and otherwise
// captures letters in the database (shown at /admin/mail).
func mailerFromConfig(cfg config.SMTP, db *pgxpool.Pool) mail.Mailer {
	if !cfg.On() {
		return &mail.Capture{DB: db}
	}
	return &mail.Logged{DB: db, Next: &mail.SMTP{Addr: cfg.Addr, From: cfg.From, Username: cfg.User, Password: cfg.Password}}
}

// gisFromConfig builds the GIS ZhKH exchange: the signer from the key and
// certificate, the envelope builder, the HTTP client that checks GIS's
// signature on its answers against the pinned certificates, and the
// exchange with its caps, checked against the subject registry.
func gisFromConfig(ctx context.Context, cfg config.GIS, tool *gost.OpenSSL, transport http.RoundTripper, logger *slog.Logger) (*gisexchange.Exchange, error) {
	signer, err := tool.LoadSigner(ctx, cfg.KeyFile, cfg.CertFile)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_GIS_KEY/ZHKHGATE_GIS_CERT: %v", err)
	}
	b, err := giszhkh.NewBuilder(ctx, signer, tool, giszhkh.BuilderOptions{})
	if err != nil {
		return nil, err
	}
	pinned, err := gost.LoadCertificates(cfg.ServerCerts)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_GIS_SERVER_CERTS: %v", err)
	}
	answers, err := giszhkh.NewAnswerVerifier(tool, tool, pinned...)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_GIS_SERVER_CERTS: %v", err)
	}
	client, err := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: cfg.URL, User: cfg.User, Password: cfg.Password,
		Timeout: cfg.Timeout, Transport: transport, Answers: answers})
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_GIS_URL: %v", err)
	}
	caps := map[gisexchange.What]int{}
	for k, n := range cfg.Caps {
		caps[gisexchange.What(k)] = n
	}
	g, err := gisexchange.New(gisexchange.Config{BankBIK: cfg.BankBIK, BankAccount: cfg.BankAccount, Caps: caps,
		Poll: cfg.Poll, ResendAfter: cfg.ResendAfter}, gisexchange.Deps{Builder: b, Client: client, Logger: logger})
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_GIS_CAPS: %v", apperr.UserMessage(err))
	}
	return g, nil
}

// jobDeps are the dependencies handed to every worker.
func (a *app) jobDeps() jobs.Deps {
	if a.deps == nil {
		// A command that runs jobs must wire first; running them with GIS
		// or the operator's profiles silently missing is what wire prevents.
		panic("zhkhgate: jobDeps before wire")
	}
	return jobs.Deps{Pool: a.pool, Logger: a.logger, GIS: a.deps.gis, RegistryProfiles: a.deps.profiles, OnlinePay: a.deps.pay, Mailer: a.deps.mailer}
}

func (a *app) jobConfig() jobs.Config {
	return jobs.Config{Concurrency: a.cfg.Jobs.Queues, WorkerID: a.cfg.Jobs.WorkerID}
}

// startWorkers starts a River client that works every queue.
func (a *app) startWorkers(ctx context.Context) (*jobs.Client, error) {
	cfg := a.jobConfig()
	client, err := jobs.NewClient(a.jobDeps(), cfg)
	if err != nil {
		return nil, err
	}
	if id := cfg.WorkerID; id != "" {
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
	a.logger.Info("workers started", workersStartedAttrs(cfg, client.ID())...)
	if err := a.startRegistryInbox(ctx, client); err != nil {
		return nil, err
	}
	return client, nil
}

// workersStartedAttrs say what a started worker works: every queue with its
// concurrency, in a stable order, and the worker ID River uses (the
// configured one, or the random one it chose).
func workersStartedAttrs(cfg jobs.Config, id string) []any {
	queues, _ := cfg.Queues(jobs.RoleWorker)
	var parts []string
	for _, q := range slices.Sorted(maps.Keys(queues)) {
		parts = append(parts, fmt.Sprintf("%s=%d", q, queues[q]))
	}
	source := "ZHKHGATE_WORKER_ID"
	if cfg.WorkerID == "" {
		source = "random (ZHKHGATE_WORKER_ID unset)"
	}
	return []any{"queues", strings.Join(parts, ","), "worker_id", id, "worker_id_from", source}
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
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (ZHKHGATE_HTTP_ADDR): %w", a.cfg.HTTP.Addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a.logger.Info("http server listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(a.cfg.HTTP.PublicURL)
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
