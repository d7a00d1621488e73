//! Header attacks: `alg: none`, algorithm names off the allow-list, hostile `kid`s,
//! embedded or remote keys (`jwk`, `jku`, `x5u`, `x5c`), `crit`, `typ`, malformed and
//! duplicate-key headers, and headers changed after signing.

use serde_json::{json, Value};

use super::forge::{self, b64, AttackerKey, Compact};
use super::insider::ServerKey;
use super::judge::{case, Case, Judge};
use crate::both_engines;
use crate::common::paths;

/// A real user token, checked accepted, and the forger's favourite payload built from it.
async fn real_and_escalated(judge: &Judge<'_>) -> (Compact, Value) {
    let token = judge.user_token().await;
    judge.assert_accepted("real user token", &token).await;
    let real = Compact::parse(&token);
    let payload = forge::escalated(&real.payload());
    (real, payload)
}

both_engines! {
    async fn alg_none_in_every_casing_is_refused(app) {
        let judge = Judge::new(&app).await;
        let (real, payload) = real_and_escalated(&judge).await;
        let kid = real.header()["kid"].clone();
        let mut cases: Vec<Case> = Vec::new();
        for alg in ["none", "None", "NONE", "nOnE", "none ", "", "nonE"] {
            for (shape, header) in [
                ("with kid", json!({"alg": alg, "kid": kid, "typ": "at+jwt"})),
                ("without kid", json!({"alg": alg, "typ": "JWT"})),
                ("alg only", json!({"alg": alg})),
            ] {
                let unsigned = format!("{}.{}", forge::b64_json(&header), forge::b64_json(&payload));
                cases.push(case(format!("alg {alg:?} {shape}, empty signature"), format!("{unsigned}.")));
                cases.push(case(format!("alg {alg:?} {shape}, no signature segment"), unsigned.clone()));
                cases.push(case(
                    format!("alg {alg:?} {shape}, the real token's signature"),
                    format!("{unsigned}.{}", real.signature_b64),
                ));
                cases.push(case(format!("alg {alg:?} {shape}, junk signature"), format!("{unsigned}.{}", b64("signature"))));
            }
        }
        judge.assert_refused(&cases).await;
    }
}

both_engines! {
    async fn algorithms_off_the_allow_list_are_refused_even_when_correctly_signed(app) {
        let judge = Judge::new(&app).await;
        let (_, payload) = real_and_escalated(&judge).await;
        // Signed by the server's own key: the algorithm name alone must sink them.
        let server = ServerKey::current(&app).await;
        let mut cases = Vec::new();
        for alg in ["es256", "Es256", "ES256 ", " ES256", "ES256\u{0}", "ES384", "ES512", "ES256K", "PS256", "RS256", "HS256", "EdDSA", "RSA-OAEP"] {
            let header = json!({"alg": alg, "kid": server.kid, "typ": "at+jwt"});
            cases.push(case(format!("alg {alg:?} signed by the server key"), server.token(&header, &payload)));
        }
        for alg in [json!(null), json!(1), json!(["ES256"]), json!({"name": "ES256"})] {
            let header = json!({"alg": alg, "kid": server.kid, "typ": "at+jwt"});
            cases.push(case(format!("alg {alg} (not a string)"), server.token(&header, &payload)));
        }
        let no_alg = json!({"kid": server.kid, "typ": "at+jwt"});
        cases.push(case("no alg at all", server.token(&no_alg, &payload)));
        judge.assert_refused(&cases).await;
        judge.assert_accepted("the same key, the right header", &server.token(&server.header(), &payload)).await;
    }
}

