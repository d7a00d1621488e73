//! What a valid authorization request leads to, given the browser's sign-in and the
//! user's consent: the login page, the consent page, a code, or an error sent back.
//! Pure; the handlers call it on every GET and after every form post.

use super::AuthorizationRequest;

/// The `error` values an authorization response carries (RFC 6749 §4.1.2.1, OpenID
/// Connect Core §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthzError {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
}

impl AuthzError {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
        }
    }
}

/// OpenID Connect's `prompt`: `none` alone, or any of `login` and `consent`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    /// `None` for an unknown value or `none` beside another.
    pub fn parse(text: Option<&str>) -> Option<Self> {
        let mut prompt = Self::default();
        for word in text.unwrap_or("").split(' ').filter(|w| !w.is_empty()) {
            match word {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                _ => return None,
            }
        }
        (!prompt.none || !(prompt.login || prompt.consent)).then_some(prompt)
    }
}

/// The browser's sign-in, as the authority session cookie proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub session_id: String,
    pub user_id: String,
    pub auth_time: i64,
}

/// What this request has just been through: a password typed or a consent given in
/// this very flow satisfies `prompt=login`, `max_age` and `prompt=consent` (so the
/// flow goes on instead of asking again, round and round).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JustDone {
    pub signed_in: bool,
    pub consented: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Login,
    Consent,
    Issue,
    Refuse(AuthzError),
}

/// Whether the consented scope covers every requested scope token.
pub fn covers(consented: &str, requested: &str) -> bool {
    requested
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|s| consented.split(' ').any(|c| c == s))
}

pub fn next_step(
    request: &AuthorizationRequest,
    sign_in: Option<&SignIn>,
    consented: Option<&str>,
    now: i64,
    done: JustDone,
) -> Step {
    let too_old = |s: &SignIn| request.max_age.is_some_and(|max| now - s.auth_time > max);
    let needs_login = match sign_in {
        None => true,
        Some(s) => !done.signed_in && (request.prompt.login || too_old(s)),
    };
    if needs_login {
        return if request.prompt.none {
            Step::Refuse(AuthzError::LoginRequired)
        } else {
            Step::Login
        };
    }
    let needs_consent = !request.client.first_party
        && !done.consented
        && (request.prompt.consent || !consented.is_some_and(|c| covers(c, &request.scope)));
    if needs_consent {
        return if request.prompt.none {
            Step::Refuse(AuthzError::ConsentRequired)
        } else {
            Step::Consent
        };
    }
    Step::Issue
}

#[cfg(test)]
#[path = "step_tests.rs"]
mod tests;
