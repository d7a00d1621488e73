//! The tower layer (axum's middleware model): verified claims in the request's
//! extensions, refusals answered before the inner service is called.

mod support;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http::{Request, Response};
use support::{bits, Key, Mock};
use tessera_verify::tower::{Verified, VerifyLayer};
use tower::{service_fn, Layer, ServiceExt};

#[tokio::test]
async fn the_layer_passes_verified_requests_with_their_claims() {
    let mock = Mock::start().await;
    let key = Key::rs256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(2, &[1]), 300, "l1");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let inner = service_fn(move |req: Request<()>| {
        seen.fetch_add(1, Ordering::SeqCst);
        let sub = req.extensions().get::<Verified>().map(|v| v.0.sub.clone());
        async move { Ok::<_, Infallible>(Response::new(sub.unwrap_or_default())) }
    });
    let service = VerifyLayer::new(mock.verifier(|_| {})).layer(inner);
    let call = |auth: Option<String>| {
        let mut req = Request::builder().uri("/api");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        service.clone().oneshot(req.body(()).unwrap())
    };

    let good = key.mint(&mock.claims(&uri, 0));
    let res = call(Some(format!("bearer {good}"))).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.body(), "user-1");

    let revoked = key.mint(&mock.claims(&uri, 1));
    for auth in [
        None,
        Some(format!("Bearer {revoked}")),
        Some("Bearer nope".into()),
    ] {
        let res = call(auth.clone()).await.unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        assert!(res.headers().contains_key("www-authenticate"));
        let body: serde_json::Value = serde_json::from_str(res.body()).unwrap();
        assert!(body["error"].is_string(), "{body}");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "refused requests never reach the service"
    );
}

#[tokio::test]
async fn the_layer_guards_an_axum_router() {
    use axum::body::Body;
    use axum::routing::get;
    use axum::{Extension, Router};

    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(2, &[1]), 300, "l1");
    async fn me(Extension(user): Extension<Verified>) -> String {
        format!("{} {}", user.0.sub, user.0.scope)
    }
    let app = Router::new()
        .route("/me", get(me))
        .layer(VerifyLayer::new(mock.verifier(|_| {})));
    let call = |token: String| {
        let req = Request::builder()
            .uri("/me")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(req)
    };
    let res = call(key.mint(&mock.claims(&uri, 0))).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    assert_eq!(&body[..], b"user-1 read write");
    let res = call(key.mint(&mock.claims(&uri, 1))).await.unwrap();
    assert_eq!(res.status(), 401);
}
