-- Clients for the authorization code flow: a type, exact redirect URIs, the grants
-- each may use, and whether it skips consent. Lists are space separated (neither
-- URIs nor grant types contain spaces). Rows that exist already are confidential
-- clients that keep what every client could do before: the password, refresh-token
-- and client-credentials grants. A public client stores an empty secret_hash.
ALTER TABLE clients ADD COLUMN client_type TEXT NOT NULL DEFAULT 'confidential';
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT 'password refresh_token client_credentials';
ALTER TABLE clients ADD COLUMN first_party INTEGER NOT NULL DEFAULT 0;
