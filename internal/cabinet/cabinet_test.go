package cabinet_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const ivanov = 1000299654

func (e *env) linkForm(h store.AccountHint, kind, proof string) url.Values {
	return url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "proof_kind": {kind}, "proof": {proof}}
}

func TestESIALoginAndLinking(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b := e.browser()
	home := b.esiaLogin(ivanov)
	if home.status != http.StatusOK || !strings.Contains(home.body, "Иванов Иван Петрович") {
		t.Fatalf("after ESIA login: HTTP %d\n%.600s", home.status, home.body)
	}
	ctx := context.Background()
	res, err := store.ResidentByEmail(ctx, e.pool, "ivanov@example.org")
	if err != nil || res.ESIAOID != ivanov || res.SNILS != "112-233-445 95" || res.Phone != "+79001112233" {
		t.Fatalf("resident created from person data: %+v, %v", res, err)
	}

	// Link by surname (case and ё ignored), then a second account by the last bill's total.
	h0, h1 := e.hint[0], e.hint[1]
	r := b.postFollow("/accounts/link", e.linkForm(h0, "surname", strings.ToUpper(h0.Surname)))
	if !strings.Contains(r.body, "Лицевой счёт привязан") || !strings.Contains(r.body, h0.Number) {
		t.Fatalf("link by surname: HTTP %d\n%.800s", r.status, r.body)
	}
	total := strconv.FormatInt(h1.LastTotal/100, 10) + "," + strconv.FormatInt(h1.LastTotal%100+100, 10)[1:]
	r = b.postFollow("/accounts/link", e.linkForm(h1, "total", total))
	if !strings.Contains(r.body, "Лицевой счёт привязан") || !strings.Contains(r.body, h1.Number) {
		t.Fatalf("link by total %s: HTTP %d\n%.800s", total, r.status, r.body)
	}
	accounts, err := store.ResidentAccounts(ctx, e.pool, res.ID)
	if err != nil || len(accounts) != 2 || !accounts[0].IsMain || accounts[0].Number != h0.Number {
		t.Fatalf("accounts = %+v, %v", accounts, err)
	}
	// Main switch, paperless, account page, unlink.
	second := accounts[1].AccountID
	b.postFollow("/accounts/"+itoa(second)+"/main", url.Values{})
	acc, _ := store.ResidentAccount(ctx, e.pool, res.ID, second)
	if !acc.IsMain {
		t.Error("main account not switched")
	}
	page := b.follow("/accounts/" + itoa(second))
	if page.status != 200 || !strings.Contains(page.body, "Счётчики") || !strings.Contains(page.body, `id="bills"`) {
		t.Fatalf("account page: %d", page.status)
	}
	if strings.Contains(page.body, `id="balance"`) {
		t.Error("a balance is shown before any registry refreshed it")
	}
	// Once a registry's payment refreshed the balance, the page shows it.
	if _, err := e.pool.Exec(ctx, `INSERT INTO account_balances (account_id, document_total, paid_since, balance)
		VALUES ($1, 500000, 123456, 376544)`, second); err != nil {
		t.Fatal(err)
	}
	if page := b.follow("/accounts/" + itoa(second)); !strings.Contains(page.body, `id="balance"`) || !strings.Contains(page.body, "3\u00a0765,44") {
		t.Errorf("balance not shown on the account page:\n%.2000s", page.body)
	}
	meters, err := store.AccountMeters(ctx, e.pool, second)
	if err != nil || len(meters) == 0 || meters[0].LastValue == nil {
		t.Fatalf("meters: %v %v", meters, err)
	}
	whole, _, _ := strings.Cut(meters[0].LastValue.String(), ".")
	next := strconv.FormatInt(mustInt(t, whole)+3, 10)
	if r := b.postFollow("/accounts/"+itoa(second)+"/readings", url.Values{"meter": {itoa(meters[0].MeterID)}, "value": {next}}); !strings.Contains(r.body, "Показания приняты") {
		t.Errorf("reading from the cabinet: %d", r.status)
	}
	b.follow("/accounts/" + itoa(second))
	if r := b.post("/accounts/"+itoa(second)+"/readings", url.Values{"meter": {itoa(meters[0].MeterID)}, "value": {"1"}}); r.status != http.StatusBadRequest {
		t.Errorf("reading lower than the last one: HTTP %d", r.status)
	}
	b.follow("/accounts/" + itoa(second))
	b.postFollow("/accounts/"+itoa(second)+"/paperless", url.Values{"paperless": {"on"}})
	if acc, _ := store.ResidentAccount(ctx, e.pool, res.ID, second); !acc.Paperless {
		t.Error("paperless not saved")
	}
	b.postFollow("/accounts/"+itoa(second)+"/unlink", url.Values{"confirm": {"yes"}})
	accounts, _ = store.ResidentAccounts(ctx, e.pool, res.ID)
	if len(accounts) != 1 || !accounts[0].IsMain {
		t.Errorf("after unlinking the main account: %+v", accounts)
	}
	// Staff see who linked what.
	audit, err := store.RecentAudit(ctx, e.pool, store.AuditFilter{ActionPrefix: "resident.account_linked"})
	if err != nil || len(audit) != 2 || audit[0].ActorID != res.ID || audit[0].Details["resident"] != "Иванов Иван Петрович" {
		t.Errorf("audit = %+v, %v", audit, err)
	}
	// Logout ends the session and goes through ESIA's logout.
	b.follow("/")
	out := b.post("/logout", url.Values{})
	if out.status != http.StatusSeeOther || !strings.Contains(out.location, "/idp/ext/Logout") {
		t.Errorf("logout: %d %s", out.status, out.location)
	}
	if r := b.follow("/"); !strings.Contains(r.body, "Войти через Госуслуги") {
		t.Error("still logged in after logout")
	}
}

func TestStateAttacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	loggedIn := func(b *browser) bool { return strings.Contains(b.follow("/").body, "Мои лицевые счета") }

	t.Run("replayed callback", func(t *testing.T) {
		b := e.browser()
		cb := b.esiaStart(ivanov)
		if r := b.follow(cb); r.status != 200 || !loggedIn(b) {
			t.Fatalf("first callback: %d", r.status)
		}
		b2 := e.browser()
		b2.follow("/")
		if r := b2.get(cb); r.status != http.StatusForbidden || loggedIn(b2) {
			t.Errorf("same callback in another browser: HTTP %d", r.status)
		}
		if r := b.get(cb); r.status != http.StatusForbidden {
			t.Errorf("same callback again: HTTP %d", r.status)
		}
	})
	t.Run("callback in a browser that did not start the login", func(t *testing.T) {
		victim, attacker := e.browser(), e.browser()
		cb := attacker.esiaStart(1000299656) // login CSRF: the attacker's own code pushed to the victim
		if r := victim.get(cb); r.status != http.StatusForbidden || loggedIn(victim) {
			t.Errorf("HTTP %d", r.status)
		}
	})
	t.Run("callback with another login's state in a browser that has its own login running", func(t *testing.T) {
		victim, attacker := e.browser(), e.browser()
		victim.esiaStart(ivanov) // the victim's browser holds a login cookie of its own
		cb := attacker.esiaStart(1000299656)
		if r := victim.get(cb); r.status != http.StatusForbidden || loggedIn(victim) {
			t.Errorf("HTTP %d", r.status)
		}
	})
	cases := []struct{ name, mod string }{
		{"wrong state", "state"},
		{"missing state", "nostate"},
		{"code reused with a fresh state", "code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := e.browser()
			first := b.esiaStart(ivanov)
			u, _ := url.Parse(first)
			q := u.Query()
			switch c.mod {
			case "state":
				q.Set("state", "6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f")
			case "nostate":
				q.Del("state")
			case "code":
				b.follow(first) // the code is spent here
				b.post("/logout", url.Values{})
				second, _ := url.Parse(b.esiaStart(ivanov))
				q.Set("state", second.Query().Get("state"))
			}
			u.RawQuery = q.Encode()
			r := b.get(u.String())
			want := http.StatusForbidden
			if c.mod == "code" {
				// ESIA's refusal is the resident's message (403), not an internal error.
				if !strings.Contains(r.body, "ESIA-007011") {
					t.Errorf("reused code: page does not name ESIA-007011:\n%.400s", r.body)
				}
			}
			if r.status != want || loggedIn(b) {
				t.Errorf("HTTP %d, want %d", r.status, want)
			}
		})
	}
	t.Run("ESIA error redirect", func(t *testing.T) {
		b := e.browser()
		u, _ := url.Parse(b.esiaStart(ivanov))
		q := url.Values{"error": {"access_denied"}, "error_description": {"ESIA-007053: OAuthErrorEnum.clientSecretWrong"},
			"state": {u.Query().Get("state")}}
		r := b.get(e.url + "/esia/callback?" + q.Encode())
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "ESIA-007053") || !strings.Contains(r.body, "подпись") || loggedIn(b) {
			t.Errorf("HTTP %d\n%.400s", r.status, r.body)
		}
		r = b.get(e.url + "/esia/callback?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
		if strings.Contains(r.body, "<script>alert") {
			t.Error("error text reflected unescaped")
		}
	})
	audit, _ := store.RecentAudit(context.Background(), e.pool, store.AuditFilter{ActionPrefix: "resident.esia_login_failed"})
	if len(audit) < 5 {
		t.Errorf("failed logins audited: %d", len(audit))
	}
}

func TestTamperedCookieAndCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b := e.browser()
	b.esiaLogin(ivanov)
	u, _ := url.Parse(e.url)
	var session *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "zhkhgate_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	h := e.hint[0]
	// CSRF: no token, a made-up token, the token of another session.
	other := e.browser()
	other.esiaLogin(1000299655)
	for name, token := range map[string]string{"none": "", "made up": "x", "other session": other.csrf()} {
		b.follow("/")
		r := b.post("/accounts/link", url.Values{"csrf_token": {token}, "number": {h.Number}, "house": {itoa(h.HouseID)},
			"flat": {h.Flat}, "proof_kind": {"surname"}, "proof": {h.Surname}})
		if r.status != http.StatusForbidden {
			t.Errorf("CSRF %s: HTTP %d", name, r.status)
		}
	}
	if n, _ := store.ResidentAccounts(context.Background(), e.pool, residentID(t, e, "ivanov@example.org")); len(n) != 0 {
		t.Error("an account got linked without a CSRF token")
	}
	// Anonymous forms are protected by the cookie-bound token.
	anon := e.browser()
	anon.follow("/login")
	if r := anon.post("/login", url.Values{"csrf_token": {"forged"}, "email": {"a@b.c"}, "password": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("anonymous CSRF: HTTP %d", r.status)
	}
	// Tampered session cookie: one changed character is a stranger.
	tampered := e.browser()
	v := []byte(session.Value)
	v[5] ^= 1
	tampered.c.Jar.SetCookies(u, []*http.Cookie{{Name: "zhkhgate_session", Value: string(v), Path: "/"}})
	if r := tampered.follow("/"); strings.Contains(r.body, "Мои лицевые счета") {
		t.Error("tampered cookie accepted")
	}
	if r := tampered.get("/profile"); r.status != http.StatusSeeOther {
		t.Errorf("profile with tampered cookie: HTTP %d", r.status)
	}
	// Security headers on cabinet pages.
	req, _ := http.NewRequest("GET", e.url+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	for _, c := range b.c.Jar.Cookies(u) {
		_ = c // cookie flags are checked by internal/session's own tests
	}
}

func residentID(t *testing.T, e *env, email string) int64 {
	t.Helper()
	r, err := store.ResidentByEmail(context.Background(), e.pool, email)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func TestOnlyProvenAccountsAreVisible(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	a, b := e.browser(), e.browser()
	a.esiaLogin(ivanov)
	b.esiaLogin(1000299655)
	h := e.hint[0]
	a.postFollow("/accounts/link", e.linkForm(h, "surname", h.Surname))
	ctx := context.Background()
	accs, _ := store.ResidentAccounts(ctx, e.pool, residentID(t, e, "ivanov@example.org"))
	if len(accs) != 1 {
		t.Fatalf("linked: %+v", accs)
	}
	id := itoa(accs[0].AccountID)
	if r := b.follow("/accounts/" + id); r.status != http.StatusNotFound || strings.Contains(r.body, h.Surname) {
		t.Errorf("another resident's account page: HTTP %d", r.status)
	}
	b.follow("/")
	for _, p := range []string{"/main", "/paperless", "/unlink"} {
		if r := b.post("/accounts/"+id+p, url.Values{"paperless": {"on"}}); r.status != http.StatusNotFound {
			t.Errorf("POST %s on another resident's account: HTTP %d", p, r.status)
		}
	}
	if r := b.post("/accounts/"+id+"/readings", url.Values{"meter": {"1"}, "value": {"1"}}); r.status != http.StatusNotFound {
		t.Errorf("reading on another resident's account: HTTP %d", r.status)
	}
	// The store refuses by itself, whatever a handler does.
	if _, err := store.ResidentAccount(ctx, e.pool, residentID(t, e, "smirnova@example.org"), accs[0].AccountID); err == nil {
		t.Error("store.ResidentAccount returned an account the resident never proved")
	}
}

func TestLinkBruteForce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b := e.browser()
	b.esiaLogin(ivanov)
	h := e.hint[0]
	for i := 0; i < 5; i++ {
		b.follow("/")
		r := b.post("/accounts/link", e.linkForm(h, "total", strconv.Itoa(100+i)))
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "не совпадают") {
			t.Fatalf("wrong proof %d: HTTP %d", i, r.status)
		}
	}
	b.follow("/")
	r := b.post("/accounts/link", e.linkForm(h, "surname", h.Surname))
	if r.status != http.StatusTooManyRequests {
		t.Errorf("6th attempt with the right proof: HTTP %d, want 429", r.status)
	}
	// The guesser's failures stop him, not the account's owner (TestLinkAccountClients limits
	// how many residents may try one account).
	c := e.browser()
	c.esiaLogin(1000299655)
	if r := c.post("/accounts/link", e.linkForm(h, "surname", h.Surname)); r.status != http.StatusSeeOther {
		t.Errorf("the owner after a stranger's failures: HTTP %d, want 303", r.status)
	}
	audit, _ := store.RecentAudit(context.Background(), e.pool, store.AuditFilter{ActionPrefix: "resident.account_link_failed"})
	if len(audit) != 5 {
		t.Errorf("failed links audited: %d", len(audit))
	}
}

