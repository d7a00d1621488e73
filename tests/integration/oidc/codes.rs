//! Codes at the token endpoint: PKCE, single use (a second use kills the family the
//! first started), 60 seconds, one client, one redirect URI.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use super::{code_for, ok_json, EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{redirect_params, Pkce, Rp};
use crate::common::*;

async fn invalid_grant(res: Response) {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

async fn exchange_with(app: &TestApp, rp: &Rp, code: &str, fields: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("client_id", rp.client_id.as_str()),
    ];
    for (k, v) in fields {
        form.retain(|(name, _)| name != k);
        if !v.is_empty() {
            form.push((k, v));
        }
    }
    app.token(&form, None).await
}

both_engines! {
    async fn a_missing_or_wrong_verifier_gets_nothing_and_spends_the_code(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[]).await;
        let res = exchange_with(&app, &rp, &code, &[]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
        // `plain`: the challenge itself as the verifier.
        invalid_grant(exchange_with(&app, &rp, &code, &[("code_verifier", &pkce.challenge)]).await).await;
        // The code was spent by that wrong attempt: the right verifier is too late.
        invalid_grant(app.exchange_code(&rp, &code, &pkce.verifier).await).await;

        let (rp, _, code, _) = code_for_again(&app, &rp).await;
        let wrong = Pkce::new();
        invalid_grant(app.exchange_code(&rp, &code, &wrong.verifier).await).await;
        for malformed in ["short", &"a".repeat(129), &format!("{}!", "a".repeat(43))] {
            invalid_grant(exchange_with(&app, &rp, &code, &[("code_verifier", malformed)]).await).await;
        }
    }
}

/// Another code for the same user and client.
async fn code_for_again(app: &TestApp, rp: &Rp) -> (Rp, Pkce, String, reqwest::Client) {
    let pkce = Pkce::new();
    let b = crate::common::oidc::browser();
    let params = app
        .code_flow(&b, &app.authorize_url(rp, &pkce, &[]), EMAIL, PASSWORD)
        .await;
    (rp.clone(), pkce, params["code"].clone(), b)
}

both_engines! {
    async fn a_reused_code_kills_the_family_it_started(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[]).await;
        let first = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        invalid_grant(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        // The first exchange's refresh token is dead, and its access token no longer introspects.
        let refresh = first["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", rp.client_id.as_str())];
        invalid_grant(app.token(&form, None).await).await;
        let access = first["access_token"].as_str().unwrap();
        assert_eq!(app.introspect_as_admin(access).await["active"], false);
        assert_eq!(app.get_with_token(paths::USERINFO, access).await.status(), StatusCode::UNAUTHORIZED);
    }
}

both_engines! {
    async fn a_code_expires_after_sixty_seconds(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[]).await;
        app.clock.advance(61);
        invalid_grant(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
    }
}

both_engines! {
    async fn a_code_is_bound_to_its_client_and_redirect_uri(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[]).await;
        // Another client, even one registered with the same redirect URI.
        let other = app.register_rp(json!({"name": "Other"})).await;
        invalid_grant(app.exchange_code(&other, &code, &pkce.verifier).await).await;
        // Another redirect URI, by a trailing slash.
        let slash = format!("{}/", rp.redirect_uri);
        invalid_grant(exchange_with(&app, &rp, &code, &[("redirect_uri", &slash), ("code_verifier", &pkce.verifier)]).await).await;
        // Another client's attempt did not spend it; the slash attempt did.
        invalid_grant(app.exchange_code(&rp, &code, &pkce.verifier).await).await;

        let (rp, pkce, code, _) = code_for_again(&app, &rp).await;
        invalid_grant(app.exchange_code(&other, &code, &pkce.verifier).await).await;
        ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        // Garbage codes are just invalid.
        for junk in ["x", &"A".repeat(43), &"A".repeat(5000)] {
            invalid_grant(exchange_with(&app, &rp, junk, &[("code_verifier", &pkce.verifier)]).await).await;
        }
    }
}

