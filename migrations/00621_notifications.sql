-- +goose Up
-- Notifications: a kind, a deduplication key (one notification per resident, kind and key, so
-- a job run twice never doubles one), staff broadcasts, per-account e-mail settings, and the
-- e-mail deliveries the notify_mail job works through.

ALTER TABLE notifications
    ADD COLUMN kind        text NOT NULL DEFAULT 'message'
        CHECK (kind IN ('payment', 'document', 'reading_window', 'due_soon', 'verification', 'request', 'broadcast', 'message')),
    ADD COLUMN dedup_key   text,
    ADD COLUMN request_id  bigint REFERENCES requests (id) ON DELETE SET NULL;
UPDATE notifications SET kind = 'payment' WHERE subject = 'Платёж получен';
CREATE UNIQUE INDEX notifications_dedup_idx ON notifications (resident_id, kind, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX notifications_unread_idx ON notifications (resident_id) WHERE read_at IS NULL;

-- What staff posted: to a house, an organization or everyone.
CREATE TABLE notification_broadcasts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff_users (id),
    scope       text NOT NULL CHECK (scope IN ('house', 'org', 'all')),
    house_id    bigint REFERENCES houses (id),
    org_id      bigint REFERENCES organizations (id),
    subject     text NOT NULL CHECK (subject <> ''),
    body        text NOT NULL DEFAULT '',
    recipients  integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'house') = (house_id IS NOT NULL) AND (scope = 'org') = (org_id IS NOT NULL))
);

-- Which kinds a resident wants by e-mail, per linked account; no row means no e-mail.
CREATE TABLE notification_settings (
    resident_id  bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    kind         text NOT NULL
        CHECK (kind IN ('payment', 'document', 'reading_window', 'due_soon', 'verification', 'request', 'broadcast')),
    email        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (resident_id, account_id, kind)
);

-- One e-mail per notification the settings asked for. A delivery is claimed ('sending') and
-- committed before the letter leaves, so a crash mid-send leaves it 'sending' and it is never
-- sent again; a refused send goes back to 'failed' with a later next_attempt_at.
CREATE TABLE notification_emails (
    notification_id  bigint PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    email            text NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'given_up')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text NOT NULL DEFAULT '',
    sent_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_emails_due_idx ON notification_emails (next_attempt_at) WHERE state IN ('pending', 'failed');

-- +goose Down
DROP TABLE notification_emails, notification_settings, notification_broadcasts;
DROP INDEX notifications_dedup_idx, notifications_unread_idx;
ALTER TABLE notifications DROP COLUMN kind, DROP COLUMN dedup_key, DROP COLUMN request_id;
