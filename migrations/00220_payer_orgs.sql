-- +goose Up
-- An account's payer may be an organisation (a company renting premises). GIS ZhKH names such a payer by the
-- orgVersionGUID of its record in the organisation registry, not by its name, so the account keeps the payer's
-- OGRN (and KPP for a branch) to look it up with exportOrgRegistry, its INN, and the GUID GIS answered.
ALTER TABLE accounts
    ADD COLUMN payer_inn text CHECK (payer_inn ~ '^[0-9]{10}([0-9]{2})?$'),
    ADD COLUMN payer_ogrn text CHECK (payer_ogrn ~ '^[0-9]{13}([0-9]{2})?$'),
    ADD COLUMN payer_kpp text CHECK (payer_kpp ~ '^[0-9]{9}$'),
    ADD COLUMN gis_payer_org_version_guid uuid,
    ADD CONSTRAINT accounts_payer_org_check CHECK (payer_kind = 'organization' OR
        (payer_inn IS NULL AND payer_ogrn IS NULL AND payer_kpp IS NULL AND gis_payer_org_version_guid IS NULL));
CREATE INDEX accounts_payer_ogrn_idx ON accounts (payer_ogrn) WHERE payer_ogrn IS NOT NULL;

-- +goose Down
DROP INDEX accounts_payer_ogrn_idx;
ALTER TABLE accounts DROP CONSTRAINT accounts_payer_org_check,
    DROP COLUMN gis_payer_org_version_guid, DROP COLUMN payer_kpp, DROP COLUMN payer_ogrn, DROP COLUMN payer_inn;
