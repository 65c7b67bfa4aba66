package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestEdge(t *testing.T) {
	t.Parallel()
	var cancel *river.JobCancelError
	if !errors.As(Edge(apperr.Invalidf("x", "bad")), &cancel) {
		t.Error("Invalid should cancel")
	}
	var snooze *river.JobSnoozeError
	if !errors.As(Edge(&apperr.Error{Kind: apperr.NotReady, RetryAfter: time.Minute}), &snooze) || snooze.Duration != time.Minute {
		t.Errorf("NotReady should snooze for its RetryAfter, got %v", Edge(&apperr.Error{Kind: apperr.NotReady, RetryAfter: time.Minute}))
	}
	plain := errors.New("db down")
	if got := Edge(plain); got != plain {
		t.Errorf("plain error should pass through for retry, got %v", got)
	}
	if Edge(nil) != nil {
		t.Error("nil should stay nil")
	}
}

func TestParseConcurrency(t *testing.T) {
	t.Parallel()
	got, err := ParseConcurrency(" bank=3, gis=16 ,")
	if err != nil || got["bank"] != 3 || got["gis"] != 16 || len(got) != 2 {
		t.Fatalf("ParseConcurrency = %v, %v", got, err)
	}
	for _, bad := range []string{"bank", "bank=0", "=3", "gis=x", "gis=100000"} {
		if _, err := ParseConcurrency(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseConcurrency(%q) err = %v, want Invalid", bad, err)
		}
	}
}

// TestSessionCleanupRunsInWorker starts a real client on a real database and
// waits for the periodic cleanup (RunOnStart) to delete an expired session.
func TestSessionCleanupRunsInWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	expired := store.Session{TokenHash: []byte("expired"), SubjectKind: "staff", SubjectID: 1, CSRFToken: "c",
		ExpiresAt: time.Now().Add(-time.Minute)}
	live := store.Session{TokenHash: []byte("live"), SubjectKind: "staff", SubjectID: 1, CSRFToken: "c",
		ExpiresAt: time.Now().Add(time.Hour)}
	for _, s := range []store.Session{expired, live} {
		if err := store.CreateSession(ctx, pool, s); err != nil {
			t.Fatal(err)
		}
	}
	client, err := NewClient(Deps{Pool: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		Config{FetchCooldown: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted)
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	select {
	case ev := <-events:
		if ev.Job.Kind != KindSessionCleanup {
			t.Fatalf("completed %s, want %s", ev.Job.Kind, KindSessionCleanup)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("session cleanup did not run")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d sessions left, want only the live one", n)
	}
}

// TestBalanceRefreshWorker works a balance_refresh job on a real client and
// checks the balance of the account its registry paid.
func TestBalanceRefreshWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	var acct int64
	if err := pool.QueryRow(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК', '5902123458', 'management') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Ленина, 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, '1' FROM h RETURNING id)
		INSERT INTO accounts (org_id, premises_id, number, opened_on) SELECT (SELECT org_id FROM h), p.id, '0001', '2020-01-01' FROM p
		RETURNING id`).Scan(&acct); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO payment_documents (account_id, period, number, total_due) VALUES ($1, '2026-09-01', '0001-09', 500000)`,
		`INSERT INTO payments (source, operation_id, operation_date, account_id, amount, registry_id)
		 VALUES ('sberbank', 'op-1', '2026-10-10', $1, 120000, 5)`,
	} {
		if _, err := pool.Exec(ctx, q, acct); err != nil {
			t.Fatal(err)
		}
	}
	client, err := NewClient(Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)}, Config{FetchCooldown: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	if _, err := client.Insert(ctx, BalanceRefreshArgs{RegistryID: 5}, nil); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case ev := <-events:
			if ev.Job.Kind == KindBalanceRefresh {
				if ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("balance refresh failed: %v", ev.Job.Errors)
				}
				done = true
			}
		case <-time.After(30 * time.Second):
			t.Fatal("balance refresh did not run")
		}
	}
	b, err := store.AccountBalance(ctx, pool, acct)
	if err != nil || b.Balance != 3800_00 {
		t.Errorf("balance = %+v, %v; want 3800.00 owed", b, err)
	}
}
