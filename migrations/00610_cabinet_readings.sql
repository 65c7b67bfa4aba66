-- +goose Up
-- Residents' meter readings in the cabinet.
--
-- The reading window: the days of the month on which an organization takes residents' readings (ПП РФ № 354,
-- п. 31 «е» lets the contract set them; 15–25 is the common practice and the default). Both days are inclusive;
-- a window of 1–31 takes readings on any day.
ALTER TABLE organizations
    ADD COLUMN reading_window_from smallint NOT NULL DEFAULT 15 CHECK (reading_window_from BETWEEN 1 AND 31),
    ADD COLUMN reading_window_to   smallint NOT NULL DEFAULT 25 CHECK (reading_window_to BETWEEN 1 AND 31),
    ADD CONSTRAINT organizations_reading_window_check CHECK (reading_window_from <= reading_window_to);

-- A meter taken out of service keeps its history but takes no new readings from the day it was retired.
ALTER TABLE meters ADD COLUMN IF NOT EXISTS retired_on date;

-- The anonymous readings form finds a house by what the resident types (street and number): a normalized
-- address (lower case, ё as е) with a trigram index serves substring and word matches at any number of houses.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE houses ADD COLUMN search_key text GENERATED ALWAYS AS (replace(lower(address), 'ё', 'е')) STORED;
CREATE INDEX houses_search_idx ON houses USING gin (search_key gin_trgm_ops);

-- +goose Down
DROP INDEX houses_search_idx;
ALTER TABLE houses DROP COLUMN search_key;
ALTER TABLE meters DROP COLUMN retired_on;
ALTER TABLE organizations DROP CONSTRAINT organizations_reading_window_check,
    DROP COLUMN reading_window_to, DROP COLUMN reading_window_from;
