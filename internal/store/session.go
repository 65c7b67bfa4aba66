package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Session is a server-side login session of a staff user or a resident.
type Session struct {
	TokenHash   []byte
	SubjectKind string // "staff" or "resident"
	SubjectID   int64
	CSRFToken   string
	CreatedAt   time.Time
	LastSeenAt  time.Time
	ExpiresAt   time.Time
}

// CreateSession stores a new session.
func CreateSession(ctx context.Context, db DBTX, s Session) error {
	_, err := db.Exec(ctx, `
		INSERT INTO sessions (token_hash, subject_kind, subject_id, csrf_token, expires_at, created_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), COALESCE($6, now()))`,
		s.TokenHash, s.SubjectKind, s.SubjectID, s.CSRFToken, s.ExpiresAt, orNull(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// TouchSession returns the live session with tokenHash and records the
// visit at now. A session unseen for longer than idle, or past its absolute
// expiry, is deleted and reported NotFound.
func TouchSession(ctx context.Context, db DBTX, tokenHash []byte, idle time.Duration, now time.Time) (Session, error) {
	var s Session
	err := db.QueryRow(ctx, `
		UPDATE sessions SET last_seen_at = $3
		WHERE token_hash = $1 AND expires_at > $3 AND last_seen_at > $3 - make_interval(secs => $2)
		RETURNING token_hash, subject_kind, subject_id, csrf_token, created_at, last_seen_at, expires_at`,
		tokenHash, idle.Seconds(), now).Scan(&s.TokenHash, &s.SubjectKind, &s.SubjectID, &s.CSRFToken,
		&s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		_, _ = db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
		return s, apperr.E(apperr.NotFound, "find session", "session expired or unknown")
	}
	if err != nil {
		return s, fmt.Errorf("find session: %w", err)
	}
	return s, nil
}

// DeleteSession ends one session.
func DeleteSession(ctx context.Context, db DBTX, tokenHash []byte) error {
	if _, err := db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSubjectSessions ends every session of one staff user or resident
// ("log out everywhere") and returns how many there were.
func DeleteSubjectSessions(ctx context.Context, db DBTX, kind string, id int64) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2`, kind, id)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of %s %d: %w", kind, id, err)
	}
	return tag.RowsAffected(), nil
}

// DeleteOtherSessions ends every session of one staff user or resident except
// the one with keepHash (after a password or e-mail change, whoever knew the
// old secret is logged out; the person who changed it stays in).
func DeleteOtherSessions(ctx context.Context, db DBTX, kind string, id int64, keepHash []byte) (int64, error) {
	tag, err := db.Exec(ctx, `
		DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2 AND token_hash IS DISTINCT FROM $3`, kind, id, keepHash)
	if err != nil {
		return 0, fmt.Errorf("delete other sessions of %s %d: %w", kind, id, err)
	}
	return tag.RowsAffected(), nil
}

// SetFlash stores a one-time notice in a session; the next page shows it.
func SetFlash(ctx context.Context, db DBTX, tokenHash []byte, msg string) error {
	if _, err := db.Exec(ctx, `UPDATE sessions SET flash = $2 WHERE token_hash = $1`, tokenHash, msg); err != nil {
		return fmt.Errorf("set flash: %w", err)
	}
	return nil
}

// TakeFlash returns and clears a session's one-time notice ("" when none).
func TakeFlash(ctx context.Context, db DBTX, tokenHash []byte) (string, error) {
	var msg *string
	err := db.QueryRow(ctx, `
		UPDATE sessions s SET flash = NULL FROM (SELECT token_hash, flash FROM sessions WHERE token_hash = $1 FOR UPDATE) old
		WHERE s.token_hash = old.token_hash RETURNING old.flash`, tokenHash).Scan(&msg)
	if errors.Is(err, pgx.ErrNoRows) || msg == nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("take flash: %w", err)
	}
	return *msg, nil
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle
// longer than idle, and returns how many were removed. It also drops limiter
// counters older than a day (the hourly cleanup job calls it).
func DeleteExpiredSessions(ctx context.Context, db DBTX, idle time.Duration) (int64, error) {
	if err := deleteStaleLimiters(ctx, db); err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, `
		DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)`,
		idle.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ServerSecret returns the server-wide secret called name, creating it from
// candidate (random bytes, at least 32) the first time; every process of the
// installation then shares it.
func ServerSecret(ctx context.Context, db DBTX, name string, candidate []byte) ([]byte, error) {
	var v []byte
	err := db.QueryRow(ctx, `
		WITH ins AS (INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM server_secrets WHERE name = $1 LIMIT 1`, name, candidate).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("server secret %s: %w", name, err)
	}
	return v, nil
}

// orNull is nil for the zero time (the database's now() then applies).
func orNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
