-- +goose Up
-- Core canonical model of a settlement center. Money is bigint kopecks; periods are the first day of a month.

CREATE DOMAIN period AS date CHECK (VALUE = date_trunc('month', VALUE)::date);
CREATE DOMAIN kopecks AS bigint;

CREATE TABLE organizations (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CHECK (name <> ''),
    short_name         text NOT NULL DEFAULT '',
    inn                text NOT NULL CHECK (inn ~ '^[0-9]{10}([0-9]{2})?$'),
    kpp                text CHECK (kpp ~ '^[0-9]{9}$'),
    ogrn               text CHECK (ogrn ~ '^[0-9]{13}([0-9]{2})?$'),
    role               text NOT NULL CHECK (role IN ('management', 'supplier', 'settlement', 'hoa', 'capital_repair')),
    gis_org_root_guid  uuid UNIQUE,
    gis_org_ppa_guid   uuid UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (inn, kpp)
);

CREATE TABLE houses (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            bigint NOT NULL REFERENCES organizations (id),
    address           text NOT NULL CHECK (address <> ''),
    fias_house_guid   uuid NOT NULL,
    gis_house_guid    uuid UNIQUE,
    oktmo             text CHECK (oktmo ~ '^[0-9]{8}([0-9]{3})?$'),
    kind              text NOT NULL DEFAULT 'apartment' CHECK (kind IN ('apartment', 'living')),
    floors            integer CHECK (floors > 0),
    built_year        integer CHECK (built_year BETWEEN 1700 AND 2100),
    total_area        numeric(12, 2) CHECK (total_area > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, fias_house_guid)
);

CREATE TABLE premises (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    house_id           bigint NOT NULL REFERENCES houses (id),
    number             text NOT NULL CHECK (number <> ''),
    kind               text NOT NULL DEFAULT 'residential' CHECK (kind IN ('residential', 'nonresidential', 'room')),
    total_area         numeric(10, 2) CHECK (total_area > 0),
    rooms              integer CHECK (rooms >= 0),
    gis_premises_guid  uuid UNIQUE,
    UNIQUE (house_id, number)
);

CREATE TABLE accounts (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            bigint NOT NULL REFERENCES organizations (id),
    premises_id       bigint NOT NULL REFERENCES premises (id),
    -- The account number is text: leading zeros matter.
    number            text NOT NULL CHECK (number ~ '^[0-9A-Za-z-]{1,30}$'),
    els               text UNIQUE CHECK (char_length(els) = 10),
    zhku_id           text UNIQUE CHECK (char_length(zhku_id) = 13),
    gis_account_guid  uuid UNIQUE,
    payer_name        text NOT NULL DEFAULT '',
    payer_kind        text NOT NULL DEFAULT 'person' CHECK (payer_kind IN ('person', 'organization')),
    total_area        numeric(10, 2) CHECK (total_area > 0),
    heated_area       numeric(10, 2) CHECK (heated_area > 0),
    residents_count   integer NOT NULL DEFAULT 0 CHECK (residents_count >= 0),
    opened_on         date NOT NULL,
    closed_on         date CHECK (closed_on IS NULL OR closed_on >= opened_on),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, number)
);
CREATE INDEX accounts_number_idx ON accounts (number);
CREATE INDEX accounts_premises_idx ON accounts (premises_id);

CREATE TABLE services (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint NOT NULL REFERENCES organizations (id),
    code        text NOT NULL CHECK (code <> ''),
    name        text NOT NULL CHECK (name <> ''),
    unit        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('housing', 'utility', 'capital_repair', 'other')),
    -- GIS ZhKH reference book (NSI) entry: registry number (e.g. 50, 51) and the element code / GUID.
    nsi_registry integer,
    nsi_code     text,
    nsi_guid     uuid,
    UNIQUE (org_id, code)
);

