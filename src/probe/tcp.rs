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

/// Open a TCP connection to `addr` within `timeout`: the one connect helper of the doctor
/// (the `tcp` and `tls` kinds and the HTTP seam use it), with the loopback guard and the
/// classification of failures. Returns the stream and the time the connect took.
pub async fn open(
    addr: SocketAddr,
    timeout: Duration,
) -> Result<(tokio::net::TcpStream, Duration), Outcome> {
    if let Err(e) = super::guard(addr.ip()) {
        return Err(Outcome::NotProbed(e.to_string()));
    }
    let start = Instant::now();
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => Err(Outcome::Filtered),
        Ok(Ok(stream)) => {
            // Requests are small and written at once; do not hold them back.
            let _ = stream.set_nodelay(true);
            Ok((stream, start.elapsed()))
        }
        Ok(Err(e)) => Err(classify(&e)),
    }
}

/// Connect to `addr` within `timeout` and close again; returns the outcome and the time it
/// took.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> (Outcome, Duration) {
    let start = Instant::now();
    match open(addr, timeout).await {
        Ok((_stream, took)) => (Outcome::Open, took),
        Err(o @ Outcome::NotProbed(_)) => (o, Duration::ZERO),
        Err(o) => (o, start.elapsed()),
    }
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
