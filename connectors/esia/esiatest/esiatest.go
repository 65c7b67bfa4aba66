// Package esiatest starts the ESIA simulator on loopback for tests of code that logs residents
// in through ESIA, and returns a client configuration that talks to it.
package esiatest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// Options tune the environment; the zero value gives a GOST-token simulator with the demo
// citizens and a client registered for RedirectURI.
type Options struct {
	// RedirectURI is the client's registered callback; required.
	RedirectURI string
	// TokenAlg is esia.AlgGOST (default) or esia.AlgRS256.
	TokenAlg string
	// Modify may change the simulator config before it starts.
	Modify func(*sim.Config)
}

// Env is a running simulator and what a client needs to use it.
type Env struct {
	Sim    *sim.Server
	Server *httptest.Server
	// Tool is the OpenSSL GOST implementation used on both sides.
	Tool *gost.OpenSSL
	// ClientSigner is the registered client's key.
	ClientSigner *gost.OpenSSLSigner
	// Config is a complete client configuration pointing at the simulator.
	Config esia.Config
}

// keyPair is a PEM private key and its certificate, kept in memory.
type keyPair struct {
	key  []byte
	cert *gost.Certificate
}

var (
	credsOnce sync.Once
	creds     struct {
		tool           *gost.OpenSSL
		client, issuer keyPair
		err            error
	}
)

// credentials generates one client key and one simulator key per test binary: key generation
// costs two openssl runs, and nothing depends on keys being fresh per test.
func credentials(t testing.TB) (*gost.OpenSSL, keyPair, keyPair) {
	credsOnce.Do(func() {
		ctx := context.Background()
		creds.tool, creds.err = gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
		if creds.err != nil {
			return
		}
		if creds.client, creds.err = generate(ctx, creds.tool, "TESTSYS client"); creds.err != nil {
			return
		}
		creds.issuer, creds.err = generate(ctx, creds.tool, "ESIA simulator")
	})
	if creds.err != nil {
		t.Fatalf("esiatest: GOST credentials: %v", creds.err)
	}
	return creds.tool, creds.client, creds.issuer
}

// Start runs a simulator for the test's duration.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	tool, clientCreds, issuerCreds := credentials(t)
	clientSigner, err := tool.NewSigner(ctx, clientCreds.key, clientCreds.cert)
	if err != nil {
		t.Fatalf("esiatest: client signer: %v", err)
	}
	issuerSigner, err := tool.NewSigner(ctx, issuerCreds.key, issuerCreds.cert)
	if err != nil {
		t.Fatalf("esiatest: simulator signer: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1
	base := "http://" + srv.Listener.Addr().String()
	cfg := sim.Config{
		Issuer:   base + "/",
		Citizens: sim.DemoCitizens,
		GOST:     issuerSigner,
		Crypto:   tool,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clients: []sim.Client{{ID: "TESTSYS", Certificate: clientSigner.Certificate(),
			RedirectURIs: []string{o.RedirectURI}, TokenAlg: o.TokenAlg}},
	}
	if o.TokenAlg == esia.AlgRS256 {
		cfg.RSAKey, cfg.RSACert = rsaKey(t)
	}
	if o.Modify != nil {
		o.Modify(&cfg)
	}
	s, err := sim.New(ctx, cfg)
	if err != nil {
		t.Fatalf("esiatest: %v", err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	pinned, err := esia.ParseCertificates(s.CertificatesPEM())
	if err != nil {
		t.Fatalf("esiatest: %v", err)
	}
	return &Env{
		Sim: s, Server: srv, Tool: tool, ClientSigner: clientSigner,
		Config: esia.Config{
			BaseURL: base, Issuer: base + "/", ClientID: "TESTSYS", RedirectURL: o.RedirectURI,
			CertificateHash: s.CertificateHash("TESTSYS"), ESIACertificates: pinned,
		},
	}
}
