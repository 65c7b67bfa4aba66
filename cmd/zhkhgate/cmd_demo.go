package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// Demo staff credentials, printed by `zhkhgate demo`.
const (
	demoStaffLogin    = "admin"
	demoStaffPassword = "zhkhgate-demo"
)

// demoService is a simulator that `zhkhgate demo` starts beside the gateway.
// start runs it in the background until ctx ends, points the app's
// configuration at it, and returns its URL.
type demoService struct {
	name  string
	start func(ctx context.Context, a *app) (url string, err error)
}

// demoServices is the one table of what `zhkhgate demo` starts before the gateway.
func demoServices() []demoService {
	return []demoService{
		esiaDemoService(),
		gisDemoService(),
		acquiringDemoService(),
	}
}

type demoFlags struct {
	opts  demo.Options
	until string
}

func addDemoFlags(fs *flag.FlagSet) *demoFlags {
	d := &demoFlags{}
	fs.IntVar(&d.opts.Accounts, "accounts", 10000, "personal accounts to create")
	fs.IntVar(&d.opts.Months, "months", 12, "months of charges, readings, payments and documents")
	fs.Int64Var(&d.opts.Seed, "seed", 1, "random seed; the same seed gives the same data")
	fs.StringVar(&d.until, "until", "", "last billed month, YYYY-MM (default: last month)")
	return d
}

func (d *demoFlags) options() (demo.Options, error) {
	if d.until != "" {
		t, err := time.Parse("2006-01", d.until)
		if err != nil {
			return d.opts, apperr.Invalidf("demo", "--until %q: want YYYY-MM", d.until)
		}
		d.opts.Until = t
	}
	return d.opts, nil
}

// startOver tells how to load a demo with other flags.
const startOver = "to start over, stop zhkhgate and run 'make clean-pg' (deletes the embedded cluster; with DATABASE_URL, use a fresh database)"

// loadDemo loads the demo center and makes sure the demo staff user exists.
// It says what it did: the accounts beyond --accounts (the shipped sample
// registries' own), or that an earlier demo is kept as it was.
func (a *app) loadDemo(ctx context.Context, opts demo.Options) error {
	res, err := demo.Load(ctx, a.pool, opts, a.logger)
	if apperr.Is(err, apperr.Conflict) {
		return apperr.E(apperr.Conflict, "demo", apperr.UserMessage(err)+"; "+startOver)
	}
	if err != nil {
		return err
	}
	w := a.env.Stdout
	if res.Loaded {
		fmt.Fprintf(w, "Loaded the demo settlement center in %s:\n", res.Duration.Round(time.Millisecond))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, t := range []string{"organizations", "houses", "premises", "accounts", "services", "tariffs", "charges",
			"meters", "readings", "payments", "payment_documents"} {
			fmt.Fprintf(tw, "  %d\t %s\n", res.Counts[t], t)
		}
		_ = tw.Flush()
		if extra := res.Counts["accounts"] - int64(opts.Accounts); opts.Accounts > 0 && extra > 0 {
			fmt.Fprintf(w, "  (%d accounts as asked with --accounts, and %d more: the accounts the shipped sample bank registries pay, so importing them posts)\n",
				opts.Accounts, extra)
		}
	} else {
		prev, err := store.LastDemoLoad(ctx, a.pool)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "The demo settlement center loaded on %s (seed %d, %d accounts, %d months) is kept as it is, with what happened to it since;\n"+
			"%s.\n", prev.LoadedAt.Format("2006-01-02 15:04"), prev.Seed, prev.Accounts, prev.Months, startOver)
		if !opts.Until.IsZero() {
			fmt.Fprintf(w, "--until %s was not applied: the kept demo was billed up to the month it was loaded with.\n", opts.Until.Format("2006-01"))
		}
	}
	hash, err := web.HashPassword(demoStaffPassword)
	if err != nil {
		return err
	}
	_, err = store.CreateStaffUser(ctx, a.pool, store.StaffUser{Login: demoStaffLogin, DisplayName: "Demo administrator",
		PasswordHash: hash, Role: "admin"})
	if err != nil && !apperr.Is(err, apperr.Conflict) {
		return err
	}
	return nil
}

