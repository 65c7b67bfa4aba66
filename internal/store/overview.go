package store

import (
	"context"
	"fmt"
)

// Overview counts what the settlement center holds, for the admin dashboard.
type Overview struct {
	Organizations, Houses, Premises, Accounts, Services int64
	Charges, PaymentDocuments, Payments, Meters         int64
	Readings, Residents, StaffUsers                     int64
	// PaymentsTotal is the sum of all payments in kopecks.
	PaymentsTotal int64
}

// LoadOverview counts rows. Large tables use the planner's estimate when it
// exceeds a million rows, so the dashboard stays fast on big centers.
func LoadOverview(ctx context.Context, db DBTX) (Overview, error) {
	var o Overview
	targets := []struct {
		table string
		dst   *int64
	}{
		{"organizations", &o.Organizations}, {"houses", &o.Houses}, {"premises", &o.Premises},
		{"accounts", &o.Accounts}, {"services", &o.Services}, {"charges", &o.Charges},
		{"payment_documents", &o.PaymentDocuments}, {"payments", &o.Payments}, {"meters", &o.Meters},
		{"readings", &o.Readings}, {"residents", &o.Residents}, {"staff_users", &o.StaffUsers},
	}
	for _, tg := range targets {
		var estimate float64
		if err := db.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, tg.table).Scan(&estimate); err != nil {
			return o, fmt.Errorf("overview %s: %w", tg.table, err)
		}
		if estimate > 1e6 {
			*tg.dst = int64(estimate)
			continue
		}
		// The table name comes from the fixed list above, never from input.
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+tg.table).Scan(tg.dst); err != nil {
			return o, fmt.Errorf("overview %s: %w", tg.table, err)
		}
	}
	if err := db.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM payments`).Scan(&o.PaymentsTotal); err != nil {
		return o, fmt.Errorf("overview payments total: %w", err)
	}
	return o, nil
}
