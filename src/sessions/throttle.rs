//! Login throttling per account and per client address, kept in the database so
//! every replica counts the same failures.

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

pub fn address_subject(ip: &str) -> String {
    format!("ip:{ip}")
}
