package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/bankpay"
)

// KindRegistryProcess is the kind of RegistryProcessArgs.
const KindRegistryProcess = "registry_process"

// RegistryProcessArgs asks for a stored registry file to be read,
// validated and posted.
type RegistryProcessArgs struct {
	RegistryID int64 `json:"registry_id"`
}

// Kind implements river.JobArgs.
func (RegistryProcessArgs) Kind() string { return KindRegistryProcess }

// InsertOpts puts registries on the bank queue, one job per registry.
func (RegistryProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBank, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: registryUniqueStates}}
}

// RegistryProcessWorker processes one registry in one transaction: stream
// the stored file through its profile's reader and the mapping into a
// staging table (COPY), then either reject the file whole (nothing
// applied, reason stored) or merge it into payments set-based, quarantine
// what cannot be posted, reconcile, enqueue the follow-up job and complete
// itself — all in the same commit.
type RegistryProcessWorker struct {
	river.WorkerDefaults[RegistryProcessArgs]
	Pool     *pgxpool.Pool
	Profiles *bank.Set
	Logger   *slog.Logger
	// NotifyGIS enqueues the GIS ZhKH payment notices of posted payments
	// (set when the GIS exchange is configured).
	NotifyGIS bool
	// Now is the clock payments are judged by (future dates); time.Now when nil.
	Now func() time.Time
}

