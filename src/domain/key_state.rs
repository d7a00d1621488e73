use serde::{Deserialize, Serialize};

/// Where a key is in its life: `next` → `current` → `previous` → `retired`, or `revoked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Next,
    Current,
    Previous,
    Retired,
    Revoked,
}

impl KeyState {
    pub const ALL: [KeyState; 5] = [
        Self::Next,
        Self::Current,
        Self::Previous,
        Self::Retired,
        Self::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Current => "current",
            Self::Previous => "previous",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }

    /// Published in the JWKS: downstream verifiers can know it.
    pub fn is_published(self) -> bool {
        matches!(self, Self::Next | Self::Current | Self::Previous)
    }
}

impl std::str::FromStr for KeyState {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or(())
    }
}
