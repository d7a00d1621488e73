//! The authorization code flow driven like a browser: a cookie jar, redirects not
//! followed (each hop is asserted), forms read out of the served HTML and posted back.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

use super::app::TestApp;
use super::paths;

/// A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        Self::from_verifier(&format!("{}{}", uniq(), "x".repeat(43)))
    }

    pub fn from_verifier(verifier: &str) -> Self {
        let digest = ring_sha256(verifier.as_bytes());
        Self {
            verifier: verifier.to_owned(),
            challenge: URL_SAFE_NO_PAD.encode(digest),
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

fn uniq() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("v{}", N.fetch_add(1, Ordering::SeqCst))
}

fn ring_sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// A registered relying party.
#[derive(Clone)]
pub struct Rp {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uri: String,
}

pub const REDIRECT_URI: &str = "https://rp.example/callback";
pub const LOGOUT_URI: &str = "https://rp.example/signed-out";

/// A browser: its own cookie jar, redirects left to the test.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Name-value pairs of every `<input>` of an HTML page, in order.
pub fn form_fields(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for tag in html.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            tag.find(&key).map(|i| {
                let rest = &tag[i + key.len()..];
                unescape(&rest[..rest.find('"').unwrap_or(rest.len())])
            })
        };
        if let Some(name) = attr("name") {
            fields.push((name, attr("value").unwrap_or_default()));
        }
    }
    fields
}

/// HTML character references as a template escapes them: named ones and `&#NN;`/`&#xHH;`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The query parameters of a redirect's `Location`, and the URI before the `?`.
pub fn redirect_params(res: &Response) -> (String, HashMap<String, String>) {
    let location = res
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on a {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    let url = reqwest::Url::parse(&format!("http://x/?{query}")).unwrap();
    (base.to_owned(), url.query_pairs().into_owned().collect())
}

impl TestApp {
    /// Registers a client for the code flow; `extra` overrides the defaults
    /// (public, third party, scopes openid email api).
    pub async fn register_rp(&self, extra: Value) -> Rp {
        let mut body = json!({
            "name": "Photo Printer",
            "type": "public",
            "scopes": ["openid", "email", "api"],
            "redirect_uris": [REDIRECT_URI],
            "post_logout_redirect_uris": [LOGOUT_URI],
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let admin = self.admin_token().await;
        let res = self.admin_create_client(Some(&admin), &body).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        let created: Value = res.json().await.unwrap();
        Rp {
            client_id: created["client_id"].as_str().unwrap().to_owned(),
            client_secret: created["client_secret"].as_str().map(str::to_owned),
            redirect_uri: body["redirect_uris"][0].as_str().unwrap().to_owned(),
        }
    }

    /// `/oauth/authorize?...` for `rp` with `pkce`, state `st`, scope `openid email`;
    /// `extra` adds or replaces parameters (an empty value removes one).
    pub fn authorize_url(&self, rp: &Rp, pkce: &Pkce, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &rp.client_id),
            ("redirect_uri", &rp.redirect_uri),
            ("scope", "openid email"),
            ("state", "st-123"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let mut url = reqwest::Url::parse(&self.url(paths::AUTHORIZE)).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// Posts the form on `page` (a login or consent page) to `action`, with `fields`
    /// set over the page's own.
    pub async fn submit(
        &self,
        browser: &Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form = form_fields(page);
        for (k, v) in fields {
            form.retain(|(name, _)| name != k);
            form.push((k.to_string(), v.to_string()));
        }
        browser
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// From the authorize URL through sign-in (and consent, when asked) to the code:
    /// the final redirect's parameters.
    pub async fn code_flow(
        &self,
        browser: &Client,
        url: &str,
        email: &str,
        password: &str,
    ) -> HashMap<String, String> {
        let mut res = browser.get(url).send().await.unwrap();
        if res.status() == StatusCode::OK {
            let page = res.text().await.unwrap();
            res = if page.contains("id=\"sign-in\"") {
                self.submit(
                    browser,
                    &page,
                    paths::OAUTH_LOGIN,
                    &[("email", email), ("password", password)],
                )
                .await
            } else {
                self.submit(
                    browser,
                    &page,
                    paths::OAUTH_CONSENT,
                    &[("decision", "allow")],
                )
                .await
            };
        }
        if res.status() == StatusCode::OK {
            let page = res.text().await.unwrap();
            assert!(
                page.contains("id=\"allow\""),
                "expected the consent page: {page}"
            );
            res = self
                .submit(
                    browser,
                    &page,
                    paths::OAUTH_CONSENT,
                    &[("decision", "allow")],
                )
                .await;
        }
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        redirect_params(&res).1
    }

    /// `grant_type=authorization_code` as `rp` (Basic for a confidential client).
    pub async fn exchange_code(&self, rp: &Rp, code: &str, verifier: &str) -> Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", rp.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        match &rp.client_secret {
            Some(secret) => self.token(&form, Some((&rp.client_id, secret))).await,
            None => {
                form.push(("client_id", &rp.client_id));
                self.token(&form, None).await
            }
        }
    }
}
