-- The key of the MAC every refresh token carries, so that a token tessera did not
-- issue is refused without a database read. Sealed under the KEK like the private
-- signing keys (a KEK rewrap re-seals it too). legacy_until: the latest expiry of a
-- refresh family that was live when the key was created; tokens issued before then
-- carry no MAC and are accepted only until that time.
CREATE TABLE refresh_token_mac (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    sealed       BLOB NOT NULL,
    legacy_until INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
