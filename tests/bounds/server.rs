//! The real binary as a child process, so its memory can be read from `/proc`.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{base_env, ADMIN_EMAIL, ADMIN_PASSWORD};

/// A running `tessera serve` on a fresh SQLite database; killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    pub base: String,
    _dir: tempfile::TempDir,
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

impl Server {
    pub fn start() -> Self {
        Self::start_with_soft_fd_limit(None)
    }

    /// Starts the server with its soft open-file limit lowered to `soft`, as
    /// service managers commonly do (1024), under this process's hard limit.
    pub fn start_with_soft_fd_limit(soft: Option<u64>) -> Self {
        raise_fd_limit();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/tessera.db", dir.path().display());
        let mut env = base_env(&url);
        // The listening port is only known from the startup log line.
        env.insert("TESSERA__LOG__FILTER".into(), "error,tessera=info".into());
        env.insert("TESSERA__LOG__FORMAT".into(), "json".into());
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        if let Some(soft) = soft {
            // SAFETY: only setrlimit, which is async-signal-safe, runs between
            // fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let mut limit = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: 0,
                    };
                    libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
                    limit.rlim_cur = soft.min(limit.rlim_max);
                    libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                    Ok(())
                });
            }
        }
        let mut child = command
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tessera binary starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("tessera exited before listening")
                .unwrap();
            if let Some(port) = listening_port(&line) {
                break port;
            }
        };
        // Keep draining the log so that the server never blocks on a full pipe.
        // actix logs every malformed request at ERROR: expected here, not shown.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("\"ERROR\"") && !line.contains("actix_http::h1") {
                    eprintln!("server: {line}");
                }
            }
        });
        Self {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `None` while running, the exit status once the process has died.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

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
            .get(format!("{}/healthz", self.base))
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
            .post(format!("{}/auth/login", self.base))
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_port(line: &str) -> Option<u16> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = &value["fields"];
    if fields["message"] != "tessera listening" {
        return None;
    }
    fields["port"].as_u64()?.try_into().ok()
}

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
