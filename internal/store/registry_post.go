package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// BulkSessionParams are the session settings a connection that posts a
// large registry should start with: the staging table is temporary and
// lives in temp_buffers (settable only before a session first touches a
// temporary table), and the set-based merge hashes a million rows.
var BulkSessionParams = map[string]string{"temp_buffers": "256MB", "work_mem": "128MB"}

// StagedRow is one registry line on its way to the payments table. A line
// with a Problem is quarantined as invalid; the others are judged against
// accounts and earlier payments in SQL, all rows at once.
type StagedRow struct {
	Line          int
	Raw           string
	Problem       string // non-empty: the line cannot be posted
	Warning       string // non-empty: posted, but worth a look
	OperationID   string
	OperationDate time.Time
	PaidAt        time.Time // zero: unknown
	AccountNumber string
	Period        time.Time // zero: not given
	Amount        int64
	Commission    int64
	PayerName     string
	MeterCodes    []string
	MeterValues   []string // decimals
}

var stageColumns = []string{"line", "raw", "problem", "warning", "operation_id", "operation_date", "paid_at",
	"account_number", "period", "amount", "commission", "payer_name", "meter_codes", "meter_values"}

// StageRegistryRows creates the transaction's staging table and COPYs the
// rows next yields into it, pulling them one at a time (next returns nil
// at the end). It returns the number of rows staged.
func StageRegistryRows(ctx context.Context, tx pgx.Tx, next func() (*StagedRow, error)) (int64, error) {
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE registry_stage (
			line integer NOT NULL, raw text, problem text NOT NULL, warning text NOT NULL,
			operation_id text, operation_date date, paid_at timestamptz, account_number text, period date,
			amount bigint, commission bigint, payer_name text, meter_codes text[], meter_values text[]
		) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("create registry staging table: %w", err)
	}
	src := pgx.CopyFromFunc(func() ([]any, error) {
		r, err := next()
		if r == nil || err != nil {
			return nil, err
		}
		var raw, opID, acct, payer *string
		var opDate, paidAt, period *time.Time
		var amount, commission *int64
		var codes, values []string
		if r.Raw != "" && (r.Problem != "" || r.Warning != "") {
			raw = &r.Raw // posted lines are found again in the stored file by line number
		}
		if r.Problem == "" || r.OperationID != "" {
			opID, acct, payer = &r.OperationID, &r.AccountNumber, &r.PayerName
			if !r.OperationDate.IsZero() {
				opDate = &r.OperationDate
			}
			amount, commission = &r.Amount, &r.Commission
			codes, values = r.MeterCodes, r.MeterValues
		}
		if !r.PaidAt.IsZero() {
			paidAt = &r.PaidAt
		}
		if !r.Period.IsZero() {
			period = &r.Period
		}
		return []any{r.Line, raw, r.Problem, r.Warning, opID, opDate, paidAt, acct, period, amount, commission, payer, codes, values}, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"registry_stage"}, stageColumns, src)
	if err != nil {
		return 0, fmt.Errorf("stage registry rows: %w", err)
	}
	return n, nil
}

// PostResult counts what posting did.
type PostResult struct {
	Posted      int // payments inserted
	Duplicates  int // lines whose operation was already posted (other file or same file)
	Quarantined int // invalid lines and lines without a usable account
	Warned      int // posted lines with a warning
	Readings    int // meter readings inserted
}

// maxWarningIssues caps the warning rows kept per registry; the count is kept in full.
const maxWarningIssues = 1000

