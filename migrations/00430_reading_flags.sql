-- +goose Up
-- A reading from another source that contradicts a meter's history (lower than an earlier reading, higher than a
-- later one) is kept for the record but flagged, and never shown as the last reading. Readings dated in the future
-- are not taken; any already stored are flagged here.
ALTER TABLE readings ADD COLUMN flag text NOT NULL DEFAULT '' CHECK (flag IN ('', 'contradicts', 'future'));
UPDATE readings SET flag = 'future' WHERE taken_on > current_date;
-- The last reading of a meter: newest trusted one first.
CREATE INDEX readings_meter_last_idx ON readings (meter_id, taken_on DESC) WHERE flag = '';

-- +goose Down
DROP INDEX readings_meter_last_idx;
ALTER TABLE readings DROP COLUMN flag;
