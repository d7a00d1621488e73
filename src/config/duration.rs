//! Durations as operators write them: `15m`, `30d`, `90s`, `1h 30m`, or plain seconds.

use std::time::Duration;

/// Parses `15m`, `30d`, `90s`, `1h30m` or a plain number of seconds (`900`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty; expected a duration such as 15m, 30d or 90s".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("`{text}` is too large"));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration ({e}); expected e.g. 15m, 30d, 90s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_units_and_plain_seconds() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("900").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(
            parse_duration(" 1h 30m ").unwrap(),
            Duration::from_secs(5400)
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "fifteen",
            "15x",
            "-5",
            "1.5.2h",
            "99999999999999999999999",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
