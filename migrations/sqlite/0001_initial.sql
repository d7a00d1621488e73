-- Times are Unix seconds (INTEGER) on both engines so that the SQL text stays identical.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    roles               TEXT NOT NULL DEFAULT '',        -- space separated
    disabled_at         INTEGER,                         -- set when an admin disables the account
    sessions_revoked_at INTEGER,                         -- tokens issued before this are dead
    created_at          INTEGER NOT NULL
);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,                        -- the client_id
    name        TEXT NOT NULL,
    secret_hash BLOB NOT NULL,                           -- SHA-256 of a 256-bit random secret
    scopes      TEXT NOT NULL DEFAULT '',                -- space separated
    created_at  INTEGER NOT NULL
);

CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,                     -- RFC 7638 thumbprint
    alg            TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    state          TEXT NOT NULL CHECK (state IN ('next', 'current', 'previous', 'retired', 'revoked')),
    public_jwk     TEXT NOT NULL,
    sealed_private BLOB,                                 -- AEAD under the KEK; NULL once retired or revoked
    created_at     INTEGER NOT NULL,                     -- also when it was first published
    activated_at   INTEGER,
    deactivated_at INTEGER,
    retired_at     INTEGER,
    revoked_at     INTEGER
);
-- The database, not a process lock, guarantees one `next` and one `current` key.
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';

-- Bumped by every key change so replicas reload only when something moved.
CREATE TABLE keyset_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO keyset_version (id, version) VALUES (1, 0);

CREATE TABLE refresh_families (
    id             TEXT PRIMARY KEY,                     -- the `sid` claim
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id      TEXT,
    scope          TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,                     -- absolute: login + refresh_ttl
    revoked_at     INTEGER,
    revoked_reason TEXT
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expires ON refresh_families (expires_at);

CREATE TABLE refresh_tokens (
    hash        BLOB PRIMARY KEY,                        -- SHA-256 of the token; the token itself is never stored
    family_id   TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    parent_hash BLOB,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,                        -- idle expiry, never past the family's
    used_at     INTEGER                                  -- spent tokens are kept so reuse is recognised
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_parent ON refresh_tokens (parent_hash);

CREATE TABLE access_denylist (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL                          -- the token's exp: the row dies with it
);
CREATE INDEX access_denylist_expires ON access_denylist (expires_at);

CREATE TABLE login_throttle (
    subject         TEXT PRIMARY KEY,                    -- 'account:<email>' or 'ip:<address>'
    failures        INTEGER NOT NULL,
    window_start    INTEGER NOT NULL,
    blocked_until   INTEGER
);
