package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/charmap"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// registryConsole is a logged-in console over a database with two
// accounts and a worker processing the bank queue.
type registryConsole struct {
	*testBundle
	pool *pgxpool.Pool
	jobs *jobs.Client
	csrf string
}

func newRegistryConsole(t *testing.T) *registryConsole {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pool := testdb.New(t)
	logger := slog.New(slog.DiscardHandler)
	jc, err := jobs.NewBankClient(jobs.Deps{Pool: pool, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		stop, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = jc.Stop(stop)
	})
	if _, err := pool.Exec(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('РЦ', '7720999999', 'settlement') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Примерная, 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, n FROM h, unnest(ARRAY['12', '13']) n RETURNING id, number)
		INSERT INTO accounts (org_id, premises_id, number, opened_on)
		SELECT (SELECT org_id FROM h), p.id, CASE p.number WHEN '12' THEN '1002003004' ELSE '1002003005' END, '2020-01-01' FROM p`); err != nil {
		t.Fatal(err)
	}
	c := &registryConsole{testBundle: newTestServer(t, pool, jc, "operator"), pool: pool, jobs: jc}
	code, body := c.post(t, "/admin/login", url.Values{"login": {"operator"}, "password": {"correct horse"}, "next": {"/admin/registries"}})
	m := csrfRe.FindStringSubmatch(body)
	if code != 200 || m == nil || !strings.Contains(body, "Реестры платежей банков") {
		t.Fatalf("login = %d: %.300s", code, body)
	}
	c.csrf = m[1]
	return c
}

// wait waits for registry id to be processed.
func (c *registryConsole) wait(ctx context.Context, t *testing.T, id int64) (store.Registry, error) {
	t.Helper()
	in, err := intake.New(intake.Config{WaitPoll: 20 * time.Millisecond}, intake.Deps{Pool: c.pool, Queue: c.jobs})
	if err != nil {
		t.Fatal(err)
	}
	return in.Wait(ctx, id, 0)
}

// upload posts a multipart form and returns the final URL and body.
func (c *registryConsole) upload(t *testing.T, path, name string, data []byte, fields map[string]string) (string, int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", c.csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.srv.URL)
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Request.URL.Path, resp.StatusCode, string(body)
}

func win1251(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var issueLinkRe = regexp.MustCompile(`href="/admin/registries/issues/(\d+)"`)

func TestRegistryConsole(t *testing.T) {
	c := newRegistryConsole(t)
	ctx := context.Background()
	registry := win1251(t, strings.Join([]string{
		"15-03-2025;09-41-17;8609;860900123;10284736251;1002003004;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград;0225;4512,37;4467,25;45,12;1",
		"15-03-2025;11-05-02;8609;860900456;10284736777;1009999999;ПЕТРОВА АННА СЕРГЕЕВНА;г. Тестоград;0225;1200,00;1188,00;12,00;5",
		"15-03-2025;18-22-45;8609;0;10284739001;1008888888;СИДОРОВ П.К.;г. Тестоград;0125;2735,10;2707,75;27,35;6",
		"=3;8447,47;8363,00;84,47;551234;16-03-2025",
	}, "\r\n")+"\r\n")

	if _, code, body := c.upload(t, "/admin/registries/upload", "sber.txt", registry, map[string]string{"org_inn": "0000000000"}); code != http.StatusNotFound || !strings.Contains(body, "no organization with INN 0000000000") {
		t.Errorf("upload for an unknown organization = %d: %.300s", code, body)
	}
	where, code, _ := c.upload(t, "/admin/registries/upload", "sber.txt", registry, map[string]string{"profile": "", "org_inn": "7720999999"})
	id, err := strconv.ParseInt(strings.TrimPrefix(where, "/admin/registries/"), 10, 64)
	if code != 200 || err != nil {
		t.Fatalf("upload landed on %s (%d)", where, code)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	reg, err := c.wait(wctx, t, id)
	if err != nil || reg.State != store.RegistryAcceptedWithQuarantine || reg.RowsPosted != 1 {
		t.Fatalf("registry = %+v, %v", reg, err)
	}
	code, body := c.get(t, where)
	if code != 200 || !strings.Contains(body, "field account &#39;1009999999&#39;: no such account") || !strings.Contains(body, "ПЕТРОВА АННА СЕРГЕЕВНА") {
		t.Fatalf("registry page = %d: %.2000s", code, body)
	}
	links := issueLinkRe.FindAllStringSubmatch(body, -1)
	if len(links) != 2 {
		t.Fatalf("issue links = %v", links)
	}

	// Fix the first quarantined line's account and re-apply.
	first := "/admin/registries/issues/" + links[0][1]
	if code, body := c.get(t, first); code != 200 || !strings.Contains(body, "Исправить лицевой счёт и провести") {
		t.Fatalf("issue page = %d: %.500s", code, body)
	}
	if code, _ := c.post(t, first+"/apply", url.Values{"account": {"1002003005"}}); code != http.StatusForbidden {
		t.Errorf("apply without CSRF = %d, want 403", code)
	}
	if code, body := c.post(t, first+"/apply", url.Values{"csrf_token": {c.csrf}, "account": {"0000000000"}}); code != http.StatusBadRequest || !strings.Contains(body, "no account") {
		t.Errorf("apply with an unknown account = %d: %.300s", code, body)
	}
	code, body = c.post(t, first+"/apply", url.Values{"csrf_token": {c.csrf}, "account": {"1002003005"}})
	if code != 200 || !strings.Contains(body, "account corrected from 1009999999") {
		t.Fatalf("apply = %d: %.500s", code, body)
	}
	// Discard the second with a reason.
	second := "/admin/registries/issues/" + links[1][1]
	code, body = c.post(t, second+"/discard", url.Values{"csrf_token": {c.csrf}, "reason": {"payer moved out; refund"}})
	if code != 200 || !strings.Contains(body, "payer moved out; refund") {
		t.Fatalf("discard = %d: %.500s", code, body)
	}
	audit, err := store.RecentAudit(ctx, c.pool, store.AuditFilter{ActionPrefix: "registry."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	slices.Sort(actions) // the upload's and the processing's entries race
	if strings.Join(actions, ",") != "registry.line.apply,registry.line.discard,registry.processed,registry.upload" {
		t.Errorf("audit = %v", actions)
	}

	// A statement with the registry's payment order reconciles it.
	stmt := "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nРасчСчет=40702810600000012345\r\n" +
		"СекцияДокумент=Платежное поручение\r\nНомер=551234\r\nДата=16.03.2025\r\nСумма=8363.00\r\nПлательщик1=ПАО СБЕРБАНК\r\n" +
		"ПолучательСчет=40702810600000012345\r\nНазначениеПлатежа=EPS\r\nКонецДокумента\r\nКонецФайла\r\n"
	where, code, body = c.upload(t, "/admin/registries/statements", "statement.txt", win1251(t, stmt), nil)
	if where != "/admin/registries/reconciliation" || code != 200 || !strings.Contains(body, `<span class="state reconciled">сверен</span>`) {
		t.Fatalf("statement upload → %s %d: %.1500s", where, code, body)
	}
	if code, body := c.get(t, "/admin/registries"); code != 200 || !strings.Contains(body, "sber.txt") || !strings.Contains(body, "reconciled") {
		t.Errorf("list = %d: %.1500s", code, body)
	}
	// An upload naming an unknown profile is refused with the reason;
	// nothing is stored or posted.
	if _, code, body := c.upload(t, "/admin/registries/upload", "x.txt", []byte("garbage\r\n"), map[string]string{"profile": "nope"}); code != http.StatusBadRequest || !strings.Contains(body, `unknown registry profile &#34;nope&#34;`) {
		t.Errorf("unknown profile = %d: %.500s", code, body)
	}
	// A file no profile fits is stored and then rejected with the reason.
	where, code, _ = c.upload(t, "/admin/registries/upload", "x.txt", []byte("garbage\r\n"), nil)
	id, err = strconv.ParseInt(strings.TrimPrefix(where, "/admin/registries/"), 10, 64)
	if code != 200 || err != nil {
		t.Fatalf("upload landed on %s (%d)", where, code)
	}
	reg, err = c.wait(wctx, t, id)
	if err != nil || reg.State != store.RegistryRejected || !strings.Contains(reg.RejectReason, "no registry profile fits") {
		t.Errorf("garbage: %+v, %v", reg, err)
	}
	// The operator reads it again with a real profile: rejected again, now
	// for what the file is.
	if code, body := c.post(t, where+"/reprocess", url.Values{"csrf_token": {c.csrf}, "profile": {"sber-zhku-12"}}); code != 200 || !strings.Contains(body, "Реестр ") {
		t.Fatalf("reprocess = %d: %.300s", code, body)
	}
	reg, err = c.wait(wctx, t, id)
	if err != nil || reg.State != store.RegistryRejected || reg.Profile != "sber-zhku-12@1" || strings.Contains(reg.RejectReason, "unknown registry profile") {
		t.Errorf("reprocessed: %+v, %v", reg, err)
	}
}

