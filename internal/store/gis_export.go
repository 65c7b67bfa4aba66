package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// The functions below apply GIS exports to the canonical store. Each runs in
// the caller's transaction (the poll job's, which also completes the job),
// is set-based, and is idempotent: applying the same answer twice changes
// nothing the second time. An identifier another row already holds is never
// written (the columns are unique); such rows stay unmatched and show in
// the report.

// GISExportResult is what an export matched. Received counts the objects
// GIS returned; Matched those applied to the store; Missing our objects GIS
// did not return; Unknown GIS objects the store does not hold.
type GISExportResult struct {
	Received, Matched, Missing, Unknown int
	MissingLabels, UnknownLabels        []string // the first of each, for the report
}

// Report summarizes the unmatched objects for operators.
func (r GISExportResult) Report(ours, theirs string) string {
	var parts []string
	list := func(n int, labels []string, what string) {
		if n == 0 {
			return
		}
		s := fmt.Sprintf("%s: %d", what, n)
		if len(labels) > 0 {
			s += " (" + strings.Join(labels, ", ")
			if n > len(labels) {
				s += ", …"
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	list(r.Missing, r.MissingLabels, ours)
	list(r.Unknown, r.UnknownLabels, theirs)
	return strings.Join(parts, "; ")
}

// FinishGISExportReport closes an export message with its counts and report.
func FinishGISExportReport(ctx context.Context, db DBTX, id int64, response string, r GISExportResult, report string) error {
	_, err := db.Exec(ctx, `UPDATE gis_messages SET state = 'done', done_at = now(), response = $2, items = $3, items_ok = $4,
		items_failed = $5, items_unknown = $6, report = $7 WHERE id = $1`, id, response, r.Received, r.Matched, r.Missing, r.Unknown, report)
	if err != nil {
		return fmt.Errorf("finish gis export %d: %w", id, err)
	}
	return nil
}

// countResult fills the counts of r from one row of (matched, missing,
// missing labels, unknown, unknown labels).
func countResult(row pgx.Row, r *GISExportResult) error {
	return row.Scan(&r.Matched, &r.Missing, &r.MissingLabels, &r.Unknown, &r.UnknownLabels)
}

// --- organizations ----------------------------------------------------------

// GISOrgsToExport lists the organizations that have an OGRN, orgID first,
// so a registry export resolves every organization the gateway acts for;
// then the organisations paying orgID's open accounts (ID 0) whose registry
// version GIS has not yet named: an account is placed with it.
func GISOrgsToExport(ctx context.Context, db DBTX, orgID int64) ([]model.GISOrgRow, error) {
	rows, err := db.Query(ctx, `
		SELECT id, ogrn, kpp FROM (
			SELECT id, ogrn, coalesce(kpp, '') AS kpp, 0 AS payer FROM organizations WHERE ogrn IS NOT NULL
			UNION
			SELECT 0, a.payer_ogrn, coalesce(a.payer_kpp, ''), 1 FROM accounts a
			WHERE a.org_id = $1 AND a.payer_kind = 'organization' AND a.payer_ogrn IS NOT NULL
				AND a.gis_payer_org_version_guid IS NULL AND a.closed_on IS NULL
				AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.ogrn = a.payer_ogrn AND coalesce(o.kpp, '') = coalesce(a.payer_kpp, ''))
		) x
		ORDER BY payer, id <> $1, id, ogrn, kpp`, orgID)
	if err != nil {
		return nil, fmt.Errorf("gis orgs to export: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[model.GISOrgRow])
}

// ApplyGISOrgs writes the registry identifiers of organizations found by
// OGRN (and KPP when both sides have one): root and version GUIDs, and the
// orgPPAGUID when GIS gave one. An organization keeps a PPA GUID it has.
// Accounts paid by an organisation GIS returned get its version GUID.
func ApplyGISOrgs(ctx context.Context, tx pgx.Tx, orgs []model.GISOrg) (GISExportResult, error) {
	r := GISExportResult{Received: len(orgs)}
	n := len(orgs)
	root, ver, ppa, ogrn, kpp := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, o := range orgs {
		root[i], ver[i], ppa[i], ogrn[i], kpp[i] = o.RootGUID, o.VersionGUID, o.PPAGUID, o.OGRN, o.KPP
	}
	const match = `
		WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(root, ver, ppa, ogrn, kpp)),
		m AS (
			SELECT DISTINCT ON (o.id) o.id, t.root, t.ver, t.ppa FROM organizations o
			JOIN t ON t.ogrn = o.ogrn AND (t.kpp = '' OR o.kpp IS NULL OR t.kpp = o.kpp)
			ORDER BY o.id, (t.kpp = coalesce(o.kpp, '')) DESC, t.root)`
	_, err := tx.Exec(ctx, match+`
		UPDATE organizations o SET gis_org_root_guid = m.root::uuid, gis_org_version_guid = nullif(m.ver, '')::uuid,
			gis_org_ppa_guid = coalesce(o.gis_org_ppa_guid, nullif(m.ppa, '')::uuid)
		FROM m WHERE o.id = m.id
			AND (o.gis_org_root_guid IS NULL OR o.gis_org_root_guid = m.root::uuid)
			AND NOT EXISTS (SELECT 1 FROM organizations x WHERE x.id <> o.id AND (x.gis_org_root_guid = m.root::uuid
				OR (o.gis_org_ppa_guid IS NULL AND x.gis_org_ppa_guid = nullif(m.ppa, '')::uuid)))
			AND (o.gis_org_root_guid, o.gis_org_version_guid, o.gis_org_ppa_guid) IS DISTINCT FROM
				(m.root::uuid, nullif(m.ver, '')::uuid, coalesce(o.gis_org_ppa_guid, nullif(m.ppa, '')::uuid))`,
		root, ver, ppa, ogrn, kpp)
	if err != nil {
		return r, fmt.Errorf("apply gis orgs: %w", err)
	}
	// Payer organisations of accounts: the registry version names them in
	// importAccountData. A branch's KPP wins over the head office's record.
	const payers = `
		WITH t AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(root, ver, ppa, ogrn, kpp)),
		p AS (
			SELECT DISTINCT ON (a.id) a.id, t.root, t.ver FROM accounts a
			JOIN t ON t.ogrn = a.payer_ogrn AND (t.kpp = '' OR a.payer_kpp IS NULL OR t.kpp = a.payer_kpp)
			WHERE a.payer_kind = 'organization' AND t.ver <> ''
			ORDER BY a.id, (t.kpp = coalesce(a.payer_kpp, '')) DESC, t.root)`
	if _, err := tx.Exec(ctx, payers+`
		UPDATE accounts a SET gis_payer_org_version_guid = p.ver::uuid FROM p
		WHERE a.id = p.id AND a.gis_payer_org_version_guid IS DISTINCT FROM p.ver::uuid`,
		root, ver, ppa, ogrn, kpp); err != nil {
		return r, fmt.Errorf("apply gis payer orgs: %w", err)
	}
	err = countResult(tx.QueryRow(ctx, match+`,
		p AS (SELECT DISTINCT t.root FROM t JOIN accounts a ON a.payer_kind = 'organization' AND a.payer_ogrn = t.ogrn
			AND (t.kpp = '' OR a.payer_kpp IS NULL OR t.kpp = a.payer_kpp) WHERE t.ver <> ''),
		ours AS (SELECT o.id, o.ogrn, o.gis_org_root_guid::text AS root FROM organizations o WHERE o.ogrn = ANY($4))
		SELECT (SELECT count(*) FROM ours JOIN m USING (id) WHERE ours.root = m.root)
				+ (SELECT count(*) FROM p WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.root = p.root)),
			(SELECT count(*) FROM ours WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.id = ours.id AND m.root = ours.root)),
			coalesce((SELECT array_agg(ogrn ORDER BY id) FROM (SELECT id, ogrn FROM ours WHERE NOT EXISTS
				(SELECT 1 FROM m WHERE m.id = ours.id AND m.root = ours.root) LIMIT 20) x), '{}'),
			(SELECT count(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.root = t.root)
				AND NOT EXISTS (SELECT 1 FROM p WHERE p.root = t.root)),
			coalesce((SELECT array_agg(ogrn || '/' || kpp) FROM (SELECT ogrn, kpp FROM t WHERE NOT EXISTS
				(SELECT 1 FROM m WHERE m.root = t.root) AND NOT EXISTS (SELECT 1 FROM p WHERE p.root = t.root) LIMIT 20) x), '{}')`,
		root, ver, ppa, ogrn, kpp), &r)
	if err != nil {
		return r, fmt.Errorf("count gis orgs: %w", err)
	}
	return r, nil
}

// ApplyGISProviders gives organizations known by their registry root GUID
// and still without an orgPPAGUID the provider GUID GIS lists for them
// (exportDataProvider). Providers of organizations the store does not hold
// are counted as unknown.
func ApplyGISProviders(ctx context.Context, tx pgx.Tx, ps []model.GISProvider) (GISExportResult, error) {
	r := GISExportResult{Received: len(ps)}
	prov, root := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		prov[i], root[i] = p.DataProviderGUID, p.RootGUID
	}
	const t = `WITH t AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t(prov, root))`
	_, err := tx.Exec(ctx, t+`
		UPDATE organizations o SET gis_org_ppa_guid = t.prov::uuid FROM t
		WHERE o.gis_org_root_guid = t.root::uuid AND o.gis_org_ppa_guid IS NULL
			AND NOT EXISTS (SELECT 1 FROM organizations x WHERE x.gis_org_ppa_guid = t.prov::uuid)`, prov, root)
	if err != nil {
		return r, fmt.Errorf("apply gis providers: %w", err)
	}
	err = countResult(tx.QueryRow(ctx, t+`
		SELECT (SELECT count(*) FROM t JOIN organizations o ON o.gis_org_root_guid = t.root::uuid),
			0, '{}'::text[],
			(SELECT count(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.gis_org_root_guid = t.root::uuid)),
			coalesce((SELECT array_agg(prov) FROM (SELECT prov FROM t WHERE NOT EXISTS
				(SELECT 1 FROM organizations o WHERE o.gis_org_root_guid = t.root::uuid) LIMIT 20) x), '{}')`, prov, root), &r)
	if err != nil {
		return r, fmt.Errorf("count gis providers: %w", err)
	}
	return r, nil
}

// --- houses and premises ------------------------------------------------------

// GISOrgHouses lists the FIAS GUIDs of every house of orgID.
func GISOrgHouses(ctx context.Context, db DBTX, orgID int64) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT fias_house_guid::text FROM houses WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("gis houses of org %d: %w", orgID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ApplyGISHouse writes the GIS GUID of orgID's house and of its premises,
// matched by premises number (a residential premises prefers a residential
// one of that number, a non-residential one a non-residential one). Our
// premises GIS does not list are Missing, GIS premises we do not hold Unknown.
func ApplyGISHouse(ctx context.Context, tx pgx.Tx, orgID int64, h model.GISHouse) (GISExportResult, error) {
	r := GISExportResult{Received: len(h.Premises)}
	var houseID int64
	err := tx.QueryRow(ctx, `SELECT id FROM houses WHERE org_id = $1 AND fias_house_guid = $2::uuid`, orgID, h.FIASHouseGUID).Scan(&houseID)
	if err == pgx.ErrNoRows {
		r.Unknown, r.UnknownLabels = len(h.Premises), []string{"house " + h.FIASHouseGUID}
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("apply gis house %s: %w", h.FIASHouseGUID, err)
	}
	if h.HouseGUID != "" {
		_, err = tx.Exec(ctx, `UPDATE houses SET gis_house_guid = $2::uuid, gis_unique_number = nullif($3, '')
			WHERE id = $1 AND (gis_house_guid, gis_unique_number) IS DISTINCT FROM ($2::uuid, nullif($3, ''))
				AND NOT EXISTS (SELECT 1 FROM houses x WHERE x.id <> $1 AND x.gis_house_guid = $2::uuid)`, houseID, h.HouseGUID, h.UniqueNumber)
		if err != nil {
			return r, fmt.Errorf("apply gis house %s: %w", h.FIASHouseGUID, err)
		}
	}
	n := len(h.Premises)
	num, guid, uniq, res := make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	for i, p := range h.Premises {
		num[i], guid[i], uniq[i], res[i] = p.Number, p.GUID, p.UniqueNumber, p.Residential
	}
	const pick = `
		WITH t AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::bool[]) AS t(num, guid, uniq, res)),
		c AS (
			SELECT p.id, t.guid, t.uniq, ((p.kind = 'nonresidential') = NOT t.res) AS same_kind, count(*) OVER (PARTITION BY p.id) AS n
			FROM premises p JOIN t ON lower(btrim(p.number)) = lower(btrim(t.num)) WHERE p.house_id = $1),
		p1 AS (SELECT DISTINCT ON (id) id, guid, uniq FROM c WHERE same_kind OR n = 1 ORDER BY id, same_kind DESC, guid),
		pick AS (SELECT * FROM p1 WHERE guid IN (SELECT guid FROM p1 GROUP BY guid HAVING count(*) = 1))`
	_, err = tx.Exec(ctx, pick+`
		UPDATE premises p SET gis_premises_guid = pick.guid::uuid, gis_unique_number = nullif(pick.uniq, '')
		FROM pick WHERE p.id = pick.id
			AND (p.gis_premises_guid, p.gis_unique_number) IS DISTINCT FROM (pick.guid::uuid, nullif(pick.uniq, ''))
			AND NOT EXISTS (SELECT 1 FROM premises x WHERE x.id <> p.id AND x.gis_premises_guid = pick.guid::uuid)`,
		houseID, num, guid, uniq, res)
	if err != nil {
		return r, fmt.Errorf("apply gis premises of house %s: %w", h.FIASHouseGUID, err)
	}
	err = countResult(tx.QueryRow(ctx, `
		WITH t AS (SELECT * FROM unnest($2::text[], $3::text[]) AS t(num, guid)),
		ours AS (SELECT id, number, gis_premises_guid::text AS guid FROM premises WHERE house_id = $1),
		miss AS (SELECT * FROM ours WHERE guid IS NULL OR guid NOT IN (SELECT guid FROM t)),
		unk AS (SELECT * FROM t WHERE guid NOT IN (SELECT guid FROM ours WHERE guid IS NOT NULL))
		SELECT (SELECT count(*) FROM ours JOIN t USING (guid)), (SELECT count(*) FROM miss),
			coalesce((SELECT array_agg(number) FROM (SELECT number FROM miss ORDER BY id LIMIT 20) x), '{}'),
			(SELECT count(*) FROM unk),
			coalesce((SELECT array_agg(num) FROM (SELECT num FROM unk LIMIT 20) x), '{}')`, houseID, num, guid), &r)
	if err != nil {
		return r, fmt.Errorf("count gis premises of house %s: %w", h.FIASHouseGUID, err)
	}
	return r, nil
}

// --- accounts -----------------------------------------------------------------

// GISAccountHousesToReconcile lists the FIAS GUIDs of orgID's houses with
// open accounts that lack a GIS GUID, ЕЛС or ЖКУ id.
func GISAccountHousesToReconcile(ctx context.Context, db DBTX, orgID int64) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT h.fias_house_guid::text FROM houses h WHERE h.org_id = $1 AND EXISTS (
			SELECT 1 FROM premises p JOIN accounts a ON a.premises_id = p.id
			WHERE p.house_id = h.id AND a.org_id = $1 AND a.closed_on IS NULL
				AND (a.gis_account_guid IS NULL OR a.els IS NULL OR a.zhku_id IS NULL))
		ORDER BY h.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("gis account houses to reconcile: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ApplyGISAccounts reconciles orgID's accounts of one house with the
// accounts GIS exported for it, matched by account number: the GIS GUID,
// ЕЛС and ЖКУ id are written where the store has none. An account already
// holding another GUID is left alone and reported missing.
func ApplyGISAccounts(ctx context.Context, tx pgx.Tx, orgID int64, fiasHouseGUID string, as []model.GISExportedAccount) (GISExportResult, error) {
	r := GISExportResult{Received: len(as)}
	n := len(as)
	guid, num, els, zhku := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, a := range as {
		guid[i], num[i], els[i], zhku[i] = a.GUID, a.Number, a.ELS, a.ServiceID
	}
	const ours = `
		WITH t AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS t(guid, num, els, zhku)),
		ours AS (
			SELECT a.* FROM accounts a JOIN premises p ON p.id = a.premises_id JOIN houses h ON h.id = p.house_id
			WHERE a.org_id = $1 AND h.org_id = $1 AND h.fias_house_guid = $2::uuid)`
	_, err := tx.Exec(ctx, ours+`
		UPDATE accounts a SET
			gis_account_guid = coalesce(a.gis_account_guid, t.guid::uuid),
			els = CASE WHEN a.els IS NULL AND t.els <> '' AND NOT EXISTS (SELECT 1 FROM accounts x WHERE x.els = t.els)
				THEN t.els ELSE a.els END,
			zhku_id = CASE WHEN a.zhku_id IS NULL AND t.zhku <> '' AND NOT EXISTS (SELECT 1 FROM accounts x WHERE x.zhku_id = t.zhku)
				THEN t.zhku ELSE a.zhku_id END
		FROM ours JOIN t ON t.num = ours.number
		WHERE a.id = ours.id
			AND (a.gis_account_guid = t.guid::uuid OR (a.gis_account_guid IS NULL
				AND NOT EXISTS (SELECT 1 FROM accounts x WHERE x.gis_account_guid = t.guid::uuid)))
			AND (a.gis_account_guid IS NULL OR (a.els IS NULL AND t.els <> '') OR (a.zhku_id IS NULL AND t.zhku <> ''))`,
		orgID, fiasHouseGUID, guid, num, els, zhku)
	if err != nil {
		return r, fmt.Errorf("apply gis accounts of house %s: %w", fiasHouseGUID, err)
	}
	err = countResult(tx.QueryRow(ctx, ours+`,
		miss AS (SELECT * FROM ours WHERE closed_on IS NULL AND (gis_account_guid IS NULL OR gis_account_guid::text NOT IN (SELECT guid FROM t))),
		unk AS (SELECT * FROM t WHERE guid NOT IN (SELECT gis_account_guid::text FROM ours WHERE gis_account_guid IS NOT NULL))
		SELECT (SELECT count(*) FROM ours JOIN t ON t.guid = ours.gis_account_guid::text), (SELECT count(*) FROM miss),
			coalesce((SELECT array_agg(number) FROM (SELECT number FROM miss ORDER BY id LIMIT 20) x), '{}'),
			(SELECT count(*) FROM unk),
			coalesce((SELECT array_agg(num) FROM (SELECT num FROM unk LIMIT 20) x), '{}')`,
		orgID, fiasHouseGUID, guid, num, els, zhku), &r)
	if err != nil {
		return r, fmt.Errorf("count gis accounts of house %s: %w", fiasHouseGUID, err)
	}
	return r, nil
}

// --- meters -------------------------------------------------------------------

// GISMeterHousesToReconcile lists the FIAS GUIDs of orgID's houses with
// meters of accounts GIS knows that lack a GIS root GUID.
func GISMeterHousesToReconcile(ctx context.Context, db DBTX, orgID int64) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT h.fias_house_guid::text FROM houses h WHERE h.org_id = $1 AND EXISTS (
			SELECT 1 FROM premises p JOIN meters m ON m.premises_id = p.id JOIN accounts a ON a.id = m.account_id
			WHERE p.house_id = h.id AND a.org_id = $1 AND m.gis_meter_root_guid IS NULL)
		ORDER BY h.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("gis meter houses to reconcile: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ApplyGISMeters reconciles the meters of orgID's accounts in one house with
// the devices GIS exported for it, matched by factory number (and resource
// when GIS names one): the root and version GUIDs are written where the
// store has none, and the version is refreshed for a known root.
func ApplyGISMeters(ctx context.Context, tx pgx.Tx, orgID int64, fiasHouseGUID string, ms []model.GISExportedMeter) (GISExportResult, error) {
	r := GISExportResult{Received: len(ms)}
	n := len(ms)
	root, ver, num, res := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, m := range ms {
		root[i], ver[i], num[i], res[i] = m.RootGUID, m.VersionGUID, m.Number, m.Resource
	}
	const ours = `
		WITH t AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS t(root, ver, num, res)),
		ours AS (
			SELECT m.* FROM meters m JOIN accounts a ON a.id = m.account_id JOIN premises p ON p.id = m.premises_id
			JOIN houses h ON h.id = p.house_id
			WHERE a.org_id = $1 AND h.fias_house_guid = $2::uuid),
		c AS (SELECT ours.id, t.root, t.ver FROM ours JOIN t ON t.num = ours.number AND (t.res = '' OR t.res = ours.resource)),
		pick AS (SELECT * FROM c WHERE id IN (SELECT id FROM c GROUP BY id HAVING count(*) = 1)
			AND root IN (SELECT root FROM c GROUP BY root HAVING count(*) = 1))`
	_, err := tx.Exec(ctx, ours+`
		UPDATE meters m SET gis_meter_root_guid = pick.root::uuid, gis_meter_version_guid = pick.ver::uuid
		FROM pick WHERE m.id = pick.id
			AND (m.gis_meter_root_guid IS NULL OR m.gis_meter_root_guid = pick.root::uuid)
			AND m.gis_meter_version_guid IS DISTINCT FROM pick.ver::uuid
			AND NOT EXISTS (SELECT 1 FROM meters x WHERE x.id <> m.id
				AND (x.gis_meter_root_guid = pick.root::uuid OR x.gis_meter_version_guid = pick.ver::uuid))`,
		orgID, fiasHouseGUID, root, ver, num, res)
	if err != nil {
		return r, fmt.Errorf("apply gis meters of house %s: %w", fiasHouseGUID, err)
	}
	err = countResult(tx.QueryRow(ctx, ours+`,
		miss AS (SELECT * FROM ours WHERE gis_meter_root_guid IS NULL OR gis_meter_root_guid::text NOT IN (SELECT root FROM t)),
		unk AS (SELECT * FROM t WHERE root NOT IN (SELECT gis_meter_root_guid::text FROM ours WHERE gis_meter_root_guid IS NOT NULL))
		SELECT (SELECT count(*) FROM ours JOIN t ON t.root = ours.gis_meter_root_guid::text), (SELECT count(*) FROM miss),
			coalesce((SELECT array_agg(number) FROM (SELECT number FROM miss ORDER BY id LIMIT 20) x), '{}'),
			(SELECT count(*) FROM unk),
			coalesce((SELECT array_agg(num) FROM (SELECT num FROM unk LIMIT 20) x), '{}')`,
		orgID, fiasHouseGUID, root, ver, num, res), &r)
	if err != nil {
		return r, fmt.Errorf("count gis meters of house %s: %w", fiasHouseGUID, err)
	}
	return r, nil
}

// --- payment documents ----------------------------------------------------------

// GISDocumentAccountsToReconcile lists the GIS GUIDs of orgID's accounts
// whose document of period is not confirmed posted (no GIS id).
func GISDocumentAccountsToReconcile(ctx context.Context, db DBTX, orgID int64, period time.Time) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT a.gis_account_guid::text FROM payment_documents d JOIN accounts a ON a.id = d.account_id
		WHERE a.org_id = $1 AND d.period = $2 AND d.gis_payment_document_id IS NULL AND a.gis_account_guid IS NOT NULL
			AND d.state IN ('ready', 'sent', 'rejected')
		ORDER BY d.id`, orgID, period)
	if err != nil {
		return nil, fmt.Errorf("gis document accounts to reconcile: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ApplyGISDocuments reconciles orgID's payment documents of period with the
// documents GIS exported for accounts (accountGUIDs, the export's query),
// matched by account and number: the 18-character GIS id is written and
// the document is posted. Missing counts queried accounts whose document
// GIS did not return. exportPaymentDocumentData carries no document GUID,
// so gis_payment_document_guid stays as it is.
func ApplyGISDocuments(ctx context.Context, tx pgx.Tx, orgID int64, period time.Time, accountGUIDs []string, ds []model.GISExportedDocument) (GISExportResult, error) {
	r := GISExportResult{Received: len(ds)}
	n := len(ds)
	id, num, acc := make([]string, n), make([]string, n), make([]string, n)
	for i, d := range ds {
		id[i], num[i], acc[i] = d.PaymentDocumentID, d.Number, d.AccountGUID
	}
	const ours = `
		WITH t AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS t(id, num, acc)),
		ours AS (
			SELECT d.*, a.gis_account_guid::text AS acc FROM payment_documents d JOIN accounts a ON a.id = d.account_id
			WHERE a.org_id = $1 AND d.period = $2 AND a.gis_account_guid::text = ANY($6)),
		c AS (SELECT ours.id AS doc, t.id FROM ours JOIN t ON t.acc = ours.acc AND (t.num = '' OR t.num = ours.number)),
		pick AS (SELECT * FROM c WHERE doc IN (SELECT doc FROM c GROUP BY doc HAVING count(*) = 1))`
	_, err := tx.Exec(ctx, ours+`
		UPDATE payment_documents d SET gis_payment_document_id = pick.id, state = 'posted'
		FROM pick WHERE d.id = pick.doc AND d.gis_payment_document_id IS NULL AND d.state IN ('ready', 'sent', 'rejected')
			AND NOT EXISTS (SELECT 1 FROM payment_documents x WHERE x.gis_payment_document_id = pick.id)`,
		orgID, period, id, num, acc, accountGUIDs)
	if err != nil {
		return r, fmt.Errorf("apply gis documents: %w", err)
	}
	err = countResult(tx.QueryRow(ctx, ours+`,
		miss AS (SELECT * FROM ours WHERE gis_payment_document_id IS NULL OR gis_payment_document_id NOT IN (SELECT id FROM t)),
		unk AS (SELECT * FROM t WHERE id NOT IN (SELECT gis_payment_document_id FROM ours WHERE gis_payment_document_id IS NOT NULL))
		SELECT (SELECT count(*) FROM ours JOIN t ON t.id = ours.gis_payment_document_id), (SELECT count(*) FROM miss),
			coalesce((SELECT array_agg(number) FROM (SELECT number FROM miss ORDER BY id LIMIT 20) x), '{}'),
			(SELECT count(*) FROM unk),
			coalesce((SELECT array_agg(coalesce(nullif(num, ''), id)) FROM (SELECT num, id FROM unk LIMIT 20) x), '{}')`,
		orgID, period, id, num, acc, accountGUIDs), &r)
	if err != nil {
		return r, fmt.Errorf("count gis documents: %w", err)
	}
	return r, nil
}
