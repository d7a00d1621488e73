//! Raw HTTP/1.1 over TCP, for requests no well-behaved client would send.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

/// What came back on a connection.
#[derive(Debug)]
pub enum Outcome {
    /// A complete response head (and whatever of the body arrived with it).
    Response(Reply),
    /// The server closed the connection without a response.
    Closed,
    /// The server reset the connection without a response.
    Reset(#[allow(dead_code)] String), // read through Debug, in failure messages
    /// Nothing within the wait: the server is holding the connection.
    Silent,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The body as the contract's JSON error, or `None`.
    pub fn json_error(&self) -> Option<(String, String)> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        Some((
            v["error"].as_str()?.to_owned(),
            v["error_description"].as_str()?.to_owned(),
        ))
    }
}

/// Sends `head` then `body` (written while the reply is being read, as an
/// attacker would: it does not wait to be told no), and reads one reply.
/// Returns the outcome and how long it took to arrive.
pub async fn exchange(
    addr: &str,
    head: Vec<u8>,
    body: Body,
    wait: Duration,
) -> (Outcome, Duration) {
    let start = Instant::now();
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        // Write errors are expected: the server may refuse and close mid-body.
        if wr.write_all(&head).await.is_err() {
            return;
        }
        match body {
            Body::None => {}
            Body::Bytes { len } => {
                let block = vec![b'a'; 64 * 1024];
                let mut left = len;
                while left > 0 {
                    let n = left.min(block.len());
                    if wr.write_all(&block[..n]).await.is_err() {
                        return;
                    }
                    left -= n;
                }
            }
            Body::Chunked { len } => {
                let block = vec![b'a'; 64 * 1024];
                let mut left = len;
                while left > 0 {
                    let n = left.min(block.len());
                    let mut chunk = format!("{n:x}\r\n").into_bytes();
                    chunk.extend_from_slice(&block[..n]);
                    chunk.extend_from_slice(b"\r\n");
                    if wr.write_all(&chunk).await.is_err() {
                        return;
                    }
                    left -= n;
                }
                let _ = wr.write_all(b"0\r\n\r\n").await;
            }
        }
        // Keep the write side open: closing it is not what a slow attacker does.
        std::future::pending::<()>().await;
    });
    let outcome = timeout(wait, read_reply(&mut rd))
        .await
        .unwrap_or(Outcome::Silent);
    writer.abort();
    (outcome, start.elapsed())
}

pub enum Body {
    None,
    /// `len` bytes of `a`, as they come (the head says what framing, if any).
    Bytes {
        len: usize,
    },
    /// `len` bytes of `a` in 64 KiB chunks.
    Chunked {
        len: usize,
    },
}

/// Reads one response: the head, then the body as far as Content-Length says
/// or until the connection closes.
pub async fn read_reply<R: AsyncReadExt + Unpin>(rd: &mut R) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end + 4;
        }
        match rd.read(&mut chunk).await {
            Ok(0) => return Outcome::Closed,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() => return Outcome::Reset(e.to_string()),
            Err(e) => return Outcome::Reset(format!("{e} after {} bytes", buf.len())),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut reply = Reply {
        status,
        head,
        body: buf[head_end..].to_vec(),
    };
    let length: usize = reply
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while reply.body.len() < length {
        match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.body.extend_from_slice(&chunk[..n]),
        }
    }
    // Whatever follows belongs to the next response on the connection.
    reply.body.truncate(length);
    Outcome::Response(reply)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A request head with the given extra header lines.
pub fn head(method: &str, target: &str, addr: &str, extra: &[String]) -> Vec<u8> {
    let mut h = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for line in extra {
        h.push_str(line);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}
