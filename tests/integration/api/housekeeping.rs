//! What the background purge may and may not take away: a revoked session stays dead
//! after its rows go, a live token is never cut short, and a family's history of spent
//! tokens is bounded.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

use crate::both_engines;
use crate::common::session::{browser_session as session_of, BrowserSession as Session};
use crate::common::*;

const EMAIL: &str = "erin@example.com";
const PASSWORD: &str = "erin-password-1234";
/// A family lives 10 minutes here; its access tokens 15 (the default `access_ttl`).
const SHORT_FAMILY: &[(&str, &str)] = &[
    ("TESSERA__TOKENS__REFRESH_TTL", "10m"),
    ("TESSERA__TOKENS__REFRESH_IDLE_TTL", "10m"),
];
const FAMILY_TTL: i64 = 600;
const ACCESS_TTL: i64 = 900;

async fn refresh(app: &TestApp, s: &Session) -> Response {
    app.refresh_with(&TestApp::fresh_client(), &s.refresh, &s.csrf)
        .await
}

/// Logs out with the refresh cookie only: the family is revoked, and the access token
/// is not denylisted, so only the family can tell that it is dead.
async fn logout_by_cookie(app: &TestApp, s: &Session) {
    let res = TestApp::fresh_client()
        .post(app.url(paths::LOGOUT))
        .header(
            "Cookie",
            format!("tessera_refresh={}; tessera_csrf={}", s.refresh, s.csrf),
        )
        .header("X-CSRF-Token", &s.csrf)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "logout: {}", res.status());
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.me(token).await.status()
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    app.introspect_as_admin(token).await
}

/// The `sid` claim of an access token, read without verifying it.
fn sid_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

async fn family_exists(app: &TestApp, sid: &str) -> bool {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM refresh_families WHERE id = $1")
        .bind(sid)
        .fetch_one(&app.app.db.pool)
        .await
        .unwrap();
    row.get::<i64, _>("n") == 1
}

/// A replacement for the macro's app, on the same engine, with `overrides`.
async fn respawn(app: TestApp, overrides: &[(&str, &str)]) -> TestApp {
    let engine = app.engine;
    drop(app);
    spawn_app_with(engine, overrides)
        .await
        .expect("the engine that ran the test is available")
}

both_engines! {
    async fn a_logged_out_session_stays_dead_after_its_family_is_purged(app) {
        let app = respawn(app, SHORT_FAMILY).await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let session = app.browser_login(EMAIL, PASSWORD).await;
        let sid = sid_of(&session.access);
        logout_by_cookie(&app, &session).await;
        assert_eq!(me_status(&app, &session.access).await, StatusCode::UNAUTHORIZED);

        // Past the family's expiry, within the access token's life: the purge must not
        // bring the token back.
        app.clock.advance(FAMILY_TTL + 5);
        app.app.sessions.purge_expired().await.unwrap();
        assert_eq!(me_status(&app, &session.access).await, StatusCode::UNAUTHORIZED, "revoked, not revived by the purge");
        assert_eq!(introspect(&app, &session.access).await, json!({"active": false}));

        // Past the family's expiry plus access_ttl, the row goes.
        app.clock.advance(ACCESS_TTL);
        app.app.sessions.purge_expired().await.unwrap();
        assert!(!family_exists(&app, &sid).await, "the family is purged");
        assert_eq!(me_status(&app, &session.access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &session.access).await, json!({"active": false}));
    }
}

both_engines! {
    async fn a_token_whose_family_is_gone_is_dead(app) {
        // A row can go by other means than this replica's purge (an older replica's
        // purge, an operator): a token naming no family must not count as live.
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let session = app.browser_login(EMAIL, PASSWORD).await;
        assert_eq!(me_status(&app, &session.access).await, StatusCode::OK);
        sqlx::query("DELETE FROM refresh_families WHERE id = $1")
            .bind(sid_of(&session.access))
            .execute(&app.app.db.pool)
            .await
            .unwrap();
        assert_eq!(me_status(&app, &session.access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &session.access).await, json!({"active": false}));
    }
}

