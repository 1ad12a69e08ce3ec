-- A business's account at its telephony provider, connected once so that Leadline can list,
-- search for and buy its numbers and set their webhooks. The auth token is a secret, kept
-- like the tracking numbers' tokens and never shown again.
CREATE TABLE provider_accounts (
    business_id  INTEGER PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    provider     TEXT    NOT NULL,
    account_sid  TEXT    NOT NULL,
    auth_token   TEXT    NOT NULL,
    connected_at INTEGER NOT NULL
);
