package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// WithForeignKeysDeferred runs load inside tx with the foreign keys of the
// named tables dropped, then re-creates them. Re-creating validates every
// row in one set-based pass, which is an order of magnitude faster than the
// per-row checks COPY would otherwise fire (PostgreSQL's "Populating a
// Database" advice). If any row violates a key, the whole transaction fails.
func WithForeignKeysDeferred(ctx context.Context, tx pgx.Tx, tables []string, load func() error) error {
	rows, err := tx.Query(ctx, `
		SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)
		ORDER BY conrelid::regclass::text, conname`, tables)
	if err != nil {
		return fmt.Errorf("list foreign keys: %w", err)
	}
	type fk struct{ table, name, def string }
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		err := r.Scan(&f.table, &f.name, &f.def)
		return f, err
	})
	if err != nil {
		return fmt.Errorf("list foreign keys: %w", err)
	}
	for _, f := range fks {
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s",
			pgx.Identifier{f.table}.Sanitize(), pgx.Identifier{f.name}.Sanitize())); err != nil {
			return fmt.Errorf("drop foreign key %s: %w", f.name, err)
		}
	}
	if err := load(); err != nil {
		return err
	}
	for _, f := range fks {
		// The definition comes from pg_get_constraintdef, not from input.
		if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s",
			pgx.Identifier{f.table}.Sanitize(), pgx.Identifier{f.name}.Sanitize(), f.def)); err != nil {
			return fmt.Errorf("restore foreign key %s on %s: %w", f.name, f.table, err)
		}
	}
	return nil
}
