//! The hosted pages: headers, accessibility hooks, and the login's answers (the same
//! for an unknown user and a wrong password, throttled like /auth/login).

use reqwest::{Response, StatusCode};
use serde_json::json;

use super::{EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{browser, Pkce};
use crate::common::*;

fn assert_page_headers(res: &Response) {
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("x-frame-options"), "DENY");
}

both_engines! {
    async fn the_login_page_is_safe_labelled_and_answers_alike_for_unknown_users(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let b = browser();
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_page_headers(&res);
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("form-action 'self' https://rp.example;"), "{csp}");
        let page = res.text().await.unwrap();
        for needle in [
            "<label for=\"email\">", "<label for=\"password\">", "name=\"viewport\"",
            "id=\"sign-in\"", "autocomplete=\"username\"", "autocomplete=\"current-password\"",
            "<form method=\"post\" action=\"/oauth/login\">", "name=\"csrf_token\"",
        ] {
            assert!(page.contains(needle), "{needle}");
        }
        assert!(!page.contains("<script"));
        let css = app.get("/oauth/assets/tessera.css").await;
        assert_eq!(css.status(), StatusCode::OK);
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));

        let wrong = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", "wrong-password-123")]).await;
        let unknown = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", "nobody@example.com"), ("password", "wrong-password-123")]).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        assert_page_headers(&wrong);
        let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
        let alert = |p: &str| p.split("role=\"alert\">").nth(1).map(|s| s.split('<').next().unwrap().to_owned());
        assert!(alert(&wrong).is_some(), "{wrong}");
        assert_eq!(alert(&wrong), alert(&unknown));
        // The page again, with the request still in it.
        assert!(wrong.contains("id=\"sign-in\""));
        assert!(wrong.contains(&rp.client_id));
    }
}

both_engines! {
    async fn the_login_page_is_throttled_like_every_login(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({})).await;
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &Pkce::new(), &[])).send().await.unwrap().text().await.unwrap();
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", "wrong-password-123")]).await;
            statuses.push(res.status());
        }
        assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
        assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
        // Throttled: even the right password is not checked, and the JSON login agrees.
        let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().get("retry-after").is_some());
        assert!(res.text().await.unwrap().contains("role=\"alert\""));
        assert_eq!(app.login(EMAIL, PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

both_engines! {
    async fn redirects_and_error_pages_carry_the_same_headers(app) {
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let res = app.client.get(app.authorize_url(&rp, &pkce, &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_page_headers(&res);
        let res = app.client.get(app.authorize_url(&rp, &pkce, &[("client_id", "nope")])).send().await.unwrap();
        assert_page_headers(&res);
        // A query that does not decode.
        let res = app.client.get(app.url("/oauth/authorize?client_id=%FF%FE")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // Userinfo without a token: 401 with WWW-Authenticate.
        let res = app.get(paths::USERINFO).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("www-authenticate").is_some());
    }
}
