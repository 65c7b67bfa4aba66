-- +goose Up
-- GIS subject readings-import (importMeteringDeviceValues): residents' readings sent to GIS ZhKH, one item per
-- reading (gis_items.object_kind 'reading').
ALTER TABLE gis_messages DROP CONSTRAINT gis_messages_kind_check;
ALTER TABLE gis_messages ADD CONSTRAINT gis_messages_kind_check CHECK (kind IN ('accounts', 'meters', 'readings',
    'documents', 'withdrawals', 'payments', 'cancellations', 'nsi', 'orgs', 'houses', 'accounts-export',
    'meters-export', 'documents-export', 'readings-import'));
ALTER TABLE gis_items DROP CONSTRAINT gis_items_object_kind_check;
ALTER TABLE gis_items ADD CONSTRAINT gis_items_object_kind_check CHECK (object_kind IN ('account', 'meter', 'document',
    'withdrawal', 'payment', 'cancellation', 'reading'));

-- +goose Down
DELETE FROM gis_items WHERE object_kind = 'reading';
DELETE FROM gis_messages WHERE kind = 'readings-import';
ALTER TABLE gis_items DROP CONSTRAINT gis_items_object_kind_check;
ALTER TABLE gis_items ADD CONSTRAINT gis_items_object_kind_check CHECK (object_kind IN ('account', 'meter', 'document',
    'withdrawal', 'payment', 'cancellation'));
ALTER TABLE gis_messages DROP CONSTRAINT gis_messages_kind_check;
ALTER TABLE gis_messages ADD CONSTRAINT gis_messages_kind_check CHECK (kind IN ('accounts', 'meters', 'readings',
    'documents', 'withdrawals', 'payments', 'cancellations', 'nsi', 'orgs', 'houses', 'accounts-export',
    'meters-export', 'documents-export'));
