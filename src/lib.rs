//! tessera: a token authority. See README.md for what it does and how it is laid out.

pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod readiness;
pub mod secret;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod status;
pub mod storage;
pub mod telemetry;
pub mod tokens;
