-- +goose Up
-- Attempts are counted by limiter_counters (00400), reserved before a secret is checked; the old log of attempts,
-- counted after the check, is no longer written or read.
DROP TABLE cabinet_attempts;

-- +goose Down
CREATE TABLE cabinet_attempts (
    key  text NOT NULL,
    at   timestamptz NOT NULL DEFAULT now(),
    ok   boolean NOT NULL
);
CREATE INDEX cabinet_attempts_key_idx ON cabinet_attempts (key, at);
