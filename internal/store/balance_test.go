package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestRefreshRegistryBalances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 20, Months: 2, Until: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
		slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var acct, other, due int64
	if err := pool.QueryRow(ctx, `SELECT a.id, d.total_due, (SELECT max(id) FROM accounts)
		FROM accounts a JOIN payment_documents d ON d.account_id = a.id AND d.period = '2026-10-01' ORDER BY a.id LIMIT 1`).
		Scan(&acct, &due, &other); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AccountBalance(ctx, pool, acct); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("balance before any refresh: err = %v, want NotFound", err)
	}

	// Two payments of registry 77 after the October document, one in October itself (already on the document),
	// and one of another registry for another account.
	for _, p := range []struct {
		acct     int64
		op, date string
		amount   int64
		registry int64
	}{
		{acct, "r77-1", "2026-11-05", 1000_00, 77},
		{acct, "r77-2", "2026-11-06", 250_50, 77},
		{acct, "r77-3", "2026-10-30", 999_00, 77},
		{other, "r78-1", "2026-11-05", 100_00, 78},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO payments (source, operation_id, operation_date, account_id, amount, registry_id)
			VALUES ('sberbank', $1, $2, $3, $4, $5)`, p.op, p.date, p.acct, p.amount, p.registry); err != nil {
			t.Fatal(err)
		}
	}
	n, err := store.RefreshRegistryBalances(ctx, pool, 77)
	if err != nil || n != 1 {
		t.Fatalf("refresh of registry 77: %d accounts, %v; want 1", n, err)
	}
	b, err := store.AccountBalance(ctx, pool, acct)
	if err != nil {
		t.Fatal(err)
	}
	if b.AsOfPeriod == nil || !b.AsOfPeriod.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) ||
		b.DocumentTotal != due || b.PaidSince != 1250_50 || b.Balance != due-1250_50 {
		t.Errorf("balance = %+v, want October's %d less 1250.50 paid in November", b, due)
	}
	if _, err := store.AccountBalance(ctx, pool, other); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("an account of another registry was refreshed too: %v", err)
	}
	// Refreshing again is idempotent.
	if n, err := store.RefreshRegistryBalances(ctx, pool, 77); err != nil || n != 1 {
		t.Fatalf("second refresh: %d, %v", n, err)
	}
	if b2, _ := store.AccountBalance(ctx, pool, acct); b2.Balance != b.Balance {
		t.Errorf("second refresh changed the balance: %d → %d", b.Balance, b2.Balance)
	}
}

func TestResidentBalanceOnlyForProvenLinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 3, Months: 1}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var acct, resident int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM accounts`).Scan(&acct); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO residents (last_name) VALUES ('Иванов') RETURNING id`).Scan(&resident); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO account_balances (account_id, document_total, paid_since, balance) VALUES ($1, 100, 0, 100)`, acct); err != nil {
		t.Fatal(err)
	}
	check := func(step string, wantFound bool) {
		t.Helper()
		b, err := store.ResidentBalance(ctx, pool, resident, acct)
		if wantFound && (err != nil || b.Balance != 100) {
			t.Errorf("%s: balance = %+v, %v; want 100", step, b, err)
		}
		if !wantFound && !apperr.Is(err, apperr.NotFound) {
			t.Errorf("%s: err = %v, want NotFound", step, err)
		}
	}
	check("not linked", false)
	if _, err := pool.Exec(ctx, `INSERT INTO resident_accounts (resident_id, account_id) VALUES ($1, $2)`, resident, acct); err != nil {
		t.Fatal(err)
	}
	check("linked, not proven", false)
	if _, err := pool.Exec(ctx, `UPDATE resident_accounts SET verified_at = now()`); err != nil {
		t.Fatal(err)
	}
	check("proven", true)
}
