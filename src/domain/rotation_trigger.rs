//! What started a key rotation.

/// What started a rotation, as the `trigger` label of `tessera_key_rotations_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationTrigger {
    Admin,
    Schedule,
    Revocation,
}

impl RotationTrigger {
    /// Every trigger; each is exported at 0 from start-up.
    pub const ALL: [Self; 3] = [Self::Admin, Self::Schedule, Self::Revocation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Schedule => "schedule",
            Self::Revocation => "revocation",
        }
    }
}
