package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/encoding/charmap"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

func writeCP1251(t *testing.T, dir, name, text string) string {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	cliLine1  = "15-03-2025;09-41-17;8609;860900123;10284736251;1002003004;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград;0225;4512,37;4467,25;45,12;1"
	cliLine2  = "15-03-2025;11-05-02;8609;860900456;10284736777;1002003005;ПЕТРОВА АННА СЕРГЕЕВНА;г. Тестоград;0225;1200,00;1188,00;12,00;5"
	cliTotals = "=2;5712,37;5655,25;57,12;551234;16-03-2025"
)

func TestRegistryCommands(t *testing.T) {
	url := testdb.NewURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('РЦ', '7720999999', 'settlement') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Примерная, 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, n FROM h, unnest(ARRAY['12', '13']) n RETURNING id, number)
		INSERT INTO accounts (org_id, premises_id, number, opened_on)
		SELECT (SELECT org_id FROM h), p.id, CASE p.number WHEN '12' THEN '1002003004' ELSE '1002003005' END, '2020-01-01' FROM p`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error"})
	cli := func(args ...string) (string, error) {
		out.Reset()
		err := run(ctx, env, append([]string{"registry"}, args...))
		return out.String(), err
	}
	exit := func(err error) int {
		var e exitCode
		switch {
		case err == nil:
			return 0
		case errors.As(err, &e):
			return int(e)
		}
		return 1
	}

	good := writeCP1251(t, dir, "good.txt", strings.Join([]string{cliLine1, cliLine2, cliTotals}, "\r\n")+"\r\n")
	text, err := cli("import", good)
	if exit(err) != 0 || !strings.Contains(text, "good.txt: accepted (registry 1, profile sber-zhku-13@1, cp1251") ||
		!strings.Contains(text, "posted 2, duplicates 0, quarantined 0") || !strings.Contains(text, "payment order 551234 of 16.03.2025") {
		t.Fatalf("import: %v\n%s", err, text)
	}
	text, err = cli("import", good)
	if exit(err) != 0 || !strings.Contains(text, "already imported as registry 1 (accepted); nothing changed") {
		t.Fatalf("re-import: %v\n%s", err, text)
	}

	quarantine := writeCP1251(t, dir, "quarantine.txt", strings.Join([]string{
		strings.Replace(cliLine1, "10284736251", "30000000001", 1),
		strings.Replace(strings.Replace(cliLine2, "10284736777", "30000000002", 1), "1002003005", "1009999999", 1),
		cliTotals}, "\r\n")+"\r\n")
	truncated := writeCP1251(t, dir, "truncated.txt", strings.Join([]string{strings.Replace(cliLine1, "10284736251", "40000000001", 1), cliTotals}, "\r\n")+"\r\n")
	text, err = cli("import", "--json", quarantine, truncated, filepath.Join(dir, "missing.txt"))
	if exit(err) != 3 {
		t.Errorf("exit = %d (%v), want 3 (a file was rejected)", exit(err), err)
	}
	var reports []registryReport
	if err := json.Unmarshal([]byte(text), &reports); err != nil || len(reports) != 3 {
		t.Fatalf("json: %v\n%s", err, text)
	}
	if r := reports[0]; r.State != "accepted_with_quarantine" || r.Posted != 1 || r.Quarantined != 1 || len(r.Issues) != 1 ||
		r.Issues[0].Line != 2 || !strings.Contains(r.Issues[0].Reason, "'1009999999': no such account") || !strings.Contains(r.Issues[0].Raw, "ПЕТРОВА") {
		t.Errorf("quarantine report: %+v", r)
	}
	if r := reports[1]; r.State != "rejected" || !strings.Contains(r.RejectReason, "declares 2 payment lines, the file has 1") {
		t.Errorf("truncated report: %+v", r)
	}
	if r := reports[2]; !strings.Contains(r.Error, "no such file") {
		t.Errorf("missing file report: %+v", r)
	}
	// The rejected file again: nothing changes, unless another profile is
	// asked for — then it is read again (and, being 13-field, rejected
	// again by the 12-field profile, with that reason).
	if text, err := cli("import", truncated); exit(err) != 3 || !strings.Contains(text, "nothing changed") || !strings.Contains(text, "import it again with --profile") {
		t.Errorf("rejected again: %v\n%s", err, text)
	}
	if text, err := cli("import", "--profile", "sber-zhku-12", truncated); exit(err) != 3 || !strings.Contains(text, "rejected before, read again as registry") ||
		!strings.Contains(text, "13 fields, profile sber-zhku-12@1 expects 12") && !strings.Contains(text, "rejected:") {
		t.Errorf("requeued: %v\n%s", err, text)
	}
	if _, err := cli("import", quarantine); exit(err) != 2 {
		t.Errorf("quarantine alone: exit %d, want 2", exit(err))
	}

	stmt := writeCP1251(t, dir, "statement.txt", "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nРасчСчет=40702810600000012345\r\n"+
		"СекцияДокумент=Платежное поручение\r\nНомер=551234\r\nДата=16.03.2025\r\nСумма=5655.25\r\nПолучательСчет=40702810600000012345\r\nКонецДокумента\r\nКонецФайла\r\n")
	if text, err := cli("statement", stmt); err != nil || !strings.Contains(text, "1 documents, 1 incoming; 1 registries reconciled") {
		t.Errorf("statement: %v\n%s", err, text)
	}
	text, err = cli("reconcile")
	if err != nil || !strings.Contains(text, "reconciled       registry 1 good.txt") || !strings.Contains(text, "no money         registry 2 quarantine.txt") {
		t.Errorf("reconcile: %v\n%s", err, text)
	}
	if text, err := cli("profiles"); err != nil || strings.Count(text, "@1") != 3 {
		t.Errorf("profiles: %v\n%s", err, text)
	}
	// The same account number in a second organization: ambiguous unless
	// the registry names its organization.
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК', '7720000003', 'management') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Другая, 2', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, '1' FROM h RETURNING id)
		INSERT INTO accounts (org_id, premises_id, number, opened_on) SELECT (SELECT org_id FROM h), p.id, '1002003004', '2020-01-01' FROM p`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ambiguous := writeCP1251(t, dir, "ambiguous.txt", strings.Replace(cliLine1, "10284736251", "50000000001", 1)+"\r\n=1;4512,37;4467,25;45,12;551299;16-03-2025\r\n")
	if text, err := cli("import", ambiguous); exit(err) != 2 || !strings.Contains(text, "several organizations have this account number") {
		t.Errorf("ambiguous: %v\n%s", err, text)
	}
	withOrg := writeCP1251(t, dir, "with-org.txt", strings.Replace(cliLine1, "10284736251", "50000000002", 1)+"\r\n=1;4512,37;4467,25;45,12;551299;16-03-2025\r\n")
	if text, err := cli("import", "--org", "7720999999", withOrg); exit(err) != 0 || !strings.Contains(text, "posted 1") {
		t.Errorf("with --org: %v\n%s", err, text)
	}
	if _, err := cli("import", "--org", "0000000000", withOrg); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown --org: %v", err)
	}

	gen := filepath.Join(dir, "gen.txt")
	genStmt := filepath.Join(dir, "gen-statement.txt")
	if text, err := cli("generate", "--out", gen, "--statement", genStmt, "--lines", "50", "--accounts", "2", "--date", "2025-03-15"); err != nil || !strings.Contains(text, "50 payments to 2 accounts") {
		t.Fatalf("generate: %v\n%s", err, text)
	}
	if text, err := cli("import", "--org", "7720999999", gen); exit(err) != 0 || !strings.Contains(text, "posted 50") {
		t.Errorf("import generated: %v\n%s", err, text)
	}
	// The generated statement brings the generated registry's money.
	if text, err := cli("statement", genStmt); err != nil || !strings.Contains(text, "1 registries reconciled") {
		t.Errorf("generated statement: %v\n%s", err, text)
	}
}

func TestRegistryProfilesFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "vtb.json")
	if err := os.WriteFile(good, []byte(`{"name": "vtb-6", "version": 1, "bank": "vtb", "separator": "|", "encodings": ["cp1251"],
		"fields": 6, "columns": {"operation_id": 1, "date": 2, "account": 3, "amount": 4}, "date_layout": "DD.MM.YYYY"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env, out := testEnv(map[string]string{registryProfileEnv: good})
	set, err := registryProfiles(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Get("vtb-6"); err != nil {
		t.Errorf("operator profile not loaded: %v", err)
	}
	if err := run(context.Background(), env, []string{"registry", "profiles"}); err != nil || !strings.Contains(out.String(), "vtb-6@1") {
		t.Errorf("profiles: %v\n%s", err, out.String())
	}
	bad, _ := testEnv(map[string]string{registryProfileEnv: filepath.Join(dir, "missing.json")})
	if _, err := registryProfiles(bad); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), registryProfileEnv) {
		t.Errorf("missing profile file: %v", err)
	}
}

// TestWorkersWatchTheInbox: with ZHKHGATE_REGISTRY_INBOX set, the workers
// take in a file dropped there and process it.
func TestWorkersWatchTheInbox(t *testing.T) {
	url := testdb.NewURL(t)
	inbox := t.TempDir()
	env, _ := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error", registryInboxEnv: inbox, "ZHKHGATE_REGISTRY_INBOX_SETTLE": "1s"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := openApp(ctx, env, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	client, err := jobs.NewBankClient(a.jobDeps())
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(context.Background()) }()
	if err := a.startRegistryInbox(ctx, client); err != nil {
		t.Fatal(err)
	}
	p := writeCP1251(t, inbox, "dropped.txt", cliLine1+"\r\n=1;4512,37;4467,25;45,12;551234;16-03-2025\r\n")
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	for {
		regs, err := store.ListRegistries(ctx, a.pool, store.RegistryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(regs) == 1 && regs[0].Final() {
			if regs[0].Intake != store.IntakeInbox || regs[0].State != store.RegistryAcceptedWithQuarantine {
				t.Errorf("registry: %+v", regs[0])
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the dropped file was not taken in")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestBrokenProfileFileStopsTheProcess: a profile file that does not load
// stops every command at start, naming the setting and the file; nothing
// falls back to the built-in profiles.
func TestBrokenProfileFileStopsTheProcess(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"name": "vtb-6", "version": 1,`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{broken, filepath.Join(dir, "missing.json")} {
		env, _ := testEnv(map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/none", registryProfileEnv: file})
		a, err := openApp(context.Background(), env, false)
		if err == nil {
			a.close()
		}
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), registryProfileEnv) || !strings.Contains(err.Error(), filepath.Base(file)) {
			t.Errorf("%s: openApp = %v, want an Invalid error naming %s and the file", filepath.Base(file), err, registryProfileEnv)
		}
	}
}

