//! A slow attacker: sends part of a request at once, then one byte at a time.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use crate::raw::{read_reply, Outcome};

/// How a slow connection ended, and when (from connect).
#[derive(Debug)]
pub struct Ended {
    pub connected: bool,
    pub by_server: bool,
    pub status: Option<u16>,
    pub after: Duration,
}

/// Connects, writes `prefix`, then one byte of `drip` every `every` until the
/// server answers or closes, or `give_up` has passed since connecting.
/// With `answered_first`, `prefix` is a whole request whose reply is read
/// first: the drip then starts on a kept-alive connection.
pub async fn drip(
    addr: String,
    prefix: Vec<u8>,
    answered_first: bool,
    drip: Vec<u8>,
    every: Duration,
    give_up: Duration,
) -> Ended {
    let start = Instant::now();
    let Ok(stream) = TcpStream::connect(&addr).await else {
        return Ended {
            connected: false,
            by_server: false,
            status: None,
            after: start.elapsed(),
        };
    };
    let (mut rd, mut wr) = stream.into_split();
    let first_sent = wr.write_all(&prefix).await.is_ok();
    if answered_first && first_sent {
        match timeout(give_up, read_reply(&mut rd)).await {
            Ok(Outcome::Response(r)) if r.status < 400 => {}
            other => panic!("the first request on the connection failed: {other:?}"),
        }
    }
    let writer = async move {
        if !first_sent {
            return;
        }
        for byte in &drip {
            sleep(every).await;
            if wr.write_all(std::slice::from_ref(byte)).await.is_err() {
                return;
            }
        }
        std::future::pending::<()>().await;
    };
    let left = give_up.saturating_sub(start.elapsed());
    let outcome = tokio::select! {
        outcome = timeout(left, read_reply(&mut rd)) => outcome,
        // A write failed: the server has closed; read what it said, if anything.
        () = writer => timeout(give_up.saturating_sub(start.elapsed()), read_reply(&mut rd)).await,
    };
    Ended {
        connected: true,
        by_server: outcome.is_ok(),
        status: match outcome {
            Ok(Outcome::Response(r)) => Some(r.status),
            _ => None,
        },
        after: start.elapsed(),
    }
}

/// A well-behaved client on one kept-alive connection: a request every
/// second until `stop`. Returns how many it made, or what went wrong; the
/// server must not mistake it for a slow one.
pub async fn steady_keep_alive(
    addr: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<usize, String> {
    let mut stream = TcpStream::connect(&addr).await.map_err(|e| e.to_string())?;
    let mut served = 0;
    while !*stop.borrow() {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .map_err(|e| format!("request {}: {e}", served + 1))?;
        match timeout(Duration::from_secs(15), read_reply(&mut stream)).await {
            Ok(Outcome::Response(r)) if r.status == 200 => served += 1,
            other => return Err(format!("request {}: {other:?}", served + 1)),
        }
        let _ = timeout(Duration::from_secs(1), stop.changed()).await;
    }
    Ok(served)
}
