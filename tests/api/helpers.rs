//! `spawn_app`: the real app, in-process, on port 0, against a fresh database.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use tessera::clock::ManualClock;
use tessera::startup::Application;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1234";
pub const TEST_KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Admin URL of the PostgreSQL server tests create their databases on.
pub const POSTGRES_ENV: &str = "TESSERA_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// `None` for PostgreSQL when no server is configured: that engine is skipped.
    pub async fn create(engine: Engine) -> Option<Self> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/tessera.db", dir.path().display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Engine::Postgres => {
                let admin = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
                let name = format!(
                    "tessera_test_{}",
                    tessera::tokens::random_id()
                        .to_lowercase()
                        .replace(['-', '_'], "")
                );
                run_postgres(&admin, &format!("CREATE DATABASE {name}")).await;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Some(Self {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    postgres: Some((admin.clone(), name)),
                })
            }
        }
    }
}

pub async fn run_postgres(admin_url: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("PostgreSQL for tests");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect(sql);
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside async: a short-lived runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(run_postgres(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
            })
            .join();
        }
    }
}

/// The environment a test app is configured from; tests add or override keys.
pub fn base_env(db_url: &str) -> HashMap<String, String> {
    [
        ("TESSERA__SERVER__LISTEN", "127.0.0.1:0"),
        ("TESSERA__SERVER__METRICS_LISTEN", "127.0.0.1:0"),
        ("TESSERA__SERVER__WORKERS", "2"),
        ("TESSERA__SERVER__SHUTDOWN_TIMEOUT", "1s"),
        ("TESSERA__DATABASE__URL", db_url),
        ("TESSERA__DATABASE__MAX_CONNECTIONS", "5"),
        ("TESSERA__KEYS__KEK", TEST_KEK),
        ("TESSERA__COOKIES__SECURE", "false"),
        ("TESSERA__BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL),
        ("TESSERA__BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("TESSERA__LOG__FILTER", "error"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

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

/// Runs the test body on SQLite and, when configured, PostgreSQL; `with [(key, value),
/// ...];` before the function sets configuration for both.
#[macro_export]
macro_rules! both_engines {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::both_engines!(with []; async fn $name($app) $body);
    };
    (with [$($key:expr => $value:expr),* $(,)?]; $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            use super::*;

            async fn body($app: $crate::helpers::TestApp) $body

            const OVERRIDES: &[(&str, &str)] = &[$(($key, $value)),*];

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::helpers::spawn_app_with($crate::helpers::Engine::Sqlite, OVERRIDES).await.unwrap()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::helpers::spawn_app_with($crate::helpers::Engine::Postgres, OVERRIDES).await {
                    Some(app) => body(app).await,
                    None => eprintln!("skipped: set {} to run on PostgreSQL", $crate::helpers::POSTGRES_ENV),
                }
            }
        }
    };
}

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

    pub async fn login_with(&self, client: &Client, email: &str, password: &str) -> Response {
        client
            .post(self.url("/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.login_with(&self.client, email, password).await
    }

    /// An access token of the bootstrap admin, from a client of its own.
    pub async fn admin_token(&self) -> String {
        let res = self
            .login_with(&Self::fresh_client(), ADMIN_EMAIL, ADMIN_PASSWORD)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a user through the admin API.
    pub async fn create_user(&self, email: &str, password: &str, roles: &[&str]) -> Value {
        let admin = self.admin_token().await;
        let res = self
            .post_json(
                "/admin/users",
                Some(&admin),
                &json!({"email": email, "password": password, "roles": roles}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// POST /auth/refresh with the CSRF header copied from the cookie jar's value.
    pub async fn refresh_with(&self, client: &Client, refresh: &str, csrf: &str) -> Response {
        client
            .post(self.url("/auth/refresh"))
            .header(
                "Cookie",
                format!("tessera_refresh={refresh}; tessera_csrf={csrf}"),
            )
            .header("X-CSRF-Token", csrf)
            .send()
            .await
            .unwrap()
    }

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

    /// Registers a client through the admin API with `body` (`name` defaults to
    /// "test-client"): (client_id, client_secret).
    pub async fn register_client(&self, mut body: Value) -> (String, String) {
        if body.get("name").is_none() {
            body["name"] = json!("test-client");
        }
        let admin = self.admin_token().await;
        let res = self.post_json("/admin/clients", Some(&admin), &body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        (
            body["client_id"].as_str().unwrap().to_owned(),
            body["client_secret"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn jwks(&self) -> Value {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap()
    }

    pub async fn admin_keys(&self, admin: &str) -> Vec<Value> {
        let res = self.get_with_token("/admin/keys", admin).await;
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
}

/// The value of a named cookie among a response's `Set-Cookie` headers, with its attributes.
pub fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// Verifies `token` with josekit and nothing but the published JWKS: an independent verifier.
pub fn verify_with_jwks(jwks: &Value, token: &str) -> Result<Value, String> {
    use josekit::jws::{ES256, RS256};
    let header: Value = {
        use base64::Engine;
        let h = token.split('.').next().ok_or("no header")?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())?
    };
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let set = josekit::jwk::JwkSet::from_bytes(serde_json::to_vec(jwks).unwrap())
        .map_err(|e| e.to_string())?;
    let jwk = set
        .get(kid)
        .into_iter()
        .next()
        .ok_or_else(|| format!("kid {kid} is not in the JWKS"))?;
    let (payload, _) = match header["alg"].as_str() {
        Some("ES256") => josekit::jwt::decode_with_verifier(
            token,
            &ES256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?,
        ),
        Some("RS256") => josekit::jwt::decode_with_verifier(
            token,
            &RS256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?,
        ),
        other => return Err(format!("unexpected alg {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(payload.claims_set()).unwrap())
}
