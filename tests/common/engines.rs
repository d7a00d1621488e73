//! `both_engines!`: one test body, run once on SQLite and once on PostgreSQL, each with
//! an app of its own on a fresh database.

/// Runs the test body on SQLite and, when configured, PostgreSQL, as two tests
/// `<name>::sqlite` and `<name>::postgres`. Configuration for both goes before the
/// function: `with [KEY => value, ...];`, or `with OVERRIDES;` for a
/// `&[(&str, &str)]` constant shared by several tests.
#[macro_export]
macro_rules! both_engines {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::both_engines!(with []; async fn $name($app) $body);
    };
    (with [$($key:expr => $value:expr),* $(,)?]; $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::both_engines!(with &[$(($key, $value)),*]; async fn $name($app) $body);
    };
    (with $overrides:expr; $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            use super::*;

            async fn body($app: $crate::common::TestApp) $body

            const OVERRIDES: &[(&str, &str)] = $overrides;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::common::spawn_app_with($crate::common::Engine::Sqlite, OVERRIDES).await.unwrap()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::common::spawn_app_with($crate::common::Engine::Postgres, OVERRIDES).await {
                    Some(app) => body(app).await,
                    None => eprintln!("skipped: set {} to run on PostgreSQL", $crate::common::POSTGRES_ENV),
                }
            }
        }
    };
}
