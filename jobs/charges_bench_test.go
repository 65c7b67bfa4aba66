package jobs

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

var benchChargeLines = flag.Int("charges-lines", 1_000_000, "charge lines in BenchmarkChargesMillion's file")

const benchServices = 10

// benchCharge is line i of the generated file: account i/benchServices,
// service i%benchServices, tariff and volume varying, charged their product.
func benchCharge(i int) (acct, svc string, tariff, volume model.Decimal, charged int64) {
	t := int64(100_000 + (i%977)*37) // scale 4: 10.0000 … 23.3000
	v := int64(1 + (i*7919)%200_000) // scale 3: 0.001 … 200.000
	charged = (t*v + 50_000) / 100_000
	return fmt.Sprintf("%010d", i/benchServices), fmt.Sprintf("svc%02d", i%benchServices),
		model.Decimal{Units: t, Scale: 4}, model.Decimal{Units: v, Scale: 3}, charged
}

// chargeBenchOrg creates one organization with lines/benchServices
// accounts and benchServices services, set-based.
func chargeBenchOrg(b *testing.B, pool *pgxpool.Pool, lines int) {
	_, err := pool.Exec(context.Background(), `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК Бенчмарк', '5902987651', 'management') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Длинная, 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT h.id, n::text FROM h, generate_series(0, $1 - 1) n RETURNING id, number),
		a AS (INSERT INTO accounts (org_id, premises_id, number, opened_on)
		      SELECT (SELECT id FROM o), p.id, lpad(p.number, 10, '0'), '2020-01-01' FROM p)
		INSERT INTO services (org_id, code, name, unit, kind)
		SELECT o.id, 'svc' || lpad(s::text, 2, '0'), 'service', 'unit', 'utility' FROM o, generate_series(0, $2 - 1) s`,
		(lines+benchServices-1)/benchServices, benchServices)
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkChargesMillion measures the charge file path — store the raw
// file, parse and check every line, COPY into staging, match accounts and
// services set-based, write the version and the current charges, complete
// the job — beside a raw pgx CopyFrom of the same rows into a bare table,
// in one run. Reported: lines per second of each and their ratio.
func BenchmarkChargesMillion(b *testing.B) {
	ctx := context.Background()
	pool := testdb.New(b)
	lines := *benchChargeLines
	chargeBenchOrg(b, pool, lines)
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	client, err := NewBankClient(Deps{Pool: pool, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()

	var pipeline, raw time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		period := time.Date(2026, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC).AddDate(i/12, 0, 0)
		path := filepath.Join(b.TempDir(), "charges.csv")
		data := writeBenchCharges(b, path, period, lines)
		b.StartTimer()

		start := time.Now()
		fileID, jobID := storeChargeFile(b, pool, client, path, data)
		waitJob(b, client, jobID, "completed")
		pipeline += time.Since(start)
		f, err := store.GetChargeFile(ctx, pool, fileID)
		if err != nil || f.State != store.ChargeFileAccepted || f.RowsApplied != lines {
			b.Fatalf("file: %+v, %v", f, err)
		}

		start = time.Now()
		rawChargeCopy(b, pool, lines)
		raw += time.Since(start)
	}
	b.StopTimer()
	n := float64(lines * b.N)
	b.ReportMetric(n/pipeline.Seconds(), "pipeline_lines/s")
	b.ReportMetric(n/raw.Seconds(), "rawcopy_lines/s")
	b.ReportMetric(100*raw.Seconds()/pipeline.Seconds(), "ratio_%")
}

func writeBenchCharges(b *testing.B, path string, period time.Time, lines int) []byte {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "#inn=5902987651\n#period=%s\naccount;service;tariff;volume;charged;total\n", period.Format("2006-01"))
	var sum int64
	for i := range lines {
		acct, svc, t, v, c := benchCharge(i)
		sum += c
		fmt.Fprintf(w, "%s;%s;%s;%s;%d.%02d;%d.%02d\n", acct, svc, t, v, c/100, c%100, c/100, c%100)
	}
	fmt.Fprintf(w, "#total;lines=%d;charged=%d.%02d;total=%d.%02d\n", lines, sum/100, sum%100, sum/100, sum%100)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// rawChargeCopy COPYs the same rows into a bare table (no keys, no
// indexes) on a connection of the same pool (the same numeric codec).
func rawChargeCopy(b *testing.B, pool *pgxpool.Pool, lines int) {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bare_charges; CREATE TABLE bare_charges (
		account text, service text, tariff numeric, volume numeric, amount bigint, total bigint)`); err != nil {
		b.Fatal(err)
	}
	i := 0
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"bare_charges"}, []string{"account", "service", "tariff", "volume", "amount", "total"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == lines {
				return nil, nil
			}
			acct, svc, t, v, c := benchCharge(i)
			i++
			return []any{acct, svc, t, v, c, c}, nil
		}))
	if err != nil || n != int64(lines) {
		b.Fatalf("raw copy: %d rows, %v", n, err)
	}
}
