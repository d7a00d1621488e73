//! The decision for chosen peers and headers: spoofing attempts first.

use actix_web::http::header::{HeaderName, HeaderValue};

use super::*;

/// The ingress's pod network and one more proxy hop in front of it.
fn trusted() -> Vec<IpNet> {
    ["10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.10/32"]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect()
}

const INGRESS: &str = "10.1.2.3";
const STRANGER: &str = "198.51.100.20";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Headers as lines, in order: (name, value) pairs; a name may repeat.
fn headers(lines: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in lines {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    map
}

fn from(peer: &str, lines: &[(&str, &[u8])]) -> IpAddr {
    decide(ip(peer), &headers(lines), &trusted())
}

fn xff(value: &str) -> (&'static str, &[u8]) {
    ("x-forwarded-for", value.as_bytes())
}

fn fwd(value: &str) -> (&'static str, &[u8]) {
    ("forwarded", value.as_bytes())
}

#[test]
fn an_untrusted_peer_is_the_client_whatever_its_headers_say() {
    for lines in [
        vec![xff("203.0.113.7")],
        vec![xff("203.0.113.7, 10.1.2.3")],
        vec![fwd("for=203.0.113.7")],
        vec![xff("garbage"), fwd("for=unknown")],
    ] {
        assert_eq!(from(STRANGER, &lines), ip(STRANGER), "{lines:?}");
    }
}

#[test]
fn no_trusted_proxies_means_the_peer() {
    let lines = headers(&[xff("203.0.113.7")]);
    assert_eq!(decide(ip(INGRESS), &lines, &[]), ip(INGRESS));
}

#[test]
fn a_trusted_peer_without_headers_is_the_client() {
    assert_eq!(from(INGRESS, &[]), ip(INGRESS));
    assert_eq!(
        from(INGRESS, &[("x-real-ip", b"203.0.113.7")]),
        ip(INGRESS),
        "other headers are not read"
    );
}

#[test]
fn the_rightmost_untrusted_address_is_the_client() {
    assert_eq!(from(INGRESS, &[xff("203.0.113.7")]), ip("203.0.113.7"));
    // The client prefixed its own entries; the ingress appended the real one.
    assert_eq!(
        from(INGRESS, &[xff("198.51.100.1, 203.0.113.7")]),
        ip("203.0.113.7")
    );
    assert_eq!(
        from(INGRESS, &[xff("1.1.1.1, 2.2.2.2, 3.3.3.3, 203.0.113.7")]),
        ip("203.0.113.7")
    );
    // Trusted hops on the right are skipped.
    assert_eq!(
        from(
            INGRESS,
            &[xff("198.51.100.1, 203.0.113.7, 192.0.2.10, 10.9.9.9")]
        ),
        ip("203.0.113.7")
    );
}

#[test]
fn a_forged_trusted_address_on_the_left_does_not_move_the_decision() {
    // A client claiming to be a proxy gains nothing: its own address comes first.
    assert_eq!(
        from(INGRESS, &[xff("10.0.0.1, 192.0.2.10, 203.0.113.7")]),
        ip("203.0.113.7")
    );
}

#[test]
fn every_entry_trusted_means_the_leftmost() {
    assert_eq!(
        from(INGRESS, &[xff("10.5.5.5, 192.0.2.10")]),
        ip("10.5.5.5")
    );
    assert_eq!(
        from(INGRESS, &[fwd("for=10.5.5.5, for=192.0.2.10")]),
        ip("10.5.5.5")
    );
}

#[test]
fn garbage_where_the_walk_needs_an_address_means_the_peer() {
    for value in [
        "203.0.113.7, garbage",
        "203.0.113.7, 10.9.9.9, nonsense",
        "203.0.113.7, 300.1.1.1",
        "203.0.113.7, 203.0.113.8:http",
        "203.0.113.7, [203.0.113.8]",
        "203.0.113.7, 2001:db8::1]:80",
        "203.0.113.7, fe80::1%",
        "203.0.113.7, 1.2.3.4%eth0",
        "203.0.113.7, unknown",
        "\"203.0.113.7\"",
    ] {
        assert_eq!(from(INGRESS, &[xff(value)]), ip(INGRESS), "{value:?}");
    }
    let not_utf8 = headers(&[("x-forwarded-for", b"203.0.113.7, \xff\xfe")]);
    assert_eq!(decide(ip(INGRESS), &not_utf8, &trusted()), ip(INGRESS));
}

#[test]
fn garbage_left_of_the_client_is_never_read() {
    // A client cannot push the decision back onto the shared ingress address.
    assert_eq!(
        from(INGRESS, &[xff("garbage, \"quoted, unknown, 203.0.113.7")]),
        ip("203.0.113.7")
    );
    let left_not_utf8 = headers(&[("x-forwarded-for", b"\xff\xfe, 203.0.113.7")]);
    assert_eq!(
        decide(ip(INGRESS), &left_not_utf8, &trusted()),
        ip("203.0.113.7")
    );
}

#[test]
fn empty_entries_and_whitespace_are_ignored() {
    assert_eq!(
        from(INGRESS, &[xff("  203.0.113.7\t,  ")]),
        ip("203.0.113.7")
    );
    assert_eq!(
        from(INGRESS, &[xff("198.51.100.1,,203.0.113.7,")]),
        ip("203.0.113.7")
    );
    assert_eq!(
        from(INGRESS, &[xff("")]),
        ip(INGRESS),
        "an empty header is no chain"
    );
    assert_eq!(from(INGRESS, &[xff(" , ,")]), ip(INGRESS));
}

#[test]
fn ports_are_dropped() {
    assert_eq!(from(INGRESS, &[xff("203.0.113.7:4711")]), ip("203.0.113.7"));
    assert_eq!(
        from(INGRESS, &[xff("[2001:db8::1]:4711")]),
        ip("2001:db8::1")
    );
    assert_eq!(from(INGRESS, &[xff("[2001:db8::1]")]), ip("2001:db8::1"));
    assert_eq!(from(INGRESS, &[xff("2001:db8::1")]), ip("2001:db8::1"));
}

#[test]
fn ipv6_zone_ids_are_dropped() {
    assert_eq!(from(INGRESS, &[xff("fe80::1%eth0")]), ip("fe80::1"));
    assert_eq!(from(INGRESS, &[xff("[fe80::1%25eth0]:80")]), ip("fe80::1"));
    assert_eq!(
        from(INGRESS, &[fwd("for=\"[fe80::1%eth0]:80\"")]),
        ip("fe80::1")
    );
}

#[test]
fn ipv4_mapped_addresses_are_ipv4() {
    assert_eq!(
        from(INGRESS, &[xff("::ffff:203.0.113.7")]),
        ip("203.0.113.7")
    );
    // A dual-stack listener sees an IPv4 ingress as a mapped peer: still trusted.
    assert_eq!(
        from("::ffff:10.1.2.3", &[xff("203.0.113.7")]),
        ip("203.0.113.7")
    );
    assert_eq!(from("::ffff:198.51.100.20", &[]), ip(STRANGER));
}

#[test]
fn ipv6_proxies_are_trusted_by_their_network() {
    assert_eq!(
        from(
            "2001:db8:ffff:1::5",
            &[xff("2001:db8:1::7, 2001:db8:ffff:2::1")]
        ),
        ip("2001:db8:1::7")
    );
    assert_eq!(
        from("2001:db8:fffe::5", &[xff("2001:db8:1::7")]),
        ip("2001:db8:fffe::5"),
        "outside the /48"
    );
}

#[test]
fn forwarded_elements_give_their_for_node() {
    assert_eq!(from(INGRESS, &[fwd("for=203.0.113.7")]), ip("203.0.113.7"));
    assert_eq!(
        from(INGRESS, &[fwd("for=198.51.100.1, for=203.0.113.7")]),
        ip("203.0.113.7")
    );
    assert_eq!(
        from(INGRESS, &[fwd("proto=https; For=203.0.113.7 ;by=10.1.2.3")]),
        ip("203.0.113.7")
    );
    assert_eq!(
        from(INGRESS, &[fwd("for=\"[2001:db8:cafe::17]:4711\"")]),
        ip("2001:db8:cafe::17")
    );
    assert_eq!(
        from(INGRESS, &[fwd("for=\"203.0.113.7:_hidden\"")]),
        ip("203.0.113.7")
    );
    assert_eq!(
        from(INGRESS, &[fwd("for=203.0.113.7;by=_proxy1")]),
        ip("203.0.113.7"),
        "an obfuscated `by` is no matter"
    );
}

#[test]
fn forwarded_without_an_address_where_one_is_needed_means_the_peer() {
    for value in [
        "for=203.0.113.7, for=unknown",
        "for=203.0.113.7, for=_hidden",
        "for=203.0.113.7, proto=https",
        "for=203.0.113.7, for=\"[2001:db8::1]",
        "for=203.0.113.7, for=[2001:db8::1]x",
        "for=203.0.113.7, for",
    ] {
        assert_eq!(from(INGRESS, &[fwd(value)]), ip(INGRESS), "{value:?}");
    }
    // Left of the client it is never read.
    assert_eq!(
        from(INGRESS, &[fwd("for=unknown, for=_x, for=203.0.113.7")]),
        ip("203.0.113.7")
    );
}

#[test]
fn x_forwarded_for_wins_over_forwarded() {
    // An ingress that appends to X-Forwarded-For passes a client's Forwarded through.
    let lines = [fwd("for=198.51.100.99"), xff("203.0.113.7")];
    assert_eq!(from(INGRESS, &lines), ip("203.0.113.7"));
    // Even an empty X-Forwarded-For: the proxy that set it is the one to believe.
    assert_eq!(
        from(INGRESS, &[fwd("for=198.51.100.99"), xff("")]),
        ip(INGRESS)
    );
}

#[test]
fn several_header_lines_are_one_list_in_order() {
    let lines = [xff("198.51.100.1, 203.0.113.7"), xff("10.9.9.9")];
    assert_eq!(from(INGRESS, &lines), ip("203.0.113.7"));
    let lines = [xff("198.51.100.1"), xff("203.0.113.7, 10.9.9.9")];
    assert_eq!(from(INGRESS, &lines), ip("203.0.113.7"));
    let lines = [xff("203.0.113.7"), xff("")];
    assert_eq!(
        from(INGRESS, &lines),
        ip("203.0.113.7"),
        "an empty last line adds nothing"
    );
    let lines = [fwd("for=198.51.100.1"), fwd("for=203.0.113.7")];
    assert_eq!(from(INGRESS, &lines), ip("203.0.113.7"));
}
