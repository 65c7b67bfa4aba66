package cabinet_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// checks counts the secrets the cabinet checks, by kind.
type checks struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *checks) hook(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[what]++
}

func (c *checks) get(what string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[what]
}

// parallel posts forms to path at once, each from its own browser (own CSRF cookie and token
// taken from GET formPage), optionally as client ip (X-Forwarded-For through a trusted proxy);
// it returns the statuses.
func (e *env) parallel(formPage, path string, forms []url.Values, ip func(i int) string) []int {
	e.t.Helper()
	type prepared struct {
		b   *browser
		req *http.Request
	}
	var ps []prepared
	for i, f := range forms {
		b := e.browser()
		b.follow(formPage)
		f.Set("csrf_token", b.csrf())
		req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if ip != nil {
			req.Header.Set("X-Forwarded-For", ip(i))
		}
		ps = append(ps, prepared{b, req})
	}
	statuses := make([]int, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			r, err := p.b.c.Do(p.req)
			if err != nil {
				e.t.Error(err)
				return
			}
			r.Body.Close()
			statuses[i] = r.StatusCode
		})
	}
	wg.Wait()
	return statuses
}

func count(statuses []int, code int) int {
	n := 0
	for _, s := range statuses {
		if s == code {
			n++
		}
	}
	return n
}

// registerResident registers and confirms a local resident.
func (e *env) registerResident(email, password string) {
	e.t.Helper()
	b := e.browser()
	b.follow("/register")
	b.post("/register", url.Values{"email": {email}, "phone": {"+79000000001"}, "password": {password}, "password2": {password}, "consent": {"yes"}})
	b.follow(e.lastLink(email))
}

// TestParallelLoginBruteForce: parallel wrong passwords for one resident are checked no more
// often than the lockout allows. Before the fix all 40 were checked (39 × 403 and a session).
func TestParallelLoginBruteForce(t *testing.T) {
	t.Parallel()
	var c checks
	e := newEnv(t, options{limits: cabinet.Limits{IPAttempts: 1000}, onCheck: c.hook})
	const email, pw = "brute@example.org", "Right-pass-2026"
	e.registerResident(email, pw)

	// 40 wrong at once: exactly 5 checked, the rest refused with 429.
	var forms []url.Values
	for i := range 40 {
		forms = append(forms, url.Values{"email": {email}, "password": {"wrong " + strconv.Itoa(i)}})
	}
	before := c.get("password")
	st := e.parallel("/login", "/login", forms, nil)
	if got := c.get("password") - before; got != 5 {
		t.Errorf("40 parallel wrong passwords: %d checked, want exactly 5", got)
	}
	if count(st, http.StatusForbidden) != 5 || count(st, http.StatusTooManyRequests) != 35 {
		t.Errorf("statuses: %d × 403, %d × 429, want 5 and 35", count(st, http.StatusForbidden), count(st, http.StatusTooManyRequests))
	}

	// 39 wrong and the right one at once, on a fresh e-mail: at most 5 wrong ones are checked
	// (the right one hands its reservation back, so at most 6 checks).
	const email2 = "brute2@example.org"
	e.registerResident(email2, pw)
	forms = nil
	for i := range 40 {
		p := "wrong " + strconv.Itoa(i)
		if i == 20 {
			p = pw
		}
		forms = append(forms, url.Values{"email": {email2}, "password": {p}})
	}
	before = c.get("password")
	st = e.parallel("/login", "/login", forms, nil)
	checked := c.get("password") - before
	if wrong := count(st, http.StatusForbidden); wrong > 5 || checked > 6 || checked < 5 {
		t.Errorf("39 wrong + 1 right in parallel: %d wrong checked, %d checks, want ≤ 5 wrong and 5..6 checks", wrong, checked)
	}
}

// TestParallelIPLimit: one IP, 60 parallel logins for different e-mails, 30 allowed an hour.
func TestParallelIPLimit(t *testing.T) {
	t.Parallel()
	var c checks
	e := newEnv(t, options{onCheck: c.hook})
	var forms []url.Values
	for i := range 60 {
		forms = append(forms, url.Values{"email": {"nobody" + strconv.Itoa(i) + "@example.org"}, "password": {"x"}})
	}
	st := e.parallel("/login", "/login", forms, nil)
	if got := c.get("password"); got != 30 {
		t.Errorf("60 parallel logins from one IP: %d checked, want exactly 30", got)
	}
	if count(st, http.StatusTooManyRequests) != 30 {
		t.Errorf("%d × 429, want 30", count(st, http.StatusTooManyRequests))
	}
}

