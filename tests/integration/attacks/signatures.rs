//! Signature attacks: an attacker key behind the server's `kid`, ECDSA values out of
//! range (the "psychic signature" r = s = 0 among them), DER instead of raw `r || s`,
//! RSA signatures of the wrong length, and tokens tampered with, stripped, truncated,
//! re-shaped or grown past the size limit.

use serde_json::{json, Value};

use super::forge::{self, b64, AttackerKey, Compact, P256_ORDER};
use super::judge::{case, Case, Judge};
use crate::both_engines;
use crate::common::*;

async fn real_token(judge: &Judge<'_>) -> Compact {
    let token = judge.user_token().await;
    judge.assert_accepted("real user token", &token).await;
    Compact::parse(&token)
}

/// Tokens signed by fresh attacker keys (ES256 and RS256) that name the server's key.
async fn assert_attacker_keys_with_server_kid_refused(app: &TestApp) {
    let judge = Judge::new(app).await;
    let real = real_token(&judge).await;
    let kid = real.header()["kid"].clone();
    let payload = forge::escalated(&real.payload());
    let mut cases: Vec<Case> = Vec::new();
    for attacker in [AttackerKey::es256(), AttackerKey::rs256()] {
        for alg in ["ES256", "RS256"] {
            let header = json!({"alg": alg, "kid": kid, "typ": "at+jwt"});
            let token = forge::signed(&header, &payload, |m| attacker.sign(m));
            cases.push(case(
                format!("{} key, header alg {alg}, server kid", attacker.alg),
                token,
            ));
        }
        // The real payload, untouched: only the key is wrong.
        let header = json!({"alg": attacker.alg, "kid": kid, "typ": "at+jwt"});
        let token = forge::signed(&header, &real.payload(), |m| attacker.sign(m));
        cases.push(case(
            format!("{} key, the real claims, server kid", attacker.alg),
            token,
        ));
    }
    judge.assert_refused(&cases).await;
}

both_engines! {
    async fn attacker_keys_behind_the_es256_server_kid_are_refused(app) {
        assert_attacker_keys_with_server_kid_refused(&app).await;
    }
}

both_engines! {
    with crate::attacks::RS256;
    async fn attacker_keys_behind_the_rs256_server_kid_are_refused(app) {
        assert_attacker_keys_with_server_kid_refused(&app).await;
    }
}

both_engines! {
    async fn out_of_range_and_misencoded_ecdsa_signatures_are_refused(app) {
        let judge = Judge::new(&app).await;
        let real = real_token(&judge).await;
        let signature = real.signature();
        assert_eq!(signature.len(), 64, "ES256 signatures are raw r || s");
        let (r, s) = signature.split_at(32);
        let n = &P256_ORDER[..];
        let zero = [0u8; 32];
        let ones = [0xFFu8; 32];
        let mut one = [0u8; 32];
        one[31] = 1;
        let raw: Vec<(&str, Vec<u8>)> = vec![
            ("psychic: r = s = 0", [zero, zero].concat()),
            ("r = 0", [&zero[..], s].concat()),
            ("s = 0", [r, &zero[..]].concat()),
            ("r = s = n", [n, n].concat()),
            ("r = n", [n, s].concat()),
            ("s = n", [r, n].concat()),
            ("r = 2^256 - 1 (over n)", [&ones[..], s].concat()),
            ("s = 2^256 - 1 (over n)", [r, &ones[..]].concat()),
            ("all 0xFF", [ones, ones].concat()),
            ("r = s = 1", [one, one].concat()),
            ("r and s swapped", [s, r].concat()),
            ("DER-encoded real signature", forge::der_ecdsa_signature(&signature)),
            ("DER-encoded psychic signature", vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]),
            ("63 bytes", signature[..63].to_vec()),
            ("65 bytes, zero first", [&[0u8][..], &signature].concat()),
            ("65 bytes, zero last", [&signature[..], &[0u8]].concat()),
            ("each half padded to 64 bytes", [&zero[..], r, &zero[..], s].concat()),
            ("96 bytes (P-384 size)", [&signature[..], &zero[..]].concat()),
            ("empty", Vec::new()),
            ("one zero byte", vec![0]),
        ];
        let mut cases = Vec::new();
        let escalated = forge::escalated(&real.payload());
        for (name, sig) in raw {
            cases.push(case(format!("{name}, real claims"), real.with_signature(&sig)));
            let forged = Compact::parse(&real.with_payload(&escalated));
            cases.push(case(format!("{name}, admin claims"), forged.with_signature(&sig)));
        }
        // The psychic signature with a header of the forger's own making too.
        let header = json!({"alg": "ES256", "kid": real.header()["kid"], "typ": "at+jwt"});
        cases.push(case("psychic, fresh header", forge::signed(&header, &escalated, |_| vec![0; 64])));
        judge.assert_refused(&cases).await;
    }
}

