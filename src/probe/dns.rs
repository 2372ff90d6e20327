//! Name resolution along both paths a node has: the system resolver (getaddrinfo: what the
//! service itself sees, /etc/hosts and nsswitch included) and direct DNS queries to each
//! nameserver (hickory-resolver), which tell apart what getaddrinfo hides.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;

/// What one lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Addresses(Vec<IpAddr>),
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of the asked type.
    NoData,
    ServFail,
    Refused,
    Timeout,
    /// Nothing listens on the nameserver's port: the kernel answered ICMP port unreachable,
    /// which a connected UDP socket reports as "connection refused".
    ConnectionRefused,
    /// The server answered with bytes that are not a DNS reply to the query.
    Malformed(String),
    /// The system resolver failed; getaddrinfo cannot say why.
    SystemFailure(String),
    Error(String),
    /// Not sent (loopback-only guard).
    NotProbed(String),
}

impl Outcome {
    pub fn describe(&self) -> String {
        match self {
            Self::Addresses(a) => a
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            Self::NxDomain => "NXDOMAIN (the name does not exist)".into(),
            Self::NoData => "no A/AAAA record (NODATA)".into(),
            Self::ServFail => "SERVFAIL (the server could not answer)".into(),
            Self::Refused => "REFUSED (the server will not answer this client)".into(),
            Self::Timeout => "no answer (timeout)".into(),
            Self::ConnectionRefused => {
                "connection refused (ICMP port unreachable: no nameserver listens there)".into()
            }
            Self::Malformed(why) => format!("malformed answer: {why}"),
            Self::SystemFailure(e) | Self::Error(e) | Self::NotProbed(e) => e.clone(),
        }
    }
}

/// getaddrinfo through tokio (runs on the blocking pool), bounded by `timeout`.
pub async fn system_lookup(host: &str, timeout: Duration) -> Outcome {
    if let Err(e) = super::guard_name(host) {
        return Outcome::NotProbed(e.to_string());
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, 0))).await {
        Err(_) => Outcome::Timeout,
        Ok(Err(e)) => Outcome::SystemFailure(e.to_string()),
        Ok(Ok(addrs)) => {
            let mut v: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !v.contains(&a.ip()) {
                    v.push(a.ip());
                }
            }
            if v.is_empty() {
                Outcome::NoData
            } else {
                Outcome::Addresses(v)
            }
        }
    }
}

/// Parse `ip` or `ip:port` (IPv6 as `[ip]:port`); the port defaults to 53.
pub fn parse_server(s: &str) -> Option<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa);
    }
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, 53))
}

/// The nameservers of /etc/resolv.conf.
pub fn system_nameservers() -> Result<Vec<SocketAddr>, String> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|e| format!("cannot read /etc/resolv.conf: {e}"))?;
    let mut v: Vec<SocketAddr> = Vec::new();
    for ns in config.name_servers() {
        let port = ns.connections.first().map_or(53, |c| c.port);
        let sa = SocketAddr::new(ns.ip, port);
        if !v.contains(&sa) {
            v.push(sa);
        }
    }
    Ok(v)
}

/// Ask one server for `host`'s records of one type, once, within `timeout`.
///
/// The question goes out on a connected UDP socket first, so that a dead nameserver (ICMP
/// port unreachable) is reported at once as refused, and a reply that is not DNS is reported
/// as malformed instead of waiting for a timeout. A truncated reply is asked again through
/// hickory, which retries over TCP.
pub async fn query(
    server: SocketAddr,
    host: &str,
    record_type: RecordType,
    timeout: Duration,
) -> Outcome {
    if let Err(e) = super::guard(server.ip()) {
        return Outcome::NotProbed(e.to_string());
    }
    let fqdn = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    match tokio::time::timeout(timeout, udp_query(server, &fqdn, record_type)).await {
        Err(_) => Outcome::Timeout,
        Ok(Some(outcome)) => outcome,
        Ok(None) => hickory_query(server, &fqdn, record_type, timeout).await,
    }
}

/// The largest UDP reply read (EDNS payloads rarely exceed 4096 bytes).
const MAX_REPLY: usize = 4096;

