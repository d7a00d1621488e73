//! Builds the application from settings: database, keys, services, both listeners.
//! Tests use port 0 and read the bound ports back.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use utoipa_actix_web::AppExt;

use crate::clock::{Clock, SystemClock};
use crate::config::{KekSetting, Settings};
use crate::domain::Kek;
use crate::http::conn_deadline;
use crate::http::request_metrics::RecordMetrics;
use crate::http::request_span::RequestSpan;
use crate::keys::lifecycle::Policy;
use crate::keys::service::KeyServiceConfig;
use crate::keys::{KeyError, KeyService};
use crate::metrics::Metrics;
use crate::sessions::SessionService;
use crate::state::AppState;
use crate::storage::{self, Database, SharedStore};
use crate::tokens::{Expectations, TokenService};

/// Why the authority could not start. `exit_code` tells operators what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot unseal signing keys: wrong key-encryption key?")]
    WrongKek,
    #[error("database: {0}")]
    Database(#[from] storage::StoreError),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

impl StartupError {
    /// 2 for what the operator must fix in configuration or key material, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Config(_) | Self::WrongKek => 2,
            _ => 1,
        }
    }
}

impl From<KeyError> for StartupError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Unseal(_) => Self::WrongKek,
            KeyError::Store(e) => Self::Database(e),
            other => Self::Other(other.to_string()),
        }
    }
}

/// Loads the KEK, creating one on the embedded default when there is none.
pub fn resolve_kek(setting: &KekSetting) -> Result<Kek, StartupError> {
    match setting {
        KekSetting::Loaded(kek) => Ok(kek.clone()),
        KekSetting::CreateAt(path) => match Kek::create_file(path) {
            Ok(kek) => {
                tracing::warn!(
                    path = %path.display(),
                    "GENERATED A NEW KEY-ENCRYPTION KEY. Fine for trying tessera out; production must supply its own \
                     (keys.kek_file or keys.kek) and back it up: without it the signing keys cannot be unsealed"
                );
                Ok(kek)
            }
            // Another process created it a moment ago: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = zeroize::Zeroizing::new(std::fs::read_to_string(path)?);
                Kek::from_base64(&text).map_err(|m| {
                    crate::config::ConfigError::new(
                        "keys.kek_file",
                        format!("{}: {m}", path.display()),
                    )
                    .into()
                })
            }
            Err(e) => Err(crate::config::ConfigError::new(
                "keys.kek_file",
                format!("cannot create {}: {e}", path.display()),
            )
            .into()),
        },
    }
}

/// Opens and migrates the database of `settings`.
pub async fn open_database(settings: &Settings) -> Result<Database, StartupError> {
    let db = storage::connect(&settings.database).await?;
    storage::migrate(&db).await?;
    Ok(db)
}

/// The services of one instance, and the store behind them.
pub struct Instance {
    pub state: Arc<AppState>,
    /// For tests and tools that inspect the database; handlers never see it.
    pub store: SharedStore,
}

