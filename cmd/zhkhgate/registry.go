package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// Exit codes of `registry import` and `registry statement`: the highest
// over the files applies (3 over 2 over 1).
const (
	exitAccepted       = 0
	exitFailed         = 1 // a file could not be read or stored
	exitQuarantine     = 2
	exitRejected       = 3
	registryProfileEnv = "ZHKHGATE_REGISTRY_PROFILES"
)

// exitError ends a command with a documented exit status and a one-line
// message (main prints it and exits with the code).
type exitError struct {
	code exitCode
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) Unwrap() error { return e.code }

// fileVerdicts counts the outcomes of a command over several files and
// turns them into its exit status.
type fileVerdicts struct {
	files, rejected, quarantine, failed int
}

// err is nil when every file was accepted, else an exitError naming the
// counts, e.g. "registry import: 1 of 3 files rejected, 1 with quarantine".
func (v fileVerdicts) err(cmd string) error {
	var parts []string
	code := exitAccepted
	if v.rejected > 0 {
		parts, code = append(parts, fmt.Sprintf("%d of %d files rejected", v.rejected, v.files)), exitRejected
	}
	if v.quarantine > 0 {
		parts, code = append(parts, fmt.Sprintf("%d of %d files accepted with quarantine", v.quarantine, v.files)), max(code, exitQuarantine)
	}
	if v.failed > 0 {
		parts, code = append(parts, fmt.Sprintf("%d of %d files could not be imported", v.failed, v.files)), max(code, exitFailed)
	}
	if code == exitAccepted {
		return nil
	}
	return &exitError{code: exitCode(code), msg: cmd + ": " + strings.Join(parts, ", ")}
}

func registryCommands() []command {
	return []command{
		{"import", "store registry files, process them and print a report (exit 0 accepted, 2 with quarantine, 3 rejected)", cmdRegistryImport},
		{"statement", "import 1CClientBankExchange statements and reconcile registries against them", cmdRegistryStatement},
		{"reconcile", "print the reconciliation report: registries without money, money without registries", cmdRegistryReconcile},
		{"watch", "watch an inbox directory for registry and statement files (default DATA_DIR/inbox)", cmdRegistryWatch},
		{"profiles", "list the registry format profiles (built-in and " + registryProfileEnv + ")", cmdRegistryProfiles},
		{"generate", "write a synthetic Sberbank registry paying the database's accounts (for demos and benchmarks)", cmdRegistryGenerate},
	}
}

// cmdRegistry is `zhkhgate registry SUBCOMMAND`.
func cmdRegistry(ctx context.Context, env *Env, args []string) error {
	return runGroup(ctx, env, "registry", "Bank payment registries:", registryCommands(), args,
		"Operator-defined profiles: "+registryProfileEnv+"=file.json[,file2.json] (JSON, see connectors/bank/profiles/).")
}

// registryProfiles loads the built-in profiles plus the files named in
// ZHKHGATE_REGISTRY_PROFILES, for commands that need no database.
func registryProfiles(env *Env) (*bank.Set, error) {
	cfg, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	return loadRegistryProfiles(cfg.Registry)
}

// registryApp opens the database and a bank-queue client working in this
// process (or only inserting, when work is false).
func registryApp(ctx context.Context, env *Env, work bool, cfg intake.Config) (*app, *intake.Intake, func(), error) {
	a, err := openApp(ctx, env, true)
	if err != nil {
		return nil, nil, nil, err
	}
	deps := a.jobDeps()
	var client *jobs.Client
	if work {
		client, err = jobs.NewBankClient(deps)
	} else {
		client, err = jobs.NewInsertClient(deps)
	}
	if err != nil {
		a.close()
		return nil, nil, nil, err
	}
	if work {
		if err := client.Start(ctx); err != nil {
			a.close()
			return nil, nil, nil, fmt.Errorf("start bank worker: %w", err)
		}
	}
	stop := func() {
		if work {
			a.stopWorkers(client)
		}
		a.close()
	}
	in, err := a.newIntake(client, cfg)
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return a, in, stop, nil
}

