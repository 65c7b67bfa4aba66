package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// GIS ZhKH settings named in messages (read by internal/config).
const (
	envGISURL  = "ZHKHGATE_GIS_URL"
	envGISKey  = "ZHKHGATE_GIS_KEY"
	envGISCert = "ZHKHGATE_GIS_CERT"
)

// joinWhats joins subject names with sep.
func joinWhats(ws []gisexchange.What, sep string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return strings.Join(out, sep)
}

func cmdGIS(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stdout, "Usage: zhkhgate gis SUBCOMMAND [flags]\n\nGIS ZhKH exchange:")
		fmt.Fprintln(env.Stdout, "  sync       send what is due (accounts, meters, documents, payments …) or fetch organizations, houses, NSI,\n             readings and what GIS already holds, as durable jobs")
		fmt.Fprintln(env.Stdout, "  withdraw   mark posted payment documents for withdrawal: gis withdraw DOCUMENT_ID… (then sync withdrawals)")
		fmt.Fprintln(env.Stdout, "  cancel     mark reported payments for cancellation: gis cancel PAYMENT_ID… (then sync cancellations)")
		fmt.Fprintln(env.Stdout, "  world      write the GIS simulator's seed world (organizations, houses, premises) from the store: gis world --out FILE")
		fmt.Fprintf(env.Stdout, "\nSettings: %s, %s, %s (see README).\n", envGISURL, envGISKey, envGISCert)
		return nil
	}
	switch args[0] {
	case "sync":
		return cmdGISSync(ctx, env, args[1:])
	case "withdraw", "cancel":
		return cmdGISMark(ctx, env, args[0], args[1:])
	case "world":
		return cmdGISWorld(ctx, env, args[1:])
	}
	return apperr.Invalidf("gis", "unknown subcommand %q; run 'zhkhgate gis help'", args[0])
}

