package giszhkh_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

// TestClientRefusesHugeAnswer: an answer over the 64 MB limit is an error
// that says so, not a cut document that fails to decode.
func TestClientRefusesHugeAnswer(t *testing.T) {
	f := newFixture(t)
	for _, size := range []int{64<<20 - 1024, 64<<20 + 1} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = w.Write(bytes.Repeat([]byte(" "), size))
		}))
		c, err := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: srv.URL, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		req, err := f.builder.GetState(giszhkh.ServiceHouseManagement, org, "00000000-0000-4000-8000-000000000099")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.GetState(context.Background(), req)
		srv.Close()
		huge := err != nil && strings.Contains(err.Error(), "exceeds 64 MB")
		if huge != (size > 64<<20) {
			t.Errorf("answer of %d bytes: error %v", size, err)
		}
	}
}
