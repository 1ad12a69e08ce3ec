-- The Activity list filters calls by what became of them, by whether the caller had called
-- before, and by who answered; each is kept on the call as the provider reports it (the
-- result by core::interaction::CallResult::of). Older calls are given theirs here once.
ALTER TABLE calls ADD COLUMN result TEXT;
ALTER TABLE calls ADD COLUMN first_time INTEGER;
ALTER TABLE calls ADD COLUMN answered_by_name TEXT;

UPDATE calls SET result = CASE
    WHEN outcome = 'answered' THEN 'answered'
    WHEN ended_at IS NULL THEN 'in_call'
    WHEN recording_url IS NOT NULL THEN 'voicemail'
    WHEN ended_at - started_at >= 15000 THEN 'missed'
    ELSE 'abandoned' END;
UPDATE calls SET first_time = CASE
    WHEN caller NOT LIKE '+%' THEN NULL
    WHEN EXISTS (SELECT 1 FROM calls e WHERE e.business_id = calls.business_id AND e.caller = calls.caller
                 AND (e.started_at < calls.started_at OR (e.started_at = calls.started_at AND e.id < calls.id)))
        THEN 0
    ELSE 1 END;
UPDATE calls SET answered_by_name = (SELECT d.name FROM destinations d
    WHERE d.business_id = calls.business_id AND d.number = calls.answered_by)
WHERE answered_by IS NOT NULL;

CREATE INDEX calls_business_caller ON calls (business_id, caller);
-- Calls in progress (the live panel) and each outcome, newest first.
CREATE INDEX calls_business_result ON calls (business_id, result, started_at);
CREATE INDEX submissions_business_time ON submissions (business_id, created_at);
CREATE INDEX activities_business_time ON activities (business_id, created_at);
