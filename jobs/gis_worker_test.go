package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// testClock is a settable clock for the exchange.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// workerEnv runs single jobs with rivertest inside one transaction that
// is rolled back at the end: the workers' own transactions become
// savepoints of it.
type workerEnv struct {
	tx    pgx.Tx
	gis   *gisexchange.Exchange
	sim   *gistest.Env
	clock *testClock
}

func newWorkerEnv(t *testing.T, accounts int) *workerEnv {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	seedGIS(t, db, accounts)
	// The premises GIS named (what the houses export brings).
	if _, err := db.Exec(ctx, `UPDATE premises SET gis_premises_guid = gen_random_uuid()`); err != nil {
		t.Fatal(err)
	}
	ge := gistest.Start(t, gistest.Options{Sim: sim.Config{Orgs: []string{gisOrgPPA}}})
	c := &testClock{t: time.Now()}
	x, err := gisexchange.New(gisexchange.Config{BankBIK: "044525225", BankAccount: "40702810938000012345",
		Poll: []time.Duration{10 * time.Second, 60 * time.Second}}, gisexchange.Deps{Builder: ge.Builder, Client: ge.Client, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return &workerEnv{tx: tx, gis: x, sim: ge, clock: c}
}

func jobsOf(t *testing.T, tx pgx.Tx, kind string) []int64 {
	t.Helper()
	rows, err := tx.Query(context.Background(), `SELECT (args->>'message_id')::bigint FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestGISSyncWorkerUnit works one sync job: its messages are stored, one
// send job per message is enqueued, and the job completes — one commit.
func TestGISSyncWorkerUnit(t *testing.T) {
	ctx := context.Background()
	e := newWorkerEnv(t, 3)
	w := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, &jobs.GISSyncWorker{Pool: e.tx, GIS: e.gis})
	res, err := w.Work(ctx, t, e.tx, jobs.GISSyncArgs{OrgID: 1, What: gisexchange.Accounts}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("sync = %+v, %v; want completed", res, err)
	}
	ms, err := store.ListGISMessages(ctx, e.tx, store.GISMessageFilter{OrgID: 1, Kind: string(gisexchange.Accounts)})
	if err != nil || len(ms) != 1 || ms[0].Items != 3 || ms[0].State != store.MessagePrepared {
		t.Fatalf("messages %+v, %v; want one prepared message of 3 accounts", ms, err)
	}
	if sends := jobsOf(t, e.tx, jobs.KindGISSend); len(sends) != 1 || sends[0] != ms[0].ID {
		t.Errorf("send jobs for messages %v, want [%d]", sends, ms[0].ID)
	}
	// An unknown subject cancels the job: retrying cannot help.
	res, err = w.Work(ctx, t, e.tx, jobs.GISSyncArgs{OrgID: 1, What: "letters"}, nil)
	if err != nil || res.EventKind != river.EventKindJobCancelled {
		t.Errorf("unknown subject = %+v, %v; want cancelled", res, err)
	}
}

// TestGISPollWorkerUnit sends one message, then polls it on an injected
// clock: before the schedule's first delay the poll snoozes without asking
// GIS; after it, the results are applied and the job completes.
func TestGISPollWorkerUnit(t *testing.T) {
	ctx := context.Background()
	e := newWorkerEnv(t, 2)
	sync := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, &jobs.GISSyncWorker{Pool: e.tx, GIS: e.gis})
	if res, err := sync.Work(ctx, t, e.tx, jobs.GISSyncArgs{OrgID: 1, What: gisexchange.Accounts}, nil); err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	id := jobsOf(t, e.tx, jobs.KindGISSend)[0]
	send := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, &jobs.GISSendWorker{Pool: e.tx, GIS: e.gis})
	if res, err := send.Work(ctx, t, e.tx, jobs.GISSendArgs{MessageID: id}, nil); err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("send = %+v, %v", res, err)
	}
	if polls := jobsOf(t, e.tx, jobs.KindGISPoll); len(polls) != 1 || polls[0] != id {
		t.Fatalf("poll jobs %v, want [%d]", polls, id)
	}
	m, _, err := store.GetGISMessage(ctx, e.tx, id)
	if err != nil || m.State != store.MessageSent || m.SentAt == nil {
		t.Fatalf("after send: %+v, %v", m, err)
	}
	poll := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, &jobs.GISPollWorker{Pool: e.tx, GIS: e.gis})

	e.clock.Set(m.SentAt.Add(3 * time.Second))
	res, err := poll.Work(ctx, t, e.tx, jobs.GISPollArgs{MessageID: id}, nil)
	if err != nil || res.EventKind != river.EventKindJobSnoozed {
		t.Fatalf("poll 3 s after sending = %+v, %v; want snoozed", res, err)
	}
	if !res.Job.ScheduledAt.After(time.Now().Add(5 * time.Second)) {
		t.Errorf("snoozed until %s; want the rest of the first 10 s", res.Job.ScheduledAt)
	}
	if n := e.sim.Sim.Stats().GetStates; n != 0 {
		t.Errorf("GIS was asked %d times before the first poll was due", n)
	}

	e.clock.Set(m.SentAt.Add(11 * time.Second))
	res, err = poll.Work(ctx, t, e.tx, jobs.GISPollArgs{MessageID: id}, nil)
	if err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("poll 11 s after sending = %+v, %v; want completed", res, err)
	}
	m, items, err := store.GetGISMessage(ctx, e.tx, id)
	if err != nil || m.State != store.MessageDone || m.ItemsOK+m.ItemsFailed != 2 {
		t.Fatalf("after poll: %s ok=%d failed=%d, %v", m.State, m.ItemsOK, m.ItemsFailed, err)
	}
	for _, it := range items {
		if it.State == store.ItemPending {
			t.Errorf("item %s still pending after the results were applied", it.TransportGUID)
		}
	}
}

// TestGISSweepQueuesLostSyncs: payments no sync carries (their sync request
// was dropped as a duplicate of a running sync) get a payments sync from
// the periodic sweep; payments in flight do not.
func TestGISSweepQueuesLostSyncs(t *testing.T) {
	ctx := context.Background()
	e := newWorkerEnv(t, 3)
	if _, err := e.tx.Exec(ctx, `UPDATE payment_documents SET state = 'posted', gis_payment_document_id = '51АБ123456-01-610' || id`); err != nil {
		t.Fatal(err)
	}
	sweep := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, &jobs.GISSweepWorker{Pool: e.tx, GIS: e.gis})
	if res, err := sweep.Work(ctx, t, e.tx, jobs.GISSweepArgs{}, nil); err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("sweep = %+v, %v", res, err)
	}
	var args []string
	rows, err := e.tx.Query(ctx, `SELECT args->>'what' || ' ' || (args->>'org_id') || ' ' || (args->>'period') FROM river_job WHERE kind = $1`, jobs.KindGISSync)
	if err != nil {
		t.Fatal(err)
	}
	if args, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if len(args) != 1 || args[0] != "payments 1 2026-10" {
		t.Fatalf("syncs queued by the sweep: %v; want [payments 1 2026-10]", args)
	}
	// Once the payments are in flight the sweep finds nothing.
	if _, err := e.tx.Exec(ctx, `DELETE FROM river_job WHERE kind = $1`, jobs.KindGISSync); err != nil {
		t.Fatal(err)
	}
	sync := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, &jobs.GISSyncWorker{Pool: e.tx, GIS: e.gis})
	if res, err := sync.Work(ctx, t, e.tx, jobs.GISSyncArgs{OrgID: 1, What: gisexchange.Payments, Period: "2026-10"}, nil); err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	if res, err := sweep.Work(ctx, t, e.tx, jobs.GISSweepArgs{}, nil); err != nil || res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("second sweep = %+v, %v", res, err)
	}
	var n int
	if err := e.tx.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state <> 'completed'`, jobs.KindGISSync).Scan(&n); err != nil || n != 0 {
		t.Errorf("the sweep queued %d syncs for payments in flight (%v)", n, err)
	}
}