// TestParallelReadingProofs: anonymous readings, 40 parallel wrong proofs from one client for
// one account: exactly 5 checked. The account's owner, from another address, is not locked out
// (before the fix five wrong guesses closed the form for everyone for an hour); ten different
// clients in an hour close the account's form until the hour ends.
func TestParallelReadingProofs(t *testing.T) {
	t.Parallel()
	var c checks
	e := newEnv(t, options{onCheck: c.hook, trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		limits: cabinet.Limits{IPAttempts: 1000}})
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
	whole, _, _ := strings.Cut(meters[0].LastValue.String(), ".")
	form := func(previous string) url.Values {
		return url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "step": {"save"},
			"meter": {itoa(meters[0].MeterID)}, "previous": {previous}, "value": {strconv.FormatInt(mustInt(t, whole)+3, 10)}}
	}
	var forms []url.Values
	for i := range 40 {
		forms = append(forms, form(strconv.FormatInt(mustInt(t, whole)+100+int64(i), 10)))
	}
	st := e.parallel("/readings", "/readings", forms, func(int) string { return "203.0.113.66" })
	if got := c.get("reading_proof"); got != 5 {
		t.Errorf("40 parallel wrong proofs: %d checked, want exactly 5", got)
	}
	if count(st, http.StatusForbidden) != 5 {
		t.Errorf("%d × 403, want 5", count(st, http.StatusForbidden))
	}
	// The resident, from home, sends the reading.
	st = e.parallel("/readings", "/readings", []url.Values{form(whole)}, func(int) string { return "198.51.100.1" })
	if st[0] != http.StatusOK {
		t.Errorf("the owner after a stranger's 40 guesses: HTTP %d, want 200", st[0])
	}
	// Eight more clients (ten with the two above) may try the account; the eleventh is refused.
	forms = nil
	for i := range 9 {
		forms = append(forms, form(strconv.FormatInt(mustInt(t, whole)+200+int64(i), 10)))
	}
	st = e.parallel("/readings", "/readings", forms, func(i int) string { return "192.0.2." + strconv.Itoa(10+i) })
	if count(st, http.StatusForbidden) != 8 || count(st, http.StatusTooManyRequests) != 1 {
		t.Errorf("9 more clients: %d × 403, %d × 429, want 8 and 1", count(st, http.StatusForbidden), count(st, http.StatusTooManyRequests))
	}
}

// loginBrowser logs a registered resident in with the password.
func (e *env) loginBrowser(email, password string) *browser {
	e.t.Helper()
	b := e.browser()
	b.follow("/login")
	if r := b.post("/login", url.Values{"email": {email}, "password": {password}}); r.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: HTTP %d", email, r.status)
	}
	return b
}

// TestCurrentPasswordLimit: 20 parallel wrong "current password" attempts in one session are
// checked exactly 5 times (before the fix: all 20, unlimited), then refused with 429.
func TestCurrentPasswordLimit(t *testing.T) {
	t.Parallel()
	var c checks
	e := newEnv(t, options{onCheck: c.hook})
	const email, pw = "current@example.org", "Right-pass-2026"
	e.registerResident(email, pw)
	b := e.loginBrowser(email, pw)
	b.follow("/profile")
	token := b.csrf()
	before := c.get("password")
	statuses := make([]int, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		form := url.Values{"csrf_token": {token}, "current": {"guess " + strconv.Itoa(i)}, "password": {"New-pass-2027"}, "password2": {"New-pass-2027"}}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/profile/password", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wg.Go(func() {
			r, err := b.c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			r.Body.Close()
			statuses[i] = r.StatusCode
		})
	}
	wg.Wait()
	if got := c.get("password") - before; got != 5 {
		t.Errorf("20 parallel wrong current passwords: %d checked, want exactly 5", got)
	}
	if count(statuses, http.StatusTooManyRequests) != 15 {
		t.Errorf("%d × 429, want 15", count(statuses, http.StatusTooManyRequests))
	}
	// Even the right one waits for the lock.
	b.follow("/profile")
	if r := b.post("/profile/password", url.Values{"current": {pw}, "password": {"New-pass-2027"}, "password2": {"New-pass-2027"}}); r.status != http.StatusTooManyRequests {
		t.Errorf("right current password while locked: HTTP %d, want 429", r.status)
	}
}

