-- Offline conversions for ad platforms: the operator marks a call or a form submission as a
-- conversion (its name in the ad account and, optionally, its value). A mark without a value
-- takes it from the lead's sales when an export runs. One mark per record; unmarking deletes it.
CREATE TABLE conversions (
    id             INTEGER PRIMARY KEY,
    business_id    INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_id        INTEGER UNIQUE REFERENCES calls (id) ON DELETE CASCADE,
    submission_id  INTEGER UNIQUE REFERENCES submissions (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    value_minor    INTEGER,
    currency       TEXT,
    marked_by      TEXT    NOT NULL,
    marked_at      INTEGER NOT NULL,
    CHECK ((call_id IS NULL) <> (submission_id IS NULL)),
    CHECK ((value_minor IS NULL) = (currency IS NULL))
);
CREATE INDEX conversions_business ON conversions (business_id);
-- Exports walk a business's calls and submissions by time.
CREATE INDEX export_calls_by_time ON calls (business_id, started_at);
CREATE INDEX export_submissions_by_time ON submissions (business_id, created_at);