// cmdGISMark marks documents for withdrawal or payments for cancellation.
func cmdGISMark(ctx context.Context, env *Env, what string, args []string) error {
	if len(args) == 0 || helpRequested(args) {
		fmt.Fprintf(env.Stdout, "Usage: zhkhgate gis %s ID…\n", what)
		return nil
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	for _, arg := range args {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id < 1 {
			return apperr.Invalidf("gis "+what, "%q is not an id", arg)
		}
		if what == "withdraw" {
			err = store.RequestGISWithdrawal(ctx, a.pool, id)
		} else {
			err = store.RequestGISCancellation(ctx, a.pool, id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s %d: marked\n", what, id)
	}
	return nil
}

// gisCycle is the order of `--what all`: a month's cycle.
var gisCycle = gisexchange.MonthCycle()

func cmdGISSync(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "gis sync", "gis sync --org ID --what SUBJECT [--period 2026-10] [--dry-run --out DIR] [--work] [--wait 10m]\n\n"+
		"Subjects: "+joinWhats(gisexchange.Whats(), ", ")+",\nor all ("+joinWhats(gisCycle, " → ")+").\n"+
		"orgs and houses fetch GIS's identifiers of organizations, houses and premises (meters need the premises');\n"+
		"accounts-export, meters-export and documents-export reconcile what GIS already holds, matched by number.\n"+
		"Without --dry-run the sync is queued as jobs; --work runs the workers in this process, --wait waits until\n"+
		"every message is confirmed or stopped and prints the counts.")
	var (
		org          int64
		what, period string
		dryRun, work bool
		out          string
		wait         time.Duration
	)
	fs.Int64Var(&org, "org", 0, "organization id")
	fs.StringVar(&what, "what", "", "subject to exchange")
	fs.StringVar(&period, "period", "", "month, YYYY-MM (documents, payments, readings, documents-export)")
	fs.BoolVar(&dryRun, "dry-run", false, "write the signed envelopes that would be sent to --out, send nothing")
	fs.StringVar(&out, "out", "", "directory for --dry-run envelopes, one file each")
	fs.BoolVar(&work, "work", false, "run the job workers in this process until the sync is settled (implies --wait)")
	fs.DurationVar(&wait, "wait", 0, "wait up to this long for the sync to settle")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if org < 1 || what == "" {
		return apperr.Invalidf("gis sync", "--org and --what are required")
	}
	whats := []gisexchange.What{gisexchange.What(what)}
	if what == "all" {
		whats = gisCycle
	} else if s, ok := gisexchange.Lookup(whats[0]); !ok {
		return apperr.Invalidf("gis sync", "--what %q: want all or one of %s", what, joinWhats(gisexchange.Whats(), ", "))
	} else if s.Period && period == "" {
		return apperr.Invalidf("gis sync", "--what %s needs --period YYYY-MM", what)
	}
	if dryRun && out == "" {
		return apperr.Invalidf("gis sync", "--dry-run needs --out DIR")
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	g := a.deps.gis
	if g == nil {
		return apperr.Invalidf("gis sync", "GIS ZhKH is not configured: set %s, %s and %s", envGISURL, envGISKey, envGISCert)
	}
	if dryRun {
		return gisDryRun(ctx, env, a, g, org, whats, period, out)
	}
	if work && wait == 0 {
		wait = time.Hour
	}
	if work {
		client, err := a.startWorkers(ctx)
		if err != nil {
			return err
		}
		defer a.stopWorkers(client)
	}
	ins, err := jobs.NewInsertClient(a.jobDeps())
	if err != nil {
		return err
	}
	return runGISSyncs(ctx, env, a, ins, org, whats, period, wait)
}

// runGISSyncs queues the syncs of whats for org one after the other; with
// wait > 0 each must settle before the next is queued (meters need the
// accounts' GIS ids, documents need them too). `zhkhgate demo` can run a
// month's cycle with runGISSyncs(ctx, env, a, client, org, gisCycle, period, time.Hour).
func runGISSyncs(ctx context.Context, env *Env, a *app, ins *jobs.Client, org int64, whats []gisexchange.What, period string, wait time.Duration) error {
	for _, w := range whats {
		started := time.Now()
		if _, err := ins.Insert(ctx, jobs.GISSyncArgs{OrgID: org, What: w, Period: period}, nil); err != nil {
			return fmt.Errorf("gis sync: queue %s: %w", w, err)
		}
		if wait == 0 {
			fmt.Fprintf(env.Stdout, "queued: %s sync of organization %d (workers of 'zhkhgate run'/'worker' will send it)\n", w, org)
			continue
		}
		if err := gisWait(ctx, env, a, org, w, started, wait); err != nil {
			return err
		}
	}
	return nil
}

// gisWait waits until the sync job of subject w has run and every message
// it created is done or stopped, then prints the counts.
func gisWait(ctx context.Context, env *Env, a *app, org int64, w gisexchange.What, since time.Time, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ms, err := store.ListGISMessages(ctx, a.pool, store.GISMessageFilter{OrgID: org, Kind: string(w), Limit: 100000})
		if err != nil {
			return err
		}
		var mine []store.GISMessage
		for _, m := range ms {
			if !m.CreatedAt.Before(since.Add(-time.Second)) {
				mine = append(mine, m)
			}
		}
		pendingSync, err := store.GISJobsPending(ctx, a.pool, jobs.KindGISSync)
		if err != nil {
			return err
		}
		settled := pendingSync == 0
		for _, m := range mine {
			if m.State != store.MessageDone && m.State != store.MessageStopped {
				settled = false
			}
		}
		if settled {
			fmt.Fprintln(env.Stdout, gisSummary(w, mine, time.Since(since)))
			return nil
		}
		if time.Now().After(deadline) {
			return apperr.E(apperr.Unavailable, "gis sync", fmt.Sprintf("%s not settled after %s; is a worker running ('zhkhgate run' or --work)?", w, limit))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// gisSummary is the line `gis sync --wait` prints for a settled subject.
// Export items that only GIS holds are neither confirmed nor failed: they
// are reported (in the message's report), and counted so, so the numbers
// add up.
func gisSummary(w gisexchange.What, ms []store.GISMessage, took time.Duration) string {
	var items, ok, failed, reported, stopped int
	for _, m := range ms {
		items, ok, failed, reported = items+m.Items, ok+m.ItemsOK, failed+m.ItemsFailed, reported+m.ItemsUnknown
		if m.State == store.MessageStopped {
			stopped++
		}
	}
	return fmt.Sprintf("%-16s %4d messages, %6d items: %6d confirmed, %4d failed, %4d reported, %d messages stopped (%s)",
		w, len(ms), items, ok, failed, reported, stopped, took.Round(time.Millisecond))
}

// gisDryRun writes the signed envelopes a sync would send.
func gisDryRun(ctx context.Context, env *Env, a *app, g *gisexchange.Exchange, org int64, whats []gisexchange.What, period, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("gis sync: %w", err)
	}
	n := 0
	for _, w := range whats {
		plans, err := g.Plan(ctx, a.pool, gisexchange.Scope{OrgID: org, What: w, Period: period})
		if err != nil {
			return err
		}
		for _, p := range plans {
			if p.Message.State == store.MessageStopped {
				for _, it := range p.Items {
					fmt.Fprintf(env.Stdout, "cannot send %s %d: %s\n", it.ObjectKind, it.ObjectID, it.Error)
				}
				continue
			}
			ppa, err := gisexchange.Org(ctx, a.pool, org, giszhkh.Service(p.Message.Service), p.Message.Operation)
			if err != nil {
				return err
			}
			req, err := g.Build(ctx, ppa, p.Message, p.Items)
			if err != nil {
				return err
			}
			n++
			name := filepath.Join(out, fmt.Sprintf("%03d-%s-%s.xml", n, w, req.Operation.Name))
			if err := os.WriteFile(name, req.Envelope, 0o644); err != nil {
				return fmt.Errorf("gis sync: %w", err)
			}
			fmt.Fprintf(env.Stdout, "%s  %d items, MessageGUID %s\n", name, len(req.TransportGUIDs), req.MessageGUID)
		}
	}
	fmt.Fprintf(env.Stdout, "%s envelopes written to %s; nothing was sent\n", strconv.Itoa(n), out)
	return nil
}
