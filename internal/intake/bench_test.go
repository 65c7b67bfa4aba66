package intake

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

var (
	benchLines   = flag.Int("registry-lines", 1_000_000, "payment lines in BenchmarkRegistryMillion's registry")
	benchSeed    = flag.Int("registry-seed", 5_000_000, "payments already stored before BenchmarkRegistryMillion posts")
	benchExplain = flag.Bool("registry-explain", false, "log EXPLAIN (ANALYZE, BUFFERS) of statements over 500 ms to the test cluster's log")
)

// BenchmarkRegistryMillion measures the whole registry path on a generated
// Sberbank registry paying the demo center's accounts — store the raw
// file, parse, validate, COPY into staging, merge into payments, enqueue
// the follow-up job — beside a raw pgx CopyFrom of the same rows into a
// bare table, in one run. Reported: rows per second of each, their ratio,
// and the process's peak RSS after the whole path.
func BenchmarkRegistryMillion(b *testing.B) {
	ctx := context.Background()
	pool := testdb.New(b)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 10_000, Months: 1}, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}
	accounts, err := store.AccountNumbers(ctx, pool, 10_000)
	if err != nil {
		b.Fatal(err)
	}
	day := time.Now().AddDate(0, 0, -1)
	seedPayments(b, pool, *benchSeed, day)
	if *benchExplain {
		explainSlow(b, pool)
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	client, err := jobs.NewBankClient(jobs.Deps{Pool: pool, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	intake := newIntake(b, pool, client, Config{})
	lines := *benchLines
	opts := func(i int) bank.GenerateOptions {
		return bank.GenerateOptions{Lines: lines, Accounts: accounts, Date: day, Seed: uint64(i + 1), FirstOperation: int64(i*lines) + 1}
	}

	var pipeline, raw time.Duration
	var peakRSS int64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "registry.txt")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bank.GenerateSber(f, opts(i)); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Seek(0, 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		start := time.Now()
		imp, err := intake.ImportRegistry(ctx, f, path, store.IntakeCLI, RegistryOptions{Profile: "sber-zhku-13"})
		if err != nil {
			b.Fatal(err)
		}
		reg, err := intake.Wait(ctx, imp.RegistryID, imp.JobID)
		if err != nil {
			b.Fatal(err)
		}
		pipeline += time.Since(start)
		f.Close()
		if reg.State != store.RegistryAccepted || reg.RowsPosted != lines {
			b.Fatalf("registry: %s, posted %d of %d: %s", reg.State, reg.RowsPosted, lines, reg.RejectReason)
		}
		peakRSS = max(peakRSS, vmHWM(b))

		start = time.Now()
		rawCopy(b, pool.Config().ConnConfig, opts(i))
		raw += time.Since(start)
	}
	b.StopTimer()
	n := float64(lines * b.N)
	b.ReportMetric(n/pipeline.Seconds(), "pipeline_rows/s")
	b.ReportMetric(n/raw.Seconds(), "rawcopy_rows/s")
	b.ReportMetric(100*raw.Seconds()/pipeline.Seconds(), "ratio_%")
	b.ReportMetric(float64(peakRSS)/1024, "peak_rss_MB")
}

// seedPayments stores n payments of the demo's accounts, spread over the
// twelve months before day, as a settlement center has before a registry
// comes: one INSERT … SELECT over generate_series with the table's indexes
// dropped and built again after (a sorted build, minutes faster than a
// million index insertions), then VACUUM ANALYZE. The database is the
// benchmark's own, so the schema it leaves is the migrated one.
func seedPayments(b *testing.B, pool *pgxpool.Pool, n int, day time.Time) {
	if n <= 0 {
		return
	}
	ctx := context.Background()
	start := time.Now()
	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, `
		SELECT CASE WHEN c.conname IS NULL THEN format('DROP INDEX %I', i.relname)
		            ELSE format('ALTER TABLE payments DROP CONSTRAINT %I CASCADE', c.conname) END,
		       CASE WHEN c.conname IS NULL THEN pg_get_indexdef(i.oid)
		            ELSE format('ALTER TABLE payments ADD CONSTRAINT %I %s', c.conname, pg_get_constraintdef(c.oid)) END
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
		WHERE x.indrelid = 'payments'::regclass`)
	if err != nil {
		b.Fatal(err)
	}
	type ddl struct{ Drop, Create string }
	defs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ddl])
	if err != nil {
		b.Fatal(err)
	}
	// Keys referencing payments (registry_issues) go with the primary key; restore them after it.
	rows, err = tx.Query(ctx, `
		SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE contype = 'f' AND confrelid = 'payments'::regclass`)
	if err != nil {
		b.Fatal(err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range defs {
		if _, err := tx.Exec(ctx, d.Drop); err != nil {
			b.Fatalf("seed payments: %s: %v", d.Drop, err)
		}
	}
	if _, err := tx.Exec(ctx, `
		WITH a AS (SELECT array_agg(id ORDER BY id) AS ids FROM accounts)
		INSERT INTO payments (source, operation_id, operation_date, paid_at, account_id, period, amount, commission, payer_name)
		SELECT 'sberbank', 'h' || g, $2::date - 1 - (g % 365), $2::date - 1 - (g % 365) + time '10:00',
			a.ids[1 + g % cardinality(a.ids)], date_trunc('month', $2::date - 1 - (g % 365))::date,
			10000 + g % 500000, 0, 'ИВАНОВ И. И.'
		FROM a, generate_series(1, $1::int) g`, n, day); err != nil {
		b.Fatalf("seed payments: %v", err)
	}
	for _, d := range defs {
		if _, err := tx.Exec(ctx, d.Create); err != nil {
			b.Fatalf("seed payments: %s: %v", d.Create, err)
		}
	}
	for _, r := range refs {
		if _, err := tx.Exec(ctx, r); err != nil {
			b.Fatalf("seed payments: %s: %v", r, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE payments`); err != nil {
		b.Fatalf("seed payments: %v", err)
	}
	b.Logf("seeded %d payments in %s", n, time.Since(start).Round(time.Millisecond))
}

// explainSlow makes every later connection to the benchmark's database log
// the plans, with timing and buffers, of statements slower than 500 ms, at
// a level the test cluster's log keeps.
func explainSlow(b *testing.B, pool *pgxpool.Pool) {
	db := pool.Config().ConnConfig.Database
	for _, set := range []string{"session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 500",
		"auto_explain.log_analyze = on", "auto_explain.log_buffers = on", "auto_explain.log_nested_statements = on",
		"auto_explain.log_level = warning"} {
		if _, err := pool.Exec(context.Background(), "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET "+set); err != nil {
			b.Fatalf("explain: %v", err)
		}
	}
	pool.Reset()
}

// rawCopy COPYs the same generated rows into a bare table (no keys, no
// indexes) with pgx, on a fresh connection.
func rawCopy(b *testing.B, cfg *pgx.ConnConfig, o bank.GenerateOptions) {
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS bare_payments; CREATE TABLE bare_payments (
		source text, operation_id text, operation_date date, paid_at timestamptz, account_number text,
		period date, amount bigint, commission bigint, payer_name text)`); err != nil {
		b.Fatal(err)
	}
	g, err := bank.NewGenerator(o)
	if err != nil {
		b.Fatal(err)
	}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"bare_payments"}, []string{"source", "operation_id", "operation_date",
		"paid_at", "account_number", "period", "amount", "commission", "payer_name"},
		pgx.CopyFromFunc(func() ([]any, error) {
			r, ok := g.Next()
			if !ok {
				return nil, nil
			}
			return []any{"sberbank", strconv.FormatInt(r.OperationID, 10), o.Date, r.PaidAt, r.Account, r.Period,
				r.Amount, r.Commission, r.Payer}, nil
		}))
	if err != nil || n != int64(o.Lines) {
		b.Fatalf("raw copy: %d rows, %v", n, err)
	}
}

// vmHWM is the process's peak resident set size in KiB.
func vmHWM(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
