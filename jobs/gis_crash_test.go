package jobs_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gost"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// Environment of the child worker process of TestGISKillWorker.
const (
	envCrashDB  = "ZHKHGATE_GIS_CRASH_DB"
	envCrashSim = "ZHKHGATE_GIS_CRASH_SIM"
)

// gisDeps builds the GIS dependencies against a simulator URL.
func gisDeps(t *testing.T, simURL string) (*jobs.GIS, *gost.Certificate, *gost.OpenSSL) {
	t.Helper()
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := tool.LoadSigner(ctx, "../connectors/giszhkh/testdata/operator-key.pem", "../connectors/giszhkh/testdata/operator-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	b, err := giszhkh.NewBuilder(ctx, signer, tool, giszhkh.BuilderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := &jobs.GIS{Builder: b, BankBIK: "044525225", BankAccount: "40702810938000012345",
		Poll: []time.Duration{20 * time.Millisecond, 50 * time.Millisecond}, ResendAfter: 20 * time.Millisecond}
	if simURL != "" {
		if g.Client, err = giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: simURL, Timeout: 30 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	return g, signer.Certificate(), tool
}

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
	g, _, _ := gisDeps(t, simURL)
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
	g, cert, tool := gisDeps(t, "")
	s, err := sim.New(sim.Config{SpecDir: "../../shared/spec/gis-zhkh", Trusted: []*gost.Certificate{cert}, Crypto: tool,
		Orgs: []string{gisOrgPPA}, Delay: 30 * time.Millisecond, Faults: sim.Faults{Latency: 700 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	child := exec.Command(os.Args[0], "-test.run=^TestGISCrashChild$", "-test.timeout=5m")
	child.Env = append(os.Environ(), envCrashDB+"="+url, envCrashSim+"="+srv.URL)
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
	if _, err := inserter.Insert(ctx, jobs.GISSyncArgs{OrgID: 1, What: jobs.GISWhatAccounts, Period: "2026-10"}, nil); err != nil {
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
	ms, err := store.ListGISMessages(ctx, db, store.GISMessageFilter{OrgID: 1, State: store.GISSending})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no message was left 'sending' by the kill (%v); the test would prove nothing", err)
	}
	if c := s.Counts(); c.Accounts == 0 {
		t.Fatalf("the killed send never reached the simulator (%+v); the test would prove nothing", c)
	}

	// A new worker takes over: stuck jobs are rescued and finished.
	g.Client, err = giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: srv.URL, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
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
	waitSettled(t, e, jobs.GISWhatAccounts, 5*time.Minute)
	t.Logf("recovered in %s", time.Since(recovering).Round(time.Second))
	e.checkAllConfirmed(t, jobs.GISWhatAccounts, n)
	e.sync(t, jobs.GISWhatDocuments)
	e.checkAllConfirmed(t, jobs.GISWhatDocuments, n)
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

func waitSettled(t *testing.T, e *gisEnv, kind string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ms, err := store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: kind, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		settled := len(ms) > 0
		for _, m := range ms {
			if m.State != store.GISDone && m.State != store.GISStopped {
				settled = false
			}
		}
		if settled {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ms, _ := store.ListGISMessages(context.Background(), e.db, store.GISMessageFilter{OrgID: 1, Kind: kind, Limit: 1000})
	for _, m := range ms {
		t.Logf("message %d: %s, attempts %d, polls %d, error %s %s", m.ID, m.State, m.Attempts, m.Polls, m.ErrorCode, m.Error)
	}
	t.Fatalf("%s not settled within %s", kind, within)
}
