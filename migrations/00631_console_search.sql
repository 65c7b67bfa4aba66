-- +goose Up
-- The console's one search box finds accounts by number, ЕЛС, ЖКУ id (prefix), address and payer name (any part,
-- trigram), and residents by e-mail (prefix), phone (any part of its digits) and name (trigram). Each form of the
-- search has its index; internal/store's search test checks the plans at 100 000 accounts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_number_prefix_idx ON accounts (number text_pattern_ops);
CREATE INDEX accounts_els_prefix_idx ON accounts (els text_pattern_ops);
CREATE INDEX accounts_zhku_prefix_idx ON accounts (zhku_id text_pattern_ops);
CREATE INDEX accounts_payer_trgm_idx ON accounts USING gin (lower(payer_name) gin_trgm_ops);
CREATE INDEX houses_address_trgm_idx ON houses USING gin (lower(address) gin_trgm_ops);
CREATE INDEX residents_email_prefix_idx ON residents (lower(email) text_pattern_ops);
CREATE INDEX residents_phone_trgm_idx ON residents USING gin (regexp_replace(phone, '[^0-9]', '', 'g') gin_trgm_ops);
CREATE INDEX residents_name_trgm_idx ON residents
    USING gin (lower(last_name || ' ' || first_name || ' ' || middle_name) gin_trgm_ops);
-- The account page: the residents linked to an account, and the exchange items of its objects.
CREATE INDEX gis_items_object_idx ON gis_items (object_kind, object_id);
CREATE INDEX resident_accounts_account_idx ON resident_accounts (account_id);

-- +goose Down
DROP INDEX gis_items_object_idx, resident_accounts_account_idx, residents_name_trgm_idx, residents_phone_trgm_idx,
    residents_email_prefix_idx, houses_address_trgm_idx, accounts_payer_trgm_idx, accounts_zhku_prefix_idx,
    accounts_els_prefix_idx, accounts_number_prefix_idx;
