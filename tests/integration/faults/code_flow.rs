//! The authorization code flow as the fault tests drive it: a public first-party
//! client, the admin signed in once on the hosted page (the cookie kept by the
//! browser's jar), then codes from `/oauth/authorize` and their exchange.

use reqwest::{Client, StatusCode};
use serde_json::json;

use super::session::{self, Reply};
use crate::common::oidc::{browser, form_fields, Pkce};
use crate::common::{paths, ADMIN_EMAIL, ADMIN_PASSWORD};

const REDIRECT_URI: &str = "https://rp.example/callback";

pub struct CodeFlow {
    browser: Client,
    client_id: String,
    pkce: Pkce,
}

/// What `/oauth/authorize` answered: its status, and the code of a redirect.
pub struct Authorized {
    pub status: StatusCode,
    pub retry_after: Option<String>,
    pub code: Option<String>,
}

impl CodeFlow {
    /// Registers the client with the admin's `access` token and signs the admin in.
    pub async fn start(http: &Client, base: &str, access: &str) -> Self {
        let body = json!({
            "name": "Fault RP",
            "type": "public",
            "first_party": true,
            "scopes": ["openid"],
            "redirect_uris": [REDIRECT_URI],
        });
        let created = session::post_json(http, base, paths::ADMIN_CLIENTS, access, body)
            .await
            .expect("client registered");
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let flow = Self {
            browser: browser(),
            client_id: created.body["client_id"].as_str().unwrap().to_owned(),
            pkce: Pkce::new(),
        };
        let page = flow
            .browser
            .get(flow.authorize_url(base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = form_fields(&page);
        form.retain(|(k, _)| k != "email" && k != "password");
        form.push(("email".into(), ADMIN_EMAIL.into()));
        form.push(("password".into(), ADMIN_PASSWORD.into()));
        let res = flow
            .browser
            .post(format!("{base}{}", paths::OAUTH_LOGIN))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "signed in on the hosted page"
        );
        flow
    }

    fn authorize_url(&self, base: &str) -> String {
        let mut url = reqwest::Url::parse(&format!("{base}{}", paths::AUTHORIZE)).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("state", "faults"),
            ("code_challenge", self.pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]);
        url.to_string()
    }

    /// `/oauth/authorize` with the signed-in session.
    pub async fn authorize(&self, base: &str) -> Authorized {
        let res = self
            .browser
            .get(self.authorize_url(base))
            .send()
            .await
            .unwrap();
        let header = |name| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let code = header("location").and_then(|location| {
            reqwest::Url::parse(&location)
                .ok()?
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        });
        Authorized {
            status: res.status(),
            retry_after: header("retry-after"),
            code,
        }
    }

    /// A code, which must be issued.
    pub async fn code(&self, base: &str) -> String {
        let answer = self.authorize(base).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        answer.code.expect("a code")
    }

    /// The token request for `code`.
    pub async fn exchange(&self, http: &Client, base: &str, code: &str) -> Reply {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", self.pkce.verifier.as_str()),
        ];
        session::oauth_token(http, base, &form).await
    }
}