// TestPasswordChangeEndsOtherSessions: after a password change only the session that changed it
// stays; a password reset ends all. Before the fix the other sessions stayed valid.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	const email, pw, pw2 = "sessions@example.org", "Right-pass-2026", "Other-pass-2027"
	e.registerResident(email, pw)
	a := e.loginBrowser(email, pw)
	other := e.loginBrowser(email, pw)
	a.follow("/profile")
	if r := a.postFollow("/profile/password", url.Values{"current": {pw}, "password": {pw2}, "password2": {pw2}}); !strings.Contains(r.body, "Пароль изменён") {
		t.Fatalf("change password: HTTP %d %.300s", r.status, r.body)
	}
	if r := a.get("/profile"); r.status != http.StatusOK {
		t.Errorf("the changing session after the change: HTTP %d, want 200", r.status)
	}
	if r := other.get("/profile"); r.status != http.StatusSeeOther {
		t.Errorf("another session after the password change: HTTP %d, want 303 to the landing page", r.status)
	}

	// An e-mail change, confirmed in the changing browser, ends the other sessions too.
	third := e.loginBrowser(email, pw2)
	a.follow("/profile")
	if r := a.post("/profile/email", url.Values{"email": {"sessions2@example.org"}}); r.status != http.StatusSeeOther {
		t.Fatalf("change e-mail: HTTP %d", r.status)
	}
	if r := a.follow(e.lastLink("sessions2@example.org")); r.status != http.StatusOK {
		t.Fatalf("confirm e-mail: HTTP %d", r.status)
	}
	if r := a.get("/profile"); r.status != http.StatusOK {
		t.Errorf("the changing session after the e-mail change: HTTP %d", r.status)
	}
	if r := third.get("/profile"); r.status != http.StatusSeeOther {
		t.Errorf("another session after the e-mail change: HTTP %d, want 303", r.status)
	}
}

var badValues = map[string]string{
	"NUL":          "12\x003",
	"invalid UTF8": "12\xc3\x28",
	"100 KB":       strings.Repeat("1", 100<<10),
	"CRLF":         "12\r\nSet-Cookie: x=y",
}

// TestBadBytesEveryField posts NUL, invalid UTF-8, 100 KB and CRLF in every field of every
// cabinet form (and in GET queries): the answer is 400 with a Russian message, never a 5xx.
// Before the fix a NUL in "flat" of /readings or /accounts/link was HTTP 500 (SQLSTATE 22021).
func TestBadBytesEveryField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{limits: cabinet.Limits{IPAttempts: 100000, LoginFailures: 100000, ProofFailures: 100000}})
	h := e.hint[0]
	anon := e.browser()
	res := e.browser()
	res.esiaLogin(ivanov)
	forms := []struct {
		b      *browser
		page   string
		path   string
		fields url.Values
	}{
		{anon, "/login", "/login", url.Values{"email": {"a@example.org"}, "password": {"x"}}},
		{anon, "/register", "/register", url.Values{"email": {"a@example.org"}, "phone": {"+79000000000"}, "password": {"Xx-123456789"}, "password2": {"Xx-123456789"}, "consent": {"yes"}}},
		{anon, "/reset", "/reset", url.Values{"email": {"a@example.org"}}},
		{anon, "/reset", "/reset/new", url.Values{"t": {"x"}, "password": {"Xx-123456789"}, "password2": {"Xx-123456789"}}},
		{anon, "/readings", "/readings", url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "step": {"save"}, "meter": {"1"}, "previous": {"1"}, "value": {"2"}}},
		{res, "/", "/accounts/link", e.linkForm(h, "surname", "Иванов")},
		{res, "/profile", "/profile/email", url.Values{"email": {"b@example.org"}}},
		{res, "/profile", "/profile/phone", url.Values{"phone": {"+79000000000"}}},
		{res, "/profile", "/profile/password", url.Values{"current": {"x"}, "password": {"Xx-123456789"}, "password2": {"Xx-123456789"}}},
		{res, "/profile", "/profile/delete", url.Values{"confirm": {"нет"}}},
		{res, "/", "/accounts/1/readings", url.Values{"meter": {"1"}, "value": {"1"}}},
		{res, "/", "/accounts/1/paperless", url.Values{"paperless": {"on"}}},
	}
	for _, f := range forms {
		for field := range f.fields {
			for name, bad := range badValues {
				f.b.follow(f.page)
				v := url.Values{}
				for k, vals := range f.fields {
					v[k] = vals
				}
				v.Set(field, bad)
				r := f.b.post(f.path, v)
				if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Поле «"+field+"»") {
					t.Errorf("POST %s with %s in %q: HTTP %d %.200q, want 400 naming the field", f.path, name, field, r.status, r.body)
				}
			}
		}
	}
	for _, path := range []string{"/confirm?t=", "/reset/new?t=", "/profile/email/confirm?t=", "/?ok="} {
		for name, bad := range badValues {
			if r := res.get(path + url.QueryEscape(bad)); r.status != http.StatusBadRequest {
				t.Errorf("GET %s with %s: HTTP %d, want 400", path, name, r.status)
			}
		}
	}
}