/// Hostile `kid` values, each as a JSON value for the header.
fn hostile_kids(server_kid: &str) -> Vec<(String, Value)> {
    vec![
        (
            "unknown kid".into(),
            json!("c2VydmVyLWtleS10aGF0LWRvZXMtbm90LWV4aXN0"),
        ),
        ("path traversal".into(), json!("../../keys/kek")),
        ("absolute path".into(), json!("/etc/passwd")),
        ("SQL injection".into(), json!("' OR 1=1 --")),
        (
            "SQL injection after the real kid".into(),
            json!(format!("{server_kid}' OR '1'='1")),
        ),
        (
            "real kid with a suffix".into(),
            json!(format!("{server_kid}x")),
        ),
        (
            "real kid in upper case".into(),
            json!(server_kid.to_uppercase()),
        ),
        (
            "real kid with a NUL after it".into(),
            json!(format!("{server_kid}\u{0}")),
        ),
        ("NUL bytes".into(), json!("\u{0}\u{0}\u{0}")),
        ("emoji".into(), json!("🔑🗝️")),
        ("non-ASCII".into(), json!("ключ-κλειδί-鍵")),
        ("empty".into(), json!("")),
        (
            "5,000 characters (token under 8 KiB)".into(),
            json!("k".repeat(5_000)),
        ),
        (
            "10,000 characters (token over 8 KiB)".into(),
            json!("k".repeat(10_000)),
        ),
        ("number".into(), json!(42)),
        ("null".into(), json!(null)),
        ("object".into(), json!({"kid": server_kid})),
        ("array".into(), json!([server_kid])),
        ("boolean".into(), json!(true)),
    ]
}

both_engines! {
    async fn hostile_kids_are_refused(app) {
        let judge = Judge::new(&app).await;
        let (_, payload) = real_and_escalated(&judge).await;
        let server = ServerKey::current(&app).await;
        let attacker = AttackerKey::es256();
        let mut cases = Vec::new();
        for (name, kid) in hostile_kids(&server.kid) {
            let header = json!({"alg": "ES256", "kid": kid, "typ": "at+jwt"});
            let forged = forge::signed(&header, &payload, |m| attacker.sign(m));
            let signed = server.token(&header, &payload);
            if name.contains("under 8 KiB") {
                assert!(forged.len() < 8 * 1024 && signed.len() < 8 * 1024, "{name}");
            }
            if name.contains("over 8 KiB") {
                assert!(forged.len() > 8 * 1024 && signed.len() > 8 * 1024, "{name}");
            }
            cases.push(case(format!("kid {name}, attacker-signed"), forged));
            cases.push(case(format!("kid {name}, signed by the server key"), signed));
        }
        let no_kid = json!({"alg": "ES256", "typ": "at+jwt"});
        cases.push(case("no kid, signed by the server key", server.token(&no_kid, &payload)));
        cases.push(case("no kid, attacker-signed", forge::signed(&no_kid, &payload, |m| attacker.sign(m))));
        judge.assert_refused(&cases).await;
    }
}

