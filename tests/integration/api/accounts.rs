//! Disabled accounts and the background purge of expired rows.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::both_engines;
use crate::common::*;

async fn count(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.app.db.pool)
        .await
        .unwrap()
        .get("n")
}

async fn password_grant(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.token(
        &[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
        ],
        None,
    )
    .await
}

both_engines! {
    async fn a_disabled_user_can_neither_log_in_nor_use_old_tokens(app) {
        let user = app.create_user("carol@example.com", "carol-password-1", &[]).await;
        let id = user["id"].as_str().unwrap();
        let session: Value = password_grant(&app, "carol@example.com", "carol-password-1").await.json().await.unwrap();
        let access = session["access_token"].as_str().unwrap();
        let refresh = session["refresh_token"].as_str().unwrap();
        assert_eq!(app.me(access).await.status(), StatusCode::OK);

        let admin = app.admin_token().await;
        let res = app.client.post(app.url(&paths::admin_user_action(id, "disable"))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["disabled"], true);

        assert_eq!(app.me(access).await.status(), StatusCode::UNAUTHORIZED);
        let refreshed = app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)], None).await;
        assert_eq!(refreshed.status(), StatusCode::BAD_REQUEST);
        let wrong = password_grant(&app, "carol@example.com", "not-her-password").await;
        let disabled = password_grant(&app, "carol@example.com", "carol-password-1").await;
        assert_eq!(disabled.status(), wrong.status(), "a disabled account looks like a wrong password");
        assert_eq!(disabled.json::<Value>().await.unwrap(), wrong.json::<Value>().await.unwrap());
    }
}

both_engines! {
    async fn housekeeping_purges_expired_families_and_denylist_rows(app) {
        app.create_user("dave@example.com", "dave-password-12", &[]).await;
        let session: Value = password_grant(&app, "dave@example.com", "dave-password-12").await.json().await.unwrap();
        let access = session["access_token"].as_str().unwrap();
        app.revoke(&[("token", access), ("token_type_hint", "access_token")], None, None).await;
        assert_eq!(count(&app, "access_denylist").await, 1);
        let families = count(&app, "refresh_families").await;
        assert_eq!(families, 2, "the admin's login and dave's");

        app.clock.advance(16 * 60);
        app.app.sessions.purge_expired().await.unwrap();
        assert_eq!(count(&app, "access_denylist").await, 0, "denylist rows die with their token");
        assert_eq!(count(&app, "refresh_families").await, families, "live families stay");

        app.clock.advance(31 * 86_400);
        app.app.sessions.purge_expired().await.unwrap();
        assert_eq!(count(&app, "refresh_families").await, 0);
        assert_eq!(count(&app, "refresh_tokens").await, 0, "tokens go with their family");
    }
}
