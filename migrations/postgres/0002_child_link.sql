-- A spent token records the child it was rotated into. The grace path finds that child
-- by primary key, so no index on parent_hash has to be kept up on every rotation (one
-- B-tree page less written per rotation). parent_hash stays, for a family's history.
ALTER TABLE refresh_tokens ADD COLUMN child_hash BYTEA;
UPDATE refresh_tokens SET child_hash = (
    SELECT c.hash FROM refresh_tokens c WHERE c.parent_hash = refresh_tokens.hash
    ORDER BY c.created_at DESC LIMIT 1)
WHERE used_at IS NOT NULL;
DROP INDEX refresh_tokens_parent;
