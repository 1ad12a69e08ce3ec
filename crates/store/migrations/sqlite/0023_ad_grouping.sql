-- Ad aggregation (the patent's master ad and phrases table). A master ad groups ads and
-- campaigns across platforms by its rules, tried in the business's order (position); a rule's
-- fields are lower-case patterns (`*` for any run of characters), NULL matching anything.
-- A master phrase groups keyword variants, stored normalised; a variant is one phrase's only,
-- per business. Times are UTC milliseconds.
CREATE TABLE master_ads (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX master_ads_name ON master_ads (business_id, name);

CREATE TABLE master_ad_rules (
    id           INTEGER PRIMARY KEY,
    master_ad_id INTEGER NOT NULL REFERENCES master_ads (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    source       TEXT,
    campaign     TEXT,
    content      TEXT
);
CREATE INDEX master_ad_rules_ad ON master_ad_rules (master_ad_id, position);

CREATE TABLE master_phrases (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX master_phrases_name ON master_phrases (business_id, name);

CREATE TABLE master_phrase_variants (
    id               INTEGER PRIMARY KEY,
    master_phrase_id INTEGER NOT NULL REFERENCES master_phrases (id) ON DELETE CASCADE,
    business_id      INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    variant          TEXT    NOT NULL
);
CREATE UNIQUE INDEX master_phrase_variants_variant ON master_phrase_variants (business_id, variant);
CREATE INDEX master_phrase_variants_phrase ON master_phrase_variants (master_phrase_id);
