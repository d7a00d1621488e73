//! Resource bounds, against the real binary (its memory read from /proc):
//! 5 MB bodies, oversized heads, slow and idle clients, login bursts.
//! Each test prints what it measured; run with `--nocapture` to see it.
//!
//! A binary of its own, not part of `integration`: these tests raise this process's
//! open-file limit and hold thousands of sockets in it, and each reads its server's
//! peak memory and a normal client's latencies while it attacks. Apart, they share
//! the machine only with each other (and can be run alone: `cargo test --test
//! bounds`), not with the integration suite's servers and load.
//!
//! Owns the raw-socket clients (`raw`, `slow`) and what is measured of the server
//! (`server`). May import `common` (its process builder and paths); nothing imports it.

// The harness serves two binaries: bounds uses only its process builder and paths.
#[allow(dead_code, unused_imports)]
#[path = "../common/mod.rs"]
mod common;

mod bodies;
mod headers;
mod idle;
mod logins;
mod raw;
mod server;
mod slow;
mod slow_clients;
