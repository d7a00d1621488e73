//! The services of one instance, without listeners: the KEK, the database, the store
//! with group commit around it, keys, tokens and sessions. The CLI uses these too.

use std::sync::Arc;

use super::StartupError;
use crate::clock::Clock;
use crate::config::{KekSetting, Settings};
use crate::domain::Kek;
use crate::keys::lifecycle::Policy;
use crate::keys::service::KeyServiceConfig;
use crate::keys::KeyService;
use crate::metrics::Metrics;
use crate::sessions::{RefreshMac, SessionService};
use crate::state::AppState;
use crate::status::StatusService;
use crate::storage::{self, Database, SharedStore};
use crate::tokens::{Expectations, TokenService};

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
    // Refresh rotations are group-committed; everything else goes straight to SQL.
    let store: SharedStore = Arc::new(storage::GroupCommit::start(
        db.sql_store(),
        db.rotation_lanes(),
        storage::RotationMetrics {
            batch_sizes: metrics.refresh_group_commit_size.clone(),
            writer_transactions: metrics.refresh_writer_transactions.clone(),
            screened_out: metrics.refresh_screened_out.clone(),
        },
    ));
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
    let status = Arc::new(StatusService::new(
        store.clone(),
        keys.clone(),
        clock.clone(),
        &settings.issuer,
        settings.status_list.ttl,
        settings.tokens.access_ttl,
    ));
    // Served from the first request on; a database that cannot say now is polled again.
    status.changed().await;
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
        status.clone(),
    ));
    let mac_key = keys.refresh_mac_key().await?;
    let sessions = Arc::new(
        SessionService::new(
            store.clone(),
            tokens.clone(),
            status.clone(),
            clock.clone(),
            metrics.clone(),
            &settings.tokens,
            RefreshMac::new(mac_key.key.expose(), mac_key.legacy_until),
        )
        .with_authority_ttl(settings.sessions.ttl),
    );
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
        status_cache_control: format!("public, max-age={}", settings.status_list.ttl.as_secs())
            .try_into()
            .expect("a number makes a valid header value"),
        status,
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
