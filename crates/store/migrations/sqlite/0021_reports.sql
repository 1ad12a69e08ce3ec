-- Reports (issue 13). Where the caller is, as the provider says (FromCity, FromState,
-- FromCountry); daily rollups per site, local day, dimension and value, which reports read
-- instead of raw records; and the days whose rollups are out of date.
ALTER TABLE calls ADD COLUMN from_city TEXT;
ALTER TABLE calls ADD COLUMN from_state TEXT;
ALTER TABLE calls ADD COLUMN from_country TEXT;

-- A day of one site's records, read when its rollup is rebuilt.
CREATE INDEX visits_site_started ON visits (site_id, started_at);
CREATE INDEX calls_site_started ON calls (site_id, started_at);
CREATE INDEX submissions_site_time ON submissions (site_id, created_at);
CREATE INDEX leads_site_created ON leads (site_id, created_at);

-- day: the local day in the site's zone, as days since 1970-01-01. value: the dimension's
-- value ('' on the 'total' rows). Money in the site's currency, minor units; *_last and
-- *_first are a lead's outcome credited by last and by first touch.
CREATE TABLE report_days (
    site_id            INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    dim                TEXT    NOT NULL,
    day                INTEGER NOT NULL,
    value              TEXT    NOT NULL,
    visits             INTEGER NOT NULL,
    calls              INTEGER NOT NULL,
    answered           INTEGER NOT NULL,
    missed             INTEGER NOT NULL,
    abandoned          INTEGER NOT NULL,
    first_time_callers INTEGER NOT NULL,
    forms              INTEGER NOT NULL,
    leads_last         INTEGER NOT NULL,
    qualified_last     INTEGER NOT NULL,
    converted_last     INTEGER NOT NULL,
    revenue_last       INTEGER NOT NULL,
    cost_last          INTEGER NOT NULL,
    profit_last        INTEGER NOT NULL,
    leads_first        INTEGER NOT NULL,
    qualified_first    INTEGER NOT NULL,
    converted_first    INTEGER NOT NULL,
    revenue_first      INTEGER NOT NULL,
    cost_first         INTEGER NOT NULL,
    profit_first       INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, day, value)
);
-- A rebuild replaces one day of a site, every dimension at once.
CREATE INDEX report_days_site_day ON report_days (site_id, day);

-- A UTC day (days since the epoch) of a site with records changed since its rollup was built.
-- Every change bumps version in its own transaction; the rebuild removes the mark only if the
-- version is still the one it read, so a change during a rebuild is never lost.
CREATE TABLE report_dirty (
    site_id  INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    utc_day  INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    PRIMARY KEY (site_id, utc_day)
);

-- One row per site, written first by every rebuild: rebuilds of one site (on any server) run
-- one at a time, while the writers that mark days never touch it.
CREATE TABLE report_rebuilds (
    site_id  INTEGER PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    at       INTEGER NOT NULL
);

-- Records from before this migration: every day that has any is built by the background job.
INSERT INTO report_dirty (site_id, utc_day, version)
SELECT site_id, utc_day, 1 FROM (
    SELECT site_id, started_at / 86400000 AS utc_day FROM visits
    UNION SELECT site_id, started_at / 86400000 FROM calls
    UNION SELECT site_id, created_at / 86400000 FROM submissions
    UNION SELECT site_id, created_at / 86400000 FROM leads WHERE site_id IS NOT NULL
) AS days;
