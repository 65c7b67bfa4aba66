// Package acquiringtest starts the acquiring simulator on loopback for tests
// and gives a client configured for it.
package acquiringtest

import (
	"net/http/httptest"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
)

// Test credentials the simulator accepts.
const (
	UserName = "zhkhgate-api"
	Password = "test-password"
	Secret   = "test-callback-secret"
)

// Options tune the simulator; the zero value sends every callback once, at once, correctly.
type Options struct {
	Faults sim.Faults
	// CallbackURL is the merchant's static callback URL (register.do may name another).
	CallbackURL string
	// Modify changes the simulator's configuration before it starts.
	Modify func(*sim.Config)
}

// Env is a running simulator and a client of it.
type Env struct {
	Sim    *sim.Server
	Server *httptest.Server
	URL    string
	Config acquiring.Config
	Client *acquiring.Client
}

// Start starts the simulator; it stops when the test ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	cfg := sim.Config{UserName: UserName, Password: Password, Secret: []byte(Secret), CallbackURL: o.CallbackURL, Faults: o.Faults}
	if o.Modify != nil {
		o.Modify(&cfg)
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Wait(); srv.Close() })
	ac := acquiring.Config{BaseURL: srv.URL, UserName: UserName, Password: Password, Secret: []byte(Secret)}
	client, err := acquiring.New(ac)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Sim: s, Server: srv, URL: srv.URL, Config: ac, Client: client}
}
