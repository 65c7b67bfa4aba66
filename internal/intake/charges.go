// Package intake is the door files come in through: the raw file is stored
// with its SHA-256 first, in the transaction that enqueues the job that
// processes it, so a file is never lost between the two and the same file
// twice adds nothing.
package intake

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// Inserter enqueues jobs in a caller's transaction (*jobs.Client is one).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Charges takes in monthly charge files.
type Charges struct {
	Pool *pgxpool.Pool
	Jobs Inserter
}

// ChargeOptions are what the operator says about a file at intake.
type ChargeOptions struct {
	Intake string     // store.IntakeCLI, IntakeUpload, IntakeInbox
	OrgID  *int64     // nil: the file names its organization (INN)
	Period *time.Time // nil: the file names its period
	// NewVersion accepts the file as the next version of a period that
	// already has one; without it a second file for the period is rejected.
	NewVersion bool
}

// ChargeImported says what Import did with a file.
type ChargeImported struct {
	FileID int64
	// Duplicate: the same bytes were imported before; nothing was stored
	// or enqueued and FileID is the earlier file.
	Duplicate bool
	// Requeued: the same bytes had been rejected and are processed again
	// because this time intake asked otherwise (organization, period, new
	// version).
	Requeued bool
	JobID    int64
}

// Import stores f (named name) and enqueues its charges_import job in one
// transaction. f is read twice: to hash it, then to store it; a file that
// changes in between is refused.
func (c *Charges) Import(ctx context.Context, f io.ReadSeeker, name string, opt ChargeOptions) (ChargeImported, error) {
	name = filepath.Base(name)
	op := "import charge file " + name
	if opt.Intake == "" {
		opt.Intake = store.IntakeCLI
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return ChargeImported{}, fmt.Errorf("%s: read: %w", op, err)
	}
	sum := h.Sum(nil)
	if prev, found, err := store.ChargeFileBySHA256(ctx, c.Pool, sum); err != nil {
		return ChargeImported{}, err
	} else if found {
		if prev.State == store.ChargeFileRejected && asksOtherwise(prev, opt) {
			return c.requeue(ctx, prev.ID, opt)
		}
		return ChargeImported{FileID: prev.ID, Duplicate: true}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ChargeImported{}, fmt.Errorf("%s: rewind: %w", op, err)
	}
	tx, err := c.Pool.Begin(ctx)
	if err != nil {
		return ChargeImported{}, fmt.Errorf("%s: %w", op, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	id, err := store.CreateChargeFile(ctx, tx, store.NewChargeFile{SHA256: sum, FileName: name, SizeBytes: size,
		Intake: opt.Intake, OrgID: opt.OrgID, Period: opt.Period, NewVersion: opt.NewVersion}, f)
	if errors.Is(err, store.ErrDuplicateFile) {
		// Imported concurrently through another door.
		if prev, found, err2 := store.ChargeFileBySHA256(ctx, c.Pool, sum); err2 == nil && found {
			return ChargeImported{FileID: prev.ID, Duplicate: true}, nil
		}
		return ChargeImported{}, err
	}
	if err != nil {
		return ChargeImported{}, err
	}
	res, err := c.Jobs.InsertTx(ctx, tx, jobs.ChargesImportArgs{FileID: id}, nil)
	if err != nil {
		return ChargeImported{}, fmt.Errorf("%s: enqueue: %w", op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ChargeImported{}, fmt.Errorf("%s: commit: %w", op, err)
	}
	return ChargeImported{FileID: id, JobID: res.Job.ID}, nil
}

// asksOtherwise reports whether opt asks for something the rejected file
// prev was not processed with: another organization or period, or a new
// version. Then the same bytes are read again; otherwise they stay rejected.
func asksOtherwise(prev store.ChargeFile, opt ChargeOptions) bool {
	differs := func(a, b *int64) bool { return a != nil && (b == nil || *a != *b) }
	return differs(opt.OrgID, prev.OrgID) ||
		(opt.Period != nil && (prev.Period == nil || !opt.Period.Equal(*prev.Period))) ||
		(opt.NewVersion && !prev.NewVersion)
}

func (c *Charges) requeue(ctx context.Context, id int64, opt ChargeOptions) (ChargeImported, error) {
	tx, err := c.Pool.Begin(ctx)
	if err != nil {
		return ChargeImported{}, fmt.Errorf("requeue charge file %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := store.RequeueChargeFile(ctx, tx, id, opt.OrgID, opt.Period, opt.NewVersion); err != nil {
		return ChargeImported{}, err
	}
	res, err := c.Jobs.InsertTx(ctx, tx, jobs.ChargesImportArgs{FileID: id}, nil)
	if err != nil {
		return ChargeImported{}, fmt.Errorf("requeue charge file %d: enqueue: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ChargeImported{}, fmt.Errorf("requeue charge file %d: commit: %w", id, err)
	}
	return ChargeImported{FileID: id, Requeued: true, JobID: res.Job.ID}, nil
}

// JobGetter reads a job's state (*jobs.Client is one).
type JobGetter interface {
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// WaitCharges polls until file id is processed, or its job gives up
// (cancelled, discarded, or failed and waiting to retry: the error is then
// the job's last one). tick is the polling interval.
func WaitCharges(ctx context.Context, pool *pgxpool.Pool, client JobGetter, id, jobID int64, tick time.Duration) (store.ChargeFile, error) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		state, err := store.ChargeFileStateOf(ctx, pool, id)
		if err != nil {
			return store.ChargeFile{}, err
		}
		if state != store.ChargeFileReceived {
			return store.GetChargeFile(ctx, pool, id)
		}
		if jobID != 0 && client != nil {
			job, err := client.JobGet(ctx, jobID)
			if err != nil {
				return store.ChargeFile{}, fmt.Errorf("charge file %d: job %d: %w", id, jobID, err)
			}
			if n := len(job.Errors); n > 0 && job.State != rivertype.JobStateRunning && job.State != rivertype.JobStateAvailable {
				return store.ChargeFile{}, apperr.E(apperr.Unavailable, "import charge file",
					fmt.Sprintf("charge file %d: processing failed (job %d, %s): %s", id, jobID, job.State, job.Errors[n-1].Error))
			}
		}
		select {
		case <-ctx.Done():
			return store.ChargeFile{}, ctx.Err()
		case <-t.C:
		}
	}
}
