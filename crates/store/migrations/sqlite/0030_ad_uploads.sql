-- Conversions sent to ad platforms by API (issue 18): what each integration last sent for a
-- record (its order id), so a later change restates or retracts it and an unchanged record is
-- never sent twice. No personal data: order ids name records, not people.
CREATE TABLE ad_uploads (
    integration_id  INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    order_id        TEXT    NOT NULL,
    business_id     INTEGER NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    conversion_time INTEGER NOT NULL,
    value_minor     INTEGER,
    currency        TEXT,
    retracted       INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (integration_id, order_id)
);

-- The visitor's advertising consent signal as the snippet read it (Consent Mode's ad_storage
-- and ad_user_data, leadline.consent, Global Privacy Control): 'granted', 'denied', or NULL
-- when no signal said either way. With the site's ad_platforms setting it decides whether ad
-- platforms hear of the visit's calls and forms (docs/consent.md).
ALTER TABLE visits ADD COLUMN ads_consent TEXT CHECK (ads_consent IN ('granted', 'denied'));
