-- Leads grow into people: contact details, a record ref, tags, custom fields and a source.
-- A lead created by a call shares that call's ref; older leads take their first call's.
ALTER TABLE leads ADD COLUMN record_ref INTEGER;
ALTER TABLE leads ADD COLUMN site_id INTEGER REFERENCES sites (id) ON DELETE SET NULL;
ALTER TABLE leads ADD COLUMN name TEXT;
ALTER TABLE leads ADD COLUMN email TEXT;
ALTER TABLE leads ADD COLUMN company TEXT;
ALTER TABLE leads ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE leads ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE leads ADD COLUMN source TEXT;
UPDATE leads SET record_ref = (SELECT MIN(c.record_ref) FROM calls c WHERE c.lead_id = leads.id);
UPDATE leads SET site_id = (SELECT MIN(c.site_id) FROM calls c WHERE c.lead_id = leads.id);
-- Calls from hidden numbers once put the provider's word ("anonymous") in leads.phone.
UPDATE leads SET phone = NULL WHERE phone NOT LIKE '+%';
CREATE UNIQUE INDEX leads_business_ref ON leads (business_id, record_ref);
CREATE INDEX leads_business_email ON leads (business_id, email);
CREATE INDEX leads_business_created ON leads (business_id, id);
CREATE INDEX calls_lead ON calls (lead_id);

-- The temporary id a page gave its visit before registration answered.
ALTER TABLE visits ADD COLUMN temp_id TEXT;
CREATE INDEX visits_site_temp ON visits (site_id, temp_id);

-- One form submission; fields and the snippet's identifiers as JSON.
CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    message_id    TEXT    NOT NULL UNIQUE,
    business_id   INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    site_id       INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    lead_id       INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    visit_id      INTEGER REFERENCES visits (id) ON DELETE SET NULL,
    via           TEXT    NOT NULL,
    matched_by    TEXT    NOT NULL,
    identity      TEXT    NOT NULL,
    fields        TEXT    NOT NULL,
    page_url      TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX submissions_lead ON submissions (lead_id);

CREATE TABLE attachments (
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    stored_name    TEXT    NOT NULL UNIQUE,
    original_name  TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,
    size_bytes     INTEGER NOT NULL
);
CREATE INDEX attachments_submission ON attachments (submission_id);

-- Anything done on a lead after the fact, with its author; detail is JSON.
CREATE TABLE activities (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    lead_id     INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX activities_lead ON activities (lead_id, id);

-- Money in integer minor units with its currency.
CREATE TABLE sales (
    id             INTEGER PRIMARY KEY,
    business_id    INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    lead_id        INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    call_id        INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    activity_id    INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    currency       TEXT    NOT NULL,
    revenue_minor  INTEGER NOT NULL,
    cost_minor     INTEGER NOT NULL,
    profit_minor   INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX sales_lead ON sales (lead_id);

CREATE TABLE custom_fields (
    id           INTEGER PRIMARY KEY,
    business_id  INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    required     INTEGER NOT NULL,
    UNIQUE (business_id, name)
);

-- Operator logins: the SHA-256 of the cookie's random value, never the value itself.
CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The site secret (hashed) for the returning-visitor lookup.
ALTER TABLE sites ADD COLUMN secret_hash TEXT;
