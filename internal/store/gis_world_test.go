package store_test

import (
	"context"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestGISWorld: the seed world lists organizations with their keys and PPA
// GUIDs, and each FIAS house once with its premises, kinds and areas.
func TestGISWorld(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, _ := gisSeed(t, db, 2)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE organizations SET kpp = '590201001', ogrn = '1115902000123', short_name = 'РЦ' WHERE id = $1`, org)
	exec(`UPDATE houses SET oktmo = '57701000', floors = 9, built_year = 1985, gis_house_guid = '11111111-1111-4111-8111-111111111111' WHERE org_id = $1`, org)
	exec(`INSERT INTO premises (house_id, number, kind, total_area, gis_premises_guid)
		SELECT id, 'П1', 'nonresidential', 120.5, '22222222-2222-4222-8222-222222222222' FROM houses WHERE org_id = $1`, org)
	var uk int64
	if err := db.QueryRow(ctx, `INSERT INTO organizations (name, inn, ogrn, role) VALUES ('УК', '5904123450', '1025900512345', 'management') RETURNING id`).Scan(&uk); err != nil {
		t.Fatal(err)
	}
	// The same FIAS house under a second organization, and a living house.
	exec(`INSERT INTO houses (org_id, address, fias_house_guid) VALUES ($1, 'ул. Ленина, 1', 'b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d')`, uk)
	exec(`INSERT INTO houses (org_id, address, fias_house_guid, kind) VALUES ($1, 'ул. Садовая, 7', 'c0ffee00-1111-4222-8333-444455556666', 'living')`, uk)

	orgs, houses, err := store.GISWorld(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 2 || orgs[0].OGRN != "1115902000123" || orgs[0].KPP != "590201001" || orgs[0].PPAGUID != "6d2f5e3a-1b2c-4d5e-8f90-123456789abc" ||
		orgs[0].Role != "settlement" || orgs[1].PPAGUID != "" || orgs[1].KPP != "" {
		t.Errorf("orgs %+v", orgs)
	}
	if len(houses) != 2 {
		t.Fatalf("houses %+v, want the two FIAS houses once each", houses)
	}
	h := houses[0]
	if h.FIASHouseGUID != "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d" || h.OKTMO != "57701000" || h.Floors != 9 || h.BuiltYear != 1985 ||
		h.HouseGUID != "11111111-1111-4111-8111-111111111111" || h.Living || len(h.Premises) != 3 {
		t.Fatalf("house %+v", h)
	}
	if p := h.Premises[2]; p.Number != "П1" || p.Kind != "nonresidential" || p.Area != "120.50" || p.GUID != "22222222-2222-4222-8222-222222222222" {
		t.Errorf("premises %+v", p)
	}
	if p := h.Premises[0]; p.Number != "1" || p.Kind != "residential" || p.GUID != "" {
		t.Errorf("premises %+v", p)
	}
	if l := houses[1]; !l.Living || len(l.Premises) != 0 {
		t.Errorf("living house %+v", l)
	}

	orgs, houses, err = store.GISWorld(ctx, db, uk)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 1 || orgs[0].ID != uk || len(houses) != 2 || len(houses[0].Premises) != 0 {
		t.Errorf("world of one organization: %+v, %+v", orgs, houses)
	}
}

// TestGISWorldPayers: an organisation paying accounts is in the world once,
// without a role; one the store already holds as an organization is not
// repeated, and a payer without an INN is left out (GIS's registry needs it).
func TestGISWorldPayers(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 4)
	if _, err := db.Exec(ctx, `UPDATE organizations SET ogrn = '1115902000123' WHERE id = $1`, org); err != nil {
		t.Fatal(err)
	}
	payers := []struct {
		acc                  int64
		name, inn, ogrn, kpp any
	}{
		{accs[0], "ООО «Ромашка»", "7704123456", "1027700132195", "770401001"},
		{accs[1], "ООО «Ромашка»", "7704123456", "1027700132195", "770401001"}, // the same payer twice
		{accs[2], "РЦ", "7701234567", "1115902000123", nil},                    // the centre itself
		{accs[3], "ИП Сидоров", nil, "304590200012345", nil},                   // no INN
	}
	for _, p := range payers {
		if _, err := db.Exec(ctx, `UPDATE accounts SET payer_kind = 'organization', payer_name = $2, payer_inn = $3, payer_ogrn = $4,
			payer_kpp = $5 WHERE id = $1`, p.acc, p.name, p.inn, p.ogrn, p.kpp); err != nil {
			t.Fatal(err)
		}
	}
	orgs, _, err := store.GISWorld(ctx, db, org)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 2 || orgs[0].ID != org || orgs[1].ID != 0 || orgs[1].OGRN != "1027700132195" || orgs[1].KPP != "770401001" ||
		orgs[1].INN != "7704123456" || orgs[1].Name != "ООО «Ромашка»" || orgs[1].Role != "" {
		t.Errorf("orgs %+v, want the centre and ООО «Ромашка» without a role", orgs)
	}
}
