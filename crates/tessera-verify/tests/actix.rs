//! The actix-web extractor: verified claims reach the handler; anything else is a 401
//! with `WWW-Authenticate`, or a 503 when the verifier fails closed.

mod support;

use actix_web::{test, web, App, HttpResponse};
use support::{bits, Key, Mock};
use tessera_verify::actix::Verified;

async fn me(user: Verified) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"sub": user.sub, "admin": user.has_role("admin")}))
}

#[actix_web::test]
async fn the_extractor_admits_verified_tokens_only() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(2, &[1]), 300, "l1");
    let verifier = mock.verifier(|_| {});
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/me", web::get().to(me)),
    )
    .await;
    let get = |auth: Option<String>| {
        let mut req = test::TestRequest::get().uri("/me");
        if let Some(a) = auth {
            req = req.insert_header(("Authorization", a));
        }
        req.to_request()
    };

    let good = key.mint(&mock.claims(&uri, 0));
    let res = test::call_service(&app, get(Some(format!("Bearer {good}")))).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body, serde_json::json!({"sub": "user-1", "admin": true}));

    let revoked = key.mint(&mock.claims(&uri, 1));
    for auth in [
        None,
        Some(format!("Bearer {revoked}")),
        Some("Bearer x.y.z".into()),
        Some(format!("Basic {good}")),
    ] {
        let res = test::call_service(&app, get(auth.clone())).await;
        assert_eq!(res.status(), 401, "{auth:?}");
        assert!(res
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let body: serde_json::Value = test::read_body_json(res).await;
        assert!(
            body["error"].is_string() && body["error_description"].is_string(),
            "{body}"
        );
    }

    // The authority down with nothing cached: 503, not 401.
    let cold = Mock::start().await;
    let token = key.mint(&cold.claims(&format!("{}/statuslists/1", cold.issuer), 0));
    cold.stop().await;
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(cold.verifier(|_| {})))
            .route("/me", web::get().to(me)),
    )
    .await;
    let res = test::call_service(&app, get(Some(format!("Bearer {token}")))).await;
    assert_eq!(res.status(), 503);
}
