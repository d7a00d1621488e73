//! The OpenAPI document and the routes the app serves are the same set.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::both_engines;
use crate::common::paths;

/// Every endpoint of the contract plus the documented extensions.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("GET", "/auth/me"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
    ("GET", "/admin/keys"),
    ("POST", "/admin/keys/rotate"),
    ("POST", "/admin/keys/{kid}/revoke"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}/revoke-sessions"),
    ("POST", "/admin/users/{id}/disable"),
    ("POST", "/admin/clients"),
    ("GET", "/admin/clients"),
    ("GET", "/admin/clients/{id}"),
    ("DELETE", "/admin/clients/{id}"),
    ("GET", "/admin/users/{id}/consents"),
    ("DELETE", "/admin/users/{id}/consents/{client_id}"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/authorize"),
    ("GET", "/oauth/login"),
    ("POST", "/oauth/login"),
    ("GET", "/oauth/consent"),
    ("POST", "/oauth/consent"),
    ("GET", "/oauth/userinfo"),
    ("POST", "/oauth/userinfo"),
    ("GET", "/oauth/logout"),
    ("GET", "/oauth/assets/tessera.css"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    ("GET", "/statuslists"),
    ("GET", "/statuslists/{id}"),
];

fn documented(doc: &Value) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    routes.sort();
    routes
}

both_engines! {
    async fn the_document_lists_exactly_the_served_routes(app) {
        let res = app.get(paths::OPENAPI).await;
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut expected: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        expected.sort();
        assert_eq!(documented(&doc), expected, "document and contract agree");

        // Every documented operation is served: the router's own 404 never answers it.
        for (method, path) in documented(&doc) {
            let concrete = path.replace("{kid}", "x").replace("{id}", "x").replace("{client_id}", "x");
            let res = app.client.request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(&concrete)).send().await.unwrap();
            if res.status() == StatusCode::NOT_FOUND {
                let body: Value = res.json().await.unwrap();
                assert_ne!(body["error_description"], "no such resource", "{method} {path} is not routed");
            }
        }
        // And a route that is not documented is not served.
        let res = app.client.post(app.url(&paths::admin_user_action("x", "delete"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
