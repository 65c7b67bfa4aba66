package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Balance is what an account owes now.
type Balance struct {
	AccountID int64
	// AsOfPeriod is the period of the latest payment document; nil without one.
	AsOfPeriod *time.Time
	// DocumentTotal is that document's total due, in kopecks.
	DocumentTotal int64
	// PaidSince is what was paid after that document's month, in kopecks.
	PaidSince int64
	// Balance is DocumentTotal - PaidSince: positive is debt, negative an advance.
	Balance   int64
	UpdatedAt time.Time
}

// refreshBalancesSQL recomputes account_balances for the accounts chosen by
// its WHERE clause; a payment document counts payments made in its own month,
// so payments from the month after its period on are "paid since".
const refreshBalancesSQL = refreshBalancesHead + `
	WHERE a.id IN (SELECT account_id FROM payments WHERE registry_id = $1)` + refreshBalancesTail

// refreshBalancesHead and refreshBalancesTail surround the WHERE clause
// choosing the accounts to refresh.
const refreshBalancesHead = `
	INSERT INTO account_balances (account_id, as_of_period, document_total, paid_since, balance, updated_at)
	SELECT a.id, d.period, coalesce(d.total_due, 0), coalesce(p.paid, 0), coalesce(d.total_due, 0) - coalesce(p.paid, 0), now()
	FROM accounts a
	LEFT JOIN LATERAL (
		SELECT period, total_due FROM payment_documents
		WHERE account_id = a.id AND state <> 'withdrawn' ORDER BY period DESC LIMIT 1) d ON true
	LEFT JOIN LATERAL (
		SELECT sum(amount) AS paid FROM payments
		WHERE account_id = a.id AND (d.period IS NULL OR operation_date >= d.period + interval '1 month')) p ON true`

const refreshBalancesTail = `
	ON CONFLICT (account_id) DO UPDATE SET as_of_period = excluded.as_of_period, document_total = excluded.document_total,
		paid_since = excluded.paid_since, balance = excluded.balance, updated_at = excluded.updated_at`

// RefreshRegistryBalances recomputes the balances of every account paid in
// registry id, set-based, in the caller's transaction, and returns how many
// accounts it refreshed.
func RefreshRegistryBalances(ctx context.Context, db DBTX, registryID int64) (int64, error) {
	tag, err := db.Exec(ctx, refreshBalancesSQL, registryID)
	if err != nil {
		return 0, fmt.Errorf("refresh balances of registry %d: %w", registryID, err)
	}
	return tag.RowsAffected(), nil
}

// AccountBalance returns the stored balance of an account; NotFound until
// the account's first refresh.
func AccountBalance(ctx context.Context, db DBTX, accountID int64) (Balance, error) {
	var b Balance
	err := db.QueryRow(ctx, `
		SELECT account_id, as_of_period, document_total, paid_since, balance, updated_at
		FROM account_balances WHERE account_id = $1`, accountID).
		Scan(&b.AccountID, &b.AsOfPeriod, &b.DocumentTotal, &b.PaidSince, &b.Balance, &b.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, apperr.E(apperr.NotFound, "account balance", fmt.Sprintf("no balance computed for account %d yet", accountID))
	}
	if err != nil {
		return b, fmt.Errorf("account balance %d: %w", accountID, err)
	}
	return b, nil
}

// ResidentBalance returns the balance of an account the resident has linked
// and proven; NotFound for any other account, and before the first refresh.
func ResidentBalance(ctx context.Context, db DBTX, residentID, accountID int64) (Balance, error) {
	var b Balance
	err := db.QueryRow(ctx, `
		SELECT b.account_id, b.as_of_period, b.document_total, b.paid_since, b.balance, b.updated_at
		FROM account_balances b
		JOIN resident_accounts ra ON ra.account_id = b.account_id AND ra.resident_id = $1 AND ra.verified_at IS NOT NULL
		WHERE b.account_id = $2`, residentID, accountID).
		Scan(&b.AccountID, &b.AsOfPeriod, &b.DocumentTotal, &b.PaidSince, &b.Balance, &b.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, apperr.E(apperr.NotFound, "account balance", "no balance for this account")
	}
	if err != nil {
		return b, fmt.Errorf("account balance %d: %w", accountID, err)
	}
	return b, nil
}
