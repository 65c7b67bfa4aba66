package store_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestMigrateConcurrentlyAndTwice runs migrations from several "processes"
// (pools) at once on an empty database, then again, then down and up.
func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewEmptyURL(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := store.Open(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = store.Migrate(ctx, pool, logger)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrator %d: %v", i, err)
		}
	}
	pool, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, logger); err != nil {
		t.Fatalf("second run: %v", err)
	}
	st, err := store.Status(ctx, pool, logger)
	if err != nil {
		t.Fatal(err)
	}
	var ours int
	for _, s := range st {
		if !s.Applied {
			t.Errorf("%s migration %d %s not applied", s.Source, s.Version, s.Name)
		}
		if s.Source == "zhkhgate" {
			ours++
		}
	}
	if ours == 0 {
		t.Fatal("status lists none of our migrations")
	}
	if err := store.MigrateDown(ctx, pool, logger); err != nil {
		t.Fatalf("down: %v", err)
	}
	if st, _ = store.Status(ctx, pool, logger); st[len(st)-1].Applied {
		t.Errorf("newest migration still applied after down: %+v", st[len(st)-1])
	}
	if err := store.Migrate(ctx, pool, logger); err != nil {
		t.Fatalf("up after down: %v", err)
	}
}
