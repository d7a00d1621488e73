//! Refresh families: rotation, reuse detection and its grace window, concurrent
//! refreshes, logout and revoke-all.

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::session::{browser_session as session_of, BrowserSession as Session};
use crate::common::*;

const EMAIL: &str = "carol@example.com";
const PASSWORD: &str = "carol-password-1234";

async fn login(app: &TestApp) -> Session {
    app.browser_login(EMAIL, PASSWORD).await
}

/// Presents `refresh` on `/auth/refresh`, from a client with an empty jar.
async fn refresh(app: &TestApp, refresh: &str, csrf: &str) -> Response {
    app.refresh_with(&TestApp::fresh_client(), refresh, csrf)
        .await
}

async fn assert_invalid_grant(res: Response, status: StatusCode) {
    assert_eq!(res.status(), status);
    assert!(
        set_cookie(&res, "tessera_refresh").is_none(),
        "no new refresh token on failure"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.me(token).await.status()
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    app.introspect_as_admin(token).await
}

/// A replacement for the macro's app, on the same engine, with `reuse_grace` set.
async fn with_grace(app: TestApp, grace: &str) -> TestApp {
    let engine = app.engine;
    drop(app);
    spawn_app_with(engine, &[("TESSERA__TOKENS__REUSE_GRACE", grace)])
        .await
        .expect("the engine that ran the test is available")
}

both_engines! {
    async fn refresh_token_used_twice_fails_the_second_time(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = login(&app).await;

        let second = session_of(refresh(&app, &first.refresh, &first.csrf).await).await;
        assert_ne!(second.refresh, first.refresh);
        assert_invalid_grant(refresh(&app, &first.refresh, &first.csrf).await, StatusCode::UNAUTHORIZED).await;
    }
}

both_engines! {
    async fn token_used_after_logout_fails(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let session = login(&app).await;
        assert_eq!(me_status(&app, &session.access).await, StatusCode::OK);

        let logout = TestApp::fresh_client()
            .post(app.url(paths::LOGOUT))
            .header("Cookie", format!("tessera_refresh={}; tessera_csrf={}", session.refresh, session.csrf))
            .header("X-CSRF-Token", &session.csrf)
            .bearer_auth(&session.access)
            .send()
            .await
            .unwrap();
        assert!(logout.status().is_success(), "logout: {}", logout.status());

        assert_invalid_grant(refresh(&app, &session.refresh, &session.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(me_status(&app, &session.access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &session.access).await, json!({"active": false}));
    }
}

both_engines! {
    async fn reuse_of_a_spent_token_revokes_the_whole_family(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let stolen = login(&app).await;
        let other_device = login(&app).await;
        let legit = session_of(refresh(&app, &stolen.refresh, &stolen.csrf).await).await;
        assert_eq!(me_status(&app, &legit.access).await, StatusCode::OK);
        assert_eq!(introspect(&app, &legit.access).await["active"], true);

        // The attacker replays the spent parent: refused, and the family dies.
        assert_invalid_grant(refresh(&app, &stolen.refresh, &stolen.csrf).await, StatusCode::UNAUTHORIZED).await;

        assert_invalid_grant(refresh(&app, &legit.refresh, &legit.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(me_status(&app, &legit.access).await, StatusCode::UNAUTHORIZED, "the family's access tokens die by sid");
        assert_eq!(me_status(&app, &stolen.access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &legit.access).await, json!({"active": false}));
        assert_eq!(introspect(&app, &stolen.access).await, json!({"active": false}));

        // Another family of the same user is untouched.
        assert_eq!(me_status(&app, &other_device.access).await, StatusCode::OK);
        session_of(refresh(&app, &other_device.refresh, &other_device.csrf).await).await;
    }
}

both_engines! {
    async fn within_the_grace_window_a_just_spent_token_is_regranted(app) {
        let app = with_grace(app, "30s").await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = login(&app).await;
        let child = session_of(refresh(&app, &first.refresh, &first.csrf).await).await;

        // The answer was lost; the client retries with the parent 10 s later, child unused.
        app.clock.advance(10);
        let retried = session_of(refresh(&app, &first.refresh, &first.csrf).await).await;
        assert_ne!(retried.refresh, first.refresh);
        assert_ne!(retried.refresh, child.refresh);

        // Nothing was revoked: the family's tokens live on and the new refresh token rotates.
        assert_eq!(me_status(&app, &first.access).await, StatusCode::OK);
        assert_eq!(me_status(&app, &retried.access).await, StatusCode::OK);
        assert_eq!(introspect(&app, &retried.access).await["active"], true);
        let next = session_of(refresh(&app, &retried.refresh, &retried.csrf).await).await;
        assert_eq!(me_status(&app, &next.access).await, StatusCode::OK);
    }
}

both_engines! {
    async fn after_the_grace_window_a_spent_token_is_reuse(app) {
        let app = with_grace(app, "30s").await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = login(&app).await;
        let child = session_of(refresh(&app, &first.refresh, &first.csrf).await).await;

        app.clock.advance(31);
        assert_invalid_grant(refresh(&app, &first.refresh, &first.csrf).await, StatusCode::UNAUTHORIZED).await;

        assert_invalid_grant(refresh(&app, &child.refresh, &child.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(me_status(&app, &child.access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, &child.access).await, json!({"active": false}));
    }
}

both_engines! {
    async fn the_grace_window_does_not_cover_a_parent_whose_child_was_used(app) {
        let app = with_grace(app, "30s").await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = login(&app).await;
        let child = session_of(refresh(&app, &first.refresh, &first.csrf).await).await;
        let grandchild = session_of(refresh(&app, &child.refresh, &child.csrf).await).await;

        // Within the window, but the child was spent: this is not a lost answer, it is reuse.
        app.clock.advance(5);
        assert_invalid_grant(refresh(&app, &first.refresh, &first.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_invalid_grant(refresh(&app, &grandchild.refresh, &grandchild.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(me_status(&app, &grandchild.access).await, StatusCode::UNAUTHORIZED);
    }
}

both_engines! {
    async fn with_zero_grace_reuse_is_detected_at_once(app) {
        let app = with_grace(app, "0s").await;
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = login(&app).await;
        let child = session_of(refresh(&app, &first.refresh, &first.csrf).await).await;

        // Same second, child unused: still reuse.
        assert_invalid_grant(refresh(&app, &first.refresh, &first.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_invalid_grant(refresh(&app, &child.refresh, &child.csrf).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(me_status(&app, &child.access).await, StatusCode::UNAUTHORIZED);
    }
}

both_engines! {
    async fn of_ten_concurrent_refreshes_of_one_token_exactly_one_succeeds(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let res = app
            .token(&[("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD)], None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let token: Value = res.json().await.unwrap();
        let refresh_token = token["refresh_token"].as_str().unwrap().to_owned();

        // Each request from a client (and connection) of its own.
        let attempts = (0..10).map(|_| {
            let refresh_token = refresh_token.clone();
            let app = &app;
            async move {
                let res = app
                    .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)], None)
                    .await;
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                (status, body)
            }
        });
        let results = join_all(attempts).await;

        let winners: Vec<&Value> = results.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, b)| b).collect();
        assert_eq!(winners.len(), 1, "exactly one refresh succeeds: {results:?}");
        assert!(winners[0]["refresh_token"].is_string());
        for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::OK) {
            assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_grant", "{body}");
        }
    }
}

both_engines! {
    async fn revoke_sessions_kills_every_token_of_the_user_but_not_later_logins(app) {
        let user = app.create_user(EMAIL, PASSWORD, &[]).await;
        let id = user["id"].as_str().unwrap();
        let browser = login(&app).await;
        let res = app
            .token(&[("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD)], None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let api: Value = res.json().await.unwrap();
        let api_access = api["access_token"].as_str().unwrap();
        let api_refresh = api["refresh_token"].as_str().unwrap();
        assert_eq!(me_status(&app, &browser.access).await, StatusCode::OK);
        assert_eq!(me_status(&app, api_access).await, StatusCode::OK);

        app.clock.advance(1);
        let admin = app.admin_token().await;
        let revoked = app.admin_revoke_sessions(id, &admin).await;
        assert_eq!(revoked.status(), StatusCode::OK);

        assert_eq!(me_status(&app, &browser.access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me_status(&app, api_access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect(&app, api_access).await, json!({"active": false}));
        assert_invalid_grant(refresh(&app, &browser.refresh, &browser.csrf).await, StatusCode::UNAUTHORIZED).await;
        let api_refreshed = app
            .token(&[("grant_type", "refresh_token"), ("refresh_token", api_refresh)], None)
            .await;
        assert_invalid_grant(api_refreshed, StatusCode::BAD_REQUEST).await;

        // The user logs in again at once, and that session works and rotates.
        let fresh = login(&app).await;
        assert_eq!(me_status(&app, &fresh.access).await, StatusCode::OK);
        assert_eq!(introspect(&app, &fresh.access).await["active"], true);
        let rotated = session_of(refresh(&app, &fresh.refresh, &fresh.csrf).await).await;
        assert_eq!(me_status(&app, &rotated.access).await, StatusCode::OK);

        // Only that user was affected.
        assert_eq!(me_status(&app, &admin).await, StatusCode::OK);
    }
}
