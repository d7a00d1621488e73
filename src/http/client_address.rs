//! The client's address, decided once per request for the login throttle and the
//! request log.
//!
//! It is the TCP peer unless the peer is one of `server.trusted_proxies`. Only then
//! do the forwarding headers count, because anyone else can write whatever they like
//! into them. The rules:
//!
//! - The chain is walked from the right: each trusted proxy appends the address it
//!   received the request from, so the rightmost entries are the ones a trusted hop
//!   wrote. The first address that is not itself a trusted proxy is the client; what
//!   lies to its left came from the client and is never read.
//! - Every entry a trusted proxy: the leftmost.
//! - An entry that is not an address where the walk needs one (garbage, RFC 7239's
//!   `unknown` or an obfuscated `_name`, a `Forwarded` element without `for=`): the
//!   peer, since nothing to its left can be vouched for. No header, or only empty
//!   entries: the peer.
//! - `X-Forwarded-For` is read when the request has one; `Forwarded` (RFC 7239) only
//!   when it has none. Every common ingress appends to `X-Forwarded-For` and passes a
//!   client's `Forwarded` through untouched, so preferring `Forwarded` would let any
//!   client behind such an ingress choose its address. A proxy that writes only
//!   `Forwarded` must therefore drop `X-Forwarded-For` from client requests.
//! - Several lines of one header are one list, in order (RFC 9110 §5.3).
//! - Entries may carry a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`), IPv6 a zone
//!   (`fe80::1%eth0`, dropped) and whitespace around them. IPv4-mapped IPv6 addresses
//!   count as the IPv4 address, the peer's included.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName, FORWARDED, X_FORWARDED_FOR};
use actix_web::{web, HttpMessage, HttpRequest};
use ipnet::IpNet;

use crate::state::AppState;

/// The decided address, kept in the request's extensions so it is worked out once.
#[derive(Clone, Copy)]
struct Decided(IpAddr);

/// The client address of `req` (`None` without a TCP peer, as in some unit tests).
///
/// With no trusted proxies, the common case, this is the peer: no header is read and
/// nothing is stored, which is cheaper than caching it.
pub fn client_address(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a: SocketAddr| a.ip())?;
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[][..], |s| s.settings.server.trusted_proxies.as_slice());
    if trusted.is_empty() {
        return Some(peer.to_canonical());
    }
    if let Some(decided) = req.extensions().get::<Decided>() {
        return Some(decided.0);
    }
    let address = decide(peer, req.headers(), trusted);
    req.extensions_mut().insert(Decided(address));
    Some(address)
}

/// The client address of a request from `peer` with `headers` (see the module doc).
pub fn decide(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    if !is_trusted(peer, trusted) {
        return peer;
    }
    if headers.contains_key(X_FORWARDED_FOR) {
        walk(peer, entries(headers, &X_FORWARDED_FOR).map(node), trusted)
    } else {
        walk(
            peer,
            entries(headers, &FORWARDED).map(forwarded_for),
            trusted,
        )
    }
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// Right to left: the first untrusted address, else the leftmost, else the peer.
fn walk(peer: IpAddr, nodes: impl Iterator<Item = Option<IpAddr>>, trusted: &[IpNet]) -> IpAddr {
    let mut leftmost = None;
    for node in nodes {
        let Some(ip) = node else { return peer };
        if !is_trusted(ip, trusted) {
            return ip;
        }
        leftmost = Some(ip);
    }
    leftmost.unwrap_or(peer)
}

/// The non-empty comma-separated entries of every line of `name`, last first.
///
/// Splitting ignores quoting: a comma inside a quoted string could only mislead the
/// walk on the client's side of the chain, which it never reads.
fn entries<'a>(headers: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .rev()
        .flat_map(|line| line.as_bytes().rsplit(|b| *b == b','))
        // Bytes that are not UTF-8 become an entry that is no address.
        .map(|entry| std::str::from_utf8(entry).unwrap_or("\u{0}"))
        .map(|entry| entry.trim_matches([' ', '\t']))
        // RFC 9110 §5.6.1: recipients ignore empty list elements.
        .filter(|entry| !entry.is_empty())
}

/// The `for=` node of one `Forwarded` element, if it is an address.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim_matches([' ', '\t'])
            .eq_ignore_ascii_case("for")
            .then_some(value.trim_matches([' ', '\t']))
    })?;
    let value = match value.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => value,
    };
    node(value)
}

/// An address with an optional port: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:80`, with an optional IPv6 zone. Anything else,
/// `unknown` and obfuscated names included, is `None`.
fn node(text: &str) -> Option<IpAddr> {
    let (host, bracketed) = match text.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest.split_once(']')?;
            if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
                return None;
            }
            (host, true)
        }
        None => match text.split_once(':') {
            // One colon: IPv4 with a port. More: bare IPv6.
            Some((host, port)) if !port.contains(':') => is_port(port).then_some((host, false))?,
            _ => (text, false),
        },
    };
    let ip = match host.split_once('%') {
        Some((address, zone)) if !zone.is_empty() => IpAddr::V6(address.parse().ok()?),
        Some(_) => return None,
        None => host.parse().ok()?,
    };
    if bracketed && ip.is_ipv4() {
        return None;
    }
    Some(ip.to_canonical())
}

/// A port number, or RFC 7239's obfuscated port (`_` and letters, digits, `.`, `_`, `-`).
fn is_port(text: &str) -> bool {
    let digits = !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    let obfuscated = text.len() > 1
        && text.starts_with('_')
        && text[1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    digits || obfuscated
}

#[cfg(test)]
mod tests;
