-- Call-me is capped per visit and per site and day (toll-fraud defence): counters taken
-- atomically by a conditional update, so concurrent requests cannot pass a cap together.
ALTER TABLE visits ADD COLUMN call_me_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE call_me_days (
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day     TEXT   NOT NULL,
    placed  BIGINT NOT NULL,
    PRIMARY KEY (site_id, day)
);
