//! The proxy the service's traffic goes through, and the doctor's way through it.
//!
//! The service inherits `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (and gRPC's
//! `grpc_proxy` / `no_grpc_proxy`); [`route`] applies their rules to one destination, so
//! that the `proxy` check, the HTTP-level checks and the gRPC health check agree on which
//! traffic a proxy captures. When one does, the doctor goes through it as the service would:
//!
//! - https, and gRPC (TLS or not): `CONNECT host:port` to the proxy, then the TLS handshake
//!   and the exchange inside the tunnel ([`tunnel`]);
//! - http: the request in absolute form (`GET http://host:port/path`) to the proxy
//!   ([`open`], the request is sent by the HTTP seam).
//!
//! Credentials in the proxy URL are sent as `Proxy-Authorization: Basic` and never shown:
//! [`Proxy`] displays as the URL with `<redacted>@`, and its `Debug` hides them too.
//! Deadlines are the exchange's (per address, whole); the loopback guard applies to the
//! proxy's addresses and, since the proxy would connect onwards, to the destination too.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

use crate::probe::env::Env;
use crate::probe::tcp::Outcome;
use crate::report::Facts;

/// Which traffic of the service: each follows its own variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    Http,
    Https,
    /// gRPC to the sync port: `grpc_proxy`, then `https_proxy`, then `http_proxy`.
    Grpc,
}

impl Traffic {
    /// The proxy variables in the order a client looks at them.
    pub const fn variables(self) -> &'static [&'static str] {
        match self {
            Self::Https => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
            Self::Http => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
            Self::Grpc => &[
                "grpc_proxy",
                "https_proxy",
                "HTTPS_PROXY",
                "http_proxy",
                "HTTP_PROXY",
            ],
        }
    }

    /// The exclusion variables in the order a client looks at them.
    pub const fn exclusions(self) -> &'static [&'static str] {
        match self {
            Self::Grpc => &["no_grpc_proxy", "no_proxy", "NO_PROXY"],
            _ => &["no_proxy", "NO_PROXY"],
        }
    }
}

/// Proxy credentials: sent, never shown.
#[derive(Clone, PartialEq, Eq)]
struct Credentials {
    user: String,
    password: String,
}

/// What stands for credentials in messages (the words of the secret module, which probes
/// do not import).
pub const REDACTED: &str = "<redacted>";

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A forward proxy from a proxy variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The variable it came from (`HTTPS_PROXY`).
    pub variable: &'static str,
    /// Its host (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    credentials: Option<Credentials>,
}

impl fmt::Display for Proxy {
    /// `http://<redacted>@proxy:3128`: the URL with any credentials hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = if self.credentials.is_some() {
            format!("{REDACTED}@")
        } else {
            String::new()
        };
        if self.host.contains(':') {
            write!(f, "http://{who}[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{who}{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// Parse a proxy variable's value: `http://[user:password@]host[:port]` (the scheme may
    /// be left out, as clients allow). Other schemes (SOCKS, TLS to the proxy) are refused
    /// with why, never with the value.
    pub fn parse(variable: &'static str, value: &str) -> Result<Self, String> {
        let value = value.trim();
        let rest = match value.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "the doctor goes through http:// proxies only, not {}://",
                    scheme.to_ascii_lowercase()
                ));
            }
            None => value,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or("an IPv6 address without its closing `]`")?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                // An IPv6 address must be written in brackets.
                Some((h, _)) if h.contains(':') => {
                    return Err("an IPv6 proxy address must be written in brackets".into());
                }
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b))
        {
            return Err("no valid proxy host".into());
        }
        let port = match port {
            None => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or("the proxy port is not a number 1-65535")?,
        };
        let credentials = userinfo.map(|u| {
            let (user, password) = u.split_once(':').unwrap_or((u, ""));
            Credentials {
                user: crate::encoding::percent_decode(user),
                password: crate::encoding::percent_decode(password),
            }
        });
        Ok(Self {
            variable,
            host: host.to_ascii_lowercase(),
            port,
            credentials,
        })
    }

    /// Whether the proxy URL carries credentials.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// `Proxy-Authorization: Basic …` for the credentials, marked sensitive.
    pub(crate) fn authorization(&self) -> Option<http::HeaderValue> {
        let c = self.credentials.as_ref()?;
        let token = crate::encoding::b64(format!("{}:{}", c.user, c.password).as_bytes());
        let mut v = http::HeaderValue::from_str(&format!("Basic {token}")).ok()?;
        v.set_sensitive(true);
        Some(v)
    }

    /// `HTTPS_PROXY=http://<redacted>@proxy:3128`, for messages.
    pub fn named(&self) -> String {
        format!("{}={self}", self.variable)
    }
}

