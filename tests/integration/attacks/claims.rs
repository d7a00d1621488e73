//! Claim checks. An outsider cannot reach them (the signature is checked first), so the
//! bad claims are signed with the server's own key (see `insider`), and expiry is also
//! shown on a real token by moving the app's clock.

use serde_json::{json, Value};
use tessera::clock::Clock;

use super::forge::{self, Compact};
use super::insider::ServerKey;
use super::judge::{case, Case, Judge};
use crate::both_engines;

/// The claims of a real user token with a fresh `jti`, so no denylist entry applies.
fn fresh(claims: &Value, tag: &str) -> Value {
    let mut c = claims.clone();
    c["jti"] = json!(format!("claims-test-{tag}"));
    c
}

both_engines! {
    async fn correctly_signed_tokens_with_bad_claims_are_refused(app) {
        let judge = Judge::new(&app).await;
        let token = judge.user_token().await;
        let claims = Compact::parse(&token).payload();
        let server = ServerKey::current(&app).await;
        let header = server.header();
        // Control: the same key and claims (a fresh jti) are accepted, so every refusal
        // below is the claim's doing.
        judge.assert_accepted("server-signed copy of real claims", &server.token(&header, &fresh(&claims, "control"))).await;
        let now = app.clock.unix();
        let issuer = claims["iss"].as_str().unwrap().to_owned();
        type Edit = Box<dyn Fn(&mut Value)>;
        let remove = |name: &'static str| -> Edit { Box::new(move |c: &mut Value| { c.as_object_mut().unwrap().remove(name); }) };
        let set = |name: &'static str, value: Value| -> Edit { Box::new(move |c: &mut Value| c[name] = value.clone()) };
        let edits: Vec<(&str, Edit)> = vec![
            ("iss of another issuer", set("iss", json!("https://evil.example"))),
            ("iss with a trailing slash", set("iss", json!(format!("{issuer}/")))),
            ("iss in upper case", set("iss", json!(issuer.to_uppercase()))),
            ("iss empty", set("iss", json!(""))),
            ("iss missing", remove("iss")),
            ("iss not a string", set("iss", json!([issuer]))),
            ("aud of another API", set("aud", json!("https://other-api.example"))),
            ("aud list without ours", set("aud", json!(["https://a.example", "https://b.example"]))),
            ("aud empty list", set("aud", json!([]))),
            ("aud missing", remove("aud")),
            ("aud a number", set("aud", json!(1))),
            ("exp missing", remove("exp")),
            ("exp now (no leeway)", set("exp", json!(now))),
            ("exp one second ago", set("exp", json!(now - 1))),
            ("exp in 1970", set("exp", json!(1))),
            ("exp negative", set("exp", json!(-1))),
            ("exp a string", set("exp", json!((now + 600).to_string()))),
            ("exp a float", set("exp", json!(now as f64 + 600.5))),
            ("exp beyond i64", set("exp", json!(u64::MAX))),
            ("exp null", set("exp", Value::Null)),
            ("nbf in 60 s", set("nbf", json!(now + 60))),
            ("nbf in a day", set("nbf", json!(now + 86_400))),
            ("nbf missing", remove("nbf")),
            ("iat in 60 s", set("iat", json!(now + 60))),
            ("iat missing", remove("iat")),
            ("jti missing", remove("jti")),
            ("sub missing", remove("sub")),
            ("sub a number", set("sub", json!(1))),
            ("roles a string", set("roles", json!("admin"))),
            ("payload not an object", Box::new(|c: &mut Value| *c = json!([c.clone()]))),
        ];
        let mut cases: Vec<Case> = Vec::new();
        for (i, (name, edit)) in edits.iter().enumerate() {
            let mut c = fresh(&claims, &i.to_string());
            edit(&mut c);
            cases.push(case(format!("{name}, signed by the server key"), server.token(&header, &c)));
        }
        // Duplicate claims: a first-wins or last-wins parser would see only one `exp`.
        let body = fresh(&claims, "dup").to_string();
        let expired = now - 3600;
        for (name, text) in [
            ("duplicate exp, expired one first", format!("{{\"exp\":{expired},{}", &body[1..])),
            ("duplicate exp, expired one last", format!("{},\"exp\":{expired}}}", &body[..body.len() - 1])),
        ] {
            let input = format!("{}.{}", forge::b64(header.to_string()), forge::b64(&text));
            let signature = forge::b64(server.sign(input.as_bytes()));
            cases.push(case(format!("{name}, signed by the server key"), format!("{input}.{signature}")));
        }
        judge.assert_refused(&cases).await;

        // Within the documented 5 s of replica clock skew on nbf/iat, and an audience
        // list that holds ours: accepted, as the contract says.
        let mut skewed = fresh(&claims, "skew");
        skewed["nbf"] = json!(now + 3);
        skewed["iat"] = json!(now + 3);
        judge.assert_accepted("nbf and iat 3 s ahead", &server.token(&header, &skewed)).await;
        let mut listed = fresh(&claims, "aud-list");
        listed["aud"] = json!(["https://other-api.example", claims["aud"]]);
        judge.assert_accepted("aud list holding ours", &server.token(&header, &listed)).await;
    }
}

both_engines! {
    async fn a_real_token_dies_at_exp_with_no_leeway(app) {
        let judge = Judge::new(&app).await;
        let token = judge.user_token().await;
        let claims = Compact::parse(&token).payload();
        let ttl = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert_eq!(ttl, 900, "the default access_ttl");
        // 30 s before exp: still good (a margin for a slow machine, not a timing claim).
        app.clock.advance(ttl - 30);
        let late_judge = Judge::new(&app).await;
        late_judge.assert_accepted("30 s before exp", &token).await;
        // At exp: dead. The admin token of `late_judge` is 30 s old, still valid.
        app.clock.advance(30);
        assert!(app.clock.unix() >= claims["exp"].as_i64().unwrap());
        late_judge.assert_refused(&[case("real token at exp", token.clone())]).await;
        app.clock.advance(86_400);
        let later_judge = Judge::new(&app).await;
        later_judge.assert_refused(&[case("real token a day after exp", token)]).await;
    }
}
