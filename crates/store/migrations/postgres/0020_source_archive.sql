-- An offline source is removed, never deleted: the calls and visits it brought keep their
-- attribution (copied onto them when they came). A removed source is hidden from lists, its
-- click-to-call link and QR code answer 404, and its reserved code goes back to its pool.
-- Times are UTC milliseconds.
ALTER TABLE sources ADD COLUMN removed_at BIGINT;