both_engines! {
    async fn embedded_and_remote_keys_are_never_trusted(app) {
        let judge = Judge::new(&app).await;
        let (_, payload) = real_and_escalated(&judge).await;
        let server = ServerKey::current(&app).await;
        // A listener standing for the attacker's key server: nothing may ever call it.
        let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        trap.set_nonblocking(true).unwrap();
        let trap_url = format!("http://{}/jwks.json", trap.local_addr().unwrap());
        let own_jwks = app.url(paths::JWKS);
        let mut cases = Vec::new();
        for attacker in [AttackerKey::es256(), AttackerKey::rs256()] {
            let jwk = attacker.public_jwk_json();
            let spki = forge::pem("PUBLIC KEY", b"not a certificate");
            let alg = attacker.alg;
            let headers = [
                ("jwk, no kid", json!({"alg": alg, "typ": "at+jwt", "jwk": jwk})),
                ("jwk with the server kid", json!({"alg": alg, "kid": server.kid, "typ": "at+jwt", "jwk": jwk})),
                ("jwk carrying the server kid inside", {
                    let mut inner = jwk.clone();
                    inner["kid"] = json!(server.kid);
                    json!({"alg": alg, "kid": server.kid, "typ": "at+jwt", "jwk": inner})
                }),
                ("jku at the attacker", json!({"alg": alg, "kid": server.kid, "typ": "at+jwt", "jku": trap_url})),
                ("jku at the server's own JWKS", json!({"alg": alg, "kid": server.kid, "typ": "at+jwt", "jku": own_jwks})),
                ("x5u at the attacker", json!({"alg": alg, "kid": server.kid, "typ": "at+jwt", "x5u": trap_url})),
                ("x5c with attacker material", json!({"alg": alg, "kid": server.kid, "typ": "at+jwt", "x5c": [forge::b64(spki.as_bytes())]})),
                ("x5c, no kid", json!({"alg": alg, "typ": "at+jwt", "x5c": ["MIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUA"]})),
            ];
            for (name, header) in headers {
                cases.push(case(format!("{alg} {name}, attacker-signed"), forge::signed(&header, &payload, |m| attacker.sign(m))));
            }
        }
        // Correctly signed by the server, with a key-pointing member added: refused too,
        // because the header allow-list is alg, kid and typ.
        for (member, value) in [
            ("jwk", AttackerKey::es256().public_jwk_json()),
            ("jku", json!(trap_url)),
            ("x5u", json!(trap_url)),
            ("x5c", json!(["MIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUA"])),
            ("x5t", json!("dGh1bWJwcmludA")),
            ("cty", json!("JWT")),
        ] {
            let mut header = server.header();
            header[member] = value;
            cases.push(case(format!("{member} added, signed by the server key"), server.token(&header, &payload)));
        }
        judge.assert_refused(&cases).await;
        match trap.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("the authority fetched an attacker URL: {other:?}"),
        }
    }
}

both_engines! {
    async fn crit_and_typ_are_enforced(app) {
        let judge = Judge::new(&app).await;
        let (real, payload) = real_and_escalated(&judge).await;
        let server = ServerKey::current(&app).await;
        let attacker = AttackerKey::es256();
        let mut cases = Vec::new();
        for crit in [json!(["x-unknown"]), json!(["exp"]), json!([]), json!("x-unknown")] {
            let mut header = server.header();
            header["crit"] = crit.clone();
            header["x-unknown"] = json!(true);
            cases.push(case(format!("crit {crit}, signed by the server key"), server.token(&header, &payload)));
            cases.push(case(format!("crit {crit}, attacker-signed"), forge::signed(&header, &payload, |m| attacker.sign(m))));
        }
        for typ in [json!("JWT"), json!("jwt"), json!("JOSE"), json!(""), json!("at+jwt "), json!("at-jwt"), json!("application/jwt"), json!("id_token+jwt"), json!(null), json!(1), json!(["at+jwt"])] {
            let mut header = server.header();
            header["typ"] = typ.clone();
            cases.push(case(format!("typ {typ}, signed by the server key"), server.token(&header, &payload)));
        }
        let mut header = server.header();
        header.as_object_mut().unwrap().remove("typ");
        cases.push(case("typ missing, signed by the server key", server.token(&header, &payload)));
        judge.assert_refused(&cases).await;
        // RFC 9068 §4 / RFC 7515 §4.1.9: media types are case-insensitive and the
        // `application/` prefix may be written out.
        for typ in ["at+jwt", "AT+JWT", "application/at+jwt", "Application/At+Jwt"] {
            let mut header = server.header();
            header["typ"] = json!(typ);
            let mut fresh = real.payload();
            fresh["jti"] = json!(format!("typ-{typ}"));
            judge.assert_accepted(&format!("typ {typ:?}"), &server.token(&header, &fresh)).await;
        }
    }
}

