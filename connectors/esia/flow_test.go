package esia_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

const callback = "http://127.0.0.1:1/esia/callback"

// noRedirect is a browser that stops at every redirect so the test can read Location.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func newClient(t *testing.T, env *esiatest.Env, mod func(*esia.Config)) *esia.Client {
	t.Helper()
	cfg := env.Config
	if mod != nil {
		mod(&cfg)
	}
	c, err := esia.New(cfg, env.ClientSigner, env.Tool)
	if err != nil {
		t.Fatalf("esia.New: %v", err)
	}
	return c
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// authorize follows an authorization URL to the simulator's login page, picks oid and returns
// the query ESIA redirects back with.
func authorize(t *testing.T, authURL string, oid int64) url.Values {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		return redirectQuery(t, resp)
	}
	m := requestField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no login form at %s (HTTP %d): %.300s", authURL, resp.StatusCode, body)
	}
	u, _ := url.Parse(authURL)
	resp, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+"/idp/login", url.Values{"request": {string(m[1])}, "oid": {itoa(oid)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return redirectQuery(t, resp)
}

func redirectQuery(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("want a redirect back, got HTTP %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), callback) {
		t.Fatalf("redirect to %q, want %s", resp.Header.Get("Location"), callback)
	}
	return loc.Query()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func login(t *testing.T, c *esia.Client, oid int64) *esia.Login {
	t.Helper()
	ctx := context.Background()
	state := esia.NewState()
	u, err := c.AuthCodeURL(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := esia.ParseCallback(authorize(t, u, oid), state)
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	l, err := c.Exchange(ctx, cb.Code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return l
}

func TestLoginGOST(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	c := newClient(t, env, nil)
	ctx := context.Background()
	l := login(t, c, 1000299654)
	if l.Identity.OID != 1000299654 || !l.Identity.Trusted || l.Identity.SessionID == "" {
		t.Errorf("identity = %+v", l.Identity)
	}
	if !l.Access.HasScope("fullname") || l.Access.ClientID != "TESTSYS" {
		t.Errorf("access claims = %+v", l.Access)
	}
	p, err := c.Person(ctx, l.Token.AccessToken, l.Identity.OID)
	if err != nil {
		t.Fatal(err)
	}
	want := esia.Person{OID: 1000299654, FirstName: "Иван", LastName: "Иванов", MiddleName: "Петрович",
		SNILS: "112-233-445 95", Trusted: true, Email: "ivanov@example.org", Mobile: "+7(900)1112233", EmailVerified: true}
	if p != want {
		t.Errorf("person = %+v\nwant %+v", p, want)
	}
	if p.FullName() != "Иванов Иван Петрович" {
		t.Errorf("FullName = %q", p.FullName())
	}
	// Without embed, ESIA lists contacts as URLs; each one answers with the element.
	var coll struct {
		Size     int      `json:"size"`
		Elements []string `json:"elements"`
	}
	getJSON(t, env.Server.URL+"/rs/prns/1000299654/ctts", l.Token.AccessToken, &coll)
	if coll.Size != 2 || len(coll.Elements) != 2 {
		t.Fatalf("contacts collection = %+v", coll)
	}
	var ct esia.Contact
	getJSON(t, coll.Elements[0], l.Token.AccessToken, &ct)
	if ct.Type != "EML" || ct.Value != "ivanov@example.org" || ct.VrfStu != "VERIFIED" {
		t.Errorf("contact = %+v", ct)
	}

	// Refresh: a signed refresh request gives a new verified access token; the old refresh
	// token is spent (the simulator rotates them).
	tok, err := c.Refresh(ctx, l.Token.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok.AccessToken == "" || tok.AccessToken == l.Token.AccessToken || tok.RefreshToken == l.Token.RefreshToken {
		t.Errorf("refresh gave %+v", tok)
	}
	if _, err := c.Refresh(ctx, l.Token.RefreshToken); !isESIA(err, esia.CodeGrantInvalid) {
		t.Errorf("second use of a refresh token: %v, want %s", err, esia.CodeGrantInvalid)
	}
	// TokenSource refreshes an expired token by itself.
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := c.TokenSource(ctx, &expired).Token()
	if err != nil || fresh.AccessToken == tok.AccessToken {
		t.Errorf("TokenSource: %v", err)
	}

	// Logout goes through ESIA and comes back.
	resp, err := noRedirect.Get(c.LogoutURL("http://127.0.0.1:1/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://127.0.0.1:1/" {
		t.Errorf("logout: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginRS256(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback, TokenAlg: esia.AlgRS256})
	l := login(t, newClient(t, env, nil), 1000299655)
	if l.Identity.OID != 1000299655 {
		t.Errorf("oid = %d", l.Identity.OID)
	}
	if tokenAlg(t, l.Token.AccessToken) != esia.AlgRS256 {
		t.Errorf("access token alg = %s", tokenAlg(t, l.Token.AccessToken))
	}
}

func isESIA(err error, code string) bool {
	var e *esia.Error
	return errors.As(err, &e) && e.Code == code
}

func TestCodeUsedTwice(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	c := newClient(t, env, nil)
	ctx := context.Background()
	state := esia.NewState()
	u, _ := c.AuthCodeURL(ctx, state)
	cb, err := esia.ParseCallback(authorize(t, u, 1000299654), state)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Exchange(ctx, cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exchange(ctx, cb.Code); !isESIA(err, esia.CodeGrantInvalid) {
		t.Fatalf("second exchange: %v, want %s", err, esia.CodeGrantInvalid)
	}
	// The reuse revokes what the code gave.
	if _, err := c.Person(ctx, first.Token.AccessToken, 1000299654); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("person with a revoked token: %v, want HTTP 401", err)
	}
	if _, err := c.Exchange(ctx, "made-up-code"); !isESIA(err, esia.CodeGrantInvalid) {
		t.Errorf("unknown code: %v", err)
	}
}

func TestAuthorizeRejects(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	ctx := context.Background()
	good := newClient(t, env, nil)

	// A second key that ESIA does not know signs the secret: ESIA-007053.
	other, err := env.Tool.NewSigner(ctx, mustRead(t, "testdata/openssl/client-key.pem"), mustCert(t, "testdata/openssl/client-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, err := esia.New(env.Config, other, env.Tool)
	if err != nil {
		t.Fatal(err)
	}
	wrongHash := newClient(t, env, func(c *esia.Config) { c.CertificateHash = strings.Repeat("A", 64) })
	stale := newClient(t, env, func(c *esia.Config) { c.Now = func() time.Time { return time.Now().Add(-time.Hour) } })

	type tc struct {
		name    string
		url     func(state string) string
		code    string
		errName string
	}
	urlOf := func(c *esia.Client) func(string) string {
		return func(state string) string { u, _ := c.AuthCodeURL(ctx, state); return u }
	}
	without := func(param string) func(string) string {
		return func(state string) string {
			u, _ := url.Parse(urlOf(good)(state))
			q := u.Query()
			q.Del(param)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	tamper := func(param, value string) func(string) string {
		return func(state string) string {
			u, _ := url.Parse(urlOf(good)(state))
			q := u.Query()
			q.Set(param, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	cases := []tc{
		{"signed by an unregistered key", urlOf(wrongKey), esia.CodeSecretWrong, "access_denied"},
		{"wrong certificate hash", urlOf(wrongHash), esia.CodeSecretWrong, "access_denied"},
		{"stale timestamp", urlOf(stale), esia.CodeSecretWrong, "access_denied"},
		{"scope changed after signing", tamper("scope", "openid fullname"), esia.CodeSecretWrong, "access_denied"},
		{"secret not base64", tamper("client_secret", "***"), esia.CodeSecretWrong, "access_denied"},
		{"missing client_certificate_hash", without("client_certificate_hash"), esia.CodeMissingParam, "invalid_request"},
		{"missing client_secret", without("client_secret"), esia.CodeMissingParam, "invalid_request"},
		{"missing timestamp", without("timestamp"), esia.CodeMissingParam, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state := esia.NewState()
			q := authorize(t, c.url(state), 1000299654)
			_, err := esia.ParseCallback(q, state)
			var e *esia.Error
			if !errors.As(err, &e) || e.Code != c.code || e.Err != c.errName {
				t.Fatalf("callback error = %v, want %s %s", err, c.errName, c.code)
			}
			if q.Get("code") != "" {
				t.Errorf("an error redirect carried a code")
			}
		})
	}

	// Without a registered redirect URI ESIA cannot redirect and shows its own error page.
	u, _ := url.Parse(urlOf(good)(esia.NewState()))
	q := u.Query()
	q.Set("redirect_uri", "http://127.0.0.1:2/evil")
	u.RawQuery = q.Encode()
	resp, err := noRedirect.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unregistered redirect_uri: HTTP %d, want 400", resp.StatusCode)
	}
}

func TestPersonAccessControl(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	c := newClient(t, env, nil)
	ctx := context.Background()
	l := login(t, c, 1000299654)
	if _, err := c.Person(ctx, l.Token.AccessToken, 1000299655); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("another person's data: %v, want HTTP 403", err)
	}
	if _, err := c.Person(ctx, "not-a-token", 1000299654); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("made-up token: %v, want HTTP 401", err)
	}
}

func TestRotation(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	ctx := context.Background()
	oldPinned := env.Config.ESIACertificates
	// ESIA publishes a new key and starts signing with it.
	next, err := env.Tool.NewSigner(ctx, mustRead(t, "testdata/openssl/esia-key.pem"), mustCert(t, "testdata/openssl/esia-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	env.Sim.RotateGOSTKey(next)
	both, err := esia.ParseCertificates(env.Sim.CertificatesPEM())
	if err != nil || len(both) != 2 {
		t.Fatalf("published certificates: %d, %v", len(both), err)
	}
	// A client pinning past+current+next keeps working.
	l := login(t, newClient(t, env, func(c *esia.Config) { c.ESIACertificates = both }), 1000299654)
	if l.Identity.OID != 1000299654 {
		t.Fatal(l.Identity)
	}
	// A client that pinned only the old certificate refuses the new tokens.
	stale := newClient(t, env, func(c *esia.Config) { c.ESIACertificates = oldPinned })
	state := esia.NewState()
	u, _ := stale.AuthCodeURL(ctx, state)
	cb, err := esia.ParseCallback(authorize(t, u, 1000299654), state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stale.Exchange(ctx, cb.Code); !errors.Is(err, esia.ErrUnknownKey) && !strings.Contains(fmtErr(err), esia.ErrUnknownKey.Error()) {
		t.Errorf("token signed by an unpinned key: %v, want ErrUnknownKey", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestLoginLegacyCMS(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	cfg := env.Config
	cfg.Legacy = true
	c, err := esia.New(cfg, gost.CMSSignerOf(env.Tool, env.ClientSigner), env.Tool)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	state := esia.NewState()
	u, err := c.AuthCodeURL(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, esia.PathLegacyAuthorize+"?") || strings.Contains(u, "client_certificate_hash") {
		t.Errorf("legacy URL = %s", u)
	}
	l := login(t, c, 1000299656)
	if l.Identity.OID != 1000299656 {
		t.Errorf("oid = %d", l.Identity.OID)
	}
	// A raw v2 signature is not a CMS: the legacy endpoint refuses it.
	if _, err := esia.New(cfg, env.ClientSigner, env.Tool); err == nil || !strings.Contains(err.Error(), "CMS") {
		t.Errorf("legacy client with a raw signer: %v", err)
	}
	bad, _ := url.Parse(u)
	q := bad.Query()
	q.Set("client_secret", esia.EncodeSecret(make([]byte, 64)))
	bad.RawQuery = q.Encode()
	_, err = esia.ParseCallback(authorize(t, bad.String(), 1000299656), state)
	if !isESIA(err, esia.CodeSecretWrong) {
		t.Errorf("raw secret at the legacy endpoint: %v", err)
	}
}
