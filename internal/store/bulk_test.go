package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestWithForeignKeysDeferred(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	countFKs := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'charges'::regclass`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := countFKs()
	if before == 0 {
		t.Fatal("charges has no foreign keys to defer")
	}

	// A dangling reference loaded while keys are deferred fails the transaction when they come back.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return store.WithForeignKeysDeferred(ctx, tx, []string{"charges"}, func() error {
			_, err := tx.Exec(ctx, `INSERT INTO charges (account_id, service_id, period, tariff, volume, amount)
				VALUES (999, 999, '2026-01-01', 1, 1, 100)`)
			return err
		})
	})
	if err == nil || !strings.Contains(err.Error(), "restore foreign key") {
		t.Fatalf("dangling row: err = %v, want a restore failure", err)
	}
	if got := countFKs(); got != before {
		t.Errorf("after a failed load charges has %d foreign keys, want %d", got, before)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM charges`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rolled-back load left %d charges (err %v)", n, err)
	}

	// A clean load keeps every key.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return store.WithForeignKeysDeferred(ctx, tx, []string{"charges"}, func() error { return nil })
	})
	if err != nil || countFKs() != before {
		t.Errorf("clean load: err %v, keys %d want %d", err, countFKs(), before)
	}
}
