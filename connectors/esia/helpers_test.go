package esia_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
)

func httptestServer(t *testing.T, s *sim.Server) string {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// get returns the status and Location of a GET without following redirects.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

var _ = http.StatusOK
