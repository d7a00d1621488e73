//! The real binary as a child process, configured only by its environment. It binds
//! port 0 and the port is read back from its own "tessera listening" log line, so
//! concurrent tests never race for a port.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;

/// Lines of the child's log kept for a failure message.
const TAIL_LINES: usize = 40;

pub struct Server {
    child: Child,
    pub address: String,
    /// When the process was spawned: start-up times are measured from here.
    pub spawned: Instant,
    tail: Arc<Mutex<VecDeque<String>>>,
}

/// The environment of a test server on `db_url`, with `overrides` applied.
pub fn server_env(db_url: &str, overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env = crate::helpers::base_env(db_url);
    // JSON logs at info for tessera's own lines only: the port line is parsed, and the
    // request log of the load would drown everything else.
    env.insert("TESSERA__LOG__FORMAT".into(), "json".into());
    env.insert("TESSERA__LOG__FILTER".into(), "warn,tessera=info".into());
    for (k, v) in overrides {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

impl Server {
    /// Spawns `tessera serve` and waits until it has bound its listener.
    pub async fn start(env: &HashMap<String, String>) -> Server {
        let spawned = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("serve")
            .current_dir(std::env::temp_dir())
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tessera binary starts");
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let stderr = child.stderr.take().unwrap();
        let keep = tail.clone();
        // The pipe must be drained for the whole life of the child, or it blocks on a full pipe.
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = listening_port(&line) {
                    if let Some(tx) = port_tx.take() {
                        let _ = tx.send(port);
                    }
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
        Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            spawned,
            tail,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Polls `/readyz` until it answers 200; returns the time since spawn. Panics past `limit`.
    pub async fn wait_ready(&self, limit: Duration) -> Duration {
        let client = client();
        loop {
            if let Ok(res) = client.get(self.url("/readyz")).send().await {
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

impl Drop for Server {
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
