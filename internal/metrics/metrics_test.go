package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestTransportCountsExternalCalls(t *testing.T) {
	t.Parallel()
	m := New(nil, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/down") {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: m.Transport("gis", nil)}
	send := func(path, action string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, nil)
		if action != "" {
			req.Header.Set("SOAPAction", action)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	send("/ext-bus-home-management-service/services/HomeManagementAsync", `"urn:importAccountData"`)
	send("/ext-bus-home-management-service/services/HomeManagementAsync", `"urn:importAccountData"`)
	send("/rs/prns/1000299654/down", "")
	if got := testutil.ToFloat64(m.ExternalCalls.WithLabelValues("gis", "importAccountData", "ok")); got != 2 {
		t.Errorf("importAccountData ok = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.ExternalCalls.WithLabelValues("gis", "/rs/prns/{id}/down", "error")); got != 1 {
		t.Errorf("502 with an id in the path: counted %v, want 1 error under /rs/prns/{id}/down", got)
	}
	if n := testutil.CollectAndCount(m.ExternalDuration); n != 2 {
		t.Errorf("%d duration series, want 2", n)
	}
}

func TestInstrumentRecordsStatus(t *testing.T) {
	t.Parallel()
	m := New(nil, slog.New(slog.DiscardHandler))
	h := m.Instrument("teapot", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if n := testutil.CollectAndCount(m.HTTPDuration, "zhkhgate_http_request_duration_seconds"); n != 1 {
		t.Fatalf("%d series", n)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	if !strings.Contains(out, `status="418"`) || !strings.Contains(out, `route="teapot"`) {
		t.Errorf("labels missing:\n%s", out)
	}
}
