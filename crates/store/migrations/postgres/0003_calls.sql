-- Leads (people) and calls. Leads grow fields with the forms work; calls carry what the
-- provider reports, idempotently keyed by its call id.

CREATE TABLE leads (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id  BIGINT  NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    visitor_key  TEXT,
    phone        TEXT,
    status       TEXT    NOT NULL DEFAULT 'new',
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX leads_business_visitor ON leads (business_id, visitor_key);
CREATE INDEX leads_business_phone ON leads (business_id, phone);

-- The next record ref of each business: refs are short, speakable and per business.
CREATE TABLE business_refs (
    business_id  BIGINT PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    next_ref     BIGINT  NOT NULL
);

CREATE TABLE calls (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id       BIGINT  NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    record_ref        BIGINT  NOT NULL,
    site_id           BIGINT  NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    number_id         BIGINT  NOT NULL REFERENCES tracking_numbers (id) ON DELETE CASCADE,
    lead_id           BIGINT  NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    visit_id          BIGINT  REFERENCES visits (id) ON DELETE SET NULL,
    intent_id         BIGINT  REFERENCES call_intents (id) ON DELETE SET NULL,
    source_label      TEXT,
    provider_call_sid TEXT    NOT NULL UNIQUE,
    caller            TEXT    NOT NULL,
    keyed             TEXT    NOT NULL,
    code              BIGINT ,
    pool_selector     TEXT,
    matched_by        TEXT    NOT NULL,
    extension         TEXT,
    status            TEXT    NOT NULL,
    outcome           TEXT,
    answered_by       TEXT,
    duration_seconds  BIGINT ,
    recording_url     TEXT,
    started_at        BIGINT  NOT NULL,
    ended_at          BIGINT ,
    UNIQUE (business_id, record_ref)
);
CREATE INDEX calls_site_caller ON calls (site_id, caller, started_at);
