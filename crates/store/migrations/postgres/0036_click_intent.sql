-- A call that keyed no usable code may be matched to the one visitor who clicked to call in the
-- last minute; such an inferred match keeps how likely it is (percent). Facts (a keyed code, a
-- printed code) keep none.
ALTER TABLE calls ADD COLUMN match_confidence BIGINT;
-- The voice webhook asks for a number's sites' clicks of the last minute.
CREATE INDEX call_intents_site_at ON call_intents (site_id, at);
-- A freed code remembers its last visit: a caller who noted the code and calls after leaving
-- is matched to it while nobody has held the code since. No foreign key: the memory is read
-- for a day only, and a deleted visit is simply not found.
ALTER TABLE pool_free ADD COLUMN visit_id BIGINT;
-- A caller keying the code of their own earlier call (a redial) is matched to its visit.
CREATE INDEX calls_site_caller_code ON calls (site_id, caller, code, started_at);
