package giszhkh_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// msk is Moscow time, the zone GIS ZhKH works in.
var msk = time.FixedZone("MSK", 3*3600)

// fixedNow is the clock of every test message.
var fixedNow = time.Date(2026, 11, 2, 10, 30, 0, 0, msk)

// seqGUID returns a deterministic GUID generator.
func seqGUID() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}

type fixture struct {
	tool    *gost.OpenSSL
	signer  *gost.OpenSSLSigner
	builder *giszhkh.Builder
	xsd     *xsdcheck.Validator
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := tool.LoadSigner(ctx, "testdata/operator-key.pem", "testdata/operator-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	b, err := giszhkh.NewBuilder(ctx, signer, tool, giszhkh.BuilderOptions{Now: func() time.Time { return fixedNow }, NewGUID: seqGUID()})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := xsdcheck.FindSpecDir()
	if err != nil {
		t.Fatal(err)
	}
	v, err := xsdcheck.NewXmllint(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{tool: tool, signer: signer, builder: b, xsd: v}
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)\n got: %.600s", path, got)
	}
}
