-- Leads (people) and calls. Leads grow fields with the forms work; calls carry what the
-- provider reports, idempotently keyed by its call id.

CREATE TABLE leads (
    id           INTEGER PRIMARY KEY,
    business_id  INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    visitor_key  TEXT,
    phone        TEXT,
    status       TEXT    NOT NULL DEFAULT 'new',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX leads_business_visitor ON leads (business_id, visitor_key);
CREATE INDEX leads_business_phone ON leads (business_id, phone);

-- The next record ref of each business: refs are short, speakable and per business.
CREATE TABLE business_refs (
    business_id  INTEGER PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    next_ref     INTEGER NOT NULL
);

CREATE TABLE calls (
    id                INTEGER PRIMARY KEY,
    business_id       INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    record_ref        INTEGER NOT NULL,
    site_id           INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    number_id         INTEGER NOT NULL REFERENCES tracking_numbers (id) ON DELETE CASCADE,
    lead_id           INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    visit_id          INTEGER REFERENCES visits (id) ON DELETE SET NULL,
    intent_id         INTEGER REFERENCES call_intents (id) ON DELETE SET NULL,
    source_label      TEXT,
    provider_call_sid TEXT    NOT NULL UNIQUE,
    caller            TEXT    NOT NULL,
    keyed             TEXT    NOT NULL,
    code              INTEGER,
    pool_selector     TEXT,
    matched_by        TEXT    NOT NULL,
    extension         TEXT,
    status            TEXT    NOT NULL,
    outcome           TEXT,
    answered_by       TEXT,
    duration_seconds  INTEGER,
    recording_url     TEXT,
    started_at        INTEGER NOT NULL,
    ended_at          INTEGER,
    UNIQUE (business_id, record_ref)
);
CREATE INDEX calls_site_caller ON calls (site_id, caller, started_at);
