-- Routing rules of a site, tried in order; the rule itself (conditions, destinations, in turn
-- or at once) is a JSON document of leadline-core's routing::Rule.
CREATE TABLE routing_rules (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    rule        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX routing_rules_site ON routing_rules (site_id, id);
