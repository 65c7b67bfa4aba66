package jobs_test

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/gost"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// Environment of the child worker process of TestGISKillWorker.
const (
	envCrashDB   = "ZHKHGATE_GIS_CRASH_DB"
	envCrashSim  = "ZHKHGATE_GIS_CRASH_SIM"
	envCrashKey  = "ZHKHGATE_GIS_CRASH_KEY"  // the parent's test key, which its simulator trusts
	envCrashCert = "ZHKHGATE_GIS_CRASH_CERT" //
)

// TestGISCrashChild is the worker process TestGISKillWorker kills; it does
// nothing in a normal test run.
func TestGISCrashChild(t *testing.T) {
	dbURL, simURL := os.Getenv(envCrashDB), os.Getenv(envCrashSim)
	if dbURL == "" {
		t.Skip("child process of TestGISKillWorker only")
	}
	ctx := context.Background()
	pool, err := store.NewPool(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := tool.LoadSigner(ctx, os.Getenv(envCrashKey), os.Getenv(envCrashCert))
	if err != nil {
		t.Fatal(err)
	}
	b, err := giszhkh.NewBuilder(ctx, signer, tool, giszhkh.BuilderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := newExchange(t, b, gistest.NewClient(t, simURL, 0))
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.GISSyncWorker{Pool: pool, GIS: g})
	river.AddWorker(workers, &jobs.GISSendWorker{Pool: pool, GIS: g})
	river.AddWorker(workers, &jobs.GISPollWorker{Pool: pool, GIS: g})
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{jobs.QueueGIS: {MaxWorkers: 4}}, Workers: workers,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

// TestGISKillWorker kills (SIGKILL) a worker process while it is sending to
// GIS — the simulator has the message, the Ack is not stored — and lets a new
// worker finish: every account and document is placed exactly once and
// confirmed.
func TestGISKillWorker(t *testing.T) {
	if os.Getenv(envCrashDB) != "" {
		t.Skip("in the child")
	}
	const n = 150
	ctx := context.Background()
	url := testdb.NewURL(t)
	db, err := store.NewPool(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	seedGIS(t, db, n)
	ge := gistest.Start(t, gistest.Options{Sim: sim.Config{Orgs: []string{gisOrgPPA}, Delay: 30 * time.Millisecond,
		Faults: sim.Faults{Latency: 700 * time.Millisecond}}})
	s, srv := ge.Sim, ge.Server
	keyFile, certFile := gistest.WriteCredentials(t, t.TempDir())

	child := exec.Command(os.Args[0], "-test.run=^TestGISCrashChild$", "-test.timeout=5m")
	child.Env = append(os.Environ(), envCrashDB+"="+url, envCrashSim+"="+srv.URL, envCrashKey+"="+keyFile, envCrashCert+"="+certFile)
	child.Stdout, child.Stderr = os.Stderr, os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	})

	inserter, err := river.NewClient(riverpgxv5.New(db), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inserter.Insert(ctx, jobs.GISSyncArgs{OrgID: 1, What: gisexchange.Accounts, Period: "2026-10"}, nil); err != nil {
		t.Fatal(err)
	}
	// Wait until the simulator has accepted a message whose Ack the child
	// has not received yet (the simulator holds every answer for 700 ms).
	deadline := time.Now().Add(60 * time.Second)
	for !killed && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if s.Stats().Accepted > 0 {
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = child.Wait()
			killed = true
		}
	}
	if !killed {
		t.Fatal("the child never started sending")
	}
	s.SetFaults(sim.Faults{})
	ms, err := store.ListGISMessages(ctx, db, store.GISMessageFilter{OrgID: 1, State: store.MessageSending})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no message was left 'sending' by the kill (%v); the test would prove nothing", err)
	}
	if c := s.Counts(); c.Accounts == 0 {
		t.Fatalf("the killed send never reached the simulator (%+v); the test would prove nothing", c)
	}

	// A new worker takes over: stuck jobs are rescued and finished.
	g := newExchange(t, ge.Builder, ge.Client)
	// River rescues a job only after its worker's timeout (minutes for the
	// GIS workers); the test's workers use seconds so it need not wait.
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.GISSyncWorker{Pool: db, GIS: g})
	river.AddWorker(workers, fastSend{&jobs.GISSendWorker{Pool: db, GIS: g}})
	river.AddWorker(workers, fastPoll{&jobs.GISPollWorker{Pool: db, GIS: g}})
	rc, err := river.NewClient(riverpgxv5.New(db), &river.Config{
		Queues: map[string]river.QueueConfig{jobs.QueueGIS: {MaxWorkers: 4}}, Workers: workers,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
		JobTimeout: 5 * time.Second, RescueStuckJobsAfter: 6 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Stop(context.Background()) })
	e := &gisEnv{db: db, sim: s, gis: g, client: rc}
	// River's rescuer (on the new leader, every 30 s) finds the killed
	// worker's jobs; allow for leadership to pass and a loaded machine.
	recovering := time.Now()
	waitSettled(t, e, gisexchange.Accounts, 5*time.Minute)
	t.Logf("recovered in %s", time.Since(recovering).Round(time.Second))
	e.checkAllConfirmed(t, gisexchange.Accounts, n)
	e.sync(t, gisexchange.Documents)
	e.checkAllConfirmed(t, gisexchange.Documents, n)
	c := s.Counts()
	if c.Accounts != n || c.Documents != n {
		t.Errorf("simulator holds %d accounts and %d documents, want %d each", c.Accounts, c.Documents, n)
	}
	if st := s.Stats(); st.Duplicates == 0 {
		t.Errorf("the resumed send did not re-send the killed message (no duplicate MessageGUID seen): %+v", st)
	}
	un, _ := store.ListGISUnconfirmed(ctx, db, 1, gisPeriod, 1000)
	for _, u := range un {
		if u.ObjectKind != "payment" { // payments are not synced in this test
			t.Errorf("unconfirmed after recovery: %+v", u)
		}
	}
	t.Logf("simulator stats: %+v", s.Stats())
}

type fastSend struct{ *jobs.GISSendWorker }

func (fastSend) Timeout(*river.Job[jobs.GISSendArgs]) time.Duration { return 5 * time.Second }

type fastPoll struct{ *jobs.GISPollWorker }

func (fastPoll) Timeout(*river.Job[jobs.GISPollArgs]) time.Duration { return 5 * time.Second }

func waitSettled(t *testing.T, e *gisEnv, kind gisexchange.What, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ms, err := store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: string(kind), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		settled := len(ms) > 0
		for _, m := range ms {
			if m.State != store.MessageDone && m.State != store.MessageStopped {
				settled = false
			}
		}
		if settled {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ms, _ := store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: string(kind), Limit: 1000})
	for _, m := range ms {
		t.Logf("message %d: %s, attempts %d, polls %d, error %s %s", m.ID, m.State, m.Attempts, m.Polls, m.ErrorCode, m.Error)
	}
	t.Fatalf("%s not settled within %s", kind, within)
}
