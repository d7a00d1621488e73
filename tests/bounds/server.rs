//! The server under test and what is measured of it: `tessera serve` started through
//! the shared process builder on a fresh SQLite database, its memory, descriptors and
//! limits read from `/proc`, and a normal client's health checks and logins.

use std::time::Duration;

use crate::common::process::{TesseraCommand, TesseraProcess};
use crate::common::{paths, ADMIN_EMAIL, ADMIN_PASSWORD};

/// How a bounds test calls its server.
pub type Server = TesseraProcess;

/// A running `tessera serve` on a fresh SQLite database; killed on drop.
pub async fn start() -> Server {
    command().start().await
}

/// Starts the server with its soft open-file limit lowered to `soft`, as service
/// managers commonly do (1024), under this process's hard limit.
pub async fn start_with_soft_fd_limit(soft: u64) -> Server {
    command().soft_fd_limit(soft).start().await
}

fn command() -> TesseraCommand {
    raise_fd_limit();
    // actix logs every malformed request at ERROR: expected here, not shown.
    TesseraCommand::server_on_fresh_sqlite()
        .env("TESSERA__LOG__FILTER", "error,tessera=info")
        .echo_errors()
}

/// Resident memory of the server in KiB: now, and the peak since the last reset.
#[derive(Debug, Clone, Copy)]
pub struct Rss {
    pub now_kib: u64,
    pub peak_kib: u64,
}

impl std::fmt::Display for Rss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {:.1} MiB (peak {:.1} MiB)",
            self.now_kib as f64 / 1024.0,
            self.peak_kib as f64 / 1024.0
        )
    }
}

/// What bounds reads of its server (an inherent impl: `TesseraProcess` is this crate's).
impl TesseraProcess {
    pub fn rss(&self) -> Rss {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server process is alive");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Rss {
            now_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
        }
    }

    /// Starts a new peak measurement (Linux resets VmHWM on "5" to clear_refs).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// Open file descriptors of the server: its sockets, mostly.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |d| d.count())
    }

    /// The server's soft and hard limits on open files.
    pub fn fd_limit(&self) -> (u64, u64) {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid())).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap();
        let mut numbers = line.split_whitespace().skip(3).map(|n| n.parse().unwrap());
        (numbers.next().unwrap(), numbers.next().unwrap())
    }

    /// A client that never reuses a connection an attacker may have starved.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(NORMAL_CLIENT_PATIENCE)
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    }

    /// `/healthz` answers 200, or the error says why not.
    pub async fn healthz(&self, client: &reqwest::Client) -> Result<(), String> {
        let res = client
            .get(self.url(paths::HEALTHZ))
            .send()
            .await
            .map_err(|e| format!("healthz: {e}"))?;
        match res.status().as_u16() {
            200 => Ok(()),
            s => Err(format!("healthz: {s}")),
        }
    }

    /// The bootstrap admin logs in: 200 with an access token.
    pub async fn login(&self, client: &reqwest::Client) -> Result<String, String> {
        let res = client
            .post(self.url(paths::LOGIN))
            .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .map_err(|e| format!("login: {e}"))?;
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.map_err(|e| format!("login: {e}"))?;
        match (status, body["access_token"].as_str()) {
            (200, Some(token)) => Ok(token.to_owned()),
            _ => Err(format!("login: {status} {body}")),
        }
    }
}

/// How long a normal client waits before calling the server unresponsive.
/// A hang guard, far above any healthy latency; the latencies are reported.
pub const NORMAL_CLIENT_PATIENCE: Duration = Duration::from_secs(15);

/// This process holds thousands of sockets: more than the usual soft limit
/// of 1024 open files. Returns the hard limit.
pub fn raise_fd_limit() -> u64 {
    // SAFETY: both calls only read or write the struct passed to them.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
        limit.rlim_max
    }
}

/// Mebibytes, for reports.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
