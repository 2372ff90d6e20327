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
    /// Forbidden by a firewall: an ICMPv6 administratively-prohibited reject (EACCES), or a
    /// rule of this host's own firewall (EPERM).
    Prohibited(String),
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
            Self::Prohibited(e) => write!(f, "forbidden by a firewall: {e}"),
            Self::Error(e) => f.write_str(e),
            Self::NotProbed(e) => write!(f, "not probed: {e}"),
        }
    }
}

/// Open a TCP connection to `addr` within `timeout`: the one connect helper of the doctor
/// (the `tcp` and `tls` kinds, the HTTP seam and the gRPC health probe use it), with the loopback guard and the
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
        // connect(2): "the connection request failed because of a local firewall rule"
        // (EPERM), or an ICMPv6 administratively-prohibited error came back (EACCES).
        ErrorKind::PermissionDenied => Outcome::Prohibited(e.to_string()),
        _ => match e.raw_os_error() {
            // EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN on Linux.
            Some(113 | 101 | 112 | 100) => Outcome::Unreachable(e.to_string()),
            // EACCES, EPERM.
            Some(13 | 1) => Outcome::Prohibited(e.to_string()),
            _ => Outcome::Error(e.to_string()),
        },
    }
}

/// Whether `ip` is an address of this host (in the doctor's network namespace): loopback,
/// or an address a socket can be bound to. No packet is sent.
pub fn is_local(ip: std::net::IpAddr) -> bool {
    ip.is_loopback() || std::net::UdpSocket::bind((ip, 0)).is_ok()
}

/// What this host's kernel shows about one of its own ports whose connect got no answer:
/// a firewall DROP and a full accept queue look the same from the connecting side, not
/// from the kernel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalPort {
    /// Connections waiting in the accept queue of the listener on the port (`None`:
    /// nothing listens there).
    pub queued: Option<u64>,
    /// SYNs the kernel dropped for a full accept queue while the connect waited
    /// (`TcpExt: ListenOverflows` of /proc/net/netstat, for the whole network namespace).
    pub overflows: u64,
}

/// What this host's kernel shows, read at once on the blocking pool within `within`: the
/// SYNs dropped for full accept queues so far (`ListenOverflows`), and for each of
/// `targets` the accept queue of its listener (`None`: nothing listens). `None` when the
/// tables cannot be read in time.
pub async fn kernel_view(
    targets: Vec<SocketAddr>,
    within: std::time::Duration,
) -> Option<(u64, Vec<Option<u64>>)> {
    let read = tokio::task::spawn_blocking(move || {
        let text = |p: &str| {
            // Listening sockets come first; a busy host has many more of the others.
            super::fs::read_bounded_now(std::path::Path::new(p), 16 * 1024 * 1024)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        };
        let overflows = parse_listen_overflows(&text("/proc/net/netstat")?)?;
        if targets.is_empty() {
            return Some((overflows, Vec::new()));
        }
        let tables: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|p| text(p))
            .collect();
        if tables.is_empty() {
            return None;
        }
        let queues = targets
            .iter()
            .map(|t| {
                tables
                    .iter()
                    .filter_map(|table| parse_listener_queue(table, *t))
                    .max()
            })
            .collect();
        Some((overflows, queues))
    });
    tokio::time::timeout(within, read).await.ok()?.ok()?
}

/// `ListenOverflows` from the text of /proc/net/netstat (a header line of names and a line
/// of values per protocol).
pub fn parse_listen_overflows(text: &str) -> Option<u64> {
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let names = lines.next()?;
    let values = lines.next()?;
    let at = names
        .split_whitespace()
        .position(|n| n == "ListenOverflows")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// An address as /proc/net/tcp{,6} writes it: the address's 32-bit words in host order, in
/// hex.
fn proc_address(hex: &str) -> Option<std::net::IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        Some(
            u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16)
                .ok()?
                .to_ne_bytes(),
        )
    };
    match hex.len() {
        8 => Some(std::net::Ipv4Addr::from(word(0)?).into()),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(std::net::Ipv6Addr::from(b).into())
        }
        _ => None,
    }
}

/// The accept queue (`rx_queue` of a socket in state 0A, LISTEN) of the listener that
/// takes connections to `addr`: bound to it, to its family's wildcard, or (for IPv4) to the
/// IPv6 wildcard or the IPv4-mapped address.
pub fn parse_listener_queue(text: &str, addr: SocketAddr) -> Option<u64> {
    use std::net::IpAddr;
    let takes = |ip: IpAddr| {
        ip == addr.ip()
            || ip.is_unspecified()
            || matches!((ip, addr.ip()), (IpAddr::V6(v6), IpAddr::V4(v4)) if v6.to_ipv4_mapped() == Some(v4))
    };
    text.lines().skip(1).find_map(|line| {
        let mut f = line.split_whitespace();
        let local = f.nth(1)?;
        let state = f.nth(1)?;
        let queues = f.next()?;
        if state != "0A" {
            return None;
        }
        let (ip, port) = local.split_once(':')?;
        if u16::from_str_radix(port, 16).ok()? != addr.port() || !takes(proc_address(ip)?) {
            return None;
        }
        u64::from_str_radix(queues.split_once(':')?.1, 16).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_errors_are_a_firewall_not_a_local_fault() {
        for code in [1, 13] {
            let e = std::io::Error::from_raw_os_error(code);
            assert!(matches!(classify(&e), Outcome::Prohibited(_)), "{e}");
        }
        let e = std::io::Error::from_raw_os_error(113);
        assert!(matches!(classify(&e), Outcome::Unreachable(_)));
    }

    #[test]
    fn listeners_and_overflows_are_read_from_proc() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:2387 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 1471134 2 0 100 0 0 10 0\n   5: 0100007F:2387 0100007F:D9DA 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 0 0 10 -1\n   6: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 20 0 0 10 -1\n";
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        // 0x0100007F is 127.0.0.1 written as a little-endian word.
        if cfg!(target_endian = "little") {
            assert_eq!(parse_listener_queue(tcp, at("127.0.0.1:9095")), Some(1));
            assert_eq!(parse_listener_queue(tcp, at("127.0.0.2:9095")), None);
        }
        assert_eq!(parse_listener_queue(tcp, at("10.1.2.3:8080")), Some(0));
        assert_eq!(parse_listener_queue(tcp, at("127.0.0.1:9096")), None);
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue\n   0: 00000000000000000000000000000000:2386 00000000000000000000000000000000:0000 0A 00000000:00000003 00:00000000 00000000\n";
        assert_eq!(parse_listener_queue(tcp6, at("127.0.0.1:9094")), Some(3));
        assert_eq!(parse_listener_queue(tcp6, at("[::1]:9094")), Some(3));
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 42 42\nIpExt: InNoRoutes\nIpExt: 0\n";
        assert_eq!(parse_listen_overflows(netstat), Some(42));
        assert_eq!(parse_listen_overflows("TcpExt: A\nTcpExt: 1\n"), None);
    }

    #[test]
    fn loopback_and_own_addresses_are_local() {
        assert!(is_local("127.0.0.1".parse().unwrap()));
        assert!(is_local("::1".parse().unwrap()));
        // TEST-NET-1 is never an address of this host.
        assert!(!is_local("192.0.2.1".parse().unwrap()));
    }
}