// NewRegistryProcessWorker builds the worker from the shared dependencies;
// without configured profiles it uses the built-in ones.
func NewRegistryProcessWorker(deps Deps) *RegistryProcessWorker {
	w := &RegistryProcessWorker{Pool: deps.Pool, Profiles: deps.RegistryProfiles, Logger: deps.Logger, NotifyGIS: deps.GIS != nil}
	if w.Profiles == nil {
		w.Profiles = bank.NewSet(bank.Builtin()...)
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	return w
}

// registryUniqueStates keep one live job per registry, while letting a
// registry that was processed be processed again (after a requeue).
var registryUniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// registryTimeout allows for million-line files; RescueAfter must exceed it.
const registryTimeout = time.Hour

// Timeout allows for million-line files.
func (w *RegistryProcessWorker) Timeout(*river.Job[RegistryProcessArgs]) time.Duration {
	return registryTimeout
}

// Work implements river.Worker.
func (w *RegistryProcessWorker) Work(ctx context.Context, job *river.Job[RegistryProcessArgs]) error {
	return Edge(w.process(ctx, job))
}

func (w *RegistryProcessWorker) process(ctx context.Context, job *river.Job[RegistryProcessArgs]) error {
	id := job.Args.RegistryID
	// A connection of its own, so the staging table gets the session
	// settings a million rows need.
	cfg := w.Pool.Config().ConnConfig.Copy()
	for k, v := range store.BulkSessionParams() {
		cfg.RuntimeParams[k] = v
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, fmt.Sprintf("process registry %d: connect", id), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("process registry %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	reg, err := store.GetRegistryForUpdate(ctx, tx, id)
	if err != nil {
		return err
	}
	if reg.Final() {
		// Processed already (a retry after a lost commit acknowledgement).
		return w.complete(ctx, tx, job)
	}
	start := time.Now()
	profile, err := w.profileFor(ctx, reg)
	if apperr.Is(err, apperr.Unavailable) {
		return err // the file could not be read now: retry
	}
	if err != nil {
		return w.reject(ctx, tx, job, reg, nil, "", err.Error())
	}
	r, err := bank.NewReader(store.RegistryContent(ctx, w.Pool, id), reg.FileName, profile)
	if err != nil {
		var re *bank.RejectedError
		if errors.As(err, &re) {
			return w.reject(ctx, tx, job, reg, r.Summary(), profile.ID(), problemsText(re.Problems))
		}
		return fmt.Errorf("process registry %d: %w", id, err)
	}
	staging, err := tx.Begin(ctx) // a savepoint: a rejected file leaves nothing staged
	if err != nil {
		return fmt.Errorf("process registry %d: %w", id, err)
	}
	stageStart := time.Now()
	lines := bankpay.NewLines(r, profile, bankpay.Rules{Today: w.now()})
	// Reading and mapping run ahead in their own goroutine while COPY
	// sends; stop waits for it, so the summary and order are complete.
	pull, stop := bank.ReadAhead(lines.Next)
	stats, err := store.StageRegistryRows(ctx, staging, pull)
	stop()
	if err != nil {
		return fmt.Errorf("process registry %d: %w", id, err)
	}
	sum := r.Summary()
	if sum.Rejected() {
		if err := staging.Rollback(ctx); err != nil {
			return fmt.Errorf("process registry %d: %w", id, err)
		}
		return w.reject(ctx, tx, job, reg, sum, profile.ID(), problemsText(sum.Problems))
	}
	postStart := time.Now()
	res, err := store.PostStagedRegistry(ctx, staging, id, profile.Bank, reg.OrgID, stats)
	if err != nil {
		return err
	}
	postDur := time.Since(postStart)
	if err := staging.Commit(ctx); err != nil {
		return fmt.Errorf("process registry %d: %w", id, err)
	}
	if err := w.fillIssueText(ctx, tx, reg, profile); err != nil {
		return err
	}
	out := outcome(sum, profile)
	if number, date, ok := lines.Order(); out.OrderNumber == "" && ok {
		// No totals line, but every line names the same payment order.
		out.OrderNumber, out.OrderDate = number, &date
	}
	out.Posted = res
	out.State = store.RegistryAccepted
	if res.Quarantined > 0 || res.Duplicates > 0 {
		// Duplicates are flagged for an operator's eye like quarantine.
		out.State = store.RegistryAcceptedWithQuarantine
	}
	if _, err := store.MatchRegistryOnlinePayments(ctx, tx, id); err != nil {
		return err
	}
	if err := store.FinishRegistry(ctx, tx, id, out); err != nil {
		return err
	}
	if err := auditRegistry(ctx, tx, id, out); err != nil {
		return err
	}
	if _, err := store.Reconcile(ctx, tx); err != nil {
		return err
	}
	if res.Posted > 0 {
		if err := w.enqueueFollowUps(ctx, tx, id); err != nil {
			return err
		}
	}
	if err := w.complete(ctx, tx, job); err != nil {
		return err
	}
	w.Logger.InfoContext(ctx, "registry processed", "registry", id, "file", reg.FileName, "profile", profile.ID(),
		"state", out.State, "posted", res.Posted, "duplicates", res.Duplicates, "quarantined", res.Quarantined,
		"readings", res.Readings, "duration", time.Since(start).Round(time.Millisecond),
		"stage", postStart.Sub(stageStart).Round(time.Millisecond), "post", postDur.Round(time.Millisecond))
	return nil
}

// enqueueFollowUps inserts, in the posting transaction, the jobs that
// follow posted payments: residents' notifications, the balance refresh
// and, when GIS ZhKH is configured, the payment notices for each
// organization and month.
func (w *RegistryProcessWorker) enqueueFollowUps(ctx context.Context, tx pgx.Tx, id int64) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	if _, err := client.InsertTx(ctx, tx, RegistryPostedArgs{RegistryID: id}, nil); err != nil {
		return fmt.Errorf("process registry %d: enqueue notifications: %w", id, err)
	}
	if _, err := client.InsertTx(ctx, tx, BalanceRefreshArgs{RegistryID: id}, nil); err != nil {
		return fmt.Errorf("process registry %d: enqueue balance refresh: %w", id, err)
	}
	if !w.NotifyGIS {
		return nil
	}
	months, err := store.RegistryPaymentMonths(ctx, tx, id)
	if err != nil {
		return err
	}
	for _, m := range months {
		args := GISSyncArgs{OrgID: m.OrgID, What: GISWhatPayments, Period: m.Month.Format("2006-01")}
		if _, err := client.InsertTx(ctx, tx, args, nil); err != nil {
			return fmt.Errorf("process registry %d: enqueue GIS payment notices: %w", id, err)
		}
	}
	return nil
}

func (w *RegistryProcessWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *RegistryProcessWorker) complete(ctx context.Context, tx pgx.Tx, job *river.Job[RegistryProcessArgs]) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("process registry %d: complete job: %w", job.Args.RegistryID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("process registry %d: commit: %w", job.Args.RegistryID, err)
	}
	return nil
}

// reject stores the verdict of a file that must not be applied, and
// completes the job: a rejected file is a result, not a failure to retry.
func (w *RegistryProcessWorker) reject(ctx context.Context, tx pgx.Tx, job *river.Job[RegistryProcessArgs], reg store.Registry, sum *bank.Summary, profile, reason string) error {
	out := store.RegistryOutcome{Profile: profile, Summary: map[string]any{}}
	if sum != nil {
		out = outcome(sum, nil)
		out.Profile = profile
	}
	out.State, out.RejectReason = store.RegistryRejected, reason
	if err := store.FinishRegistry(ctx, tx, reg.ID, out); err != nil {
		return err
	}
	if err := auditRegistry(ctx, tx, reg.ID, out); err != nil {
		return err
	}
	if err := w.complete(ctx, tx, job); err != nil {
		return err
	}
	w.Logger.WarnContext(ctx, "registry rejected", "registry", reg.ID, "file", reg.FileName, "reason", reason)
	return nil
}

// profileFor returns the profile asked for at intake, or guesses it from
// the file's first bytes.
func (w *RegistryProcessWorker) profileFor(ctx context.Context, reg store.Registry) (*bank.Profile, error) {
	if reg.Profile != "" {
		return w.Profiles.Get(reg.Profile)
	}
	sample := make([]byte, 64<<10)
	n, err := io.ReadFull(store.RegistryContent(ctx, w.Pool, reg.ID), sample)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, apperr.Wrap(apperr.Unavailable, "read registry", err)
	}
	return bank.Guess(sample[:n], w.Profiles.All())
}

