//! The browser flow's cookies, with one definition so setting and clearing match.

use actix_web::cookie::{time::Duration, Cookie, SameSite};

pub const REFRESH_COOKIE: &str = "tessera_refresh";
pub const CSRF_COOKIE: &str = "tessera_csrf";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The refresh token: HttpOnly, sent only to `/auth`.
pub fn refresh(value: String, max_age: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .path("/auth")
        .max_age(Duration::seconds(max_age.max(0)))
        .finish()
}

/// The double-submit CSRF token: readable by the page's script, so its path is `/`.
pub fn csrf(value: String, max_age: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, value)
        .http_only(false)
        .secure(secure)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(Duration::seconds(max_age.max(0)))
        .finish()
}

/// Both cookies expired, with the attributes they were set with.
pub fn cleared(secure: bool) -> [Cookie<'static>; 2] {
    [
        refresh(String::new(), 0, secure),
        csrf(String::new(), 0, secure),
    ]
}
