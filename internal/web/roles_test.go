package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// operatorForbidden is what an operator may not do, spelled out here (not read from the role
// table) so that a change of the table must change this test too.
var operatorForbidden = map[string]bool{
	"POST /admin/gis/sync":            true,
	"GET /admin/staff":                true,
	"POST /admin/staff":               true,
	"POST /admin/staff/{id}/role":     true,
	"POST /admin/staff/{id}/password": true,
	"POST /admin/staff/{id}/block":    true,
}

// login returns a client logged in as login with "correct horse".
func (b *testBundle) loginAs(t *testing.T, login string) *testBundle {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &testBundle{server: b.server, srv: b.srv, pool: b.pool, client: &http.Client{Jar: jar}}
	if code, body := c.post(t, "/admin/login", url.Values{"login": {login}, "password": {"correct horse"}}); code != 200 || !strings.Contains(body, "Расчётный центр") {
		t.Fatalf("login %s: %d", login, code)
	}
	return c
}

func (b *testBundle) csrfToken(t *testing.T) string {
	t.Helper()
	_, body := b.get(t, "/admin/")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the dashboard")
	}
	return m[1]
}

func (b *testBundle) send(t *testing.T, method, path, contentType, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", b.srv.URL)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestEveryConsoleRouteByRole walks every registered console route as an administrator and
// as an operator. Before the fix the operator could do everything, River UI writes included.
func TestEveryConsoleRouteByRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hash, _ := HashPassword("correct horse")
	if _, err := store.CreateStaffUser(context.Background(), b.pool, store.StaffUser{Login: "oper", PasswordHash: hash, Role: "operator"}); err != nil {
		t.Fatal(err)
	}
	clients := map[string]*testBundle{"admin": b.loginAs(t, "admin"), "operator": b.loginAs(t, "oper")}
	tokens := map[string]string{"admin": clients["admin"].csrfToken(t), "operator": clients["operator"].csrfToken(t)}
	walked := 0
	for _, pattern := range b.server.patterns {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || !strings.HasPrefix(path, "/admin/") || strings.HasPrefix(path, "/admin/login") || path == "/admin/logout" {
			continue
		}
		path = strings.NewReplacer("{id}", "1", "{$}", "", "{guid}", "00000000-0000-4000-8000-000000000001").Replace(path)
		walked++
		for role, c := range clients {
			var code int
			if method == http.MethodGet {
				code, _ = c.get(t, path)
			} else {
				code = c.send(t, method, path, "application/x-www-form-urlencoded", url.Values{"csrf_token": {tokens[role]}, "org": {"1"}, "what": {"orgs"}}.Encode())
			}
			wantForbidden := role == "operator" && operatorForbidden[pattern]
			if (code == http.StatusForbidden) != wantForbidden || code >= 500 {
				t.Errorf("%s %s as %s = %d, want forbidden %v (and no 5xx)", method, path, role, code, wantForbidden)
			}
		}
	}
	if walked < 12 {
		t.Errorf("walked %d console routes; the route list lost some", walked)
	}
	// River UI: both read, only the administrator writes.
	for _, c := range []struct {
		method, path, body string
		operatorForbidden  bool
	}{
		{"GET", "/admin/jobs/api/jobs?state=available", "", false},
		{"GET", "/admin/jobs/api/queues", "", false},
		{"POST", "/admin/jobs/api/jobs/delete", `{"job_ids":[1]}`, true},
		{"POST", "/admin/jobs/api/jobs/cancel", `{"job_ids":[1]}`, true},
		{"POST", "/admin/jobs/api/jobs/retry", `{"job_ids":[1]}`, true},
		{"PUT", "/admin/jobs/api/queues/default/pause", `{}`, true},
		{"PATCH", "/admin/jobs/api/queues/default", `{}`, true},
	} {
		for role, cl := range clients {
			code := cl.send(t, c.method, c.path, "application/json", c.body)
			want := role == "operator" && c.operatorForbidden
			if (code == http.StatusForbidden) != want || code >= 500 {
				t.Errorf("River UI %s %s as %s = %d, want forbidden %v", c.method, c.path, role, code, want)
			}
		}
	}
	// Logging out is for everyone.
	for role, c := range clients {
		if code := c.send(t, "POST", "/admin/logout", "application/x-www-form-urlencoded", url.Values{"csrf_token": {tokens[role]}}.Encode()); code == http.StatusForbidden {
			t.Errorf("logout as %s = 403", role)
		}
	}
}
