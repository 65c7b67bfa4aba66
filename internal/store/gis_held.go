package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Held items are released in three ways: by an operator, one item
// (ReleaseGISItems) or a message's items of a class; and by themselves, when
// the prerequisite they wait for reaches GIS (ReleaseGISWaiting). A released
// item becomes failed, so the next sync of its subject plans its object again;
// the returned work names the syncs to queue.

// reopenDocuments is the CTE that makes the payment documents among the
// released items (r) ready again: GIS's refusal marked them rejected, and a
// sync plans only ready documents.
const reopenDocuments = `UPDATE payment_documents pd SET state = 'ready'
	FROM r WHERE r.object_kind = 'document' AND pd.id = r.object_id AND pd.state = 'rejected'`

// documentPeriod is a released document item's month (the sync of
// documents is by period).
const documentPeriod = `CASE WHEN i.object_kind = 'document' THEN (SELECT pd.period FROM payment_documents pd WHERE pd.id = i.object_id) END`

// HoldGISForPrerequisites marks the held items of a message refused because
// a prerequisite is missing in GIS as waiting for it. The rules are rows of
// (error code, object kind, prerequisite kind: 'account' or 'premises'); the
// wait records the prerequisite's id and the GIS GUID we had for it, so that
// a new GUID releases the item. It returns how many items wait.
func HoldGISForPrerequisites(ctx context.Context, tx pgx.Tx, messageID int64, codes, kinds, waits []string) (int, error) {
	tag, err := tx.Exec(ctx, `
		WITH w AS (
			SELECT i.transport_guid, r.wait,
				CASE
					WHEN r.wait = 'account' AND i.object_kind = 'meter' THEN (SELECT m.account_id FROM meters m WHERE m.id = i.object_id)
					WHEN r.wait = 'account' AND i.object_kind = 'document' THEN (SELECT d.account_id FROM payment_documents d WHERE d.id = i.object_id)
					WHEN r.wait = 'premises' AND i.object_kind = 'account' THEN (SELECT a.premises_id FROM accounts a WHERE a.id = i.object_id)
					WHEN r.wait = 'premises' AND i.object_kind = 'meter' THEN (SELECT m.premises_id FROM meters m WHERE m.id = i.object_id)
				END AS wait_id
			FROM gis_items i JOIN unnest($2::text[], $3::text[], $4::text[]) AS r(code, kind, wait)
				ON i.error_code = r.code AND i.object_kind = r.kind
			WHERE i.message_id = $1 AND i.state = 'held' AND i.wait_kind IS NULL)
		UPDATE gis_items i SET wait_kind = w.wait, wait_id = w.wait_id,
			wait_guid = CASE w.wait
				WHEN 'account' THEN (SELECT a.gis_account_guid FROM accounts a WHERE a.id = w.wait_id)
				ELSE (SELECT p.gis_premises_guid FROM premises p WHERE p.id = w.wait_id) END
		FROM w WHERE i.transport_guid = w.transport_guid AND w.wait_id IS NOT NULL`,
		messageID, codes, kinds, waits)
	if err != nil {
		return 0, fmt.Errorf("hold gis items of %d for prerequisites: %w", messageID, err)
	}
	return int(tag.RowsAffected()), nil
}

