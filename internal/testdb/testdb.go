// Package testdb gives each test its own fresh PostgreSQL database, cloned
// from a template that has every migration applied (River's and ours).
//
// The databases live on a real server: the one named by
// ZHKHGATE_TEST_DATABASE_URL when set, otherwise a private cluster in
// <module root>/var/testpg that the first test process starts (the same way
// `zhkhgate demo` starts its own) and later test processes reuse. Nothing
// has to run beforehand.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/modroot"
	"github.com/zhkhgate/zhkhgate/internal/pg"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/migrations"
)

// EnvURL names the variable that points tests at an existing server (any
// database on it; testdb creates and drops its own databases there).
const EnvURL = "ZHKHGATE_TEST_DATABASE_URL"

var (
	setupOnce sync.Once
	setupErr  error
	serverURL string // admin connection, database "postgres"
	template  string
)

// New returns a pool on a new database that is dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := NewURL(t)
	pool, err := store.NewPool(context.Background(), url)
	if err != nil {
		t.Fatalf("testdb: connect: %v", err)
	}
	t.Cleanup(pool.Close) // runs before the drop registered by NewURL
	return pool
}

// NewURL creates a fresh migrated database and returns its connection
// string; for tests that start a process or open their own pools.
func NewURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "t_", true)
}

// NewEmptyURL creates an empty database (no migrations applied) that is
// dropped when the test ends; for tests of the migrations themselves.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "e_", false)
}

// newDatabase creates a database, cloned from the migrated template or
// empty, that is dropped when the test ends, and returns its URL.
func newDatabase(t testing.TB, prefix string, migrated bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("testdb: needs PostgreSQL (skipped in -short mode)")
	}
	setupOnce.Do(func() { setupErr = setup(context.Background()) })
	if setupErr != nil {
		t.Fatalf("testdb: %v", setupErr)
	}
	ctx := context.Background()
	name := prefix + randomHex(8)
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("testdb: connect to server: %v", err)
	}
	defer admin.Close(ctx)
	if migrated {
		err = createFromTemplate(ctx, admin, name)
	} else if _, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		err = fmt.Errorf("create %s: %w", name, err)
	}
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { drop(t, name) })
	return withDatabase(serverURL, name)
}

func drop(t testing.TB, name string) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Logf("testdb: drop %s: %v", name, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Logf("testdb: drop %s: %v", name, err)
	}
}

// createFromTemplate clones the template; the server refuses a clone while
// another session is connected to the template, so transient refusals retry.
func createFromTemplate(ctx context.Context, admin *pgx.Conn, name string) error {
	var err error
	for i := 0; i < 50; i++ {
		_, err = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
			pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize()))
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("create database %s from template %s: %w", name, template, err)
	}
	return nil
}

func setup(ctx context.Context) error {
	base := os.Getenv(EnvURL)
	if base == "" {
		root, err := modroot.Find()
		if err != nil {
			return fmt.Errorf("%w; set %s", err, EnvURL)
		}
		cluster := &pg.Cluster{Dir: filepath.Join(root, "var", "testpg"),
			Settings: map[string]string{"fsync": "off", "full_page_writes": "off"},
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil))}
		if base, err = cluster.Start(ctx); err != nil {
			return fmt.Errorf("start test cluster: %w", err)
		}
	}
	serverURL = withDatabase(base, "postgres")
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "zhkhgate_tpl_" + sum
	return ensureTemplate(ctx)
}

// ensureTemplate builds the template once per schema version, under an
// advisory lock so parallel test processes wait for one builder.
func ensureTemplate(ctx context.Context) error {
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7261)"); err != nil {
		return fmt.Errorf("lock template: %w", err)
	}
	defer func() { _, _ = admin.Exec(ctx, "SELECT pg_advisory_unlock(7261)") }()
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", template).Scan(&exists); err != nil {
		return fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return nil
	}
	building := template + "_build"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	pool, err := pgxpool.New(ctx, withDatabase(serverURL, building))
	if err != nil {
		return fmt.Errorf("connect to template: %w", err)
	}
	err = store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	// Rename last, so a template that exists is always complete.
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{building}.Sanitize(), pgx.Identifier{template}.Sanitize())); err != nil {
		return fmt.Errorf("publish template: %w", err)
	}
	return nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", fmt.Errorf("hash migrations: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	// River's schema version is part of the template too.
	fmt.Fprint(h, "river-v0.51.1")
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// withDatabase swaps the database name in a postgres:// URL.
func withDatabase(url, db string) string {
	i := strings.Index(url, "://")
	if i < 0 {
		return url
	}
	rest := url[i+3:]
	q := ""
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		rest, q = rest[:j], rest[j:]
	}
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return url[:i+3] + rest + "/" + db + q
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
