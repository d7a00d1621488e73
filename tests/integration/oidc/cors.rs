//! CORS: a single-page app on another origin may call discovery, the JWKS, the token,
//! revocation and userinfo endpoints from script, without credentials; nothing that
//! reads a cookie answers another origin.

use reqwest::{Method, StatusCode};

use crate::both_engines;
use crate::common::*;

const ORIGIN: &str = "http://127.0.0.1:5173";

both_engines! {
    async fn the_open_endpoints_answer_other_origins_without_credentials(app) {
        for path in [paths::TOKEN, paths::USERINFO, paths::REVOKE, paths::JWKS, paths::OPENID_CONFIGURATION] {
            let res = app
                .client
                .request(Method::OPTIONS, app.url(path))
                .header("Origin", ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NO_CONTENT, "{path}");
            assert_eq!(res.headers()["access-control-allow-origin"], "*");
            assert!(res.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
            assert!(res.headers().get("access-control-allow-credentials").is_none());
        }
        // Answers, errors included, are readable by the page.
        let res = app.client.post(app.url(paths::TOKEN)).header("Origin", ORIGIN).form(&[("grant_type", "nope")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let res = app.client.get(app.url(paths::USERINFO)).header("Origin", ORIGIN).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        // Cookie-authenticated routes and the hosted pages: no CORS.
        for path in [paths::REFRESH, paths::LOGIN, paths::OAUTH_LOGIN, paths::ADMIN_USERS] {
            let res = app
                .client
                .request(Method::OPTIONS, app.url(path))
                .header("Origin", ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .send()
                .await
                .unwrap();
            assert!(res.headers().get("access-control-allow-origin").is_none(), "{path}");
            let res = app.client.post(app.url(path)).header("Origin", ORIGIN).send().await.unwrap();
            assert!(res.headers().get("access-control-allow-origin").is_none(), "{path}");
        }
    }
}
