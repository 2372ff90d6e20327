//! TCP connect probes, classified the way an SRE reads them.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a connect attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Open,
    /// RST: nothing listening, or a REJECT rule.
    Refused,
    /// No answer within the timeout: a silent DROP (firewall, NetworkPolicy).
    Filtered,
    /// ICMP host/network unreachable, or no route.
    Unreachable(String),
    /// A local problem (address in use, not available) or anything else.
    Error(String),
    /// Not sent (loopback-only guard).
    NotProbed(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Open => f.write_str("open"),
            Self::Refused => f.write_str("refused (nothing listening, or a REJECT rule)"),
            Self::Filtered => f.write_str("no answer (packets silently dropped)"),
            Self::Unreachable(e) => write!(f, "unreachable: {e}"),
            Self::Error(e) => f.write_str(e),
            Self::NotProbed(e) => write!(f, "not probed: {e}"),
        }
    }
}

/// Connect to `addr` within `timeout`; returns the outcome and the time it took.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> (Outcome, Duration) {
    if let Err(e) = super::guard(addr.ip()) {
        return (Outcome::NotProbed(e.to_string()), Duration::ZERO);
    }
    let start = Instant::now();
    let outcome = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => Outcome::Filtered,
        Ok(Ok(_stream)) => Outcome::Open,
        Ok(Err(e)) => classify(&e),
    };
    (outcome, start.elapsed())
}

/// Map a connect error to an outcome.
pub fn classify(e: &std::io::Error) -> Outcome {
    match e.kind() {
        ErrorKind::ConnectionRefused => Outcome::Refused,
        ErrorKind::TimedOut => Outcome::Filtered,
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            Outcome::Unreachable(e.to_string())
        }
        _ => match e.raw_os_error() {
            // EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN on Linux.
            Some(113 | 101 | 112 | 100) => Outcome::Unreachable(e.to_string()),
            _ => Outcome::Error(e.to_string()),
        },
    }
}