/// How the service's traffic to a host goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// No proxy variable is set for this traffic.
    Direct,
    /// A proxy variable is set, but this NO_PROXY entry excludes the host.
    Excluded {
        variable: &'static str,
        entry: String,
    },
    /// Through this proxy.
    Proxy(Proxy),
    /// A proxy variable captures the traffic, but its value is not a proxy the doctor can
    /// use (why, without the value).
    Unusable { variable: &'static str, why: String },
}

fn first<'a>(env: &'a Env, names: &[&'static str]) -> Option<(&'static str, &'a str)> {
    names
        .iter()
        .find_map(|n| env.get(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
}

/// The route the service's `traffic` to `host` takes under `env`.
pub fn route(env: &Env, traffic: Traffic, host: &str) -> Route {
    let Some((variable, value)) = first(env, traffic.variables()) else {
        return Route::Direct;
    };
    let no_proxy = first(env, traffic.exclusions()).map_or("", |(_, v)| v);
    if let Some(entry) = excluded(no_proxy, host) {
        return Route::Excluded { variable, entry };
    }
    match Proxy::parse(variable, value) {
        Ok(p) => Route::Proxy(p),
        Err(why) => Route::Unusable { variable, why },
    }
}

/// Whether a NO_PROXY list excludes `host`: exact names, domain suffixes (`.example`,
/// `*.example`, `example`), `*`, addresses and CIDR ranges; a port on an entry is ignored.
/// Returns the entry that matched.
pub fn excluded(no_proxy: &str, host: &str) -> Option<String> {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    for raw in no_proxy.split(',') {
        let entry = raw.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return Some(entry);
        }
        let name = entry.strip_prefix('[').map_or_else(
            || {
                entry
                    .rsplit_once(':')
                    .filter(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
                    .map_or(entry.as_str(), |(h, _)| h)
                    .to_string()
            },
            |v6| v6.split(']').next().unwrap_or(v6).to_string(),
        );
        if let (Some(ip), Some((net, bits))) = (ip, name.split_once('/')) {
            if let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>())
                && in_cidr(ip, net, bits)
            {
                return Some(entry);
            }
            continue;
        }
        let suffix = name.trim_start_matches("*.").trim_start_matches('.');
        if host == suffix || host.ends_with(&format!(".{suffix}")) {
            return Some(entry);
        }
    }
    None
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// What went wrong on the way through the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The proxy's host does not resolve.
    Unresolved(String),
    /// No address of the proxy accepted a connection.
    Connect(Vec<(SocketAddr, Outcome)>),
    /// Connected, but no (HTTP) answer to the request in time.
    NoAnswer(String),
    /// The proxy refused to open the tunnel (its status; `Proxy-Authenticate` when sent).
    Refused {
        status: u16,
        reason: String,
        authenticate: Option<String>,
    },
    /// 407 (or 401 to CONNECT) and no credentials were sent.
    AuthRequired {
        status: u16,
        authenticate: Option<String>,
    },
    /// 407 (or 401 to CONNECT, as tinyproxy answers) although credentials were sent.
    AuthRejected {
        status: u16,
        authenticate: Option<String>,
    },
    /// The proxy answers, but cannot reach the destination (its 5xx).
    Upstream { status: u16, reason: String },
}

/// The direct path, tried once when the proxied one failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direct {
    /// The destination accepts TCP connections at this address.
    Reached(SocketAddr),
    /// It does not either (why).
    Failed(String),
}

