package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestReserveAttemptParallel: however many attempts arrive at once, no more than Max pass.
// The old check-then-count code let all of them through.
func TestReserveAttemptParallel(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		max, par int
	}{{"lockout 5 of 150", 5, 150}, {"ip 30 of 60", 30, 60}, {"one of 20", 1, 20}} {
		key := "test:" + c.name
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range c.par {
			wg.Go(func() {
				res, err := store.ReserveAttempt(ctx, pool, key, store.Limit{Max: c.max, Window: time.Hour}, now)
				if err != nil {
					t.Error(err)
				}
				if res.Allowed {
					allowed.Add(1)
				} else if res.RetryAfter <= 0 {
					t.Errorf("%s: refused without Retry-After", c.name)
				}
			})
		}
		wg.Wait()
		if got := int(allowed.Load()); got != c.max {
			t.Errorf("%s: %d of %d parallel attempts allowed, want exactly %d", c.name, got, c.par, c.max)
		}
	}
}

func TestReserveAttemptWindowBlockRelease(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	reserve := func(key string, l store.Limit, at time.Time) store.Reservation {
		t.Helper()
		res, err := store.ReserveAttempt(ctx, pool, key, l, at)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A rate limit: 3 per hour, refused until the window ends.
	rate := store.Limit{Max: 3, Window: time.Hour}
	for i := range 3 {
		if res := reserve("rate", rate, t0.Add(time.Duration(i)*time.Minute)); !res.Allowed || res.Hits != i+1 || res.NewWindow != (i == 0) {
			t.Fatalf("attempt %d: %+v", i+1, res)
		}
	}
	if res := reserve("rate", rate, t0.Add(10*time.Minute)); res.Allowed || res.RetryAfter != 50*time.Minute {
		t.Fatalf("4th attempt: %+v, want refused for 50m", res)
	}
	if res := reserve("rate", rate, t0.Add(time.Hour)); !res.Allowed || !res.NewWindow || res.Hits != 1 {
		t.Fatalf("after the window: %+v", res)
	}
	// A lockout: 2 failures, then 15 minutes from the second.
	lock := store.Limit{Max: 2, Window: time.Hour, Block: 15 * time.Minute}
	reserve("lock", lock, t0)
	reserve("lock", lock, t0.Add(30*time.Minute))
	if res := reserve("lock", lock, t0.Add(44*time.Minute)); res.Allowed || res.RetryAfter != time.Minute {
		t.Fatalf("locked: %+v, want refused for 1m", res)
	}
	if res := reserve("lock", lock, t0.Add(45*time.Minute)); !res.Allowed || res.Hits != 1 {
		t.Fatalf("after the lock: %+v", res)
	}
	// A released attempt (the right password) does not count.
	if err := store.ReleaseAttempt(ctx, pool, "lock", lock); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.LimiterHits(ctx, pool, "lock"); n != 0 {
		t.Fatalf("hits after release = %d, want 0", n)
	}
	reserve("lock", lock, t0.Add(46*time.Minute))
	if err := store.ReleaseAttempt(ctx, pool, "lock", lock); err != nil {
		t.Fatal(err)
	}
	reserve("lock", lock, t0.Add(47*time.Minute))
	if res := reserve("lock", lock, t0.Add(48*time.Minute)); !res.Allowed {
		t.Fatalf("second failure after a release: %+v", res)
	}
	if res := reserve("lock", lock, t0.Add(49*time.Minute)); res.Allowed {
		t.Fatalf("third failure: %+v, want locked", res)
	}
	if err := store.ResetLimiter(ctx, pool, "lock"); err != nil {
		t.Fatal(err)
	}
	if res := reserve("lock", lock, t0.Add(50*time.Minute)); !res.Allowed {
		t.Fatalf("after reset: %+v", res)
	}
}

// TestAuditKeepsBadText: a NUL byte or invalid UTF-8 from a request does not lose the record.
func TestAuditKeepsBadText(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	err := store.Audit(ctx, pool, store.AuditEntry{ActorKind: "system", Action: "resident.esia_login_failed",
		ObjectKind: "esia", ObjectID: "a\x00b\xff", Details: map[string]any{"reason": "esia: x\x00y", "list": []any{"\xfe"}}})
	if err != nil {
		t.Fatalf("audit with NUL and invalid UTF-8: %v", err)
	}
	got, err := store.RecentAudit(ctx, pool, store.AuditFilter{ActionPrefix: "resident.esia_login_failed"})
	if err != nil || len(got) != 1 || got[0].ObjectID != "a\uFFFDb\uFFFD" || got[0].Details["reason"] != "esia: x\uFFFDy" {
		t.Fatalf("stored: %+v %v", got, err)
	}
}
