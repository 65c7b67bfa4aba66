package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got (JSON, re-indented) with testdata/golden/name.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(got), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file:\n%s\nwant:\n%s", name, buf.Bytes(), want)
	}
}

// TestClaimAndResourceShapes pins the JSON shapes ESIA uses (as documented in the research
// notes) for the id token claims and the person resources.
func TestClaimAndResourceShapes(t *testing.T) {
	at := time.Date(2026, 11, 23, 17, 15, 0, 0, time.UTC)
	claims, _ := json.Marshal(sim.IDClaims("http://esia-portal1.test.gosuslugi.ru/", "TESTSYS", 1000299654,
		"5b0e3a1c-0000-4000-8000-000000000001", at.Add(-10*time.Second), at, at.Add(time.Hour), true))
	golden(t, "id_token_claims.json", claims)

	env := esiatest.Start(t, esiatest.Options{RedirectURI: callback})
	cfg := env.Config
	cfg.Scopes = []string{"openid", "fullname", "birthdate", "gender", "snils", "email", "mobile", "addresses"}
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
	get := func(path string) []byte {
		req, _ := http.NewRequest("GET", env.Server.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+login.Token.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		// Collection URLs carry the simulator's random port.
		return []byte(strings.ReplaceAll(string(body), env.Server.URL, "http://esia.example"))
	}
	golden(t, "person.json", get("/rs/prns/1000299654"))
	golden(t, "ctts.json", get("/rs/prns/1000299654/ctts"))
	golden(t, "ctts_embed.json", get("/rs/prns/1000299654/ctts?embed=(elements)"))
	golden(t, "addrs_embed.json", get("/rs/prns/1000299654/addrs?embed=(elements)"))
}
