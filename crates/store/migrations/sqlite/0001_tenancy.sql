-- Tenancy: businesses and what they own. Times are UTC milliseconds since the epoch.
CREATE TABLE businesses (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    business_id   INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'operator')),
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_business ON users (business_id);

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    site_key    TEXT    NOT NULL UNIQUE,
    timezone    TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    settings    TEXT    NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL
);
CREATE INDEX sites_business ON sites (business_id);

-- A domain belongs to one site: the snippet's Origin check finds the site by it.
CREATE TABLE site_domains (
    domain  TEXT    PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE
);
CREATE INDEX site_domains_site ON site_domains (site_id);

CREATE TABLE tracking_numbers (
    id          INTEGER PRIMARY KEY,
    number      TEXT    NOT NULL UNIQUE,
    provider    TEXT    NOT NULL,
    account_sid TEXT    NOT NULL,
    auth_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- One number may serve several sites, of one business or several.
CREATE TABLE number_sites (
    number_id INTEGER NOT NULL REFERENCES tracking_numbers (id) ON DELETE CASCADE,
    site_id   INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    PRIMARY KEY (number_id, site_id)
);
CREATE INDEX number_sites_site ON number_sites (site_id);

CREATE TABLE destinations (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    number      TEXT    NOT NULL,
    department  TEXT,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (business_id, number)
);

-- Only the SHA-256 of a key is kept; the prefix finds the row.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL UNIQUE,
    hash        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_keys_business ON api_keys (business_id);
