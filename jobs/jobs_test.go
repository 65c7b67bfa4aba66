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
