package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/charmap"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

const (
	testINN   = "5902987651"
	otherINN  = "5902000017"
	exampleCS = "../../connectors/billing/testdata/example.csv"
	exampleJS = "../../connectors/billing/testdata/example.json"
)

// chargeFixture creates the organization of the format's examples with
// accounts 0000100001..3 and services cold_water, heating, maintenance,
// intercom, and a second organization with one account and service.
func chargeFixture(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	_, err := db.Exec(context.Background(), `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК Пример', '`+testINN+`', 'management'),
		                                                          ('УК Другая', '`+otherINN+`', 'management') RETURNING id, inn),
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

type chargeEnv struct {
	t      *testing.T
	pool   *pgxpool.Pool
	client *jobs.Client
	in     *Charges
}

func newChargeEnv(t *testing.T) *chargeEnv {
	t.Helper()
	pool := testdb.New(t)
	chargeFixture(t, pool)
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
	return &chargeEnv{t: t, pool: pool, client: client, in: &Charges{Pool: pool, Jobs: client}}
}

func (e *chargeEnv) importWait(name string, data []byte, opt ChargeOptions) (ChargeImported, store.ChargeFile) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	imp, err := e.in.Import(ctx, bytes.NewReader(data), name, opt)
	if err != nil {
		e.t.Fatalf("import %s: %v", name, err)
	}
	f, err := WaitCharges(ctx, e.pool, e.client, imp.FileID, imp.JobID, 20*time.Millisecond)
	if err != nil {
		e.t.Fatalf("wait %s: %v", name, err)
	}
	return imp, f
}

func (e *chargeEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// snapshot is the current charges as text, to show nothing changed.
func (e *chargeEnv) snapshot() string {
	e.t.Helper()
	var s string
	err := e.pool.QueryRow(context.Background(), `
		SELECT coalesce(string_agg(format('%s/%s/%s/%s/%s', account_id, service_id, period, total, file_id), ',' ORDER BY account_id, service_id), '')
		FROM charges`).Scan(&s)
	if err != nil {
		e.t.Fatal(err)
	}
	return s + fmt.Sprintf("|lines=%d|issues=%d", e.count(`SELECT count(*) FROM charge_lines`), e.count(`SELECT count(*) FROM charge_issues`))
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChargesImportIsIdempotent(t *testing.T) {
	e := newChargeEnv(t)
	csv := readFile(t, exampleCS)
	imp, f := e.importWait("example.csv", csv, ChargeOptions{})
	if imp.Duplicate || f.State != store.ChargeFileAccepted || f.Version == nil || *f.Version != 1 || f.RowsApplied != 4 ||
		f.Charged != 420775 || f.Total != 358775 || f.Encoding != "utf-8" || f.Format != "csv" || f.Period.Format("2006-01") != "2026-10" {
		t.Fatalf("first import: %+v", f)
	}
	if n := e.count(`SELECT count(*) FROM charges WHERE file_id = $1 AND period = '2026-10-01'`, f.ID); n != 4 {
		t.Fatalf("current charges = %d, want 4", n)
	}
	// The heating line: volume, recalculation and benefit as in the file.
	var total, recalc, benefit int64
	var volume string
	err := e.pool.QueryRow(context.Background(), `
		SELECT c.total, c.recalculation, c.benefit, c.volume::text FROM charges c JOIN services s ON s.id = c.service_id
		WHERE s.code = 'heating' AND c.file_id = $1`, f.ID).Scan(&total, &recalc, &benefit, &volume)
	if err != nil || total != 183358 || recalc != -12000 || benefit != 50000 || volume != "0.954200" {
		t.Fatalf("heating charge = %d %d %d %s, %v", total, recalc, benefit, volume, err)
	}
	before := e.snapshot()

	// The same bytes: nothing stored, nothing enqueued.
	again, err := e.in.Import(context.Background(), bytes.NewReader(csv), "copy.csv", ChargeOptions{Intake: store.IntakeInbox})
	if err != nil || !again.Duplicate || again.FileID != f.ID || again.JobID != 0 {
		t.Fatalf("same bytes again = %+v, %v", again, err)
	}
	// The same charges in cp1251, and as JSON: stored (other bytes), but a duplicate of version 1.
	for name, data := range map[string][]byte{"example.cp1251.csv": cp1251(t, string(csv)), "example.json": readFile(t, exampleJS)} {
		_, g := e.importWait(name, data, ChargeOptions{})
		if g.State != store.ChargeFileDuplicate || g.DuplicateOf == nil || *g.DuplicateOf != f.ID || g.Version != nil {
			t.Fatalf("%s: %+v", name, g)
		}
	}
	if got := e.snapshot(); got != before {
		t.Fatalf("a duplicate changed the charges:\n%s\n%s", before, got)
	}
	if n := e.count(`SELECT count(*) FROM charge_files`); n != 3 {
		t.Fatalf("charge files = %d, want 3", n)
	}
}

// secondVersion is the example with heating changed, intercom removed and
// an added maintenance charge of account 0000100003.
func secondVersion(t *testing.T) []byte {
	s := string(readFile(t, exampleCS))
	s = strings.Replace(s, "0000100002;intercom;шт.;60.0000;1;;;60.00;;;;60.00;other\n", "0000100003;maintenance;кв.м;28.4000;40;;;1136.00;;;;1136.00;\n", 1)
	s = strings.Replace(s, "2453.58;-120.00;перерасчёт за сентябрь: прибор учёта;500.00;1833.58;", "2453.58;-120.00;перерасчёт за сентябрь: прибор учёта;400.00;1933.58;", 1)
	s = strings.Replace(s, "#total;lines=4;charged=4207.75;total=3587.75", "#total;lines=4;charged=5283.75;total=4763.75", 1)
	return []byte(s)
}

func TestSecondFileIsANewVersionOnlyWhenAsked(t *testing.T) {
	e := newChargeEnv(t)
	_, v1 := e.importWait("october.csv", readFile(t, exampleCS), ChargeOptions{})
	before := e.snapshot()

	v2data := secondVersion(t)
	_, f := e.importWait("october-fixed.csv", v2data, ChargeOptions{})
	if f.State != store.ChargeFileRejected || !strings.Contains(f.RejectReason, "2026-10 already has charges version 1") ||
		!strings.Contains(f.RejectReason, "--new-version") {
		t.Fatalf("second file without --new-version: %+v", f)
	}
	if got := e.snapshot(); got != before {
		t.Fatalf("a rejected second file changed the charges:\n%s\n%s", before, got)
	}

	// The same bytes, now asked as a new version: the stored file is processed again.
	imp, f2 := e.importWait("october-fixed.csv", v2data, ChargeOptions{NewVersion: true})
	if !imp.Requeued || imp.FileID != f.ID || f2.State != store.ChargeFileAccepted || f2.Version == nil || *f2.Version != 2 {
		t.Fatalf("new version: %+v %+v", imp, f2)
	}
	// Version 1 is kept; the current charges are version 2's.
	if n := e.count(`SELECT count(*) FROM charge_lines WHERE file_id = $1`, v1.ID); n != 4 {
		t.Fatalf("version 1 lines = %d", n)
	}
	if n := e.count(`SELECT count(*) FROM charges WHERE file_id = $1`, f2.ID); n != 4 {
		t.Fatalf("current charges of version 2 = %d", n)
	}
	if n := e.count(`SELECT count(*) FROM charges`); n != 4 {
		t.Fatalf("current charges = %d (versions merged?)", n)
	}
	var org int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM organizations WHERE inn = $1`, testINN).Scan(&org); err != nil {
		t.Fatal(err)
	}
	diff, counts, err := store.DiffChargeVersions(context.Background(), e.pool, org, *f2.Period, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(diff)
	want := `[{"kind":"changed","account":"0000100001","service":"heating","from_amount":245358,"to_amount":245358,"from_total":183358,"to_total":193358},` +
		`{"kind":"removed","account":"0000100002","service":"intercom","from_amount":6000,"from_total":6000},` +
		`{"kind":"added","account":"0000100003","service":"maintenance","to_amount":113600,"to_total":113600}]`
	if string(got) != want {
		t.Fatalf("diff:\n got %s\nwant %s", got, want)
	}
	if counts != (store.ChargeDiffCounts{Added: 1, Removed: 1, Changed: 1, Unchanged: 2, Delta: 117600}) {
		t.Fatalf("counts = %+v", counts)
	}
	var report struct {
		Result store.ChargeApplyResult `json:"result"`
	}
	if err := json.Unmarshal(f2.Report, &report); err != nil || report.Result.Diff != counts {
		t.Fatalf("report diff = %+v, %v", report.Result.Diff, err)
	}
	if _, _, err := store.DiffChargeVersions(context.Background(), e.pool, org, *f2.Period, 1, 3); err == nil ||
		!strings.Contains(err.Error(), "no version 3") {
		t.Fatalf("diff with a missing version: %v", err)
	}
}

const csvHead = "#inn=" + testINN + "\n#period=2026-11\naccount;service;tariff;volume;charged;recalculation;recalc_reason;benefit;total\n"

func TestBadChargeFiles(t *testing.T) {
	e := newChargeEnv(t)
	// Version 1 of November, which no bad file may touch.
	good := csvHead + "0000100001;cold_water;10;2;20.00;;;;20.00\n0000100002;cold_water;10;3;30.00;;;;30.00\n"
	if _, f := e.importWait("november.csv", []byte(good), ChargeOptions{}); f.State != store.ChargeFileAccepted {
		t.Fatalf("november: %+v", f)
	}
	before := e.snapshot()
	var other int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM organizations WHERE inn = $1`, otherINN).Scan(&other); err != nil {
		t.Fatal(err)
	}
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	utf16 := []byte{0xFF, 0xFE, 'a', 0}
	cp866, err := charmap.CodePage866.NewEncoder().Bytes([]byte(strings.Replace(csvHead, "2026-11", "2026-12", 1) +
		"0000100001;cold_water;10;2;20.00;10.00;Перерасчёт по показаниям счётчика;;30.00\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		data   string
		opt    ChargeOptions
		reason string // rejected with this; "" when not rejected
	}{
		{"second file for the period", good + "0000100003;cold_water;10;1;10.00;;;;10.00\n", ChargeOptions{}, "already has charges version 1"},
		{"totals line does not add up", strings.Replace(good, "2026-11", "2026-12", 1) + "#total;lines=2;charged=50.00;total=51.00\n", ChargeOptions{}, "line 6: column total: totals line declares total 51.00, the lines add up to 50.00"},
		{"truncated (totals line counts more)", strings.Replace(good, "2026-11", "2026-12", 1) + "#total;lines=3;charged=50.00;total=50.00\n", ChargeOptions{}, "totals line declares 3 charge lines, the file has 2 (truncated?)"},
		{"UTF-16", string(utf16), ChargeOptions{}, "wrong encoding: the file is UTF-16"},
		{"cp866", string(cp866), ChargeOptions{}, "wrong encoding: the file looks cp866"},
		{"unknown organization", strings.Replace(good, testINN, "7700000000", 1), ChargeOptions{}, "unknown organization: the file names INN 7700000000"},
		{"no organization", strings.Replace(good, "#inn="+testINN+"\n", "", 1), ChargeOptions{}, "the organization is unknown"},
		{"no period", strings.Replace(good, "#period=2026-11\n", "", 1), ChargeOptions{}, "the period is unknown"},
		{"organization mismatch", good + "# asked for another\n", ChargeOptions{OrgID: &other}, "the file names the organization with INN " + testINN},
		{"period mismatch", good + "# asked for another period\n", ChargeOptions{Period: &dec}, "the file is for 2026-11, the import asked for 2026-12"},
		{"every line bad", strings.Replace(csvHead, "2026-11", "2026-12", 1) + "0000100001;cold_water;10;-2;-20.00;;;;-20.00\n", ChargeOptions{}, "no line can be applied"},
		{"too many unknown accounts", strings.Replace(csvHead, "2026-11", "2026-12", 1) + manyLines(12, "99999") + knownLines(), ChargeOptions{}, "12 of 21 lines would be quarantined (0 invalid, 12 unknown accounts, 0 unknown services, 0 repeated): more than 10%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, f := e.importWait(c.name+".csv", []byte(c.data), c.opt)
			if f.State != store.ChargeFileRejected || !strings.Contains(f.RejectReason, c.reason) {
				t.Fatalf("want rejected with %q, got %s: %q", c.reason, f.State, f.RejectReason)
			}
			if got := e.snapshot(); got != before {
				t.Fatalf("a rejected file changed the store:\n%s\n%s", before, got)
			}
		})
	}
}

// manyLines makes n cold-water lines of accounts prefix+i.
func manyLines(n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%05d;cold_water;10;1;10.00;;;;10.00\n", prefix, i)
	}
	return b.String()
}

// knownLines charges the fixture's three accounts three services each.
func knownLines() string {
	var b strings.Builder
	for a := 1; a <= 3; a++ {
		for _, s := range []string{"cold_water", "heating", "maintenance"} {
			fmt.Fprintf(&b, "000010000%d;%s;10;1;10.00;;;;10.00\n", a, s)
		}
	}
	return b.String()
}

func TestQuarantinedLinesNameLineAndReason(t *testing.T) {
	e := newChargeEnv(t)
	data := csvHead +
		"0000100001;cold_water;10;2;20.00;;;;20.00\n" + // 4 ok
		"0000100009;cold_water;10;2;20.00;;;;20.00\n" + // 5 unknown account
		"0000100001;gas;10;2;20.00;;;;20.00\n" + // 6 unknown service
		"0000100002;heating;10;-2;0.00;;;;0.00\n" + // 7 negative volume
		"0000100002;maintenance;10;2;20.001;;;;20.00\n" + // 8 three decimals
		"0000100002;intercom;10;2;20.00;5.00;ошибка;;20.00\n" + // 9 total does not add up
		"0000100001;cold_water;10;2;20.00;;;;20.00\n" + // 10 repeated
		"0000100003;cold_water;10;2;20.00;;;;20.00\n" + // 11 ok
		"0000100003;heating;10;2;25.00;;;;25.00\n" // 12 charged ≠ tariff × volume
	_, f := e.importWait("quarantine.csv", []byte(data), ChargeOptions{})
	if f.State != store.ChargeFileAcceptedWithQuarantine || f.RowsApplied != 2 || f.RowsQuarantined != 7 || f.RowsTotal != 9 {
		t.Fatalf("file: %+v", f)
	}
	issues, err := store.ChargeIssues(context.Background(), e.pool, f.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"5 unknown_account unknown account 0000100009 for this organization",
		"6 unknown_service unknown service code gas for this organization",
		`7 invalid column volume "-2": negative value`,
		`8 invalid column charged "20.001": amount has 3 decimals (kopecks are 2)`,
		`9 invalid column total "20.00": charged 20.00 + recalculation 5.00 − benefit 0.00 = 25.00`,
		"10 repeated account 0000100001, service cold_water already charged on line 4",
		`12 invalid column charged "25.00": tariff 10 × volume 2 = 20.00, not the charged amount (tolerance 1 kopeck; mark calc=other if computed otherwise)`,
	}
	if len(issues) != len(want) {
		t.Fatalf("issues = %+v", issues)
	}
	lines := strings.Split(data, "\n")
	for i, is := range issues {
		if got := fmt.Sprintf("%d %s %s", is.Line, is.Kind, is.Reason); got != want[i] {
			t.Errorf("issue %d:\n got %s\nwant %s", i, got, want[i])
		}
		if is.Raw != lines[is.Line-1] {
			t.Errorf("issue %d raw %q, want line %d %q", i, is.Raw, is.Line, lines[is.Line-1])
		}
	}
	if n := e.count(`SELECT count(*) FROM charges WHERE file_id = $1`, f.ID); n != 2 {
		t.Fatalf("charges applied = %d", n)
	}
}

func TestChargesLoadedOtherwiseAreNotReplaced(t *testing.T) {
	e := newChargeEnv(t)
	_, err := e.pool.Exec(context.Background(), `
		INSERT INTO charges (account_id, service_id, period, tariff, volume, amount)
		SELECT a.id, s.id, '2026-11-01', 10, 1, 1000 FROM accounts a JOIN services s ON s.org_id = a.org_id
		JOIN organizations o ON o.id = a.org_id WHERE o.inn = $1 AND a.number = '0000100001' AND s.code = 'cold_water'`, testINN)
	if err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	_, f := e.importWait("november.csv", []byte(csvHead+"0000100001;cold_water;10;2;20.00;;;;20.00\n"), ChargeOptions{NewVersion: true})
	if f.State != store.ChargeFileRejected || !strings.Contains(f.RejectReason, "1 charges of this organization that were not loaded from a charge file") {
		t.Fatalf("file: %+v", f)
	}
	if e.snapshot() != before {
		t.Fatal("charges loaded otherwise were touched")
	}
}
