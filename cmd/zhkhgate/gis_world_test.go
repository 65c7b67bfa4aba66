package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestGISWorldCommand: `gis world` writes the demo center as a world the
// simulator loads, with every house and premises of the store, and
// `sim gis --world` refuses a broken file naming it.
func TestGISWorldCommand(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error"})
	if err := run(t.Context(), env, []string{"load-demo", "--accounts", "60", "--months", "1"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "world.json")
	if err := run(t.Context(), env, []string{"gis", "world", "--out", file}); err != nil {
		t.Fatalf("gis world: %v\n%s", err, out)
	}
	w, err := sim.LoadWorld(file)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var orgs, houses, premises int
	if err := db.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM organizations WHERE ogrn IS NOT NULL),
		(SELECT count(DISTINCT fias_house_guid) FROM houses), (SELECT count(DISTINCT (h.fias_house_guid, p.number)) FROM premises p JOIN houses h ON h.id = p.house_id)`).
		Scan(&orgs, &houses, &premises); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, h := range w.Houses {
		got += len(h.Premises)
	}
	if len(w.Orgs) != orgs || len(w.Houses) != houses || got != premises || houses == 0 || premises == 0 {
		t.Errorf("world has %d orgs, %d houses, %d premises; the store %d, %d, %d", len(w.Orgs), len(w.Houses), got, orgs, houses, premises)
	}
	for _, o := range w.Orgs {
		if o.PPAGUID == "" || len(o.Roles) != 1 {
			t.Errorf("org %+v: the demo's PPA GUID and role are missing", o)
		}
	}
	if !strings.Contains(out.String(), file) {
		t.Errorf("output %q does not name the file", out)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"houses": [{"fias_house_guid": "nope"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(t.Context(), env, []string{"sim", "gis", "--world", bad})
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "houses[0].fias_house_guid") {
		t.Errorf("sim gis --world with a broken file: %v", err)
	}
	if err := run(t.Context(), env, []string{"gis", "world"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("gis world without --out: %v", err)
	}
}
