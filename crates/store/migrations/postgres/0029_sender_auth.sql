-- Issue 16, mail: a business may refuse e-mailed replies that do not pass DMARC (an aligned
-- SPF or DKIM pass). Off for every existing business: turning it on is the owner's choice,
-- since a reply from a domain without SPF or DKIM would no longer be recorded.
-- 0 or 1, as the other switches (sqlx `any` reads booleans differently on each engine).
ALTER TABLE businesses ADD COLUMN sender_auth_required BIGINT NOT NULL DEFAULT 0;