CREATE TABLE tariffs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  bigint NOT NULL REFERENCES services (id),
    valid_from  date NOT NULL,
    valid_to    date CHECK (valid_to IS NULL OR valid_to >= valid_from),
    -- Rate in rubles per unit with four decimals, as tariff decisions publish it.
    rate        numeric(14, 4) NOT NULL CHECK (rate >= 0),
    norm        numeric(14, 6) CHECK (norm >= 0),
    UNIQUE (service_id, valid_from)
);

CREATE TABLE charges (
    account_id     bigint NOT NULL REFERENCES accounts (id),
    service_id     bigint NOT NULL REFERENCES services (id),
    period         period NOT NULL,
    tariff         numeric(14, 4) NOT NULL,
    norm           numeric(14, 6),
    volume         numeric(14, 6) NOT NULL,
    amount         kopecks NOT NULL,
    recalculation  kopecks NOT NULL DEFAULT 0,
    benefit        kopecks NOT NULL DEFAULT 0 CHECK (benefit >= 0),
    total          kopecks GENERATED ALWAYS AS (amount + recalculation - benefit) STORED,
    PRIMARY KEY (account_id, period, service_id)
);

CREATE TABLE payment_documents (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id                 bigint NOT NULL REFERENCES accounts (id),
    period                     period NOT NULL,
    number                     text NOT NULL CHECK (number <> ''),
    -- Positive opening balance is debt, negative is advance.
    opening_balance            kopecks NOT NULL DEFAULT 0,
    paid                       kopecks NOT NULL DEFAULT 0,
    charged                    kopecks NOT NULL DEFAULT 0,
    penalties                  kopecks NOT NULL DEFAULT 0 CHECK (penalties >= 0),
    total_due                  kopecks NOT NULL,
    state                      text NOT NULL DEFAULT 'draft'
                               CHECK (state IN ('draft', 'ready', 'sent', 'posted', 'withdrawn', 'rejected')),
    gis_payment_document_id    text UNIQUE CHECK (char_length(gis_payment_document_id) = 18),
    gis_payment_document_guid  uuid UNIQUE,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, period)
);

CREATE TABLE payments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Where the payment came from: a bank code (e.g. 'sberbank'), 'gis', 'cashier' or 'demo'.
    source          text NOT NULL CHECK (source <> ''),
    operation_id    text NOT NULL CHECK (operation_id <> ''),
    operation_date  date NOT NULL,
    paid_at         timestamptz,
    account_id      bigint NOT NULL REFERENCES accounts (id),
    period          period,
    amount          kopecks NOT NULL CHECK (amount > 0),
    commission      kopecks NOT NULL DEFAULT 0 CHECK (commission >= 0),
    payer_name      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, operation_id, operation_date)
);
CREATE INDEX payments_account_idx ON payments (account_id, operation_date);

CREATE TABLE meters (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    premises_id              bigint NOT NULL REFERENCES premises (id),
    account_id               bigint REFERENCES accounts (id),
    number                   text NOT NULL CHECK (number <> ''),
    resource                 text NOT NULL
                             CHECK (resource IN ('cold_water', 'hot_water', 'electricity', 'heat', 'gas', 'wastewater')),
    place                    text NOT NULL DEFAULT '',
    tariff_zones             smallint NOT NULL DEFAULT 1 CHECK (tariff_zones BETWEEN 1 AND 3),
    installed_on             date,
    verified_on              date,
    next_verification_on     date,
    gis_meter_root_guid      uuid UNIQUE,
    gis_meter_version_guid   uuid UNIQUE,
    UNIQUE (premises_id, resource, number)
);
CREATE INDEX meters_account_idx ON meters (account_id);

CREATE TABLE readings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meter_id    bigint NOT NULL REFERENCES meters (id),
    taken_on    date NOT NULL,
    value       numeric(15, 4) NOT NULL CHECK (value >= 0),
    value_t2    numeric(15, 4) CHECK (value_t2 >= 0),
    value_t3    numeric(15, 4) CHECK (value_t3 >= 0),
    source      text NOT NULL CHECK (source IN ('resident', 'gis', 'bank', 'initial', 'staff')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (meter_id, taken_on, source)
);

