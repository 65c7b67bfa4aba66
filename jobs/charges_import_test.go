package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// chargeFixture creates the organization of the billing format's examples
// with its accounts and services.
func chargeFixture(t testing.TB, db *pgxpool.Pool) {
	t.Helper()
	_, err := db.Exec(context.Background(), `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК Пример', '5902987651', 'management') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'г. Пермь, ул. Ленина, д. 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT h.id, n FROM h, unnest(ARRAY['1', '2', '3']) n RETURNING id, house_id, number),
		a AS (INSERT INTO accounts (org_id, premises_id, number, opened_on)
		      SELECT h.org_id, p.id, '000010000' || p.number, '2020-01-01' FROM p JOIN h ON h.id = p.house_id)
		INSERT INTO services (org_id, code, name, unit, kind)
		SELECT o.id, s.code, s.code, 'unit', 'utility' FROM o, unnest(ARRAY['cold_water', 'heating', 'maintenance', 'intercom']) s(code)`)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
}

// storeChargeFile stores data and enqueues its job through client, as intake does.
func storeChargeFile(t testing.TB, pool *pgxpool.Pool, client *Client, name string, data []byte) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256(data)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	id, err := store.CreateChargeFile(ctx, tx, store.NewChargeFile{SHA256: sum[:], FileName: name, SizeBytes: int64(len(data)), Intake: store.IntakeCLI}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.InsertTx(ctx, tx, ChargesImportArgs{FileID: id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return id, res.Job.ID
}

func waitJob(t testing.TB, client *Client, id int64, states ...rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Minute) // a million-line file on a loaded machine
	for {
		job, err := client.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if job.State == s {
				return job
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s, want one of %v", id, job.State, states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChargesImportCrashWritesNothingTwice(t *testing.T) {
	pool := testdb.New(t)
	chargeFixture(t, pool)
	var fail atomic.Bool
	fail.Store(true)
	w := &ChargesImportWorker{Pool: pool, failAfterApply: func() error {
		if fail.Load() {
			return errors.New("worker died after writing, before the commit")
		}
		return nil
	}}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{QueueBank: {MaxWorkers: 1}}, Workers: workers, FetchCooldown: 10 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(context.WithoutCancel(ctx)) }()

	data, err := os.ReadFile("../connectors/billing/testdata/example.csv")
	if err != nil {
		t.Fatal(err)
	}
	fileID, jobID := storeChargeFile(t, pool, client, "example.csv", data)
	waitJob(t, client, jobID, rivertype.JobStateRetryable)
	count := func(sql string) int {
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const written = `SELECT (SELECT count(*) FROM charges) + (SELECT count(*) FROM charge_lines) + (SELECT count(*) FROM charge_issues)
		+ (SELECT count(*) FROM audit_log WHERE action = 'charges.imported')`
	if n := count(written); n != 0 {
		t.Fatalf("the failed attempt left %d rows", n)
	}
	if s, err := store.ChargeFileStateOf(ctx, pool, fileID); err != nil || s != store.ChargeFileReceived {
		t.Fatalf("state after the failed attempt = %s, %v", s, err)
	}

	fail.Store(false)
	if _, err := client.JobRetry(ctx, jobID); err != nil {
		t.Fatal(err)
	}
	waitJob(t, client, jobID, rivertype.JobStateCompleted)
	if n := count(`SELECT count(*) FROM charges`); n != 4 {
		t.Fatalf("charges = %d, want 4", n)
	}
	// Run again (a retry after a lost commit acknowledgement): nothing more.
	res, err := client.Insert(ctx, ChargesImportArgs{FileID: fileID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, client, res.Job.ID, rivertype.JobStateCompleted)
	if n := count(written); n != 4+4+0+1 {
		t.Fatalf("rows after a second run = %d, want 9", n)
	}
	f, err := store.GetChargeFile(ctx, pool, fileID)
	if err != nil || f.State != store.ChargeFileAccepted || *f.Version != 1 {
		t.Fatalf("file = %+v, %v", f, err)
	}
}
