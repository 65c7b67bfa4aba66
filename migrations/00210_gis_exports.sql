-- +goose Up
-- GIS ZhKH exports that bring GIS's identifiers into the canonical store: organizations (exportOrgRegistry,
-- exportDataProvider), houses and premises (exportHouseData), and reconciliation of accounts, meters and
-- payment documents already in GIS. An export message has no items; what it matched and what it could not
-- match are counted on the message and summarized in its report, so nothing unmatched passes unseen.

ALTER TABLE gis_messages DROP CONSTRAINT gis_messages_kind_check;
ALTER TABLE gis_messages ADD CONSTRAINT gis_messages_kind_check CHECK (kind IN ('accounts', 'meters', 'readings',
    'documents', 'withdrawals', 'payments', 'cancellations', 'nsi', 'orgs', 'houses', 'accounts-export',
    'meters-export', 'documents-export'));

-- For exports: items = objects GIS returned, items_ok = matched and applied, items_failed = our objects GIS
-- does not know, items_unknown = GIS objects the store does not hold; report names the first of them.
ALTER TABLE gis_messages
    ADD COLUMN items_unknown integer NOT NULL DEFAULT 0,
    ADD COLUMN report text NOT NULL DEFAULT '';

ALTER TABLE organizations ADD COLUMN gis_org_version_guid uuid;
ALTER TABLE houses ADD COLUMN gis_unique_number text;
ALTER TABLE premises ADD COLUMN gis_unique_number text;

-- +goose Down
ALTER TABLE premises DROP COLUMN gis_unique_number;
ALTER TABLE houses DROP COLUMN gis_unique_number;
ALTER TABLE organizations DROP COLUMN gis_org_version_guid;
ALTER TABLE gis_messages DROP COLUMN report, DROP COLUMN items_unknown;
DELETE FROM gis_messages WHERE kind IN ('orgs', 'houses', 'accounts-export', 'meters-export', 'documents-export')
    AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.message_id = gis_messages.id);
ALTER TABLE gis_messages DROP CONSTRAINT gis_messages_kind_check;
ALTER TABLE gis_messages ADD CONSTRAINT gis_messages_kind_check CHECK (kind IN ('accounts', 'meters', 'readings',
    'documents', 'withdrawals', 'payments', 'cancellations', 'nsi'));
