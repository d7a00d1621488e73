//! Which scopes a token may carry (RFC 6749 §3.3, §5.2, §6): only what the client is
//! registered for (first party: `tokens.first_party_scopes`), and on refresh only a
//! part of what the family was granted. Pure functions; the services apply them.

use super::{AuthenticatedClient, SessionService};
use crate::domain::parse_scope;

/// Why a requested scope was refused: both are `400 invalid_scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeError {
    Malformed,
    /// A requested token is outside what may be granted.
    NotAllowed,
}

/// What to grant when the request names no scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenAbsent {
    /// Nothing: a user's token carries only the scopes asked for.
    Nothing,
    /// Everything allowed: a client acting for itself (client credentials).
    All,
}

/// The scope to grant for `requested`, each token within `allowed`, as a
/// space-separated string.
pub fn grant(
    allowed: &[String],
    requested: Option<&str>,
    when_absent: WhenAbsent,
) -> Result<String, ScopeError> {
    match requested {
        None => Ok(match when_absent {
            WhenAbsent::Nothing => String::new(),
            WhenAbsent::All => allowed.join(" "),
        }),
        Some(text) => {
            let asked = parse_scope(text).ok_or(ScopeError::Malformed)?;
            if asked.iter().all(|s| allowed.iter().any(|a| a == s)) {
                Ok(asked.join(" "))
            } else {
                Err(ScopeError::NotAllowed)
            }
        }
    }
}

/// The scope of an access token issued on refresh: the family's own when none is
/// requested, else a part of it, never more (RFC 6749 §6).
pub fn narrow(family_scope: &str, requested: Option<&str>) -> Result<String, ScopeError> {
    let granted: Vec<String> = family_scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    match requested {
        None => Ok(family_scope.to_owned()),
        Some(_) => grant(&granted, requested, WhenAbsent::Nothing),
    }
}

impl SessionService {
    /// The scope of a user's token: what the client is registered for, or without a
    /// client (first party) what `tokens.first_party_scopes` lists.
    pub fn user_scope(
        &self,
        client: Option<&AuthenticatedClient>,
        requested: Option<&str>,
    ) -> Result<String, ScopeError> {
        let allowed = client.map_or(&self.first_party_scopes, |c| &c.scopes);
        grant(allowed, requested, WhenAbsent::Nothing)
    }

    /// The scope of a client-credentials token: all the client's scopes unless it
    /// asks for fewer.
    pub fn client_scope(
        &self,
        client: &AuthenticatedClient,
        requested: Option<&str>,
    ) -> Result<String, ScopeError> {
        grant(&client.scopes, requested, WhenAbsent::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_allowed_scopes_are_granted() {
        let allowed = list(&["read", "write"]);
        assert_eq!(
            grant(&allowed, Some("write read"), WhenAbsent::Nothing),
            Ok("write read".into())
        );
        assert_eq!(
            grant(&allowed, Some("read read"), WhenAbsent::Nothing),
            Ok("read".into())
        );
        assert_eq!(grant(&allowed, Some(""), WhenAbsent::All), Ok("".into()));
        assert_eq!(
            grant(&allowed, Some("read superuser"), WhenAbsent::Nothing),
            Err(ScopeError::NotAllowed)
        );
        assert_eq!(
            grant(&[], Some("read"), WhenAbsent::Nothing),
            Err(ScopeError::NotAllowed)
        );
        assert_eq!(
            grant(&allowed, Some("re\"ad"), WhenAbsent::Nothing),
            Err(ScopeError::Malformed)
        );
    }

    #[test]
    fn an_absent_scope_is_nothing_or_everything() {
        let allowed = list(&["read", "write"]);
        assert_eq!(grant(&allowed, None, WhenAbsent::Nothing), Ok("".into()));
        assert_eq!(
            grant(&allowed, None, WhenAbsent::All),
            Ok("read write".into())
        );
    }

    #[test]
    fn a_refresh_may_narrow_but_never_widen() {
        assert_eq!(narrow("read write", None), Ok("read write".into()));
        assert_eq!(narrow("read write", Some("read")), Ok("read".into()));
        assert_eq!(
            narrow("read", Some("read write")),
            Err(ScopeError::NotAllowed)
        );
        assert_eq!(narrow("", Some("read")), Err(ScopeError::NotAllowed));
        assert_eq!(narrow("", Some("")), Ok("".into()));
    }
}
