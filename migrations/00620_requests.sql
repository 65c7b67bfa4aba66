-- +goose Up
-- Residents' requests (заявки): the categories of the cabinet, assignment to a staff user, a
-- deadline (overdue when passed unanswered), a timeline of status changes and staff answers, and
-- photo attachments kept in their own table (sniffed type, bounded size).

ALTER TABLE requests DROP CONSTRAINT requests_kind_check;
-- The older kinds stay valid for rows written before the cabinet's categories.
ALTER TABLE requests ADD CONSTRAINT requests_kind_check
    CHECK (kind IN ('emergency', 'complaint', 'appeal', 'paid_service', 'repair', 'recalculation', 'question', 'other'));
ALTER TABLE requests
    ADD COLUMN assigned_to  bigint REFERENCES staff_users (id),
    ADD COLUMN due_at       timestamptz NOT NULL DEFAULT now() + interval '10 days',
    ADD COLUMN closed_at    timestamptz;
CREATE INDEX requests_resident_idx ON requests (resident_id, created_at DESC);
CREATE INDEX requests_state_idx ON requests (state, due_at);
CREATE INDEX requests_account_idx ON requests (account_id);

-- The timeline: one row per event; state is set when the event changed it, answer when staff
-- answered, assigned_to when the request was assigned.
CREATE TABLE request_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id   bigint NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_kind   text NOT NULL CHECK (actor_kind IN ('resident', 'staff', 'system')),
    actor_id     bigint,
    state        text CHECK (state IN ('new', 'in_progress', 'done', 'rejected')),
    answer       text NOT NULL DEFAULT '',
    assigned_to  bigint REFERENCES staff_users (id)
);
CREATE INDEX request_events_request_idx ON request_events (request_id, at);

-- Photos attached by the resident: the type sniffed from the content, never the browser's word.
CREATE TABLE request_attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    bigint NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    file_name     text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/heic')),
    size          integer NOT NULL CHECK (size > 0 AND size <= 5242880),
    sha256        bytea NOT NULL,
    data          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_attachments_request_idx ON request_attachments (request_id);

-- +goose Down
DROP TABLE request_attachments, request_events;
DROP INDEX requests_resident_idx, requests_state_idx, requests_account_idx;
ALTER TABLE requests DROP COLUMN assigned_to, DROP COLUMN due_at, DROP COLUMN closed_at;
ALTER TABLE requests DROP CONSTRAINT requests_kind_check;
ALTER TABLE requests ADD CONSTRAINT requests_kind_check CHECK (kind IN ('repair', 'recalculation', 'complaint', 'question', 'other'));
