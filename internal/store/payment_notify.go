package store

import (
	"context"
	"fmt"
)

// NotifyRegistryPayments writes one cabinet notification per payment of
// registry id and resident linked to the paid account, in Russian (it is
// shown to residents). It returns how many were written.
func NotifyRegistryPayments(ctx context.Context, db DBTX, registryID int64) (int, error) {
	tag, err := db.Exec(ctx, `
		INSERT INTO notifications (resident_id, account_id, channel, subject, body)
		SELECT ra.resident_id, p.account_id, 'cabinet', 'Платёж получен',
			format('Платёж %s ₽ от %s по лицевому счёту %s зачислен.',
				replace(to_char(p.amount / 100.0, 'FM999999999990.00'), '.', ','),
				to_char(p.operation_date, 'DD.MM.YYYY'), a.number)
		FROM payments p
		JOIN accounts a ON a.id = p.account_id
		JOIN resident_accounts ra ON ra.account_id = p.account_id
		WHERE p.registry_id = $1`, registryID)
	if err != nil {
		return 0, fmt.Errorf("notify payments of registry %d: %w", registryID, err)
	}
	return int(tag.RowsAffected()), nil
}
