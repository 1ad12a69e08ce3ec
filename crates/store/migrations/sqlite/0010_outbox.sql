-- The outbox. Integrations say where a business's events go; an event is written in the
-- transaction of the change that causes it, with one delivery per subscribed integration.

CREATE TABLE integrations (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    site_id     INTEGER REFERENCES sites (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    -- The event kinds it receives, as ",call.dialed,call.completed," (matched with LIKE).
    events      TEXT    NOT NULL,
    config      TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX integrations_business ON integrations (business_id);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    public_id     TEXT    NOT NULL UNIQUE,
    business_id   INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    site_id       INTEGER REFERENCES sites (id) ON DELETE SET NULL,
    lead_id       INTEGER REFERENCES leads (id) ON DELETE CASCADE,
    call_id       INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    submission_id INTEGER REFERENCES submissions (id) ON DELETE SET NULL,
    visit_id      INTEGER REFERENCES visits (id) ON DELETE SET NULL,
    kind          TEXT    NOT NULL,
    data          TEXT    NOT NULL,
    occurred_at   INTEGER NOT NULL
);
CREATE INDEX events_lead ON events (lead_id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    integration_id  INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    business_id     INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    lead_id         INTEGER REFERENCES leads (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    lease_token     TEXT,
    last_error      TEXT,
    response        TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    UNIQUE (event_id, integration_id)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_lead ON deliveries (lead_id);
CREATE INDEX deliveries_business ON deliveries (business_id, id);

-- The id a lead has in an integration's system (Salesforce Lead, HubSpot contact).
CREATE TABLE external_ids (
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    lead_id        INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    external_id    TEXT    NOT NULL,
    PRIMARY KEY (integration_id, lead_id),
    UNIQUE (integration_id, external_id)
);

-- Where the last pull of changes from an integration's system stopped.
CREATE TABLE pull_cursors (
    integration_id INTEGER PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    cursor         TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- When a call's connected and completed events were recorded: each is recorded once, however
-- often and in whatever order the provider's callbacks arrive.
ALTER TABLE calls ADD COLUMN connected_event_at INTEGER;
ALTER TABLE calls ADD COLUMN completed_event_at INTEGER;
