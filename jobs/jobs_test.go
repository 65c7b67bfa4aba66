package jobs

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
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

// TestRescueAfterExceedsEveryTimeout enumerates every registered kind and
// checks that River's rescuer waits longer than the kind's job may run: a
// job rescued while still running would be worked twice.
func TestRescueAfterExceedsEveryTimeout(t *testing.T) {
	t.Parallel()
	ks := kinds(Deps{}, Config{})
	if len(ks) < 7 {
		t.Fatalf("only %d kinds registered", len(ks))
	}
	rc, err := RiverConfig(Deps{}, Config{}, RoleWorker)
	if err != nil {
		t.Fatal(err)
	}
	longest, longestKind := time.Duration(0), ""
	for _, k := range ks {
		d := k.timeout()
		switch {
		case d < 0:
			t.Errorf("%s runs without a timeout: no rescue period can exceed it", k.name)
		case d == 0:
			d = cmp.Or(rc.JobTimeout, river.JobTimeoutDefault)
		}
		if d > longest {
			longest, longestKind = d, k.name
		}
	}
	if rc.RescueStuckJobsAfter <= longest {
		t.Errorf("RescueStuckJobsAfter %s does not exceed the longest job timeout %s (%s)", rc.RescueStuckJobsAfter, longest, longestKind)
	}
	if longestKind != KindRegistryProcess {
		t.Logf("the longest job is now %s (%s)", longestKind, longest)
	}
}

// builtConfig reads the configuration a River client was built with (River
// keeps it unexported; reading it through reflection is test-only).
func builtConfig(t *testing.T, c *Client) reflect.Value {
	t.Helper()
	v := reflect.ValueOf(c).Elem().FieldByName("config")
	if !v.IsValid() || v.IsNil() {
		t.Fatal("river.Client has no config field any more: update this test for the River upgrade")
	}
	return v.Elem()
}

// TestEveryClientGoesThroughTheBuilder builds each constructor's client and
// compares what River was given with RiverConfig's: the rescue period, the
// error handler, queues, periodic jobs and worker ID.
func TestEveryClientGoesThroughTheBuilder(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	deps := Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)}
	worker := Config{WorkerID: "w-7", Concurrency: map[string]int{QueueGIS: 3}}
	clients := []struct {
		name string
		new  func() (*Client, error)
		role Role
		cfg  Config
	}{
		{"NewClient", func() (*Client, error) { return NewClient(deps, worker) }, RoleWorker, worker},
		{"NewInsertClient", func() (*Client, error) { return NewInsertClient(deps) }, RoleInsert, Config{}},
		{"NewBankClient", func() (*Client, error) { return NewBankClient(deps) }, RoleBank, Config{}},
	}
	for _, tc := range clients {
		c, err := tc.new()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, err := RiverConfig(deps, tc.cfg, tc.role)
		if err != nil {
			t.Fatal(err)
		}
		got := builtConfig(t, c)
		if d := time.Duration(got.FieldByName("RescueStuckJobsAfter").Int()); d != RescueAfter {
			t.Errorf("%s: RescueStuckJobsAfter = %s, want %s", tc.name, d, RescueAfter)
		}
		if h := got.FieldByName("ErrorHandler"); h.IsNil() || h.Elem().Type() != reflect.TypeOf(&errorLogger{}) {
			t.Errorf("%s: the error handler is not the builder's", tc.name)
		}
		queues := map[string]int{}
		iter := got.FieldByName("Queues").MapRange()
		for iter.Next() {
			queues[iter.Key().String()] = int(iter.Value().FieldByName("MaxWorkers").Int())
		}
		wantQueues := map[string]int{}
		for q, qc := range want.Queues {
			wantQueues[q] = qc.MaxWorkers
		}
		if !reflect.DeepEqual(queues, wantQueues) {
			t.Errorf("%s: queues %v, want %v", tc.name, queues, wantQueues)
		}
		if n := got.FieldByName("PeriodicJobs").Len(); n != len(want.PeriodicJobs) {
			t.Errorf("%s: %d periodic jobs, want %d", tc.name, n, len(want.PeriodicJobs))
		}
		if tc.cfg.WorkerID != "" && c.ID() != tc.cfg.WorkerID {
			t.Errorf("%s: ID %q, want %q", tc.name, c.ID(), tc.cfg.WorkerID)
		}
	}
}

func TestQueues(t *testing.T) {
	t.Parallel()
	cfg := Config{Concurrency: map[string]int{QueueBank: 5}}
	for role, want := range map[Role]map[string]int{
		RoleWorker: {QueueDefault: 4, QueueBank: 5, QueueGIS: 8, QueueNotify: 4},
		RoleBank:   {QueueBank: 5},
		RoleInsert: {},
	} {
		got, err := cfg.Queues(role)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("role %d: %v, %v; want %v", role, got, err, want)
		}
	}
	for _, bad := range []map[string]int{{"mail": 2}, {QueueGIS: 0}} {
		if _, err := (Config{Concurrency: bad}).Queues(RoleWorker); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%v: err = %v, want Invalid", bad, err)
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