// TestOtherResidentsIDs: every cabinet route that takes an account id, given another
// resident's account, shows and changes nothing.
func TestOtherResidentsIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	ctx := context.Background()
	h := e.hint[0]
	owner := e.browser()
	owner.esiaLogin(ivanov)
	owner.follow("/")
	if r := owner.post("/accounts/link", e.linkForm(h, "surname", h.Surname)); r.status != http.StatusSeeOther {
		t.Fatalf("link: HTTP %d", r.status)
	}
	ownerID := residentIDByOID(t, e, ivanov)
	accs, err := store.ResidentAccounts(ctx, e.pool, ownerID)
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts: %v %v", accs, err)
	}
	id := itoa(accs[0].AccountID)
	stranger := e.browser()
	stranger.esiaLogin(1000299655)
	if r := stranger.get("/accounts/" + id); r.status != http.StatusNotFound || strings.Contains(r.body, h.Number) {
		t.Errorf("GET /accounts/%s as another resident: HTTP %d", id, r.status)
	}
	for _, p := range []string{"/main", "/paperless", "/unlink", "/readings"} {
		stranger.follow("/")
		if r := stranger.post("/accounts/"+id+p, url.Values{"paperless": {"on"}, "meter": {"1"}, "value": {"99999"}}); r.status != http.StatusNotFound || strings.Contains(r.body, h.Number) {
			t.Errorf("POST /accounts/%s%s as another resident: HTTP %d", id, p, r.status)
		}
	}
	after, _ := store.ResidentAccounts(ctx, e.pool, ownerID)
	if len(after) != 1 || after[0].Paperless != accs[0].Paperless {
		t.Errorf("the owner's link changed: %+v", after)
	}
}

