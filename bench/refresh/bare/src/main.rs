//! Bare sqlx reference for the tessera refresh-rotation benchmark.
//!
//! N tasks, each with its own refresh-token chain, rotate in a tight loop with exactly
//! the statements of tessera's `rotate_refresh` happy path (src/storage/sql_sessions.rs):
//!
//!   BEGIN; SPEND (UPDATE refresh_tokens ... RETURNING the family and its user);
//!   INSERT_CHILD (INSERT INTO refresh_tokens ... SELECT ... FROM refresh_families); COMMIT
//!
//! on a native `SqlitePool` / `PgPool` (not the Any driver), against a database migrated
//! with tessera's own migrations. Like tessera, each rotation makes a fresh 256-bit
//! token, base64url-encodes it and stores its SHA-256. No HTTP, no JWT, no other query.
//!
//! Usage: refresh-bare --url URL --migrations DIR [--tasks 64] [--pool 10] [--secs 10]
//!                      [--warmup 1] [--queries tx|join|lookups] [--driver native|any] [--no-ping]
//! Prints: BARE ok=N errors=N secs=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
//!
//! The defaults are the reference of the benchmark. The other options exist to take
//! tessera's cost apart, one ingredient at a time, without HTTP:
//! * `--queries join` adds, inside the transaction before COMMIT, the read of the family
//!   and its user that tessera's `finish_rotation` makes (since commit 8aaf440, "Refresh
//!   in five round trips instead of seven");
//! * `--queries lookups` instead adds what `SessionService::refresh` did before that
//!   commit: `family_of_token` before the transaction and `user_by_id` after it, each on
//!   its own pool checkout;
//! * `--driver any` runs on an `AnyPool` opened like tessera's (src/storage/connect.rs)
//!   instead of the native pool;
//! * `--no-ping` sets `test_before_acquire(false)`: by default sqlx pings a connection
//!   (one round trip) on every checkout.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor, PgPool, Row, SqlitePool};

/// Verbatim from tessera's src/storage/sql_sessions.rs.
const SPEND: &str = "UPDATE refresh_tokens SET used_at = $1, child_hash = $3 \
    WHERE hash = $2 AND used_at IS NULL AND expires_at > $1 \
    AND family_id IN (SELECT id FROM refresh_families WHERE id = refresh_tokens.family_id AND revoked_at IS NULL AND expires_at > $1) \
    RETURNING family_id AS id, \
    (SELECT f.user_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS user_id, \
    (SELECT f.client_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS client_id, \
    (SELECT f.scope FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS scope, \
    (SELECT f.expires_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS expires_at, \
    (SELECT f.revoked_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS revoked_at, \
    (SELECT u.roles FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS roles, \
    (SELECT u.disabled_at FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS disabled_at";

/// Verbatim from tessera's src/storage/sql_sessions.rs.
const INSERT_CHILD: &str =
    "INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at) \
    SELECT $1, id, $2, $3, CASE WHEN $4 < expires_at THEN $4 ELSE expires_at END \
    FROM refresh_families WHERE id = $5";

/// Verbatim from tessera's `finish_rotation` (`--queries join`).
const FAMILY_AND_USER: &str = "SELECT f.id, f.user_id, f.client_id, f.scope, f.expires_at, f.revoked_at, u.roles, u.disabled_at \
    FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = $1";

/// Verbatim from tessera's `family_of_token` and `user_by_id` (`--queries lookups`).
const FAMILY_OF_TOKEN: &str = "SELECT f.id, f.user_id, f.client_id, f.scope, f.expires_at, f.revoked_at FROM refresh_tokens t \
    JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = $1";
const USER_BY_ID: &str = "SELECT id, email, password_hash, roles, disabled_at, sessions_revoked_at, created_at FROM users WHERE id = $1";

const INSERT_USER: &str = "INSERT INTO users (id, email, password_hash, roles, created_at) \
    VALUES ($1, $2, 'x', 'admin', $3)";