// ReleaseGISWaiting releases the held items of orgID's messages whose
// prerequisite has reached GIS since they were refused: the account or
// premises now has a GIS GUID other than the one GIS refused, or an account
// import GIS confirmed after the refusal. It returns the syncs to queue.
func ReleaseGISWaiting(ctx context.Context, tx pgx.Tx, orgID int64) ([]GISWork, error) {
	rows, err := tx.Query(ctx, `
		WITH r AS (
			UPDATE gis_items i SET state = 'failed', updated_at = now()
			FROM gis_messages m
			WHERE m.id = i.message_id AND m.org_id = $1 AND i.state = 'held' AND i.wait_kind IS NOT NULL
				AND CASE i.wait_kind
					WHEN 'account' THEN EXISTS (
						SELECT 1 FROM accounts a WHERE a.id = i.wait_id AND a.gis_account_guid IS NOT NULL
							AND (a.gis_account_guid IS DISTINCT FROM i.wait_guid
								OR EXISTS (SELECT 1 FROM gis_items c WHERE c.object_kind = 'account' AND c.object_id = a.id
									AND c.state = 'ok' AND c.updated_at > i.updated_at)))
					ELSE EXISTS (
						SELECT 1 FROM premises p WHERE p.id = i.wait_id AND p.gis_premises_guid IS NOT NULL
							AND p.gis_premises_guid IS DISTINCT FROM i.wait_guid)
				END
			RETURNING i.object_kind, i.object_id, coalesce(m.period, `+documentPeriod+`) AS period),
		d AS (`+reopenDocuments+`)
		SELECT DISTINCT $1::bigint, object_kind, period FROM r ORDER BY 2, 3`, orgID)
	if err != nil {
		return nil, fmt.Errorf("release gis items waiting in org %d: %w", orgID, err)
	}
	return collectWork(rows, "release gis items waiting")
}

// ReleaseGISItems releases the given held items (by TransportGUID) and
// returns the syncs to queue; items that are not held are left alone.
func ReleaseGISItems(ctx context.Context, db DBTX, transportGUIDs []string) ([]GISWork, int, error) {
	rows, err := db.Query(ctx, `
		WITH r AS (
			UPDATE gis_items i SET state = 'failed', updated_at = now()
			WHERE i.transport_guid = ANY($1::uuid[]) AND i.state = 'held'
			RETURNING i.object_kind, i.object_id, i.message_id,
				CASE WHEN i.object_kind = 'document' THEN (SELECT pd.period FROM payment_documents pd WHERE pd.id = i.object_id) END AS doc_period),
		d AS (`+reopenDocuments+`)
		SELECT m.org_id, r.object_kind, coalesce(m.period, r.doc_period), count(*) FROM r JOIN gis_messages m ON m.id = r.message_id
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, transportGUIDs)
	if err != nil {
		return nil, 0, fmt.Errorf("release gis items: %w", err)
	}
	var work []GISWork
	n := 0
	for rows.Next() {
		var w GISWork
		var c int
		if err := rows.Scan(&w.OrgID, &w.ObjectKind, &w.Period, &c); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("release gis items: %w", err)
		}
		work, n = append(work, w), n+c
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("release gis items: %w", err)
	}
	return work, n, nil
}

// GISItemByTransportGUID reads one item.
func GISItemByTransportGUID(ctx context.Context, db DBTX, guid string) (GISItem, error) {
	rows, err := db.Query(ctx, `SELECT `+gisItemCols+` FROM gis_items WHERE transport_guid = $1::uuid`, guid)
	if err != nil {
		return GISItem{}, fmt.Errorf("gis item %s: %w", guid, err)
	}
	items, err := pgx.CollectRows(rows, scanGISItem)
	if err != nil {
		return GISItem{}, fmt.Errorf("gis item %s: %w", guid, err)
	}
	if len(items) == 0 {
		return GISItem{}, apperr.E(apperr.NotFound, "gis item", "item "+guid+" does not exist")
	}
	return items[0], nil
}

// GISObjectItems lists the last items of one object (newest first), for the
// account page's exchange history.
func GISObjectItems(ctx context.Context, db DBTX, objectKind string, objectIDs []int64, limit int) ([]GISItem, error) {
	rows, err := db.Query(ctx, `SELECT `+gisItemCols+` FROM gis_items
		WHERE object_kind = $1 AND object_id = ANY($2) ORDER BY updated_at DESC, transport_guid LIMIT $3`,
		objectKind, objectIDs, limit)
	if err != nil {
		return nil, fmt.Errorf("gis items of %s %v: %w", objectKind, objectIDs, err)
	}
	return pgx.CollectRows(rows, scanGISItem)
}

func collectWork(rows pgx.Rows, op string) ([]GISWork, error) {
	w, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GISWork, error) {
		var g GISWork
		var period *time.Time
		err := r.Scan(&g.OrgID, &g.ObjectKind, &period)
		g.Period = period
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return w, nil
}
