-- Routing rules of a site, tried in order; the rule itself (conditions, destinations, in turn
-- or at once) is a JSON document of leadline-core's routing::Rule.
CREATE TABLE routing_rules (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     BIGINT  NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    rule        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX routing_rules_site ON routing_rules (site_id, id);
