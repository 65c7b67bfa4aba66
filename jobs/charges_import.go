package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/connectors/billing"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindChargesImport is the kind of ChargesImportArgs.
const KindChargesImport = "charges_import"

// ChargesImportArgs asks for a stored charge file to be read, validated
// and applied as a version of its organization's period.
type ChargesImportArgs struct {
	FileID int64 `json:"file_id"`
}

// Kind implements river.JobArgs.
func (ChargesImportArgs) Kind() string { return KindChargesImport }

// chargesUniqueStates keep one live job per file, while letting a rejected
// file that is requeued be processed again.
var chargesUniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// InsertOpts puts charge files on the bank queue (file intake), one job per file.
func (ChargesImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueBank, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: chargesUniqueStates}}
}

// chargesTimeout allows for million-line files; it must stay within
// RescueAfter.
const chargesTimeout = time.Hour

// ChargesImportWorker processes one charge file in one transaction that
// also completes the job: stream the stored file through the billing
// reader into a staging table (COPY), then either reject it whole (nothing
// applied, reason stored), record it as a duplicate of an accepted file
// with the same charges, or match it set-based to accounts and services,
// quarantine what cannot be applied, and write it as the period's next
// version.
type ChargesImportWorker struct {
	river.WorkerDefaults[ChargesImportArgs]
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Policy decides when quarantine rejects a file; zero: store.DefaultQuarantinePolicy.
	Policy store.QuarantinePolicy
	// failAfterApply, in tests, fails the job after everything was written
	// but before the commit: a crash at the worst moment.
	failAfterApply func() error
}

// Timeout allows for million-line files.
func (w *ChargesImportWorker) Timeout(*river.Job[ChargesImportArgs]) time.Duration {
	return chargesTimeout
}

// Work implements river.Worker.
func (w *ChargesImportWorker) Work(ctx context.Context, job *river.Job[ChargesImportArgs]) error {
	id := job.Args.FileID
	return completeWith(ctx, w.Pool, job, fmt.Sprintf("import charge file %d", id), func(tx pgx.Tx) error {
		return w.process(ctx, tx, id)
	})
}

