package demo

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestLoadIsConsistentAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	opts := Options{Accounts: 250, Months: 3, Seed: 7, Until: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	res, err := Load(ctx, pool, opts, quiet)
	if err != nil {
		t.Fatal(err)
	}
	// The main center plus the houses, accounts and meters of the shipped sample registries.
	want := map[string]int64{"organizations": 4, "accounts": 253, "premises": 253, "houses": 5, "meters": 752,
		"readings": 750 * 4, "charges": 250 * 3 * 9, "payment_documents": 250 * 3, "services": 18}
	for table, n := range want {
		if res.Counts[table] != n {
			t.Errorf("%s: loaded %d rows, want %d", table, res.Counts[table], n)
		}
	}

	// Each document's total equals opening balance + charged + penalties - paid, its charged equals the
	// sum of its charges, and paid equals the payments received in its month.
	var bad int
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM payment_documents d
		WHERE d.total_due <> d.opening_balance + d.charged + d.penalties - d.paid
		   OR d.charged <> (SELECT sum(total) FROM charges c WHERE c.account_id = d.account_id AND c.period = d.period)
		   OR d.paid <> (SELECT coalesce(sum(amount), 0) FROM payments p
		                 WHERE p.account_id = d.account_id AND date_trunc('month', p.operation_date) = d.period)`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d payment documents disagree with their charges and payments", bad)
	}
	// The next document opens with the previous one's total.
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM payment_documents d JOIN payment_documents prev
		  ON prev.account_id = d.account_id AND prev.period = d.period - interval '1 month'
		WHERE d.opening_balance <> prev.total_due`).Scan(&bad)
	if err != nil || bad != 0 {
		t.Errorf("documents not chained: %d bad, err %v", bad, err)
	}
	// Readings never go down.
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM (SELECT value < lag(value) OVER (PARTITION BY meter_id ORDER BY taken_on) AS down FROM readings) r
		WHERE down`).Scan(&bad)
	if err != nil || bad != 0 {
		t.Errorf("readings go down: %d, err %v", bad, err)
	}
	// Account numbers keep their leading zeros.
	var number string
	if err := pool.QueryRow(ctx, `SELECT number FROM accounts ORDER BY id LIMIT 1`).Scan(&number); err != nil || number != "0000100000" {
		t.Errorf("first account number = %q, %v", number, err)
	}

	// Loading the same demo again is a no-op; a different one is refused.
	res, err = Load(ctx, pool, opts, quiet)
	if err != nil || res.Loaded {
		t.Errorf("second load: loaded=%v err=%v, want a no-op", res.Loaded, err)
	}
	opts.Seed = 8
	if _, err := Load(ctx, pool, opts, quiet); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("different demo over a loaded one: err = %v, want Conflict", err)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	o := Options{Accounts: 10, Months: 2, Seed: 3, Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}.withDefaults()
	a, b := newGenerator(o), newGenerator(o)
	for i := range 10 {
		ha, hb := a.history(i), b.history(i)
		if ha.documents[1] != hb.documents[1] || a.account(i) != b.account(i) {
			t.Fatalf("account %d differs between runs with one seed", i)
		}
	}
}

func TestCrashLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pool := testdb.New(t)
	// Cancel mid-load: the single transaction must roll back entirely.
	go func() { time.Sleep(150 * time.Millisecond); cancel() }()
	_, err := Load(ctx, pool, Options{Accounts: 200000, Months: 12}, quiet)
	if err == nil {
		t.Fatal("a 200k-account load finished within 150ms; the test no longer interrupts it")
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM organizations) + (SELECT count(*) FROM accounts)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("interrupted load left %d rows behind", n)
	}
	// And a re-run afterwards succeeds.
	if _, err := Load(context.Background(), pool, Options{Accounts: 50, Months: 1}, quiet); err != nil {
		t.Errorf("re-run after crash: %v", err)
	}
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{Accounts: -1}, {Accounts: 10, Months: 100}} {
		if _, err := Load(context.Background(), nil, o, quiet); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("Load(%+v) err = %v, want Invalid", o, err)
		}
	}
}

func TestAmount(t *testing.T) {
	t.Parallel()
	cases := []struct{ rate, vol, want int64 }{
		{28_5000, 54_120000, 1542_42},  // 28.50 ₽/m² × 54.12 m² = 1542.42 ₽
		{48_2000, 3_456000, 166_58},    // 48.20 × 3.456 = 166.5792 → 166.58
		{5_8300, 1_000000, 5_83},       // 5.83 × 1
		{2450_6500, 1_006632, 2466_90}, // 2450.65 × 1.006632 = 2466.902…
	}
	for _, c := range cases {
		if got := amount(c.rate, c.vol); got != c.want {
			t.Errorf("amount(%d, %d) = %d, want %d", c.rate, c.vol, got, c.want)
		}
	}
}
