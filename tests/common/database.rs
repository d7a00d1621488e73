//! A database that exists for one test: a SQLite file in a temporary folder, or a
//! PostgreSQL database of its own on the server named by `TESSERA_TEST_POSTGRES_URL`.

use super::env::POSTGRES_ENV;

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

/// A statement that seeds an old schema, with its blob parameters (`$1`...).
pub type Seed = (String, Vec<Vec<u8>>);

impl TestDatabase {
    /// Applies this engine's migrations older than `version` (a database as an older
    /// release left it), then runs `seeds` on it, for a test that starts the current
    /// binary on it.
    pub async fn migrated_before(&self, engine: Engine, version: i64, seeds: &[Seed]) {
        let folder = match engine {
            Engine::Sqlite => "migrations/sqlite",
            Engine::Postgres => "migrations/postgres",
        };
        let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new(folder))
            .await
            .unwrap();
        migrator.migrations = std::borrow::Cow::Owned(
            migrator
                .migrations
                .iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect(),
        );
        macro_rules! seed {
            ($pool:expr) => {{
                migrator.run(&$pool).await.unwrap();
                for (sql, binds) in seeds {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                    for b in binds {
                        q = q.bind(b.clone());
                    }
                    q.execute(&$pool).await.unwrap();
                }
                $pool.close().await;
            }};
        }
        match engine {
            Engine::Sqlite => {
                use std::str::FromStr;
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.url)
                    .unwrap()
                    .create_if_missing(true);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                seed!(pool);
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                seed!(pool);
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