/// A failure on the proxied path: which proxy, which destination, what, and whether the
/// direct path works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    pub proxy: Proxy,
    /// `host:port` asked for.
    pub target: String,
    /// The proxy address that answered, when one did.
    pub addr: Option<SocketAddr>,
    pub problem: Problem,
    pub direct: Option<Direct>,
}

fn authenticate(a: Option<&String>) -> String {
    a.map(|a| format!(", Proxy-Authenticate: {a}"))
        .unwrap_or_default()
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.proxy.named();
        let t = &self.target;
        match &self.problem {
            Problem::Unresolved(why) => {
                write!(
                    f,
                    "the proxy {p} is unreachable: {} does not resolve: {why}",
                    self.proxy.host
                )?;
            }
            Problem::Connect(tried) => {
                write!(f, "the proxy {p} is unreachable: ")?;
                for (i, (addr, outcome)) in tried.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{addr} {outcome}")?;
                }
            }
            Problem::NoAnswer(why) => write!(
                f,
                "the proxy {p} accepted the connection but gave no answer for {t}: {why}"
            )?,
            Problem::Refused {
                status,
                reason,
                authenticate: a,
            } => write!(
                f,
                "the proxy {p} refuses CONNECT {t}: {status} {reason}{}",
                authenticate(a.as_ref())
            )?,
            Problem::AuthRequired {
                status,
                authenticate: a,
            } => write!(
                f,
                "the proxy {p} requires authentication ({status}{}) and {} carries no credentials",
                authenticate(a.as_ref()),
                self.proxy.variable
            )?,
            Problem::AuthRejected {
                status,
                authenticate: a,
            } => write!(
                f,
                "the proxy {p} rejects the credentials in {} ({status}{})",
                self.proxy.variable,
                authenticate(a.as_ref())
            )?,
            Problem::Upstream { status, reason } => write!(
                f,
                "the proxy {p} answers, but cannot reach {t}: {status} {reason}"
            )?,
        }
        match &self.direct {
            Some(Direct::Reached(a)) => write!(f, "; directly, {a} accepts connections"),
            Some(Direct::Failed(why)) => {
                write!(f, "; directly, {t} does not answer either ({why})")
            }
            None => Ok(()),
        }
    }
}

impl ProxyError {
    /// What to do, in the imperative, with the concrete proxy and destination: fix the
    /// proxy, or bypass it when the master answers directly.
    pub fn remediation(&self) -> String {
        let p = self.proxy.named();
        let t = &self.target;
        let host = t
            .rsplit_once(':')
            .map_or(t.as_str(), |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let fix = match &self.problem {
            Problem::Unresolved(_) | Problem::Connect(_) | Problem::NoAnswer(_) => {
                format!(
                    "start or repair the proxy {p} (or correct {})",
                    self.proxy.variable
                )
            }
            Problem::Refused { status, .. } => format!(
                "allow CONNECT to {t} on the proxy {p} (it answers {status}; e.g. the ports it tunnels to)"
            ),
            Problem::AuthRequired { .. } => format!(
                "give the service the proxy credentials in {} (http://user:password@{}:{})",
                self.proxy.variable, self.proxy.host, self.proxy.port
            ),
            Problem::AuthRejected { .. } => format!(
                "correct the proxy credentials in {}: the proxy {p} rejects them",
                self.proxy.variable
            ),
            Problem::Upstream { status, .. } => format!(
                "fix the route from the proxy {p} to {t} (it answers {status}: DNS or firewall on the proxy's side)"
            ),
        };
        match &self.direct {
            Some(Direct::Reached(a)) => format!(
                "{fix} — or, since the master answers directly at {a}, add {host} to NO_PROXY for the service"
            ),
            Some(Direct::Failed(_)) => format!(
                "{fix}; bypassing the proxy would not help: {t} does not answer directly either"
            ),
            None => format!(
                "{fix}, or add {host} to NO_PROXY for the service if it should be reached directly"
            ),
        }
    }
}

/// Why there is no way through the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// Not sent: the loopback guard.
    NotProbed(String),
    Proxy(Box<ProxyError>),
}

