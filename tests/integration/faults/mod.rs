//! Crash safety and database outages, driving the real binary (`common::process`) and
//! real databases: kill -9 mid-burst, a private PostgreSQL cluster stopped under load,
//! SQLite files that refuse writes.
//!
//! Owns the load generator, the client-side session helpers and the database audits.
//! May import `crate::common`; nothing outside `faults` imports it.

mod code_flow;
mod crash;
mod db_checks;
mod load;
mod outage;
mod private_postgres;
mod read_only_storage;
mod session;
