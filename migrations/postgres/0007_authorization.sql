-- The authorization code flow (OpenID Connect): authority sessions, codes, consents.
-- Times are Unix seconds; secrets are stored as their SHA-256 only.

-- A browser's sign-in at the hosted login page (cookie tessera_session).
CREATE TABLE authority_sessions (
    id          TEXT PRIMARY KEY,                        -- the id token's `sid`
    secret_hash BYTEA NOT NULL UNIQUE,                     -- SHA-256 of the cookie's 256-bit secret
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time   BIGINT NOT NULL,                        -- when the password was checked
    expires_at  BIGINT NOT NULL,                        -- auth_time + sessions.ttl
    revoked_at  BIGINT                                  -- signed out
);
CREATE INDEX authority_sessions_expires ON authority_sessions (expires_at);

-- Authorization codes: single use, 60 s. A used row stays until purged so a second
-- presentation is recognised and revokes the family the first one started.
CREATE TABLE authorization_codes (
    hash           BYTEA PRIMARY KEY,                  -- SHA-256 of the code
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,                       -- S256
    scope          TEXT NOT NULL,
    nonce          TEXT,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id     TEXT NOT NULL,                       -- the authority session
    auth_time      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    family_id      TEXT                                 -- the family its redemption started
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

-- A user's consent to a client, for these scopes (space separated).
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