// PostStagedRegistry merges the staged rows of registry id into payments,
// set-based, inside the caller's transaction: accounts are matched by
// number (within orgID when set), unknown, ambiguous or closed accounts and
// invalid lines go to quarantine, operations already posted under source
// (bank) are flagged as duplicates, the rest become payments, and their
// meter readings become readings with source 'bank'.
func PostStagedRegistry(ctx context.Context, tx pgx.Tx, id int64, source string, orgID *int64) (PostResult, error) {
	var res PostResult
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE registry_classified ON COMMIT DROP AS
		SELECT s.*, a.id AS account_id, p.id AS duplicate_of,
			CASE WHEN s.problem <> '' THEN 'invalid'
			     WHEN a.n IS NULL THEN 'unknown_account'
			     WHEN a.n > 1 THEN 'ambiguous_account'
			     WHEN a.closed_on < s.operation_date THEN 'closed_account'
			     WHEN p.id IS NOT NULL THEN 'duplicate'
			     ELSE 'ok' END AS verdict
		FROM registry_stage s
		LEFT JOIN (SELECT number, min(id) AS id, count(*) AS n, max(closed_on) AS closed_on
		           FROM accounts WHERE $2::bigint IS NULL OR org_id = $2
		           GROUP BY number) a ON a.number = s.account_number
		LEFT JOIN payments p ON p.source = $1 AND p.operation_id = s.operation_id AND p.operation_date = s.operation_date`,
		source, orgID); err != nil {
		return res, fmt.Errorf("post registry %d: classify rows: %w", id, err)
	}
	var okRows int
	if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE verdict = 'ok') FROM registry_classified`).Scan(&okRows); err != nil {
		return res, fmt.Errorf("post registry %d: count rows: %w", id, err)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO payments (source, operation_id, operation_date, paid_at, account_id, period, amount, commission,
			payer_name, registry_id, registry_line)
		SELECT $1, operation_id, operation_date, paid_at, account_id, period, amount, commission,
			coalesce(payer_name, ''), $2, line
		FROM registry_classified WHERE verdict = 'ok'
		ON CONFLICT (source, operation_id, operation_date) DO NOTHING`, source, id)
	if err != nil {
		return res, fmt.Errorf("post registry %d: insert payments: %w", id, err)
	}
	res.Posted = int(tag.RowsAffected())
	if res.Posted < okRows {
		// The same operation twice in this file (or posted by a concurrent
		// registry): every line but the one that won is a duplicate.
		if _, err := tx.Exec(ctx, `
			UPDATE registry_classified c SET verdict = 'duplicate', duplicate_of = p.id
			FROM payments p
			WHERE c.verdict = 'ok' AND p.source = $1 AND p.operation_id = c.operation_id
			  AND p.operation_date = c.operation_date
			  AND (p.registry_id IS DISTINCT FROM $2 OR p.registry_line <> c.line)`, source, id); err != nil {
			return res, fmt.Errorf("post registry %d: flag duplicates: %w", id, err)
		}
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO registry_issues (registry_id, line, raw, kind, reason, operation_id, operation_date, paid_at,
			account_number, period, amount, commission, payer_name, meter_codes, meter_values, duplicate_of)
		SELECT $1, line, coalesce(raw, ''), verdict,
			CASE verdict
			  WHEN 'invalid' THEN problem
			  WHEN 'unknown_account' THEN format('field account %L: no such account', account_number)
			  WHEN 'ambiguous_account' THEN format('field account %L: several organizations have this account number', account_number)
			  WHEN 'closed_account' THEN format('field account %L: the account was closed before the payment date', account_number)
			  WHEN 'duplicate' THEN format('operation %s of %s was already posted (payment %s)', operation_id,
			      to_char(operation_date, 'DD.MM.YYYY'), duplicate_of)
			END,
			operation_id, operation_date, paid_at, account_number, period, amount, commission, payer_name,
			meter_codes, meter_values::numeric[], duplicate_of
		FROM registry_classified WHERE verdict <> 'ok'`, id); err != nil {
		return res, fmt.Errorf("post registry %d: quarantine rows: %w", id, err)
	}
	if err := tx.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE verdict = 'duplicate'),
		       count(*) FILTER (WHERE verdict NOT IN ('ok', 'duplicate')),
		       count(*) FILTER (WHERE verdict = 'ok' AND warning <> '')
		FROM registry_classified`).Scan(&res.Duplicates, &res.Quarantined, &res.Warned); err != nil {
		return res, fmt.Errorf("post registry %d: count issues: %w", id, err)
	}
	if res.Warned > 0 {
		if _, err := tx.Exec(ctx, `
			INSERT INTO registry_issues (registry_id, line, raw, kind, reason, state, operation_id, operation_date,
				account_number, amount, commission, payer_name)
			SELECT $1, line, coalesce(raw, ''), 'warning', warning, 'info', operation_id, operation_date,
				account_number, amount, commission, payer_name
			FROM registry_classified WHERE verdict = 'ok' AND warning <> ''
			ORDER BY line LIMIT $2`, id, maxWarningIssues); err != nil {
			return res, fmt.Errorf("post registry %d: record warnings: %w", id, err)
		}
	}
	n, err := postReadings(ctx, tx, id)
	if err != nil {
		return res, err
	}
	res.Readings = n
	return res, nil
}

// postReadings turns the meter readings of posted lines into readings. A
// meter is found by its number among the account's meters (or, for meters
// not tied to an account, the premises'). Readings naming no known meter
// are kept as warnings.
func postReadings(ctx context.Context, tx pgx.Tx, id int64) (int, error) {
	var any bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM registry_classified WHERE verdict = 'ok' AND cardinality(meter_codes) > 0)`).Scan(&any); err != nil {
		return 0, fmt.Errorf("post registry %d: look for readings: %w", id, err)
	}
	if !any {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE registry_readings ON COMMIT DROP AS
		SELECT c.line, c.operation_date, c.account_number, r.code, r.value,
			(SELECT m.id FROM meters m
			 WHERE m.number = r.code AND (m.account_id = a.id OR (m.account_id IS NULL AND m.premises_id = a.premises_id))
			 ORDER BY m.account_id NULLS LAST, m.id LIMIT 1) AS meter_id
		FROM registry_classified c
		JOIN accounts a ON a.id = c.account_id
		CROSS JOIN LATERAL unnest(c.meter_codes, c.meter_values) AS r(code, value)
		WHERE c.verdict = 'ok'`); err != nil {
		return 0, fmt.Errorf("post registry %d: match meters: %w", id, err)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO readings (meter_id, taken_on, value, source)
		SELECT DISTINCT ON (meter_id, operation_date) meter_id, operation_date, value::numeric, 'bank'
		FROM registry_readings WHERE meter_id IS NOT NULL
		ORDER BY meter_id, operation_date, line DESC
		ON CONFLICT (meter_id, taken_on, source) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("post registry %d: insert readings: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO registry_issues (registry_id, line, raw, kind, reason, state, account_number)
		SELECT $1, line, '', 'warning', format('meter %L: no such meter for account %s; reading %s not recorded', code, account_number, value),
			'info', account_number
		FROM registry_readings WHERE meter_id IS NULL ORDER BY line LIMIT $2`, id, maxWarningIssues); err != nil {
		return 0, fmt.Errorf("post registry %d: record unknown meters: %w", id, err)
	}
	return int(tag.RowsAffected()), nil
}

// OrgMonth is an organization and a month (first day) with payments.
type OrgMonth struct {
	OrgID int64
	Month time.Time
}

// RegistryPaymentMonths lists the organizations and operation months of
// the payments posted from registry id: what follow-up exchanges cover.
func RegistryPaymentMonths(ctx context.Context, db DBTX, id int64) ([]OrgMonth, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT a.org_id, date_trunc('month', p.operation_date)::date
		FROM payments p JOIN accounts a ON a.id = p.account_id
		WHERE p.registry_id = $1 ORDER BY 1, 2`, id)
	if err != nil {
		return nil, fmt.Errorf("registry %d payment months: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[OrgMonth])
	if err != nil {
		return nil, fmt.Errorf("registry %d payment months: %w", id, err)
	}
	return out, nil
}