/// One question over a connected UDP socket. `None`: the reply was truncated (ask over TCP).
/// Runs until a matching reply arrives; the caller bounds it in time.
async fn udp_query(server: SocketAddr, fqdn: &str, record_type: RecordType) -> Option<Outcome> {
    use hickory_resolver::proto::op::{Message, MessageType, OpCode, Query};
    use hickory_resolver::proto::rr::Name;
    let name = match Name::from_ascii(fqdn) {
        Ok(n) => n,
        Err(e) => return Some(Outcome::Error(format!("`{fqdn}` is not a DNS name: {e}"))),
    };
    let id: u16 = rand_id();
    let mut msg = Message::new(id, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(name, record_type));
    let bytes = match msg.to_vec() {
        Ok(b) => b,
        Err(e) => return Some(Outcome::Error(format!("cannot encode the query: {e}"))),
    };
    let local: SocketAddr = if server.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let refused = |e: &std::io::Error| e.kind() == std::io::ErrorKind::ConnectionRefused;
    let socket = match tokio::net::UdpSocket::bind(local).await {
        Ok(s) => s,
        Err(e) => return Some(Outcome::Error(format!("cannot open a UDP socket: {e}"))),
    };
    if let Err(e) = socket.connect(server).await {
        return Some(Outcome::Error(format!("cannot reach {server}: {e}")));
    }
    if let Err(e) = socket.send(&bytes).await {
        return Some(if refused(&e) {
            Outcome::ConnectionRefused
        } else {
            Outcome::Error(format!("cannot send to {server}: {e}"))
        });
    }
    let mut buf = vec![0u8; MAX_REPLY];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            Err(e) if refused(&e) => return Some(Outcome::ConnectionRefused),
            Err(e) => return Some(Outcome::Error(format!("reading from {server}: {e}"))),
        };
        let Some(reply) = buf.get(..n) else {
            continue;
        };
        let Ok(answer) = Message::from_vec(reply) else {
            return Some(Outcome::Malformed(format!(
                "{n} bytes that do not decode as a DNS message"
            )));
        };
        if answer.metadata.id != id {
            // A late reply to an earlier question, or noise: not ours.
            continue;
        }
        if answer.metadata.message_type != MessageType::Response {
            return Some(Outcome::Malformed(
                "a message that is not a response".into(),
            ));
        }
        if answer.metadata.truncation {
            return None;
        }
        return Some(match answer.metadata.response_code {
            ResponseCode::NoError => {
                let addrs: Vec<IpAddr> = answer
                    .answers
                    .iter()
                    .filter(|r| r.record_type() == record_type)
                    .filter_map(|r| r.data.ip_addr())
                    .collect();
                if addrs.is_empty() {
                    Outcome::NoData
                } else {
                    Outcome::Addresses(addrs)
                }
            }
            ResponseCode::NXDomain => Outcome::NxDomain,
            ResponseCode::ServFail => Outcome::ServFail,
            ResponseCode::Refused => Outcome::Refused,
            other => Outcome::Error(format!("error response {other}")),
        });
    }
}

/// A query id that differs from run to run (not a security measure: the reply is only read
/// for diagnosis).
fn rand_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    #[allow(clippy::cast_possible_truncation)]
    let id = (nanos ^ (nanos >> 16)) as u16;
    id
}

/// Ask through hickory (UDP then TCP), for replies too large for one datagram.
async fn hickory_query(
    server: SocketAddr,
    fqdn: &str,
    record_type: RecordType,
    timeout: Duration,
) -> Outcome {
    let mut udp = ConnectionConfig::udp();
    udp.port = server.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = server.port();
    let ns = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
    let mut builder = hickory_resolver::Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    );
    let opts = builder.options_mut();
    // The resolver's own timer fires first; ours is the backstop (it may try UDP then TCP).
    opts.timeout = timeout * 4 / 5;
    opts.attempts = 1;
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    let resolver = match builder.build() {
        Ok(r) => r,
        Err(e) => return Outcome::Error(format!("cannot set up a resolver for {server}: {e}")),
    };
    let lookup = tokio::time::timeout(timeout, resolver.lookup(fqdn, record_type)).await;
    match lookup {
        Err(_) => Outcome::Timeout,
        Ok(Ok(found)) => {
            let addrs: Vec<IpAddr> = found
                .answers()
                .iter()
                .filter_map(|r| r.data.ip_addr())
                .collect();
            if addrs.is_empty() {
                Outcome::NoData
            } else {
                Outcome::Addresses(addrs)
            }
        }
        Ok(Err(e)) => classify(&e),
    }
}

fn classify(e: &NetError) -> Outcome {
    match e {
        NetError::Timeout => Outcome::Timeout,
        NetError::Dns(DnsError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::NXDomain => Outcome::NxDomain,
            ResponseCode::ServFail => Outcome::ServFail,
            ResponseCode::Refused => Outcome::Refused,
            _ => Outcome::NoData,
        },
        NetError::Dns(DnsError::ResponseCode(code)) => match *code {
            ResponseCode::NXDomain => Outcome::NxDomain,
            ResponseCode::ServFail => Outcome::ServFail,
            ResponseCode::Refused => Outcome::Refused,
            other => Outcome::Error(format!("error response {other}")),
        },
        other => {
            let text = other.to_string();
            if text.contains("timed out") || text.contains("timeout") {
                Outcome::Timeout
            } else {
                Outcome::Error(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_parse_with_default_port() {
        assert_eq!(
            parse_server("127.0.0.1"),
            Some("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(parse_server("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(
            parse_server("[::1]:5353"),
            Some("[::1]:5353".parse().unwrap())
        );
        assert_eq!(parse_server("dns.example"), None);
    }
}
