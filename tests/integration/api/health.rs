//! Health, readiness, persistence across restarts, and JSON errors for bad requests.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::*;

both_engines! {
    async fn health_and_readiness_answer(app) {
        assert_eq!(app.healthz().await.status(), StatusCode::OK);
        let res = app.readyz().await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ready");
    }
}

both_engines! {
    async fn a_restart_reuses_the_database_and_its_keys(app) {
        let before = app.jwks().await;
        let token = app.admin_token().await;
        let again = spawn_on(app.db.clone(), app.engine, &[], app.clock.clone()).await;
        assert_eq!(again.jwks().await, before, "same kids published after a restart");
        assert_eq!(again.me(&token).await.status(), StatusCode::OK, "old tokens still verify");
    }
}

both_engines! {
    async fn bad_request_bodies_get_json_errors(app) {
        let cases: Vec<(reqwest::RequestBuilder, StatusCode)> = vec![
            (app.client.post(app.url(paths::LOGIN)).header("content-type", "application/json").body("{not json"), StatusCode::BAD_REQUEST),
            (app.client.post(app.url(paths::LOGIN)).json(&json!({"email": 5})), StatusCode::BAD_REQUEST),
            (app.client.post(app.url(paths::LOGIN)).header("content-type", "text/plain").body("x"), StatusCode::BAD_REQUEST),
            (app.client.post(app.url(paths::LOGIN)).json(&json!({"email": "a@b.c", "password": "x".repeat(100 * 1024)})), StatusCode::PAYLOAD_TOO_LARGE),
            (app.client.post(app.url(paths::TOKEN)).header("content-type", "application/x-www-form-urlencoded").body("x".repeat(100 * 1024)), StatusCode::PAYLOAD_TOO_LARGE),
            (app.client.get(app.url("/no/such/route")), StatusCode::NOT_FOUND),
            (app.client.delete(app.url(paths::HEALTHZ)), StatusCode::METHOD_NOT_ALLOWED),
            (app.client.get(app.url(&paths::admin_user("x"))), StatusCode::UNAUTHORIZED),
        ];
        for (req, status) in cases {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), status);
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
            let body: Value = res.json().await.unwrap();
            assert!(body["error"].is_string() && body["error_description"].is_string(), "{body}");
        }
    }
}

both_engines! {
    async fn unauthorized_answers_carry_a_bearer_challenge(app) {
        let res = app.me("not-a-token").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Bearer error=\"invalid_token\""), "{challenge}");
    }
}

both_engines! {
    async fn without_a_database_readyz_fails_and_the_jwks_still_serves(app) {
        let jwks = app.jwks().await;
        app.app.db.pool.close().await;
        app.app.db.writer.close().await;

        let ready = app.readyz().await;
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        let login = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(login.headers().contains_key("retry-after"));
        let body: Value = login.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");

        let served = app.jwks_response().await;
        assert_eq!(served.status(), StatusCode::OK, "the JWKS is served from memory");
        assert_eq!(served.json::<Value>().await.unwrap(), jwks);
        assert_eq!(app.get(paths::OPENID_CONFIGURATION).await.status(), StatusCode::OK);
        assert_eq!(app.healthz().await.status(), StatusCode::OK, "the process still runs");
    }
}

