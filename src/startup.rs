//! Builds the application from settings: database, keys, services, both listeners.
//! Tests use port 0 and read the bound ports back.

mod error;
mod services;

pub use error::StartupError;
pub use services::{build_state, open_database, resolve_kek, Instance};

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use utoipa_actix_web::AppExt;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::http::conn_deadline;
use crate::http::request_metrics::RecordMetrics;
use crate::http::request_span::RequestSpan;
use crate::state::AppState;
use crate::storage::SharedStore;

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
/// How often each replica looks for revocations made on the others: within 5 s, as the
/// contract promises, with room for a slow poll.
const STATUS_POLL_EVERY: Duration = Duration::from_secs(1);

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
                    .wrap(crate::http::cors::OpenEndpoints)
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
            state.status.clone().spawn_poller(STATUS_POLL_EVERY),
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
