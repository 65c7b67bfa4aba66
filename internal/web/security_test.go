package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// setupCounting is setup with a counter of password checks.
func setupCounting(t *testing.T, login string) (*testBundle, *atomic.Int32) {
	t.Helper()
	pool := testdb.New(t)
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	b := newTestServerWith(t, pool, jc, login, func(d *Deps) { d.OnCheck = func(string) { n.Add(1) } })
	return b, &n
}

// parallelLogins posts the login forms at once and returns the statuses.
func (b *testBundle) parallelLogins(t *testing.T, forms []url.Values) []int {
	t.Helper()
	statuses := make([]int, len(forms))
	var wg sync.WaitGroup
	for i, f := range forms {
		req, _ := http.NewRequest("POST", b.srv.URL+"/admin/login", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wg.Go(func() {
			// Each attempt is its own client: no shared session.
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	return statuses
}

func countStatus(statuses []int, code int) int {
	n := 0
	for _, s := range statuses {
		if s == code {
			n++
		}
	}
	return n
}

// TestStaffParallelBruteForce: 150 parallel wrong passwords for one login are checked exactly
// maxFailedLogins times (before the fix: 150 bcrypt checks against a limit of 5).
func TestStaffParallelBruteForce(t *testing.T) {
	t.Parallel()
	b, checks := setupCounting(t, "admin")
	var forms []url.Values
	for i := range 150 {
		forms = append(forms, url.Values{"login": {"admin"}, "password": {"guess " + strconv.Itoa(i)}})
	}
	st := b.parallelLogins(t, forms)
	if got := int(checks.Load()); got != maxFailedLogins {
		t.Errorf("%d parallel wrong passwords: %d checked, want exactly %d", len(forms), got, maxFailedLogins)
	}
	if countStatus(st, http.StatusUnauthorized) != maxFailedLogins {
		t.Errorf("%d × 401, want %d", countStatus(st, http.StatusUnauthorized), maxFailedLogins)
	}
}

// TestStaffParallelOneRight: 39 wrong and the right password at once: at most 5 wrong are
// checked (before the fix: 39 × 401 and a session).
func TestStaffParallelOneRight(t *testing.T) {
	t.Parallel()
	b, checks := setupCounting(t, "operator1")
	var forms []url.Values
	for i := range 29 {
		p := "guess " + strconv.Itoa(i)
		if i == 10 {
			p = "correct horse"
		}
		forms = append(forms, url.Values{"login": {"operator1"}, "password": {p}})
	}
	st := b.parallelLogins(t, forms)
	if wrong, n := countStatus(st, http.StatusUnauthorized), int(checks.Load()); wrong > maxFailedLogins || n > maxFailedLogins+1 {
		t.Errorf("parallel: %d wrong checked, %d checks; want ≤ %d and ≤ %d", wrong, n, maxFailedLogins, maxFailedLogins+1)
	}
}

// TestStaffParallelIPLimit: one address, 60 parallel logins for different logins, 30 checked.
func TestStaffParallelIPLimit(t *testing.T) {
	t.Parallel()
	b, checks := setupCounting(t, "admin")
	var forms []url.Values
	for i := range 60 {
		forms = append(forms, url.Values{"login": {"nobody" + strconv.Itoa(i)}, "password": {"x"}})
	}
	st := b.parallelLogins(t, forms)
	if got := int(checks.Load()); got != ipAttempts {
		t.Errorf("60 parallel logins from one address: %d checked, want exactly %d", got, ipAttempts)
	}
	if countStatus(st, http.StatusTooManyRequests) != 60-ipAttempts {
		t.Errorf("%d × 429, want %d", countStatus(st, http.StatusTooManyRequests), 60-ipAttempts)
	}
}

var badValues = map[string]string{
	"NUL":          "x\x00y",
	"invalid UTF8": "x\xc3\x28",
	"100 KB":       strings.Repeat("1", 100<<10),
	"CRLF":         "x\r\nSet-Cookie: a=b",
}

// TestConsoleBadBytes: NUL, invalid UTF-8, 100 KB and CRLF in the console's login, filters
// and forms give 400, never a 5xx. Before the fix a NUL in login, state, to, kind, what or
// period surfaced PostgreSQL's 22021 as HTTP 500.
func TestConsoleBadBytes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, bad := range badValues {
		if code, _ := b.post(t, "/admin/login", url.Values{"login": {bad}, "password": {"x"}}); code != http.StatusBadRequest {
			t.Errorf("login with %s = %d, want 400", name, code)
		}
	}
	c := b.loginAs(t, "admin")
	token := c.csrfToken(t)
	for _, q := range []string{"/admin/registries?state=", "/admin/mail?to=", "/admin/gis?kind=", "/admin/gis?state=", "/admin/gis?period=", "/admin/gis?org=", "/admin/?x="} {
		for name, bad := range badValues {
			if code, _ := c.get(t, q+url.QueryEscape(bad)); code != http.StatusBadRequest {
				t.Errorf("GET %s with %s = %d, want 400", q, name, code)
			}
		}
	}
	for _, f := range []struct {
		path   string
		fields []string
	}{
		{"/admin/gis/sync", []string{"org", "what", "period"}},
		{"/admin/gis/messages/1/retry", []string{"x"}},
		{"/admin/registries/1/reprocess", []string{"profile"}},
		{"/admin/registries/issues/1/apply", []string{"account", "org_inn"}},
		{"/admin/registries/issues/1/discard", []string{"reason"}},
	} {
		for _, field := range f.fields {
			for name, bad := range badValues {
				code, body := c.post(t, f.path, url.Values{"csrf_token": {token}, "org": {"1"}, "what": {"orgs"}, field: {bad}})
				if code != http.StatusBadRequest || !strings.Contains(body, "«"+field+"»") {
					t.Errorf("POST %s with %s in %s = %d, want 400 naming the field", f.path, name, field, code)
				}
			}
		}
	}
}

// TestStaffPasswordChangeEndsSessions: `zhkhgate admin set-password` (store.SetStaffPassword)
// logs the user out everywhere; before the fix the old sessions stayed valid.
func TestStaffPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.loginAs(t, "admin")
	if code, _ := c.get(t, "/admin/"); code != http.StatusOK {
		t.Fatalf("dashboard: %d", code)
	}
	hash, _ := HashPassword("another horse")
	if err := store.SetStaffPassword(context.Background(), b.pool, "admin", hash); err != nil {
		t.Fatal(err)
	}
	c.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if code, _ := c.get(t, "/admin/"); code != http.StatusSeeOther {
		t.Errorf("dashboard after the password change = %d, want 303 to the login", code)
	}
	if err := store.SetStaffPassword(context.Background(), b.pool, "nobody", hash); err == nil {
		t.Error("unknown login: no error")
	}
}

// TestStaffPasswordPolicy: `zhkhgate admin create-user/set-password` hash through
// HashStaffPassword, which refuses weak passwords and the login itself.
func TestStaffPasswordPolicy(t *testing.T) {
	for _, pw := range []string{"12345678", "aaaaaaaa", "qwertyui", "short", "operator7-pass"} {
		if _, err := HashStaffPassword("operator7", pw); err == nil {
			t.Errorf("HashStaffPassword(%q) accepted", pw)
		}
	}
	if _, err := HashStaffPassword("operator7", "correct horse"); err != nil {
		t.Errorf("a good password: %v", err)
	}
}

// TestFlashAndGISSyncChecks: ?msg= no longer shows caller-supplied text; the notice of a
// queued sync comes from the session, once. A sync of an unknown subject or a malformed period
// is refused (before the fix both were queued and ?msg= was shown as a success notice).
func TestFlashAndGISSyncChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.loginAs(t, "admin")
	for _, p := range []string{"/admin/gis?msg=Платёж+зачислен", "/admin/registries?msg=Платёж+зачислен"} {
		if _, body := c.get(t, p); strings.Contains(body, "Платёж зачислен") {
			t.Errorf("GET %s shows the caller's text", p)
		}
	}
	token := c.csrfToken(t)
	for _, f := range []url.Values{
		{"org": {"1"}, "what": {"everything"}},
		{"org": {"1"}, "what": {"documents"}, "period": {"2026-13"}},
		{"org": {"1"}, "what": {"documents"}, "period": {"10.2026"}},
	} {
		f.Set("csrf_token", token)
		if code, _ := c.post(t, "/admin/gis/sync", f); code != http.StatusBadRequest {
			t.Errorf("sync %v = %d, want 400", f, code)
		}
	}
	var queued int
	b.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'gis_sync'`).Scan(&queued)
	if queued != 0 {
		t.Errorf("%d refused syncs were queued", queued)
	}
	code, body := c.post(t, "/admin/gis/sync", url.Values{"csrf_token": {token}, "org": {"1"}, "what": {"documents"}, "period": {"2026-10"}})
	if code != http.StatusOK || !strings.Contains(body, "Синхронизация «платёжные документы» поставлена в очередь") {
		t.Errorf("a good sync: %d, notice shown %v", code, strings.Contains(body, "Синхронизация «платёжные документы» поставлена в очередь"))
	}
	if _, body := c.get(t, "/admin/gis"); strings.Contains(body, "Синхронизация «платёжные документы» поставлена в очередь") {
		t.Error("the notice was shown twice")
	}
}
