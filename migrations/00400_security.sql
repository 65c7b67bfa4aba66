-- +goose Up
-- Security: atomic limiter counters (one row per key, reserved before a secret is checked, so
-- parallel attempts cannot all pass the check), a flash message per session (shown once, never
-- taken from the URL), and server secrets (the key that signs the cabinet's anonymous CSRF tokens).

CREATE TABLE limiter_counters (
    key            text PRIMARY KEY,
    window_start   timestamptz NOT NULL DEFAULT now(),
    hits           integer NOT NULL CHECK (hits >= 0),
    blocked_until  timestamptz
);
CREATE INDEX limiter_counters_window_idx ON limiter_counters (window_start);

ALTER TABLE sessions ADD COLUMN flash text;

CREATE TABLE server_secrets (
    name        text PRIMARY KEY,
    value       bytea NOT NULL CHECK (length(value) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE server_secrets;
ALTER TABLE sessions DROP COLUMN flash;
DROP TABLE limiter_counters;
