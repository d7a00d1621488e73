use serde::{Deserialize, Serialize};

/// The signing algorithms tessera issues and accepts: an allow-list, never `none` or HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Algorithm {
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "RS256")]
    Rs256,
}

impl Algorithm {
    /// Every algorithm tessera signs with.
    pub const ALL: [Self; 2] = [Self::Es256, Self::Rs256];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = ();

    /// JOSE algorithm names are case-sensitive (RFC 7515 §4.1.1): `es256` is not ES256.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            _ => Err(()),
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_allowed_names_parse() {
        assert_eq!("ES256".parse(), Ok(Algorithm::Es256));
        assert_eq!("RS256".parse(), Ok(Algorithm::Rs256));
        for bad in ["es256", "none", "None", "HS256", "PS256", "ES384", ""] {
            assert!(bad.parse::<Algorithm>().is_err(), "{bad}");
        }
    }
}