const INSERT_FAMILY: &str =
    "INSERT INTO refresh_families (id, user_id, client_id, scope, created_at, expires_at) \
    VALUES ($1, $2, NULL, '', $3, $4)";
const INSERT_FIRST: &str =
    "INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";

const REFRESH_TTL: i64 = 30 * 86_400;
const IDLE_TTL: i64 = 7 * 86_400;
/// Same as tessera's SQLITE_BUSY_TIMEOUT_MS.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_millis(5_000);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Queries {
    /// BEGIN; SPEND; INSERT_CHILD; COMMIT: the reference.
    Tx,
    /// ... INSERT_CHILD; SELECT family JOIN user; COMMIT.
    Join,
    /// family_of_token; BEGIN; SPEND; INSERT_CHILD; COMMIT; user_by_id.
    Lookups,
}

struct Args {
    url: String,
    migrations: PathBuf,
    tasks: usize,
    pool: u32,
    secs: f64,
    warmup: f64,
    /// Extra statements besides the reference transaction.
    queries: Queries,
    any: bool,
    ping: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: String::new(),
        migrations: PathBuf::new(),
        tasks: 64,
        pool: 10,
        secs: 10.0,
        warmup: 1.0,
        queries: Queries::Tx,
        any: false,
        ping: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| die(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--url" => args.url = value(),
            "--migrations" => args.migrations = PathBuf::from(value()),
            "--tasks" => args.tasks = value().parse().unwrap_or_else(|_| die("--tasks")),
            "--pool" => args.pool = value().parse().unwrap_or_else(|_| die("--pool")),
            "--secs" => args.secs = value().parse().unwrap_or_else(|_| die("--secs")),
            "--warmup" => args.warmup = value().parse().unwrap_or_else(|_| die("--warmup")),
            "--queries" => {
                args.queries = match value().as_str() {
                    "tx" => Queries::Tx,
                    "join" => Queries::Join,
                    "lookups" => Queries::Lookups,
                    _ => die("--queries is tx, join or lookups"),
                }
            }
            "--driver" => {
                args.any = match value().as_str() {
                    "native" => false,
                    "any" => true,
                    _ => die("--driver is native or any"),
                }
            }
            "--no-ping" => args.ping = false,
            other => die(&format!("unknown argument {other}")),
        }
    }
    if args.url.is_empty() || args.migrations.as_os_str().is_empty() {
        die("usage: refresh-bare --url URL --migrations DIR [--tasks N] [--pool N] [--secs S] [--warmup S]");
    }
    args
}

fn die(msg: &str) -> ! {
    eprintln!("refresh-bare: {msg}");
    std::process::exit(2)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A fresh refresh token's lookup key as tessera makes one: the token is the issue time in
/// milliseconds (6 bytes) and 32 random bytes, in base64url; the key is that time, then
/// the token's SHA-256 (src/sessions/refresh_token.rs).
fn new_token_hash(rng: &SystemRandom) -> Vec<u8> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut bytes = [0u8; 38];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    rng.fill(&mut bytes[6..]).expect("OS randomness");
    let text = URL_SAFE_NO_PAD.encode(bytes);
    let mut key = bytes[..6].to_vec();
    key.extend_from_slice(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref());
    key
}

/// Per-task result: rotations inside the measured window, errors, latencies (µs).
#[derive(Default)]
struct TaskStats {
    ok: u64,
    errors: u64,
    lat_us: Vec<u32>,
}

