//! `prompt` and `max_age`: the authority session spares a second password unless the
//! client asks for one; `prompt=none` never shows a page.

use reqwest::StatusCode;
use serde_json::json;

use super::{ok_json, EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{browser, redirect_params, Pkce};
use crate::common::*;

both_engines! {
    async fn prompt_none_answers_login_required_then_a_code_once_signed_in(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({"first_party": true})).await;
        let pkce = Pkce::new();
        let b = browser();
        let res = b.get(app.authorize_url(&rp, &pkce, &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect_params(&res).1["error"], "login_required");
        app.code_flow(&b, &app.authorize_url(&rp, &pkce, &[]), EMAIL, PASSWORD).await;
        let res = b.get(app.authorize_url(&rp, &pkce, &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (_, params) = redirect_params(&res);
        assert!(params.contains_key("code"), "{params:?}");
        assert_eq!(params["state"], "st-123");
        // The same request as a form post (OpenID Connect Core §3.1.2.1).
        let url = reqwest::Url::parse(&app.authorize_url(&rp, &pkce, &[("prompt", "none")])).unwrap();
        let form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let res = b.post(app.url(paths::AUTHORIZE)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(redirect_params(&res).1.contains_key("code"));
    }
}

both_engines! {
    async fn prompt_none_answers_consent_required_for_a_third_party(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = app.register_rp(json!({"first_party": true})).await;
        let third = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let b = browser();
        app.code_flow(&b, &app.authorize_url(&first, &pkce, &[]), EMAIL, PASSWORD).await;
        let res = b.get(app.authorize_url(&third, &pkce, &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect_params(&res).1["error"], "consent_required");
    }
}

both_engines! {
    async fn prompt_login_and_max_age_ask_for_the_password_again_then_go_on(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({"first_party": true})).await;
        let pkce = Pkce::new();
        let b = browser();
        app.code_flow(&b, &app.authorize_url(&rp, &pkce, &[]), EMAIL, PASSWORD).await;
        for extra in [("prompt", "login"), ("max_age", "60"), ("max_age", "0")] {
            app.clock.advance(120);
            let res = b.get(app.authorize_url(&rp, &pkce, &[extra])).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{extra:?}");
            let page = res.text().await.unwrap();
            assert!(page.contains("id=\"sign-in\""), "{extra:?}");
            // After the password the flow goes on to the code: no loop back to the page.
            let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{extra:?}");
            assert!(redirect_params(&res).1.contains_key("code"));
        }
        // A max_age the sign-in is within needs no password.
        let res = b.get(app.authorize_url(&rp, &pkce, &[("max_age", "3600")])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (_, params) = redirect_params(&res);
        let body = ok_json(app.exchange_code(&rp, &params["code"], &pkce.verifier).await).await;
        let id = verify_with_jwks(&app.jwks().await, body["id_token"].as_str().unwrap()).unwrap();
        // auth_time is the last password, not the first.
        assert!(id["iat"].as_i64().unwrap() - id["auth_time"].as_i64().unwrap() < 60);
    }
}

both_engines! {
    with ["TESSERA__SESSIONS__TTL" => "10m"];
    async fn the_session_cookie_lasts_sessions_ttl(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({"first_party": true})).await;
        let pkce = Pkce::new();
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap().text().await.unwrap();
        let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await;
        let cookie = set_cookie(&res, "tessera_session").expect("the session cookie is set");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/oauth", "Max-Age=600"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        // Past its ttl the session is gone: the page asks again.
        app.clock.advance(601);
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn signing_in_again_ends_the_browsers_previous_session_but_not_its_apps(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        app.create_user("frank@example.com", "frank-password-1234", &[]).await;
        let rp = app.register_rp(json!({"first_party": true})).await;
        let pkce = Pkce::new();
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap().text().await.unwrap();
        let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await;
        let first = cookie_value(&set_cookie(&res, "tessera_session").expect("the session cookie is set"));
        let erin = ok_json(app.exchange_code(&rp, &redirect_params(&res).1["code"], &pkce.verifier).await).await;

        // Another user signs in on the same browser.
        let params = app
            .code_flow(&b, &app.authorize_url(&rp, &pkce, &[("prompt", "login")]), "frank@example.com", "frank-password-1234")
            .await;
        assert!(params.contains_key("code"), "{params:?}");

        // The first session's cookie, replayed, opens nothing: the page asks again.
        let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = replay
            .get(app.authorize_url(&rp, &pkce, &[]))
            .header("cookie", format!("tessera_session={first}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "the replaced session is over");
        assert!(res.text().await.unwrap().contains("id=\"sign-in\""));
        let res = replay
            .get(app.authorize_url(&rp, &pkce, &[("prompt", "none")]))
            .header("cookie", format!("tessera_session={first}"))
            .send()
            .await
            .unwrap();
        assert_eq!(redirect_params(&res).1["error"], "login_required");

        // The new session goes on without a password; the first user's app keeps its tokens.
        let res = b.get(app.authorize_url(&rp, &pkce, &[("prompt", "none")])).send().await.unwrap();
        assert!(redirect_params(&res).1.contains_key("code"));
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", erin["refresh_token"].as_str().unwrap()),
            ("client_id", rp.client_id.as_str()),
        ];
        assert_eq!(app.token(&form, None).await.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn sign_ins_looked_up_together_each_get_codes_for_their_own_user(app) {
        // Several browsers at /oauth/authorize at once: their sessions are read
        // together, and each must get codes for its own user, never another's; dead
        // cookies among them get the sign-in page.
        let rp = app.register_rp(json!({"first_party": true})).await;
        let mut cookies = Vec::new();
        for i in 0..4 {
            let email = format!("user{i}@example.com");
            app.create_user(&email, PASSWORD, &[]).await;
            let cookie = signed_in_cookie(&app, &rp, &browser(), &email, &[]).await;
            cookies.push((Some(email), cookie));
        }
        // A session that another sign-in on its browser ended, and a secret no
        // session has.
        let b = browser();
        let replaced = signed_in_cookie(&app, &rp, &b, "user0@example.com", &[]).await;
        signed_in_cookie(&app, &rp, &b, "user0@example.com", &[("prompt", "login")]).await;
        cookies.push((None, replaced));
        cookies.push((None, "A".repeat(43)));
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for round in 0..4 {
            for (email, cookie) in &cookies {
                let (app, rp, email, cookie) = (app.clone(), rp.clone(), email.clone(), cookie.clone());
                tasks.push(tokio::spawn(async move {
                    let pkce = Pkce::new();
                    let res = no_jar()
                        .get(app.authorize_url(&rp, &pkce, &[]))
                        .header("cookie", format!("tessera_session={cookie}"))
                        .send()
                        .await
                        .unwrap();
                    (round, email, res.status(), redirect_code(&res), pkce)
                }));
            }
        }
        for task in tasks {
            let (round, email, status, code, pkce) = task.await.unwrap();
            match email {
                Some(email) => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{email}, round {round}");
                    let body = ok_json(app.exchange_code(&rp, &code.unwrap(), &pkce.verifier).await).await;
                    let id = verify_with_jwks(&app.jwks().await, body["id_token"].as_str().unwrap()).unwrap();
                    assert_eq!(id["email"], email.as_str(), "round {round}: the code is for the browser's own user");
                }
                None => {
                    assert_eq!(status, StatusCode::OK, "a dead cookie gets the sign-in page");
                    assert!(code.is_none());
                }
            }
        }
    }
}

/// A browser without a cookie jar, redirects left to the test.
fn no_jar() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn redirect_code(res: &reqwest::Response) -> Option<String> {
    res.headers().get("location")?;
    redirect_params(res).1.get("code").cloned()
}

/// Signs `email` in on the hosted page with browser `b` (`extra` on the authorize
/// request): the session cookie's value.
async fn signed_in_cookie(
    app: &TestApp,
    rp: &crate::common::oidc::Rp,
    b: &reqwest::Client,
    email: &str,
    extra: &[(&str, &str)],
) -> String {
    let page = b
        .get(app.authorize_url(rp, &Pkce::new(), extra))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"sign-in\""), "{page}");
    let res = app
        .submit(
            b,
            &page,
            paths::OAUTH_LOGIN,
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_value(&set_cookie(&res, "tessera_session").expect("the session cookie is set"))
}
