//! The authorization code flow with PKCE and OpenID Connect (issue 15), driven like a
//! browser (a cookie jar, every redirect asserted) and like a relying party.
//!
//! May import `crate::common`; nothing imports it.

mod codes;
mod consent;
mod cors;
mod flow;
mod logout;
mod pages;
mod prompts;
mod redirects;

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::common::oidc::{browser, Pkce, Rp};
use crate::common::TestApp;

pub const EMAIL: &str = "erin@example.com";
pub const PASSWORD: &str = "erin-password-1234";

/// A user, a public third-party client, and a code for them: (rp, pkce, code, browser).
pub async fn code_for(
    app: &TestApp,
    rp_extra: Value,
    extra: &[(&str, &str)],
) -> (Rp, Pkce, String, reqwest::Client) {
    app.create_user(EMAIL, PASSWORD, &[]).await;
    let rp = app.register_rp(rp_extra).await;
    let pkce = Pkce::new();
    let b = browser();
    let params = app
        .code_flow(&b, &app.authorize_url(&rp, &pkce, extra), EMAIL, PASSWORD)
        .await;
    let code = params
        .get("code")
        .unwrap_or_else(|| panic!("no code: {params:?}"))
        .clone();
    (rp, pkce, code, b)
}

/// A token response that must be 200: its JSON.
pub async fn ok_json(res: Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// An error page: the status, no redirect, the error announced.
pub async fn assert_error_page(res: Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    assert!(
        res.headers().get("location").is_none(),
        "an error page never redirects"
    );
    let page = res.text().await.unwrap();
    assert!(page.contains("role=\"alert\""), "{page}");
    page
}
