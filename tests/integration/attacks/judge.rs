//! Asking the running authority about a token every way it can be asked: the bearer
//! check of `/auth/me`, introspection by a registered client and by an admin, and the
//! admin guard. An attack token must be refused by all of them, cleanly.

use reqwest::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::paths;
use crate::common::TestApp;

pub const USER_EMAIL: &str = "mallory@example.com";
pub const USER_PASSWORD: &str = "mallory-password-1234";

/// A named attack: the name is what a failure reports.
pub type Case = (String, String);

pub fn case(name: impl Into<String>, token: impl Into<String>) -> Case {
    (name.into(), token.into())
}

pub struct Judge<'a> {
    pub app: &'a TestApp,
    pub admin: String,
    pub client: (String, String),
}

impl<'a> Judge<'a> {
    /// An admin token, a registered client to introspect with, and a plain user.
    pub async fn new(app: &'a TestApp) -> Self {
        let admin = app.admin_token().await;
        let res = app
            .admin_create_client(
                Some(&admin),
                &json!({"name": "attack-judge", "scopes": ["read"], "introspection": true, "grant_types": ["password", "refresh_token", "client_credentials"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        let client = (
            body["client_id"].as_str().unwrap().to_owned(),
            body["client_secret"].as_str().unwrap().to_owned(),
        );
        let res = app
            .admin_create_user(
                Some(&admin),
                &json!({"email": USER_EMAIL, "password": USER_PASSWORD, "roles": ["user"]}),
            )
            .await;
        // A later judge in the same test finds the user already there.
        assert!(
            [StatusCode::CREATED, StatusCode::CONFLICT].contains(&res.status()),
            "creating the user: {}",
            res.status()
        );
        Self { app, admin, client }
    }

    /// The access token of a fresh login by the plain (non-admin) user.
    pub async fn user_token(&self) -> String {
        self.app.access_token(USER_EMAIL, USER_PASSWORD).await
    }

    /// `Authorization: Bearer <token>` as raw bytes, so non-ASCII tokens get sent too.
    fn bearer(token: &str) -> HeaderValue {
        HeaderValue::from_bytes(format!("Bearer {token}").as_bytes()).expect("no CR, LF or NUL")
    }

    async fn get_with_bearer(&self, path: &str, token: &str) -> Result<reqwest::Response, String> {
        self.app
            .client
            .get(self.app.url(path))
            .header(AUTHORIZATION, Self::bearer(token))
            .send()
            .await
            .map_err(|e| format!("GET {path} could not be sent: {e}"))
    }

    /// RFC 7662 as the registered client (HTTP Basic), with an optional type hint.
    pub async fn introspect_as_client(
        &self,
        token: &str,
        hint: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut form = vec![("token", token)];
        if let Some(h) = hint {
            form.push(("token_type_hint", h));
        }
        let (id, secret) = &self.client;
        let res = self.app.introspect(&form, Some((id, secret)), None).await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn introspect_as_admin(&self, token: &str) -> (StatusCode, Value) {
        let res = self
            .app
            .introspect(&[("token", token)], None, Some(&self.admin))
            .await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// What is wrong with the authority's answers to `token`, if anything.
    pub async fn complaints(&self, token: &str) -> Vec<String> {
        let mut wrong = Vec::new();
        match self.get_with_bearer(paths::ME, token).await {
            Err(e) => wrong.push(e),
            Ok(res) => {
                let status = res.status();
                let challenge = res
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                if status != StatusCode::UNAUTHORIZED {
                    wrong.push(format!("/auth/me answered {status}: {body}"));
                }
                if !challenge.starts_with("Bearer error=\"invalid_token\"") {
                    wrong.push(format!("/auth/me WWW-Authenticate was {challenge:?}"));
                }
                if body["error"] != "invalid_token" || !body["error_description"].is_string() {
                    wrong.push(format!("/auth/me error body was {body}"));
                }
            }
        }
        for (who, (status, body)) in [
            ("client", self.introspect_as_client(token, None).await),
            ("admin", self.introspect_as_admin(token).await),
        ] {
            if status != StatusCode::OK || body != json!({"active": false}) {
                wrong.push(format!("introspection as {who} answered {status}: {body}"));
            }
        }
        // The token as the caller's credential: introspection is for admins only.
        let res = TestApp::fresh_client()
            .post(self.app.url(paths::INTROSPECT))
            .header(AUTHORIZATION, Self::bearer(token))
            .form(&[("token", &self.admin)])
            .send()
            .await;
        match res {
            Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {}
            Ok(r) => wrong.push(format!(
                "introspection authorised by it answered {}",
                r.status()
            )),
            Err(e) => wrong.push(format!(
                "introspection authorised by it could not be sent: {e}"
            )),
        }
        match self.get_with_bearer(paths::ADMIN_KEYS, token).await {
            Err(e) => wrong.push(e),
            Ok(res) if res.status() != StatusCode::UNAUTHORIZED => {
                wrong.push(format!("/admin/keys answered {}", res.status()));
            }
            Ok(_) => {}
        }
        wrong
    }

    /// Fails, naming every case, unless every one of `cases` was refused everywhere.
    pub async fn assert_refused(&self, cases: &[Case]) {
        assert!(!cases.is_empty());
        let mut failures = Vec::new();
        for (name, token) in cases {
            for complaint in self.complaints(token).await {
                failures.push(format!("  [{name}] {complaint}"));
            }
        }
        assert!(
            failures.is_empty(),
            "attack tokens not cleanly refused ({} cases tried):\n{}",
            cases.len(),
            failures.join("\n")
        );
        eprintln!("{} attack tokens refused", cases.len());
    }

    /// The positive control: the same checks say yes to `token`, so a refusal means something.
    pub async fn assert_accepted(&self, name: &str, token: &str) {
        let res = self.get_with_bearer(paths::ME, token).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}] /auth/me refused it");
        for (who, (status, body)) in [
            ("client", self.introspect_as_client(token, None).await),
            ("admin", self.introspect_as_admin(token).await),
        ] {
            assert_eq!(status, StatusCode::OK, "[{name}] introspection as {who}");
            assert_eq!(
                body["active"], true,
                "[{name}] introspection as {who}: {body}"
            );
        }
    }
}