func (w *ChargesImportWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

func (w *ChargesImportWorker) process(ctx context.Context, tx pgx.Tx, id int64) error {
	op := fmt.Sprintf("import charge file %d", id)
	f, err := store.GetChargeFileForUpdate(ctx, tx, id)
	if err != nil {
		return err
	}
	if f.Final() {
		return nil // processed already (a retry after a lost commit acknowledgement)
	}
	start := time.Now()
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '128MB'`); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	r, err := billing.Open(store.ChargeFileContent(ctx, w.Pool, id), f.FileName)
	var re *billing.RejectedError
	if errors.As(err, &re) {
		return w.finish(ctx, tx, f, rejected(r.Summary(), billing.ProblemsText(re.Problems)))
	}
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, op, err)
	}
	staging, err := tx.Begin(ctx) // a savepoint: a rejected file leaves nothing staged
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	stageStart := time.Now()
	if _, err := store.StageCharges(ctx, staging, chargeRows(r)); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	sum := r.Summary()
	out := store.ChargeFileOutcome{Format: sum.Format, Encoding: sum.Encoding}
	reject := func(reason string) error {
		if err := staging.Rollback(ctx); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		o := rejected(sum, reason)
		o.OrgID, o.Period, o.Result = out.OrgID, out.Period, out.Result
		return w.finish(ctx, tx, f, o)
	}
	if sum.Rejected() {
		return reject(billing.ProblemsText(sum.Problems))
	}
	orgID, period, why, err := target(ctx, tx, f, sum)
	if err != nil {
		return err
	}
	if why != "" {
		return reject(why)
	}
	out.OrgID, out.Period, out.ContentSHA256 = &orgID, &period, sum.ContentSHA256
	if err := store.LockChargePeriod(ctx, tx, orgID, period); err != nil {
		return err
	}
	month := period.Format("2006-01")
	if dup, found, err := store.ChargeFileByContent(ctx, tx, orgID, period, sum.ContentSHA256); err != nil {
		return err
	} else if found {
		if err := staging.Rollback(ctx); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		out.State, out.DuplicateOf, out.ContentSHA256 = store.ChargeFileDuplicate, &dup.FileID, nil
		out.Report = map[string]any{"summary": sum, "duplicate_of": dup}
		return w.finish(ctx, tx, f, out)
	}
	versions, err := store.ChargeVersions(ctx, tx, orgID, period)
	if err != nil {
		return err
	}
	var prev *int64
	version := 1
	if n := len(versions); n > 0 {
		cur := versions[n-1]
		if !f.NewVersion {
			return reject(fmt.Sprintf("%s already has charges version %d (file %q, id %d) for this organization; "+
				"a second file for the period is taken only as a new version: import it again with --new-version", month, cur.Version, cur.FileName, cur.FileID))
		}
		prev, version = &cur.FileID, cur.Version+1
	}
	if n, err := store.ChargesWithoutFile(ctx, tx, orgID, period); err != nil {
		return err
	} else if n > 0 {
		return reject(fmt.Sprintf("%s already has %d charges of this organization that were not loaded from a charge file; a charge file does not replace them", month, n))
	}
	pol := w.Policy
	if pol == (store.QuarantinePolicy{}) {
		pol = store.DefaultQuarantinePolicy
	}
	applyStart := time.Now()
	res, err := store.ApplyStagedCharges(ctx, staging, id, orgID, period, version, prev, pol)
	if err != nil {
		return err
	}
	applyDur := time.Since(applyStart)
	out.Result = res
	if res.Rejected != "" {
		return reject(res.Rejected)
	}
	if err := staging.Commit(ctx); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	out.State, out.Version = store.ChargeFileAccepted, &version
	if res.Quarantined > 0 {
		out.State = store.ChargeFileAcceptedWithQuarantine
	}
	out.Report = map[string]any{"summary": sum, "result": res, "version": version, "previous_file": prev}
	if w.failAfterApply != nil {
		if err := w.failAfterApply(); err != nil {
			return err
		}
	}
	if err := w.finish(ctx, tx, f, out); err != nil {
		return err
	}
	w.logger().InfoContext(ctx, "charge file imported", "file", id, "name", f.FileName, "org", orgID, "period", month,
		"version", version, "state", out.State, "applied", res.Applied, "quarantined", res.Quarantined,
		"duration", time.Since(start).Round(time.Millisecond), "stage", applyStart.Sub(stageStart).Round(time.Millisecond),
		"apply", applyDur.Round(time.Millisecond))
	return nil
}

// target decides the organization and period a file is for: what intake
// asked and what the file says must agree, and one of them must say it.
// why is non-empty when the file must be rejected.
func target(ctx context.Context, db store.DBTX, f store.ChargeFile, sum *billing.Summary) (orgID int64, period time.Time, why string, err error) {
	switch {
	case sum.INN != "":
		id, err := store.OrganizationIDByINN(ctx, db, sum.INN)
		if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
			return 0, time.Time{}, fmt.Sprintf("unknown organization: the file names INN %s: %s", sum.INN, apperr.UserMessage(err)), nil
		}
		if err != nil {
			return 0, time.Time{}, "", err
		}
		if f.OrgID != nil && *f.OrgID != id {
			return 0, time.Time{}, fmt.Sprintf("the file names the organization with INN %s (id %d), the import asked for organization %d", sum.INN, id, *f.OrgID), nil
		}
		orgID = id
	case f.OrgID != nil:
		orgID = *f.OrgID
	default:
		return 0, time.Time{}, "the organization is unknown: the file has no INN (#inn= / \"inn\") and none was given (--org)", nil
	}
	switch {
	case !sum.Period.IsZero():
		if f.Period != nil && !f.Period.Equal(sum.Period) {
			return 0, time.Time{}, fmt.Sprintf("the file is for %s, the import asked for %s", sum.Period.Format("2006-01"), f.Period.Format("2006-01")), nil
		}
		period = sum.Period
	case f.Period != nil:
		period = *f.Period
	default:
		return 0, time.Time{}, "the period is unknown: the file has no period (#period= / \"period\") and none was given (--period)", nil
	}
	return orgID, period, "", nil
}

func rejected(sum *billing.Summary, reason string) store.ChargeFileOutcome {
	return store.ChargeFileOutcome{State: store.ChargeFileRejected, RejectReason: reason, Format: sum.Format,
		Encoding: sum.Encoding, Report: map[string]any{"summary": sum}}
}

// finish writes the verdict and audits it, in the job's transaction.
func (w *ChargesImportWorker) finish(ctx context.Context, tx pgx.Tx, f store.ChargeFile, o store.ChargeFileOutcome) error {
	if err := store.FinishChargeFile(ctx, tx, f.ID, o); err != nil {
		return err
	}
	details := map[string]any{"state": o.State, "lines": o.Result.Lines, "applied": o.Result.Applied, "quarantined": o.Result.Quarantined}
	if o.Version != nil {
		details["version"] = *o.Version
	}
	if o.RejectReason != "" {
		details["reason"] = o.RejectReason
		w.logger().WarnContext(ctx, "charge file rejected", "file", f.ID, "name", f.FileName, "reason", o.RejectReason)
	}
	return store.Audit(ctx, tx, store.AuditEntry{ActorKind: "system", Action: "charges.imported",
		ObjectKind: "charge_file", ObjectID: strconv.FormatInt(f.ID, 10), Details: details})
}

// chargeRows adapts the reader to the store's row source.
func chargeRows(r *billing.Reader) func() (*model.ChargeLine, error) {
	return func() (*model.ChargeLine, error) {
		l, err := r.Next()
		var le *billing.LineError
		var re *billing.RejectedError
		switch {
		case errors.Is(err, io.EOF), errors.As(err, &re):
			return nil, nil // the summary tells which
		case errors.As(err, &le):
			return &model.ChargeLine{Line: le.Line, Raw: le.Raw, Problem: le.Reason(), AccountNumber: le.Account, ServiceCode: le.Service}, nil
		case err != nil:
			return nil, err
		}
		s := &model.ChargeLine{Line: l.Line, Raw: l.Raw, AccountNumber: l.Account, ServiceCode: l.Service, Unit: l.Unit,
			Tariff: l.Tariff, Volume: l.Volume, CommonVolume: l.CommonVolume, Amount: l.Charged,
			Recalculation: l.Recalculation, RecalcReason: l.RecalcReason, Benefit: l.Benefit, Total: l.Total, Calc: l.Calc}
		s.Norm = l.Norm
		return s, nil
	}
}
