-- +goose Up
-- An item GIS refused because something it depends on is not in GIS yet (a meter or payment document whose
-- account GIS does not know, an account or meter in a premises GIS does not hold) is held *waiting* for that
-- prerequisite: wait_kind names it ('account', 'premises'), wait_id is its id, and wait_guid the GIS GUID we
-- had for it when GIS refused. When a new GUID arrives (an import result or a reconciliation export), the apply
-- step releases the waiting items and queues their syncs, with no operator.
ALTER TABLE gis_items
    ADD COLUMN wait_kind text CHECK (wait_kind IN ('account', 'premises')),
    ADD COLUMN wait_id   bigint,
    ADD COLUMN wait_guid uuid,
    ADD CONSTRAINT gis_items_wait_check CHECK ((wait_kind IS NULL) = (wait_id IS NULL));
CREATE INDEX gis_items_wait_idx ON gis_items (wait_kind, wait_id) WHERE state = 'held' AND wait_kind IS NOT NULL;

-- +goose Down
DROP INDEX gis_items_wait_idx;
ALTER TABLE gis_items DROP CONSTRAINT gis_items_wait_check, DROP COLUMN wait_guid, DROP COLUMN wait_id,
    DROP COLUMN wait_kind;