// registryReport is what `registry import --json` prints per file.
type registryReport struct {
	File           string                `json:"file"`
	RegistryID     int64                 `json:"registry_id"`
	Duplicate      bool                  `json:"duplicate_file"`
	Requeued       bool                  `json:"reprocessed,omitempty"`
	State          string                `json:"state"`
	Profile        string                `json:"profile,omitempty"`
	Encoding       string                `json:"encoding,omitempty"`
	RejectReason   string                `json:"reject_reason,omitempty"`
	Lines          int                   `json:"lines"`
	Payments       int                   `json:"payment_lines"`
	Posted         int                   `json:"posted"`
	Duplicates     int                   `json:"duplicates"`
	Quarantined    int                   `json:"quarantined"`
	Warnings       int                   `json:"warnings"`
	Readings       int                   `json:"readings"`
	Amount         int64                 `json:"amount_kopecks"`
	Transfer       int64                 `json:"transfer_kopecks"`
	Commission     int64                 `json:"commission_kopecks"`
	OrderNumber    string                `json:"order_number,omitempty"`
	OrderDate      string                `json:"order_date,omitempty"`
	Reconciled     bool                  `json:"reconciled"`
	Issues         []registryIssueReport `json:"issues,omitempty"`
	Error          string                `json:"error,omitempty"`
	DurationMillis int64                 `json:"duration_ms"`
}

