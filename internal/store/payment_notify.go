package store

import (
	"context"
	"fmt"
)

// NotifyRegistryPayments writes one cabinet notification per payment of
// registry id and resident linked to the paid account, in Russian (it is
// shown to residents), and queues its e-mail where the resident asked for
// payments by e-mail on that account. Each is keyed by the payment, so a
// rerun writes nothing twice. It returns how many were written.
func NotifyRegistryPayments(ctx context.Context, db DBTX, registryID int64) (int, error) {
	return insertNotifications(ctx, db, fmt.Sprintf("notify payments of registry %d", registryID), `
		SELECT ra.resident_id, p.account_id, 'payment', 'Платёж получен',
			format('Платёж %s ₽ от %s по лицевому счёту %s зачислен.',
				replace(to_char(p.amount / 100.0, 'FM999999999990.00'), '.', ','),
				to_char(p.operation_date, 'DD.MM.YYYY'), a.number),
			'payment:' || p.id, NULL::bigint
		FROM payments p
		JOIN accounts a ON a.id = p.account_id
		JOIN resident_accounts ra ON ra.account_id = p.account_id
		WHERE p.registry_id = $1`, registryID)
}
