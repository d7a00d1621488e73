//! `TestApp`: the real app, in-process, on port 0, against a fresh database. Its
//! endpoint methods are in `endpoints.rs`; here are starting it and plain requests.

use std::sync::Arc;

use reqwest::{Client, Response};
use serde_json::Value;
use tessera::clock::ManualClock;
use tessera::startup::Application;

use super::database::{Engine, TestDatabase};
use super::env::base_env;

pub struct TestApp {
    pub address: String,
    pub metrics_address: String,
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub client: Client,
    pub app: Arc<tessera::state::AppState>,
    /// The store behind the services, to inspect or prepare the database.
    pub store: tessera::storage::SharedStore,
    handles: (actix_web::dev::ServerHandle, actix_web::dev::ServerHandle),
    pub db: Arc<TestDatabase>,
}

/// Starts an app on `engine` with a fresh database, or `None` when the engine is not available.
pub async fn spawn_app(engine: Engine) -> Option<TestApp> {
    spawn_app_with(engine, &[]).await
}

pub async fn spawn_app_with(engine: Engine, overrides: &[(&str, &str)]) -> Option<TestApp> {
    let db = Arc::new(TestDatabase::create(engine).await?);
    Some(spawn_on(db, engine, overrides, Arc::new(ManualClock::default())).await)
}

/// Another instance on the same database: a second replica.
pub async fn spawn_on(
    db: Arc<TestDatabase>,
    engine: Engine,
    overrides: &[(&str, &str)],
    clock: Arc<ManualClock>,
) -> TestApp {
    let mut env = base_env(&db.url);
    for (k, v) in overrides {
        env.insert(k.to_string(), v.to_string());
    }
    let settings =
        tessera::config::load_from(None, Some(env)).expect("test configuration is valid");
    tessera::telemetry::init(&settings.log);
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = format!("http://127.0.0.1:{}", app.metrics_port());
    let handles = app.handles();
    let state = app.state();
    let store = app.store();
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        metrics_address,
        engine,
        clock,
        client,
        app: state,
        store,
        handles,
        db,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let (a, b) = self.handles.clone();
        tokio::spawn(async move {
            a.stop(false).await;
            b.stop(false).await;
        });
    }
}

/// Plain requests, for what the endpoint methods do not cover (odd methods, headers,
/// bodies).
impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// A client without cookies: for a second device, or an attacker.
    pub fn fresh_client() -> Client {
        Client::builder().cookie_store(true).build().unwrap()
    }

    /// A form POST from a fresh client, with HTTP Basic client credentials and a bearer
    /// token when given: how the OAuth endpoints are called.
    pub async fn oauth_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        bearer: Option<&str>,
    ) -> Response {
        let mut req = Self::fresh_client().post(self.url(path)).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }
}

/// Tokens the server would accept the shape and MAC of, for tests of what it does next.
impl TestApp {
    /// A refresh token with a valid MAC that was never issued (as a purged token is):
    /// the MAC key unsealed from the database with the test KEK.
    pub async fn unissued_refresh_token(&self) -> String {
        let stored = self
            .store
            .mac_key()
            .await
            .unwrap()
            .expect("created at start-up");
        let kek = tessera::domain::Kek::from_base64(super::env::TEST_KEK).unwrap();
        let key = tessera::keys::unseal_mac_key(&kek, &stored.sealed).unwrap();
        let mac = tessera::sessions::RefreshMac::new(
            key.expose(),
            tessera::domain::UnixTime::from_secs(0),
        );
        tessera::sessions::RefreshToken::generate(&mac)
            .as_str()
            .to_owned()
    }
}