/// One task's loop, the same for both engines (sqlx's native pools differ only in type).
macro_rules! rotation_loop {
    ($pool:expr, $first:expr, $queries:expr, $measure_from:expr, $until:expr) => {{
        let pool = $pool;
        let queries: Queries = $queries;
        let rng = SystemRandom::new();
        let mut presented: Vec<u8> = $first;
        let mut stats = TaskStats::default();
        loop {
            let t0 = Instant::now();
            if t0 >= $until {
                break;
            }
            let child = new_token_hash(&rng);
            let now = unix_now();
            let result: Result<bool, sqlx::Error> = async {
                let mut user_id = None;
                if queries == Queries::Lookups {
                    let family = sqlx::query(FAMILY_OF_TOKEN)
                        .bind(presented.clone())
                        .fetch_optional(pool)
                        .await?;
                    let Some(family) = family else {
                        return Ok(false);
                    };
                    let uid: String = family.try_get("user_id")?;
                    let _scope: String = family.try_get("scope")?;
                    let _client: Option<String> = family.try_get("client_id")?;
                    let _exp: i64 = family.try_get("expires_at")?;
                    user_id = Some(uid);
                }
                let mut tx = pool.begin().await?;
                let spent = sqlx::query(SPEND)
                    .bind(now)
                    .bind(presented.clone())
                    .bind(child.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(row) = spent else {
                    tx.rollback().await?;
                    return Ok(false);
                };
                let family_id: String = row.try_get("id")?;
                sqlx::query(INSERT_CHILD)
                    .bind(child.clone())
                    .bind(presented.clone())
                    .bind(now)
                    .bind(now + IDLE_TTL)
                    .bind(family_id.clone())
                    .execute(&mut *tx)
                    .await?;
                if queries == Queries::Join {
                    let row = sqlx::query(FAMILY_AND_USER)
                        .bind(family_id.clone())
                        .fetch_one(&mut *tx)
                        .await?;
                    let _uid: String = row.try_get("user_id")?;
                    let _client: Option<String> = row.try_get("client_id")?;
                    let _scope: String = row.try_get("scope")?;
                    let _exp: i64 = row.try_get("expires_at")?;
                    let _roles: String = row.try_get("roles")?;
                    let _disabled: Option<i64> = row.try_get("disabled_at")?;
                }
                tx.commit().await?;
                if let Some(user_id) = user_id {
                    let user = sqlx::query(USER_BY_ID)
                        .bind(user_id)
                        .fetch_optional(pool)
                        .await?;
                    let Some(user) = user else { return Ok(false) };
                    let _roles: String = user.try_get("roles")?;
                    let _disabled: Option<i64> = user.try_get("disabled_at")?;
                    let _hash: String = user.try_get("password_hash")?;
                }
                Ok(true)
            }
            .await;
            let done = Instant::now();
            let measured = t0 >= $measure_from && done <= $until;
            match result {
                Ok(true) => {
                    presented = child;
                    if measured {
                        stats.ok += 1;
                        stats
                            .lat_us
                            .push(done.duration_since(t0).as_micros().min(u32::MAX as u128) as u32);
                    }
                }
                Ok(false) => {
                    // Chain broken (should never happen): count and stop this task.
                    stats.errors += 1;
                    eprintln!("refresh-bare: a token did not spend; chain stopped");
                    break;
                }
                Err(e) => {
                    stats.errors += 1;
                    if stats.errors <= 3 {
                        eprintln!("refresh-bare: {e}");
                    }
                    // A failed transaction rolled back: the presented token is still unspent.
                }
            }
        }
        stats
    }};
}

/// A user and one family per task, each with its first token; returns the token hashes.
macro_rules! seed {
    ($pool:expr, $n:expr) => {{
        let pool = $pool;
        let rng = SystemRandom::new();
        let now = unix_now();
        sqlx::query(INSERT_USER)
            .bind("bench-user")
            .bind("bench@example.com")
            .bind(now)
            .execute(pool)
            .await
            .expect("user");
        let mut tokens = Vec::with_capacity($n);
        let mut tx = pool.begin().await.expect("begin");
        for i in 0..$n {
            let family = format!("bench-family-{i}");
            let hash = new_token_hash(&rng);
            sqlx::query(INSERT_FAMILY)
                .bind(family.clone())
                .bind("bench-user")
                .bind(now)
                .bind(now + REFRESH_TTL)
                .execute(&mut *tx)
                .await
                .expect("family");
            sqlx::query(INSERT_FIRST)
                .bind(hash.clone())
                .bind(family)
                .bind(now)
                .bind(now + IDLE_TTL)
                .execute(&mut *tx)
                .await
                .expect("token");
            tokens.push(hash);
        }
        tx.commit().await.expect("commit");
        tokens
    }};
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let migrator = Migrator::new(args.migrations.as_path())
        .await
        .unwrap_or_else(|e| die(&format!("migrations: {e}")));
    // The clock starts once the database is migrated and seeded.
    let window = |start: Instant| {
        let measure_from = start + Duration::from_secs_f64(args.warmup);
        (
            measure_from,
            measure_from + Duration::from_secs_f64(args.secs),
        )
    };
    let mut handles = Vec::with_capacity(args.tasks);
    let sqlite = args.url.starts_with("sqlite:");
    if !sqlite && !args.url.starts_with("postgres:") && !args.url.starts_with("postgresql:") {
        die("--url must be sqlite:... or postgres://...");
    }
    let tq = args.queries;

    // Spawns one rotation loop per seeded chain on `$pool` (an Arc of any sqlx pool).
    macro_rules! launch {
        ($pool:expr) => {{
            let pool = $pool;
            migrator
                .run(&*pool)
                .await
                .unwrap_or_else(|e| die(&format!("migrate: {e}")));
            let tokens = seed!(&*pool, args.tasks);
            let (measure_from, until) = window(Instant::now());
            for first in tokens {
                let pool = pool.clone();
                handles.push(tokio::spawn(async move {
                    rotation_loop!(&*pool, first, tq, measure_from, until)
                }));
            }
        }};
    }

    let base = |max: u32| (max, Duration::from_secs(30));
    let (max, acquire) = base(args.pool);
    if args.any {
        // Opened the way tessera opens it (src/storage/connect.rs).
        sqlx::any::install_default_drivers();
        if sqlite {
            let prep = SqliteConnectOptions::from_str(&args.url)
                .unwrap_or_else(|e| die(&format!("url: {e}")))
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT);
            let conn = prep
                .connect()
                .await
                .unwrap_or_else(|e| die(&format!("connect: {e}")));
            conn.close().await.ok();
        }
        let mut options = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire)
            .test_before_acquire(args.ping);
        if sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;").await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(&args.url)
            .await
            .unwrap_or_else(|e| die(&format!("connect: {e}")));
        launch!(Arc::new(pool));
    } else if sqlite {
        // The settings tessera applies (src/storage/connect.rs): WAL, foreign keys,
        // 5 s busy timeout, synchronous NORMAL.
        let options = SqliteConnectOptions::from_str(&args.url)
            .unwrap_or_else(|e| die(&format!("url: {e}")))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);
        let pool: SqlitePool = SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire)
            .test_before_acquire(args.ping)
            .connect_with(options)
            .await
            .unwrap_or_else(|e| die(&format!("connect: {e}")));
        launch!(Arc::new(pool));
    } else {
        let pool: PgPool = PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire)
            .test_before_acquire(args.ping)
            .connect(&args.url)
            .await
            .unwrap_or_else(|e| die(&format!("connect: {e}")));
        launch!(Arc::new(pool));
    }

    let mut all = TaskStats::default();
    for h in handles {
        let s = h.await.expect("task");
        all.ok += s.ok;
        all.errors += s.errors;
        all.lat_us.extend(s.lat_us);
    }
    all.lat_us.sort_unstable();
    println!(
        "BARE ok={} errors={} secs={:.2} rps={:.1} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2} tasks={} pool={} queries={} driver={} ping={}",
        all.ok,
        all.errors,
        args.secs,
        all.ok as f64 / args.secs,
        percentile(&all.lat_us, 50.0),
        percentile(&all.lat_us, 90.0),
        percentile(&all.lat_us, 99.0),
        all.lat_us.last().copied().unwrap_or(0) as f64 / 1000.0,
        args.tasks,
        args.pool,
        format!("{:?}", args.queries).to_lowercase(),
        if args.any { "any" } else { "native" },
        args.ping,
    );
}
