package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Issue kinds.
const (
	IssueInvalid          = "invalid"
	IssueUnknownAccount   = "unknown_account"
	IssueClosedAccount    = "closed_account"
	IssueAmbiguousAccount = "ambiguous_account"
	IssueDuplicate        = "duplicate"
	IssueWarning          = "warning"
)

// Issue states.
const (
	IssueOpen      = "open"
	IssueApplied   = "applied"
	IssueDiscarded = "discarded"
	IssueInfo      = "info"
)

// RegistryIssue is a registry line that was not posted (quarantine or
// duplicate) or was posted with a warning.
type RegistryIssue struct {
	ID            int64
	RegistryID    int64
	Line          int
	Raw           string
	Kind          string
	Reason        string
	State         string
	OperationID   *string
	OperationDate *time.Time
	AccountNumber *string
	Amount        *int64
	PayerName     *string
	DuplicateOf   *int64
	PaymentID     *int64
	ResolvedBy    *int64
	ResolvedAt    *time.Time
	Resolution    string
}

// Fixable reports whether an operator can post the line by fixing its
// account: only lines that were read completely qualify.
func (i RegistryIssue) Fixable() bool {
	return i.State == IssueOpen && (i.Kind == IssueUnknownAccount || i.Kind == IssueClosedAccount || i.Kind == IssueAmbiguousAccount)
}

const issueSelect = `
	SELECT id, registry_id, line, raw, kind, reason, state, operation_id, operation_date, account_number, amount,
		payer_name, duplicate_of, payment_id, resolved_by, resolved_at, resolution
	FROM registry_issues`

func scanIssue(row pgx.Row) (RegistryIssue, error) {
	var i RegistryIssue
	err := row.Scan(&i.ID, &i.RegistryID, &i.Line, &i.Raw, &i.Kind, &i.Reason, &i.State, &i.OperationID,
		&i.OperationDate, &i.AccountNumber, &i.Amount, &i.PayerName, &i.DuplicateOf, &i.PaymentID, &i.ResolvedBy,
		&i.ResolvedAt, &i.Resolution)
	return i, err
}

// IssueFilter narrows ListRegistryIssues.
type IssueFilter struct {
	RegistryID int64  // 0: all registries
	State      string // "" for all
	Limit      int    // default 200
}

