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

// DeleteExpiredSessions removes sessions past their absolute expiry or idle
// longer than idle, and returns how many were removed.
func DeleteExpiredSessions(ctx context.Context, db DBTX, idle time.Duration) (int64, error) {
	tag, err := db.Exec(ctx, `
		DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)`,
		idle.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// orNull is nil for the zero time (the database's now() then applies).
func orNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
