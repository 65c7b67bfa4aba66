package main

import (
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
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

// TestGISSummary: the orgs step's export items GIS holds but the store does
// not are counted as reported, so confirmed + failed + reported = items.
func TestGISSummary(t *testing.T) {
	ms := []store.GISMessage{
		{Kind: "orgs", State: store.MessageDone, Items: 2, ItemsOK: 2},
		{Kind: "orgs", State: store.MessageDone, Items: 6, ItemsOK: 2, ItemsUnknown: 4},
	}
	got := gisSummary(gisexchange.Orgs, ms, 2200*time.Millisecond)
	want := "orgs                2 messages,      8 items:      4 confirmed,    0 failed,    4 reported, 0 messages stopped (2.2s)"
	if got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
}
