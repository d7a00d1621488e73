-- Token status lists (draft-ietf-oauth-status-list): every access token names one bit
-- of one list. A list takes new tokens for one window and from one signing key
-- (`kid`); replicas lease blocks of its indices (`next_index`) and hand them out from
-- memory, so issuing a token writes nothing. It is deleted at `expires_at`, when every
-- token pointing into it has expired. `all_revoked` (0 or 1): its key was revoked, so
-- every index reads 1.
CREATE TABLE status_lists (
    id            TEXT PRIMARY KEY,
    kid           TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    part          INTEGER NOT NULL,                       -- a full list's successor in the same window
    accepts_until INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    capacity      INTEGER NOT NULL,
    next_index    INTEGER NOT NULL,
    all_revoked   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kid, window_start, part)
);

-- The indices whose bit is 1. No foreign key: a revocation filters on live lists, and
-- housekeeping deletes a list's rows with it.
CREATE TABLE status_revocations (
    list_id TEXT NOT NULL,
    idx     INTEGER NOT NULL,
    PRIMARY KEY (list_id, idx)
);

-- Bumped by every change a served list shows (a revocation, a list opened or marked
-- all-revoked), so replicas rebuild only when something moved.
CREATE TABLE status_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO status_version (id, version) VALUES (1, 0);

-- The status slot of the access token issued with this refresh token: a family's
-- revocation sets the bits of all its tokens without a row per access token.
ALTER TABLE refresh_tokens ADD COLUMN status_list TEXT;
ALTER TABLE refresh_tokens ADD COLUMN status_idx INTEGER;
