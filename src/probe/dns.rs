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
pub async fn query(
    server: SocketAddr,
    host: &str,
    record_type: RecordType,
    timeout: Duration,
) -> Outcome {
    if let Err(e) = super::guard(server.ip()) {
        return Outcome::NotProbed(e.to_string());
    }
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
    let fqdn = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    let lookup = tokio::time::timeout(timeout, resolver.lookup(fqdn.as_str(), record_type)).await;
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