func TestInjection(t *testing.T) {
	t.Parallel()
	const evil = `<script>alert(1)</script>`
	e := newEnv(t, options{modifySim: func(c *sim.Config) {
		c.Citizens = append(c.Citizens, sim.Citizen{OID: 1000299999, LastName: evil, FirstName: `"><img src=x onerror=alert(2)>`,
			SNILS: "123-456-789 64", Email: "evil@example.org"})
	}})
	b := e.browser()
	home := b.esiaLogin(1000299999)
	if strings.Contains(home.body, "<script>alert(1)") || strings.Contains(home.body, "<img src=x") {
		t.Fatalf("person data rendered unescaped:\n%.800s", home.body)
	}
	if !strings.Contains(home.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("name not shown escaped:\n%.600s", home.body)
	}
	h := e.hint[0]
	cases := []url.Values{
		{"number": {"' OR 1=1 --"}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "proof_kind": {"surname"}, "proof": {"x"}},
		{"number": {h.Number}, "house": {"1 OR 1=1"}, "flat": {h.Flat}, "proof_kind": {"surname"}, "proof": {"x"}},
		{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {"1' OR '1'='1"}, "proof_kind": {"surname"}, "proof": {"x"}},
		{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "proof_kind": {"surname"}, "proof": {"' OR ''='"}},
		{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "proof_kind": {"total"}, "proof": {"1; DROP TABLE accounts"}},
		{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {evil}, "proof_kind": {"surname"}, "proof": {evil}},
	}
	for i, form := range cases {
		b.follow("/")
		r := b.post("/accounts/link", form)
		if r.status == http.StatusSeeOther || strings.Contains(r.body, "<script>alert") {
			t.Errorf("case %d: HTTP %d, unescaped=%v", i, r.status, strings.Contains(r.body, "<script>alert"))
		}
	}
	if accs, _ := store.ResidentAccounts(context.Background(), e.pool, residentID(t, e, "evil@example.org")); len(accs) != 0 {
		t.Errorf("injection linked accounts: %+v", accs)
	}
	// Every other field that is echoed back.
	for path, form := range map[string]url.Values{
		"/profile/phone": {"phone": {evil}},
		"/profile/email": {"email": {evil + "@example.org"}},
	} {
		b.follow("/profile")
		if r := b.post(path, form); r.status != http.StatusBadRequest || strings.Contains(r.body, "<script>alert") {
			t.Errorf("%s with markup: HTTP %d", path, r.status)
		}
	}
	login := e.browser()
	login.follow("/login")
	if r := login.post("/login", url.Values{"email": {`"><script>alert(1)</script>`}, "password": {"x"}}); strings.Contains(r.body, "<script>alert") {
		t.Error("login e-mail echoed unescaped")
	}
	login.follow("/readings")
	if r := login.post("/readings", url.Values{"number": {evil}, "house": {"1"}, "flat": {evil}, "step": {"find"}}); strings.Contains(r.body, "<script>alert") || r.status != http.StatusBadRequest {
		t.Errorf("readings form with markup: HTTP %d", r.status)
	}
	// Registration fields.
	anon := e.browser()
	anon.follow("/register")
	r := anon.post("/register", url.Values{"email": {"x'@example.org" + evil}, "phone": {evil}, "password": {"secret123"},
		"password2": {"secret123"}, "consent": {"yes"}})
	if r.status != http.StatusBadRequest || strings.Contains(r.body, "<script>alert") {
		t.Errorf("register with markup: HTTP %d", r.status)
	}
}

