package model_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the one-way flow honest: mappings and connectors are pure
// of persistence, and the model depends on nothing of the project's.
func TestLayers(t *testing.T) {
	forbidden := []string{
		"github.com/jackc/pgx",
		"github.com/pressly/goose",
		"github.com/riverqueue/river",
		"github.com/zhkhgate/zhkhgate/internal/store",
		"github.com/zhkhgate/zhkhgate/jobs",
	}
	for _, pkgs := range []string{"./mappings/...", "./connectors/...", "./internal/model"} {
		t.Run(pkgs, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", pkgs)
			cmd.Dir = "../.."
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkgs, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s", pkgs, dep)
					}
				}
			}
		})
	}
}
