-- Offline and foreign-domain sources: a print ad, a flyer, a classified ad on another site.
-- Each has a public key for its click-to-call URL and QR code, and may hold a reserved code.
CREATE TABLE sources (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id    BIGINT  NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    site_id        BIGINT  NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    public_key     TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    domain         TEXT,
    utm_source     TEXT    NOT NULL,
    utm_medium     TEXT    NOT NULL,
    utm_campaign   TEXT,
    utm_term       TEXT,
    utm_content    TEXT,
    reserved_code  BIGINT ,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX sources_business ON sources (business_id);
