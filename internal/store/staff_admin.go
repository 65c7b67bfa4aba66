package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// ListStaffUsers lists every staff user by login (password hashes left out).
func ListStaffUsers(ctx context.Context, db DBTX) ([]StaffUser, error) {
	rows, err := db.Query(ctx, `SELECT id, login, display_name, '', role, created_at, disabled_at IS NOT NULL
		FROM staff_users ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list staff users: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StaffUser, error) {
		var u StaffUser
		err := r.Scan(&u.ID, &u.Login, &u.DisplayName, &u.PasswordHash, &u.Role, &u.CreatedAt, &u.Disabled)
		return u, err
	})
}

// SetStaffRole changes a staff user's role. The last active administrator
// keeps the role, so the console always has someone to manage staff.
func SetStaffRole(ctx context.Context, db DBTX, id int64, role string) error {
	tag, err := db.Exec(ctx, `
		UPDATE staff_users SET role = $2 WHERE id = $1
			AND ($2 = 'admin' OR role <> 'admin'
				OR EXISTS (SELECT 1 FROM staff_users o WHERE o.id <> $1 AND o.role = 'admin' AND o.disabled_at IS NULL))`, id, role)
	if err != nil {
		return fmt.Errorf("set role of staff user %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := StaffUserByID(ctx, db, id); err != nil {
			return err
		}
		return apperr.E(apperr.Conflict, "set staff role", "это последний администратор: роль не изменена")
	}
	return nil
}

// SetStaffBlocked blocks (or unblocks) a staff user; blocking ends every
// session of the user. The last active administrator cannot be blocked.
func SetStaffBlocked(ctx context.Context, db DBTX, id int64, blocked bool) error {
	tag, err := db.Exec(ctx, `
		WITH u AS (
			UPDATE staff_users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE id = $1
				AND (NOT $2 OR role <> 'admin'
					OR EXISTS (SELECT 1 FROM staff_users o WHERE o.id <> $1 AND o.role = 'admin' AND o.disabled_at IS NULL))
			RETURNING id),
		gone AS (DELETE FROM sessions s USING u WHERE $2 AND s.subject_kind = 'staff' AND s.subject_id = u.id)
		SELECT 1 FROM u`, id, blocked)
	if err != nil {
		return fmt.Errorf("block staff user %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := StaffUserByID(ctx, db, id); err != nil {
			return err
		}
		return apperr.E(apperr.Conflict, "block staff user", "это последний администратор: его нельзя заблокировать")
	}
	return nil
}