both_engines! {
    async fn malformed_and_duplicate_key_headers_are_refused(app) {
        let judge = Judge::new(&app).await;
        let (real, payload) = real_and_escalated(&judge).await;
        let server = ServerKey::current(&app).await;
        let attacker = AttackerKey::es256();
        let kid = &server.kid;
        let mut cases = Vec::new();
        let good = server.header().to_string();
        let texts: Vec<(&str, String)> = vec![
            ("not JSON", "not json".into()),
            ("JSON array", format!("[\"ES256\",\"{kid}\"]")),
            ("JSON null", "null".into()),
            ("JSON string", "\"ES256\"".into()),
            ("unterminated object", good[..good.len() - 1].to_owned()),
            ("trailing garbage", format!("{good}x")),
            ("two objects", format!("{good}{good}")),
            ("byte-order mark first", format!("\u{feff}{good}")),
            ("empty", String::new()),
            ("raw control character in kid", good.replace(kid.as_str(), &format!("{kid}\u{1}"))),
            ("duplicate alg, none last", format!("{{\"alg\":\"ES256\",\"kid\":\"{kid}\",\"typ\":\"at+jwt\",\"alg\":\"none\"}}")),
            ("duplicate alg, none first", format!("{{\"alg\":\"none\",\"kid\":\"{kid}\",\"typ\":\"at+jwt\",\"alg\":\"ES256\"}}")),
            ("duplicate alg, HS256 last", format!("{{\"alg\":\"ES256\",\"kid\":\"{kid}\",\"typ\":\"at+jwt\",\"alg\":\"HS256\"}}")),
            ("duplicate kid", format!("{{\"alg\":\"ES256\",\"kid\":\"{kid}\",\"typ\":\"at+jwt\",\"kid\":\"../../keys/kek\"}}")),
            ("duplicate alg behind an escaped name", format!("{{\"alg\":\"ES256\",\"kid\":\"{kid}\",\"typ\":\"at+jwt\",\"\\u0061lg\":\"none\"}}")),
            ("duplicate typ", format!("{{\"alg\":\"ES256\",\"kid\":\"{kid}\",\"typ\":\"at+jwt\",\"typ\":\"JWT\"}}")),
        ];
        for (name, text) in &texts {
            cases.push(case(format!("header {name}, signed by the server key"), server.token_raw(text, &payload)));
            cases.push(case(format!("header {name}, attacker-signed"), forge::signed_raw(text, &payload, |m| attacker.sign(m))));
        }
        // Invalid UTF-8 inside the header JSON.
        let mut bytes = good.clone().into_bytes();
        bytes.splice(bytes.len() - 2..bytes.len() - 2, [0xFF, 0xFE]);
        let input = format!("{}.{}", b64(&bytes), forge::b64_json(&payload));
        cases.push(case("header with invalid UTF-8, signed by the server key", format!("{input}.{}", b64(server.sign(input.as_bytes())))));
        // The real signature under an altered header: the signature covers the header bytes.
        let real_header = real.header();
        let next_kid = app.kid_in_state(&judge.admin, "next").await;
        let real_kid = real_header["kid"].to_string();
        for (name, text) in [
            ("kid swapped to the published next key", json!({"alg": "ES256", "kid": next_kid, "typ": "at+jwt"}).to_string()),
            ("alg swapped to RS256", format!("{{\"alg\":\"RS256\",\"kid\":{real_kid},\"typ\":\"at+jwt\"}}")),
            ("typ swapped to JWT", format!("{{\"alg\":\"ES256\",\"kid\":{real_kid},\"typ\":\"JWT\"}}")),
            ("members reordered", format!("{{\"typ\":\"at+jwt\",\"kid\":{real_kid},\"alg\":\"ES256\"}}")),
        ] {
            cases.push(case(format!("header changed after signing: {name}"), real.with_header_text(&text)));
        }
        let spaced = serde_json::to_string_pretty(&real_header).unwrap();
        cases.push(case("header changed after signing: pretty-printed", real.with_header_text(&spaced)));
        judge.assert_refused(&cases).await;
    }
}
