-- +goose Up
-- What each account owes now: the total of its latest payment document less what was paid since.
-- Refreshed by the balance_refresh job after every posted registry.
CREATE TABLE account_balances (
    account_id      bigint PRIMARY KEY REFERENCES accounts (id),
    -- The period of the latest payment document; NULL when the account has none yet.
    as_of_period    period,
    document_total  kopecks NOT NULL,
    paid_since      kopecks NOT NULL,
    -- document_total - paid_since: positive is debt, negative an advance.
    balance         kopecks NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE account_balances;
