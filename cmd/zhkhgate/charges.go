package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/billing"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/money"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

func chargesCommands() []command {
	return []command{
		{"import", "store monthly charge files, apply them as versions and print a report (exit 0 accepted, 2 with quarantine, 3 rejected)", cmdChargesImport},
		{"diff", "show what one version of an organization's month changed against another", cmdChargesDiff},
	}
}

// cmdCharges is `zhkhgate charges SUBCOMMAND`.
func cmdCharges(ctx context.Context, env *Env, args []string) error {
	return runGroup(ctx, env, "charges", "Monthly charges from billing (format: connectors/billing/FORMAT.md):", chargesCommands(), args)
}

// chargesReport is what `charges import --json` prints per file.
type chargesReport struct {
	File           string                  `json:"file"`
	FileID         int64                   `json:"file_id"`
	Duplicate      bool                    `json:"duplicate_file"`
	Requeued       bool                    `json:"reprocessed,omitempty"`
	State          store.ChargeFileState   `json:"state"`
	Version        *int                    `json:"version,omitempty"`
	DuplicateOf    *int64                  `json:"duplicate_of,omitempty"`
	Period         string                  `json:"period,omitempty"`
	Format         string                  `json:"format,omitempty"`
	Encoding       string                  `json:"encoding,omitempty"`
	RejectReason   string                  `json:"reject_reason,omitempty"`
	Lines          int                     `json:"lines"`
	Applied        int                     `json:"applied"`
	Quarantined    int                     `json:"quarantined"`
	Charged        int64                   `json:"charged_kopecks"`
	Total          int64                   `json:"total_kopecks"`
	Diff           *store.ChargeDiffCounts `json:"diff,omitempty"`
	Issues         []store.ChargeIssue     `json:"issues,omitempty"`
	Error          string                  `json:"error,omitempty"`
	DurationMillis int64                   `json:"duration_ms"`
}

func cmdChargesImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "charges import", "charges import [--org INN] [--period YYYY-MM] [--new-version] [--json] [--no-wait] FILE...\n\n"+
		"Stores each file (by SHA-256: the same file twice changes nothing), applies it in this process as the\n"+
		"next version of its organization's month and prints a report. A second file for a month that has a\n"+
		"version is rejected unless --new-version is given. Exit status: 0 all accepted (or duplicates),\n"+
		"2 accepted with quarantine, 3 a file was rejected, 1 error.")
	orgINN := fs.String("org", "", "INN of the organization (when the file does not say; must agree when it does)")
	periodFlag := fs.String("period", "", "the month YYYY-MM (when the file does not say; must agree when it does)")
	newVersion := fs.Bool("new-version", false, "take the file as the next version of a month that already has one")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	noWait := fs.Bool("no-wait", false, "only store and enqueue; a `zhkhgate worker` processes the files")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() == 0 {
		return apperr.Invalidf("charges import", "no files given")
	}
	opt := intake.ChargeOptions{Intake: store.IntakeCLI, NewVersion: *newVersion}
	if *periodFlag != "" {
		p, err := billing.ParsePeriod(*periodFlag)
		if err != nil {
			return apperr.Invalidf("charges import", "--period: %v", err)
		}
		opt.Period = &p
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	if *orgINN != "" {
		id, err := store.OrganizationIDByINN(ctx, a.pool, *orgINN)
		if err != nil {
			return err
		}
		opt.OrgID = &id
	}
	var client *jobs.Client
	if *noWait {
		client, err = jobs.NewInsertClient(a.jobDeps())
	} else {
		client, err = jobs.NewBankClient(a.jobDeps())
	}
	if err != nil {
		return err
	}
	if !*noWait {
		if err := client.Start(ctx); err != nil {
			return fmt.Errorf("start bank worker: %w", err)
		}
		defer a.stopWorkers(client)
	}
	in := &intake.Charges{Pool: a.pool, Jobs: client}
	var reports []chargesReport
	worst := exitAccepted
	for _, name := range fs.Args() {
		rep := importCharges(ctx, a, in, client, name, opt, !*noWait)
		switch {
		case rep.Error != "":
			worst = max(worst, 1)
		case rep.State == store.ChargeFileRejected:
			worst = max(worst, exitRejected)
		case rep.State == store.ChargeFileAcceptedWithQuarantine:
			worst = max(worst, exitQuarantine)
		}
		if !*asJSON {
			printChargesReport(env.Stdout, rep)
		}
		reports = append(reports, rep)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	switch {
	case worst == exitAccepted:
		return nil
	case worst == 1 && len(reports) == 1:
		return errors.New(reports[0].Error)
	}
	return exitCode(worst)
}

func importCharges(ctx context.Context, a *app, in *intake.Charges, client *jobs.Client, name string, opt intake.ChargeOptions, wait bool) chargesReport {
	start := time.Now()
	rep := chargesReport{File: name}
	f, err := os.Open(name)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		rep.Error = fmt.Sprintf("%s: not a regular file", name)
		return rep
	}
	imp, err := in.Import(ctx, f, name, opt)
	if err != nil {
		rep.Error = apperr.UserMessage(err)
		return rep
	}
	rep.FileID, rep.Duplicate, rep.Requeued = imp.FileID, imp.Duplicate, imp.Requeued
	var cf store.ChargeFile
	if wait && !imp.Duplicate {
		cf, err = intake.WaitCharges(ctx, a.pool, client, imp.FileID, imp.JobID, 200*time.Millisecond)
	} else {
		cf, err = store.GetChargeFile(ctx, a.pool, imp.FileID)
	}
	if err != nil {
		rep.Error = apperr.UserMessage(err)
		return rep
	}
	rep.State, rep.Version, rep.DuplicateOf, rep.Format, rep.Encoding = cf.State, cf.Version, cf.DuplicateOf, cf.Format, cf.Encoding
	rep.RejectReason, rep.Lines, rep.Applied, rep.Quarantined = cf.RejectReason, cf.RowsTotal, cf.RowsApplied, cf.RowsQuarantined
	rep.Charged, rep.Total = cf.Charged, cf.Total
	if cf.Period != nil {
		rep.Period = cf.Period.Format("2006-01")
	}
	var report struct {
		Result *store.ChargeApplyResult `json:"result"`
	}
	if json.Unmarshal(cf.Report, &report) == nil && report.Result != nil && cf.Version != nil {
		rep.Diff = &report.Result.Diff
	}
	if cf.RowsQuarantined > 0 && cf.Version != nil {
		if rep.Issues, err = store.ChargeIssues(ctx, a.pool, cf.ID, reportIssues); err != nil {
			rep.Error = apperr.UserMessage(err)
		}
	}
	rep.DurationMillis = time.Since(start).Milliseconds()
	return rep
}

