//! Parsers for one scalar setting each; every error names the key it is about.

use std::net::SocketAddr;
use std::time::Duration;

use super::{parse_duration, ConfigError};

pub(super) fn socket_addr(key: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.trim().parse().map_err(|_| {
        ConfigError::new(
            key,
            format!("`{text}` is not an address such as 127.0.0.1:8080 or [::]:8080"),
        )
    })
}

pub(super) fn number<T>(
    key: &str,
    text: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let value: T = text
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(key, format!("`{text}` is not a whole number")))?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::new(
            key,
            format!("{value} is outside {}..={}", range.start(), range.end()),
        ))
    }
}

pub(super) fn duration(key: &str, text: &str) -> Result<Duration, ConfigError> {
    parse_duration(text).map_err(|m| ConfigError::new(key, m))
}

pub(super) fn bounded_duration(
    key: &str,
    text: &str,
    max: Duration,
) -> Result<Duration, ConfigError> {
    let value = duration(key, text)?;
    if value > max {
        return Err(ConfigError::new(
            key,
            format!(
                "{} is over the {} maximum",
                humantime::format_duration(value),
                humantime::format_duration(max)
            ),
        ));
    }
    Ok(value)
}

pub(super) fn boolean(key: &str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(ConfigError::new(
            key,
            format!("`{other}` is not true or false"),
        )),
    }
}
