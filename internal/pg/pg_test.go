package pg

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestClusterLifecycle creates a cluster, starts it twice (the second start
// reuses it), queries it, stops it and starts it again.
func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates a PostgreSQL cluster")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "pg")
	c := &Cluster{Dir: dir, Settings: map[string]string{"fsync": "off"}}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })

	url1, err := c.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	// A fresh Cluster on the same directory (`zhkhgate pg url` in another
	// process) names the same socket directory; the host was empty before.
	fresh, err := (&Cluster{Dir: dir}).URL(DefaultDatabase)
	if err != nil || fresh != url1 || strings.Contains(fresh, "host=&") {
		t.Errorf("URL of a fresh Cluster = %q, %v; want %q", fresh, err, url1)
	}
	url2, err := c.Start(ctx)
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if url1 != url2 {
		t.Errorf("URL changed between starts: %q vs %q", url1, url2)
	}
	query := func() {
		t.Helper()
		conn, err := pgx.Connect(ctx, url1)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)
		var who string
		if err := conn.QueryRow(ctx, "SELECT current_user || '@' || current_database()").Scan(&who); err != nil {
			t.Fatalf("query: %v", err)
		}
		if who != "zhkhgate@zhkhgate" {
			t.Errorf("connected as %q", who)
		}
	}
	query()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if c.Running(ctx) {
		t.Fatal("cluster still running after Stop")
	}
	if _, err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	query()
	if _, err := os.Stat(filepath.Join(c.Root(), "data", "PG_VERSION")); err != nil {
		t.Errorf("data directory missing: %v", err)
	}
}

func TestMissingBinaries(t *testing.T) {
	c := &Cluster{Dir: t.TempDir(), BinDir: t.TempDir()}
	t.Setenv("PATH", t.TempDir())
	if _, err := c.Start(context.Background()); err != ErrNoPostgres {
		t.Fatalf("Start with no binaries: err = %v, want ErrNoPostgres", err)
	}
}
