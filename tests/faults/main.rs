//! Crash safety and database outages, driving the real binary and real databases.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
