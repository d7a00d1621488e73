//! How every page and redirect of the hosted flow is answered: the HTML templates,
//! and the headers each response carries (no script at all, no framing, no referrer,
//! no caching).

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder};
use askama::Template;

#[derive(Template)]
#[template(path = "oidc/login.html")]
pub struct LoginPage<'a> {
    pub title: &'a str,
    pub client_name: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub csrf_token: &'a str,
    pub hidden: Vec<(&'static str, &'a str)>,
}

#[derive(Template)]
#[template(path = "oidc/consent.html")]
pub struct ConsentPage<'a> {
    pub title: &'a str,
    pub client_name: &'a str,
    pub scopes: Vec<&'a str>,
    pub user_email: &'a str,
    pub csrf_token: &'a str,
    pub hidden: Vec<(&'static str, &'a str)>,
}

#[derive(Template)]
#[template(path = "oidc/error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub code: &'a str,
    pub description: &'a str,
}

#[derive(Template)]
#[template(path = "oidc/signed_out.html")]
pub struct SignedOutPage<'a> {
    pub title: &'a str,
}

/// `form-action` must name the client's origin too: browsers apply it to the redirect
/// that answers a form post.
pub fn content_security_policy(form_target: Option<&str>) -> String {
    let extra = form_target.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'{extra}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// A response builder with the headers every page and redirect of the flow carries.
pub fn secured(status: StatusCode, form_target: Option<&str>) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(form_target),
        ))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    builder
}

/// Renders `page` with `status`, setting `cookies`.
pub fn html(
    status: StatusCode,
    form_target: Option<&str>,
    page: &impl Template,
    cookies: Vec<Cookie<'static>>,
) -> HttpResponse {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "page failed to render");
            return secured(StatusCode::INTERNAL_SERVER_ERROR, None)
                .content_type("text/plain; charset=utf-8")
                .body("internal error");
        }
    };
    let mut builder = secured(status, form_target);
    for cookie in cookies {
        builder.cookie(cookie);
    }
    builder.content_type("text/html; charset=utf-8").body(body)
}

/// The error page: shown, never redirected (an unknown client, an unregistered
/// redirect URI, a forged form).
pub fn error_page(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    let title = if status.is_server_error() {
        "Something went wrong"
    } else {
        "This request cannot be completed"
    };
    html(
        status,
        None,
        &ErrorPage {
            title,
            code,
            description,
        },
        Vec::new(),
    )
}

/// A 303 to `location` with the flow's headers and `cookies`.
pub fn see_other(location: &str, cookies: Vec<Cookie<'static>>) -> HttpResponse {
    let mut builder = secured(StatusCode::SEE_OTHER, None);
    for cookie in cookies {
        builder.cookie(cookie);
    }
    builder.insert_header((header::LOCATION, location)).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_the_request_brought() {
        let page = LoginPage {
            title: "Sign in",
            client_name: "<script>alert(1)</script>",
            email: "\"><img src=x>",
            error: None,
            csrf_token: "t",
            hidden: vec![("state", "\"/><script>x</script>")],
        };
        let body = page.render().unwrap();
        assert!(!body.contains("<script>"), "{body}");
        assert!(!body.contains("<img"), "{body}");
    }

    #[test]
    fn the_policy_allows_no_script() {
        let csp = content_security_policy(Some("https://app.example"));
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains("form-action 'self' https://app.example;"));
        assert!(!csp.contains("script-src"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
