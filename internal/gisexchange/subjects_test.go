package gisexchange_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestRegistry checks each entry against what it claims and the schema:
// operations exist, item subjects name an object kind and a cap, exports
// neither, and the database accepts every subject and object kind.
func TestRegistry(t *testing.T) {
	seen := map[gisexchange.What]bool{}
	var objects []string
	for _, s := range gisexchange.Subjects() {
		if seen[s.What] {
			t.Errorf("%s is registered twice", s.What)
		}
		seen[s.What] = true
		if _, err := giszhkh.LookupOperation(s.Service, s.Operation); err != nil {
			t.Errorf("%s: %v", s.What, err)
		}
		if s.Export != (s.Object == "") || s.Export != (s.MaxItems == 0) {
			t.Errorf("%s: Export=%v with Object %q and MaxItems %d; exports have neither, item subjects both", s.What, s.Export, s.Object, s.MaxItems)
		}
		if s.Object != "" {
			objects = append(objects, s.Object)
		}
	}
	if cycle := gisexchange.MonthCycle(); cycle[0] != gisexchange.Orgs || !slices.Contains(cycle, gisexchange.Payments) {
		t.Errorf("month cycle %v: starts with orgs and includes payments", cycle)
	}
	db := testdb.New(t)
	for _, c := range []struct {
		constraint string
		want       []string
	}{
		{"gis_messages_kind_check", whats(gisexchange.Whats())},
		{"gis_items_object_kind_check", objects},
	} {
		var def string
		if err := db.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1`, c.constraint).Scan(&def); err != nil {
			t.Fatalf("%s: %v", c.constraint, err)
		}
		var allowed []string
		for _, m := range regexp.MustCompile(`'([a-z-]+)'`).FindAllStringSubmatch(def, -1) {
			allowed = append(allowed, m[1])
		}
		slices.Sort(allowed)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(allowed, want) {
			t.Errorf("%s allows %v; the registry has %v (a new subject needs a migration)", c.constraint, allowed, want)
		}
	}
}

func whats(ws []gisexchange.What) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

// TestNewChecksConfig: bad configuration is refused, naming what is wrong.
func TestNewChecksConfig(t *testing.T) {
	deps := gisexchange.Deps{Builder: gistest.NewBuilder(t, giszhkh.BuilderOptions{}), Client: gistest.NewClient(t, "http://127.0.0.1:1", 0)}
	for _, c := range []struct {
		name string
		cfg  gisexchange.Config
		want string
	}{
		{"cap of an export", gisexchange.Config{Caps: map[gisexchange.What]int{gisexchange.Houses: 5}}, "houses"},
		{"unknown subject", gisexchange.Config{Caps: map[gisexchange.What]int{"letters": 5}}, "letters"},
		{"zero cap", gisexchange.Config{Caps: map[gisexchange.What]int{gisexchange.Payments: 0}}, "payments"},
		{"half bank details", gisexchange.Config{BankBIK: "044525225"}, "BIK"},
		{"negative poll", gisexchange.Config{Poll: []time.Duration{time.Second, -time.Second}}, "poll"},
	} {
		if _, err := gisexchange.New(c.cfg, deps); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want Invalid naming %q", c.name, err, c.want)
		}
	}
	if _, err := gisexchange.New(gisexchange.Config{}, gisexchange.Deps{}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("no builder and client: %v", err)
	}
	x, err := gisexchange.New(gisexchange.Config{Caps: map[gisexchange.What]int{gisexchange.Payments: 1000}}, deps)
	if err != nil || x.Config().ResendAfter == 0 || len(x.Config().Poll) != len(gisexchange.DefaultPoll) {
		t.Errorf("defaults: %+v, %v", x.Config(), err)
	}
}
