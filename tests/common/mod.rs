//! The test harness, shared by every test binary: one way to start tessera in-process
//! (`TestApp`, with a method per endpoint), one builder for a real `tessera` process
//! (`process`), one both-engines macro, and the request paths, spelled once.
//!
//! Owns: test databases (a fresh SQLite file or PostgreSQL database per test), the
//! configuration tests start from, the endpoints' paths. May import `tessera`'s public
//! API (`startup`, `config`, `clock`, `storage`, `state`, `telemetry`, `tokens`) and
//! the dev-dependencies; never a test module (the tests import it, not the reverse).
//! Binaries include it with `#[path = "../common/mod.rs"] mod common;`; a binary that
//! uses only part of it allows `dead_code` there.

pub mod app;
pub mod database;
pub mod endpoints;
pub mod engines;
pub mod env;
pub mod oidc;
pub mod paths;
pub mod process;
pub mod session;
pub mod tokens;

pub use app::{spawn_app, spawn_app_with, spawn_on, TestApp};
pub use database::{run_postgres, Engine, Seed, TestDatabase};
pub use env::{ADMIN_EMAIL, ADMIN_PASSWORD, POSTGRES_ENV, TEST_KEK};
pub use tokens::{cookie_value, set_cookie, verify_with_jwks};
