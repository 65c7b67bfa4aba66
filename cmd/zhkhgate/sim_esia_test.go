package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// TestESIASimAndClientFromEnvironment starts the simulator the way `zhkhgate sim esia` and the
// demo do, builds the client from the variables it prints, and logs in.
func TestESIASimAndClientFromEnvironment(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const public = "http://127.0.0.1:1"
	s, err := startESIASim(ctx, esiaSimOptions{Addr: "127.0.0.1:0", Dir: t.TempDir(), ClientID: "ZHKHGATE", RedirectURI: public + "/esia/callback"})
	if err != nil {
		t.Fatal(err)
	}
	for _, legacy := range []string{"false", "true"} {
		vars := map[string]string{"ZHKHGATE_ESIA_LEGACY": legacy}
		for _, kv := range s.env("ZHKHGATE") {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		vars["ZHKHGATE_PUBLIC_URL"] = public
		cfg, err := config.Load(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
		if err != nil {
			t.Fatal(err)
		}
		client, err := esiaFromConfig(ctx, cfg.ESIA, cfg.HTTP.PublicURL, tool, func(rt http.RoundTripper) http.RoundTripper { return rt })
		if err != nil || client == nil {
			t.Fatalf("legacy=%s: client from %v: %v", legacy, vars, err)
		}
		if oid := loginAt(t, ctx, client, s.URL); oid != 1000299654 {
			t.Errorf("legacy=%s: oid %d", legacy, oid)
		}
	}

	// A second start reuses the keys made by the first.
	s2, err := startESIASim(ctx, esiaSimOptions{Addr: "127.0.0.1:0", Dir: strings.TrimSuffix(s.CertsFile, "/esia.pem"), ClientID: "ZHKHGATE", RedirectURI: public + "/esia/callback"})
	if err != nil || s2.Hash != s.Hash {
		t.Errorf("restart: hash %s vs %s, %v", s2.Hash, s.Hash, err)
	}
}

// loginAt logs in through the simulator at simURL as the first demo citizen.
func loginAt(t *testing.T, ctx context.Context, client *esia.Client, simURL string) int64 {
	t.Helper()
	state := esia.NewState()
	u, err := client.AuthCodeURL(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no login page: HTTP %d %.300s", resp.StatusCode, body)
	}
	resp, err = noRedirect.PostForm(simURL+"/idp/login", url.Values{"request": {string(m[1])}, "oid": {"1000299654"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	cb, err := esia.ParseCallback(loc.Query(), state)
	if err != nil {
		t.Fatal(err)
	}
	login, err := client.Exchange(ctx, cb.Code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return login.Identity.OID
}

func TestESIAConfigErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := startESIASim(ctx, esiaSimOptions{Addr: "0.0.0.0:8091"}); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("non-loopback simulator address: %v", err)
	}
	env, _ := testEnv(map[string]string{"ZHKHGATE_ESIA_URL": "http://127.0.0.1:8091", "ZHKHGATE_ESIA_ISSUER": "http://127.0.0.1:8091/"})
	if _, err := loadConfig(env); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "ZHKHGATE_ESIA_CLIENT_ID is not set") {
		t.Errorf("missing client id: %v", err)
	}
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := config.ESIA{URL: "http://127.0.0.1:8091", Issuer: "i", ClientID: "c", ClientKey: "missing-key.pem", ClientCert: "missing-cert.pem", Certs: "x"}
	if _, err := esiaFromConfig(ctx, bad, "http://127.0.0.1:8080", tool, nil); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "ZHKHGATE_ESIA_CLIENT_KEY") {
		t.Errorf("unreadable client key: %v", err)
	}
}