// withDemo parses the demo flags, opens the database, loads the demo center
// and runs then with it; the dependencies are not wired yet (the demo points
// them at its simulators first).
func withDemo(ctx context.Context, env *Env, args []string, name, usage string, then func(a *app, opts demo.Options) error) error {
	fs := newFlags(env, name, usage)
	df := addDemoFlags(fs)
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() > 0 {
		return apperr.Invalidf(name, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	opts, err := df.options()
	if err != nil {
		return err
	}
	a, err := openDB(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.loadDemo(ctx, opts); err != nil {
		return err
	}
	return then(a, opts)
}

func cmdLoadDemo(ctx context.Context, env *Env, args []string) error {
	return withDemo(ctx, env, args, "load-demo", "load-demo [--accounts N] [--months M] [--seed S] [--until YYYY-MM]",
		func(*app, demo.Options) error { return nil })
}

func cmdDemo(ctx context.Context, env *Env, args []string) error {
	return withDemo(ctx, env, args, "demo", "demo [--accounts N] [--months M] [--seed S] [--until YYYY-MM]\n\nStarts the embedded PostgreSQL (unless DATABASE_URL is set), migrates, loads the demo\nsettlement center, starts the simulators, the server and the workers, and prints the URLs.",
		func(a *app, opts demo.Options) error { return a.runDemo(ctx, opts) })
}

// runDemo starts the simulators, the workers and the server, and rehearses
// a GIS ZhKH month's cycle once the server is up.
func (a *app) runDemo(ctx context.Context, opts demo.Options) error {
	env := a.env
	var lines []string
	for _, s := range demoServices() {
		url, err := s.start(ctx, a)
		if err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		lines = append(lines, fmt.Sprintf("  %-22s %s", s.name, url))
	}
	// The simulators have set their sections of the configuration: now
	// the dependencies are built, once.
	if err := a.wire(ctx); err != nil {
		return err
	}
	client, err := a.startWorkers(ctx)
	if err != nil {
		return err
	}
	defer a.stopWorkers(client)
	return a.serve(ctx, client, func(base string) {
		w := env.Stdout
		fmt.Fprintln(w, "\nzhkhgate demo is running. Press Ctrl+C to stop.")
		fmt.Fprintf(w, "  %-22s %s/\n", "resident cabinet", base)
		fmt.Fprintf(w, "  %-22s %s/admin/   (login %q, password %q)\n", "admin console", base, demoStaffLogin, demoStaffPassword)
		fmt.Fprintf(w, "  %-22s %s/admin/jobs/\n", "jobs (River UI)", base)
		fmt.Fprintf(w, "  %-22s %s/healthz\n", "health", base)
		fmt.Fprintf(w, "  %-22s %s/metrics\n", "metrics", base)
		if len(lines) > 0 {
			fmt.Fprintln(w, strings.Join(lines, "\n"))
		}
		go a.demoGISCycle(ctx, client, opts)
	})
}

// demoGISCycle rehearses a month's exchange with the GIS ZhKH simulator for
// every organization that has accounts — NSI, accounts, meters, readings,
// payment documents, payments — and prints the counts as each step settles.
func (a *app) demoGISCycle(ctx context.Context, client *jobs.Client, opts demo.Options) {
	if a.deps.gis == nil {
		return
	}
	until := opts.Until
	if until.IsZero() {
		now := time.Now().UTC()
		until = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	}
	period := until.Format("2006-01")
	orgs, err := store.OrganizationsWithAccounts(ctx, a.pool)
	if err != nil {
		a.logger.Error("demo: GIS ZhKH month cycle", "error", err)
		return
	}
	for _, org := range orgs {
		fmt.Fprintf(a.env.Stdout, "\nGIS ZhKH month cycle %s for organization %d (watch it at /admin/gis):\n", period, org)
		if err := runGISSyncs(ctx, a.env, a, client, org, gisCycle, period, time.Hour); err != nil {
			if ctx.Err() == nil {
				a.logger.Error("demo: GIS ZhKH month cycle", "org", org, "error", err)
			}
			return
		}
	}
}