both_engines! {
    async fn of_concurrent_presentations_of_a_code_exactly_one_gets_tokens(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[]).await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (app, rp, code, verifier) = (app.clone(), rp.clone(), code.clone(), pkce.verifier.clone());
            tasks.push(tokio::spawn(async move {
                let res = app.exchange_code(&rp, &code, &verifier).await;
                let status = res.status();
                (status, res.json::<Value>().await.unwrap())
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::OK => winners.push(body),
                StatusCode::BAD_REQUEST => assert_eq!(body["error"], "invalid_grant"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1);
        // The others were presentations of a spent code: the winner's family is revoked.
        let refresh = winners[0]["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", rp.client_id.as_str())];
        invalid_grant(app.token(&form, None).await).await;
    }
}

/// A refresh with `refresh` as the public client `rp`.
async fn refresh_as(app: &TestApp, rp: &Rp, refresh: &str) -> Response {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", rp.client_id.as_str()),
    ];
    app.token(&form, None).await
}

both_engines! {
    async fn codes_issued_and_redeemed_together_are_each_spent_once(app) {
        // One sign-in, then many codes at once: the group commit stores them, and
        // later redeems them, in shared transactions.
        let (rp, first_pkce, first_code, b) = code_for(&app, json!({}), &[]).await;
        let app = std::sync::Arc::new(app);
        let mut issuing = Vec::new();
        for _ in 0..15 {
            let (app, rp, b) = (app.clone(), rp.clone(), b.clone());
            issuing.push(tokio::spawn(async move {
                let pkce = Pkce::new();
                let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::SEE_OTHER);
                let code = redirect_params(&res).1["code"].clone();
                (pkce, code)
            }));
        }
        let mut codes = vec![(first_pkce, first_code)];
        for task in issuing {
            codes.push(task.await.unwrap());
        }
        // Every fourth with a wrong verifier, and code 1 presented twice, all at once.
        let mut redeeming = Vec::new();
        for (i, (pkce, code)) in codes.iter().enumerate().chain([(1, &codes[1])]) {
            let verifier = if i % 4 == 0 { Pkce::new().verifier } else { pkce.verifier.clone() };
            let (app, rp, code) = (app.clone(), rp.clone(), code.clone());
            redeeming.push(tokio::spawn(async move {
                let res = app.exchange_code(&rp, &code, &verifier).await;
                (i, res.status(), res.json::<Value>().await.unwrap())
            }));
        }
        let mut won = std::collections::HashMap::new();
        let mut refused_twice = 0;
        for task in redeeming {
            let (i, status, body) = task.await.unwrap();
            match (i % 4 == 0, status) {
                (false, StatusCode::OK) => {
                    assert!(won.insert(i, body).is_none(), "code {i} redeemed twice");
                }
                (_, StatusCode::BAD_REQUEST) => {
                    assert_eq!(body["error"], "invalid_grant", "{body}");
                    if i == 1 {
                        refused_twice += 1;
                    } else {
                        assert_eq!(i % 4, 0, "code {i} refused: {body}");
                    }
                }
                (_, other) => panic!("code {i}: {other} {body}"),
            }
        }
        assert_eq!(refused_twice, 1, "of two presentations of code 1, exactly one wins");
        assert_eq!(won.len(), 12);
        // Code 1's second presentation killed the family its first started; every
        // other family lives, each its own.
        let dead = won[&1]["refresh_token"].as_str().unwrap();
        invalid_grant(refresh_as(&app, &rp, dead).await).await;
        let mut sids = std::collections::HashSet::new();
        for (i, body) in won.iter().filter(|(i, _)| **i != 1) {
            let res = refresh_as(&app, &rp, body["refresh_token"].as_str().unwrap()).await;
            assert_eq!(res.status(), StatusCode::OK, "code {i}: {}", res.text().await.unwrap());
            let access = body["access_token"].as_str().unwrap();
            let claims = app.introspect_as_admin(access).await;
            assert_eq!(claims["active"], true, "code {i}");
            assert!(sids.insert(claims["sid"].as_str().unwrap().to_owned()), "code {i}: a family of its own");
        }
        // A code refused for its verifier was spent: the right verifier is too late.
        let (pkce, code) = &codes[4];
        invalid_grant(app.exchange_code(&rp, code, &pkce.verifier).await).await;
    }
}
