use crate::secret::Secret;

/// A password that meets the policy: at least 12 characters, at most 1024 bytes.
///
/// The upper bound keeps a hostile client from buying a slow hash with a huge body.
#[derive(Debug, Clone)]
pub struct Password(Secret<String>);

pub const MIN_CHARS: usize = 12;
pub const MAX_BYTES: usize = 1024;

impl Password {
    pub fn parse(text: String) -> Result<Self, String> {
        Self::check_policy(&text)?;
        Ok(Self(Secret::new(text)))
    }

    /// The policy alone, for callers that keep the text elsewhere.
    pub fn check_policy(text: &str) -> Result<(), String> {
        if text.len() > MAX_BYTES {
            return Err(format!("is longer than {MAX_BYTES} bytes"));
        }
        if text.chars().count() < MIN_CHARS {
            return Err(format!("must be at least {MIN_CHARS} characters"));
        }
        Ok(())
    }

    /// A password that is not checked against the policy: for logins, where an old
    /// password that predates the policy must still be verifiable.
    pub fn unchecked(text: String) -> Self {
        Self(Secret::new(text))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_bounds() {
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("eleven-char".into()).is_err());
        assert!(Password::parse("twelve-chars".into()).is_ok());
        assert!(
            Password::parse("é".repeat(12)).is_ok(),
            "characters, not bytes, for the minimum"
        );
        assert!(Password::parse("x".repeat(MAX_BYTES)).is_ok());
        assert!(Password::parse("x".repeat(MAX_BYTES + 1)).is_err());
    }
}
