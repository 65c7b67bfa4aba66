package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/metrics"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

type testBundle struct {
	server *Server
	srv    *httptest.Server
	client *http.Client
	pool   *pgxpool.Pool
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	pool := testdb.New(t)
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return newTestServer(t, pool, jc, "admin")
}

// newTestServer serves the console over pool and jc, with a staff user
// login (role admin for "admin", else operator) whose password is
// "correct horse", and a browser-like client with a cookie jar.
func newTestServer(t *testing.T, pool *pgxpool.Pool, jc *jobs.Client, login string) *testBundle {
	t.Helper()
	return newTestServerWith(t, pool, jc, login, nil)
}

// newTestServerWith is newTestServer with a hook to change the server's deps.
func newTestServerWith(t *testing.T, pool *pgxpool.Pool, jc *jobs.Client, login string, modify func(*Deps)) *testBundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := slog.New(slog.DiscardHandler)
	deps := Deps{Pool: pool, Jobs: jc, Metrics: metrics.New(pool, logger), Logger: logger}
	if modify != nil {
		modify(&deps)
	}
	s, err := New(Config{}, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	role := "operator"
	if login == "admin" {
		role = "admin"
	}
	if _, err := store.CreateStaffUser(ctx, pool, store.StaffUser{Login: login, PasswordHash: hash, Role: role}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &testBundle{server: s, srv: srv, client: &http.Client{Jar: jar}, pool: pool}
}

func (b *testBundle) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := b.client.Get(b.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *testBundle) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", b.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.srv.URL)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestProbesAndMetrics(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jc.Insert(context.Background(), jobs.SessionCleanupArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	b := newTestServer(t, pool, jc, "admin")
	// In order: /metrics must show the latency of the probes served before it.
	for _, c := range []struct{ path, want string }{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", `zhkhgate_http_request_duration_seconds_count{method="GET",route="healthz",status="200"} 1`},
		{"/metrics", `zhkhgate_jobs{kind="session_cleanup",queue="default",state="available"} 1`},
	} {
		code, body := b.get(t, c.path)
		if code != 200 || !strings.Contains(body, c.want) {
			t.Errorf("GET %s = %d %.300q, want 200 containing %q", c.path, code, body, c.want)
		}
	}
}

func TestAdminLoginFlow(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// Before login, the console and River UI send the browser to the login page.
	for _, p := range []string{"/admin/", "/admin/jobs/"} {
		code, body := b.get(t, p)
		if code != 200 || !strings.Contains(body, "Вход для сотрудников") {
			t.Fatalf("GET %s before login = %d, want the login page", p, code)
		}
	}
	if code, _ := b.get(t, "/admin/jobs/api/jobs?state=available"); code != http.StatusUnauthorized {
		t.Errorf("River UI API before login = %d, want 401", code)
	}

	if code, body := b.post(t, "/admin/login", url.Values{"login": {"admin"}, "password": {"wrong password"}}); code != 401 || !strings.Contains(body, "неверный логин или пароль") {
		t.Fatalf("bad password = %d", code)
	}
	if code, body := b.post(t, "/admin/login", url.Values{"login": {"nobody"}, "password": {"x"}}); code != 401 || !strings.Contains(body, "неверный логин или пароль") {
		t.Fatalf("unknown login = %d", code)
	}
	code, body := b.post(t, "/admin/login", url.Values{"login": {"admin"}, "password": {"correct horse"}, "next": {"/admin/jobs/"}})
	if code != 200 || !strings.Contains(body, "River") {
		t.Fatalf("login then River UI = %d, body lacks River UI: %.300s", code, body)
	}
	code, body = b.get(t, "/admin/")
	if code != 200 || !strings.Contains(body, "Расчётный центр") {
		t.Fatalf("dashboard = %d", code)
	}
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the dashboard")
	}
	if code, _ := b.get(t, "/admin/jobs/api/jobs?state=available"); code != 200 {
		t.Errorf("River UI API after login = %d, want 200", code)
	}

	// Logout without the CSRF token is refused; with it, the session ends.
	if code, _ := b.post(t, "/admin/logout", url.Values{}); code != http.StatusForbidden {
		t.Errorf("logout without CSRF = %d, want 403", code)
	}
	if code, _ := b.post(t, "/admin/logout", url.Values{"csrf_token": {m[1]}}); code != 200 {
		t.Errorf("logout = %d", code)
	}
	if code, body := b.get(t, "/admin/"); code != 200 || !strings.Contains(body, "Вход для сотрудников") {
		t.Errorf("dashboard after logout = %d, want login page", code)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req, _ := http.NewRequest("POST", b.srv.URL+"/admin/login", strings.NewReader("login=admin&password=correct+horse"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", resp.StatusCode)
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/admin/jobs/": "/admin/jobs/", "": "/admin/", "https://evil.example/admin/": "/admin/",
		"//evil.example/admin/": "/admin/", "/admin/\\evil": "/admin/", "/cabinet": "/admin/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStaffLoginLockout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range maxFailedLogins {
		if code, _ := b.post(t, "/admin/login", url.Values{"login": {"admin"}, "password": {"guess " + strconv.Itoa(i)}}); code != http.StatusUnauthorized {
			t.Fatalf("failed attempt %d = %d, want 401", i+1, code)
		}
	}
	// Now even the right password is refused until the window passes.
	code, body := b.post(t, "/admin/login", url.Values{"login": {"admin"}, "password": {"correct horse"}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "слишком много неудачных попыток") {
		t.Fatalf("login after %d failures = %d, want 429", maxFailedLogins, code)
	}
	// Other logins are not affected.
	if code, _ := b.post(t, "/admin/login", url.Values{"login": {"someone-else"}, "password": {"x"}}); code != http.StatusUnauthorized {
		t.Errorf("another login = %d, want 401", code)
	}
	// Once the failures are older than the window, the right password works again.
	if _, err := b.pool.Exec(context.Background(), `UPDATE limiter_counters SET window_start = window_start - interval '16 minutes', blocked_until = blocked_until - interval '16 minutes'`); err != nil {
		t.Fatal(err)
	}
	if code, body := b.post(t, "/admin/login", url.Values{"login": {"admin"}, "password": {"correct horse"}}); code != 200 || !strings.Contains(body, "Расчётный центр") {
		t.Errorf("login after the window = %d", code)
	}
}
