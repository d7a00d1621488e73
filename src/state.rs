//! What every handler shares: built once in startup, passed as `web::Data`.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::KeyService;
use crate::metrics::Metrics;
use crate::sessions::SessionService;
use crate::status::StatusService;
use crate::tokens::TokenService;

pub struct AppState {
    pub settings: Arc<Settings>,
    pub keys: Arc<KeyService>,
    pub tokens: Arc<TokenService>,
    pub sessions: Arc<SessionService>,
    pub status: Arc<StatusService>,
    pub metrics: Metrics,
    /// The database write probe `/readyz` shares among its callers.
    pub readiness: crate::readiness::Readiness,
    pub clock: Arc<dyn Clock>,
    /// For the pool gauges; every query goes through the services.
    pub db: crate::storage::Database,
    /// `public, max-age=<keys.jwks_max_age>`, formatted once.
    pub jwks_cache_control: actix_web::http::header::HeaderValue,
    /// `public, max-age=<status_list.ttl>`, formatted once.
    pub status_cache_control: actix_web::http::header::HeaderValue,
    /// The OpenAPI document, serialized once at start-up.
    pub openapi: actix_web::web::Bytes,
}
