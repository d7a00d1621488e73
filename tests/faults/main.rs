//! Crash safety and database outages, driving the real binary and real databases.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod crash;
mod db_checks;
mod load;
mod outage;
mod private_postgres;
mod read_only_storage;
mod server;
mod session;
