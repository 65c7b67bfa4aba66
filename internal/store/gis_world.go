package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// GISWorld returns what GIS ZhKH holds before an exchange, as far as the
// store knows: the organizations (org > 0: only that one), then the
// organisations paying accounts (ID 0, no role), and the houses
// (org > 0: that organization's) with their premises, each FIAS house once,
// ordered by FIAS house GUID and premises number. GIS GUIDs the store does
// not know yet are "".
func GISWorld(ctx context.Context, db DBTX, org int64) ([]model.GISWorldOrg, []model.GISWorldHouse, error) {
	rows, err := db.Query(ctx, `
		SELECT * FROM (
		SELECT id, name, short_name, inn, coalesce(kpp, '') AS kpp, coalesce(ogrn, '') AS ogrn, role,
		       coalesce(gis_org_root_guid::text, ''), coalesce(gis_org_ppa_guid::text, '')
		FROM organizations WHERE $1 = 0 OR id = $1
		UNION ALL
		-- Organisations paying accounts are in GIS's registry too (ID 0, no role).
		SELECT * FROM (
			SELECT DISTINCT ON (a.payer_ogrn, coalesce(a.payer_kpp, '')) 0::bigint, a.payer_name, '', a.payer_inn, coalesce(a.payer_kpp, ''),
				a.payer_ogrn, '', '', ''
			FROM accounts a
			WHERE ($1 = 0 OR a.org_id = $1) AND a.payer_kind = 'organization' AND a.payer_ogrn IS NOT NULL AND a.payer_inn IS NOT NULL
				AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.ogrn = a.payer_ogrn AND coalesce(o.kpp, '') = coalesce(a.payer_kpp, ''))
			ORDER BY a.payer_ogrn, coalesce(a.payer_kpp, ''), a.id) p
		) u ORDER BY id = 0, id, ogrn, kpp`, org)
	if err != nil {
		return nil, nil, fmt.Errorf("gis world: organizations: %w", err)
	}
	orgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.GISWorldOrg, error) {
		var o model.GISWorldOrg
		err := r.Scan(&o.ID, &o.Name, &o.ShortName, &o.INN, &o.KPP, &o.OGRN, &o.Role, &o.RootGUID, &o.PPAGUID)
		return o, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("gis world: organizations: %w", err)
	}
	// One row per premises (or per house without premises); a FIAS house
	// several organizations serve comes once, from its first row.
	rows, err = db.Query(ctx, `
		SELECT DISTINCT ON (h.fias_house_guid, p.number)
		       h.fias_house_guid::text, h.address, coalesce(h.oktmo, ''), coalesce(h.gis_house_guid::text, ''), h.kind = 'living',
		       coalesce(h.floors, 0), coalesce(h.built_year, 0),
		       p.number, coalesce(p.kind, ''), coalesce(p.total_area::text, ''), coalesce(p.gis_premises_guid::text, '')
		FROM houses h LEFT JOIN premises p ON p.house_id = h.id
		WHERE $1 = 0 OR h.org_id = $1
		ORDER BY h.fias_house_guid, p.number, h.id, p.id`, org)
	if err != nil {
		return nil, nil, fmt.Errorf("gis world: houses: %w", err)
	}
	defer rows.Close()
	var houses []model.GISWorldHouse
	for rows.Next() {
		var h model.GISWorldHouse
		var number *string
		var p model.GISWorldPremises
		if err := rows.Scan(&h.FIASHouseGUID, &h.Address, &h.OKTMO, &h.HouseGUID, &h.Living, &h.Floors, &h.BuiltYear,
			&number, &p.Kind, &p.Area, &p.GUID); err != nil {
			return nil, nil, fmt.Errorf("gis world: houses: %w", err)
		}
		if n := len(houses); n == 0 || houses[n-1].FIASHouseGUID != h.FIASHouseGUID {
			houses = append(houses, h)
		}
		if number != nil {
			p.Number = *number
			if p.Kind == "room" {
				p.Kind = "residential"
			}
			last := &houses[len(houses)-1]
			last.Premises = append(last.Premises, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("gis world: houses: %w", err)
	}
	return orgs, houses, nil
}
