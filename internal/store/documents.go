package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// nullText writes an empty string as SQL NULL, so optional text columns with
// a CHECK on their format stay NULL rather than failing it.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AccountIDByNumber finds an account by its number: NotFound when there is
// none, Conflict when organizations share the number.
func AccountIDByNumber(ctx context.Context, db DBTX, number string) (int64, error) {
	const op = "find account by number"
	rows, err := db.Query(ctx, `SELECT id FROM accounts WHERE number = $1 ORDER BY id LIMIT 2`, number)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, number, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, number, err)
	}
	switch len(ids) {
	case 0:
		return 0, apperr.E(apperr.NotFound, op, fmt.Sprintf("no account numbered %q", number))
	case 1:
		return ids[0], nil
	}
	return 0, apperr.E(apperr.Conflict, op, fmt.Sprintf("several organizations have an account numbered %q", number))
}

// AccountDocumentHeader loads the payer, premises and payee of an account.
func AccountDocumentHeader(ctx context.Context, db DBTX, accountID int64) (model.AccountHeader, error) {
	var h model.AccountHeader
	p := &h.Payee
	err := db.QueryRow(ctx, `
		SELECT a.id, a.number, coalesce(a.els, ''), coalesce(a.zhku_id, ''), a.payer_name,
			h.address || ', кв. ' || pr.number, coalesce(coalesce(a.total_area, pr.total_area)::text, ''), a.residents_count,
			o.name, o.short_name, o.inn, coalesce(o.kpp, ''), coalesce(o.address, ''),
			coalesce(o.bank_name, ''), coalesce(o.bik, ''), coalesce(o.settlement_account, ''), coalesce(o.corr_account, '')
		FROM accounts a
		JOIN premises pr ON pr.id = a.premises_id
		JOIN houses h ON h.id = pr.house_id
		JOIN organizations o ON o.id = a.org_id
		WHERE a.id = $1`, accountID).
		Scan(&h.AccountID, &h.Number, &h.ELS, &h.ZhkuID, &h.PayerName, &h.Address, &h.Area, &h.Residents,
			&p.Name, &p.ShortName, &p.INN, &p.KPP, &p.Address, &p.BankName, &p.BIK, &p.SettlementAccount, &p.CorrAccount)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, apperr.E(apperr.NotFound, "account document header", fmt.Sprintf("no account %d", accountID))
	}
	if err != nil {
		return h, fmt.Errorf("account document header %d: %w", accountID, err)
	}
	return h, nil
}

