package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// envScaleChild marks the test binary re-run as a `zhkhgate worker` process
// of TestWorkersShareRegistryQueue.
const envScaleChild = "ZHKHGATE_TEST_SCALE_CHILD"

// TestScaleWorkerChild is `zhkhgate worker` in a process of its own, its
// configuration read from the environment like the real binary's; it does
// nothing in a normal test run.
func TestScaleWorkerChild(t *testing.T) {
	if os.Getenv(envScaleChild) == "" {
		t.Skip("child process of TestWorkersShareRegistryQueue only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdout: os.Stderr, Stderr: os.Stderr, Getenv: os.Getenv}
	if err := run(ctx, env, []string{"worker"}); err != nil {
		t.Fatal(err)
	}
}

// scaleWorker is one `zhkhgate worker` process of the test.
type scaleWorker struct {
	id  string
	cmd *exec.Cmd
	log bytes.Buffer
}

func startScaleWorker(t *testing.T, url, id string) *scaleWorker {
	t.Helper()
	w := &scaleWorker{id: id}
	w.cmd = exec.Command(os.Args[0], "-test.run=^TestScaleWorkerChild$", "-test.timeout=10m")
	w.cmd.Env = append(os.Environ(), envScaleChild+"=1", "DATABASE_URL="+url, "ZHKHGATE_WORKER_ID="+id,
		"ZHKHGATE_DATA_DIR="+t.TempDir(), "ZHKHGATE_QUEUES=default=1,bank=2,gis=1,notify=1", "ZHKHGATE_LOG_LEVEL=warn")
	w.cmd.Stdout, w.cmd.Stderr = &w.log, &w.log
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			_ = w.cmd.Process.Signal(syscall.SIGTERM)
			_ = w.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("worker %s:\n%s", w.id, w.log.String())
		}
	})
	return w
}

// TestWorkersShareRegistryQueue runs two `zhkhgate worker` processes on one
// database, queues registries, kills one worker with SIGKILL while it is
// posting a registry, and starts it again under the same ZHKHGATE_WORKER_ID:
// every registry is posted exactly once, and no payment twice.
func TestWorkersShareRegistryQueue(t *testing.T) {
	if os.Getenv(envScaleChild) != "" {
		t.Skip("in the child")
	}
	const registries, lines = 24, 4000
	ctx := context.Background()
	url := testdb.NewURL(t)
	pool, err := store.NewPool(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 300, Months: 1}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	accounts, err := store.AccountNumbers(ctx, pool, 300)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := jobs.NewBankClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)}) // inserts only
	if err != nil {
		t.Fatal(err)
	}
	in, err := intake.New(intake.Config{}, intake.Deps{Pool: pool, Queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, registries)
	day := time.Now().AddDate(0, 0, -1)
	for i := range registries {
		var buf bytes.Buffer
		if _, err := bank.GenerateSber(&buf, bank.GenerateOptions{Lines: lines, Accounts: accounts, Date: day,
			Seed: uint64(i + 1), FirstOperation: int64(i*lines) + 1}); err != nil {
			t.Fatal(err)
		}
		imp, err := in.ImportRegistry(ctx, bytes.NewReader(buf.Bytes()), fmt.Sprintf("registry-%02d.txt", i),
			store.IntakeCLI, intake.RegistryOptions{Profile: "sber-zhku-13"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = imp.RegistryID
	}

	a := startScaleWorker(t, url, "scale-a")
	startScaleWorker(t, url, "scale-b")

	// Kill worker a while it holds a registry in its posting transaction, once
	// both workers have posted something.
	deadline := time.Now().Add(5 * time.Minute)
	var killedJob int64
	for killedJob == 0 {
		if time.Now().After(deadline) {
			t.Fatal("worker scale-a never held a registry job while others were done; the test would prove nothing")
		}
		time.Sleep(10 * time.Millisecond)
		var done int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM registries WHERE state <> 'received'`).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done < 2 || done == registries {
			continue
		}
		err := pool.QueryRow(ctx, `SELECT coalesce(min(id), 0) FROM river_job WHERE kind = $1 AND state = 'running'
			AND attempted_by[cardinality(attempted_by)] = $2`, jobs.KindRegistryProcess, a.id).Scan(&killedJob)
		if err != nil {
			t.Fatal(err)
		}
		if killedJob != 0 {
			if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = a.cmd.Wait()
		}
	}
	var state string
	if err := pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, killedJob).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "running" {
		t.Fatalf("job %d is %s after the kill; it should be left running by the dead worker", killedJob, state)
	}
	startScaleWorker(t, url, "scale-a") // takes back its job at start

	for _, id := range ids {
		for {
			s, err := store.RegistryState(ctx, pool, id)
			if err != nil {
				t.Fatal(err)
			}
			if s != store.RegistryReceived {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("registry %d still %s", id, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
		reg, err := store.GetRegistry(ctx, pool, id)
		if err != nil {
			t.Fatal(err)
		}
		if reg.State != store.RegistryAccepted || reg.RowsPosted != lines || reg.RowsDuplicate != 0 {
			t.Errorf("registry %d: %s, %d posted, %d duplicates; want accepted, %d posted, none duplicate",
				id, reg.State, reg.RowsPosted, reg.RowsDuplicate, lines)
		}
	}
	var payments, distinctOps, audits, attempts int
	var workers []string
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (source, operation_id, operation_date)) FROM payments
		WHERE registry_id = ANY($1)`, ids).Scan(&payments, &distinctOps); err != nil {
		t.Fatal(err)
	}
	if payments != registries*lines || distinctOps != payments {
		t.Errorf("%d payments of %d operations; want %d of as many", payments, distinctOps, registries*lines)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'registry.processed'`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != registries {
		t.Errorf("%d registry verdicts recorded; want one per registry (%d)", audits, registries)
	}
	if err := pool.QueryRow(ctx, `SELECT attempt, attempted_by FROM river_job WHERE id = $1`, killedJob).Scan(&attempts, &workers); err != nil {
		t.Fatal(err)
	}
	if attempts < 2 {
		t.Errorf("the killed job %d ran %d time(s); it should have been taken back and run again", killedJob, attempts)
	}
	if err := pool.QueryRow(ctx, `SELECT array_agg(DISTINCT w) FROM river_job, unnest(attempted_by) w
		WHERE kind = $1`, jobs.KindRegistryProcess).Scan(&workers); err != nil {
		t.Fatal(err)
	}
	if len(workers) != 2 {
		t.Errorf("registry jobs were worked by %v; want both workers", workers)
	}
}
