package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
)

const callback = "http://127.0.0.1:1/cb"

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestTokenEndpointRejects(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	post := func(form url.Values) (int, map[string]string) {
		t.Helper()
		resp, err := http.PostForm(env.Server.URL+esia.PathToken, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	full := url.Values{"client_id": {"TESTSYS"}, "code": {"x"}, "grant_type": {"authorization_code"}, "client_secret": {"AAAA"},
		"state": {esia.NewState()}, "redirect_uri": {callback}, "scope": {"openid"}, "timestamp": {esia.FormatTimestamp(time.Now())},
		"token_type": {"Bearer"}, "client_certificate_hash": {env.Config.CertificateHash}}
	for _, p := range []string{"client_id", "code", "grant_type", "client_secret", "state", "redirect_uri", "scope", "timestamp", "token_type", "client_certificate_hash"} {
		f := url.Values{}
		for k, v := range full {
			if k != p {
				f[k] = v
			}
		}
		code, body := post(f)
		if code != 400 || body["error"] != "invalid_request" || !strings.HasPrefix(body["error_description"], esia.CodeMissingParam) ||
			!strings.Contains(body["error_description"], "["+p+"]") {
			t.Errorf("without %s: %d %v", p, code, body)
		}
	}
	code, body := post(full)
	if code != 400 || body["error"] != "invalid_client" || !strings.HasPrefix(body["error_description"], esia.CodeSecretWrong) {
		t.Errorf("bad secret: %d %v", code, body)
	}
	full.Set("grant_type", "password")
	if code, body := post(full); code != 400 || body["error"] != "unsupported_grant_type" {
		t.Errorf("password grant: %d %v", code, body)
	}
}

var requestRe = regexp.MustCompile(`name="request" value="([^"]+)"`)

func TestDeclineAndStaleLoginPage(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback, Modify: func(c *sim.Config) { c.Now = func() time.Time { return clock() } }})
	c, err := esia.New(env.Config, env.ClientSigner, env.Tool)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	page := func() string {
		state := esia.NewState()
		u, _ := c.AuthCodeURL(ctx, state)
		resp, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := requestRe.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no login page: %s", b)
		}
		return string(m[1])
	}
	resp, _ := noRedirect.PostForm(env.Server.URL+"/idp/login", url.Values{"request": {page()}, "decline": {"1"}})
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" {
		t.Errorf("decline: %d %s", resp.StatusCode, loc)
	}
	id := page()
	clock = func() time.Time { return now.Add(time.Hour) }
	resp, _ = noRedirect.PostForm(env.Server.URL+"/idp/login", url.Values{"request": {id}, "oid": {"1000299654"}})
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("login page left open for an hour: HTTP %d", resp.StatusCode)
	}
}

func TestCodeExpires(t *testing.T) {
	now := time.Now()
	var offset time.Duration
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback, Modify: func(c *sim.Config) {
		c.Now = func() time.Time { return now.Add(offset) }
		c.TimestampWindow = 24 * time.Hour // this test is about the code, not the timestamp
	}})
	c, _ := esia.New(env.Config, env.ClientSigner, env.Tool)
	ctx := context.Background()
	state := esia.NewState()
	u, _ := c.AuthCodeURL(ctx, state)
	resp, _ := noRedirect.Get(u)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := requestRe.FindSubmatch(b)
	resp, _ = noRedirect.PostForm(env.Server.URL+"/idp/login", url.Values{"request": {string(m[1])}, "oid": {"1000299654"}})
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	offset = 6 * time.Minute
	_, err := c.Exchange(ctx, loc.Query().Get("code"))
	var e *esia.Error
	if !errorsAs(err, &e) || e.Code != esia.CodeGrantInvalid {
		t.Errorf("code after 6 minutes: %v", err)
	}
}

func TestTokenEndpointOutage(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	c, _ := esia.New(env.Config, env.ClientSigner, env.Tool)
	env.Sim.FailTokenRequests(http.StatusServiceUnavailable)
	_, err := c.Exchange(context.Background(), "whatever")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("ESIA answering 503: %v", err)
	}
}

func TestContactsCollection(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	tok, err := env.Sim.MintToken(context.Background(), esia.AlgGOST, esia.SubjectAccess, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	// A token the simulator signed but never issued grants nothing.
	req, _ := http.NewRequest("GET", env.Server.URL+"/rs/prns/1000299654/ctts", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("unissued token: HTTP %d", resp.StatusCode)
	}
	// The ESIA logout refuses to send the browser to a foreign site.
	resp, _ = noRedirect.Get(env.Server.URL + "/idp/ext/Logout?client_id=TESTSYS&redirect_url=" + url.QueryEscape("https://evil.example/"))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("logout to a foreign site: HTTP %d", resp.StatusCode)
	}
}

func TestPersonEmbedAndAddresses(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	cfg := env.Config
	cfg.Scopes = []string{"openid", "fullname", "email", "addresses"}
	c, err := esia.New(cfg, env.ClientSigner, env.Tool)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	state := esia.NewState()
	u, _ := c.AuthCodeURL(ctx, state)
	resp, _ := noRedirect.Get(u)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := requestRe.FindSubmatch(b)
	resp, _ = noRedirect.PostForm(env.Server.URL+"/idp/login", url.Values{"request": {string(m[1])}, "oid": {"1000299654"}})
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	login, err := c.Exchange(ctx, loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", env.Server.URL+"/rs/prns/1000299654?embed=(contacts.elements,addresses.elements)", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token.AccessToken)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	var p struct {
		LastName string `json:"lastName"`
		SNILS    string `json:"snils"`
		Contacts struct {
			Size     int `json:"size"`
			Elements []struct{ Type, Value string }
		} `json:"contacts"`
		Addresses struct {
			Elements []struct {
				Type, AddressStr, Flat string
			}
		} `json:"addresses"`
	}
	if err := json.NewDecoder(r2.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	// Only what the scopes cover: no snils, no mobile.
	if p.LastName != "Иванов" || p.SNILS != "" || p.Contacts.Size != 1 || p.Contacts.Elements[0].Type != "EML" {
		t.Errorf("person = %+v", p)
	}
	if len(p.Addresses.Elements) != 1 || p.Addresses.Elements[0].Type != "PRG" || p.Addresses.Elements[0].Flat != "1" {
		t.Errorf("addresses = %+v", p.Addresses)
	}
}

func TestRevokedClientCertificate(t *testing.T) {
	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	c, _ := esia.New(env.Config, env.ClientSigner, env.Tool)
	env.Sim.RevokeClientCertificate("TESTSYS")
	state := esia.NewState()
	u, _ := c.AuthCodeURL(context.Background(), state)
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	_, err = esia.ParseCallback(loc.Query(), state)
	var e *esia.Error
	if !errorsAs(err, &e) || e.Code != esia.CodeSecretWrong {
		t.Errorf("revoked certificate: %v", err)
	}
}
