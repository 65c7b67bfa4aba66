-- +goose Up
-- An item GIS refused by a business rule (INT…, e.g. INT002000 "document not found") is held: no later sync
-- plans its object again until an operator, having fixed the cause, releases it. Re-sending it blindly would
-- only multiply the same refusal.
ALTER TABLE gis_items DROP CONSTRAINT gis_items_state_check;
ALTER TABLE gis_items ADD CONSTRAINT gis_items_state_check CHECK (state IN ('pending', 'ok', 'failed', 'held'));
CREATE INDEX gis_items_open_idx ON gis_items (object_kind, object_id) WHERE state IN ('pending', 'held');

-- +goose Down
DROP INDEX gis_items_open_idx;
UPDATE gis_items SET state = 'failed' WHERE state = 'held';
ALTER TABLE gis_items DROP CONSTRAINT gis_items_state_check;
ALTER TABLE gis_items ADD CONSTRAINT gis_items_state_check CHECK (state IN ('pending', 'ok', 'failed'));
