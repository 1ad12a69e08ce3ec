-- What a business sets up is disabled and removed, never deleted: calls, leads and
-- submissions keep pointing at the site, number and destination they came through.
-- A disabled site registers no visits; a disabled destination is never rung; a removed
-- object is hidden from lists and serves nothing. Times are UTC milliseconds.
ALTER TABLE sites ADD COLUMN disabled_at BIGINT;
ALTER TABLE sites ADD COLUMN removed_at BIGINT;
ALTER TABLE tracking_numbers ADD COLUMN removed_at BIGINT;
ALTER TABLE destinations ADD COLUMN disabled_at BIGINT;
ALTER TABLE destinations ADD COLUMN removed_at BIGINT;
