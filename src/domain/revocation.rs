//! Why a refresh family was revoked: the `reason` label of
//! `tessera_families_revoked_total`, one list for the increments and the start-up zeroes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    /// A spent refresh token was presented again.
    Reuse,
    /// `POST /auth/logout`.
    Logout,
    /// `POST /oauth/revoke` (RFC 7009).
    Revoked,
    /// `POST /admin/users/{id}/revoke-sessions`.
    RevokeSessions,
    /// `POST /admin/users/{id}/disable`.
    UserDisabled,
    /// `DELETE /admin/clients/{id}`: the client the family was granted to is gone.
    ClientRemoved,
}

impl RevocationReason {
    /// Every reason; each is exported at 0 from start-up.
    pub const ALL: [Self; 6] = [
        Self::Reuse,
        Self::Logout,
        Self::Revoked,
        Self::RevokeSessions,
        Self::UserDisabled,
        Self::ClientRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reuse => "reuse",
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::RevokeSessions => "revoke_sessions",
            Self::UserDisabled => "user_disabled",
            Self::ClientRemoved => "client_removed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_distinct_label() {
        let mut labels: Vec<&str> = RevocationReason::ALL.iter().map(|r| r.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), RevocationReason::ALL.len());
    }
}
