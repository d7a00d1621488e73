//! The hosted flow's cookies, both scoped to `/oauth`: the authority session, and the
//! double-submit CSRF token its forms repeat in a hidden field.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpRequest;

use crate::sessions::oidc::pkce::constant_time_eq;
use crate::tokens::random_id;

pub const SESSION_COOKIE: &str = "tessera_session";
pub const FORM_CSRF_COOKIE: &str = "tessera_form_csrf";

/// The authority session: Lax, so the browser sends it when a client's page sends
/// the user to `/oauth/authorize`.
pub fn session(value: String, max_age: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .path("/oauth")
        .max_age(Duration::seconds(max_age.max(0)))
        .finish()
}

pub fn session_cleared(secure: bool) -> Cookie<'static> {
    session(String::new(), 0, secure)
}

/// The CSRF token: Strict, so no other site's form post carries it.
fn form_csrf(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(FORM_CSRF_COOKIE, value)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .path("/oauth")
        .finish()
}

/// The token a rendered form carries, and the cookie to set beside it: the browser's
/// own when it has a well-formed one (other open tabs keep working), else a new one.
pub fn form_token(req: &HttpRequest, secure: bool) -> (String, Cookie<'static>) {
    let token = req
        .cookie(FORM_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 22)
        .unwrap_or_else(random_id);
    let cookie = form_csrf(token.clone(), secure);
    (token, cookie)
}

/// Whether the form's hidden token repeats the cookie (compared in constant time).
pub fn form_token_matches(req: &HttpRequest, field: Option<&str>) -> bool {
    match (req.cookie(FORM_CSRF_COOKIE), field) {
        (Some(cookie), Some(field)) => {
            cookie.value().len() == 22
                && constant_time_eq(cookie.value().as_bytes(), field.as_bytes())
        }
        _ => false,
    }
}

/// The authority session cookie's value, if the browser sent one.
pub fn session_value(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}
