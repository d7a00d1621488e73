-- A family started by an authorization code belongs to the authority session that
-- signed the user in: ending that session (RP-initiated logout) revokes it.
ALTER TABLE refresh_families ADD COLUMN authority_session_id TEXT;
CREATE INDEX refresh_families_authority_session ON refresh_families (authority_session_id);