both_engines! {
    with crate::attacks::RS256;
    async fn rsa_signatures_of_the_wrong_length_or_range_are_refused(app) {
        let judge = Judge::new(&app).await;
        let real = real_token(&judge).await;
        let signature = real.signature();
        assert_eq!(signature.len(), 256, "a 2048-bit RSA signature");
        let jwks = app.jwks().await;
        let kid = real.header()["kid"].as_str().unwrap().to_owned();
        let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap().clone();
        let modulus = forge::unb64(jwk["n"].as_str().unwrap());
        let mut flipped = signature.clone();
        flipped[255] ^= 1;
        let raw: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("one byte", vec![1]),
            ("one byte short", signature[1..].to_vec()),
            ("one byte long, zero first", [&[0u8][..], &signature].concat()),
            ("one byte long, zero last", [&signature[..], &[0u8]].concat()),
            ("doubled (512 bytes)", [&signature[..], &signature].concat()),
            ("half (128 bytes)", signature[..128].to_vec()),
            ("256 zero bytes", vec![0; 256]),
            ("256 0xFF bytes (over the modulus)", vec![0xFF; 256]),
            ("the modulus itself", modulus.clone()),
            ("right length, last bit flipped", flipped),
        ];
        let escalated = forge::escalated(&real.payload());
        let mut cases = Vec::new();
        for (name, sig) in raw {
            cases.push(case(format!("RS256 {name}, real claims"), real.with_signature(&sig)));
            let forged = Compact::parse(&real.with_payload(&escalated));
            cases.push(case(format!("RS256 {name}, admin claims"), forged.with_signature(&sig)));
        }
        judge.assert_refused(&cases).await;
    }
}

/// `text` with its last base64url character changed so that its unused low bits are set:
/// the same bytes to a lenient decoder, a different string.
fn with_noncanonical_tail(text: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let unused_bits = (text.len() * 6) % 8;
    if unused_bits == 0 {
        return None;
    }
    let last = *text.as_bytes().last()?;
    let index = ALPHABET.iter().position(|c| *c == last)?;
    let changed = ALPHABET[index | 1];
    Some(format!("{}{}", &text[..text.len() - 1], changed as char))
}

