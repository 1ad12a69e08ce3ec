-- The call-element heatmap: a click on a call element or a tel: link keeps its site and page
-- (as reports group pages: host and path) and, for a pointer's click, where it landed: x and y
-- in permille of the element, page_x and page_y in CSS pixels of the page, and the page's and
-- the window's size. Older clicks have no page key (they carried no place) and stay out of
-- heatmaps; their site is filled in from their visit.
ALTER TABLE call_intents ADD COLUMN site_id INTEGER REFERENCES sites (id) ON DELETE CASCADE;
ALTER TABLE call_intents ADD COLUMN page_key TEXT;
ALTER TABLE call_intents ADD COLUMN spot_x INTEGER;
ALTER TABLE call_intents ADD COLUMN spot_y INTEGER;
ALTER TABLE call_intents ADD COLUMN page_x INTEGER;
ALTER TABLE call_intents ADD COLUMN page_y INTEGER;
ALTER TABLE call_intents ADD COLUMN page_w INTEGER;
ALTER TABLE call_intents ADD COLUMN page_h INTEGER;
ALTER TABLE call_intents ADD COLUMN view_w INTEGER;
ALTER TABLE call_intents ADD COLUMN view_h INTEGER;
UPDATE call_intents SET site_id = (SELECT v.site_id FROM visits v WHERE v.id = call_intents.visit_id);
CREATE INDEX call_intents_site_page ON call_intents (site_id, page_key, at);
-- A heatmap asks, for each click, whether a call of its visit followed.
CREATE INDEX calls_visit ON calls (visit_id, started_at);
