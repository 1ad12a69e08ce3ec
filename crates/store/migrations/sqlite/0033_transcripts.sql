-- Transcripts and rules on what was said (issue 17). A business's speech-to-text service
-- (an OpenAI-compatible API, or the telephony provider's own transcription); its key is
-- sealed like every secret column (store/src/sealed.rs).
CREATE TABLE transcription_services (
    business_id INTEGER PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    kind        TEXT   NOT NULL CHECK (kind IN ('speech_api', 'provider')),
    base_url    TEXT,
    model       TEXT,
    api_key     TEXT,
    language    TEXT,
    diarize     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);

-- One row per transcribed call: the durable job (queued in the transaction that stores the
-- recording link, claimed under a lease like the outbox's deliveries) and, once done, the
-- redacted turns and their lower-cased text for search. Deleted with its call.
CREATE TABLE transcripts (
    call_id     INTEGER PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    state       TEXT   NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      INTEGER NOT NULL,
    lease_until INTEGER,
    lease_token TEXT,
    last_error  TEXT,
    turns       TEXT,
    search_text TEXT,
    score       INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX transcripts_due ON transcripts (state, due_at);
CREATE INDEX transcripts_business ON transcripts (business_id, call_id);

-- A business's rules on what was said, applied in id order.
CREATE TABLE speech_rules (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    phrases     TEXT   NOT NULL,
    speaker     TEXT   NOT NULL CHECK (speaker IN ('anyone', 'caller')),
    tag         TEXT,
    status      TEXT,
    weight      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX speech_rules_business ON speech_rules (business_id, id);
