//! Attacks on the running app: every forged or dead token is refused, never a 5xx, and
//! forged forwarding headers do not choose the client address.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod forge;
mod insider;
mod judge;
#[allow(dead_code)]
#[path = "../faults/server.rs"]
mod server;

mod claims;
mod client_address;
mod dead_tokens;
mod headers;
mod key_confusion;
mod signatures;

/// `both_engines!` for an authority configured with `overrides` (e.g. RS256 keys).
#[macro_export]
macro_rules! both_engines_with {
    ($overrides:expr, async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            use super::*;

            async fn body($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Engine::Sqlite, $overrides);
                body(app.await.unwrap()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::helpers::spawn_app_with($crate::helpers::Engine::Postgres, $overrides).await {
                    Some(app) => body(app).await,
                    None => eprintln!("skipped: set {} to run on PostgreSQL", $crate::helpers::POSTGRES_ENV),
                }
            }
        }
    };
}

/// The configuration of an authority that signs with RS256.
pub const RS256: &[(&str, &str)] = &[("TESSERA__KEYS__ALGORITHM", "RS256")];
