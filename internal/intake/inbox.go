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
// by a bank's transport (SFTP, mail robot). After intake a file moves to
// done/ (prefixed with its registry or statement id), or to failed/ with a
// .error.txt beside it when it cannot be taken in. Files that fail for a
// passing reason (database down) stay for the next scan.

// inboxState is what the inbox remembers between scans.
type inboxState struct {
	mu   sync.Mutex
	seen map[string]fileSeen
}

// fileSeen is a file as a scan saw it.
type fileSeen struct {
	size  int64
	mtime time.Time
	since time.Time // when this size and mtime were first seen
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

// ScanInbox takes in every settled file once.
func (in *Intake) ScanInbox(ctx context.Context) ([]InboxItem, error) {
	dir := in.cfg.InboxDir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("registry inbox: %w", err)
	}
	var out []InboxItem
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil || in.deps.Now().Sub(info.ModTime()) < in.cfg.InboxSettle {
			continue
		}
		item := in.take(ctx, filepath.Join(dir, e.Name()))
		out = append(out, item)
		log := in.deps.Logger.With("file", e.Name(), "id", item.ID, "statement", item.Statement, "duplicate", item.Duplicate)
		switch {
		case item.Err == nil:
			log.InfoContext(ctx, "registry inbox: taken in")
		case apperr.Is(item.Err, apperr.Invalid):
			log.WarnContext(ctx, "registry inbox: refused", "error", item.Err)
		default:
			log.WarnContext(ctx, "registry inbox: will retry", "error", item.Err)
		}
	}
	return out, nil
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
	if item.Statement {
		var res StatementImport
		res, item.Err = in.ImportStatement(ctx, f, path)
		item.ID, item.Duplicate = res.StatementID, res.Duplicate
	} else {
		var res RegistryImport
		res, item.Err = in.ImportRegistry(ctx, f, path, store.IntakeInbox, RegistryOptions{})
		item.ID, item.Duplicate = res.RegistryID, res.Duplicate
	}
	f.Close()
	switch {
	case item.Err == nil:
		prefix := "registry"
		if item.Statement {
			prefix = "statement"
		}
		if item.Duplicate {
			prefix += "-duplicate"
		}
		item.Err = os.Rename(path, filepath.Join(dir, "done", fmt.Sprintf("%s-%d-%s", prefix, item.ID, item.File)))
	case apperr.Is(item.Err, apperr.Invalid):
		dst := filepath.Join(dir, "failed", item.File)
		if err := os.Rename(path, dst); err == nil {
			_ = os.WriteFile(dst+".error.txt", []byte(apperr.UserMessage(item.Err)+"\n"), 0o640)
		}
	}
	return item
}
