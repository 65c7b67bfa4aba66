package cabinet_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// env is a cabinet on loopback with a demo settlement center and the ESIA simulator.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	url  string
	esia *esiatest.Env
	hint []store.AccountHint
}

type options struct {
	secure    bool
	idle      time.Duration
	absolute  time.Duration
	limits    cabinet.Limits
	modifySim func(*sim.Config)
	// onCheck counts the secrets the cabinet checks (security tests).
	onCheck func(string)
	// trusted are reverse proxies whose X-Forwarded-For tests may set to play other clients.
	trusted []netip.Prefix
	// now is the cabinet's clock; by default it starts at noon of the 20th of this month, inside
	// the default reading window (15–25) and a month after the demo's last readings.
	now func() time.Time
}

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	ctx := context.Background()
	pool := testdb.New(t)
	if o.now == nil {
		// Shifted, not frozen: the limiters tell attempts apart by their times.
		t0 := time.Now().UTC()
		shift := time.Date(t0.Year(), t0.Month(), 20, 12, 0, 0, 0, time.UTC).Sub(t0)
		o.now = func() time.Time { return time.Now().Add(shift) }
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 6, Months: 2}, logger); err != nil {
		t.Fatalf("demo: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	e := esiatest.Start(t, esiatest.Options{RedirectURI: base + "/esia/callback", Modify: o.modifySim})
	client, err := esia.New(e.Config, e.ClientSigner, e.Tool)
	if err != nil {
		t.Fatal(err)
	}
	cab, err := cabinet.New(cabinet.Config{BaseURL: base, DemoHints: true, Limits: o.limits, Idle: o.idle, Absolute: o.absolute, Now: o.now, SecureCookies: o.secure,
		TrustedProxies: o.trusted},
		cabinet.Deps{Pool: pool, ESIA: client, Mailer: &mail.Capture{DB: pool}, Logger: logger, OnCheck: o.onCheck})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = cab.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	hints, err := store.SampleAccounts(ctx, pool, 3)
	if err != nil || len(hints) < 3 {
		t.Fatalf("sample accounts: %v %v", hints, err)
	}
	return &env{t: t, pool: pool, url: base, esia: e, hint: hints}
}

// browser keeps cookies and stops at redirects so tests can look at each step.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	last string // body of the last page
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	r, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	b.last = string(body)
	return resp{r.StatusCode, r.Header.Get("Location"), string(body)}
}

func (b *browser) get(u string) resp {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.url + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// follow GETs u and follows redirects, returning the final page.
func (b *browser) follow(u string) resp {
	b.t.Helper()
	r := b.get(u)
	for i := 0; i < 10 && (r.status == http.StatusFound || r.status == http.StatusSeeOther); i++ {
		next, _ := url.Parse(r.location)
		if !next.IsAbs() {
			next, _ = url.Parse(b.e.url + r.location)
		}
		r = b.get(next.String())
	}
	return r
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)

// csrf returns the token of the last page's forms.
func (b *browser) csrf() string {
	m := csrfRe.FindStringSubmatch(b.last)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%.500s", b.last)
	}
	return m[1]
}

// post submits a form with the current page's CSRF token (unless the form sets csrf_token).
func (b *browser) post(path string, form url.Values) resp {
	b.t.Helper()
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", b.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postFollow posts and follows the redirects.
func (b *browser) postFollow(path string, form url.Values) resp {
	b.t.Helper()
	r := b.post(path, form)
	if r.status == http.StatusSeeOther || r.status == http.StatusFound {
		return b.follow(r.location)
	}
	return r
}

var simRequestRe = regexp.MustCompile(`name="request" value="([^"]+)"`)

// esiaLogin clicks «Войти через Госуслуги», picks oid at the simulator and returns the
// redirect back to the cabinet's callback without following it.
func (b *browser) esiaStart(oid int64) string {
	b.t.Helper()
	b.follow("/")
	r := b.post("/esia/login", url.Values{})
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("esia login start: HTTP %d %s", r.status, r.body)
	}
	page := b.get(r.location)
	m := simRequestRe.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("simulator login page: HTTP %d %.300s", page.status, page.body)
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.esia.Server.URL+"/idp/login",
		strings.NewReader(url.Values{"request": {m[1]}, "oid": {itoa(oid)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := b.do(req)
	if back.status != http.StatusFound {
		b.t.Fatalf("simulator login: HTTP %d", back.status)
	}
	return back.location
}

// esiaLogin logs in as oid through the simulator and returns the home page.
func (b *browser) esiaLogin(oid int64) resp {
	b.t.Helper()
	return b.follow(b.esiaStart(oid))
}
