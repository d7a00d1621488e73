//! Login throttling per account and per client address, kept in the database so
//! every replica counts the same failures.

use std::net::IpAddr;

use ipnet::Ipv6Net;

/// Failures allowed within a window before the subject is blocked for `block` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub failures: i64,
    pub window: i64,
    pub block: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub account: Limit,
    pub address: Limit,
}

impl Default for ThrottlePolicy {
    /// 5 failures for one account or 50 from one address within 15 minutes block
    /// further attempts for 5 (account) or 15 (address) minutes.
    fn default() -> Self {
        Self {
            account: Limit {
                failures: 5,
                window: 900,
                block: 300,
            },
            address: Limit {
                failures: 50,
                window: 900,
                block: 900,
            },
        }
    }
}

pub fn account_subject(email: &str) -> String {
    format!("account:{email}")
}

/// IPv4 clients by their address, IPv6 clients by their /64: one host commonly holds a
/// whole /64, and a fresh address per guess must not buy fresh attempts.
pub fn address_subject(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let net = Ipv6Net::new(v6, 64).expect("64 is a valid IPv6 prefix");
            format!("ip:{}", net.trunc())
        }
        _ => format!("ip:{ip}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_share_the_subject_of_their_64() {
        assert_eq!(address_subject("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(address_subject("2001:db8:1:2::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(
            address_subject("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            address_subject("2001:db8:1:2::1")
        );
        assert_ne!(
            address_subject("2001:db8:1:3::1"),
            address_subject("2001:db8:1:2::1")
        );
    }
}
