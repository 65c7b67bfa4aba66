package store

import (
	"context"
	"fmt"
	"time"
)

// Exchange is one logged exchange with an external system (GIS ZhKH, ESIA,
// a bank, the mail server).
type Exchange struct {
	ID          int64
	StartedAt   time.Time
	FinishedAt  *time.Time
	System      string // "gis", "esia", "bank", "mail"
	Operation   string
	OrgID       *int64
	MessageGUID *string
	AckGUID     *string
	HTTPStatus  *int
	Outcome     string // "pending", "ok", "error"
	Error       string
	Request     string
	Response    string
}

// StartExchange logs an exchange before it happens and returns its id.
func StartExchange(ctx context.Context, db DBTX, e Exchange) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO exchange_log (system, operation, org_id, message_guid, request)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, e.System, e.Operation, e.OrgID, e.MessageGUID, e.Request).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("log %s %s exchange: %w", e.System, e.Operation, err)
	}
	return id, nil
}

// FinishExchange records the outcome of exchange id.
func FinishExchange(ctx context.Context, db DBTX, id int64, e Exchange) error {
	_, err := db.Exec(ctx, `
		UPDATE exchange_log SET finished_at = now(), outcome = $2, error = $3, http_status = $4,
			ack_guid = coalesce($5, ack_guid), response = $6
		WHERE id = $1`, id, e.Outcome, e.Error, e.HTTPStatus, e.AckGUID, e.Response)
	if err != nil {
		return fmt.Errorf("finish exchange %d: %w", id, err)
	}
	return nil
}

// RecentExchanges lists the newest exchanges, optionally of one system.
func RecentExchanges(ctx context.Context, db DBTX, system string, limit int) ([]Exchange, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.Query(ctx, `
		SELECT id, started_at, finished_at, system, operation, org_id, message_guid::text, ack_guid::text,
			http_status, outcome, error
		FROM exchange_log WHERE ($1 = '' OR system = $1) ORDER BY id DESC LIMIT $2`, system, limit)
	if err != nil {
		return nil, fmt.Errorf("list exchanges: %w", err)
	}
	defer rows.Close()
	var out []Exchange
	for rows.Next() {
		var e Exchange
		if err := rows.Scan(&e.ID, &e.StartedAt, &e.FinishedAt, &e.System, &e.Operation, &e.OrgID, &e.MessageGUID,
			&e.AckGUID, &e.HTTPStatus, &e.Outcome, &e.Error); err != nil {
			return nil, fmt.Errorf("list exchanges: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
