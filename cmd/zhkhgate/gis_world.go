package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// worldFromStore builds the GIS simulator's seed world from the canonical
// store: organizations with their OGRN/INN/KPP and the GIS GUIDs the store
// knows, houses with FIAS GUIDs, addresses, OKTMO and premises. GUIDs the
// store does not know stay empty for the simulator to assign. Organizations
// without an OGRN cannot be in GIS's registry and are left out; skipped
// names them.
func worldFromStore(ctx context.Context, db store.DBTX, org int64) (w sim.World, skipped []string, err error) {
	orgs, houses, err := store.GISWorld(ctx, db, org)
	if err != nil {
		return sim.World{}, nil, err
	}
	for _, o := range orgs {
		if o.OGRN == "" {
			skipped = append(skipped, fmt.Sprintf("organization %d (%s): no OGRN", o.ID, o.Name))
			continue
		}
		var roles []string
		if o.Role != "" { // a payer organisation has no role with the centre
			roles = []string{o.Role}
		}
		w.Orgs = append(w.Orgs, sim.WorldOrg{Name: o.Name, ShortName: o.ShortName, INN: o.INN, KPP: o.KPP, OGRN: o.OGRN,
			RootGUID: o.RootGUID, PPAGUID: o.PPAGUID, Roles: roles})
	}
	for _, h := range houses {
		x := sim.WorldHouse{FIASHouseGUID: h.FIASHouseGUID, Address: h.Address, OKTMO: h.OKTMO, HouseGUID: h.HouseGUID,
			Living: h.Living, Floors: h.Floors, BuiltYear: h.BuiltYear}
		for _, p := range h.Premises {
			x.Premises = append(x.Premises, sim.WorldPremises{Number: p.Number, GUID: p.GUID, Kind: p.Kind, Area: p.Area})
		}
		w.Houses = append(w.Houses, x)
	}
	if err := w.Check(); err != nil {
		return sim.World{}, nil, fmt.Errorf("gis world: the store's data: %w", err)
	}
	return w, skipped, nil
}

// cmdGISWorld writes the simulator's seed world from the store.
func cmdGISWorld(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "gis world", "gis world --out FILE [--org ID]\n\n"+
		"Writes what GIS ZhKH holds before an exchange — organizations, houses, premises — from the store as\n"+
		"JSON for `zhkhgate sim gis --world FILE`. GIS GUIDs the store does not know yet are left empty; the\n"+
		"simulator derives them from OGRN, FIAS house GUID and premises number, the same on every run.")
	var out string
	var org int64
	fs.StringVar(&out, "out", "", "file to write (- for standard output)")
	fs.Int64Var(&org, "org", 0, "only this organization and its houses (default: all)")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if out == "" || fs.NArg() > 0 {
		return apperr.Invalidf("gis world", "usage: gis world --out FILE [--org ID]")
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	w, skipped, err := worldFromStore(ctx, a.pool, org)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return fmt.Errorf("gis world: %w", err)
	}
	data = append(data, '\n')
	if out == "-" {
		_, err = env.Stdout.Write(data)
	} else {
		err = os.WriteFile(out, data, 0o644)
	}
	if err != nil {
		return fmt.Errorf("gis world: write %s: %w", out, err)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(env.Stderr, "left out: %s\n", strings.Join(skipped, "; "))
	}
	if out != "-" {
		premises := 0
		for _, h := range w.Houses {
			premises += len(h.Premises)
		}
		fmt.Fprintf(env.Stdout, "%s: %d organizations, %d houses, %d premises\n", out, len(w.Orgs), len(w.Houses), premises)
	}
	return nil
}
