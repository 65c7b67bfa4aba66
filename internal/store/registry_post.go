package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/model"
)

// BulkSessionParams are the session settings a connection that posts a
// large registry should start with: the staging table is temporary and
// lives in temp_buffers (settable only before a session first touches a
// temporary table), and the set-based merge hashes a million rows.
func BulkSessionParams() map[string]string {
	return map[string]string{"temp_buffers": "256MB", "work_mem": "128MB"}
}

// StagedRow is one registry line on its way to the payments table (the
// mapping's model.RegistryLine).
type StagedRow = model.RegistryLine

var stageColumns = []string{"line", "raw", "problem", "warning", "operation_id", "operation_date", "paid_at",
	"account_number", "period", "amount", "commission", "payer_name", "meter_codes", "meter_values"}

// StageStats counts what was staged, so posting can skip the work a clean
// file does not need.
type StageStats struct {
	Rows       int
	Invalid    int // rows with a Problem
	Warned     int // valid rows with a Warning
	WithMeters int // valid rows carrying meter readings
}

// StageRegistryRows creates the transaction's staging table and COPYs the
// rows next yields into it, pulling them one at a time (next returns nil
// at the end).
func StageRegistryRows(ctx context.Context, tx pgx.Tx, next func() (*StagedRow, error)) (StageStats, error) {
	var st StageStats
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE registry_stage (
			line integer NOT NULL, raw text, problem text NOT NULL, warning text NOT NULL,
			operation_id text, operation_date date, paid_at timestamptz, account_number text, period date,
			amount bigint, commission bigint, payer_name text, meter_codes text[], meter_values text[]
		) ON COMMIT DROP`); err != nil {
		return st, fmt.Errorf("create registry staging table: %w", err)
	}
	src := pgx.CopyFromFunc(func() ([]any, error) {
		r, err := next()
		if r == nil || err != nil {
			return nil, err
		}
		st.Rows++
		switch {
		case r.Problem != "":
			st.Invalid++
		case r.Warning != "":
			st.Warned++
		}
		if r.Problem == "" && len(r.MeterCodes) > 0 {
			st.WithMeters++
		}
		var raw, opID, acct, payer *string
		var opDate, paidAt, period *time.Time
		var amount, commission *int64
		var codes, values []string
		if r.Raw != "" && (r.Problem != "" || r.Warning != "") {
			raw = &r.Raw // other lines are found again in the stored file by line number
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
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"registry_stage"}, stageColumns, src); err != nil {
		return st, fmt.Errorf("stage registry rows: %w", err)
	}
	return st, nil
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

// accountsByNumber is the account match: a number must name exactly one
// account (of the registry's organization when it has one), open on the
// payment date.
const accountsByNumber = `(SELECT number, min(id) AS id, count(*) AS n, max(closed_on) AS closed_on
	FROM accounts WHERE $2::bigint IS NULL OR org_id = $2 GROUP BY number)`

// PostStagedRegistry merges the staged rows of registry id into payments,
// set-based, inside the caller's transaction: accounts are matched by
// number (within orgID when set), unknown, ambiguous or closed accounts and
// invalid lines go to quarantine, operations already posted under source
// (bank) are flagged as duplicates, the rest become payments, and their
// meter readings become readings with source 'bank'. A clean file (every
// valid line posted) skips the classification pass.
func PostStagedRegistry(ctx context.Context, tx pgx.Tx, id int64, source string, orgID *int64, st StageStats) (PostResult, error) {
	var res PostResult
	posted, err := insertStagedPayments(ctx, tx, id, source, orgID)
	if err != nil {
		return res, err
	}
	res.Posted = posted
	valid := st.Rows - st.Invalid
	if res.Posted == valid {
		res.Quarantined, res.Warned = st.Invalid, st.Warned
		if st.Invalid > 0 {
			if _, err := tx.Exec(ctx, `
				INSERT INTO registry_issues (registry_id, line, raw, kind, reason, operation_id, operation_date, paid_at,
					account_number, period, amount, commission, payer_name)
				SELECT $1, line, coalesce(raw, ''), 'invalid', problem, operation_id, operation_date, paid_at,
					account_number, period, amount, commission, payer_name
				FROM registry_stage WHERE problem <> ''`, id); err != nil {
				return res, fmt.Errorf("post registry %d: quarantine rows: %w", id, err)
			}
		}
		if st.Warned > 0 {
			if _, err := tx.Exec(ctx, `
				INSERT INTO registry_issues (registry_id, line, raw, kind, reason, state, operation_id, operation_date,
					account_number, amount, commission, payer_name)
				SELECT $1, line, coalesce(raw, ''), 'warning', warning, 'info', operation_id, operation_date,
					account_number, amount, commission, payer_name
				FROM registry_stage WHERE problem = '' AND warning <> ''
				ORDER BY line LIMIT $2`, id, maxWarningIssues); err != nil {
				return res, fmt.Errorf("post registry %d: record warnings: %w", id, err)
			}
		}
	} else if err := classifyUnposted(ctx, tx, id, source, orgID, &res); err != nil {
		return res, err
	}
	if st.WithMeters > 0 {
		n, err := postReadings(ctx, tx, id, source)
		if err != nil {
			return res, err
		}
		res.Readings = n
	}
	return res, nil
}

// postPaymentsSQL inserts the staged lines whose account matches and whose
// operation is not yet posted under the bank ($1). The account join is the
// reference check (payments has no per-row foreign-key trigger, migration
// 00700). %s is the conflict clause.
const postPaymentsSQL = `
	INSERT INTO payments (source, operation_id, operation_date, paid_at, account_id, period, amount, commission,
		payer_name, registry_id, registry_line)
	SELECT $1, s.operation_id, s.operation_date, s.paid_at, a.id,
		s.period, s.amount, s.commission, coalesce(s.payer_name, ''), $3, s.line
	FROM registry_stage s JOIN ` + accountsByNumber + ` a ON a.number = s.account_number
	WHERE s.problem = '' AND a.n = 1 AND (a.closed_on IS NULL OR a.closed_on >= s.operation_date)
		AND NOT EXISTS (SELECT FROM payments p
			WHERE p.source = $1 AND p.operation_id = s.operation_id AND p.operation_date = s.operation_date)
	%s`

// insertStagedPayments posts the staged lines and returns how many became
// payments. The anti-join makes a plain insert enough, which PostgreSQL
// does at about half the cost of ON CONFLICT's speculative insertion. An
// operation repeated within the file, or posted meanwhile by another
// transaction, fails it with a unique violation; then, the savepoint rolled
// back, ON CONFLICT DO NOTHING does the work (the staged lines are read in
// file order, so the first line of a repeated operation is posted and
// classification flags the others as duplicates). Clean files, the bulk of
// the traffic, take the fast path without sorting a million rows.
func insertStagedPayments(ctx context.Context, tx pgx.Tx, id int64, source string, orgID *int64) (int, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("post registry %d: %w", id, err)
	}
	tag, err := sp.Exec(ctx, fmt.Sprintf(postPaymentsSQL, ""), source, orgID, id)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return 0, fmt.Errorf("post registry %d: %w", id, err)
		}
		return int(tag.RowsAffected()), nil
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return 0, fmt.Errorf("post registry %d: insert payments: %w (rollback: %v)", id, err, rerr)
	}
	if !isUniqueViolation(err) {
		return 0, fmt.Errorf("post registry %d: insert payments: %w", id, err)
	}
	tag, err = tx.Exec(ctx, fmt.Sprintf(postPaymentsSQL, "ON CONFLICT (source, operation_id, operation_date) DO NOTHING"),
		source, orgID, id)
	if err != nil {
		return 0, fmt.Errorf("post registry %d: insert payments: %w", id, err)
	}
	return int(tag.RowsAffected()), nil
}

// classifyUnposted explains, set-based, every staged line that did not
// become a payment: invalid, unknown/ambiguous/closed account, or a
// duplicate of a payment posted earlier (from this file or another).
func classifyUnposted(ctx context.Context, tx pgx.Tx, id int64, source string, orgID *int64, res *PostResult) error {
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE registry_classified ON COMMIT DROP AS
		SELECT s.*, p.id AS duplicate_of,
			CASE WHEN s.problem <> '' THEN 'invalid'
			     WHEN p.registry_id = $3 AND p.registry_line = s.line THEN 'ok'
			     WHEN a.n IS NULL THEN 'unknown_account'
			     WHEN a.n > 1 THEN 'ambiguous_account'
			     WHEN a.closed_on < s.operation_date THEN 'closed_account'
			     WHEN p.id IS NOT NULL THEN 'duplicate'
			     ELSE 'unposted' END AS verdict
		FROM registry_stage s
		LEFT JOIN `+accountsByNumber+` a ON a.number = s.account_number
		LEFT JOIN payments p ON p.source = $1 AND p.operation_id = s.operation_id AND p.operation_date = s.operation_date`,
		source, orgID, id); err != nil {
		return fmt.Errorf("post registry %d: classify rows: %w", id, err)
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
			meter_codes, meter_values::numeric[], CASE WHEN verdict = 'duplicate' THEN duplicate_of END
		FROM registry_classified WHERE verdict NOT IN ('ok', 'unposted')`, id); err != nil {
		return fmt.Errorf("post registry %d: quarantine rows: %w", id, err)
	}
	var unposted int
	if err := tx.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE verdict = 'duplicate'),
		       count(*) FILTER (WHERE verdict NOT IN ('ok', 'duplicate', 'unposted')),
		       count(*) FILTER (WHERE verdict = 'ok' AND warning <> ''),
		       count(*) FILTER (WHERE verdict = 'unposted')
		FROM registry_classified`).Scan(&res.Duplicates, &res.Quarantined, &res.Warned, &unposted); err != nil {
		return fmt.Errorf("post registry %d: count issues: %w", id, err)
	}
	if unposted > 0 {
		// A line neither posted nor explained: a concurrent change; retry.
		return fmt.Errorf("post registry %d: %d lines were neither posted nor quarantined", id, unposted)
	}
	if res.Warned > 0 {
		if _, err := tx.Exec(ctx, `
			INSERT INTO registry_issues (registry_id, line, raw, kind, reason, state, operation_id, operation_date,
				account_number, amount, commission, payer_name)
			SELECT $1, line, coalesce(raw, ''), 'warning', warning, 'info', operation_id, operation_date,
				account_number, amount, commission, payer_name
			FROM registry_classified WHERE verdict = 'ok' AND warning <> ''
			ORDER BY line LIMIT $2`, id, maxWarningIssues); err != nil {
			return fmt.Errorf("post registry %d: record warnings: %w", id, err)
		}
	}
	return nil
}

// postReadings turns the meter readings of posted lines into readings. A
// meter is found by its number among the account's meters (or, for meters
// not tied to an account, the premises'). Readings naming no known meter
// are kept as warnings.
func postReadings(ctx context.Context, tx pgx.Tx, id int64, source string) (int, error) {
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE registry_readings ON COMMIT DROP AS
		SELECT s.line, s.operation_date, s.account_number, r.code, r.value,
			(SELECT m.id FROM meters m
			 WHERE m.number = r.code AND (m.account_id = a.id OR (m.account_id IS NULL AND m.premises_id = a.premises_id))
			 ORDER BY m.account_id NULLS LAST, m.id LIMIT 1) AS meter_id
		FROM registry_stage s
		JOIN payments p ON p.source = $1 AND p.operation_id = s.operation_id AND p.operation_date = s.operation_date
		     AND p.registry_id = $2 AND p.registry_line = s.line
		JOIN accounts a ON a.id = p.account_id
		CROSS JOIN LATERAL unnest(s.meter_codes, s.meter_values) AS r(code, value)
		WHERE s.problem = '' AND cardinality(s.meter_codes) > 0`, source, id); err != nil {
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
