package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// The queries below choose what a GIS sync sends. Each skips objects that
// already have an item in flight (gis_items state 'pending'), so a sync run
// twice sends nothing twice, and objects GIS refused by a business rule
// ('held') until an operator releases them.

// GISAccountsToSend lists accounts of orgID not yet placed in GIS.
func GISAccountsToSend(ctx context.Context, db DBTX, orgID int64, limit int) ([]model.GISAccountRow, error) {
	rows, err := db.Query(ctx, `
		SELECT a.id, a.number, h.fias_house_guid::text, p.gis_premises_guid::text, a.total_area::text, a.residents_count,
			a.payer_name, a.payer_kind, a.closed_on, a.gis_account_guid::text, a.payer_ogrn, a.gis_payer_org_version_guid::text
		FROM accounts a JOIN premises p ON p.id = a.premises_id JOIN houses h ON h.id = p.house_id
		WHERE a.org_id = $1 AND a.gis_account_guid IS NULL AND a.closed_on IS NULL
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'account' AND i.object_id = a.id AND i.state IN ('pending', 'held'))
		ORDER BY a.id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("gis accounts to send: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.GISAccountRow, error) {
		var a model.GISAccountRow
		err := r.Scan(&a.ID, &a.Number, &a.FIASHouseGUID, &a.PremisesGUID, &a.TotalArea, &a.ResidentsCount, &a.PayerName,
			&a.PayerKind, &a.ClosedOn, &a.GISAccountGUID, &a.PayerOGRN, &a.PayerOrgVersionGUID)
		return a, err
	})
}

// GISMetersToSend lists meters of orgID's accounts that GIS knows, whose
// meters are not yet placed.
func GISMetersToSend(ctx context.Context, db DBTX, orgID int64, limit int) ([]model.GISMeterRow, error) {
	rows, err := db.Query(ctx, `
		SELECT m.id, m.number, m.resource, m.installed_on, a.gis_account_guid::text, p.gis_premises_guid::text,
			(SELECT r.value::text FROM readings r WHERE r.meter_id = m.id ORDER BY r.taken_on LIMIT 1)
		FROM meters m JOIN accounts a ON a.id = m.account_id JOIN premises p ON p.id = m.premises_id
		WHERE a.org_id = $1 AND a.gis_account_guid IS NOT NULL AND m.gis_meter_root_guid IS NULL
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'meter' AND i.object_id = m.id AND i.state IN ('pending', 'held'))
		ORDER BY m.id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("gis meters to send: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.GISMeterRow, error) {
		var m model.GISMeterRow
		err := r.Scan(&m.ID, &m.Number, &m.Resource, &m.InstalledOn, &m.AccountGUID, &m.PremisesGUID, &m.InitialReading)
		return m, err
	})
}

// GISDocumentsToSend lists ready documents of a period whose accounts GIS
// knows, with their charges.
func GISDocumentsToSend(ctx context.Context, db DBTX, orgID int64, period time.Time, limit int) ([]model.GISDocumentRow, error) {
	rows, err := db.Query(ctx, `
		SELECT d.id, d.number, a.gis_account_guid::text, d.opening_balance, d.total_due, d.account_id
		FROM payment_documents d JOIN accounts a ON a.id = d.account_id
		WHERE a.org_id = $1 AND d.period = $2 AND d.state IN ('ready', 'sent') AND d.gis_payment_document_id IS NULL
			AND a.gis_account_guid IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'document' AND i.object_id = d.id AND i.state IN ('pending', 'held'))
		ORDER BY d.id LIMIT $3`, orgID, period, limit)
	if err != nil {
		return nil, fmt.Errorf("gis documents to send: %w", err)
	}
	var docs []model.GISDocumentRow
	var accountIDs []int64
	for rows.Next() {
		var d model.GISDocumentRow
		var acc int64
		if err := rows.Scan(&d.ID, &d.Number, &d.AccountGUID, &d.OpeningBalance, &d.TotalDue, &acc); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gis documents to send: %w", err)
		}
		docs = append(docs, d)
		accountIDs = append(accountIDs, acc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gis documents to send: %w", err)
	}
	if len(docs) == 0 {
		return nil, nil
	}
	crows, err := db.Query(ctx, `
		SELECT c.account_id, s.kind, s.name, s.nsi_registry, s.nsi_code, s.nsi_guid::text, c.tariff::text, c.volume::text, c.total
		FROM charges c JOIN services s ON s.id = c.service_id
		WHERE c.account_id = ANY($1) AND c.period = $2 ORDER BY c.account_id, s.code`, accountIDs, period)
	if err != nil {
		return nil, fmt.Errorf("gis document charges: %w", err)
	}
	defer crows.Close()
	byAccount := map[int64][]model.GISChargeRow{}
	for crows.Next() {
		var acc int64
		var c model.GISChargeRow
		if err := crows.Scan(&acc, &c.ServiceKind, &c.ServiceName, &c.NSIRegistry, &c.NSICode, &c.NSIGUID, &c.Tariff, &c.Volume, &c.Total); err != nil {
			return nil, fmt.Errorf("gis document charges: %w", err)
		}
		byAccount[acc] = append(byAccount[acc], c)
	}
	if err := crows.Err(); err != nil {
		return nil, fmt.Errorf("gis document charges: %w", err)
	}
	for i := range docs {
		docs[i].Charges = byAccount[accountIDs[i]]
	}
	return docs, nil
}

