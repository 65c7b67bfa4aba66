-- +goose Up
-- The registry write path posts a million payments in one statement; what it paid per row, and what replaces it.
--
-- 1. No per-row foreign-key trigger from payments to accounts. Every writer resolves the account in the same
--    statement or transaction that inserts the payment: registry posting joins the staged lines to accounts
--    (store.PostStagedRegistry: a line whose number names no single open account is quarantined, never posted),
--    an operator's re-apply of a quarantined line looks the account up first (store.ApplyIssue), and the demo
--    load COPYs payments of the accounts it has just created. The other half of the key — an account may not go
--    away while payments name it — stays enforced by the trigger below, checked through payments_account_idx.
--    Nothing deletes accounts today; the trigger keeps it that way for payments. It first waits for every
--    transaction writing payments (SHARE conflicts with their ROW EXCLUSIVE), so a payment being posted to
--    the account is seen: what the foreign key's row lock did, paid only by the rare delete.
ALTER TABLE payments DROP CONSTRAINT payments_account_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION accounts_keep_paid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE payments IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM payments WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'account % has payments', OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
-- +goose StatementEnd
CREATE TRIGGER accounts_keep_paid BEFORE DELETE OR UPDATE OF id ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_keep_paid();

-- 2. GIS order ids are unique when set; a new payment has none. A partial index keeps the same uniqueness
--    (NULLs never conflicted) without an index entry per posted payment.
ALTER TABLE payments DROP CONSTRAINT payments_gis_order_id_key;
CREATE UNIQUE INDEX payments_gis_order_id_key ON payments (gis_order_id) WHERE gis_order_id IS NOT NULL;

-- 3. The follow-ups of a posted registry (balances, notifications, GIS months, meter readings) select its
--    payments by registry_id, which had no index (a sequential scan of every payment, per job). Payments are
--    appended registry by registry, so a BRIN range index finds them for almost nothing per inserted row.
CREATE INDEX payments_registry_brin ON payments USING brin (registry_id) WITH (pages_per_range = 32);

-- +goose Down
DROP INDEX payments_registry_brin;
DROP INDEX payments_gis_order_id_key;
ALTER TABLE payments ADD CONSTRAINT payments_gis_order_id_key UNIQUE (gis_order_id);
DROP TRIGGER accounts_keep_paid ON accounts;
DROP FUNCTION accounts_keep_paid();
ALTER TABLE payments ADD CONSTRAINT payments_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
