//! The grants that issue access tokens: the `grant` label of
//! `tessera_tokens_issued_total`, one list for the increment and the start-up zeroes.

/// How an access token was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Password,
    RefreshToken,
    ClientCredentials,
    /// Listed ahead of its flow (the contract's authorization-code section): its
    /// series exists from start-up, so dashboards and alerts need no change when it ships.
    AuthorizationCode,
}

impl Grant {
    /// Every grant; each is exported at 0 from start-up.
    pub const ALL: [Self; 4] = [
        Self::Password,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::AuthorizationCode,
    ];

    /// The RFC 6749 `grant_type` value, which is also the label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::AuthorizationCode => "authorization_code",
        }
    }

    /// The grant a `grant_type` value names.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_grant_types() {
        let labels: Vec<&str> = Grant::ALL.iter().map(|g| g.as_str()).collect();
        assert_eq!(
            labels,
            [
                "password",
                "refresh_token",
                "client_credentials",
                "authorization_code"
            ]
        );
    }

    #[test]
    fn parse_reads_back_every_label_and_nothing_else() {
        for grant in Grant::ALL {
            assert_eq!(Grant::parse(grant.as_str()), Some(grant));
        }
        for other in [
            "",
            "Password",
            "implicit",
            "urn:ietf:params:oauth:grant-type:device_code",
        ] {
            assert_eq!(Grant::parse(other), None, "{other}");
        }
    }
}
