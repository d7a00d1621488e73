//! Resource bounds, against the real binary (its memory read from /proc):
//! 5 MB bodies, oversized heads, slow and idle clients, login bursts.
//! Each test prints what it measured; run with `--nocapture` to see it.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod bodies;
mod headers;
mod idle;
mod logins;
mod raw;
mod server;
mod slow;
mod slow_clients;
