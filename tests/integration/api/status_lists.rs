//! Token status lists (draft-ietf-oauth-status-list): every access token names a bit,
//! every way a token dies sets that bit and no other, lists are served with ETags and
//! roll over, and a revocation on one replica reaches another's list.
//!
//! Lists are read here as a verifier reads them, with nothing of tessera's: the JWT's
//! signature checked against the JWKS (josekit), `lst` base64url-decoded and inflated
//! with flate2, bit `idx` the `idx % 8`-th least significant bit of byte `idx / 8`.

use std::io::Read;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::session::BrowserSession;
use crate::common::*;

const EMAIL: &str = "dora@example.com";
const OTHER: &str = "eve@example.com";
const PASSWORD: &str = "dora-password-1234";

/// The `(uri, idx)` of a token's `status.status_list`.
fn status_of(token: &str) -> (String, usize) {
    let claims = payload(token);
    let list = &claims["status"]["status_list"];
    let uri = list["uri"].as_str().expect("a status_list uri").to_owned();
    let idx = list["idx"].as_u64().expect("a status_list idx") as usize;
    (uri, idx)
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn header(jwt: &str) -> Value {
    let part = jwt.split('.').next().expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The path of a list's URI on the app (the URI names the configured issuer).
fn path_of(uri: &str) -> String {
    let at = uri.find(paths::STATUS_LISTS).expect("a status list URI");
    uri[at..].to_owned()
}

/// A fetched list: its bits, its claims, and the response's headers.
struct List {
    bits: Vec<u8>,
    claims: Value,
    etag: String,
}

impl List {
    fn revoked(&self, idx: usize) -> bool {
        self.bits[idx / 8] & (1 << (idx % 8)) != 0
    }
}

/// GETs the list `uri` from `app`, checks it is a Status List Token signed by a key
/// of the JWKS, and inflates its bits.
async fn fetch(app: &TestApp, uri: &str) -> List {
    let res = app.get(&path_of(uri)).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {uri}");
    assert_eq!(res.headers()["content-type"], "application/statuslist+jwt");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let jwt = res.text().await.unwrap();
    assert_eq!(header(&jwt)["typ"], "statuslist+jwt");
    let claims = verify_with_jwks(&app.jwks().await, &jwt).expect("signed by a published key");
    assert_eq!(claims["sub"], uri, "sub is the list's URI");
    assert_eq!(claims["status_list"]["bits"], 1);
    let compressed = URL_SAFE_NO_PAD
        .decode(claims["status_list"]["lst"].as_str().unwrap())
        .unwrap();
    let mut bits = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut bits)
        .expect("lst is ZLIB");
    List { bits, claims, etag }
}

/// Whether each token reads revoked in the lists `app` serves now.
async fn revoked(app: &TestApp, tokens: &[&str]) -> Vec<bool> {
    let mut out = Vec::new();
    for token in tokens {
        let (uri, idx) = status_of(token);
        out.push(fetch(app, &uri).await.revoked(idx));
    }
    out
}

/// Asserts the neighbours of each token's index read valid unless `allowed` holds them:
/// a revocation sets its bits and no other.
async fn assert_only(app: &TestApp, set: &[&str], allowed_set: &[&str]) {
    let mut flagged = std::collections::HashSet::new();
    for token in set.iter().chain(allowed_set) {
        flagged.insert(status_of(token));
    }
    for token in set {
        let (uri, idx) = status_of(token);
        let list = fetch(app, &uri).await;
        assert!(list.revoked(idx), "{uri}#{idx} is set");
        for neighbour in [idx.saturating_sub(1), idx + 1, idx + 2] {
            if neighbour != idx && !flagged.contains(&(uri.clone(), neighbour)) {
                assert!(!list.revoked(neighbour), "{uri}#{neighbour} stays valid");
            }
        }
    }
}

async fn logout(app: &TestApp, session: &BrowserSession, bearer: &str) {
    let res = TestApp::fresh_client()
        .post(app.url(paths::LOGOUT))
        .header(
            "Cookie",
            format!(
                "tessera_refresh={}; tessera_csrf={}",
                session.refresh, session.csrf
            ),
        )
        .header("X-CSRF-Token", &session.csrf)
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "logout: {}", res.status());
}

async fn refreshed(app: &TestApp, session: &BrowserSession) -> BrowserSession {
    let res = app
        .refresh_with(&TestApp::fresh_client(), &session.refresh, &session.csrf)
        .await;
    session::browser_session(res).await
}

