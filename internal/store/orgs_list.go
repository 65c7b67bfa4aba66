package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// OrgChoice is an organization as the console's lists offer it.
type OrgChoice struct {
	ID   int64
	Name string
	INN  string
	// GIS is true when the organization can exchange with GIS (orgPPAGUID known).
	GIS bool
}

// ListOrgChoices lists every organization by name.
func ListOrgChoices(ctx context.Context, db DBTX) ([]OrgChoice, error) {
	rows, err := db.Query(ctx, `SELECT id, coalesce(nullif(short_name, ''), name), inn, gis_org_ppa_guid IS NOT NULL
		FROM organizations ORDER BY 2, id`)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OrgChoice])
}
