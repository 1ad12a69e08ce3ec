-- Whether a visit's visitor came before (the reports' first-time vs returning, read for every
-- visit of a day being rolled up) is one seek on (site, visitor, time). With only
-- (site, visitor) the planners walked the site's earlier visits by time instead, so a day's
-- rollup grew with the whole history (about 8 s a day at a million visits on SQLite). The new
-- index serves every lookup the old one did.
CREATE INDEX visits_site_visitor_started ON visits (site_id, visitor_key, started_at);
DROP INDEX visits_site_visitor;
