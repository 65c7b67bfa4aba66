package sim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// TestAnswerSignatures: the simulator signs its getStateResults as GIS does,
// and a client pinned to GIS's certificate refuses an answer that is
// unsigned, signed by another key, or changed after signing.
func TestAnswerSignatures(t *testing.T) {
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gisKey, err := tool.LoadSigner(ctx, "../testdata/gis-key.pem", "../testdata/gis-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := tool.LoadSigner(ctx, "../testdata/operator-key.pem", "../testdata/operator-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := giszhkh.NewAnswerVerifier(tool, tool, gisKey.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		sign   gost.Signer
		tamper func([]byte) []byte
		ok     bool
	}{
		{"signed by GIS", gisKey, nil, true},
		{"unsigned", nil, nil, false},
		{"signed by another key", otherKey, nil, false},
		{"changed after signing", gisKey, func(b []byte) []byte {
			return bytes.Replace(b, []byte("Холодная вода"), []byte("Горячая вода"), 1)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, 0, func(c *sim.Config) { c.Sign = tc.sign })
			// A proxy in front of the simulator, to change answers in flight.
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				e.sim.ServeHTTP(rec, r)
				body, _ := io.ReadAll(rec.Body)
				if tc.tamper != nil && strings.Contains(r.Header.Get("SOAPAction"), "getState") {
					body = tc.tamper(body)
				}
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(body)
			}))
			t.Cleanup(proxy.Close)
			cl, err := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: proxy.URL, Timeout: 30 * time.Second, Answers: pinned})
			if err != nil {
				t.Fatal(err)
			}
			req, err := e.builder.ExportNsiItem(ctx, 2, "NSI", 0, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			ack, _, err := cl.Send(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			gs, err := e.builder.GetState(req.Operation.Service, org, ack.MessageGUID)
			if err != nil {
				t.Fatal(err)
			}
			st, ex, err := cl.GetState(ctx, gs)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("GetState: %v", err)
			case tc.ok && len(st.NsiElements) != 6:
				t.Errorf("NSI elements %d, want 6", len(st.NsiElements))
			case !tc.ok && !errors.Is(err, giszhkh.ErrAnswerSignature):
				t.Fatalf("GetState error %v, want ErrAnswerSignature (answer %.300s)", err, ex.Response)
			case !tc.ok && st != nil:
				t.Errorf("a refused answer was decoded: %+v", st)
			}
			if !tc.ok && giszhkh.Classify(err) != giszhkh.Stop {
				t.Errorf("a refused signature is classified %v, want Stop (an operator looks at it)", giszhkh.Classify(err))
			}
		})
	}
}
