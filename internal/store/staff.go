package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// StaffUser is an operator or administrator of the settlement center.
type StaffUser struct {
	ID           int64
	Login        string
	DisplayName  string
	PasswordHash string
	Role         string // "admin" or "operator"
	CreatedAt    time.Time
	Disabled     bool
}

// CreateStaffUser inserts a staff user. A taken login is a Conflict.
func CreateStaffUser(ctx context.Context, db DBTX, u StaffUser) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO staff_users (login, display_name, password_hash, role)
		VALUES ($1, $2, $3, $4) RETURNING id`, u.Login, u.DisplayName, u.PasswordHash, u.Role).Scan(&id)
	if isUniqueViolation(err) {
		return 0, apperr.E(apperr.Conflict, "create staff user", fmt.Sprintf("login %q is taken", u.Login))
	}
	if err != nil {
		return 0, fmt.Errorf("create staff user %q: %w", u.Login, err)
	}
	return id, nil
}

// SetStaffPassword replaces the password hash of login and ends every session of
// that user (whoever knew the old password is logged out); unknown login is NotFound.
func SetStaffPassword(ctx context.Context, db DBTX, login, hash string) error {
	tag, err := db.Exec(ctx, `
		WITH u AS (UPDATE staff_users SET password_hash = $2 WHERE login = $1 RETURNING id),
		     gone AS (DELETE FROM sessions s USING u WHERE s.subject_kind = 'staff' AND s.subject_id = u.id)
		SELECT 1 FROM u`, login, hash)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", login, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "set password", fmt.Sprintf("no staff user %q", login))
	}
	return nil
}

// StaffUserByLogin finds a staff user; unknown login is NotFound.
func StaffUserByLogin(ctx context.Context, db DBTX, login string) (StaffUser, error) {
	return scanStaff(db.QueryRow(ctx, `
		SELECT id, login, display_name, password_hash, role, created_at, disabled_at IS NOT NULL
		FROM staff_users WHERE login = $1`, login))
}

// StaffUserByID finds a staff user by id; unknown id is NotFound.
func StaffUserByID(ctx context.Context, db DBTX, id int64) (StaffUser, error) {
	return scanStaff(db.QueryRow(ctx, `
		SELECT id, login, display_name, password_hash, role, created_at, disabled_at IS NOT NULL
		FROM staff_users WHERE id = $1`, id))
}

func scanStaff(row pgx.Row) (StaffUser, error) {
	var u StaffUser
	err := row.Scan(&u.ID, &u.Login, &u.DisplayName, &u.PasswordHash, &u.Role, &u.CreatedAt, &u.Disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, apperr.E(apperr.NotFound, "find staff user", "no such staff user")
	}
	if err != nil {
		return u, fmt.Errorf("find staff user: %w", err)
	}
	return u, nil
}