// TestRegistryPagesListOperatorProfiles: the profile lists offer the
// profiles the process loaded, operator-defined ones too.
func TestRegistryPagesListOperatorProfiles(t *testing.T) {
	vtb, err := bank.ParseProfiles(strings.NewReader(`{"name": "vtb-6", "version": 1, "bank": "vtb", "separator": "|", "encodings": ["cp1251"],
		"fields": 6, "columns": {"operation_id": 1, "date": 2, "account": 3, "amount": 4}, "date_layout": "DD.MM.YYYY"}`))
	if err != nil {
		t.Fatal(err)
	}
	pool := testdb.New(t)
	logger := slog.New(slog.DiscardHandler)
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	in, err := intake.New(intake.Config{}, intake.Deps{Pool: pool, Queue: jc, Profiles: bank.NewSet(append(bank.Builtin(), vtb...)...)})
	if err != nil {
		t.Fatal(err)
	}
	c := newTestServerWith(t, pool, jc, "operator", func(d *Deps) { d.Intake = in })
	if code, _ := c.post(t, "/admin/login", url.Values{"login": {"operator"}, "password": {"correct horse"}}); code != 200 {
		t.Fatalf("login = %d", code)
	}
	code, body := c.get(t, "/admin/registries")
	if code != 200 || !strings.Contains(body, `<option value="vtb-6@1">`) || !strings.Contains(body, `<option value="sber-zhku-13@1">`) {
		t.Errorf("registries page = %d: %.3000s", code, body)
	}
}