CREATE TABLE residents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    esia_oid     bigint UNIQUE,
    last_name    text NOT NULL DEFAULT '',
    first_name   text NOT NULL DEFAULT '',
    middle_name  text NOT NULL DEFAULT '',
    snils        text CHECK (snils ~ '^[0-9]{3}-[0-9]{3}-[0-9]{3} [0-9]{2}$'),
    email        text,
    phone        text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX residents_email_idx ON residents (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE resident_accounts (
    resident_id  bigint NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    verified_at  timestamptz,
    is_main      boolean NOT NULL DEFAULT false,
    paperless    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resident_id, account_id)
);
CREATE UNIQUE INDEX resident_accounts_main_idx ON resident_accounts (resident_id) WHERE is_main;

CREATE TABLE requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id  bigint REFERENCES residents (id) ON DELETE SET NULL,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    kind         text NOT NULL CHECK (kind IN ('repair', 'recalculation', 'complaint', 'question', 'other')),
    subject      text NOT NULL CHECK (subject <> ''),
    body         text NOT NULL DEFAULT '',
    state        text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'in_progress', 'done', 'rejected')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id  bigint REFERENCES residents (id) ON DELETE CASCADE,
    account_id   bigint REFERENCES accounts (id),
    channel      text NOT NULL CHECK (channel IN ('cabinet', 'email', 'sms')),
    subject      text NOT NULL,
    body         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    read_at      timestamptz,
    CHECK (resident_id IS NOT NULL OR account_id IS NOT NULL)
);
CREATE INDEX notifications_resident_idx ON notifications (resident_id, created_at);

CREATE TABLE staff_users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login          text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._-]{2,64}$'),
    display_name   text NOT NULL DEFAULT '',
    password_hash  text NOT NULL,
    role           text NOT NULL DEFAULT 'operator' CHECK (role IN ('admin', 'operator')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    disabled_at    timestamptz
);

-- Server-side sessions for staff and residents. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash    bytea PRIMARY KEY,
    subject_kind  text NOT NULL CHECK (subject_kind IN ('staff', 'resident')),
    subject_id    bigint NOT NULL,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_subject_idx ON sessions (subject_kind, subject_id);

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_kind   text NOT NULL CHECK (actor_kind IN ('staff', 'resident', 'system')),
    actor_id     bigint,
    action       text NOT NULL,
    object_kind  text NOT NULL DEFAULT '',
    object_id    text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_object_idx ON audit_log (object_kind, object_id);

-- Every exchange with an external system, written before anything depends on it.
CREATE TABLE exchange_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    system        text NOT NULL CHECK (system IN ('gis', 'esia', 'bank', 'mail')),
    operation     text NOT NULL,
    org_id        bigint REFERENCES organizations (id),
    message_guid  uuid,
    ack_guid      uuid,
    http_status   integer,
    outcome       text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'ok', 'error')),
    error         text NOT NULL DEFAULT '',
    request       text NOT NULL DEFAULT '',
    response      text NOT NULL DEFAULT ''
);
CREATE INDEX exchange_log_started_idx ON exchange_log (system, started_at);

-- Demo loads run in one transaction; this row records what was loaded so a re-run is a no-op.
CREATE TABLE demo_loads (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seed         bigint NOT NULL,
    accounts     integer NOT NULL,
    months       integer NOT NULL,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    duration_ms  bigint NOT NULL
);

-- +goose Down
DROP TABLE demo_loads, exchange_log, audit_log, sessions, staff_users, notifications, requests,
    resident_accounts, residents, readings, meters, payments, payment_documents, charges, tariffs, services,
    accounts, premises, houses, organizations;
DROP DOMAIN kopecks;
DROP DOMAIN period;