/// `host:port` for a request line (IPv6 in brackets).
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Connect to the proxy: its addresses (literal, the dns check's or the system
/// resolver's), each under `per_address`, all by `by`. The loopback guard refuses a proxy
/// outside loopback, and a destination outside loopback (the proxy would reach it).
pub async fn open(
    proxy: &Proxy,
    target_host: &str,
    target_port: u16,
    facts: &Facts,
    per_address: Duration,
    by: Instant,
) -> Result<(tokio::net::TcpStream, SocketAddr), Fail> {
    if let Err(e) = crate::probe::guard_name(target_host) {
        return Err(Fail::NotProbed(e.to_string()));
    }
    let err = |problem| {
        Fail::Proxy(Box::new(ProxyError {
            proxy: proxy.clone(),
            target: authority(target_host, target_port),
            addr: None,
            problem,
            direct: None,
        }))
    };
    let left = by.saturating_duration_since(Instant::now());
    let ips = match crate::probe::resolve(&proxy.host, facts, left).await {
        Ok((ips, _)) => ips,
        Err(crate::probe::dns::Outcome::NotProbed(why)) => return Err(Fail::NotProbed(why)),
        Err(other) => return Err(err(Problem::Unresolved(other.describe()))),
    };
    let addrs: Vec<SocketAddr> = ips
        .iter()
        .map(|ip| SocketAddr::new(*ip, proxy.port))
        .collect();
    let (stream, failed) = super::connect_any(&addrs, per_address, by).await;
    if let Some(pair) = stream {
        return Ok(pair);
    }
    if let Some(why) = failed.iter().find_map(|(_, o)| match o {
        Outcome::NotProbed(w) => Some(w.clone()),
        _ => None,
    }) && failed
        .iter()
        .all(|(_, o)| matches!(o, Outcome::NotProbed(_)))
    {
        return Err(Fail::NotProbed(why));
    }
    Err(err(Problem::Connect(failed)))
}

/// A tunnel through the proxy to the destination.
pub type Tunnel = TokioIo<hyper::upgrade::Upgraded>;

/// Open a tunnel to `target_host:target_port` through `proxy` (`CONNECT`), with the proxy
/// credentials when its URL carries them; within `by`.
pub async fn tunnel(
    proxy: &Proxy,
    target_host: &str,
    target_port: u16,
    facts: &Facts,
    per_address: Duration,
    by: Instant,
) -> Result<(Tunnel, SocketAddr), Fail> {
    let (stream, addr) = open(proxy, target_host, target_port, facts, per_address, by).await?;
    let target = authority(target_host, target_port);
    let err = |problem| {
        Fail::Proxy(Box::new(ProxyError {
            proxy: proxy.clone(),
            target: target.clone(),
            addr: Some(addr),
            problem,
            direct: None,
        }))
    };
    let mut builder = hyper::client::conn::http1::Builder::new();
    builder.max_buf_size(super::MAX_HEAD.max(8192));
    let handshake =
        tokio::time::timeout_at(by.into(), builder.handshake(TokioIo::new(stream))).await;
    let (mut sender, conn) = match handshake {
        Err(_) => return Err(err(Problem::NoAnswer("no answer in time".into()))),
        Ok(Err(e)) => return Err(err(Problem::NoAnswer(e.to_string()))),
        Ok(Ok(pair)) => pair,
    };
    let driver = super::Abort(tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    }));
    let mut request = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(target.as_str())
        .header(http::header::HOST, target.as_str())
        .header(
            http::header::USER_AGENT,
            concat!("autoglm-doctor/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(v) = proxy.authorization() {
        request = request.header(http::header::PROXY_AUTHORIZATION, v);
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| err(Problem::NoAnswer(format!("cannot build CONNECT: {e}"))))?;
    let response = match tokio::time::timeout_at(by.into(), sender.send_request(request)).await {
        Err(_) => {
            return Err(err(Problem::NoAnswer(
                "no answer to CONNECT in time".into(),
            )));
        }
        Ok(Err(e)) => return Err(err(Problem::NoAnswer(answer_error(&e)))),
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    // The proxy's own words ("Unable to connect") say more than the canonical ones.
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map_or_else(
            || status.canonical_reason().unwrap_or("").to_string(),
            |r| {
                String::from_utf8_lossy(r.as_bytes())
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(80)
                    .collect::<String>()
            },
        );
    if let Some(problem) = judge_status(proxy, status, &reason, response.headers(), true) {
        return Err(err(problem));
    }
    let upgraded = match tokio::time::timeout_at(by.into(), hyper::upgrade::on(response)).await {
        Err(_) => {
            return Err(err(Problem::NoAnswer(
                "the tunnel did not open in time".into(),
            )));
        }
        Ok(Err(e)) => return Err(err(Problem::NoAnswer(e.to_string()))),
        Ok(Ok(u)) => u,
    };
    drop(driver);
    Ok((TokioIo::new(upgraded), addr))
}

fn answer_error(e: &hyper::Error) -> String {
    if e.is_parse() || e.is_parse_status() {
        format!("not an HTTP answer ({e})")
    } else {
        format!("the connection closed ({e})")
    }
}

/// A header's value for messages: printable, at most 120 characters.
fn shown_header(headers: &http::HeaderMap, name: http::header::HeaderName) -> Option<String> {
    headers.get(name).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect()
    })
}

