//! Instants as the store keeps them: whole seconds since the Unix epoch.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    pub const fn secs(self) -> i64 {
        self.0
    }

    /// `secs` later (earlier when negative); saturates rather than wrapping.
    pub const fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixTime::from_secs(10).plus(5).secs(), 15);
        assert_eq!(UnixTime::from_secs(10).plus(-15).secs(), -5);
        assert_eq!(UnixTime::from_secs(i64::MAX).plus(1).secs(), i64::MAX);
    }
}
