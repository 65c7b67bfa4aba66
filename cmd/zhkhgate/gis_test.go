package main

import (
	"strings"
	"testing"
)

func TestGISCommandHelp(t *testing.T) {
	var out strings.Builder
	env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if err := run(t.Context(), env, []string{"gis"}); err != nil || !strings.Contains(out.String(), "withdraw") {
		t.Errorf("gis help: %v\n%s", err, out.String())
	}
	if err := run(t.Context(), env, []string{"gis", "sync"}); err == nil || !strings.Contains(err.Error(), "--org") {
		t.Errorf("gis sync without flags: %v", err)
	}
	if err := run(t.Context(), env, []string{"sim", "gis", "-addr", "10.0.0.1:80"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("sim gis on a non-loopback address: %v", err)
	}
}