/// A failover leaves the pool talking to a read-only standby: PostgreSQL answers
/// 25006 (read_only_sql_transaction), which must be a 503 like any outage, not a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_postgres_answers_503_and_recovers() {
    let Some(app) = spawn_app(Engine::Postgres).await else {
        eprintln!("skipped: set {POSTGRES_ENV} to run on PostgreSQL");
        return;
    };
    let admin = std::env::var(POSTGRES_ENV).unwrap();
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    // New sessions start read-only; killing the current ones makes the pool reconnect.
    let set_read_only = |on: bool| {
        let (admin, name) = (admin.clone(), name.clone());
        async move {
            run_postgres(
                &admin,
                &format!("ALTER DATABASE {name} SET default_transaction_read_only = {on}"),
            )
            .await;
            run_postgres(&admin, &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")).await;
        }
    };
    set_read_only(true).await;
    // More attempts than pooled connections: the first ones may meet a killed
    // connection (an I/O error), the rest reach a read-only session.
    for attempt in 1..=8 {
        let login = app
            .login_with(&TestApp::fresh_client(), ADMIN_EMAIL, ADMIN_PASSWORD)
            .await;
        assert_eq!(
            login.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "attempt {attempt}"
        );
        assert!(login.headers().contains_key("retry-after"));
        assert_eq!(
            login.json::<Value>().await.unwrap()["error"],
            "temporarily_unavailable"
        );
    }
    assert_eq!(app.readyz().await.status(), StatusCode::SERVICE_UNAVAILABLE);

    set_read_only(false).await;
    let mut recovered = false;
    for _ in 0..20 {
        if app
            .login_with(&TestApp::fresh_client(), ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status()
            == StatusCode::OK
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "logins work again once the database takes writes"
    );
    // Readiness shares one probe for up to a second: the 503 above may still answer.
    let mut ready = false;
    for _ in 0..30 {
        if app.readyz().await.status() == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "/readyz is 200 again within a probe interval");
}

both_engines! {
    async fn head_answers_with_the_headers_of_get_and_no_body(app) {
        for path in [paths::JWKS, paths::HEALTHZ, paths::OPENID_CONFIGURATION] {
            let get = app.get(path).await;
            let head = app.client.head(app.url(path)).send().await.unwrap();
            assert_eq!(head.status(), StatusCode::OK, "{path}");
            for name in ["content-type", "cache-control", "content-length"] {
                assert_eq!(head.headers().get(name), get.headers().get(name), "{path} {name}");
            }
            assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
        }
        // HEAD is GET without the body: not a way into a POST-only resource.
        let res = app.client.head(app.url(paths::LOGIN)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()["allow"], "POST");
        let res = app.client.delete(app.url(paths::HEALTHZ)).send().await.unwrap();
        assert_eq!(res.headers()["allow"], "GET, HEAD");
    }
}

async fn probes_so_far(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT probes FROM readiness_probe WHERE id = 1")
        .fetch_one(&app.app.db.pool)
        .await
        .expect("the readiness probe table has its row")
}

async fn keyset_version(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT version FROM keyset_version WHERE id = 1")
        .fetch_one(&app.app.db.pool)
        .await
        .unwrap()
}

both_engines! {
    async fn a_readiness_flood_shares_one_write_probe(app) {
        let version = keyset_version(&app).await;
        let before = probes_so_far(&app).await;
        let gets = (0..50).map(|_| async { app.readyz().await.status() });
        let heads = (0..50).map(|_| async { app.client.head(app.url(paths::READYZ)).send().await.unwrap().status() });
        let (gets, heads) = tokio::join!(futures_util::future::join_all(gets), futures_util::future::join_all(heads));
        for status in gets.iter().chain(&heads) {
            assert_eq!(*status, StatusCode::OK);
        }
        let probed = probes_so_far(&app).await - before;
        assert!((1..=2).contains(&probed), "100 concurrent calls ran {probed} write probes");
        assert_eq!(keyset_version(&app).await, version, "readiness does not touch the key set's row");

        // A result answers for one second, not for ever.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let before = probes_so_far(&app).await;
        assert_eq!(app.readyz().await.status(), StatusCode::OK);
        assert_eq!(probes_so_far(&app).await, before + 1, "a stale result is probed again");
    }
}

both_engines! {
    async fn without_a_signing_key_readyz_fails(app) {
        assert_eq!(app.readyz().await.status(), StatusCode::OK);
        for sql in ["DELETE FROM signing_keys", "UPDATE keyset_version SET version = version + 1 WHERE id = 1"] {
            sqlx::query(sql).execute(&app.app.db.writer).await.unwrap();
        }
        app.app.keys.reload().await.unwrap();
        assert_eq!(app.readyz().await.status(), StatusCode::SERVICE_UNAVAILABLE, "no key to sign with, however fresh the database probe");
    }
}
