//! The real `tessera` binary as a child process, for the tests that need one: its
//! memory and descriptors read from `/proc`, `kill -9`, its log lines, its exit code.
//! One builder (`TesseraCommand`) for all of them: run a command to its exit
//! (`output`), or serve (`start`). A server binds port 0 and the port is read back
//! from its own "tessera listening" log line, so concurrent tests never race for a port.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;

use super::env::base_env;
use super::paths;

/// Lines of the child's log kept for a failure message.
const TAIL_LINES: usize = 40;

/// How to run `tessera`: its environment (nothing else is inherited), its working
/// folder, its soft open-file limit.
#[derive(Clone, Default)]
pub struct TesseraCommand {
    env: HashMap<String, String>,
    dir: Option<PathBuf>,
    soft_fd_limit: Option<u64>,
    echo_errors: bool,
    /// A temporary folder the process lives in, removed when the process is.
    owned_dir: Option<Arc<tempfile::TempDir>>,
}

impl TesseraCommand {
    /// Nothing in the environment: the binary's own defaults, and what `env` adds.
    pub fn bare() -> Self {
        Self::default()
    }

    /// A server on `db_url` configured as every test server is (`base_env`), with JSON
    /// logs at info for tessera's own lines only: the port line is parsed, and the
    /// request log of a load would drown everything else.
    pub fn server(db_url: &str) -> Self {
        let mut env = base_env(db_url);
        env.insert("TESSERA__LOG__FORMAT".into(), "json".into());
        env.insert("TESSERA__LOG__FILTER".into(), "warn,tessera=info".into());
        Self {
            env,
            ..Self::default()
        }
    }

    /// A server on a fresh SQLite database in a temporary folder of its own, which is
    /// also its working folder.
    pub fn server_on_fresh_sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/tessera.db", dir.path().display());
        let mut command = Self::server(&url).dir(dir.path());
        command.owned_dir = Some(Arc::new(dir));
        command
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Adds or overrides each `(key, value)`.
    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        for (k, v) in vars {
            self.env.insert((*k).to_owned(), (*v).to_owned());
        }
        self
    }

    /// The working folder; the system's temporary folder when not set.
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_owned());
        self
    }

    /// Starts the process with its soft open-file limit lowered to `soft`, as service
    /// managers commonly do (1024), under this process's hard limit.
    pub fn soft_fd_limit(mut self, soft: u64) -> Self {
        self.soft_fd_limit = Some(soft);
        self
    }

    /// Shows the server's ERROR log lines on this test's stderr, but for actix's line
    /// per malformed request (expected where tests send malformed requests).
    pub fn echo_errors(mut self) -> Self {
        self.echo_errors = true;
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        if let Some(soft) = self.soft_fd_limit {
            // SAFETY: only getrlimit and setrlimit, which are async-signal-safe, run
            // between fork and exec.
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
        command
            .args(args)
            .current_dir(self.dir.clone().unwrap_or_else(std::env::temp_dir))
            .env_clear()
            .envs(&self.env);
        command
    }

    /// Runs `tessera <args>` to its end: exit status, stdout and stderr.
    pub fn output(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Spawns `tessera serve` and waits until it has bound its listener.
    pub async fn start(&self) -> TesseraProcess {
        let spawned = Instant::now();
        let mut child = self
            .command(&["serve"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tessera binary starts");
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let stderr = child.stderr.take().unwrap();
        let keep = tail.clone();
        let echo_errors = self.echo_errors;
        // The pipe must be drained for the whole life of the child, or it blocks on a full pipe.
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = listening_port(&line) {
                    if let Some(tx) = port_tx.take() {
                        let _ = tx.send(port);
                    }
                }
                if echo_errors && line.contains("\"ERROR\"") && !line.contains("actix_http::h1") {
                    eprintln!("server: {line}");
                }
                let mut tail = keep.lock().unwrap();
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let port = match tokio::time::timeout(Duration::from_secs(60), port_rx).await {
            Ok(Ok(port)) => port,
            _ => {
                let _ = child.kill();
                let status = child.wait().ok();
                let tail = tail.lock().unwrap().iter().cloned().collect::<Vec<_>>();
                panic!(
                    "tessera did not report its port (exit {status:?}):\n{}",
                    tail.join("\n")
                );
            }
        };
        TesseraProcess {
            child,
            port,
            address: format!("http://127.0.0.1:{port}"),
            spawned,
            tail,
            _dir: self.owned_dir.clone(),
        }
    }
}

/// A running `tessera serve`; killed on drop.
pub struct TesseraProcess {
    child: Child,
    pub port: u16,
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// When the process was spawned: start-up times are measured from here.
    pub spawned: Instant,
    tail: Arc<Mutex<VecDeque<String>>>,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl TesseraProcess {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `127.0.0.1:<port>`, for raw sockets.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `None` while running, the exit status once the process has died.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Polls `/readyz` until it answers 200; returns the time since spawn. Panics past `limit`.
    pub async fn wait_ready(&self, limit: Duration) -> Duration {
        let client = client();
        loop {
            if let Ok(res) = client.get(self.url(paths::READYZ)).send().await {
                if res.status() == StatusCode::OK {
                    return self.spawned.elapsed();
                }
            }
            if self.spawned.elapsed() > limit {
                panic!(
                    "/readyz not 200 within {limit:?} of start:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// SIGKILL: no shutdown hook, no flush, no graceful close of connections.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_tail(&self) -> String {
        let tail = self.tail.lock().unwrap();
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for TesseraProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The port of the "tessera listening" JSON log line.
fn listening_port(line: &str) -> Option<u16> {
    let v: Value = serde_json::from_str(line).ok()?;
    let fields = &v["fields"];
    if fields["message"] != "tessera listening" {
        return None;
    }
    fields["port"].as_u64().and_then(|p| u16::try_from(p).ok())
}

/// A client without a cookie jar (tests carry tokens themselves) whose timeout turns a
/// hang into a visible failure instead of a stuck test.
pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
