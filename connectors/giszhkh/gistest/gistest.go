// Package gistest starts the GIS ZhKH simulator on loopback for tests of code
// that exchanges with GIS, with a throwaway GOST signing key the simulator
// trusts, and gives a request builder and a client configured for it.
package gistest

import (
	"cmp"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// Options tune the environment; the zero value gives a simulator that
// accepts any organization, answers at once and holds an empty world.
type Options struct {
	// Sim is the simulator's configuration; SpecDir, Trusted and Crypto
	// are filled in when empty.
	Sim sim.Config
	// Builder tunes the request builder (a fixed clock, deterministic GUIDs).
	Builder giszhkh.BuilderOptions
	// Timeout is the client's HTTP timeout; 30 s when zero.
	Timeout time.Duration
}

// Env is a running simulator and what a client needs to use it.
type Env struct {
	Sim    *sim.Server
	Server *httptest.Server
	// URL is the simulator's base URL.
	URL string
	// Tool is the OpenSSL GOST implementation used on both sides.
	Tool *gost.OpenSSL
	// Signer is the operator's key the simulator trusts.
	Signer *gost.OpenSSLSigner
	// Builder signs requests with Signer; Client talks to the simulator.
	Builder *giszhkh.Builder
	Client  *giszhkh.Client
}

var (
	credsOnce sync.Once
	creds     struct {
		tool         *gost.OpenSSL
		signer       *gost.OpenSSLSigner
		keyPEM, cert []byte
		err          error
	}
)

// Credentials returns the OpenSSL tool and a signer with a throwaway GOST
// key and self-signed certificate, made once per test binary: generating a
// key costs two openssl runs, and nothing depends on keys being fresh.
func Credentials(t testing.TB) (*gost.OpenSSL, *gost.OpenSSLSigner) {
	t.Helper()
	credsOnce.Do(func() {
		ctx := context.Background()
		if creds.tool, creds.err = gost.NewOpenSSL(ctx, gost.OpenSSLOptions{}); creds.err != nil {
			return
		}
		dir, err := os.MkdirTemp("", "gistest-")
		if err != nil {
			creds.err = err
			return
		}
		defer os.RemoveAll(dir)
		c, err := creds.tool.GenerateTestCredentials(ctx, dir, "zhkhgate GIS operator")
		if err != nil {
			creds.err = err
			return
		}
		key, err := os.ReadFile(c.KeyFile)
		if err != nil {
			creds.err = err
			return
		}
		certPEM, err := os.ReadFile(c.CertFile)
		if err != nil {
			creds.err = err
			return
		}
		cert, err := gost.LoadCertificate(c.CertFile)
		if err != nil {
			creds.err = err
			return
		}
		creds.keyPEM, creds.cert = key, certPEM
		creds.signer, creds.err = creds.tool.NewSigner(ctx, key, cert)
	})
	if creds.err != nil {
		t.Fatalf("gistest: GOST credentials: %v", creds.err)
	}
	return creds.tool, creds.signer
}

// WriteCredentials writes the test key and certificate as PEM files into
// dir, for a child process that must sign as this one does (LoadSigner).
func WriteCredentials(t testing.TB, dir string) (keyFile, certFile string) {
	t.Helper()
	Credentials(t)
	keyFile, certFile = filepath.Join(dir, "operator-key.pem"), filepath.Join(dir, "operator-cert.pem")
	if err := os.WriteFile(keyFile, creds.keyPEM, 0o600); err != nil {
		t.Fatalf("gistest: %v", err)
	}
	if err := os.WriteFile(certFile, creds.cert, 0o644); err != nil {
		t.Fatalf("gistest: %v", err)
	}
	return keyFile, certFile
}

// SpecDir returns the directory of the official GIS ZhKH schemas.
func SpecDir(t testing.TB) string {
	t.Helper()
	dir, err := xsdcheck.FindSpecDir()
	if err != nil {
		t.Fatalf("gistest: %v", err)
	}
	return dir
}

// NewBuilder returns a request builder signing with the test key.
func NewBuilder(t testing.TB, o giszhkh.BuilderOptions) *giszhkh.Builder {
	t.Helper()
	tool, signer := Credentials(t)
	b, err := giszhkh.NewBuilder(context.Background(), signer, tool, o)
	if err != nil {
		t.Fatalf("gistest: builder: %v", err)
	}
	return b
}

// NewClient returns a client of the GIS ZhKH API at url.
func NewClient(t testing.TB, url string, timeout time.Duration) *giszhkh.Client {
	t.Helper()
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	c, err := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: url, Timeout: timeout})
	if err != nil {
		t.Fatalf("gistest: client: %v", err)
	}
	return c
}

// Start runs a simulator for the test's duration.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	tool, signer := Credentials(t)
	cfg := o.Sim
	if cfg.SpecDir == "" {
		cfg.SpecDir = SpecDir(t)
	}
	if cfg.Trusted == nil {
		cfg.Trusted = []*gost.Certificate{signer.Certificate()}
	}
	if cfg.Crypto == nil {
		cfg.Crypto = tool
	}
	// As in production, GIS signs its answers and the client checks them
	// against the pinned certificate (the test key plays GIS's too).
	if cfg.Sign == nil {
		cfg.Sign = signer
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatalf("gistest: simulator: %v", err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	answers, err := giszhkh.NewAnswerVerifier(tool, tool, cfg.Sign.Certificate())
	if err != nil {
		t.Fatalf("gistest: answer verifier: %v", err)
	}
	client, err := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: srv.URL, Timeout: cmp.Or(o.Timeout, 30*time.Second), Answers: answers})
	if err != nil {
		t.Fatalf("gistest: client: %v", err)
	}
	return &Env{Sim: s, Server: srv, URL: srv.URL, Tool: tool, Signer: signer,
		Builder: NewBuilder(t, o.Builder), Client: client}
}
