-- Routing rules are tried in an order owners change (move a rule up or down), not only the
-- order they were added in.
ALTER TABLE routing_rules ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE routing_rules SET position = id;
CREATE INDEX routing_rules_site_position ON routing_rules (site_id, position);
