package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedIsUpToDate regenerates into a temporary directory and compares
// with the committed output: the generated packages are reproducible and
// nobody edited them by hand.
func TestGeneratedIsUpToDate(t *testing.T) {
	out := t.TempDir()
	if err := run("../shared/spec/gis-zhkh", out); err != nil {
		t.Fatal(err)
	}
	fresh, _ := filepath.Glob(filepath.Join(out, "*", "zz_generated.go"))
	committed, _ := filepath.Glob(filepath.Join("..", "..", "*", "zz_generated.go"))
	if len(fresh) == 0 || len(fresh) != len(committed) {
		t.Fatalf("generated %d packages, committed %d; run go generate ./connectors/giszhkh/internal/gen", len(fresh), len(committed))
	}
	for _, f := range fresh {
		rel, _ := filepath.Rel(out, f)
		want, err := os.ReadFile(filepath.Join("..", "..", rel))
		if err != nil {
			t.Fatalf("%s: %v (run go generate)", rel, err)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh generation; run go generate ./connectors/giszhkh/internal/gen", rel)
		}
	}
}

func TestExported(t *testing.T) {
	tests := map[string]string{"orgPPAGUID": "OrgPPAGUID", "is-x": "Is_x", "1a": "X1a", "Тип": "Тип"}
	for in, want := range tests {
		if got := exported(in); got != want {
			t.Errorf("exported(%q) = %q, want %q", in, got, want)
		}
	}
}