/// The proxy's answer as a problem, if it is one: 407 (credentials required or rejected),
/// the gateway statuses (the proxy cannot reach the destination); for a tunnel, any other
/// non-2xx is a refusal. For a forwarded request, 500 and 503 count as the proxy's only
/// when it marks them (`Proxy-Status`, `X-Squid-Error`): the master may have answered.
pub fn judge_status(
    proxy: &Proxy,
    status: http::StatusCode,
    reason: &str,
    headers: &http::HeaderMap,
    tunnel: bool,
) -> Option<Problem> {
    let authenticate = shown_header(headers, http::header::PROXY_AUTHENTICATE);
    let reason = || reason.to_string();
    let marked = headers.contains_key("proxy-status") || headers.contains_key("x-squid-error");
    match status.as_u16() {
        // A proxy's 401 to CONNECT is about the proxy's credentials too (the master has not
        // been reached); to a forwarded request it may be the master's.
        s @ (407 | 401) if s == 407 || tunnel => Some(if proxy.has_credentials() {
            Problem::AuthRejected {
                status: s,
                authenticate,
            }
        } else {
            Problem::AuthRequired {
                status: s,
                authenticate,
            }
        }),
        502 | 504 => Some(Problem::Upstream {
            status: status.as_u16(),
            reason: reason(),
        }),
        500 | 503 if tunnel || marked => Some(Problem::Upstream {
            status: status.as_u16(),
            reason: reason(),
        }),
        s if tunnel && !(200..300).contains(&s) => Some(Problem::Refused {
            status: s,
            reason: reason(),
            authenticate,
        }),
        _ => None,
    }
}