// TestWorkersWatchTheDefaultInbox: without ZHKHGATE_REGISTRY_INBOX the
// workers watch DATA_DIR/inbox, as documented.
func TestWorkersWatchTheDefaultInbox(t *testing.T) {
	url := testdb.NewURL(t)
	data := t.TempDir()
	env, _ := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error", "ZHKHGATE_DATA_DIR": data, "ZHKHGATE_REGISTRY_INBOX_SETTLE": "1s"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := openApp(ctx, env, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	client, err := jobs.NewBankClient(a.jobDeps())
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(context.Background()) }()
	if err := a.startRegistryInbox(ctx, client); err != nil {
		t.Fatal(err)
	}
	writeCP1251(t, filepath.Join(data, "inbox"), "dropped.txt", cliLine1+"\r\n=1;4512,37;4467,25;45,12;551234;16-03-2025\r\n")
	for {
		regs, err := store.ListRegistries(ctx, a.pool, store.RegistryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(regs) == 1 && regs[0].Final() {
			if regs[0].Intake != store.IntakeInbox {
				t.Errorf("registry: %+v", regs[0])
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the file dropped into DATA_DIR/inbox was not taken in")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestRegistryExitCodes: expected outcomes end registry commands with
// their documented exit status and a one-line message, never as an
// internal error; a rejected file's summary names only what is known.
func TestRegistryExitCodes(t *testing.T) {
	url := testdb.NewURL(t)
	dir := t.TempDir()
	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error"})
	ctx := context.Background()
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		out.Reset()
		err := run(ctx, env, append([]string{"registry"}, args...))
		text := out.String()
		if err == nil {
			return text, "", 0
		}
		var stderr bytes.Buffer
		code := report(&stderr, err)
		return text, stderr.String(), code
	}
	qr := filepath.Join(dir, "qr-zhku-1.utf8.txt")
	if err := os.WriteFile(qr, []byte("ST00012|Name=ТСЖ \"Ленина 1\"|PersonalAcc=40703810938000012345|BankName=ПАО ТЕСТБАНК|BIC=044525999|CorrespAcc=30101810400000000225|Sum=451237|PersAcc=1002003004\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	brokenStatement := writeCP1251(t, dir, "statement.txt", "1CClientBankExchange\r\nВерсияФормата=1.03\r\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string // substring
		stderr  string // the whole one line
		without string // must not be in stdout
	}{
		{"a file no profile fits", []string{"import", qr}, 3, "qr-zhku-1.utf8.txt: rejected (registry 1, ",
			"zhkhgate: registry import: 1 of 1 files rejected\n", "profile ,"},
		{"a missing file", []string{"import", filepath.Join(dir, "missing.txt")}, 1, "missing.txt: error: ",
			"zhkhgate: registry import: 1 of 1 files could not be imported\n", ""},
		{"a rejected statement", []string{"statement", brokenStatement}, 3, "statement.txt: rejected: ",
			"zhkhgate: registry statement: 1 of 1 files rejected\n", ""},
		{"a missing statement", []string{"statement", filepath.Join(dir, "missing.txt")}, 1, "missing.txt: error: ",
			"zhkhgate: registry statement: 1 of 1 files could not be imported\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := cli(tt.args...)
			if code != tt.code || stderr != tt.stderr || !strings.Contains(stdout, tt.stdout) || (tt.without != "" && strings.Contains(stdout, tt.without)) {
				t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant exit %d, stderr %q, stdout with %q", code, stderr, stdout, tt.code, tt.stderr, tt.stdout)
			}
		})
	}
}