/// The services of one instance, without listeners: the CLI uses these too.
pub async fn build_state(
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<Instance, StartupError> {
    let db = open_database(&settings).await?;
    let metrics = Metrics::new();
    let store = db.store(storage::RotationMetrics {
        batch_sizes: metrics.refresh_group_commit_size.clone(),
        writer_transactions: metrics.refresh_writer_transactions.clone(),
        screened_out: metrics.refresh_screened_out.clone(),
    });
    let kek = resolve_kek(&settings.keys.kek)?;
    let keys = KeyService::start(
        store.clone(),
        KeyServiceConfig {
            kek,
            policy: Policy::new(
                settings.keys.jwks_max_age,
                settings.tokens.access_ttl,
                settings.keys.reload_interval,
                settings.keys.rotation_interval,
            ),
            algorithm: settings.keys.algorithm,
            rsa_bits: settings.keys.rsa_bits,
        },
        clock.clone(),
        metrics.clone(),
    )
    .await?;
    let tokens = Arc::new(TokenService::new(
        keys.clone(),
        store.clone(),
        clock.clone(),
        metrics.clone(),
        Expectations {
            issuer: settings.issuer.clone(),
            audiences: settings.tokens.audience.clone(),
        },
        settings.tokens.access_ttl,
    ));
    let sessions = Arc::new(SessionService::new(
        store.clone(),
        tokens.clone(),
        clock.clone(),
        metrics.clone(),
        &settings.tokens,
    ));
    if let Some(admin) = &settings.bootstrap {
        sessions
            .bootstrap_admin(&admin.email, admin.password.expose().clone())
            .await
            .map_err(|e| StartupError::Other(format!("bootstrap admin: {e}")))?;
    }
    let state = Arc::new(AppState {
        openapi: serde_json::to_vec(&crate::http::openapi::document())
            .expect("the OpenAPI document serializes")
            .into(),
        jwks_cache_control: format!("public, max-age={}", settings.keys.jwks_max_age.as_secs())
            .try_into()
            .expect("a number makes a valid header value"),
        settings: Arc::new(settings),
        readiness: crate::readiness::Readiness::new(store.clone()),
        keys,
        tokens,
        sessions,
        metrics,
        clock,
        db,
    });
    Ok(Instance { state, store })
}

/// A running authority: both listeners bound, background tasks started.
pub struct Application {
    port: u16,
    metrics_port: u16,
    server: Server,
    metrics_server: Server,
    state: Arc<AppState>,
    store: SharedStore,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// How often expired sessions are purged.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(300);

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(settings.server.listen)?;
        let metrics_listener = TcpListener::bind(settings.server.metrics_listen)?;
        let port = listener.local_addr()?.port();
        let metrics_port = metrics_listener.local_addr()?.port();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let shutdown = settings.server.shutdown_timeout.as_secs();
        let reload_every = settings.keys.reload_interval;
        let Instance { state, store } = build_state(settings, clock).await?;

        let data = web::Data::from(state.clone());
        let server = HttpServer::new({
            let data = data.clone();
            move || {
                App::new()
                    .into_utoipa_app()
                    .configure(crate::http::configure)
                    .into_app()
                    .app_data(data.clone())
                    .wrap(crate::http::head::AsGet)
                    .wrap(crate::http::json_errors())
                    // Outside json_errors, so the bodies it rewrites are covered too.
                    .wrap(crate::http::no_store::ByDefault)
                    .wrap(RecordMetrics::new(data.metrics.clone()))
                    .wrap(RequestSpan)
                    .wrap(conn_deadline::Track)
            }
        })
        .workers(workers)
        .shutdown_timeout(shutdown)
        // Slow clients: actix's own timers for the first head and for idle
        // keep-alive, set here so that conn_deadline's budget matches them;
        // conn_deadline times what they do not (later heads, bodies).
        .keep_alive(conn_deadline::KEEP_ALIVE)
        .client_request_timeout(conn_deadline::REQUEST_HEAD_TIMEOUT)
        .on_connect(conn_deadline::on_connect)
        .listen(listener)?
        .run();
        let metrics_server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .service(crate::http::metrics_endpoint::metrics)
        })
        .workers(1)
        .shutdown_timeout(shutdown)
        .listen(metrics_listener)?
        .run();

        let tasks = vec![
            state.keys.clone().spawn_maintenance(reload_every),
            state
                .sessions
                .clone()
                .spawn_housekeeping(HOUSEKEEPING_EVERY),
        ];
        tracing::info!(port, metrics_port, "tessera listening");
        Ok(Self {
            port,
            metrics_port,
            server,
            metrics_server,
            state,
            store,
            tasks,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> u16 {
        self.metrics_port
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// The store behind the services, for tests that inspect or prepare the database.
    pub fn store(&self) -> SharedStore {
        self.store.clone()
    }

    /// A handle that stops both listeners gracefully (tests, embedding).
    pub fn handles(&self) -> (actix_web::dev::ServerHandle, actix_web::dev::ServerHandle) {
        (self.server.handle(), self.metrics_server.handle())
    }

    /// Serves until SIGTERM or SIGINT, finishing in-flight requests first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics_handle = self.metrics_server.handle();
        let metrics = tokio::spawn(self.metrics_server);
        let result = self.server.await;
        metrics_handle.stop(true).await;
        let _ = metrics.await;
        for task in self.tasks {
            task.abort();
        }
        tracing::info!("tessera stopped");
        result
    }
}
