package jobs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// RegistryIntake is the one door every registry file goes through, whether
// it comes from the command line, the console's upload page or the inbox
// directory: the raw file is stored with its SHA-256 first, then a
// RegistryProcessArgs job is enqueued in the same transaction.
type RegistryIntake struct {
	Pool     *pgxpool.Pool
	Jobs     *Client
	Profiles *bank.Set // the workers' profiles, to check a requested name early; nil: not checked
}

// Imported says what Import did with a file.
type Imported struct {
	RegistryID int64
	// Duplicate is true when the same bytes were imported before: nothing
	// was stored or enqueued, RegistryID is the earlier registry.
	Duplicate bool
	// Requeued is true when the same bytes had been rejected and are now
	// processed again with the profile asked for this time.
	Requeued bool
	JobID    int64
}

// registryUniqueStates keep one live job per registry, while letting a
// registry that was processed be processed again (after a requeue).
var registryUniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// Import stores f (named name) and enqueues its processing. profile may be
// "" to let processing guess it. f is read twice: once to hash it, once to
// store it; a file that changes in between is refused.
func (in *RegistryIntake) Import(ctx context.Context, f io.ReadSeeker, name, intake, profile string) (Imported, error) {
	return in.ImportFor(ctx, f, name, intake, profile, nil)
}

// ImportFor is Import for the registry of one organization: its lines are
// matched only to that organization's accounts (for centers where account
// numbers repeat across organizations). orgID nil matches all.
func (in *RegistryIntake) ImportFor(ctx context.Context, f io.ReadSeeker, name, intake, profile string, orgID *int64) (Imported, error) {
	name = filepath.Base(name)
	// Without the profiles the workers use, an unknown name is left to
	// processing, which rejects the file with the reason.
	if profile != "" && in.Profiles != nil {
		p, err := in.Profiles.Get(profile)
		if err != nil {
			return Imported{}, apperr.Invalidf("import registry "+name, "%v", err)
		}
		profile = p.ID()
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return Imported{}, fmt.Errorf("import registry %s: read: %w", name, err)
	}
	sum := h.Sum(nil)
	if reg, found, err := store.RegistryBySHA256(ctx, in.Pool, sum); err != nil {
		return Imported{}, err
	} else if found {
		if reg.State == store.RegistryRejected && profile != "" && profile != reg.Profile {
			return in.Requeue(ctx, reg.ID, profile)
		}
		return Imported{RegistryID: reg.ID, Duplicate: true}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Imported{}, fmt.Errorf("import registry %s: rewind: %w", name, err)
	}
	tx, err := in.Pool.Begin(ctx)
	if err != nil {
		return Imported{}, fmt.Errorf("import registry %s: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	id, err := store.CreateRegistry(ctx, tx, store.NewRegistry{SHA256: sum, FileName: name, SizeBytes: size, Intake: intake, Profile: profile, OrgID: orgID}, f)
	if errors.Is(err, store.ErrDuplicateFile) {
		// Imported concurrently by another door.
		reg, found, err2 := store.RegistryBySHA256(ctx, in.Pool, sum)
		if err2 == nil && found {
			return Imported{RegistryID: reg.ID, Duplicate: true}, nil
		}
		return Imported{}, err
	}
	if err != nil {
		return Imported{}, err
	}
	res, err := in.Jobs.InsertTx(ctx, tx, RegistryProcessArgs{RegistryID: id}, nil)
	if err != nil {
		return Imported{}, fmt.Errorf("import registry %s: enqueue: %w", name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Imported{}, fmt.Errorf("import registry %s: commit: %w", name, err)
	}
	return Imported{RegistryID: id, JobID: res.Job.ID}, nil
}

// Requeue processes a rejected registry again with another profile.
func (in *RegistryIntake) Requeue(ctx context.Context, id int64, profile string) (Imported, error) {
	if profile == "" {
		return Imported{}, apperr.Invalidf("read registry again", "name the profile to read it with")
	}
	tx, err := in.Pool.Begin(ctx)
	if err != nil {
		return Imported{}, fmt.Errorf("requeue registry %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := store.RequeueRejectedRegistry(ctx, tx, id, profile); err != nil {
		return Imported{}, err
	}
	res, err := in.Jobs.InsertTx(ctx, tx, RegistryProcessArgs{RegistryID: id}, nil)
	if err != nil {
		return Imported{}, fmt.Errorf("requeue registry %d: enqueue: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Imported{}, fmt.Errorf("requeue registry %d: commit: %w", id, err)
	}
	return Imported{RegistryID: id, Requeued: true, JobID: res.Job.ID}, nil
}

// WaitRegistry polls until registry id is processed, or its job gives up
// (cancelled, discarded, or failed and waiting to retry: then the error is
// the job's last one).
func WaitRegistry(ctx context.Context, pool *pgxpool.Pool, client *Client, id, jobID int64) (store.Registry, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		state, err := store.RegistryState(ctx, pool, id)
		if err != nil {
			return store.Registry{}, err
		}
		if state != store.RegistryReceived {
			return store.GetRegistry(ctx, pool, id)
		}
		if jobID != 0 {
			job, err := client.JobGet(ctx, jobID)
			if err != nil {
				return store.Registry{}, fmt.Errorf("registry %d: job %d: %w", id, jobID, err)
			}
			if n := len(job.Errors); n > 0 && job.State != "running" && job.State != "available" {
				return store.Registry{}, fmt.Errorf("registry %d: processing failed (job %d, %s): %s", id, jobID, job.State, job.Errors[n-1].Error)
			}
		}
		select {
		case <-ctx.Done():
			return store.Registry{}, ctx.Err()
		case <-tick.C:
		}
	}
}
