-- Retention (issue 16): a business's periods as JSON (NULL: the defaults), and the UTC day
-- before which its reports are frozen (their rollups kept, never counted again from records
-- the sweep may have pruned).
ALTER TABLE businesses ADD COLUMN retention TEXT;
ALTER TABLE businesses ADD COLUMN reports_frozen_before BIGINT NOT NULL DEFAULT 0;

-- The sweep finds old rows of a business by time, and every row it deletes sets its
-- children's references to NULL: each reference is indexed, or each delete scans the table.
CREATE INDEX events_business_time ON events (business_id, occurred_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX submissions_visit ON submissions (visit_id);
CREATE INDEX sales_call ON sales (call_id);
CREATE INDEX sales_submission ON sales (submission_id);
CREATE INDEX events_call ON events (call_id);
CREATE INDEX events_submission ON events (submission_id);
CREATE INDEX events_visit ON events (visit_id);
CREATE INDEX calls_intent ON calls (intent_id);