// DocumentForPDF loads in four queries everything the payment document of
// one account and period prints: the header, the document row (NotFound when
// the period has no document, or only a withdrawn one), the charges with their
// services, the meters with their trusted readings around the period, and the
// last payment received in the period.
func DocumentForPDF(ctx context.Context, db DBTX, accountID int64, period time.Time) (model.DocumentData, error) {
	op := fmt.Sprintf("payment document of account %d for %s", accountID, period.Format("2006-01"))
	var out model.DocumentData
	h, err := AccountDocumentHeader(ctx, db, accountID)
	if err != nil {
		return out, err
	}
	out.Header = h
	d := &out.Document
	err = db.QueryRow(ctx, `
		SELECT d.id, d.period, d.number, d.state, d.opening_balance, d.paid, d.charged, d.penalties, d.total_due, d.created_at,
			(SELECT max(operation_date)::timestamptz FROM payments
			 WHERE account_id = d.account_id AND operation_date >= d.period AND operation_date < d.period + interval '1 month')
		FROM payment_documents d
		WHERE d.account_id = $1 AND d.period = $2 AND d.state <> 'withdrawn'`, accountID, date(period)).
		Scan(&d.ID, &d.Period, &d.Number, &d.State, &d.OpeningBalance, &d.Paid, &d.Charged, &d.Penalties, &d.TotalDue,
			&d.CreatedAt, &out.LastPaymentDate)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, apperr.E(apperr.NotFound, op, "no payment document for this period")
	}
	if err != nil {
		return out, fmt.Errorf("%s: %w", op, err)
	}

	rows, err := db.Query(ctx, `
		SELECT s.name, s.unit, s.kind, c.tariff::text, coalesce(c.norm::text, ''), c.volume::text,
			c.amount, c.recalculation, c.benefit, c.total
		FROM charges c JOIN services s ON s.id = c.service_id
		WHERE c.account_id = $1 AND c.period = $2
		ORDER BY CASE s.kind WHEN 'housing' THEN 0 WHEN 'utility' THEN 1 WHEN 'other' THEN 2 ELSE 3 END, s.id`,
		accountID, date(period))
	if err != nil {
		return out, fmt.Errorf("%s: charges: %w", op, err)
	}
	if out.Lines, err = pgx.CollectRows(rows, pgx.RowToStructByPos[model.DocumentLine]); err != nil {
		return out, fmt.Errorf("%s: charges: %w", op, err)
	}

	rows, err = db.Query(ctx, `
		SELECT m.number, m.resource, coalesce(prev.value::text, ''), prev.taken_on::timestamptz,
			coalesce(cur.value::text, ''), cur.taken_on::timestamptz, coalesce((cur.value - prev.value)::text, ''),
			m.next_verification_on::timestamptz
		FROM meters m
		JOIN accounts a ON a.id = $1 AND m.premises_id = a.premises_id AND (m.account_id = a.id OR m.account_id IS NULL)
		LEFT JOIN LATERAL (SELECT value, taken_on FROM readings WHERE meter_id = m.id AND flag = '' AND taken_on < $2
			ORDER BY taken_on DESC, `+sourceRank+`, id DESC LIMIT 1) prev ON true
		LEFT JOIN LATERAL (SELECT value, taken_on FROM readings WHERE meter_id = m.id AND flag = ''
			AND taken_on >= $2 AND taken_on < $2::date + interval '1 month'
			ORDER BY taken_on DESC, `+sourceRank+`, id DESC LIMIT 1) cur ON true
		ORDER BY m.resource, m.number`, accountID, date(period))
	if err != nil {
		return out, fmt.Errorf("%s: meters: %w", op, err)
	}
	if out.Meters, err = pgx.CollectRows(rows, pgx.RowToStructByPos[model.DocumentMeter]); err != nil {
		return out, fmt.Errorf("%s: meters: %w", op, err)
	}
	return out, nil
}

// AccountBalanceOn computes what an account owes on a day the way
// account_balances does (the latest payment document issued by then, less
// the payments from the month after its period up to the day), live, so it
// needs no refresh: positive is debt, negative an advance, zero without any
// document. A document for month M counts as issued from the first day of
// M+1.
func AccountBalanceOn(ctx context.Context, db DBTX, accountID int64, day time.Time) (int64, error) {
	var b int64
	err := db.QueryRow(ctx, `
		SELECT coalesce(d.total_due, 0) - coalesce(p.paid, 0)
		FROM accounts a
		LEFT JOIN LATERAL (
			SELECT period, total_due FROM payment_documents
			WHERE account_id = a.id AND state <> 'withdrawn' AND period + interval '1 month' <= $2
			ORDER BY period DESC LIMIT 1) d ON true
		LEFT JOIN LATERAL (
			SELECT sum(amount) AS paid FROM payments
			WHERE account_id = a.id AND operation_date <= $2
				AND (d.period IS NULL OR operation_date >= d.period + interval '1 month')) p ON true
		WHERE a.id = $1`, accountID, date(day)).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.E(apperr.NotFound, "account balance on a day", fmt.Sprintf("no account %d", accountID))
	}
	if err != nil {
		return 0, fmt.Errorf("balance of account %d on %s: %w", accountID, day.Format(time.DateOnly), err)
	}
	return b, nil
}
