//! One integration test binary: every test starts the real app on port 0 with a
//! database of its own, on SQLite and (when configured) PostgreSQL.

mod helpers;

mod accounts;
mod auth;
mod client_auth;
mod config_exit;
mod families;
mod group_commit;
mod health;
mod hostile_ids;
mod housekeeping;
mod keys;
mod metrics;
mod no_store;
mod oauth;
mod openapi;
mod scopes;
mod throttle;
mod token_format;
mod well_known;
