package intake

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// The inbox watches a directory for registry and statement files dropped
// by a bank's transport (SFTP, mail robot). A file is taken only when it is
// complete, which the inbox knows in two ways:
//
//   - a name ending in .part is never taken: a transport that can writes
//     NAME.part and renames it to NAME when done (a rename is atomic);
//   - a file is taken once its size and modification time have stayed the
//     same for InboxSettle (30s), as seen by successive scans on the
//     intake's clock — so a writer pausing for less than that is waited for,
//     whatever times it sets on the file.
//
// Hidden files (.name) are left alone. A statement is decided at once: it
// moves to done/ (prefixed with its statement id) or, refused, to failed/
// with a .error.txt beside it. A registry stays in place until its
// processing has a verdict: accepted, it moves to done/ (prefixed with its
// registry id); rejected, to failed/ with the reason in a .error.txt.
// Files that fail for a passing reason (database down) stay for the next
// scan.

// inboxState is what the inbox remembers between scans.
type inboxState struct {
	mu   sync.Mutex
	seen map[string]fileSeen
}

// fileSeen is a file as scans saw it.
type fileSeen struct {
	size     int64
	mtime    time.Time
	since    time.Time // when this size and mtime were first seen, by the intake's clock
	registry int64     // taken in as this registry, waiting for its verdict
	dup      bool      // the registry was imported before from another file
}

// RunInbox scans the inbox directory until ctx ends.
func (in *Intake) RunInbox(ctx context.Context) error {
	if in.cfg.InboxDir == "" {
		return apperr.Invalidf("registry inbox", "no inbox directory configured")
	}
	for _, d := range []string{in.cfg.InboxDir, filepath.Join(in.cfg.InboxDir, "done"), filepath.Join(in.cfg.InboxDir, "failed")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("registry inbox: %w", err)
		}
	}
	t := time.NewTicker(in.cfg.InboxInterval)
	defer t.Stop()
	for {
		if _, err := in.ScanInbox(ctx); err != nil {
			in.deps.Logger.WarnContext(ctx, "registry inbox scan", "dir", in.cfg.InboxDir, "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// InboxItem is what one scan did with one file.
type InboxItem struct {
	File      string
	Statement bool
	ID        int64 // registry or statement id
	Duplicate bool
	Err       error
}

// ScanInbox takes in every complete file once, and files away registries
// taken earlier whose processing has ended.
func (in *Intake) ScanInbox(ctx context.Context) ([]InboxItem, error) {
	dir := in.cfg.InboxDir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("registry inbox: %w", err)
	}
	in.inbox.mu.Lock()
	defer in.inbox.mu.Unlock()
	now := in.deps.Now()
	present := map[string]bool{}
	var out []InboxItem
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".part") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		present[name] = true
		s, ok := in.inbox.seen[name]
		if !ok || s.size != info.Size() || !s.mtime.Equal(info.ModTime()) {
			in.inbox.seen[name] = fileSeen{size: info.Size(), mtime: info.ModTime(), since: now}
			continue
		}
		path := filepath.Join(dir, name)
		if s.registry != 0 {
			if err := in.fileRegistry(ctx, path, s.registry, s.dup); err != nil {
				in.deps.Logger.WarnContext(ctx, "registry inbox: will retry", "file", name, "registry", s.registry, "error", err)
			}
			continue
		}
		if now.Sub(s.since) < in.cfg.InboxSettle {
			continue
		}
		item := in.take(ctx, path)
		out = append(out, item)
		log := in.deps.Logger.With("file", name, "id", item.ID, "statement", item.Statement, "duplicate", item.Duplicate)
		switch {
		case item.Err == nil:
			log.InfoContext(ctx, "registry inbox: taken in")
			if !item.Statement {
				s.registry, s.dup = item.ID, item.Duplicate
				in.inbox.seen[name] = s
				if err := in.fileRegistry(ctx, path, item.ID, item.Duplicate); err != nil {
					log.WarnContext(ctx, "registry inbox: will retry", "error", err)
				}
			}
		case apperr.Is(item.Err, apperr.Invalid):
			log.WarnContext(ctx, "registry inbox: refused", "error", item.Err)
		default:
			log.WarnContext(ctx, "registry inbox: will retry", "error", item.Err)
		}
	}
	for name := range in.inbox.seen {
		if !present[name] {
			delete(in.inbox.seen, name)
		}
	}
	return out, nil
}

// fileRegistry moves a registry's file once its processing has a verdict:
// to done/, or to failed/ with the reason when it was rejected. A registry
// still waiting for a worker leaves the file where it is.
func (in *Intake) fileRegistry(ctx context.Context, path string, id int64, duplicate bool) error {
	reg, err := store.GetRegistry(ctx, in.deps.Pool, id)
	if err != nil || !reg.Final() {
		return err
	}
	name := filepath.Base(path)
	if reg.State == store.RegistryRejected {
		return moveFailed(path, filepath.Join(in.cfg.InboxDir, "failed"), fmt.Sprintf("registry %d rejected: %s", id, reg.RejectReason))
	}
	prefix := "registry"
	if duplicate {
		prefix += "-duplicate"
	}
	return os.Rename(path, filepath.Join(in.cfg.InboxDir, "done", fmt.Sprintf("%s-%d-%s", prefix, id, name)))
}

// moveFailed moves path into dir with its reason in NAME.error.txt.
func moveFailed(path, dir, reason string) error {
	dst := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(dst+".error.txt", []byte(reason+"\n"), 0o640); err != nil {
		return err
	}
	return os.Rename(path, dst)
}

func (in *Intake) take(ctx context.Context, path string) InboxItem {
	dir := in.cfg.InboxDir
	item := InboxItem{File: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		item.Err = err
		return item
	}
	head, _ := bufio.NewReader(f).Peek(len("1CClientBankExchange") + 3)
	item.Statement = bytes.Contains(head, []byte("1CClientBankExchange"))
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		item.Err = err
		return item
	}
	if !item.Statement {
		var res RegistryImport
		res, item.Err = in.ImportRegistry(ctx, f, path, store.IntakeInbox, RegistryOptions{})
		f.Close()
		item.ID, item.Duplicate = res.RegistryID, res.Duplicate
		return item
	}
	var res StatementImport
	res, item.Err = in.ImportStatement(ctx, f, path)
	f.Close()
	item.ID, item.Duplicate = res.StatementID, res.Duplicate
	switch {
	case item.Err == nil:
		prefix := "statement"
		if item.Duplicate {
			prefix += "-duplicate"
		}
		item.Err = os.Rename(path, filepath.Join(dir, "done", fmt.Sprintf("%s-%d-%s", prefix, item.ID, item.File)))
	case apperr.Is(item.Err, apperr.Invalid):
		if err := moveFailed(path, filepath.Join(dir, "failed"), apperr.UserMessage(item.Err)); err != nil {
			in.deps.Logger.WarnContext(ctx, "registry inbox: cannot move a refused file", "file", item.File, "error", err)
		}
	}
	return item
}