var linkRe = regexp.MustCompile(`http://[^\s]+\?t=[A-Za-z0-9_-]+`)

// lastLink returns the link in the newest letter to address.
func (e *env) lastLink(address string) string {
	e.t.Helper()
	letters, err := store.RecentCapturedMail(context.Background(), e.pool, address, 1)
	if err != nil || len(letters) == 0 {
		e.t.Fatalf("no letter to %s: %v", address, err)
	}
	m := linkRe.FindString(letters[0].Body)
	if m == "" {
		e.t.Fatalf("no link in letter: %s", letters[0].Body)
	}
	return m
}

func TestLocalAccountLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b := e.browser()
	const email, pw = "petrov@example.org", "correct horse"
	b.follow("/register")
	r := b.post("/register", url.Values{"email": {email}, "phone": {"8 (900) 555-44-33"}, "password": {pw}, "password2": {pw}, "consent": {"yes"}})
	if r.status != 200 || !strings.Contains(r.body, "Проверьте почту") {
		t.Fatalf("register: HTTP %d\n%.400s", r.status, r.body)
	}
	// Without consent, and a second registration of the same address, reveal nothing.
	b.follow("/register")
	if r := b.post("/register", url.Values{"email": {"x@example.org"}, "phone": {"+79005554433"}, "password": {pw}, "password2": {pw}}); r.status != 400 {
		t.Errorf("no consent: HTTP %d", r.status)
	}
	b.follow("/login")
	if r := b.post("/login", url.Values{"email": {email}, "password": {pw}}); r.status != http.StatusForbidden || !strings.Contains(r.body, "не подтверждён") {
		t.Errorf("login before confirmation: HTTP %d", r.status)
	}
	if r := b.follow(e.lastLink(email)); !strings.Contains(r.body, "Адрес подтверждён") {
		t.Fatalf("confirm: %d %.300s", r.status, r.body)
	}
	if r := b.follow(e.lastLink(email)); r.status != http.StatusNotFound {
		t.Errorf("confirmation link used twice: HTTP %d", r.status)
	}
	b.follow("/login")
	if r := b.postFollow("/login", url.Values{"email": {"PETROV@example.org"}, "password": {pw}}); !strings.Contains(r.body, "Мои лицевые счета") {
		t.Fatalf("login: %d %.300s", r.status, r.body)
	}
	res, _ := store.ResidentByEmail(context.Background(), e.pool, email)
	if res.Phone != "+79005554433" || res.ConsentAt == nil {
		t.Errorf("resident = %+v", res)
	}
	// Profile: phone, password, e-mail change through a confirmation link.
	b.follow("/profile")
	if r := b.postFollow("/profile/phone", url.Values{"phone": {"+7 901 000-00-01"}}); !strings.Contains(r.body, "Телефон сохранён") {
		t.Errorf("phone: %d", r.status)
	}
	if r := b.post("/profile/password", url.Values{"current": {"wrong"}, "password": {"new password 1"}, "password2": {"new password 1"}}); r.status != http.StatusForbidden {
		t.Errorf("password change with a wrong current password: HTTP %d", r.status)
	}
	b.follow("/profile")
	if r := b.postFollow("/profile/password", url.Values{"current": {pw}, "password": {"new password 1"}, "password2": {"new password 1"}}); !strings.Contains(r.body, "Пароль изменён") {
		t.Errorf("password: %d", r.status)
	}
	b.follow("/profile")
	b.postFollow("/profile/email", url.Values{"email": {"petrov2@example.org"}})
	if r := b.follow(e.lastLink("petrov2@example.org")); !strings.Contains(r.body, "Адрес электронной почты изменён") {
		t.Errorf("email change: %d %.300s", r.status, r.body)
	}
	// Bind ESIA to this local cabinet.
	b.follow("/profile")
	rr := b.post("/profile/esia", url.Values{})
	page := b.get(rr.location)
	m := simRequestRe.FindStringSubmatch(page.body)
	req, _ := http.NewRequest("POST", e.esia.Server.URL+"/idp/login", strings.NewReader(url.Values{"request": {m[1]}, "oid": {"1000299656"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := b.do(req)
	if r := b.follow(back.location); !strings.Contains(r.body, "Госуслуг привязана") || !strings.Contains(r.body, "Кузнецов Алексей Викторович") {
		t.Errorf("bind ESIA: %d %.500s", r.status, r.body)
	}
	// Logout everywhere ends a second browser's session.
	second := e.browser()
	second.follow("/login")
	second.postFollow("/login", url.Values{"email": {"petrov2@example.org"}, "password": {"new password 1"}})
	b.follow("/profile")
	b.postFollow("/logout/everywhere", url.Values{})
	if r := second.follow("/"); strings.Contains(r.body, "Мои лицевые счета") {
		t.Error("second browser still logged in after logout everywhere")
	}
	// Password reset by e-mail, then delete the cabinet.
	b.follow("/reset")
	b.post("/reset", url.Values{"email": {"petrov2@example.org"}})
	link := e.lastLink("petrov2@example.org")
	b.follow(link)
	tok, _ := url.Parse(link)
	if r := b.postFollow("/reset/new", url.Values{"t": {tok.Query().Get("t")}, "password": {"reset pass 1"}, "password2": {"reset pass 1"}}); !strings.Contains(r.body, "Пароль изменён") {
		t.Fatalf("reset: %d %.300s", r.status, r.body)
	}
	b.follow("/login")
	b.postFollow("/login", url.Values{"email": {"petrov2@example.org"}, "password": {"reset pass 1"}})
	b.follow("/profile")
	if r := b.post("/profile/delete", url.Values{"confirm": {"нет"}}); r.status != 400 {
		t.Errorf("delete without the word: HTTP %d", r.status)
	}
	b.follow("/profile")
	if r := b.postFollow("/profile/delete", url.Values{"confirm": {"удалить"}}); !strings.Contains(r.body, "Кабинет удалён") {
		t.Errorf("delete: %d", r.status)
	}
	if _, err := store.ResidentByEmail(context.Background(), e.pool, "petrov2@example.org"); err == nil {
		t.Error("resident still exists")
	}
}

func TestLoginLockout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{limits: cabinet.Limits{IPAttempts: 100}})
	ctx := context.Background()
	b := e.browser()
	const email, pw = "locked@example.org", "right password"
	b.follow("/register")
	b.post("/register", url.Values{"email": {email}, "phone": {"+79000000001"}, "password": {pw}, "password2": {pw}, "consent": {"yes"}})
	b.follow(e.lastLink(email))
	for i := 0; i < 5; i++ {
		b.follow("/login")
		if r := b.post("/login", url.Values{"email": {email}, "password": {"guess" + strconv.Itoa(i)}}); r.status != http.StatusForbidden {
			t.Fatalf("wrong password %d: HTTP %d", i, r.status)
		}
	}
	b.follow("/login")
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(url.Values{"email": {email}, "password": {pw}, "csrf_token": {b.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "заблокирован") || ra < 800 || ra > 900 {
		t.Errorf("right password while locked: HTTP %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n, _ := store.LimiterHits(ctx, e.pool, "login:email:"+email); n != 5 {
		t.Errorf("failures counted in the database: %d, want 5", n)
	}
	// Unknown e-mail and wrong password give the same answer.
	b.follow("/login")
	r1 := b.post("/login", url.Values{"email": {"nobody@example.org"}, "password": {"x"}})
	if r1.status != http.StatusForbidden || !strings.Contains(r1.body, "Неверный адрес электронной почты или пароль") {
		t.Errorf("unknown e-mail: HTTP %d", r1.status)
	}
}

func TestIPRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{limits: cabinet.Limits{IPAttempts: 3}})
	b := e.browser()
	for i := 0; i < 3; i++ {
		b.follow("/login")
		b.post("/login", url.Values{"email": {"nobody" + strconv.Itoa(i) + "@example.org"}, "password": {"x"}})
	}
	b.follow("/login")
	if r := b.post("/login", url.Values{"email": {"nobody@example.org"}, "password": {"x"}}); r.status != http.StatusTooManyRequests {
		t.Errorf("4th login from one IP: HTTP %d, want 429", r.status)
	}
	for i := 0; i < 3; i++ {
		b.follow("/")
		if r := b.post("/esia/login", url.Values{}); r.status != http.StatusSeeOther {
			t.Fatalf("ESIA login start %d: HTTP %d", i, r.status)
		}
	}
	b.follow("/")
	if r := b.post("/esia/login", url.Values{}); r.status != http.StatusTooManyRequests {
		t.Errorf("4th ESIA login start from one IP: HTTP %d, want 429", r.status)
	}
}

func TestReadingsWithoutLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	ctx := context.Background()
	h := e.hint[2]
	p, err := store.FindAccountForProof(ctx, e.pool, h.Number, h.HouseID, h.Flat)
	if err != nil {
		t.Fatal(err)
	}
	meters, err := store.AccountMeters(ctx, e.pool, p.AccountID)
	if err != nil || len(meters) == 0 || meters[0].LastValue == nil {
		t.Fatalf("meters: %+v %v", meters, err)
	}
	m := meters[0]
	last := m.LastValue.String()
	whole, _, _ := strings.Cut(last, ".")
	next := strconv.FormatInt(mustInt(t, whole)+7, 10) + ",5"
	b := e.browser()
	b.follow("/readings")
	base := url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}}
	r := b.post("/readings", cloneWith(base, "step", "find"))
	if r.status != 200 || !strings.Contains(r.body, "Предыдущее показание") {
		t.Fatalf("find: %d %.400s", r.status, r.body)
	}
	save := cloneWith(base, "step", "save")
	save.Set("meter", itoa(m.MeterID))
	bad := cloneWith(save, "previous", strconv.FormatInt(mustInt(t, whole)+1000, 10))
	bad.Set("value", next)
	if r := b.post("/readings", bad); r.status != http.StatusForbidden {
		t.Errorf("wrong previous reading: HTTP %d", r.status)
	}
	lower := cloneWith(save, "previous", whole)
	lower.Set("value", "0")
	if r := b.post("/readings", lower); r.status != http.StatusBadRequest || !strings.Contains(r.body, "меньше предыдущего") {
		t.Errorf("lower than previous: HTTP %d", r.status)
	}
	good := cloneWith(save, "previous", whole)
	good.Set("value", next)
	if r := b.post("/readings", good); r.status != 200 || !strings.Contains(r.body, "Показания приняты") {
		t.Fatalf("save: %d %.400s", r.status, r.body)
	}
	after, _ := store.AccountMeters(ctx, e.pool, p.AccountID)
	for _, x := range after {
		if x.MeterID == m.MeterID && (x.LastValue == nil || !strings.HasPrefix(x.LastValue.String(), strconv.FormatInt(mustInt(t, whole)+7, 10)+".5")) {
			t.Errorf("stored reading = %v", x.LastValue)
		}
	}
	// Guessing the previous reading is limited per account: 4 more failures (5 in all), then 429
	// even for the right answer.
	for i := 0; i < 4; i++ {
		b.post("/readings", bad)
	}
	if r := b.post("/readings", good); r.status != http.StatusTooManyRequests {
		t.Errorf("after 5 wrong proofs: HTTP %d, want 429", r.status)
	}
	// An unknown account is the same answer as a wrong proof.
	other := e.browser()
	other.follow("/readings")
	if r := other.post("/readings", url.Values{"number": {"999999"}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "step": {"find"}}); r.status != http.StatusForbidden {
		t.Errorf("unknown account: HTTP %d", r.status)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func cloneWith(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = append([]string(nil), vs...)
	}
	out.Set(k, val)
	return out
}

func TestESIAEmailTakenAndBindConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	ctx := context.Background()
	local := e.browser()
	local.follow("/register")
	local.post("/register", url.Values{"email": {"ivanov@example.org"}, "phone": {"+79000000002"}, "password": {"local pass 1"},
		"password2": {"local pass 1"}, "consent": {"yes"}})
	local.follow(e.lastLink("ivanov@example.org"))
	// Ivanov logs in with ESIA in another browser: a separate cabinet, without the taken e-mail.
	esiaB := e.browser()
	if r := esiaB.esiaLogin(ivanov); !strings.Contains(r.body, "Иванов Иван Петрович") {
		t.Fatalf("ESIA login with a taken e-mail: %d", r.status)
	}
	// The local cabinet now tries to bind the same ESIA account: refused, nothing changes.
	local.follow("/login")
	local.postFollow("/login", url.Values{"email": {"ivanov@example.org"}, "password": {"local pass 1"}})
	local.follow("/profile")
	rr := local.post("/profile/esia", url.Values{})
	page := local.get(rr.location)
	m := simRequestRe.FindStringSubmatch(page.body)
	req, _ := http.NewRequest("POST", e.esia.Server.URL+"/idp/login", strings.NewReader(url.Values{"request": {m[1]}, "oid": {itoa(ivanov)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := local.do(req)
	if r := local.follow(back.location); r.status != http.StatusConflict || !strings.Contains(r.body, "уже привязана к другому кабинету") {
		t.Errorf("binding an ESIA account used elsewhere: HTTP %d", r.status)
	}
	res, _ := store.ResidentByEmail(ctx, e.pool, "ivanov@example.org")
	if res.ESIAOID != 0 {
		t.Errorf("local cabinet got oid %d", res.ESIAOID)
	}
}

// testClock is the sessions' clock in a test; handlers read it while the test moves it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	idle := newEnv(t, options{idle: time.Minute, now: clock.Now})
	absolute := newEnv(t, options{absolute: 3 * time.Minute, now: clock.Now})
	bi, ba := idle.browser(), absolute.browser()
	for _, b := range []*browser{bi, ba} {
		if r := b.esiaLogin(ivanov); !strings.Contains(r.body, "Мои лицевые счета") {
			t.Fatal("login failed")
		}
	}
	// Used every 50 s, the absolute session lives on until its 3 minutes are over; the idle
	// one, not used, ends after 1 minute. The clock moves; nothing sleeps.
	for i := 0; i < 3; i++ {
		clock.advance(50 * time.Second)
		if r := ba.follow("/"); !strings.Contains(r.body, "Мои лицевые счета") {
			t.Fatalf("active session ended early (step %d)", i)
		}
	}
	if r := bi.follow("/"); strings.Contains(r.body, "Мои лицевые счета") {
		t.Error("session survived the idle timeout")
	}
	clock.advance(40 * time.Second)
	if r := ba.follow("/"); strings.Contains(r.body, "Мои лицевые счета") {
		t.Error("session survived the absolute timeout while in use")
	}
}

func TestCookieFlags(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		e := newEnv(t, options{secure: secure})
		b := e.browser()
		b.follow("/")
		req, _ := http.NewRequest("POST", e.url+"/esia/login", strings.NewReader(url.Values{"csrf_token": {b.csrf()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var seen int
		for _, c := range resp.Cookies() {
			if c.Name != "zhkhgate_esia" {
				continue
			}
			seen++
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/esia/" || c.Secure != secure || c.MaxAge <= 0 || c.MaxAge > 600 {
				t.Errorf("secure=%v: ESIA login cookie %+v", secure, c)
			}
		}
		if seen != 1 {
			t.Errorf("secure=%v: %d ESIA login cookies", secure, seen)
		}
		// The anonymous CSRF cookie.
		resp, err = http.Get(e.url + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "zhkhgate_csrf" && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure) {
				t.Errorf("secure=%v: CSRF cookie %+v", secure, c)
			}
		}
	}
}

func TestESIAResidentSetsPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b := e.browser()
	b.esiaLogin(1000299655)
	b.follow("/profile")
	// No current password is asked: the resident never had one.
	if r := b.postFollow("/profile/password", url.Values{"password": {"first pass 1"}, "password2": {"first pass 1"}}); !strings.Contains(r.body, "Пароль изменён") {
		t.Fatalf("first password: %d", r.status)
	}
	other := e.browser()
	other.follow("/login")
	// ESIA verified the e-mail, so it logs in at once.
	if r := other.postFollow("/login", url.Values{"email": {"smirnova@example.org"}, "password": {"first pass 1"}}); !strings.Contains(r.body, "Смирнова Мария Сергеевна") {
		t.Errorf("password login with the ESIA e-mail: %d %.300s", r.status, r.body)
	}
}
