//! The stream of freshly issued tokens: logins, refreshes of the family they start
//! and client-credentials grants, each request on the other replica than the one
//! before. Every token goes to every verifier the moment it arrives, then to the
//! other replica's introspection: the authority's own replicas must agree too.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedSender;

use super::verifier::{chain, Issued};
use crate::common::paths;
use crate::common::{cookie_value, set_cookie};

/// A breath between requests, so two cores also leave room for the replicas.
const PAUSE: Duration = Duration::from_millis(10);

/// One period of the stream; its odd length makes every kind of request meet both replicas.
const CYCLE: [Grant; 7] = [
    Grant::Login,
    Grant::Refresh,
    Grant::ClientCredentials,
    Grant::Refresh,
    Grant::ClientCredentials,
    Grant::Refresh,
    Grant::ClientCredentials,
];

#[derive(Debug, Clone, Copy)]
enum Grant {
    Login,
    Refresh,
    ClientCredentials,
}

pub struct Credentials {
    pub email: String,
    pub password: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Default)]
pub struct Output {
    pub issued: BTreeMap<&'static str, u64>,
    /// Tokens the other replica's introspection found active.
    pub introspected: u64,
    /// Tokens the other replica did not find active.
    pub refusals: Vec<String>,
}

pub struct Producer {
    http: Client,
    replicas: Vec<String>,
    credentials: Credentials,
    /// The live refresh token of the current family and its CSRF cookie.
    family: Option<(String, String)>,
}

impl Producer {
    pub fn new(replicas: Vec<String>, credentials: Credentials) -> Self {
        Self {
            http: Client::builder()
                .pool_idle_timeout(Duration::from_secs(1))
                .build()
                .unwrap(),
            replicas,
            credentials,
            family: None,
        }
    }

    /// Issues tokens until `until`; returns what it did, or the first failed issuance.
    pub async fn run(
        mut self,
        first_replica: usize,
        until: Instant,
        sinks: Vec<UnboundedSender<Issued>>,
    ) -> Result<Output, String> {
        let mut out = Output::default();
        let mut step = 0usize;
        while Instant::now() < until {
            let replica = (first_replica + step) % self.replicas.len();
            let grant = match (CYCLE[step % CYCLE.len()], &self.family) {
                (Grant::Refresh, None) => Grant::Login,
                (grant, _) => grant,
            };
            step += 1;
            let (label, token) = self.issue(grant, replica).await?;
            *out.issued.entry(label).or_insert(0) += 1;
            let issued = Issued {
                token,
                grant: label,
                replica,
                issued_at: Instant::now(),
            };
            for sink in &sinks {
                sink.send(issued.clone())
                    .map_err(|_| "a verifier stopped early")?;
            }
            let other = (replica + 1) % self.replicas.len();
            match self.introspect(&issued.token, other).await {
                Ok(()) => out.introspected += 1,
                Err(e) => out.refusals.push(format!(
                    "replica {other} on a fresh {label} token from replica {replica}: {e}"
                )),
            }
            tokio::time::sleep(PAUSE).await;
        }
        Ok(out)
    }

    async fn issue(
        &mut self,
        grant: Grant,
        replica: usize,
    ) -> Result<(&'static str, String), String> {
        let base = &self.replicas[replica];
        let c = &self.credentials;
        match grant {
            Grant::Login => {
                let req = self
                    .http
                    .post(format!("{base}{}", paths::LOGIN))
                    .json(&json!({"email": c.email, "password": c.password}));
                let res = send(req).await?;
                Ok(("login", self.keep_family(res, "login", replica).await?))
            }
            Grant::Refresh => {
                let (refresh, csrf) = self.family.take().expect("a login came first");
                let req = self
                    .http
                    .post(format!("{base}{}", paths::REFRESH))
                    .header(
                        "Cookie",
                        format!("tessera_refresh={refresh}; tessera_csrf={csrf}"),
                    )
                    .header("X-CSRF-Token", &csrf);
                let res = send(req).await?;
                Ok(("refresh", self.keep_family(res, "refresh", replica).await?))
            }
            Grant::ClientCredentials => {
                let req = self
                    .http
                    .post(format!("{base}{}", paths::TOKEN))
                    .basic_auth(&c.client_id, Some(&c.client_secret))
                    .form(&[("grant_type", "client_credentials")]);
                let body = ok_body(send(req).await?, "client_credentials", replica).await?;
                Ok(("client_credentials", access_token(&body)?))
            }
        }
    }

    /// The access token of a login or refresh; the family's new cookies are kept.
    async fn keep_family(
        &mut self,
        res: Response,
        what: &str,
        replica: usize,
    ) -> Result<String, String> {
        let cookies = (
            set_cookie(&res, "tessera_refresh"),
            set_cookie(&res, "tessera_csrf"),
        );
        let body = ok_body(res, what, replica).await?;
        match cookies {
            (Some(refresh), Some(csrf)) => {
                self.family = Some((cookie_value(&refresh), cookie_value(&csrf)));
            }
            _ => return Err(format!("{what} on replica {replica} set no family cookies")),
        }
        access_token(&body)
    }

    /// The authority's own view: the other replica must hold the token active.
    async fn introspect(&self, token: &str, replica: usize) -> Result<(), String> {
        let c = &self.credentials;
        let req = self
            .http
            .post(format!("{}{}", self.replicas[replica], paths::INTROSPECT))
            .basic_auth(&c.client_id, Some(&c.client_secret))
            .form(&[("token", token)]);
        let body = ok_body(send(req).await?, "introspection", replica).await?;
        match body["active"] {
            Value::Bool(true) => Ok(()),
            _ => Err(format!("introspection answered {body}")),
        }
    }
}

async fn send(req: RequestBuilder) -> Result<Response, String> {
    req.send().await.map_err(|e| chain(&e))
}

async fn ok_body(res: Response, what: &str, replica: usize) -> Result<Value, String> {
    let status = res.status();
    let text = res.text().await.map_err(|e| chain(&e))?;
    if status != StatusCode::OK {
        return Err(format!(
            "{what} on replica {replica} answered {status}: {text}"
        ));
    }
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn access_token(body: &Value) -> Result<String, String> {
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no access_token in {body}"))
}
