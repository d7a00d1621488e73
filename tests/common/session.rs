//! A browser session as its holder knows it: the access token from the body, the
//! refresh token and CSRF value from the cookies, kept by the test itself so that it
//! can present exactly the tokens it chooses.

use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::app::TestApp;
use super::tokens::{cookie_value, set_cookie};

pub struct BrowserSession {
    pub access: String,
    pub refresh: String,
    pub csrf: String,
}

/// The session a successful login or refresh answer sets; asserts it is a 200.
pub async fn browser_session(res: Response) -> BrowserSession {
    assert_eq!(res.status(), StatusCode::OK);
    let refresh = cookie_value(&set_cookie(&res, "tessera_refresh").expect("refresh cookie"));
    let csrf = cookie_value(&set_cookie(&res, "tessera_csrf").expect("csrf cookie"));
    let body: Value = res.json().await.unwrap();
    BrowserSession {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh,
        csrf,
    }
}

impl TestApp {
    /// POST /auth/login from a fresh client: the session it starts.
    pub async fn browser_login(&self, email: &str, password: &str) -> BrowserSession {
        browser_session(
            self.login_with(&TestApp::fresh_client(), email, password)
                .await,
        )
        .await
    }
}