both_engines! {
    async fn a_logged_out_admin_cannot_use_the_admin_api_after_the_purge(app) {
        let app = respawn(app, SHORT_FAMILY).await;
        let admin = app.browser_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let sid = sid_of(&admin.access);
        assert_eq!(app.admin_keys_response(&admin.access).await.status(), StatusCode::OK);
        logout_by_cookie(&app, &admin).await;
        assert_eq!(app.admin_keys_response(&admin.access).await.status(), StatusCode::UNAUTHORIZED);

        app.clock.advance(FAMILY_TTL + 5);
        app.app.sessions.purge_expired().await.unwrap();
        assert_eq!(app.admin_keys_response(&admin.access).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &admin.access).await, json!({"active": false}));

        // Even with the row gone (by any means), the token stays dead.
        sqlx::query("DELETE FROM refresh_families WHERE id = $1")
            .bind(&sid)
            .execute(&app.app.db.pool)
            .await
            .unwrap();
        assert_eq!(app.admin_keys_response(&admin.access).await.status(), StatusCode::UNAUTHORIZED);
        let users = app.admin_create_user(Some(&admin.access), &json!({"email": "x@example.com", "password": "x-password-1234"})).await;
        assert_eq!(users.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &admin.access).await, json!({"active": false}));
    }
}

both_engines! {
    async fn the_purge_never_cuts_a_live_token_short(app) {
        let app = respawn(app, SHORT_FAMILY).await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = app.browser_login(EMAIL, PASSWORD).await;
        // The latest token a family can give: refreshed just before the family expires,
        // it lives access_ttl past the family's expiry.
        app.clock.advance(FAMILY_TTL - 20);
        let last = session_of(refresh(&app, &first).await).await;

        app.clock.advance(30);
        app.app.sessions.purge_expired().await.unwrap();
        assert_eq!(me_status(&app, &first.access).await, StatusCode::OK, "the family expired, its tokens did not");
        assert_eq!(introspect(&app, &last.access).await["active"], true);

        // Just before the last token's own exp.
        app.clock.advance(ACCESS_TTL - 40);
        app.app.sessions.purge_expired().await.unwrap();
        assert_eq!(me_status(&app, &last.access).await, StatusCode::OK, "not cut short by the purge");
        assert_eq!(introspect(&app, &last.access).await["active"], true);
    }
}

async fn assert_invalid_grant(res: Response) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

/// Logs in and rotates `times` times; returns every session, the live one last.
async fn rotated(app: &TestApp, times: usize) -> Vec<Session> {
    let mut sessions = vec![app.browser_login(EMAIL, PASSWORD).await];
    for _ in 0..times {
        let next = session_of(refresh(app, sessions.last().unwrap()).await).await;
        sessions.push(next);
    }
    sessions
}

/// (spent, unused) refresh tokens stored for a family.
async fn history_of(app: &TestApp, sid: &str) -> (i64, i64) {
    let row = sqlx::query(
        "SELECT COUNT(used_at) AS spent, COUNT(*) - COUNT(used_at) AS unused \
         FROM refresh_tokens WHERE family_id = $1",
    )
    .bind(sid)
    .fetch_one(&app.app.db.pool)
    .await
    .unwrap();
    (row.get("spent"), row.get("unused"))
}

both_engines! {
    async fn housekeeping_keeps_only_the_newest_spent_tokens_of_a_family(app) {
        let app = respawn(app, &[("TESSERA__TOKENS__FAMILY_HISTORY", "3")]).await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let replayed = rotated(&app, 10).await;
        let trimmed = rotated(&app, 10).await;
        let (replayed_sid, trimmed_sid) = (sid_of(&replayed[0].access), sid_of(&trimmed[0].access));
        assert_eq!(history_of(&app, &replayed_sid).await, (10, 1));

        app.app.sessions.purge_expired().await.unwrap();
        for sid in [&replayed_sid, &trimmed_sid] {
            let (spent, unused) = history_of(&app, sid).await;
            assert!(spent <= 3, "{spent} spent tokens kept of 10");
            assert_eq!(unused, 1, "the live token stays");
        }

        // The newest spent token is still known: presenting it again is reuse, and
        // the family dies.
        assert_invalid_grant(refresh(&app, &replayed[9]).await).await;
        assert_invalid_grant(refresh(&app, &replayed[10]).await).await;
        assert_eq!(me_status(&app, &replayed[10].access).await, StatusCode::UNAUTHORIZED);

        // A trimmed token is merely unknown: refused, and the family lives on.
        assert_invalid_grant(refresh(&app, &trimmed[0]).await).await;
        assert_eq!(me_status(&app, &trimmed[10].access).await, StatusCode::OK);
        let next = session_of(refresh(&app, &trimmed[10]).await).await;
        assert_eq!(me_status(&app, &next.access).await, StatusCode::OK);
    }
}
