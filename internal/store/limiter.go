package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Limit bounds the attempts made under one limiter key.
type Limit struct {
	// Max is how many attempts a window allows.
	Max int
	// Window is the counting window; it starts at the first attempt.
	Window time.Duration
	// Block is how long the key is refused after its Max-th attempt; zero refuses it until the
	// window ends (a plain rate limit), non-zero makes a lockout of that length.
	Block time.Duration
}

// Reservation is the answer of ReserveAttempt.
type Reservation struct {
	// Allowed tells whether the attempt may go on (the secret may be checked).
	Allowed bool
	// Hits counts the attempts of the current window, this one included, when Allowed.
	Hits int
	// NewWindow is true when this attempt opened a new window (the key's first attempt in it),
	// even if attempts of the window were released since.
	NewWindow bool
	// RetryAfter is how long the key stays refused, when not Allowed.
	RetryAfter time.Duration
}

// ReserveAttempt counts one attempt under key before the secret is checked, atomically: the
// row's lock serializes parallel attempts, so no more than l.Max of them are ever allowed in a
// window, however many arrive at once. now is the caller's clock (tests inject one).
func ReserveAttempt(ctx context.Context, db DBTX, key string, l Limit, now time.Time) (Reservation, error) {
	if l.Max < 1 || l.Window <= 0 {
		return Reservation{}, fmt.Errorf("reserve attempt %s: limit %+v: want Max >= 1 and a Window", key, l)
	}
	var res Reservation
	// fresh: the stored window has ended, or its block has run out; the attempt starts a new window.
	err := db.QueryRow(ctx, `
		INSERT INTO limiter_counters AS c (key, window_start, hits, blocked_until)
		VALUES ($1, $5::timestamptz, 1, CASE WHEN $2::int <= 1 THEN
		    CASE WHEN $4::float8 > 0 THEN $5::timestamptz + make_interval(secs => $4) ELSE $5::timestamptz + make_interval(secs => $3) END END)
		ON CONFLICT (key) DO UPDATE SET
		    window_start = CASE WHEN c.window_start <= $5::timestamptz - make_interval(secs => $3) OR c.blocked_until <= $5::timestamptz
		        THEN $5::timestamptz ELSE c.window_start END,
		    hits = CASE WHEN c.window_start <= $5::timestamptz - make_interval(secs => $3) OR c.blocked_until <= $5::timestamptz
		        THEN 1 ELSE c.hits + 1 END,
		    blocked_until = CASE
		        WHEN c.window_start <= $5::timestamptz - make_interval(secs => $3) OR c.blocked_until <= $5::timestamptz THEN
		            CASE WHEN $2::int <= 1 THEN CASE WHEN $4::float8 > 0 THEN $5::timestamptz + make_interval(secs => $4) ELSE $5::timestamptz + make_interval(secs => $3) END END
		        WHEN c.hits + 1 >= $2::int THEN
		            CASE WHEN $4::float8 > 0 THEN $5::timestamptz + make_interval(secs => $4) ELSE c.window_start + make_interval(secs => $3) END
		        END
		WHERE c.window_start <= $5::timestamptz - make_interval(secs => $3) OR c.blocked_until <= $5::timestamptz
		   OR (c.hits < $2::int AND c.blocked_until IS NULL)
		RETURNING hits, window_start = $5::timestamptz`,
		key, l.Max, l.Window.Seconds(), l.Block.Seconds(), now).Scan(&res.Hits, &res.NewWindow)
	if err == nil {
		res.Allowed = true
		return res, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("reserve attempt %s: %w", key, err)
	}
	var until time.Time
	if err := db.QueryRow(ctx, `
		SELECT coalesce(blocked_until, window_start + make_interval(secs => $2)) FROM limiter_counters WHERE key = $1`,
		key, l.Window.Seconds()).Scan(&until); err != nil {
		return res, fmt.Errorf("reserve attempt %s: %w", key, err)
	}
	res.RetryAfter = max(until.Sub(now), time.Second)
	return res, nil
}

// ReleaseAttempt gives back an attempt reserved under key that turned out to be legitimate (the
// right password): it no longer counts towards the lockout.
func ReleaseAttempt(ctx context.Context, db DBTX, key string, l Limit) error {
	if _, err := db.Exec(ctx, `
		UPDATE limiter_counters SET hits = greatest(hits - 1, 0),
		    blocked_until = CASE WHEN hits - 1 < $2 THEN NULL ELSE blocked_until END
		WHERE key = $1`, key, l.Max); err != nil {
		return fmt.Errorf("release attempt %s: %w", key, err)
	}
	return nil
}

// ResetLimiter forgets every attempt under key (an administrator lifts a lockout, a password
// reset by e-mail proves the owner).
func ResetLimiter(ctx context.Context, db DBTX, key string) error {
	if _, err := db.Exec(ctx, `DELETE FROM limiter_counters WHERE key = $1`, key); err != nil {
		return fmt.Errorf("reset limiter %s: %w", key, err)
	}
	return nil
}

// LimiterHits returns the attempts counted under key in its current window (zero when none).
func LimiterHits(ctx context.Context, db DBTX, key string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT hits FROM limiter_counters WHERE key = $1`, key).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("limiter hits %s: %w", key, err)
	}
	return n, nil
}

// deleteStaleLimiters drops counters whose window started over a day ago and that are not blocked.
func deleteStaleLimiters(ctx context.Context, db DBTX) error {
	if _, err := db.Exec(ctx, `
		DELETE FROM limiter_counters
		WHERE window_start < now() - interval '1 day' AND (blocked_until IS NULL OR blocked_until < now())`); err != nil {
		return fmt.Errorf("delete stale limiter counters: %w", err)
	}
	return nil
}
