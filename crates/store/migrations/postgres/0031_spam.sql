-- Spam and robocalls (issue 17): a call's spam mark, the business's block list and its
-- settings. A flagged call stays in the log, hidden by default, and is left out of reports
-- and ad conversions. The mark is the reason ('blocked', 'listed', 'repeated', 'operator'),
-- 'cleared' when a person said the call is not spam (no rule flags it again), or NULL.
ALTER TABLE calls ADD COLUMN spam TEXT
    CHECK (spam IN ('blocked', 'listed', 'repeated', 'operator', 'cleared'));

-- The repeated-calls rule reads a caller's recent calls to the business through the index
-- calls_business_caller (0014).

-- Numbers whose calls are answered before anyone is rung (rejected or told a message): those
-- a person blocked ('operator') and the business's uploaded list of known spam numbers
-- ('list', replaced as a whole on each upload). A number may be on both.
CREATE TABLE blocked_numbers (
    business_id  BIGINT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    number       TEXT    NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('operator', 'list')),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (business_id, number, source)
);

-- What a blocked caller gets ('reject': a busy tone; 'message': the text, then the call ends),
-- and the repeated-calls rule (spam_repeat_calls = 0 turns it off): by default three calls of
-- at most ten seconds, unanswered, within 24 hours.
ALTER TABLE businesses ADD COLUMN spam_answer TEXT NOT NULL DEFAULT 'reject'
    CHECK (spam_answer IN ('reject', 'message'));
ALTER TABLE businesses ADD COLUMN spam_message TEXT;
ALTER TABLE businesses ADD COLUMN spam_repeat_calls BIGINT NOT NULL DEFAULT 3;
ALTER TABLE businesses ADD COLUMN spam_repeat_seconds BIGINT NOT NULL DEFAULT 10;
ALTER TABLE businesses ADD COLUMN spam_repeat_hours BIGINT NOT NULL DEFAULT 24;

-- `call.spam_changed` (a call flagged spam, or cleared) goes to every signed webhook, and to
-- the ad platform integrations whatever their send rule (a flagged call is retracted): the
-- integrations added before it existed hear it too.
UPDATE integrations SET events = events || 'call.spam_changed,'
    WHERE kind IN ('webhook', 'google_ads', 'microsoft_ads', 'meta_capi')
    AND events NOT LIKE '%,call.spam_changed,%';