// TestRegistryPageShowsTheTrueState: a registry no worker has processed
// yet is shown as waiting (not "Every line was posted."), and its page
// refreshes itself until it has a verdict; a rejected one posted nothing.
func TestRegistryPageShowsTheTrueState(t *testing.T) {
	pool := testdb.New(t)
	logger := slog.New(slog.DiscardHandler)
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: logger}) // works nothing: the registry stays received
	if err != nil {
		t.Fatal(err)
	}
	c := newTestServer(t, pool, jc, "operator")
	if code, _ := c.post(t, "/admin/login", url.Values{"login": {"operator"}, "password": {"correct horse"}}); code != 200 {
		t.Fatalf("login = %d", code)
	}
	in, err := intake.New(intake.Config{}, intake.Deps{Pool: pool, Queue: jc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	imp, err := in.ImportRegistry(ctx, bytes.NewReader([]byte("garbage\r\n")), "x.txt", store.IntakeCLI, intake.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	page := "/admin/registries/" + strconv.FormatInt(imp.RegistryID, 10)
	resp, err := c.client.Get(c.srv.URL + page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Refresh") == "" || strings.Contains(string(body), "Все строки проведены") ||
		!strings.Contains(string(body), "Ожидает обработки") {
		t.Errorf("received registry: %d, Refresh %q: %.3000s", resp.StatusCode, resp.Header.Get("Refresh"), body)
	}
	if err := store.FinishRegistry(ctx, pool, imp.RegistryID, store.RegistryOutcome{State: store.RegistryRejected, RejectReason: "no registry profile fits", Summary: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	resp, err = c.client.Get(c.srv.URL + page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Refresh") != "" || strings.Contains(string(body), "Все строки проведены") {
		t.Errorf("rejected registry: Refresh %q: %.3000s", resp.Header.Get("Refresh"), body)
	}
}
