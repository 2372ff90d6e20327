//! The I/O seams: how checks look at the network and at the node (accounts, file systems,
//! log tails). Kinds decide what to look at and judge what they saw; these modules only
//! observe, each under a deadline, and never change anything on the node.
//!
//! `AUTOGLM_DOCTOR_LOOPBACK_ONLY=1` confines every probe to loopback addresses (and the
//! system resolver to `localhost` and literal addresses): for sandboxes and test suites that
//! must not send traffic anywhere else. A probe it refuses is reported, never silently
//! skipped.

// The seams themselves: the only place (besides the command-line edge) that opens files,
// reads the environment and connects sockets.
#![allow(clippy::disallowed_methods)]

pub mod account;
pub mod checkpoint_dir;
pub mod disk;
pub mod dns;
pub mod env;
pub mod fs;
pub mod grpc;
pub mod http;
pub mod logs;
pub mod ntp;
pub mod objstore;
pub mod report_file;
pub mod tail;
pub mod tcp;
pub mod tls;
pub mod url;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The environment variable of the loopback-only guard.
pub const LOOPBACK_ONLY_ENV: &str = "AUTOGLM_DOCTOR_LOOPBACK_ONLY";

static CONFINED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turn the loopback-only guard on for the rest of the process (`demo` does: its master is
/// simulated on loopback, and nothing it runs should reach further).
pub fn confine_to_loopback() {
    CONFINED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the loopback-only guard is on.
pub fn loopback_only() -> bool {
    CONFINED.load(std::sync::atomic::Ordering::Relaxed)
        || std::env::var_os(LOOPBACK_ONLY_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Why a probe was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{LOOPBACK_ONLY_ENV} is set and {target} is not a loopback address; not probed")]
pub struct Refused {
    pub target: String,
}

/// Refuse a destination outside loopback when the guard is on.
pub fn guard(addr: IpAddr) -> Result<(), Refused> {
    if loopback_only() && !addr.is_loopback() {
        return Err(Refused {
            target: addr.to_string(),
        });
    }
    Ok(())
}

/// Refuse a system-resolver lookup that could leave the machine when the guard is on.
pub fn guard_name(host: &str) -> Result<(), Refused> {
    if loopback_only() && host != "localhost" && host.parse::<IpAddr>().is_err() {
        return Err(Refused {
            target: host.to_string(),
        });
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return guard(ip);
    }
    Ok(())
}

/// The part of `budget` an inner operation may use, leaving room for the check to report
/// the inner error (more specific) before the check's own timeout fires.
pub fn inner_timeout(budget: Duration) -> Duration {
    let margin = (budget / 10).clamp(Duration::from_millis(50), Duration::from_secs(2));
    budget.saturating_sub(margin).max(Duration::from_millis(50))
}

/// The addresses to probe for `host`: a literal address, the addresses a DNS check
/// published (fact `dns.addresses.<host>`), or the system resolver's answer.
pub async fn addresses_for(
    host: &str,
    facts: &crate::report::Facts,
    timeout: Duration,
) -> Result<(Vec<IpAddr>, &'static str), String> {
    resolve(host, facts, timeout)
        .await
        .map_err(|o| o.describe())
}

/// Like [`addresses_for`], with the resolver's outcome when there is no address (so a
/// lookup refused by the loopback guard can be told from a failed one).
pub async fn resolve(
    host: &str,
    facts: &crate::report::Facts,
    timeout: Duration,
) -> Result<(Vec<IpAddr>, &'static str), dns::Outcome> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok((vec![ip], "literal address"));
    }
    if let Some(list) = facts
        .get(&format!("dns.addresses.{host}"))
        .and_then(|v| v.as_array())
    {
        let addrs: Vec<IpAddr> = list
            .iter()
            .filter_map(|a| a.as_str()?.parse().ok())
            .collect();
        if !addrs.is_empty() {
            return Ok((addrs, "the dns check"));
        }
    }
    match dns::system_lookup(host, timeout).await {
        dns::Outcome::Addresses(a) => Ok((a, "the system resolver")),
        other => Err(other),
    }
}

/// `host:port` for messages (IPv6 in brackets).
pub fn show(addr: SocketAddr) -> String {
    addr.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_timeouts_leave_a_margin() {
        assert_eq!(
            inner_timeout(Duration::from_secs(10)),
            Duration::from_secs(9)
        );
        assert_eq!(
            inner_timeout(Duration::from_secs(100)),
            Duration::from_secs(98)
        );
        assert_eq!(
            inner_timeout(Duration::from_millis(300)),
            Duration::from_millis(250)
        );
        assert_eq!(
            inner_timeout(Duration::from_millis(60)),
            Duration::from_millis(50)
        );
    }
}