/// Try the direct path to `host:port` once (a TCP connect), for the advice after the
/// proxied path failed.
pub async fn try_direct(host: &str, port: u16, facts: &Facts, by: Instant) -> Option<Direct> {
    let left = by.saturating_duration_since(Instant::now());
    if left < Duration::from_millis(20) {
        return None;
    }
    let ips = match crate::probe::resolve(host, facts, left).await {
        Ok((ips, _)) => ips,
        Err(crate::probe::dns::Outcome::NotProbed(_)) => return None,
        Err(other) => {
            return Some(Direct::Failed(format!(
                "{host} does not resolve: {}",
                other.describe()
            )));
        }
    };
    let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
    let (stream, failed) = super::connect_any(&addrs, left, by).await;
    match stream {
        Some((_, addr)) => Some(Direct::Reached(addr)),
        None if failed
            .iter()
            .all(|(_, o)| matches!(o, Outcome::NotProbed(_))) =>
        {
            None
        }
        None => Some(Direct::Failed(
            failed
                .iter()
                .map(|(a, o)| format!("{a} {o}"))
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

/// Fill in the direct path of a proxy failure.
pub async fn with_direct(
    mut fail: Fail,
    host: &str,
    port: u16,
    facts: &Facts,
    by: Instant,
) -> Fail {
    if let Fail::Proxy(e) = &mut fail {
        e.direct = try_direct(host, port, facts, by).await;
    }
    fail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn no_proxy_matching() {
        assert!(excluded("*", "m.test").is_some());
        assert!(excluded("localhost, .autoglm.test", "master.autoglm.test").is_some());
        assert!(excluded("autoglm.test", "master.autoglm.test").is_some());
        assert!(excluded("*.autoglm.test", "master.autoglm.test").is_some());
        assert!(excluded("autoglm.test:8443", "master.autoglm.test").is_some());
        assert!(excluded("toglm.test", "master.autoglm.test").is_none());
        assert!(excluded("198.51.100.0/24", "198.51.100.7").is_some());
        assert!(excluded("198.51.100.0/24", "203.0.113.7").is_none());
        assert!(excluded("::1", "[::1]").is_some());
        assert!(excluded("127.0.0.0/8", "127.0.0.1").is_some());
    }

    #[test]
    fn routes_follow_the_variables_of_each_traffic() {
        let e = env(&[("HTTPS_PROXY", "http://p:3128")]);
        assert!(
            matches!(route(&e, Traffic::Https, "m"), Route::Proxy(p) if p.variable == "HTTPS_PROXY" && p.port == 3128)
        );
        assert_eq!(route(&e, Traffic::Http, "m"), Route::Direct);
        assert!(matches!(route(&e, Traffic::Grpc, "m"), Route::Proxy(_)));
        let e = env(&[("HTTPS_PROXY", "http://p:3128"), ("NO_PROXY", "m")]);
        assert_eq!(
            route(&e, Traffic::Https, "m"),
            Route::Excluded {
                variable: "HTTPS_PROXY",
                entry: "m".into()
            }
        );
        // gRPC's own exclusion list wins over NO_PROXY.
        let e = env(&[
            ("https_proxy", "http://p:3128"),
            ("NO_PROXY", "m"),
            ("no_grpc_proxy", "other"),
        ]);
        assert!(matches!(route(&e, Traffic::Grpc, "m"), Route::Proxy(_)));
        let e = env(&[("ALL_PROXY", "socks5://p:1080")]);
        assert!(matches!(
            route(&e, Traffic::Http, "m"),
            Route::Unusable {
                variable: "ALL_PROXY",
                ..
            }
        ));
        let e = env(&[("http_proxy", "p:8080")]);
        assert!(
            matches!(route(&e, Traffic::Http, "m"), Route::Proxy(p) if p.host == "p" && p.port == 8080)
        );
    }

    #[test]
    fn credentials_are_sent_but_never_shown() {
        let p = Proxy::parse("HTTPS_PROXY", "http://svc%40corp:hunter2@proxy.test:3128/").unwrap();
        assert!(p.has_credentials());
        assert_eq!(p.to_string(), "http://<redacted>@proxy.test:3128");
        assert_eq!(p.named(), "HTTPS_PROXY=http://<redacted>@proxy.test:3128");
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("svc"),
            "{debug}"
        );
        let auth = p.authorization().unwrap();
        assert!(auth.is_sensitive());
        // base64("svc@corp:hunter2")
        assert_eq!(auth.to_str().unwrap(), "Basic c3ZjQGNvcnA6aHVudGVyMg==");
        let v6 = Proxy::parse("HTTP_PROXY", "http://[::1]:3128").unwrap();
        assert_eq!(v6.to_string(), "http://[::1]:3128");
        assert!(Proxy::parse("HTTP_PROXY", "http://:3128").is_err());
        assert!(Proxy::parse("HTTP_PROXY", "http://p:port").is_err());
        assert!(Proxy::parse("HTTP_PROXY", "http://::1:3128").is_err());
        let e = Proxy::parse("HTTP_PROXY", "https://u:secret@p:1").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn the_proxys_statuses_are_named() {
        let p = Proxy::parse("HTTPS_PROXY", "http://p:1").unwrap();
        let with = Proxy::parse("HTTPS_PROXY", "http://u:x@p:1").unwrap();
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::PROXY_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"corp\""),
        );
        let s = |n| http::StatusCode::from_u16(n).unwrap();
        assert_eq!(
            judge_status(&p, s(407), "x", &h, true),
            Some(Problem::AuthRequired {
                status: 407,
                authenticate: Some("Basic realm=\"corp\"".into())
            })
        );
        assert!(matches!(
            judge_status(&with, s(407), "x", &h, true),
            Some(Problem::AuthRejected { .. })
        ));
        assert!(matches!(
            judge_status(&p, s(403), "x", &h, true),
            Some(Problem::Refused { status: 403, .. })
        ));
        assert!(matches!(
            judge_status(&p, s(405), "x", &h, true),
            Some(Problem::Refused { status: 405, .. })
        ));
        assert!(matches!(
            judge_status(&p, s(502), "x", &h, false),
            Some(Problem::Upstream { status: 502, .. })
        ));
        assert!(matches!(
            judge_status(&p, s(500), "x", &h, true),
            Some(Problem::Upstream { status: 500, .. })
        ));
        // A forwarded request's 500 is the master's unless the proxy marks it.
        assert_eq!(judge_status(&p, s(500), "x", &h, false), None);
        assert_eq!(judge_status(&p, s(403), "x", &h, false), None);
        assert_eq!(judge_status(&p, s(200), "x", &h, true), None);
    }

    #[test]
    fn the_fix_depends_on_the_direct_path() {
        let e = |direct| ProxyError {
            proxy: Proxy::parse("HTTPS_PROXY", "http://u:s3cr3t-pw@127.0.0.1:9").unwrap(),
            target: "m.test:8443".into(),
            addr: None,
            problem: Problem::Connect(vec![("127.0.0.1:9".parse().unwrap(), Outcome::Refused)]),
            direct,
        };
        let reached = e(Some(Direct::Reached("127.0.0.1:8443".parse().unwrap())));
        assert!(
            reached.remediation().contains("add m.test to NO_PROXY"),
            "{}",
            reached.remediation()
        );
        assert!(
            reached
                .to_string()
                .contains("HTTPS_PROXY=http://<redacted>@127.0.0.1:9 is unreachable"),
            "{reached}"
        );
        let failed = e(Some(Direct::Failed("refused".into())));
        assert!(
            failed.remediation().contains("would not help"),
            "{}",
            failed.remediation()
        );
        for x in [reached, failed, e(None)] {
            assert!(!format!("{x} {}", x.remediation()).contains("s3cr3t"));
        }
    }
}
