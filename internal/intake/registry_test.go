package intake

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/charmap"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// registryAccounts creates the accounts the sample registries pay
// (1002003004 with cold-water meter 101, 1002003005, 1002003117) and a
// resident linked to 1002003004.
func registryAccounts(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	_, err := db.Exec(context.Background(), `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('РЦ Тестоград', '7720999999', 'settlement') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'г. Тестоград, ул. Примерная, д. 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, n FROM h, unnest(ARRAY['12', '13', '3']) n RETURNING id, number),
		a AS (INSERT INTO accounts (org_id, premises_id, number, opened_on)
		      SELECT (SELECT org_id FROM h), p.id, v.acct, '2020-01-01'
		      FROM p JOIN (VALUES ('12', '1002003004'), ('13', '1002003005'), ('3', '1002003117')) v(prem, acct) ON v.prem = p.number
		      RETURNING id, premises_id, number),
		m AS (INSERT INTO meters (premises_id, account_id, number, resource) SELECT premises_id, id, '101', 'cold_water' FROM a WHERE number = '1002003004'),
		r AS (INSERT INTO residents (last_name) VALUES ('Иванов') RETURNING id)
		INSERT INTO resident_accounts (resident_id, account_id) SELECT r.id, a.id FROM r, a WHERE a.number = '1002003004'`)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
}

