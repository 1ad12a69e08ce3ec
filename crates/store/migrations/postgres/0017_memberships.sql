-- People and access. A user may belong to several businesses (an agency): each membership
-- carries the user's role there. users.business_id and users.role stay as the business the
-- user was created in, and are read by nothing that decides access.
CREATE TABLE memberships (
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    business_id BIGINT  NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'operator')),
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (user_id, business_id)
);
CREATE INDEX memberships_business ON memberships (business_id);
INSERT INTO memberships (user_id, business_id, role, created_at)
    SELECT id, business_id, role, created_at FROM users;

-- The business a session works in; a session without a membership there is no session.
ALTER TABLE sessions ADD COLUMN business_id BIGINT  REFERENCES businesses (id) ON DELETE CASCADE;
UPDATE sessions SET business_id = (SELECT u.business_id FROM users u WHERE u.id = sessions.user_id);
CREATE INDEX sessions_business ON sessions (business_id, user_id);

-- One-time links: only the SHA-256 of the token is kept; used_at marks the one use.
CREATE TABLE invitations (
    token_hash  TEXT    PRIMARY KEY,
    business_id BIGINT  NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'operator')),
    invited_by  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX invitations_business ON invitations (business_id);

CREATE TABLE password_resets (
    token_hash  TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
