package sim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// TestBrokenResponseIsNotSent: a response part that breaks the schema is a
// simulator bug — it never reaches the client, which gets HTTP 500 saying
// so, and Stats counts it. The tamper hook stands in for a broken handler.
func TestBrokenResponseIsNotSent(t *testing.T) {
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := gost.LoadCertificate("../testdata/operator-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := xsdcheck.FindSpecDir()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{SpecDir: spec, Trusted: []*gost.Certificate{cert}, Crypto: tool})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	op, err := giszhkh.LookupOperation(giszhkh.ServiceHouseManagement, giszhkh.OpGetState)
	if err != nil {
		t.Fatal(err)
	}
	// getState of a message the simulator never saw: a SOAP fault INT002013.
	getState := func() (int, string) {
		t.Helper()
		body := `<soapenv:Envelope xmlns:soapenv="` + giszhkh.NSSoap + `"><soapenv:Body><base:getStateRequest xmlns:base="` + nsBase +
			`"><base:MessageGUID>99999999-9999-4999-8999-999999999999</base:MessageGUID></base:getStateRequest></soapenv:Body></soapenv:Envelope>`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+op.Path, strings.NewReader(body))
		req.Header.Set("SOAPAction", op.SOAPAction)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	tests := []struct {
		name       string
		tamper     func(what string, doc []byte) []byte
		wantBody   string
		wantBroken int
	}{
		{"intact fault", nil, "<base:ErrorCode>" + giszhkh.CodeUnknownMessage + "</base:ErrorCode>", 0},
		{"fault with an element the schema does not have", func(what string, doc []byte) []byte {
			return []byte(strings.ReplaceAll(string(doc), "ErrorCode>", "ErrorKode>"))
		}, "simulator bug, fault INT002013 breaks the schema lib", 1},
		{"fault without its required code", func(what string, doc []byte) []byte {
			return []byte(strings.Replace(string(doc), "<base:ErrorCode>"+giszhkh.CodeUnknownMessage+"</base:ErrorCode>", "", 1))
		}, "simulator bug", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.mu.Lock()
			s.tamper = tc.tamper
			s.mu.Unlock()
			status, body := getState()
			if status != http.StatusInternalServerError || !strings.Contains(body, tc.wantBody) {
				t.Errorf("HTTP %d %q, want 500 containing %q", status, body, tc.wantBody)
			}
			if tc.tamper != nil && strings.Contains(body, "Envelope") {
				t.Errorf("the broken response was sent: %s", body)
			}
			if got := s.Stats().BadResponses; got != tc.wantBroken {
				t.Errorf("BadResponses = %d, want %d", got, tc.wantBroken)
			}
		})
	}
}
