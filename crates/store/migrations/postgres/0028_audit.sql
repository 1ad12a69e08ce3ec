-- The audit log (issue 16): who changed what in a business, when and from which address.
-- Appended by the use cases, read newest first by id, pruned by the retention sweep by time.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id BIGINT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    actor       TEXT    NOT NULL,
    address     TEXT,
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX audit_log_business_id ON audit_log (business_id, id);
CREATE INDEX audit_log_business_time ON audit_log (business_id, at);