// GISWithdrawalsToSend lists documents with a withdrawal requested.
func GISWithdrawalsToSend(ctx context.Context, db DBTX, orgID int64, limit int) ([]model.GISWithdrawalRow, error) {
	rows, err := db.Query(ctx, `
		SELECT d.id, d.gis_payment_document_id
		FROM payment_documents d JOIN accounts a ON a.id = d.account_id
		WHERE a.org_id = $1 AND d.gis_withdraw_requested_at IS NOT NULL AND d.state = 'posted'
			AND d.gis_payment_document_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'withdrawal' AND i.object_id = d.id AND i.state IN ('pending', 'held'))
		ORDER BY d.id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("gis withdrawals to send: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[model.GISWithdrawalRow])
}

// GISPaymentsToSend lists payments of orgID's accounts operated in period
// that GIS can match (a posted document of the period or a ЖКУ id) and that
// are not yet reported.
func GISPaymentsToSend(ctx context.Context, db DBTX, orgID int64, period time.Time, limit int) ([]model.GISPaymentRow, error) {
	rows, err := db.Query(ctx, `
		SELECT p.id, p.operation_date, p.period, p.amount, d.gis_payment_document_id, a.zhku_id
		FROM payments p JOIN accounts a ON a.id = p.account_id
		LEFT JOIN payment_documents d ON d.account_id = p.account_id AND d.period = coalesce(p.period, $2)
			AND d.state = 'posted'
		WHERE a.org_id = $1 AND p.operation_date >= $2 AND p.operation_date < ($2::date + interval '1 month')
			AND p.gis_order_id IS NULL AND (d.gis_payment_document_id IS NOT NULL OR a.zhku_id IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'payment' AND i.object_id = p.id AND i.state IN ('pending', 'held'))
		ORDER BY p.id LIMIT $3`, orgID, period, limit)
	if err != nil {
		return nil, fmt.Errorf("gis payments to send: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[model.GISPaymentRow])
}

// GISCancellationsToSend lists payments whose cancellation is requested.
func GISCancellationsToSend(ctx context.Context, db DBTX, orgID int64, limit int) ([]model.GISCancellationRow, error) {
	rows, err := db.Query(ctx, `
		SELECT p.id, p.gis_order_id, p.gis_cancel_requested_at
		FROM payments p JOIN accounts a ON a.id = p.account_id
		WHERE a.org_id = $1 AND p.gis_cancel_requested_at IS NOT NULL AND p.gis_order_id IS NOT NULL
			AND p.gis_cancelled_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'cancellation' AND i.object_id = p.id AND i.state IN ('pending', 'held'))
		ORDER BY p.id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("gis cancellations to send: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[model.GISCancellationRow])
}

// GISHouseGUIDs lists the FIAS GUIDs of orgID's houses that have meters
// placed in GIS (readings are exported by house).
func GISHouseGUIDs(ctx context.Context, db DBTX, orgID int64) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT h.fias_house_guid::text
		FROM houses h JOIN premises p ON p.house_id = h.id JOIN meters m ON m.premises_id = p.id
		JOIN accounts a ON a.id = m.account_id
		WHERE a.org_id = $1 AND m.gis_meter_root_guid IS NOT NULL ORDER BY 1`, orgID)
	if err != nil {
		return nil, fmt.Errorf("gis houses: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// GISMeterResources lists the resources of orgID's meters placed in GIS.
func GISMeterResources(ctx context.Context, db DBTX, orgID int64) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT m.resource FROM meters m JOIN accounts a ON a.id = m.account_id
		WHERE a.org_id = $1 AND m.gis_meter_root_guid IS NOT NULL ORDER BY 1`, orgID)
	if err != nil {
		return nil, fmt.Errorf("gis meter resources: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// GISWork is work a sync would find: objects of a kind, for an
// organization and (for periodic subjects) a month.
type GISWork struct {
	OrgID      int64
	ObjectKind string
	Period     *time.Time
}

// GISUnsentWork lists, by organization and month, the payments a payments
// sync would send (matchable, not reported, no item in flight or held): the
// work a lost sync request leaves behind.
func GISUnsentWork(ctx context.Context, db DBTX) ([]GISWork, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT a.org_id, 'payment', date_trunc('month', p.operation_date)::date
		FROM payments p JOIN accounts a ON a.id = p.account_id
		JOIN organizations o ON o.id = a.org_id AND o.gis_org_ppa_guid IS NOT NULL
		LEFT JOIN payment_documents d ON d.account_id = p.account_id
			AND d.period = coalesce(p.period, date_trunc('month', p.operation_date)::date) AND d.state = 'posted'
		WHERE p.gis_order_id IS NULL AND (d.gis_payment_document_id IS NOT NULL OR a.zhku_id IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'payment' AND i.object_id = p.id
				AND i.state IN ('pending', 'held'))
		ORDER BY 1, 3`)
	if err != nil {
		return nil, fmt.Errorf("gis unsent work: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[GISWork])
}
