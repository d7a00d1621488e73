//! The database goes away under load and comes back, the server running throughout:
//! PostgreSQL is a private cluster stopped with `pg_ctl stop`, SQLite's files refuse
//! writes (see `read_only_storage`). During the outage `/readyz` is 503, the token
//! endpoints answer a clean 503 with `Retry-After` (never a 500, never a hang), the
//! JWKS and discovery are served from memory; afterwards everything works again
//! without a restart, with the same keys.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use super::code_flow::CodeFlow;
use super::load::{Load, Phase, Report};
use super::private_postgres::PrivatePostgres;
use super::read_only_storage::{self, ReadOnlyStorage};
use super::session::{self, assert_clean_unavailable, Reply};
use crate::common::paths;
use crate::common::process::{client, TesseraCommand};
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD};

/// Liveness bounds only (a hang fails the test); the measured figures are printed.
const LIVENESS: Duration = Duration::from_secs(30);
/// The load runs this long in each phase that has no natural end.
const PHASE_TIME: Duration = Duration::from_secs(2);

enum Backing {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
        down: Option<ReadOnlyStorage>,
    },
    Postgres(Arc<PrivatePostgres>),
}

impl Backing {
    fn url(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Self::Postgres(pg) => pg.url(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// SQLite keeps answering reads while it refuses writes; a stopped cluster answers nothing.
    fn reads_survive(&self) -> bool {
        matches!(self, Self::Sqlite { .. })
    }

    async fn go_down(&mut self) {
        match self {
            Self::Sqlite { path, down, .. } => *down = Some(ReadOnlyStorage::begin(path)),
            Self::Postgres(pg) => {
                let pg = pg.clone();
                tokio::task::spawn_blocking(move || pg.stop())
                    .await
                    .unwrap();
            }
        }
    }

    async fn come_back(&mut self) {
        match self {
            Self::Sqlite { down, .. } => {
                if let Some(mut d) = down.take() {
                    d.end();
                }
            }
            Self::Postgres(pg) => {
                let pg = pg.clone();
                tokio::task::spawn_blocking(move || pg.start_again())
                    .await
                    .unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refusing_writes_gives_clean_503s_and_recovers_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    if !read_only_storage::supported(dir.path()) {
        eprintln!("skipped: files cannot be made immutable here (needs root and ext4/xfs/btrfs)");
        return;
    }
    let path = dir.path().join("tessera.db");
    run(Backing::Sqlite {
        _dir: dir,
        path,
        down: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_gives_clean_503s_and_recovers_without_restart() {
    let Some(pg) = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .unwrap()
    else {
        return;
    };
    run(Backing::Postgres(Arc::new(pg))).await;
}

fn kids(jwks: &Value) -> Vec<String> {
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .expect("a JWKS")
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    kids.sort();
    kids
}

fn ok(what: &str, reply: &Reply) -> session::Answer {
    match reply {
        Ok(a) if a.status == StatusCode::OK => a.clone(),
        Ok(a) => panic!("{what}: expected 200, got {} {}", a.status, a.body),
        Err(e) => panic!("{what}: no answer: {e}"),
    }
}

/// The path of the status list an access token's `status` claim names.
fn status_list_path(access: &str) -> String {
    use base64::Engine as _;
    let payload = access.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let uri = claims["status"]["status_list"]["uri"]
        .as_str()
        .expect("a status claim");
    uri[uri.find("/statuslists/").expect("a status list URI")..].to_owned()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

async fn run(mut backing: Backing) {
    let engine = backing.name();
    let tessera = TesseraCommand::server(&backing.url());
    let mut server = tessera.start().await;
    server.wait_ready(LIVENESS).await;
    let base = server.address.clone();
    let http = client();

    let jwks_before = ok("jwks", &session::get(&http, &base, paths::JWKS).await).body;
    // Sessions carried across the outage: a browser one and an OAuth one.
    let browser = ok(
        "login",
        &session::login(&http, &base, ADMIN_EMAIL, ADMIN_PASSWORD).await,
    )
    .tokens
    .unwrap();
    let oauth = ok(
        "password grant",
        &session::oauth_token(
            &http,
            &base,
            &[
                ("grant_type", "password"),
                ("username", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await,
    )
    .tokens
    .unwrap();

    let status_list = status_list_path(&browser.access);
    let list_before = ok(
        "status list",
        &session::get(&http, &base, &status_list).await,
    );

    // The code flow: signed in on the hosted page, and a code issued before the outage.
    let flow = CodeFlow::start(&http, &base, &browser.access).await;
    let code_before = flow.code(&base).await;

    let load = Load::start(&base, ADMIN_EMAIL, ADMIN_PASSWORD);
    tokio::time::sleep(PHASE_TIME).await;

    load.set_phase(Phase::GoingDown);
    backing.go_down().await;
    load.set_phase(Phase::Outage);
    let down_at = Instant::now();
    let mut noticed = None;
    while down_at.elapsed() < LIVENESS {
        let r = session::get(&http, &base, paths::READYZ).await;
        if r.as_ref()
            .is_ok_and(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
        {
            assert_clean_unavailable("/readyz during the outage", &r);
            noticed = Some(down_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let noticed = noticed.expect("/readyz turned 503 during the outage");

    // Every endpoint at once, so the outage lasts one acquire timeout, not six.
    let password_form = [
        ("grant_type", "password"),
        ("username", ADMIN_EMAIL),
        ("password", ADMIN_PASSWORD),
    ];
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", oauth.refresh.as_str()),
    ];
    let (
        (ready, login, refresh, password, oauth_refresh, me, jwks, discovery, health, list),
        (authorized, exchanged),
    ) = tokio::join!(
        async {
            tokio::join!(
                session::get(&http, &base, paths::READYZ),
                session::login(&http, &base, ADMIN_EMAIL, ADMIN_PASSWORD),
                session::refresh(&http, &base, &browser.refresh),
                session::oauth_token(&http, &base, &password_form),
                session::oauth_token(&http, &base, &refresh_form),
                session::me(&http, &base, &browser.access),
                session::get(&http, &base, paths::JWKS),
                session::get(&http, &base, paths::OPENID_CONFIGURATION),
                session::get(&http, &base, paths::HEALTHZ),
                session::get(&http, &base, &status_list),
            )
        },
        async {
            tokio::join!(
                flow.authorize(&base),
                flow.exchange(&http, &base, &code_before)
            )
        },
    );
    assert_clean_unavailable(paths::READYZ, &ready);
    // The hosted flow's page says so too, never a 500 or a code that was not stored.
    assert_eq!(
        authorized.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "/oauth/authorize during the outage"
    );
    assert!(authorized.code.is_none());
    assert_eq!(authorized.retry_after.as_deref(), Some("5"));
    assert_clean_unavailable("/oauth/token authorization_code", &exchanged);
    assert_clean_unavailable(paths::LOGIN, &login);
    assert_clean_unavailable(paths::REFRESH, &refresh);
    assert_clean_unavailable("/oauth/token password", &password);
    assert_clean_unavailable("/oauth/token refresh_token", &oauth_refresh);
    if backing.reads_survive() {
        let me = ok("/auth/me while only writes fail", &me);
        assert_eq!(me.body["email"], ADMIN_EMAIL);
    } else {
        assert_clean_unavailable("/auth/me (its revocation check needs the database)", &me);
    }
    let jwks = ok("the JWKS from memory", &jwks);
    assert_eq!(
        kids(&jwks.body),
        kids(&jwks_before),
        "the same keys are published"
    );
    ok("discovery from memory", &discovery);
    let list = ok("the token's status list from memory", &list);
    assert_eq!(list.content_type, "application/statuslist+jwt");
    assert_eq!(list.content_type, list_before.content_type);
    ok(paths::HEALTHZ, &health);
    let latency = |r: &Reply| r.as_ref().map_or(Duration::ZERO, |a| a.latency);
    eprintln!(
        "[faults] outage/{engine}: /readyz 503 {} after the database went down; during it: readyz {}, login {}, refresh {}, password grant {}, refresh grant {}, me {} ({}), jwks {}, discovery {}",
        ms(noticed),
        ms(latency(&ready)),
        ms(latency(&login)),
        ms(latency(&refresh)),
        ms(latency(&password)),
        ms(latency(&oauth_refresh)),
        ms(latency(&me)),
        me.as_ref().map_or(0, |a| a.status.as_u16()),
        ms(jwks.latency),
        ms(latency(&discovery)),
    );
    tokio::time::sleep(PHASE_TIME).await;

    load.set_phase(Phase::Recovering);
    backing.come_back().await;
    let back_at = Instant::now();
    let recovered = loop {
        let r = session::get(&http, &base, paths::READYZ).await;
        if r.is_ok_and(|a| a.status == StatusCode::OK) {
            break back_at.elapsed();
        }
        assert!(
            back_at.elapsed() < LIVENESS,
            "/readyz still not 200 {LIVENESS:?} after the database came back:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The tokens refused with 503 were not spent: the same ones work now.
    let login = ok(
        "login after recovery",
        &session::login(&http, &base, ADMIN_EMAIL, ADMIN_PASSWORD).await,
    );
    let refreshed = ok(
        "the refresh token refused during the outage",
        &session::refresh(&http, &base, &browser.refresh).await,
    );
    ok(
        "the OAuth refresh token refused during the outage",
        &session::oauth_token(&http, &base, &refresh_form).await,
    );
    // The code refused with 503 was not spent, and new ones are issued.
    ok(
        "the code refused during the outage",
        &flow.exchange(&http, &base, &code_before).await,
    );
    let code_after = flow.code(&base).await;
    ok(
        "a code issued after recovery",
        &flow.exchange(&http, &base, &code_after).await,
    );
    ok(
        "/auth/me after recovery",
        &session::me(&http, &base, &refreshed.tokens.as_ref().unwrap().access).await,
    );
    let jwks_after = ok("jwks", &session::get(&http, &base, paths::JWKS).await).body;
    assert_eq!(
        kids(&jwks_after),
        kids(&jwks_before),
        "the key set is unchanged"
    );
    let working = back_at.elapsed();
    load.set_phase(Phase::After);
    tokio::time::sleep(PHASE_TIME).await;
    let report = load.finish().await;
    eprintln!(
        "[faults] outage/{engine}: /readyz 200 {} after the database came back, login {} and refresh working {} after",
        ms(recovered),
        ms(login.latency),
        ms(working),
    );
    check_load(engine, &backing, &report);

    // What was written after the recovery reached the database: it survives a restart.
    server.kill();
    let again = tessera.start().await;
    again.wait_ready(LIVENESS).await;
    ok(
        "a refresh token issued after the recovery, after a restart",
        &session::refresh(&http, &again.address, &refreshed.tokens.unwrap().refresh).await,
    );
    let jwks_restarted = ok(
        "jwks",
        &session::get(&http, &again.address, paths::JWKS).await,
    )
    .body;
    assert_eq!(
        kids(&jwks_restarted),
        kids(&jwks_before),
        "the key set is unchanged"
    );
}

/// The answers the load clients got, phase by phase.
fn check_load(engine: &str, backing: &Backing, report: &Report) {
    for s in &report.samples {
        let status = s
            .status
            .unwrap_or_else(|| panic!("{:?} {}: no answer: {}", s.phase, s.route, s.detail));
        assert!(
            !status.is_server_error() || s.clean_unavailable,
            "{:?} {}: {status} {} (only a clean 503 may fail)",
            s.phase,
            s.route,
            s.detail
        );
        let needs_db = match s.route {
            "jwks" | "discovery" => false,
            "me" => !backing.reads_survive(),
            _ => true,
        };
        let ok = status == StatusCode::OK;
        let fine = if !needs_db {
            ok
        } else if s.phase != s.phase_at_answer {
            ok || s.clean_unavailable
        } else {
            match s.phase {
                Phase::Outage if needs_db => s.clean_unavailable,
                Phase::GoingDown | Phase::Recovering => ok || s.clean_unavailable,
                _ => ok,
            }
        };
        assert!(
            fine,
            "{:?}..{:?} {}: {status} {}",
            s.phase, s.phase_at_answer, s.route, s.detail
        );
    }
    for route in ["login", "refresh", "me", "jwks", "discovery"] {
        let during: Vec<Duration> = report
            .samples
            .iter()
            .filter(|s| s.phase == Phase::Outage && s.route == route)
            .map(|s| s.latency)
            .collect();
        assert!(
            !during.is_empty(),
            "the load reached {route} during the outage"
        );
        let max = during.iter().max().unwrap();
        let mean = during.iter().sum::<Duration>() / during.len() as u32;
        eprintln!(
            "[faults] outage/{engine}: load {route}: {} answers during the outage, mean {}, max {}",
            during.len(),
            ms(mean),
            ms(*max)
        );
    }
    eprintln!(
        "[faults] outage/{engine}: load total {} answers, {} refresh rotations, {} refresh answers lost to the outage",
        report.samples.len(),
        report.rotations,
        report.lost_answers
    );
}
