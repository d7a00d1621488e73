//! Logging: pretty for a terminal, JSON when configured; `RUST_LOG` overrides the filter.
//!
//! Colours only on a terminal: a log file or collector gets plain text. Besides the
//! escape codes a reader of a file does not want, styling each field name cost a
//! tenth of a request's CPU, because the request span's fields are formatted on every
//! request whether or not anything is logged (`http::request_span`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours());
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// A terminal, and no `NO_COLOR` (https://no-color.org) asking otherwise.
fn colours() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
