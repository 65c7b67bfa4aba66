package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/zhkhgate/zhkhgate/migrations"
)

// migrationLockID is the advisory lock that serializes migrations across
// processes ("zhkhgate" in ASCII, as a number).
const migrationLockID = 0x7a686b6867617465

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Source  string // "zhkhgate" or "river"
	Version int64
	Name    string
	Applied bool
}

// Migrate applies every pending migration: River's schema through
// rivermigrate, then ours through goose. It is safe to run twice and from
// several processes at once: an advisory lock serializes them.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return withMigrationLock(ctx, pool, func() error {
		migrator, err := riverMigrator(pool, logger)
		if err != nil {
			return err
		}
		res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return fmt.Errorf("migrate river schema: %w", err)
		}
		for _, v := range res.Versions {
			logger.Info("applied river migration", "version", v.Version, "name", v.Name)
		}
		p, closeDB, err := provider(pool, logger)
		if err != nil {
			return err
		}
		defer closeDB()
		results, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("migrate zhkhgate schema: %w", err)
		}
		for _, r := range results {
			logger.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
		}
		return nil
	})
}

// MigrateDown rolls back the newest of our migrations (River's schema stays).
func MigrateDown(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return withMigrationLock(ctx, pool, func() error {
		p, closeDB, err := provider(pool, logger)
		if err != nil {
			return err
		}
		defer closeDB()
		r, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("roll back migration: %w", err)
		}
		logger.Info("rolled back migration", "version", r.Source.Version, "file", r.Source.Path)
		return nil
	})
}

// Status lists River's and our migrations with their state.
func Status(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) ([]MigrationStatus, error) {
	migrator, err := riverMigrator(pool, logger)
	if err != nil {
		return nil, err
	}
	existing, err := migrator.ExistingVersions(ctx)
	if err != nil {
		// Before the first migration River's table does not exist; everything is pending.
		existing = nil
	}
	applied := map[int]bool{}
	for _, m := range existing {
		applied[m.Version] = true
	}
	var out []MigrationStatus
	for _, m := range migrator.AllVersions() {
		out = append(out, MigrationStatus{Source: "river", Version: int64(m.Version), Name: m.Name, Applied: applied[m.Version]})
	}
	p, closeDB, err := provider(pool, logger)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	for _, s := range st {
		out = append(out, MigrationStatus{Source: "zhkhgate", Version: s.Source.Version, Name: s.Source.Path,
			Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

func riverMigrator(pool *pgxpool.Pool, logger *slog.Logger) (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quiet(logger)})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	return m, nil
}

func provider(pool *pgxpool.Pool, logger *slog.Logger) (*goose.Provider, func(), error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithAllowOutofOrder(true), goose.WithSlog(quiet(logger)))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, func() { db.Close() }, nil
}

func withMigrationLock(ctx context.Context, pool *pgxpool.Pool, fn func() error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockID)); err != nil {
		return fmt.Errorf("migrate: take advisory lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockID))
	}()
	return fn()
}

// quiet drops library chatter below warnings; we log what was applied ourselves.
func quiet(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(levelFilter{h: logger.Handler(), min: slog.LevelWarn})
}

type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.h.Enabled(ctx, l)
}
func (f levelFilter) Handle(ctx context.Context, r slog.Record) error { return f.h.Handle(ctx, r) }
func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h: f.h.WithAttrs(a), min: f.min}
}
func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{h: f.h.WithGroup(n), min: f.min}
}
