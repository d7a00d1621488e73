//! One method per endpoint of the contract, each returning the response as it came
//! (the test asserts on it), plus the few set-ups many tests share: an admin token, a
//! user, a registered client. Paths come from `paths`, nowhere else.

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

use super::app::TestApp;
use super::env::{ADMIN_EMAIL, ADMIN_PASSWORD};
use super::paths;

/// /auth: the browser and first-party API.
impl TestApp {
    pub async fn login_with(&self, client: &Client, email: &str, password: &str) -> Response {
        client
            .post(self.url(paths::LOGIN))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.login_with(&self.client, email, password).await
    }

    /// POST /auth/refresh with the CSRF header copied from the cookie jar's value.
    pub async fn refresh_with(&self, client: &Client, refresh: &str, csrf: &str) -> Response {
        client
            .post(self.url(paths::REFRESH))
            .header(
                "Cookie",
                format!("tessera_refresh={refresh}; tessera_csrf={csrf}"),
            )
            .header("X-CSRF-Token", csrf)
            .send()
            .await
            .unwrap()
    }

    /// The access token of a login from a client of its own, which must answer 200.
    pub async fn access_token(&self, email: &str, password: &str) -> String {
        let res = self
            .login_with(&Self::fresh_client(), email, password)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// GET /auth/me with `token` as the bearer.
    pub async fn me(&self, token: &str) -> Response {
        self.get_with_token(paths::ME, token).await
    }
}

/// /oauth: form posts from a fresh client (RFC 6749, 7009, 7662).
impl TestApp {
    /// POST /oauth/token with `form`, and HTTP Basic client credentials when given.
    pub async fn token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
        self.oauth_form(paths::TOKEN, form, basic, None).await
    }

    /// POST /oauth/token with the password grant, and `scope` when given.
    pub async fn password_grant(
        &self,
        email: &str,
        password: &str,
        scope: Option<&str>,
        basic: Option<(&str, &str)>,
    ) -> Response {
        let mut form = vec![
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token(&form, basic).await
    }

    pub async fn revoke(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        bearer: Option<&str>,
    ) -> Response {
        self.oauth_form(paths::REVOKE, form, basic, bearer).await
    }

    pub async fn introspect(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        bearer: Option<&str>,
    ) -> Response {
        self.oauth_form(paths::INTROSPECT, form, basic, bearer)
            .await
    }

    /// Introspects `token` with the bootstrap admin's bearer token, which must answer
    /// 200: the JSON answer.
    pub async fn introspect_as_admin(&self, token: &str) -> Value {
        let admin = self.admin_token().await;
        let res = self
            .introspect(&[("token", token)], None, Some(&admin))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }
}

/// Published documents and probes.
impl TestApp {
    /// The JWKS as JSON.
    pub async fn jwks(&self) -> Value {
        self.jwks_response().await.json().await.unwrap()
    }

    pub async fn jwks_response(&self) -> Response {
        self.get(paths::JWKS).await
    }

    pub async fn healthz(&self) -> Response {
        self.get(paths::HEALTHZ).await
    }

    pub async fn readyz(&self) -> Response {
        self.get(paths::READYZ).await
    }

    /// The Prometheus exposition of the metrics listener, as text.
    pub async fn metrics_scrape(&self) -> String {
        self.client
            .get(format!("{}{}", self.metrics_address, paths::METRICS))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// /admin: each call carries the admin's bearer token.
impl TestApp {
    /// An access token of the bootstrap admin, from a client of its own.
    pub async fn admin_token(&self) -> String {
        self.access_token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// POST /admin/users with a JSON body.
    pub async fn admin_create_user(&self, admin: Option<&str>, body: &Value) -> Response {
        self.post_json(paths::ADMIN_USERS, admin, body).await
    }

    /// POST /admin/clients with a JSON body.
    pub async fn admin_create_client(&self, admin: Option<&str>, body: &Value) -> Response {
        self.post_json(paths::ADMIN_CLIENTS, admin, body).await
    }

    /// POST /admin/users/{id}/revoke-sessions with an empty JSON body.
    /// GET /admin/clients/{id} with the admin's token.
    pub async fn admin_client(&self, id: &str, admin: &str) -> Response {
        self.get_with_token(&format!("{}/{id}", paths::ADMIN_CLIENTS), admin)
            .await
    }

    /// DELETE /admin/clients/{id} with the admin's token.
    pub async fn admin_remove_client(&self, id: &str, admin: &str) -> Response {
        self.client
            .delete(self.url(&format!("{}/{id}", paths::ADMIN_CLIENTS)))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_revoke_sessions(&self, id: &str, admin: &str) -> Response {
        let path = paths::admin_user_action(id, "revoke-sessions");
        self.post_json(&path, Some(admin), &json!({})).await
    }

    /// POST /admin/keys/{kid}/revoke with an empty JSON body.
    pub async fn admin_revoke_key(&self, kid: &str, admin: &str) -> Response {
        self.post_json(&paths::admin_key_revoke(kid), Some(admin), &json!({}))
            .await
    }

    pub async fn admin_keys_response(&self, admin: &str) -> Response {
        self.get_with_token(paths::ADMIN_KEYS, admin).await
    }

    /// The keys of GET /admin/keys, which must answer 200.
    pub async fn admin_keys(&self, admin: &str) -> Vec<Value> {
        let res = self.admin_keys_response(admin).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["keys"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn kid_in_state(&self, admin: &str, state: &str) -> String {
        self.admin_keys(admin)
            .await
            .into_iter()
            .find(|k| k["state"] == state)
            .unwrap_or_else(|| panic!("no {state} key"))["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a user through the admin API.
    pub async fn create_user(&self, email: &str, password: &str, roles: &[&str]) -> Value {
        let admin = self.admin_token().await;
        let res = self
            .admin_create_user(
                Some(&admin),
                &json!({"email": email, "password": password, "roles": roles}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// Registers a confidential client through the admin API with `body` (`name`
    /// defaults to "test-client"; without `grant_types` and `redirect_uris` it gets the
    /// grants every client had before the code flow: password, refresh_token and
    /// client_credentials): (client_id, client_secret).
    pub async fn register_client(&self, mut body: Value) -> (String, String) {
        if body.get("name").is_none() {
            body["name"] = json!("test-client");
        }
        if body.get("grant_types").is_none() && body.get("redirect_uris").is_none() {
            body["grant_types"] = json!(["password", "refresh_token", "client_credentials"]);
        }
        let admin = self.admin_token().await;
        let res = self.admin_create_client(Some(&admin), &body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        (
            body["client_id"].as_str().unwrap().to_owned(),
            body["client_secret"].as_str().unwrap().to_owned(),
        )
    }
}