func sample(t *testing.T, parts ...string) []byte {
	t.Helper()
	dir, _ := os.Getwd()
	b, err := os.ReadFile(filepath.Join(append([]string{dir, "..", "..", "..", "shared", "spec", "samples"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cp1251(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type registryEnv struct {
	t      *testing.T
	pool   *pgxpool.Pool
	client *jobs.Client
	intake *Intake
}

// newIntake builds an intake over pool and client with test settings.
func newIntake(t testing.TB, pool *pgxpool.Pool, client *jobs.Client, cfg Config) *Intake {
	t.Helper()
	cfg.WaitPoll = cmp.Or(cfg.WaitPoll, 20*time.Millisecond)
	in, err := New(cfg, Deps{Pool: pool, Queue: client})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func newRegistryEnv(t *testing.T) *registryEnv {
	t.Helper()
	pool := testdb.New(t)
	registryAccounts(t, pool)
	client, err := jobs.NewBankClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = client.Stop(stopCtx)
	})
	return &registryEnv{t: t, pool: pool, client: client, intake: newIntake(t, pool, client, Config{})}
}

// importWait imports data and waits for processing.
func (e *registryEnv) importWait(name string, data []byte, profile string) (RegistryImport, store.Registry) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	imp, err := e.intake.ImportRegistry(ctx, bytes.NewReader(data), name, store.IntakeCLI, RegistryOptions{Profile: profile})
	if err != nil {
		e.t.Fatalf("import %s: %v", name, err)
	}
	reg, err := e.intake.Wait(ctx, imp.RegistryID, imp.JobID)
	if err != nil {
		e.t.Fatalf("wait %s: %v", name, err)
	}
	return imp, reg
}

func (e *registryEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestRegistryPipeline(t *testing.T) {
	e := newRegistryEnv(t)
	sber := sample(t, "synthetic", "sber-zhku-registry.cp1251.txt")

	imp, reg := e.importWait("sber-zhku-registry.cp1251.txt", sber, "")
	if imp.Duplicate || reg.State != store.RegistryAccepted || reg.Profile != "sber-zhku-13@1" || reg.RowsPosted != 3 ||
		reg.Amount != 844747 || reg.OrderNumber != "551234" || reg.Encoding != "cp1251" {
		t.Fatalf("first import: %+v", reg)
	}
	if n := e.count(`SELECT count(*) FROM payments WHERE source = 'sberbank' AND registry_id = $1`, reg.ID); n != 3 {
		t.Fatalf("payments = %d", n)
	}
	// The follow-up jobs were enqueued in the posting transaction.
	for _, kind := range []string{jobs.KindRegistryPosted, jobs.KindBalanceRefresh} {
		if n := e.count(`SELECT count(*) FROM river_job WHERE kind = $2 AND args->>'registry_id' = ($1::bigint)::text`, reg.ID, kind); n != 1 {
			t.Errorf("%s jobs = %d, want 1", kind, n)
		}
	}

	// The same file again: nothing stored, nothing posted.
	ctx := context.Background()
	again, err := e.intake.ImportRegistry(ctx, bytes.NewReader(sber), "copy.txt", store.IntakeInbox, RegistryOptions{})
	if err != nil || !again.Duplicate || again.RegistryID != reg.ID {
		t.Fatalf("re-import = %+v, %v", again, err)
	}
	if n := e.count(`SELECT count(*) FROM registries`); n != 1 {
		t.Fatalf("registries after re-import = %d", n)
	}

	// Another file repeating an operation and paying an unknown account.
	text, _ := charmap.Windows1251.NewDecoder().String(string(sber))
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\r\n")
	second := cp1251(t, strings.Join([]string{
		lines[0], // already posted
		strings.Replace(strings.Replace(lines[1], "10284736777", "10284799999", 1), "1002003005", "1009999999", 1),
		"=2;5712,37;5655,25;57,12;551300;16-03-2025",
	}, "\r\n")+"\r\n")
	_, reg2 := e.importWait("second.txt", second, "sber-zhku-13")
	if reg2.State != store.RegistryAcceptedWithQuarantine || reg2.RowsPosted != 0 || reg2.RowsDuplicate != 1 || reg2.RowsQuarantined != 1 {
		t.Fatalf("second import: %+v", reg2)
	}
	issues, err := store.ListRegistryIssues(ctx, e.pool, store.IssueFilter{RegistryID: reg2.ID})
	if err != nil || len(issues) != 2 {
		t.Fatalf("issues = %+v, %v", issues, err)
	}
	for _, i := range issues {
		// Lines judged in SQL get their text back from the stored file.
		if !strings.HasPrefix(i.Raw, "15-03-2025;") {
			t.Errorf("issue %s line %d raw = %q", i.Kind, i.Line, i.Raw)
		}
	}

	// A truncated file (the totals line counts 3, two lines arrived) is
	// rejected whole: nothing applied, the reason stored.
	truncated := cp1251(t, strings.Join([]string{
		strings.Replace(lines[0], "10284736251", "20000000001", 1),
		strings.Replace(lines[1], "10284736777", "20000000002", 1),
		lines[3],
	}, "\r\n")+"\r\n")
	before := e.count(`SELECT count(*) FROM payments`)
	_, reg3 := e.importWait("truncated.txt", truncated, "")
	if reg3.State != store.RegistryRejected || !strings.Contains(reg3.RejectReason, "line 3: field totals count: declares 3 payment lines, the file has 2") {
		t.Fatalf("truncated: %+v", reg3)
	}
	if after := e.count(`SELECT count(*) FROM payments`); after != before {
		t.Fatalf("rejected file posted %d payments", after-before)
	}
	if n := e.count(`SELECT count(*) FROM registry_issues WHERE registry_id = $1`, reg3.ID); n != 0 {
		t.Errorf("rejected file left %d issues", n)
	}

	// Garbage is rejected, not retried.
	_, reg4 := e.importWait("garbage.bin", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "")
	if reg4.State != store.RegistryRejected || !strings.Contains(reg4.RejectReason, "no registry profile fits") {
		t.Fatalf("garbage: %+v", reg4)
	}

	// Reconciliation: the statement's incoming payment order 551234 of
	// 16.03.2025 for 8363,00 is the first registry's money.
	stmt := "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nРасчСчет=40702810600000012345\r\n" +
		"СекцияДокумент=Платежное поручение\r\nНомер=551234\r\nДата=16.03.2025\r\nСумма=8363.00\r\n" +
		"ПлательщикСчет=30233810000000000001\r\nПолучательСчет=40702810600000012345\r\nНазначениеПлатежа=EPS реестр 551234\r\nКонецДокумента\r\n" +
		"СекцияДокумент=Платежное поручение\r\nНомер=77\r\nДата=16.03.2025\r\nСумма=100.00\r\n" +
		"ПлательщикСчет=40817810000000000001\r\nПолучательСчет=40702810600000012345\r\nНазначениеПлатежа=ЛС 1002003004\r\nКонецДокумента\r\nКонецФайла\r\n"
	si, err := e.intake.ImportStatement(ctx, bytes.NewReader(cp1251(t, stmt)), "statement.txt")
	if err != nil || si.Documents != 2 || si.Incoming != 2 || si.Matched != 1 {
		t.Fatalf("statement import = %+v, %v", si, err)
	}
	rep, err := store.LoadReconciliation(ctx, e.pool, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range rep.Registries {
		got[l.Registry.FileName] = l.Status
	}
	if got["sber-zhku-registry.cp1251.txt"] != store.ReconReconciled || got["second.txt"] != store.ReconNoMoney || len(rep.Unmatched) != 1 {
		t.Errorf("reconciliation = %v, unmatched %d", got, len(rep.Unmatched))
	}
	if si, err := e.intake.ImportStatement(ctx, bytes.NewReader(cp1251(t, stmt)), "statement.txt"); err != nil || !si.Duplicate {
		t.Errorf("statement twice = %+v, %v", si, err)
	}
	if _, err := e.intake.ImportStatement(ctx, strings.NewReader("1CClientBankExchange\r\nВерсияФормата=1.03\r\n"), "cut.txt"); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated statement = %v", err)
	}
}

func TestRegistryReadings(t *testing.T) {
	e := newRegistryEnv(t)
	_, reg := e.importWait("meters.txt", sample(t, "synthetic", "registry-with-meters-17f.cp1251.txt"), "")
	if reg.State != store.RegistryAccepted || reg.Profile != "meters-17@1" || reg.RowsPosted != 2 || reg.ReadingsPosted != 1 ||
		reg.OrderNumber != "551234" || reg.OrderDate == nil || reg.OrderDate.Format("02.01.2006") != "16.03.2025" || reg.Transfer != 571237 {
		t.Fatalf("meters registry: %+v", reg)
	}
	var value, source string
	if err := e.pool.QueryRow(context.Background(), `SELECT value::text, source FROM readings`).Scan(&value, &source); err != nil || value != "345.1200" || source != "bank" {
		t.Fatalf("reading = %s %s, %v", value, source, err)
	}
	// Meter 102 is unknown for the account: kept as a warning.
	if n := e.count(`SELECT count(*) FROM registry_issues WHERE registry_id = $1 AND kind = 'warning' AND reason LIKE '%''102''%'`, reg.ID); n != 1 {
		t.Errorf("unknown meter warnings = %d", n)
	}
}

// TestRegistryPostedNotifies works the follow-up job directly.
func TestRegistryPostedNotifies(t *testing.T) {
	e := newRegistryEnv(t)
	_, reg := e.importWait("sber.txt", sample(t, "synthetic", "sber-zhku-registry.cp1251.txt"), "")
	ctx := context.Background()
	n, err := store.NotifyRegistryPayments(ctx, e.pool, reg.ID)
	if err != nil || n != 1 {
		t.Fatalf("notifications = %d, %v", n, err)
	}
	var body string
	if err := e.pool.QueryRow(ctx, `SELECT body FROM notifications`).Scan(&body); err != nil || body != "Платёж 4512,37 ₽ от 15.03.2025 по лицевому счёту 1002003004 зачислен." {
		t.Errorf("body = %q, %v", body, err)
	}
}

// TestRegistryEnqueuesGISPaymentNotices: with GIS ZhKH configured, the
// posting transaction also enqueues the payment notices per organization
// and month.
func TestRegistryEnqueuesGISPaymentNotices(t *testing.T) {
	pool := testdb.New(t)
	registryAccounts(t, pool)
	client, err := jobs.NewBankClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler), GIS: &gisexchange.Exchange{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(context.Background()) }()
	e := &registryEnv{t: t, pool: pool, client: client, intake: newIntake(t, pool, client, Config{})}
	_, reg := e.importWait("sber.txt", sample(t, "synthetic", "sber-zhku-registry.cp1251.txt"), "")
	if reg.RowsPosted != 3 {
		t.Fatalf("registry: %+v", reg)
	}
	var args []string
	rows, err := pool.Query(ctx, `SELECT args::text FROM river_job WHERE kind = 'gis_sync' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		args = append(args, a)
	}
	if len(args) != 1 || !strings.Contains(args[0], `"what": "payments"`) || !strings.Contains(args[0], `"period": "2025-03"`) {
		t.Errorf("gis_sync jobs = %v", args)
	}
}

// TestConcurrentRegistriesShareOperations: two files carrying the same
// operations, processed at once by two workers, post each operation once
// and flag the other copy as a duplicate.
func TestConcurrentRegistriesShareOperations(t *testing.T) {
	e := newRegistryEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var files [2][]byte
	for i := range files {
		var buf bytes.Buffer
		// The same operations (ids 7000…7299); the seed changes amounts,
		// so the bytes (and hashes) differ.
		if _, err := bank.GenerateSber(&buf, bank.GenerateOptions{Lines: 300, Accounts: []string{"1002003004", "1002003005"},
			Date: time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), Seed: uint64(i + 1), FirstOperation: 7000}); err != nil {
			t.Fatal(err)
		}
		files[i] = buf.Bytes()
	}
	var imps [2]RegistryImport
	for i, f := range files {
		imp, err := e.intake.ImportRegistry(ctx, bytes.NewReader(f), "same-ops.txt", store.IntakeCLI, RegistryOptions{})
		if err != nil || imp.Duplicate {
			t.Fatalf("import %d: %+v, %v", i, imp, err)
		}
		imps[i] = imp
	}
	posted, dups := 0, 0
	for _, imp := range imps {
		reg, err := e.intake.Wait(ctx, imp.RegistryID, imp.JobID)
		if err != nil {
			t.Fatal(err)
		}
		posted += reg.RowsPosted
		dups += reg.RowsDuplicate
	}
	if posted != 300 || dups != 300 {
		t.Errorf("posted %d, duplicates %d; want 300 and 300", posted, dups)
	}
	if n := e.count(`SELECT count(*) FROM payments WHERE source = 'sberbank'`); n != 300 {
		t.Errorf("payments = %d", n)
	}
}