func printChargesReport(w io.Writer, r chargesReport) {
	if r.Error != "" {
		fmt.Fprintf(w, "%s: error: %s\n", r.File, r.Error)
		return
	}
	state := strings.ReplaceAll(string(r.State), "_", " ")
	switch {
	case r.Duplicate:
		fmt.Fprintf(w, "%s: already imported as charge file %d (%s); nothing changed\n", r.File, r.FileID, state)
		if r.State == store.ChargeFileRejected {
			fmt.Fprintln(w, "  rejected: "+r.RejectReason)
		}
		return
	case r.State == store.ChargeFileDuplicate:
		fmt.Fprintf(w, "%s: the same charges as charge file %d (another encoding, format or order); nothing changed\n", r.File, *r.DuplicateOf)
		return
	case r.Requeued:
		fmt.Fprintf(w, "%s: rejected before, read again as charge file %d: %s (%s %s, %.1fs)\n", r.File, r.FileID, state, r.Format, r.Encoding, float64(r.DurationMillis)/1000)
	default:
		fmt.Fprintf(w, "%s: %s (charge file %d, %s %s, %.1fs)\n", r.File, state, r.FileID, r.Format, r.Encoding, float64(r.DurationMillis)/1000)
	}
	switch r.State {
	case store.ChargeFileRejected:
		fmt.Fprintf(w, "  rejected: %s\n  nothing was applied\n", r.RejectReason)
		return
	case store.ChargeFileReceived:
		fmt.Fprintln(w, "  waiting for a worker to process it")
		return
	}
	fmt.Fprintf(w, "  %s version %d: lines %d, applied %d, quarantined %d; charged %s, total %s\n",
		r.Period, *r.Version, r.Lines, r.Applied, r.Quarantined, money.Rubles(r.Charged), money.Rubles(r.Total))
	if d := r.Diff; d != nil && *r.Version > 1 {
		fmt.Fprintf(w, "  against version %d: %d added, %d removed, %d changed, %d unchanged; total %+.2f\n",
			*r.Version-1, d.Added, d.Removed, d.Changed, d.Unchanged, float64(d.Delta)/100)
	}
	for _, i := range r.Issues {
		fmt.Fprintf(w, "  line %d: %s: %s\n", i.Line, strings.ReplaceAll(string(i.Kind), "_", " "), i.Reason)
	}
	if r.Quarantined > len(r.Issues) {
		fmt.Fprintf(w, "  … %d more quarantined lines\n", r.Quarantined-len(r.Issues))
	}
}

func cmdChargesDiff(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "charges diff", "charges diff --org ID --period YYYY-MM [--from V --to V] [--json]\n\n"+
		"Lists, per account and service, what version --to added, removed or changed against --from\n"+
		"(default: the latest version against the one before).")
	orgID := fs.Int64("org", 0, "organization id")
	periodFlag := fs.String("period", "", "the month YYYY-MM")
	from := fs.Int("from", 0, "the older version (default: the one before --to)")
	to := fs.Int("to", 0, "the newer version (default: the latest)")
	asJSON := fs.Bool("json", false, "print the difference as JSON")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if *orgID <= 0 || *periodFlag == "" {
		return apperr.Invalidf("charges diff", "--org and --period are required")
	}
	period, err := billing.ParsePeriod(*periodFlag)
	if err != nil {
		return apperr.Invalidf("charges diff", "--period: %v", err)
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	if *to == 0 {
		vs, err := store.ChargeVersions(ctx, a.pool, *orgID, period)
		if err != nil {
			return err
		}
		if len(vs) < 2 && *from == 0 {
			return apperr.E(apperr.NotFound, "charges diff", fmt.Sprintf("organization %d has %d version(s) of %s: nothing to compare", *orgID, len(vs), *periodFlag))
		}
		*to = vs[len(vs)-1].Version
	}
	if *from == 0 {
		*from = *to - 1
	}
	diff, counts, err := store.DiffChargeVersions(ctx, a.pool, *orgID, period, *from, *to)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"from": *from, "to": *to, "counts": counts, "lines": diff})
	}
	fmt.Fprintf(env.Stdout, "%s, organization %d: version %d → %d: %d added, %d removed, %d changed, %d unchanged; total %+.2f\n",
		*periodFlag, *orgID, *from, *to, counts.Added, counts.Removed, counts.Changed, counts.Unchanged, float64(counts.Delta)/100)
	opt := func(v *int64) string {
		if v == nil {
			return "—"
		}
		return money.Rubles(*v)
	}
	for _, d := range diff {
		fmt.Fprintf(env.Stdout, "  %-8s %-14s %-16s total %s → %s\n", d.Kind, d.AccountNumber, d.ServiceCode, opt(d.FromTotal), opt(d.ToTotal))
	}
	return nil
}
