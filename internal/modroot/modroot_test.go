package modroot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/modroot"
)

func TestFind(t *testing.T) {
	root, err := modroot.Find()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("root %s has no go.mod: %v", root, err)
	}
	if want, _ := filepath.Abs("../.."); root != want {
		t.Errorf("root %s, want %s", root, want)
	}
	shared, err := modroot.Shared("spec")
	if err != nil || shared != filepath.Join(root, "..", "shared", "spec") {
		t.Errorf("Shared = %s, %v", shared, err)
	}
}
