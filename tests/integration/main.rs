//! The integration suite, one binary (one link): tessera from the outside, through
//! HTTP, on SQLite and PostgreSQL with a fresh database per test. The harness is
//! `tests/common` (in-process `TestApp`, the `tessera` process builder,
//! `both_engines!`).
//!
//! - `api`: each endpoint and rule of the contract, in-process.
//! - `attacks`: forged and dead tokens, forged client addresses.
//! - `faults`: kill -9 and database outages, against the real binary.
//! - `fleet`: caching downstream verifiers while keys rotate on two replicas.
//! - `config_exit`: the binary refuses bad configuration with exit code 2.
//!
//! `tests/bounds` is a binary of its own; its `main.rs` says why.

// The harness serves two binaries; what only `bounds` uses would warn here.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;

mod api;
mod attacks;
mod cli_clients;
mod config_exit;
mod faults;
mod fleet;
mod oidc;