both_engines! {
    async fn tampered_stripped_truncated_and_misshapen_tokens_are_refused(app) {
        let judge = Judge::new(&app).await;
        let real = real_token(&judge).await;
        let token = format!("{}.{}", real.signing_input(), real.signature_b64);
        let claims = real.payload();
        let admin_claims = Compact::parse(&judge.admin).payload();
        let mut cases: Vec<Case> = Vec::new();

        let mut changed = |name: &str, edit: &dyn Fn(&mut Value)| {
            let mut payload = claims.clone();
            edit(&mut payload);
            cases.push(case(format!("payload changed after signing: {name}"), real.with_payload(&payload)));
        };
        changed("roles -> admin", &|p| p["roles"] = json!(["admin"]));
        changed("roles + admin", &|p| p["roles"].as_array_mut().unwrap().push(json!("admin")));
        changed("sub -> the admin", &|p| p["sub"] = admin_claims["sub"].clone());
        changed("exp + 1 day", &|p| p["exp"] = json!(p["exp"].as_i64().unwrap() + 86_400));
        changed("aud -> another API", &|p| p["aud"] = json!("https://other.example"));
        changed("sid removed", &|p| { p.as_object_mut().unwrap().remove("sid"); });
        changed("scope widened", &|p| p["scope"] = json!("admin openid"));
        let pretty = serde_json::to_string_pretty(&claims).unwrap();
        cases.push(case(
            "payload re-serialized with whitespace (same claims)",
            format!("{}.{}.{}", real.header_b64, b64(pretty), real.signature_b64),
        ));

        cases.push(case("signature stripped, trailing dot", format!("{}.", real.signing_input())));
        cases.push(case("signature stripped, no dot", real.signing_input()));
        cases.push(case("signature stripped, payload only", real.payload_b64.clone()));
        let header_len = real.header_b64.len();
        let payload_end = header_len + 1 + real.payload_b64.len();
        for (name, at) in [
            ("1 character", 1),
            ("inside the header", header_len / 2),
            ("at the first dot", header_len),
            ("just after the first dot", header_len + 1),
            ("inside the payload", header_len + 1 + real.payload_b64.len() / 2),
            ("at the second dot", payload_end),
            ("just after the second dot", payload_end + 1),
            ("inside the signature", payload_end + 1 + real.signature_b64.len() / 2),
            ("4 characters short", token.len() - 4),
            ("1 character short", token.len() - 1),
        ] {
            cases.push(case(format!("truncated {name}"), token[..at].to_owned()));
        }

        let jwe_header = forge::b64_json(&json!({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": real.header()["kid"]}));
        cases.push(case("JWE-shaped: 5 segments", format!("{jwe_header}.{}.{}.{}.{}", b64([7u8; 256]), b64([1u8; 12]), real.payload_b64, b64([2u8; 16]))));
        cases.push(case("real token plus two empty segments", format!("{token}..")));
        cases.push(case("real token plus two segments", format!("{token}.{}.{}", real.payload_b64, real.signature_b64)));
        cases.push(case("4 segments", format!("{token}.{}", real.signature_b64)));
        cases.push(case("trailing dot", format!("{token}.")));
        cases.push(case("leading dot", format!(".{token}")));
        cases.push(case("empty payload segment", format!("{}..{}", real.header_b64, real.signature_b64)));
        cases.push(case("empty header segment", format!(".{}.{}", real.payload_b64, real.signature_b64)));
        for shape in ["", ".", "..", "...", "a", "a.b.c"] {
            cases.push(case(format!("bare {shape:?}"), shape));
        }

        let mut big = claims.clone();
        big["pad"] = json!("p".repeat(9 * 1024));
        cases.push(case("over 8 KiB: real signature, padded claims", real.with_payload(&big)));
        let attacker = AttackerKey::es256();
        let header = json!({"alg": "ES256", "kid": real.header()["kid"], "typ": "at+jwt"});
        let over = forge::signed(&header, &big, |m| attacker.sign(m));
        assert!(over.len() > 8 * 1024);
        cases.push(case("over 8 KiB: attacker-signed", over));
        let mut huge = claims.clone();
        huge["pad"] = json!("p".repeat(20 * 1024));
        cases.push(case("20 KiB: attacker-signed", forge::signed(&header, &huge, |m| attacker.sign(m))));

        cases.push(case("padded base64 segments", format!("{}=.{}=.{}==", real.header_b64, real.payload_b64, real.signature_b64)));
        cases.push(case("padded signature", format!("{token}==")));
        let standard = token.replace('-', "+").replace('_', "/");
        if standard != token {
            cases.push(case("standard base64 alphabet", standard));
        }
        if let Some(sig) = with_noncanonical_tail(&real.signature_b64) {
            cases.push(case("signature with non-canonical trailing bits", format!("{}.{sig}", real.signing_input())));
        }
        cases.push(case("space inside the signature", format!("{}.{} {}", real.signing_input(), &real.signature_b64[..10], &real.signature_b64[10..])));
        cases.push(case("non-ASCII after the signature", format!("{token}é")));
        cases.push(case("emoji for a signature", format!("{}.🔑", real.signing_input())));
        cases.push(case("obsolete-text byte in the header value", format!("{}.\u{a0}{}", real.signing_input(), real.signature_b64)));
        judge.assert_refused(&cases).await;
    }
}