func residentIDByOID(t *testing.T, e *env, oid int64) int64 {
	t.Helper()
	var id int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM residents WHERE esia_oid = $1`, oid).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestWeakPasswordsRefused: registration, password change and reset refuse short, common,
// patterned passwords and the e-mail itself, in Russian. Before the fix 12345678 and aaaaaaaa
// were accepted.
func TestWeakPasswordsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{limits: cabinet.Limits{IPAttempts: 1000}})
	weak := map[string]string{
		"12345678": "распространённых", "aaaaaaaa": "простой", "qwertyui": "распространённых",
		"abcdefgh": "простой", "short": "не короче", "weakling@example.org": "адрес электронной почты",
	}
	b := e.browser()
	for pw, want := range weak {
		b.follow("/register")
		r := b.post("/register", url.Values{"email": {"weakling@example.org"}, "phone": {"+79000000001"}, "password": {pw}, "password2": {pw}, "consent": {"yes"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, want) {
			t.Errorf("register with %q: HTTP %d, want 400 with %q", pw, r.status, want)
		}
	}
	const email, pw = "weakling@example.org", "Good-pass-2026"
	e.registerResident(email, pw)
	a := e.loginBrowser(email, pw)
	for bad, want := range weak {
		a.follow("/profile")
		r := a.post("/profile/password", url.Values{"current": {pw}, "password": {bad}, "password2": {bad}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, want) {
			t.Errorf("change to %q: HTTP %d, want 400 with %q", bad, r.status, want)
		}
	}
	// Reset: a refused password leaves the link usable.
	c := e.browser()
	c.follow("/reset")
	c.post("/reset", url.Values{"email": {email}})
	link := e.lastLink(email)
	c.follow(link)
	r := c.post("/reset/new", url.Values{"t": {strings.SplitN(link, "t=", 2)[1]}, "password": {"12345678"}, "password2": {"12345678"}})
	if r.status != http.StatusBadRequest {
		t.Errorf("reset to 12345678: HTTP %d, want 400", r.status)
	}
	c.follow(link)
	if r := c.post("/reset/new", url.Values{"t": {strings.SplitN(link, "t=", 2)[1]}, "password": {"Fresh-pass-2027"}, "password2": {"Fresh-pass-2027"}}); r.status != http.StatusSeeOther {
		t.Errorf("reset with a good password after a refused one: HTTP %d, want 303", r.status)
	}
}

// TestCSRF: anonymous forms need the server-signed token of their own cookie; logged-in forms
// the session's token. Before the fix any cookie and token pair of 32+ characters the caller
// picked was accepted.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	post := func(b *browser, cookie, token string) int {
		form := url.Values{"email": {"x@example.org"}, "password": {"x"}}
		if token != "" {
			form.Set("csrf_token", token)
		}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "zhkhgate_csrf", Value: cookie})
		}
		return b.do(req).status
	}
	forged := strings.Repeat("A", 43)
	other := e.browser()
	other.follow("/login")
	otherToken := other.csrf()
	for _, c := range []struct {
		name, cookie, token string
	}{
		{"missing", "", ""},
		{"forged pair", forged, forged},
		{"forged signed-looking pair", forged + ".x", forged + ".x"},
		{"another browser's token with a forged cookie", forged, otherToken},
	} {
		if st := post(&browser{t: t, e: e, c: &http.Client{}}, c.cookie, c.token); st != http.StatusForbidden {
			t.Errorf("%s: HTTP %d, want 403", c.name, st)
		}
	}
	// Another browser's genuine token does not fit this browser's cookie.
	mine := e.browser()
	mine.follow("/login")
	if r := mine.post("/login", url.Values{"csrf_token": {otherToken}, "email": {"x@example.org"}, "password": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("another browser's token: HTTP %d, want 403", r.status)
	}
	mine.follow("/login")
	if r := mine.post("/login", url.Values{"email": {"x@example.org"}, "password": {"x"}}); r.status != http.StatusForbidden || !strings.Contains(r.body, "Неверный") {
		t.Errorf("own token: HTTP %d, want the wrong-password answer", r.status)
	}
	// Logged in: another session's token is refused.
	a := e.browser()
	a.esiaLogin(ivanov)
	b := e.browser()
	b.esiaLogin(1000299655)
	b.follow("/profile")
	if r := a.post("/profile/phone", url.Values{"csrf_token": {b.csrf()}, "phone": {"+79001112233"}}); r.status != http.StatusForbidden {
		t.Errorf("another session's token: HTTP %d, want 403", r.status)
	}
	if r := a.post("/profile/phone", url.Values{"csrf_token": {""}, "phone": {"+79001112233"}}); r.status != http.StatusForbidden {
		t.Errorf("no token: HTTP %d, want 403", r.status)
	}
}

// TestESIAErrorIsAuditedRefusal: whatever ESIA (or anyone) puts in ?error=, the answer is a
// 4xx in Russian and the failed login is audited, NUL bytes included. Before the fix every such
// callback was a 503 logged as an ERROR, and with a NUL the audit record was lost.
func TestESIAErrorIsAuditedRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b := e.browser()
	for i, q := range []string{
		"error=anything",
		"error=server_error&error_description=ESIA-007005",
		"error=%00bad%FF&error_description=x%00y",
		"error=" + url.QueryEscape(strings.Repeat("z", 5000)),
	} {
		r := b.get(e.url + "/esia/callback?" + q)
		if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, "Госуслуг") {
			t.Errorf("callback ?%.40s: HTTP %d, want a 4xx in Russian", q, r.status)
		}
		audit, _ := store.RecentAudit(context.Background(), e.pool, store.AuditFilter{ActionPrefix: "resident.esia_login_failed"})
		if len(audit) != i+1 {
			t.Errorf("callback ?%.40s: %d failed logins audited, want %d", q, len(audit), i+1)
		}
	}
}