// fillIssueText gives the lines judged in SQL (unknown accounts,
// duplicates), staged without their text to keep the million-line path
// lean, their text from the stored file, written in batches.
func (w *RegistryProcessWorker) fillIssueText(ctx context.Context, tx pgx.Tx, reg store.Registry, p *bank.Profile) error {
	lines, err := store.IssuesWithoutRaw(ctx, tx, reg.ID)
	if err != nil || len(lines) == 0 {
		return err
	}
	r, err := bank.NewReader(store.RegistryContent(ctx, w.Pool, reg.ID), reg.FileName, p)
	if err != nil {
		return fmt.Errorf("process registry %d: re-read for quarantine text: %w", reg.ID, err)
	}
	const batch = 5000
	var bl []int
	var braw []string
	flush := func() error {
		if len(bl) == 0 {
			return nil
		}
		err := store.SetIssueRaws(ctx, tx, reg.ID, bl, braw)
		bl, braw = bl[:0], braw[:0]
		return err
	}
	err = bank.RawLines(r, lines, func(line int, raw string) error {
		if bl, braw = append(bl, line), append(braw, raw); len(bl) == batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("process registry %d: %w", reg.ID, err)
	}
	return flush()
}

// outcome copies the reader's summary into the registry's record.
func outcome(sum *bank.Summary, p *bank.Profile) store.RegistryOutcome {
	o := store.RegistryOutcome{
		Encoding: string(sum.Encoding), Lines: sum.Lines, RowsTotal: sum.PaymentLines,
		Amount: sum.Computed.Amount, Transfer: sum.Computed.Transfer, Commission: sum.Computed.Commission,
		Summary: sum,
	}
	if p != nil {
		o.Profile, o.Bank = p.ID(), p.Bank
		if !p.Has(bank.ColTransfer) {
			o.Transfer = sum.Computed.Amount // without the column the bank moves what was paid
		}
	}
	if t := sum.Totals; t != nil {
		o.OrderNumber = t.OrderNumber
		if !t.OrderDate.IsZero() {
			d := t.OrderDate
			o.OrderDate = &d
		}
		if t.HasTransfer {
			v := t.Transfer
			o.DeclaredTransfer = &v
		}
	}
	return o
}

// auditRegistry records the verdict in the audit log, in the same
// transaction, as an action of the system.
func auditRegistry(ctx context.Context, tx pgx.Tx, id int64, o store.RegistryOutcome) error {
	details := map[string]any{"state": o.State, "profile": o.Profile, "lines": o.RowsTotal, "posted": o.Posted.Posted,
		"duplicates": o.Posted.Duplicates, "quarantined": o.Posted.Quarantined}
	if o.RejectReason != "" {
		details["reason"] = o.RejectReason
	}
	return store.Audit(ctx, tx, store.AuditEntry{ActorKind: "system", Action: "registry.processed",
		ObjectKind: "registry", ObjectID: strconv.FormatInt(id, 10), Details: details})
}

func problemsText(ps []bank.FileProblem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}
