-- Visits, their pages and call clicks, and the extension pools.

CREATE TABLE visits (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id     TEXT    NOT NULL UNIQUE,
    site_id       BIGINT  NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_key   TEXT    NOT NULL,
    landing_url   TEXT    NOT NULL,
    referrer      TEXT,
    source        TEXT    NOT NULL,
    medium        TEXT    NOT NULL,
    campaign      TEXT,
    term          TEXT,
    content       TEXT,
    gclid         TEXT,
    gbraid        TEXT,
    wbraid        TEXT,
    msclkid       TEXT,
    fbclid        TEXT,
    ga_cookie     TEXT,
    ga_streams    TEXT    NOT NULL DEFAULT '{}',
    utma          TEXT,
    device        TEXT    NOT NULL,
    custom        TEXT    NOT NULL DEFAULT '{}',
    page_views    BIGINT  NOT NULL DEFAULT 1,
    started_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL
);
CREATE INDEX visits_site_visitor ON visits (site_id, visitor_key);

CREATE TABLE page_views (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visit_id  BIGINT  NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    url       TEXT    NOT NULL,
    title     TEXT,
    at        BIGINT  NOT NULL
);
CREATE INDEX page_views_visit ON page_views (visit_id);

CREATE TABLE call_intents (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visit_id  BIGINT  NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    element   TEXT    NOT NULL,
    page_url  TEXT    NOT NULL,
    at        BIGINT  NOT NULL
);
CREATE INDEX call_intents_visit ON call_intents (visit_id);

-- One extension space per tracking number and selector. Every code from 1 to high_water is
-- live, free (in pool_free) or reserved; codes above high_water have never been handed out.
CREATE TABLE pools (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number_id   BIGINT  NOT NULL REFERENCES tracking_numbers (id) ON DELETE CASCADE,
    selector    TEXT    NOT NULL,
    high_water  BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (number_id, selector)
);

-- Freed codes below the high-water mark: the smallest is found through the primary key.
CREATE TABLE pool_free (
    pool_id  BIGINT  NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    code     BIGINT  NOT NULL,
    free_at  BIGINT  NOT NULL,
    PRIMARY KEY (pool_id, code)
);

-- Codes fixed to offline sources: never handed to a visit.
CREATE TABLE reserved_codes (
    pool_id     BIGINT  NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    code        BIGINT  NOT NULL,
    label       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (pool_id, code)
);

-- The live codes. The primary key is the guarantee that no two holders share a code.
CREATE TABLE live_codes (
    pool_id           BIGINT  NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    code              BIGINT  NOT NULL,
    site_id           BIGINT  NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visit_id          BIGINT  NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    intent_id         BIGINT  REFERENCES call_intents (id) ON DELETE CASCADE,
    visitor_key       TEXT    NOT NULL,
    last_activity_at  BIGINT  NOT NULL,
    expires_at        BIGINT  NOT NULL,
    PRIMARY KEY (pool_id, code)
);
CREATE INDEX live_codes_expiry ON live_codes (expires_at);
CREATE INDEX live_codes_site_activity ON live_codes (site_id, pool_id, last_activity_at);
CREATE INDEX live_codes_visitor ON live_codes (site_id, visitor_key);
CREATE INDEX live_codes_visit ON live_codes (visit_id);

-- How many codes each site holds, kept with every allocation and release, so the cap is
-- checked without counting.
CREATE TABLE site_live_counts (
    site_id  BIGINT PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    live     BIGINT  NOT NULL
);
