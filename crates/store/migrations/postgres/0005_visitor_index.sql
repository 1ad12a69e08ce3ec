-- The returning-visitor lookup (same site and visitor key, newest activity first) must find
-- its row through an index that covers the order too; without it, an engine may walk every
-- live code of the site in activity order instead (measured: 59x slower at 100,000 codes).
DROP INDEX live_codes_visitor;
CREATE INDEX live_codes_visitor ON live_codes (site_id, visitor_key, pool_id, last_activity_at);
