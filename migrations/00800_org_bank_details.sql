-- +goose Up
-- The payee's legal address and bank requisites, printed in section 2 of the payment document (ЕПД) and carried by
-- its GOST R 56042 QR code. Nullable: an organization known only from GIS ZhKH may not have them yet, and a
-- document cannot be printed for it until they are filled.
ALTER TABLE organizations
    ADD COLUMN address            text CHECK (address <> ''),
    ADD COLUMN bank_name          text CHECK (bank_name <> ''),
    ADD COLUMN bik                text CHECK (bik ~ '^[0-9]{9}$'),
    ADD COLUMN settlement_account text CHECK (settlement_account ~ '^[0-9]{20}$'),
    ADD COLUMN corr_account       text CHECK (corr_account ~ '^[0-9]{20}$');

-- +goose Down
ALTER TABLE organizations
    DROP COLUMN corr_account,
    DROP COLUMN settlement_account,
    DROP COLUMN bik,
    DROP COLUMN bank_name,
    DROP COLUMN address;
