//! Confidential or public (RFC 6749 §2.1): whether a client can keep a secret.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// Holds a secret and authenticates with it (a server-side app).
    Confidential,
    /// Cannot keep a secret (a single-page or native app): it names itself by
    /// `client_id` only, so PKCE and exact redirect URIs are what protect its codes.
    Public,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "confidential" => Some(Self::Confidential),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_writes_and_nothing_else() {
        for t in [ClientType::Confidential, ClientType::Public] {
            assert_eq!(ClientType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ClientType::parse("Public"), None);
        assert_eq!(ClientType::parse(""), None);
    }
}
