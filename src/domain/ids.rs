//! The ids tessera stores: one type each, so that a user id cannot be passed where a
//! family id is meant. An id from a request becomes one only through `parse`, which
//! refuses anything that is not identifier-shaped (see `identifier.rs`).

use std::fmt;

use super::identifier::is_identifier;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// An id tessera made or read back from its own store.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// An id a client sent: `None` unless it could name something stored.
            pub fn parse(text: &str) -> Option<Self> {
                is_identifier(text).then(|| Self(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A user (`sub` of a user's tokens).
    UserId
);
id_type!(
    /// A registered client (`client_id`; `sub` of client-credentials tokens).
    ClientId
);
id_type!(
    /// A refresh family (`sid` of the access tokens it issues).
    FamilyId
);
id_type!(
    /// An access token (`jti`).
    Jti
);
id_type!(
    /// A signing key (`kid`, an RFC 7638 thumbprint).
    Kid
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identifier_shaped_text_parses() {
        assert_eq!(
            UserId::parse("q2nMZ8S4n6bW0vQk3gJ0Xw").map(|id| id.to_string()),
            Some("q2nMZ8S4n6bW0vQk3gJ0Xw".to_owned())
        );
        for bad in ["", "a b", "nul\0", "é", &"a".repeat(129)] {
            assert!(FamilyId::parse(bad).is_none(), "{bad:?}");
        }
    }
}
