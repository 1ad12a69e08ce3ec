-- A site of kind 'number_pool' (issue 14, part 2: Dynamic Number Insertion, for comparison
-- with extensions) shows each visit one tracking number of its pool. A pool number is
-- attached to exactly one site (it is also linked in number_sites, so its calls route to
-- that site) and is never the site's main number. Its current holder is visit_id while
-- held_until is ahead; released_at orders the free numbers (least recently released first,
-- 0 for one never held).
CREATE TABLE pool_numbers (
    number_id        BIGINT NOT NULL PRIMARY KEY REFERENCES tracking_numbers (id) ON DELETE CASCADE,
    site_id          BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visit_id         BIGINT REFERENCES visits (id) ON DELETE SET NULL,
    last_activity_at BIGINT,
    held_until       BIGINT,
    released_at      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pool_numbers_site ON pool_numbers (site_id);
CREATE INDEX pool_numbers_visit ON pool_numbers (visit_id);
CREATE INDEX pool_numbers_held_until ON pool_numbers (held_until);

-- How many times a pool site had to take a number from a visit still holding it (the pool
-- was exhausted): each is a call that may be credited to the wrong visit.
CREATE TABLE pool_overwrites (
    site_id    BIGINT NOT NULL PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    overwrites BIGINT NOT NULL DEFAULT 0
);
