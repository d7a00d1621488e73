//! The HTTP API, endpoint by endpoint: every test starts the real app in-process
//! (`common::TestApp`) on port 0 with a database of its own, on SQLite and (when
//! configured) PostgreSQL.
//!
//! May import `crate::common`; nothing imports it.

mod accounts;
mod auth;
mod client_auth;
mod clients;
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
mod refresh_mac;
mod scopes;
mod status_lists;
mod throttle;
mod token_format;
mod well_known;
