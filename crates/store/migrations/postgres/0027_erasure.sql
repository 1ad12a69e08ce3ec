-- Erasure of one person (issue 16). The lead row stays, emptied, so reports keep their
-- anonymous counts; `erased_at` says it was erased.
ALTER TABLE leads ADD COLUMN erased_at BIGINT;

-- What an outside system erases the person by (JSON), on the delivery of a `lead.erased`
-- event to it; forgotten once the system has answered.
ALTER TABLE deliveries ADD COLUMN subjects TEXT;

-- That an erasure happened: who asked and when, never what was erased. Each system's answer
-- is the delivery of the erasure's event to it (those events are never pruned).
CREATE TABLE erasures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id BIGINT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    record_ref  BIGINT NOT NULL,
    erased_by   TEXT    NOT NULL,
    erased_at   BIGINT NOT NULL,
    event_id    BIGINT REFERENCES events (id) ON DELETE SET NULL
);
CREATE INDEX erasures_business ON erasures (business_id, id);
CREATE INDEX erasures_event ON erasures (event_id);