type registryIssueReport struct {
	Line   int    `json:"line"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	Raw    string `json:"raw,omitempty"`
}

const reportIssues = 20

func cmdRegistryImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "registry import", "registry import [--profile NAME] [--org INN] [--json] [--no-wait] FILE...\n\n"+
		"Stores each file (by SHA-256: the same file twice changes nothing), processes it in this process and\n"+
		"prints a report. Exit status: 0 all accepted, 2 accepted with quarantine, 3 a file was rejected, 1 error.")
	profile := fs.String("profile", "", "registry profile (name or name@version); guessed from the content when empty")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	noWait := fs.Bool("no-wait", false, "only store and enqueue; a `zhkhgate worker` processes the files")
	orgINN := fs.String("org", "", "INN of the organization whose accounts the registry pays (when account numbers repeat across organizations)")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() == 0 {
		return apperr.Invalidf("registry import", "no files given")
	}
	a, in, stop, err := registryApp(ctx, env, !*noWait, intake.Config{})
	if err != nil {
		return err
	}
	defer stop()
	var orgID *int64
	if *orgINN != "" {
		id, err := store.OrganizationIDByINN(ctx, a.pool, *orgINN)
		if err != nil {
			return err
		}
		orgID = &id
	}
	var reports []registryReport
	v := fileVerdicts{files: fs.NArg()}
	for _, name := range fs.Args() {
		rep := importOne(ctx, a, in, name, *profile, orgID, !*noWait)
		switch {
		case rep.Error != "":
			v.failed++
		case rep.State == store.RegistryRejected:
			v.rejected++
		case rep.State == store.RegistryAcceptedWithQuarantine:
			v.quarantine++
		}
		if !*asJSON {
			printRegistryReport(env.Stdout, rep)
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
	return v.err("registry import")
}

func importOne(ctx context.Context, a *app, in *intake.Intake, name, profile string, orgID *int64, wait bool) registryReport {
	start := time.Now()
	rep := registryReport{File: name}
	f, err := os.Open(name)
	if err != nil {
		rep.Error = apperr.UserMessage(apperr.Wrap(apperr.NotFound, "registry import", err))
		return rep
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		rep.Error = fmt.Sprintf("%s: not a regular file", name)
		return rep
	}
	imp, err := in.ImportRegistry(ctx, f, name, store.IntakeCLI, intake.RegistryOptions{Profile: profile, OrgID: orgID})
	if err != nil {
		rep.Error = apperr.UserMessage(err)
		return rep
	}
	rep.RegistryID, rep.Duplicate, rep.Requeued = imp.RegistryID, imp.Duplicate, imp.Requeued
	var reg store.Registry
	if wait && !imp.Duplicate {
		reg, err = in.Wait(ctx, imp.RegistryID, imp.JobID)
	} else {
		reg, err = store.GetRegistry(ctx, a.pool, imp.RegistryID)
	}
	if err != nil {
		rep.Error = apperr.UserMessage(err)
		return rep
	}
	fillReport(&rep, reg)
	if reg.OpenIssues > 0 || reg.RowsWarned > 0 {
		issues, err := store.ListRegistryIssues(ctx, a.pool, store.IssueFilter{RegistryID: reg.ID, Limit: reportIssues})
		if err != nil {
			rep.Error = apperr.UserMessage(err)
		}
		for _, i := range issues {
			rep.Issues = append(rep.Issues, registryIssueReport{Line: i.Line, Kind: i.Kind, Reason: i.Reason, Raw: i.Raw})
		}
	}
	rep.DurationMillis = time.Since(start).Milliseconds()
	return rep
}

func fillReport(rep *registryReport, reg store.Registry) {
	rep.State, rep.Profile, rep.Encoding, rep.RejectReason = reg.State, reg.Profile, reg.Encoding, reg.RejectReason
	rep.Lines, rep.Payments, rep.Posted, rep.Duplicates = reg.Lines, reg.RowsTotal, reg.RowsPosted, reg.RowsDuplicate
	rep.Quarantined, rep.Warnings, rep.Readings = reg.RowsQuarantined, reg.RowsWarned, reg.ReadingsPosted
	rep.Amount, rep.Transfer, rep.Commission, rep.OrderNumber = reg.Amount, reg.Transfer, reg.Commission, reg.OrderNumber
	if reg.OrderDate != nil {
		rep.OrderDate = reg.OrderDate.Format("02.01.2006")
	}
	rep.Reconciled = reg.Reconciled()
}

func printRegistryReport(w io.Writer, r registryReport) {
	if r.Error != "" {
		fmt.Fprintf(w, "%s: error: %s\n", r.File, r.Error)
		return
	}
	state := strings.ReplaceAll(r.State, "_", " ")
	switch {
	case r.Duplicate:
		fmt.Fprintf(w, "%s: already imported as registry %d (%s); nothing changed\n", r.File, r.RegistryID, state)
		if r.State == store.RegistryRejected {
			fmt.Fprintln(w, "  to read it with another profile, import it again with --profile")
		}
	case r.Requeued:
		fmt.Fprintf(w, "%s: rejected before, read again as registry %d: %s (%s)\n", r.File, r.RegistryID, state, r.facts(false))
	default:
		fmt.Fprintf(w, "%s: %s (%s)\n", r.File, state, r.facts(true))
	}
	if r.State == store.RegistryRejected {
		fmt.Fprintf(w, "  rejected: %s\n  nothing was applied\n", r.RejectReason)
		return
	}
	if r.State == store.RegistryReceived {
		fmt.Fprintln(w, "  waiting for a worker to process it")
		return
	}
	fmt.Fprintf(w, "  lines %d, payments %d: posted %d, duplicates %d, quarantined %d, warnings %d, meter readings %d\n",
		r.Lines, r.Payments, r.Posted, r.Duplicates, r.Quarantined, r.Warnings, r.Readings)
	fmt.Fprintf(w, "  sums: paid %s, to transfer %s, commission %s", bank.FormatAmount(r.Amount), bank.FormatAmount(r.Transfer), bank.FormatAmount(r.Commission))
	if r.OrderNumber != "" {
		fmt.Fprintf(w, "; payment order %s of %s", r.OrderNumber, r.OrderDate)
	}
	if r.Reconciled {
		fmt.Fprint(w, " (reconciled)")
	}
	fmt.Fprintln(w)
	for _, i := range r.Issues {
		fmt.Fprintf(w, "  line %d: %s: %s\n", i.Line, strings.ReplaceAll(i.Kind, "_", " "), i.Reason)
	}
	if n := r.Quarantined + r.Duplicates + r.Warnings; n > len(r.Issues) {
		fmt.Fprintf(w, "  … %d more in the console (/admin/registries/%d)\n", n-len(r.Issues), r.RegistryID)
	}
}

// facts are what is known of the file for its summary line: registry,
// profile and encoding (when found) and the time taken.
func (r registryReport) facts(withID bool) string {
	var parts []string
	if withID {
		parts = append(parts, fmt.Sprintf("registry %d", r.RegistryID))
	}
	if r.Profile != "" {
		parts = append(parts, "profile "+r.Profile)
	}
	if r.Encoding != "" {
		parts = append(parts, r.Encoding)
	}
	return strings.Join(append(parts, fmt.Sprintf("%.1fs", float64(r.DurationMillis)/1000)), ", ")
}

func cmdRegistryStatement(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "registry statement", "registry statement FILE...\n\nImports 1CClientBankExchange statements (1.02/1.03) and reconciles registries against their incoming payment orders.")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() == 0 {
		return apperr.Invalidf("registry statement", "no files given")
	}
	_, in, stop, err := registryApp(ctx, env, false, intake.Config{})
	if err != nil {
		return err
	}
	defer stop()
	v := fileVerdicts{files: fs.NArg()}
	for _, name := range fs.Args() {
		res, err := importStatementFile(ctx, in, name)
		switch {
		case apperr.Is(err, apperr.Invalid):
			fmt.Fprintf(env.Stdout, "%s: rejected: %s\n", name, apperr.UserMessage(err))
			v.rejected++
		case err != nil:
			fmt.Fprintf(env.Stdout, "%s: error: %s\n", name, apperr.UserMessage(err))
			v.failed++
		case res.Duplicate:
			fmt.Fprintf(env.Stdout, "%s: already imported; nothing changed\n", name)
		default:
			fmt.Fprintf(env.Stdout, "%s: statement %d: %d documents, %d incoming; %d registries reconciled\n", name, res.StatementID, res.Documents, res.Incoming, res.Matched)
			for _, w := range res.Warnings {
				fmt.Fprintf(env.Stdout, "  warning: %s\n", w)
			}
		}
	}
	return v.err("registry statement")
}

// importStatementFile imports the statement in file name; a file that
// cannot be opened is an error of kind NotFound or Internal, not a
// rejected statement.
func importStatementFile(ctx context.Context, in *intake.Intake, name string) (intake.StatementImport, error) {
	f, err := os.Open(name)
	if err != nil {
		return intake.StatementImport{}, apperr.Wrap(apperr.NotFound, "registry statement", err)
	}
	defer f.Close()
	return in.ImportStatement(ctx, f, name)
}

func cmdRegistryReconcile(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "registry reconcile", "registry reconcile [--json]\n\nMatches registries to statement documents and prints the report.")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	if _, err := store.Reconcile(ctx, a.pool); err != nil {
		return err
	}
	rep, err := store.LoadReconciliation(ctx, a.pool, 0)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintln(env.Stdout, "Registries:")
	for _, l := range rep.Registries {
		r := l.Registry
		order := "no payment order"
		if r.OrderDate != nil {
			order = fmt.Sprintf("order %s of %s", r.OrderNumber, r.OrderDate.Format("02.01.2006"))
		}
		fmt.Fprintf(env.Stdout, "  %-16s registry %d %s: %s, expected %s", strings.ReplaceAll(l.Status, "_", " "), r.ID, r.FileName, order, bank.FormatAmount(l.Expected))
		if l.Document != nil {
			fmt.Fprintf(env.Stdout, ", statement has %s", bank.FormatAmount(l.Document.Amount))
		}
		fmt.Fprintln(env.Stdout)
	}
	fmt.Fprintln(env.Stdout, "Money without a registry:")
	for _, d := range rep.Unmatched {
		fmt.Fprintf(env.Stdout, "  order %s of %s: %s from %s %s — %s\n", d.Number, d.Date.Format("02.01.2006"), bank.FormatAmount(d.Amount), d.PayerName, d.PayerAccount, d.Purpose)
	}
	return nil
}

func cmdRegistryWatch(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "registry watch", "registry watch [--interval 5s] [DIR]\n\nTakes in registry and statement files dropped into DIR (default "+registryInboxEnv+", else DATA_DIR/inbox) and processes\nthem in this process; taken files move to DIR/done, refused ones to DIR/failed with the reason.")
	interval := fs.Duration("interval", 5*time.Second, "time between scans")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	dir := cmp.Or(fs.Arg(0), cfg.Registry.Inbox)
	a, in, stop, err := registryApp(ctx, env, true, intake.Config{InboxDir: dir, InboxInterval: *interval, InboxSettle: cfg.Registry.InboxSettle})
	if err != nil {
		return err
	}
	defer stop()
	a.logger.Info("watching the registry inbox", "dir", dir, "interval", *interval)
	return in.RunInbox(ctx)
}

func cmdRegistryProfiles(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "registry profiles", "registry profiles [--json]")
	asJSON := fs.Bool("json", false, "print the profiles as JSON (the format of an operator profile file)")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	set, err := registryProfiles(env)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"profiles": set.All()})
	}
	for _, p := range set.All() {
		fmt.Fprintf(env.Stdout, "%-20s %2d fields, bank %s: %s\n", p.ID(), p.Fields, p.Bank, p.Description)
	}
	return nil
}

func cmdRegistryGenerate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "registry generate", "registry generate --out FILE [--statement FILE] [--lines N] [--accounts N] [--date YYYY-MM-DD] [--first-operation N]")
	out := fs.String("out", "", "file to write (cp1251, CRLF)")
	lines := fs.Int("lines", 1_000_000, "payment lines")
	accounts := fs.Int("accounts", 100_000, "pay at most this many of the database's open accounts")
	date := fs.String("date", "", "payment date (default yesterday)")
	first := fs.Int64("first-operation", 0, "first operation id (default: derived from the clock, so runs do not collide)")
	seed := fs.Uint64("seed", 1, "random seed")
	stmt := fs.String("statement", "", "also write the bank statement (1CClientBankExchange) whose payment order brings this registry's money")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if *out == "" {
		return apperr.Invalidf("registry generate", "--out is required")
	}
	day := time.Now().AddDate(0, 0, -1)
	if *date != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, *date); err != nil {
			return apperr.Invalidf("registry generate", "--date %q: want YYYY-MM-DD", *date)
		}
	}
	if *first == 0 {
		*first = time.Now().Unix() * 10_000_000
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	nums, err := store.AccountNumbers(ctx, a.pool, *accounts)
	if err != nil {
		return err
	}
	if len(nums) == 0 {
		return apperr.Invalidf("registry generate", "the database has no open accounts; run `zhkhgate load-demo` first")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	tot, err := bank.GenerateSber(f, bank.GenerateOptions{Lines: *lines, Accounts: nums, Date: day, Seed: *seed, FirstOperation: *first,
		OrderNumber: fmt.Sprint(100000 + uint64(*first)*2654435761%900000)}) // each generated registry its own payment order
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d payments to %d accounts, %s to transfer\n", *out, tot.Count, len(nums), bank.FormatAmount(tot.Transfer))
	if *stmt != "" {
		if err := writeDemoStatement(*stmt, tot); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: statement with payment order %s of %s for %s\n", *stmt, tot.OrderNumber,
			tot.OrderDate.Format("02.01.2006"), bank.FormatAmount(tot.Transfer))
	}
	return nil
}

// demoAccount is the settlement center's synthetic bank account (it
// passes the Bank of Russia control-key check).
const demoAccount = "40702810600000012345"

func writeDemoStatement(name string, tot bank.Totals) error {
	d := tot.OrderDate
	st := &bank.Statement{Sender: "ПАО ТЕСТБАНК", Created: d, From: d, To: d, Accounts: []string{demoAccount},
		Balances: []bank.AccountBalance{{Account: demoAccount, From: d, To: d, Incoming: tot.Transfer, Closing: tot.Transfer}},
		Documents: []bank.Document{{Kind: "Платежное поручение", Number: tot.OrderNumber, Date: d, Amount: tot.Transfer,
			PayerName: "ПАО СБЕРБАНК", PayerAccount: "30233810000000000001", PayeeAccount: demoAccount, Received: d,
			Purpose: fmt.Sprintf("Перечисление денежных средств по реестру EPS от %s, п/п %s", d.AddDate(0, 0, -1).Format("02.01.2006"), tot.OrderNumber)}}}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	err = bank.WriteStatement(f, st)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// registryInboxEnv names the inbox directory `run`, `worker` and `demo`
// watch (read by internal/config; named here in messages).
const registryInboxEnv = "ZHKHGATE_REGISTRY_INBOX"

// newIntake builds the intake over queue with the process's registry
// profiles.
func (a *app) newIntake(queue intake.Queue, cfg intake.Config) (*intake.Intake, error) {
	return intake.New(cfg, intake.Deps{Pool: a.pool, Queue: queue, Profiles: a.deps.profiles, Logger: a.logger})
}

// startRegistryInbox watches the registry inbox in the background until
// ctx ends; files go through client's intake and are processed by
// whichever worker takes the bank queue.
func (a *app) startRegistryInbox(ctx context.Context, client *jobs.Client) error {
	dir := a.cfg.Registry.Inbox
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%s: %w", registryInboxEnv, err)
	}
	in, err := a.newIntake(client, intake.Config{InboxDir: dir, InboxSettle: a.cfg.Registry.InboxSettle})
	if err != nil {
		return err
	}
	go func() {
		if err := in.RunInbox(ctx); err != nil {
			a.logger.Error("registry inbox stopped", "dir", dir, "error", err)
		}
	}()
	a.logger.Info("watching the registry inbox", "dir", dir)
	return nil
}
