package jobs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Inbox watches a directory for registry and statement files dropped by a
// bank's transport (SFTP, mail robot). A file is taken once it has not
// changed for Settle; after intake it moves to done/ (prefixed with its
// registry or statement id), or to failed/ with a .error.txt beside it when
// it cannot be taken in. Files that fail for a passing reason (database
// down) stay for the next scan.
type Inbox struct {
	Dir      string
	Intake   *RegistryIntake
	Logger   *slog.Logger
	Interval time.Duration // between scans; default 5s
	Settle   time.Duration // quiet time before a file is taken; default 2s
	Now      func() time.Time
}

// Run scans until ctx ends.
func (in *Inbox) Run(ctx context.Context) error {
	interval := in.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	for _, d := range []string{in.Dir, filepath.Join(in.Dir, "done"), filepath.Join(in.Dir, "failed")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("registry inbox: %w", err)
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := in.Scan(ctx); err != nil {
			in.logger().WarnContext(ctx, "registry inbox scan", "dir", in.Dir, "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (in *Inbox) logger() *slog.Logger {
	if in.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Logger
}

// InboxItem is what one scan did with one file.
type InboxItem struct {
	File      string
	Statement bool
	ID        int64 // registry or statement id
	Duplicate bool
	Err       error
}

// Scan takes in every settled file once.
func (in *Inbox) Scan(ctx context.Context) ([]InboxItem, error) {
	settle := in.Settle
	if settle <= 0 {
		settle = 2 * time.Second
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	entries, err := os.ReadDir(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("registry inbox: %w", err)
	}
	var out []InboxItem
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil || now().Sub(info.ModTime()) < settle {
			continue
		}
		item := in.take(ctx, filepath.Join(in.Dir, e.Name()))
		out = append(out, item)
		log := in.logger().With("file", e.Name(), "id", item.ID, "statement", item.Statement, "duplicate", item.Duplicate)
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

func (in *Inbox) take(ctx context.Context, path string) InboxItem {
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
		res, item.Err = ImportStatement(ctx, in.Intake.Pool, f, path)
		item.ID, item.Duplicate = res.StatementID, res.Duplicate
	} else {
		var res Imported
		res, item.Err = in.Intake.Import(ctx, f, path, store.IntakeInbox, "")
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
		item.Err = os.Rename(path, filepath.Join(in.Dir, "done", fmt.Sprintf("%s-%d-%s", prefix, item.ID, item.File)))
	case apperr.Is(item.Err, apperr.Invalid):
		dst := filepath.Join(in.Dir, "failed", item.File)
		if err := os.Rename(path, dst); err == nil {
			_ = os.WriteFile(dst+".error.txt", []byte(apperr.UserMessage(item.Err)+"\n"), 0o640)
		}
	}
	return item
}