// ListRegistryIssues lists issues by registry and line.
func ListRegistryIssues(ctx context.Context, db DBTX, f IssueFilter) ([]RegistryIssue, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	rows, err := db.Query(ctx, issueSelect+`
		WHERE ($1 = 0 OR registry_id = $1) AND ($2 = '' OR state = $2)
		ORDER BY registry_id DESC, line LIMIT $3`, f.RegistryID, f.State, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list registry issues: %w", err)
	}
	defer rows.Close()
	var out []RegistryIssue
	for rows.Next() {
		i, err := scanIssue(rows)
		if err != nil {
			return nil, fmt.Errorf("list registry issues: %w", err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// GetRegistryIssue loads one issue; NotFound when there is none.
func GetRegistryIssue(ctx context.Context, db DBTX, id int64) (RegistryIssue, error) {
	i, err := scanIssue(db.QueryRow(ctx, issueSelect+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return i, apperr.E(apperr.NotFound, "load registry issue", fmt.Sprintf("no registry issue %d", id))
	}
	if err != nil {
		return i, fmt.Errorf("load registry issue %d: %w", id, err)
	}
	return i, nil
}

// IssuesWithoutRaw lists the lines of registry id whose issues have no
// raw text yet (lines judged in SQL were staged without it).
func IssuesWithoutRaw(ctx context.Context, db DBTX, id int64) ([]int, error) {
	rows, err := db.Query(ctx, `SELECT DISTINCT line FROM registry_issues WHERE registry_id = $1 AND raw = '' ORDER BY line`, id)
	if err != nil {
		return nil, fmt.Errorf("registry %d issues without text: %w", id, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("registry %d issues without text: %w", id, err)
	}
	return lines, nil
}

// SetIssueRaws fills in the raw text of registry id's issues at the given
// lines, in one statement.
func SetIssueRaws(ctx context.Context, db DBTX, id int64, lines []int, raws []string) error {
	if _, err := db.Exec(ctx, `
		UPDATE registry_issues i SET raw = v.raw
		FROM unnest($2::int[], $3::text[]) AS v(line, raw)
		WHERE i.registry_id = $1 AND i.line = v.line AND i.raw = ''`, id, lines, raws); err != nil {
		return fmt.Errorf("registry %d issue texts: %w", id, err)
	}
	return nil
}

// DiscardRegistryIssue closes an open issue without posting, with the
// operator's reason. The caller audits it in the same transaction.
func DiscardRegistryIssue(ctx context.Context, tx pgx.Tx, id, staffID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.Invalidf("discard registry line", "a reason is required")
	}
	tag, err := tx.Exec(ctx, `
		UPDATE registry_issues SET state = 'discarded', resolved_by = $2, resolved_at = now(), resolution = $3
		WHERE id = $1 AND state = 'open'`, id, staffID, reason)
	if err != nil {
		return fmt.Errorf("discard registry issue %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.E(apperr.Conflict, "discard registry line", "the line is not open (already applied or discarded?)")
	}
	return nil
}

// ApplyRegistryIssue posts a quarantined line with a (possibly corrected)
// account number: "" keeps the number the bank sent, for when the account
// has been created since. orgINN, when given, picks the organization of a
// number several organizations share. The account must exist (uniquely)
// and be open on the payment date. It returns the new payment id; the
// caller audits it in the same transaction.
func ApplyRegistryIssue(ctx context.Context, tx pgx.Tx, id, staffID int64, accountNumber, orgINN string) (int64, error) {
	const op = "apply registry line"
	i, err := scanIssue(tx.QueryRow(ctx, issueSelect+` WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.E(apperr.NotFound, op, fmt.Sprintf("no registry issue %d", id))
	}
	if err != nil {
		return 0, fmt.Errorf("%s %d: %w", op, id, err)
	}
	if !i.Fixable() {
		return 0, apperr.E(apperr.Conflict, op, fmt.Sprintf("line %d (%s, %s) cannot be applied", i.Line, i.Kind, i.State))
	}
	accountNumber = strings.TrimSpace(accountNumber)
	if accountNumber == "" {
		accountNumber = *i.AccountNumber
	}
	var orgID *int64
	var source string
	if err := tx.QueryRow(ctx, `SELECT org_id, bank FROM registries WHERE id = $1`, i.RegistryID).Scan(&orgID, &source); err != nil {
		return 0, fmt.Errorf("%s %d: %w", op, id, err)
	}
	orgINN = strings.TrimSpace(orgINN)
	rows, err := tx.Query(ctx, `
		SELECT a.id, a.closed_on FROM accounts a JOIN organizations o ON o.id = a.org_id
		WHERE a.number = $1 AND ($2::bigint IS NULL OR a.org_id = $2) AND ($3 = '' OR o.inn = $3) LIMIT 2`,
		accountNumber, orgID, orgINN)
	if err != nil {
		return 0, fmt.Errorf("%s %d: find account: %w", op, id, err)
	}
	type acct struct {
		ID     int64
		Closed *time.Time
	}
	accts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[acct])
	if err != nil {
		return 0, fmt.Errorf("%s %d: find account: %w", op, id, err)
	}
	switch {
	case len(accts) == 0:
		return 0, apperr.Invalidf(op, "no account %q", accountNumber)
	case len(accts) > 1:
		return 0, apperr.Invalidf(op, "account number %q belongs to several organizations: give the organization's INN", accountNumber)
	case accts[0].Closed != nil && accts[0].Closed.Before(*i.OperationDate):
		return 0, apperr.Invalidf(op, "account %q was closed on %s, before the payment", accountNumber, accts[0].Closed.Format("02.01.2006"))
	}
	var paymentID int64
	err = tx.QueryRow(ctx, `
		INSERT INTO payments (source, operation_id, operation_date, paid_at, account_id, period, amount, commission,
			payer_name, registry_id, registry_line)
		SELECT $2, operation_id, operation_date, paid_at, $3, period, amount, commission, coalesce(payer_name, ''),
			registry_id, line
		FROM registry_issues WHERE id = $1
		ON CONFLICT (source, operation_id, operation_date) DO NOTHING
		RETURNING id`, id, source, accts[0].ID).Scan(&paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.E(apperr.Conflict, op, fmt.Sprintf("operation %s was posted meanwhile", *i.OperationID))
	}
	if err != nil {
		return 0, fmt.Errorf("%s %d: %w", op, id, err)
	}
	if _, err := tx.Exec(ctx, `
		UPDATE registry_issues SET state = 'applied', payment_id = $2, account_number = $3, resolved_by = $4,
			resolved_at = now(), resolution = CASE WHEN $3 = $5 THEN 're-applied' ELSE 'account corrected from ' || $5 END
		WHERE id = $1`, id, paymentID, accountNumber, staffID, *i.AccountNumber); err != nil {
		return 0, fmt.Errorf("%s %d: %w", op, id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE registries SET rows_posted = rows_posted + 1 WHERE id = $1`, i.RegistryID); err != nil {
		return 0, fmt.Errorf("%s %d: %w", op, id, err)
	}
	return paymentID, nil
}
