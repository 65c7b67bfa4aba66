package intake

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// RegistryOptions say how a registry is to be read.
type RegistryOptions struct {
	// Profile is the format profile (name or name@version); "" lets
	// processing guess it from the content.
	Profile string
	// OrgID limits the account match to one organization's accounts (for
	// centers where account numbers repeat across organizations); nil
	// matches all.
	OrgID *int64
}

// RegistryImport says what ImportRegistry did with a file.
type RegistryImport struct {
	RegistryID int64
	// Duplicate is true when the same bytes were imported before: nothing
	// was stored or enqueued, RegistryID is the earlier registry.
	Duplicate bool
	// Requeued is true when the same bytes had been rejected and are now
	// processed again with the profile asked for this time.
	Requeued bool
	// JobID is the processing job enqueued (0 for a duplicate).
	JobID int64
}

// ImportRegistry stores f (named name, arriving through door: one of the
// store.Intake* names) and enqueues its processing, in one transaction. f is
// read twice: once to hash it, once to store it; a file that changes in
// between is refused.
func (in *Intake) ImportRegistry(ctx context.Context, f io.ReadSeeker, name, door string, opt RegistryOptions) (RegistryImport, error) {
	name = filepath.Base(name)
	profile := opt.Profile
	if profile != "" {
		p, err := in.deps.Profiles.Get(profile)
		if err != nil {
			return RegistryImport{}, apperr.Invalidf("import registry "+name, "%v", err)
		}
		profile = p.ID()
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return RegistryImport{}, fmt.Errorf("import registry %s: read: %w", name, err)
	}
	sum := h.Sum(nil)
	if reg, found, err := store.RegistryBySHA256(ctx, in.deps.Pool, sum); err != nil {
		return RegistryImport{}, err
	} else if found {
		if reg.State == store.RegistryRejected && profile != "" && profile != reg.Profile {
			return in.Requeue(ctx, reg.ID, profile)
		}
		return RegistryImport{RegistryID: reg.ID, Duplicate: true}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return RegistryImport{}, fmt.Errorf("import registry %s: rewind: %w", name, err)
	}
	tx, err := in.deps.Pool.Begin(ctx)
	if err != nil {
		return RegistryImport{}, fmt.Errorf("import registry %s: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	id, err := store.CreateRegistry(ctx, tx, store.NewRegistry{SHA256: sum, FileName: name, SizeBytes: size, Intake: door, Profile: profile, OrgID: opt.OrgID}, f)
	if errors.Is(err, store.ErrDuplicateFile) {
		// Imported concurrently by another door.
		reg, found, err2 := store.RegistryBySHA256(ctx, in.deps.Pool, sum)
		if err2 == nil && found {
			return RegistryImport{RegistryID: reg.ID, Duplicate: true}, nil
		}
		return RegistryImport{}, err
	}
	if err != nil {
		return RegistryImport{}, err
	}
	res, err := in.deps.Queue.InsertTx(ctx, tx, jobs.RegistryProcessArgs{RegistryID: id}, nil)
	if err != nil {
		return RegistryImport{}, fmt.Errorf("import registry %s: enqueue: %w", name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return RegistryImport{}, fmt.Errorf("import registry %s: commit: %w", name, err)
	}
	return RegistryImport{RegistryID: id, JobID: res.Job.ID}, nil
}

// Requeue processes a rejected registry again with another profile.
func (in *Intake) Requeue(ctx context.Context, id int64, profile string) (RegistryImport, error) {
	if profile == "" {
		return RegistryImport{}, apperr.Invalidf("read registry again", "name the profile to read it with")
	}
	tx, err := in.deps.Pool.Begin(ctx)
	if err != nil {
		return RegistryImport{}, fmt.Errorf("requeue registry %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := store.RequeueRejectedRegistry(ctx, tx, id, profile); err != nil {
		return RegistryImport{}, err
	}
	res, err := in.deps.Queue.InsertTx(ctx, tx, jobs.RegistryProcessArgs{RegistryID: id}, nil)
	if err != nil {
		return RegistryImport{}, fmt.Errorf("requeue registry %d: enqueue: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return RegistryImport{}, fmt.Errorf("requeue registry %d: commit: %w", id, err)
	}
	return RegistryImport{RegistryID: id, Requeued: true, JobID: res.Job.ID}, nil
}

// Wait polls until registry id is processed, or its job gives up
// (cancelled, discarded, or failed and waiting to retry: then the error is
// the job's last one). jobID 0 watches the registry's state only.
func (in *Intake) Wait(ctx context.Context, id, jobID int64) (store.Registry, error) {
	tick := time.NewTicker(in.cfg.WaitPoll)
	defer tick.Stop()
	for {
		state, err := store.RegistryState(ctx, in.deps.Pool, id)
		if err != nil {
			return store.Registry{}, err
		}
		if state != store.RegistryReceived {
			return store.GetRegistry(ctx, in.deps.Pool, id)
		}
		if jobID != 0 {
			job, err := in.deps.Queue.JobGet(ctx, jobID)
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