async fn oauth_token(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

both_engines! {
    async fn every_kind_of_access_token_names_a_valid_bit_of_a_served_list(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (client, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let browser = app.browser_login(EMAIL, PASSWORD).await;
        let rotated = refreshed(&app, &browser).await;
        let grant = oauth_token(app.password_grant(EMAIL, PASSWORD, None, None).await).await;
        let machine = oauth_token(
            app.token(&[("grant_type", "client_credentials")], Some((&client, &secret))).await,
        )
        .await;
        let tokens = [
            browser.access.as_str(),
            rotated.access.as_str(),
            grant["access_token"].as_str().unwrap(),
            machine["access_token"].as_str().unwrap(),
        ];
        let mut slots = std::collections::HashSet::new();
        for token in tokens {
            let (uri, idx) = status_of(token);
            assert!(
                uri.starts_with(&format!("{}/statuslists/", app.app.settings.issuer.trim_end_matches('/'))),
                "{uri}"
            );
            assert!(slots.insert((uri.clone(), idx)), "each token has a bit of its own");
            let list = fetch(&app, &uri).await;
            assert!(!list.revoked(idx));
            assert_eq!(list.claims["ttl"], 10, "status_list.ttl's default");
            assert!(list.claims["exp"].as_i64().unwrap() > list.claims["iat"].as_i64().unwrap());
        }
        // The aggregation lists them, and discovery announces it.
        let all: Value = app.get(paths::STATUS_LISTS).await.json().await.unwrap();
        let (uri, _) = status_of(tokens[0]);
        assert!(all["status_lists"].as_array().unwrap().contains(&json!(uri)), "{all}");
        let meta: Value = app.get(paths::OAUTH_AUTHORIZATION_SERVER).await.json().await.unwrap();
        assert_eq!(
            meta["status_list_aggregation_endpoint"],
            format!("{}/statuslists", app.app.settings.issuer.trim_end_matches('/'))
        );
    }
}

both_engines! {
    async fn logout_sets_the_bits_of_its_session_and_bearer_and_no_other(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = app.browser_login(EMAIL, PASSWORD).await;
        let second = refreshed(&app, &first).await;
        let bystander = app.browser_login(EMAIL, PASSWORD).await;

        logout(&app, &second, &second.access).await;

        assert_eq!(revoked(&app, &[&first.access, &second.access, &bystander.access]).await, [true, true, false]);
        assert_only(&app, &[&first.access, &second.access], &[]).await;
    }
}

both_engines! {
    async fn rfc7009_revocation_sets_the_bit_of_the_access_token_or_of_the_refresh_tokens_family(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let by_access = oauth_token(app.password_grant(EMAIL, PASSWORD, None, None).await).await;
        let by_refresh = oauth_token(app.password_grant(EMAIL, PASSWORD, None, None).await).await;
        let bystander = oauth_token(app.password_grant(EMAIL, PASSWORD, None, None).await).await;
        let access = |t: &Value| t["access_token"].as_str().unwrap().to_owned();

        let res = app.revoke(&[("token", &access(&by_access)), ("token_type_hint", "access_token")], None, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(revoked(&app, &[&access(&by_access), &access(&by_refresh)]).await, [true, false]);

        let res = app.revoke(&[("token", by_refresh["refresh_token"].as_str().unwrap())], None, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            revoked(&app, &[&access(&by_access), &access(&by_refresh), &access(&bystander)]).await,
            [true, true, false]
        );
        assert_only(&app, &[&access(&by_access), &access(&by_refresh)], &[]).await;
    }
}

both_engines! {
    async fn a_client_credentials_token_revoked_by_its_client_reads_revoked(app) {
        let (client, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let issue = || app.token(&[("grant_type", "client_credentials")], Some((&client, &secret)));
        let one = oauth_token(issue().await).await["access_token"].as_str().unwrap().to_owned();
        let two = oauth_token(issue().await).await["access_token"].as_str().unwrap().to_owned();
        let res = app.revoke(&[("token", &one)], Some((&client, &secret)), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(revoked(&app, &[&one, &two]).await, [true, false]);
    }
}

both_engines! {
    async fn removing_a_client_sets_the_bits_of_the_sessions_it_was_granted(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (id, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let granted = oauth_token(app.password_grant(EMAIL, PASSWORD, None, Some((&id, &secret))).await).await;
        let granted = granted["access_token"].as_str().unwrap().to_owned();
        let bystander = app.browser_login(EMAIL, PASSWORD).await;
        let admin = app.admin_token().await;
        assert_eq!(app.admin_remove_client(&id, &admin).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(revoked(&app, &[&granted, &bystander.access]).await, [true, false]);
        assert_only(&app, &[&granted], &[]).await;
    }
}

both_engines! {
    async fn refresh_token_reuse_sets_every_bit_of_the_family(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let first = app.browser_login(EMAIL, PASSWORD).await;
        let second = refreshed(&app, &first).await;
        let third = refreshed(&app, &second).await;
        let bystander = app.browser_login(EMAIL, PASSWORD).await;

        // The first refresh token again: reuse.
        let res = app.refresh_with(&TestApp::fresh_client(), &first.refresh, &first.csrf).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        assert_eq!(
            revoked(&app, &[&first.access, &second.access, &third.access, &bystander.access]).await,
            [true, true, true, false]
        );
        assert_only(&app, &[&first.access, &second.access, &third.access], &[]).await;
    }
}

both_engines! {
    async fn a_code_presented_twice_sets_every_bit_of_the_family_it_started(app) {
        let (rp, pkce, code, _) = crate::oidc::code_for(&app, json!({}), &[]).await;
        let first = oauth_token(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        let refresh = first["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", rp.client_id.as_str())];
        let child = oauth_token(app.token(&form, None).await).await;
        let (access, child_access) = (first["access_token"].as_str().unwrap(), child["access_token"].as_str().unwrap());
        let bystander = app.browser_login(crate::oidc::EMAIL, crate::oidc::PASSWORD).await;
        assert_eq!(revoked(&app, &[access, child_access]).await, [false, false]);

        // The code again (RFC 6749 §4.1.2): the family it started dies, bits and all.
        let res = app.exchange_code(&rp, &code, &pkce.verifier).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            revoked(&app, &[access, child_access, &bystander.access]).await,
            [true, true, false]
        );
        assert_only(&app, &[access, child_access], &[]).await;
    }
}

both_engines! {
    async fn revoke_sessions_and_disable_set_the_bits_of_every_session_of_that_user_only(app) {
        let dora = app.create_user(EMAIL, PASSWORD, &[]).await;
        let eve = app.create_user(OTHER, PASSWORD, &[]).await;
        let admin = app.admin_token().await;
        let d1 = app.browser_login(EMAIL, PASSWORD).await;
        let d2 = oauth_token(app.password_grant(EMAIL, PASSWORD, None, None).await).await;
        let d2 = d2["access_token"].as_str().unwrap().to_owned();
        let e1 = app.browser_login(OTHER, PASSWORD).await;

        let res = app.admin_revoke_sessions(dora["id"].as_str().unwrap(), &admin).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(revoked(&app, &[&d1.access, &d2, &e1.access]).await, [true, true, false]);

        let res = app
            .post_json(&paths::admin_user_action(eve["id"].as_str().unwrap(), "disable"), Some(&admin), &json!({}))
            .await;
        assert!(res.status().is_success(), "disable: {}", res.status());
        assert_eq!(revoked(&app, &[&e1.access]).await, [true]);
        assert_only(&app, &[&d1.access, &d2, &e1.access], &[&admin]).await;
    }
}

both_engines! {
    async fn a_revoked_key_revokes_every_token_it_signed_and_new_tokens_read_valid(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let admin = app.admin_token().await;
        let before = app.browser_login(EMAIL, PASSWORD).await;
        let kid = app.kid_in_state(&admin, "current").await;

        let res = app.admin_revoke_key(&kid, &admin).await;
        assert!(res.status().is_success(), "revoke key: {}", res.status());

        let (old_list, idx) = status_of(&before.access);
        let list = fetch(&app, &old_list).await;
        assert!(list.revoked(idx) && list.revoked(idx + 1), "every index of the key's list reads revoked");

        let after = app.browser_login(EMAIL, PASSWORD).await;
        let (new_list, _) = status_of(&after.access);
        assert_ne!(new_list, old_list, "the new key's tokens go in a list of their own");
        assert_eq!(revoked(&app, &[&after.access]).await, [false]);
    }
}

both_engines! {
    async fn lists_answer_304_to_their_etag_until_a_revocation_changes_them(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let session = app.browser_login(EMAIL, PASSWORD).await;
        let (uri, _) = status_of(&session.access);
        let first = fetch(&app, &uri).await;

        let res = app.client.get(app.url(&path_of(&uri))).header("If-None-Match", &first.etag).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()["etag"].to_str().unwrap(), first.etag);
        assert_eq!(res.headers()["cache-control"], "public, max-age=10");
        // Nothing changed: the same bytes, not a new signature per request.
        assert_eq!(fetch(&app, &uri).await.etag, first.etag);

        logout(&app, &session, &session.access).await;
        let after = fetch(&app, &uri).await;
        assert_ne!(after.etag, first.etag);
        let res = app.client.get(app.url(&path_of(&uri))).header("If-None-Match", &first.etag).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

both_engines! {
    with ["TESSERA__STATUS_LIST__TTL" => "45s"];
    async fn the_ttl_setting_is_the_lists_ttl_and_max_age(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let session = app.browser_login(EMAIL, PASSWORD).await;
        let (uri, _) = status_of(&session.access);
        let res = app.get(&path_of(&uri)).await;
        assert_eq!(res.headers()["cache-control"], "public, max-age=45");
        assert_eq!(fetch(&app, &uri).await.claims["ttl"], 45);
    }
}

both_engines! {
    async fn unknown_and_hostile_list_ids_get_a_json_404(app) {
        for id in [
            "AAAAAAAAAAAAAAAAAAAAAA",
            "nope",
            "..%2F..%2Fetc%2Fpasswd",
            "%00",
            &"x".repeat(4000),
            "'%20OR%201=1--",
        ] {
            let res = app.get(&format!("{}/{id}", paths::STATUS_LISTS)).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "not_found", "{id}: {body}");
            assert!(body["error_description"].is_string());
        }
    }
}

both_engines! {
    async fn lists_roll_over_and_go_only_when_every_token_in_them_has_expired(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let access_ttl = app.app.settings.tokens.access_ttl.as_secs() as i64;
        let old = app.browser_login(EMAIL, PASSWORD).await;
        let (old_list, _) = status_of(&old.access);

        // A window later, new tokens go in a new list; the old one is still served.
        app.clock.advance(access_ttl);
        let new = app.browser_login(EMAIL, PASSWORD).await;
        let (new_list, _) = status_of(&new.access);
        assert_ne!(new_list, old_list);
        app.app.sessions.purge_expired().await.unwrap();
        fetch(&app, &old_list).await;

        // Once the old list's last possible token has expired, and verifiers' leeway
        // with it, the list goes; the new one stays.
        app.clock.advance(access_ttl + 300);
        app.app.sessions.purge_expired().await.unwrap();
        let res = app.get(&path_of(&old_list)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        fetch(&app, &new_list).await;
    }
}

/// Two replicas on one PostgreSQL database: a revocation on A shows in B's list
/// within 5 s. Polled, not slept: the assertion is only that it arrives in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_replica_shows_in_the_others_list() {
    let Some(a) = spawn_app(Engine::Postgres).await else {
        eprintln!("skipped: set {POSTGRES_ENV} to run on PostgreSQL");
        return;
    };
    let b = spawn_on(a.db.clone(), Engine::Postgres, &[], a.clock.clone()).await;
    a.create_user(EMAIL, PASSWORD, &[]).await;
    let session = a.browser_login(EMAIL, PASSWORD).await;
    let (uri, idx) = status_of(&session.access);
    // B serves A's fresh list too (it looks up a list it does not know yet).
    assert!(!fetch(&b, &uri).await.revoked(idx));

    logout(&a, &session, &session.access).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if fetch(&b, &uri).await.revoked(idx) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replica B still serves the token as valid after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_engines! {
    /// A rotation racing the revocation of its family: whatever the order, a token the
    /// rotation handed out reads revoked once the revocation has answered (the
    /// revocation first stops the family's unused tokens, so a rotation either
    /// committed before it, and its slot is marked, or finds its token expired).
    /// Without that first statement this fails on PostgreSQL within 60 rounds (checked).
    async fn a_rotation_racing_its_familys_revocation_never_leaves_a_valid_bit(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        for _ in 0..30 {
            let grant = oauth_token(app.password_grant(EMAIL, PASSWORD, None, None).await).await;
            let refresh = grant["refresh_token"].as_str().unwrap().to_owned();
            let rotate = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
            let revoke = [("token", refresh.as_str())];
            let (rotated, revoked_res) = tokio::join!(app.token(&rotate, None), app.revoke(&revoke, None, None));
            assert_eq!(revoked_res.status(), StatusCode::OK);
            let mut issued = vec![grant["access_token"].as_str().unwrap().to_owned()];
            if rotated.status() == StatusCode::OK {
                let body: Value = rotated.json().await.unwrap();
                issued.push(body["access_token"].as_str().unwrap().to_owned());
            }
            let issued: Vec<&str> = issued.iter().map(String::as_str).collect();
            assert!(revoked(&app, &issued).await.iter().all(|r| *r), "every token of the revoked family reads revoked");
        }
    }
}
