-- +goose Up
-- Residents' cabinet: local credentials beside ESIA identity, one-time e-mail tokens, ESIA login
-- states, attempt counters for lockouts and rate limits, and the captured mail of demos and tests.

ALTER TABLE residents
    ADD COLUMN password_hash       text,
    ADD COLUMN email_confirmed_at  timestamptz,
    ADD COLUMN consent_at          timestamptz,
    ADD COLUMN failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    ADD COLUMN locked_until        timestamptz,
    ADD COLUMN last_login_at       timestamptz;

-- One-time links sent by e-mail: confirm the address, reset the password, confirm a new address.
-- Only the SHA-256 of the token is kept.
CREATE TABLE resident_tokens (
    token_hash   bytea PRIMARY KEY,
    resident_id  bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    purpose      text NOT NULL CHECK (purpose IN ('confirm_email', 'reset_password', 'change_email')),
    new_email    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX resident_tokens_resident_idx ON resident_tokens (resident_id);

-- An ESIA login in flight: the state sent to ESIA, bound to the browser that started it (hash of
-- a cookie) and used at most once.
CREATE TABLE esia_login_states (
    state        uuid PRIMARY KEY,
    browser_hash bytea NOT NULL,
    -- Set when a logged-in resident binds ESIA to an existing cabinet.
    resident_id  bigint REFERENCES residents (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);

-- Attempts counted for lockouts and rate limits, keyed like 'link:resident:42', 'reading:ip:127.0.0.1'.
CREATE TABLE cabinet_attempts (
    key  text NOT NULL,
    at   timestamptz NOT NULL DEFAULT now(),
    ok   boolean NOT NULL
);
CREATE INDEX cabinet_attempts_key_idx ON cabinet_attempts (key, at);

-- Mail kept by the capturing mailer (demo and tests) instead of being sent; shown in the admin console.
CREATE TABLE captured_mail (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    recipient   text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL
);

-- +goose Down
DROP TABLE captured_mail, cabinet_attempts, esia_login_states, resident_tokens;
ALTER TABLE residents
    DROP COLUMN password_hash, DROP COLUMN email_confirmed_at, DROP COLUMN consent_at,
    DROP COLUMN failed_logins, DROP COLUMN locked_until, DROP COLUMN last_login_at;
