-- Introspection is for resource servers: a client may call it only when an admin
-- registered it for that (RFC 7662 §2.1 leaves the policy to the server). 0 or 1,
-- an INTEGER on both engines so the SQL text stays identical.
ALTER TABLE clients ADD COLUMN introspection INTEGER NOT NULL DEFAULT 0;
