//! The HTTP endpoint seam: every request the doctor sends to the master goes through here,
//! for the `http`, `api-version`, `clock-http` and `auth-params` kinds alike.
//!
//! Built on hyper's client connections (HTTP/1.1, and HTTP/2 with ALPN `h2` for the gRPC
//! sync port) over the doctor's own TCP and TLS streams, so that it decides, not a client
//! library:
//!
//! - **URLs**: parsed by [`url`] before anything is sent; a control character (CR/LF above
//!   all) anywhere refuses the URL. Credentials in a URL are never sent nor shown.
//! - **Trust**: the CA bundle is loaded by [`crate::probe::tls::load_trust`], the one loader
//!   (`tls` uses it too).
//! - **Addresses**: every address of the host is tried (a literal, the `dns` check's answer,
//!   or the system resolver's), the next one starting when the previous fails or has not
//!   connected within [`STAGGER`]; the exchange says which address answered and why the
//!   others did not.
//! - **Deadlines**: connect (per address), TLS handshake, first byte, whole exchange, all
//!   inside the check's budget ([`Deadlines`]).
//! - **Size**: one cap, [`MAX_BODY`] (256 KiB) of body per response, beyond which the body
//!   is cut (`truncated`) and not read further; response heads are limited to [`MAX_HEAD`].
//! - **Redirects**: followed only as the [`Redirects`] policy allows (same scheme, host and
//!   port by default), at most [`MAX_REDIRECTS`] hops.
//! - **Loopback guard**: `AUTOGLM_DOCTOR_LOOPBACK_ONLY` refuses names and addresses outside
//!   loopback; such a probe is [`Condition::NotProbed`], a skip.
//! - **Failures**: one [`Failure`] enum whose `Display` gives the words, and one mapping,
//!   [`describe`], to status, condition, message and remediation, shared by the four kinds.
//!
//! - **Proxies**: when `HTTPS_PROXY`, `HTTP_PROXY` or `ALL_PROXY` captures the URL (and
//!   NO_PROXY does not exclude it), the request goes through the proxy as the service's
//!   would ([`proxy`]): a `CONNECT` tunnel for https, the absolute form for http, with the
//!   proxy's credentials, which are never shown. A failure on that path names the proxy
//!   and says whether the master answers directly.

pub mod proxy;
pub mod url;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

use super::tcp::Outcome;
use super::tls::{CaError, Trust};
use crate::report::{Facts, Status};
pub use url::{Host, HttpUrl, UrlError, UrlPath};

/// Most of a response body read (the rest is not read: the body is `truncated`).
pub const MAX_BODY: usize = 256 * 1024;
/// Largest response head (status line and headers) accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
/// How long one address may take to connect before the next one is tried alongside.
pub const STAGGER: Duration = Duration::from_millis(250);

/// The HTTP version to speak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    #[default]
    Http1,
    /// HTTP/2: ALPN `h2` over TLS, prior knowledge (h2c) over plain TCP, as gRPC does.
    Http2,
}

/// Which redirects are followed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Redirects {
    /// Only to the same scheme, host and port (the default).
    #[default]
    SameHost,
    /// To any http(s) URL.
    Any,
    /// None: the redirect is the answer.
    Never,
}

/// One request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: http::Method,
    pub url: HttpUrl,
    /// Further headers (`Host`, `User-Agent` and `Accept` are set by the seam).
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub body: Bytes,
    pub protocol: Protocol,
}

impl Request {
    /// `GET url` over HTTP/1.1.
    pub fn get(url: HttpUrl) -> Self {
        Self {
            method: http::Method::GET,
            url,
            headers: Vec::new(),
            body: Bytes::new(),
            protocol: Protocol::Http1,
        }
    }

    /// Add a header whose name and value come from the configuration; refused (without
    /// repeating the value) when either is not valid in HTTP.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Failure> {
        let n = http::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Failure::BadRequest(format!("`{}` is not a header name", name.trim())))?;
        let v = http::HeaderValue::from_str(value.trim()).map_err(|_| {
            Failure::BadRequest(format!(
                "the value of header {n} contains a control character or a line break"
            ))
        })?;
        self.headers.push((n, v));
        Ok(self)
    }
}

/// The doctor's deadlines for one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// One address's TCP connect.
    pub connect: Duration,
    /// The TLS handshake.
    pub handshake: Duration,
    /// From sending the request to the response head.
    pub first_byte: Duration,
    /// Everything, redirects included.
    pub whole: Duration,
}

impl Deadlines {
    /// The phases of one exchange within `budget`: an address may take half of it to
    /// connect (so a second address still has its turn), the handshake half, the answer
    /// whatever is left.
    pub fn within(budget: Duration) -> Self {
        Self {
            connect: budget / 2,
            handshake: budget / 2,
            first_byte: budget,
            whole: budget,
        }
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// `HTTP/1.1` or `HTTP/2`.
    pub version: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_BODY`] and was cut.
    pub truncated: bool,
    /// Trailers (HTTP/2, e.g. `grpc-status`).
    pub trailers: Vec<(String, String)>,
    /// This node's clock when the request was sent.
    pub sent: SystemTime,
    /// From sending the request to the response head.
    pub ttfb: Duration,
    /// The whole exchange, connect included.
    pub total: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why there is no response: the words of every HTTP kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The CA bundle cannot be used.
    CaUnreadable(CaError),
    /// The loopback guard refused the name or every address.
    NotProbed(String),
    /// The request could not be built from the configuration.
    BadRequest(String),
    /// The host has no address.
    Unresolved { host: String, why: String },
    /// No address accepted a TCP connection: each address with its outcome.
    Connect(Vec<(SocketAddr, Outcome)>),
    /// The TLS handshake failed (the `tls` check says exactly why).
    Tls(String),
    /// Connected, but no response head in time.
    NoResponse,
    /// The head came, but the body did not complete in time (a trickling server).
    Incomplete { received: usize },
    /// The connection closed before a complete response.
    Closed,
    /// The peer answered something that is not HTTP (or not the HTTP version asked for).
    NotHttp(String),
    /// The proxy that captures the URL failed (unreachable, refused, wants credentials,
    /// cannot reach the master).
    Proxy(Box<proxy::ProxyError>),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CaUnreadable(e) => write!(f, "{e}"),
            Self::NotProbed(why) => write!(f, "not probed: {why}"),
            Self::BadRequest(why) => write!(f, "the request cannot be sent: {why}"),
            Self::Unresolved { host, why } => write!(f, "{host} does not resolve: {why}"),
            Self::Connect(tried) => {
                f.write_str("TCP connection failed: ")?;
                for (i, (addr, outcome)) in tried.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{addr} {outcome}")?;
                }
                Ok(())
            }
            Self::Tls(e) => write!(f, "TLS failed: {e}"),
            Self::NoResponse => f.write_str("connected, but no response in time"),
            Self::Incomplete { received } => write!(
                f,
                "the response did not complete in time ({received} bytes of the body received): a hung or trickling server"
            ),
            Self::Closed => f.write_str("the connection closed without a complete response"),
            Self::NotHttp(e) => write!(f, "not an HTTP answer: {e}"),
            Self::Proxy(e) => write!(f, "{e}"),
        }
    }
}

/// The condition of a failure: the second half of the code each HTTP kind reports
/// (`<kind>.<condition>`), one name for one meaning across kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    CaUnreadable,
    NotProbed,
    BadUrl,
    Unresolved,
    ConnectionFailed,
    TlsFailed,
    NoResponse,
    NotHttp,
    ProxyUnreachable,
    ProxyRefused,
    ProxyAuthRequired,
    ProxyAuthRejected,
    ProxyUpstream,
}

impl Condition {
    pub const ALL: [Self; 13] = [
        Self::CaUnreadable,
        Self::NotProbed,
        Self::BadUrl,
        Self::Unresolved,
        Self::ConnectionFailed,
        Self::TlsFailed,
        Self::NoResponse,
        Self::NotHttp,
        Self::ProxyUnreachable,
        Self::ProxyRefused,
        Self::ProxyAuthRequired,
        Self::ProxyAuthRejected,
        Self::ProxyUpstream,
    ];

    /// The kebab-case name used in codes.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CaUnreadable => "ca-unreadable",
            Self::NotProbed => "not-probed",
            Self::BadUrl => "bad-url",
            Self::Unresolved => "unresolved",
            Self::ConnectionFailed => "connection-failed",
            Self::TlsFailed => "tls-failed",
            Self::NoResponse => "no-response",
            Self::NotHttp => "not-http",
            Self::ProxyUnreachable => "proxy-unreachable",
            Self::ProxyRefused => "proxy-refused",
            Self::ProxyAuthRequired => "proxy-auth-required",
            Self::ProxyAuthRejected => "proxy-auth-rejected",
            Self::ProxyUpstream => "proxy-upstream-failed",
        }
    }

    /// The status it is reported with: a refused probe is a skip, the rest fail.
    pub const fn status(self) -> Status {
        match self {
            Self::NotProbed => Status::Skip,
            _ => Status::Fail,
        }
    }

    /// One line for the code tables (`explain`).
    pub const fn summary(self) -> &'static str {
        match self {
            Self::CaUnreadable => {
                "The configured CA bundle cannot be read or holds no certificate."
            }
            Self::NotProbed => {
                "Not sent: AUTOGLM_DOCTOR_LOOPBACK_ONLY confines probes to loopback."
            }
            Self::BadUrl => {
                "The URL, a path or a header is not valid: refused before anything is sent."
            }
            Self::Unresolved => "The master's host name did not resolve to any address.",
            Self::ConnectionFailed => {
                "No address of the master accepted a TCP connection (see the tcp check)."
            }
            Self::TlsFailed => "The TLS handshake failed (the tls check says why).",
            Self::NoResponse => {
                "Connected, but no complete response within the timeout (a hung or trickling server), or the connection closed."
            }
            Self::NotHttp => "The peer answered something that is not HTTP.",
            Self::ProxyUnreachable => {
                "The proxy that captures the master's traffic (HTTP(S)_PROXY, ALL_PROXY) does not resolve, accept connections or answer."
            }
            Self::ProxyRefused => {
                "The proxy that captures the master's traffic refuses to open a tunnel (CONNECT) to the master: its status is named."
            }
            Self::ProxyAuthRequired => {
                "The proxy that captures the master's traffic wants credentials (407, or 401 to CONNECT) and the proxy variable carries none."
            }
            Self::ProxyAuthRejected => {
                "The proxy that captures the master's traffic rejects the credentials in the proxy variable (407 or 401 although they were sent)."
            }
            Self::ProxyUpstream => {
                "The proxy answers, but cannot reach the master (its 502/504, or its marked 5xx)."
            }
        }
    }

    /// The general remediation (findings carry a concrete one).
    pub const fn remediation(self) -> &'static str {
        match self {
            Self::CaUnreadable => "Point `auth.ca_certificate.path` at a readable PEM bundle.",
            Self::NotProbed => "Unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe this target.",
            Self::BadUrl => {
                "Correct the URL in the node config or the suite (no line breaks, control characters or spaces)."
            }
            Self::Unresolved => "Fix name resolution first (the dns check says why).",
            Self::ConnectionFailed => "Fix the TCP connection first.",
            Self::TlsFailed => "Fix TLS first (the tls check names the problem).",
            Self::NoResponse => "Check the master's load and whatever sits in front of it.",
            Self::NotHttp => "Point `endpoint` at the master's HTTP(S) port.",
            Self::ProxyUnreachable => {
                "Start or repair the proxy named in the message, or add the master's host to NO_PROXY if it answers directly."
            }
            Self::ProxyRefused => {
                "Allow CONNECT to the master's host and port on the proxy, or add the master's host to NO_PROXY if it answers directly."
            }
            Self::ProxyAuthRequired => {
                "Give the service the proxy credentials in its proxy variable (http://user:password@host:port)."
            }
            Self::ProxyAuthRejected => "Correct the proxy credentials in the proxy variable.",
            Self::ProxyUpstream => {
                "Fix the proxy's route to the master, or add the master's host to NO_PROXY if it answers directly."
            }
        }
    }
}

impl Failure {
    pub fn condition(&self) -> Condition {
        match self {
            Self::CaUnreadable(_) => Condition::CaUnreadable,
            Self::NotProbed(_) => Condition::NotProbed,
            Self::BadRequest(_) => Condition::BadUrl,
            Self::Unresolved { .. } => Condition::Unresolved,
            Self::Connect(_) => Condition::ConnectionFailed,
            Self::Tls(_) => Condition::TlsFailed,
            Self::NoResponse | Self::Incomplete { .. } | Self::Closed => Condition::NoResponse,
            Self::NotHttp(_) => Condition::NotHttp,
            Self::Proxy(e) => match e.problem {
                proxy::Problem::Unresolved(_)
                | proxy::Problem::Connect(_)
                | proxy::Problem::NoAnswer(_) => Condition::ProxyUnreachable,
                proxy::Problem::Refused { .. } => Condition::ProxyRefused,
                proxy::Problem::AuthRequired { .. } => Condition::ProxyAuthRequired,
                proxy::Problem::AuthRejected { .. } => Condition::ProxyAuthRejected,
                proxy::Problem::Upstream { .. } => Condition::ProxyUpstream,
            },
        }
    }
}

/// A failure as every HTTP kind reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub status: Status,
    pub condition: Condition,
    pub message: String,
    pub remediation: String,
}

/// The one failure → finding mapping: `url` is what was asked, `addr` the address that
/// answered (when one did).
pub fn describe(url: &HttpUrl, addr: Option<SocketAddr>, failure: &Failure) -> Described {
    if let Failure::Proxy(e) = failure {
        let condition = failure.condition();
        return Described {
            status: condition.status(),
            condition,
            message: format!("{url}: {e}"),
            remediation: e.remediation(),
        };
    }
    let at = addr
        .filter(|a| url.host() != &Host::Ip(a.ip()))
        .map(|a| format!(" (at {a})"))
        .unwrap_or_default();
    let there = addr.map_or_else(|| url.origin(), |a| a.to_string());
    let remediation = match failure {
        Failure::CaUnreadable(e) => e.remediation(),
        Failure::NotProbed(why) if !why.contains(super::LOOPBACK_ONLY_ENV) => {
            "set the proxy variable to an http:// proxy, or add the master's host to NO_PROXY for the doctor's run".into()
        }
        Failure::NotProbed(_) => format!(
            "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe {}",
            url.host_name()
        ),
        Failure::BadRequest(_) => {
            "correct the value in the suite or the node config: no line breaks or control characters".into()
        }
        Failure::Unresolved { host, .. } => {
            format!("fix name resolution of {host} first (see the dns check)")
        }
        Failure::Connect(tried) => format!(
            "fix the TCP connection to {} first (see the tcp check)",
            tried
                .iter()
                .map(|(a, _)| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Failure::Tls(_) => {
            "fix TLS first: the tls check names the certificate or handshake problem".into()
        }
        Failure::NoResponse | Failure::Incomplete { .. } | Failure::Closed => format!(
            "check the master's load and whatever sits in front of {there} (a hung or trickling server, a proxy or load balancer)"
        ),
        Failure::NotHttp(_) => format!(
            "point `endpoint` at the master's HTTP{} port",
            if url.is_https() { "S" } else { "" }
        ),
        Failure::Proxy(e) => e.remediation(),
    };
    let condition = failure.condition();
    Described {
        status: condition.status(),
        condition,
        message: format!("{url}{at}: {failure}"),
        remediation,
    }
}

/// Where and how requests are sent.
#[derive(Debug, Clone)]
pub struct Client<'a> {
    /// Trusted CAs for https (`None`: an https URL fails with an unreadable CA).
    pub trust: Option<Arc<Trust>>,
    /// Connect here instead of resolving the URL's host (only for that host).
    pub address: Option<IpAddr>,
    /// Facts of the checks run so far (the `dns` check's addresses).
    pub facts: &'a Facts,
    pub deadlines: Deadlines,
    pub redirects: Redirects,
    /// The environment whose proxy variables the request follows, as the service's would.
    pub env: &'a super::env::Env,
}

/// One request's journey: the URLs it went through, the address that answered, and the
/// answer or why there is none.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The URL of the final answer.
    pub url: HttpUrl,
    /// The URLs redirected through, in order.
    pub redirects: Vec<HttpUrl>,
    /// Why a redirect in the final answer was not followed.
    pub unfollowed: Option<String>,
    /// The address that answered.
    pub addr: Option<SocketAddr>,
    /// Where the addresses came from (a literal, the dns check, the system resolver).
    pub addresses_from: &'static str,
    /// Addresses that did not connect before one did.
    pub failed: Vec<(SocketAddr, Outcome)>,
    /// The proxy the request went through (`HTTPS_PROXY=http://proxy:3128`, credentials
    /// redacted), when one captured it; `addr` is then the proxy's.
    pub proxy: Option<String>,
    pub result: Result<Response, Failure>,
}

impl Exchange {
    /// Where the answer came from, for messages: ` (at ADDR)` when the URL does not name
    /// the address, ` (through HTTPS_PROXY=…)` through a proxy; empty otherwise.
    pub fn at(&self) -> String {
        if let Some(p) = &self.proxy {
            return format!(" (through {p})");
        }
        self.addr
            .filter(|a| self.url.host() != &Host::Ip(a.ip()))
            .map(|a| format!(" (at {a})"))
            .unwrap_or_default()
    }
}

impl Client<'_> {
    /// Send `request`, following the redirects the policy allows.
    pub async fn send(&self, request: Request) -> Exchange {
        let start = Instant::now();
        let deadline = start + self.deadlines.whole;
        let origin = request.url.clone();
        let mut request = request;
        let mut redirects = Vec::new();
        loop {
            let mut hop = self.send_once(&request, &origin, deadline).await;
            let location = match &hop.result {
                Ok(r) if matches!(r.status, 301 | 302 | 303 | 307 | 308) => {
                    r.header("Location").map(str::to_string)
                }
                _ => None,
            };
            let Some(location) = location else {
                hop.redirects = redirects;
                return hop;
            };
            match follow(
                self.redirects,
                &request.url,
                &location,
                &origin,
                redirects.len(),
            ) {
                Ok(next) => {
                    redirects.push(request.url.clone());
                    if hop.result.as_ref().is_ok_and(|r| r.status == 303) {
                        request.method = http::Method::GET;
                        request.body = Bytes::new();
                    }
                    request.url = next;
                }
                Err(why) => {
                    hop.redirects = redirects;
                    hop.unfollowed = Some(why);
                    return hop;
                }
            }
        }
    }

    async fn send_once(&self, request: &Request, origin: &HttpUrl, deadline: Instant) -> Exchange {
        let url = request.url.clone();
        let mut exchange = Exchange {
            url: url.clone(),
            redirects: Vec::new(),
            unfollowed: None,
            addr: None,
            addresses_from: "",
            failed: Vec::new(),
            proxy: None,
            result: Err(Failure::NoResponse),
        };
        let trust = if url.is_https() {
            let Some(t) = &self.trust else {
                exchange.result = Err(Failure::CaUnreadable(CaError::NoBundle));
                return exchange;
            };
            Some(Arc::clone(t))
        } else {
            None
        };
        let traffic = if url.is_https() {
            proxy::Traffic::Https
        } else {
            proxy::Traffic::Http
        };
        match proxy::route(self.env, traffic, &url.host_name()) {
            proxy::Route::Proxy(p) => {
                let host = match (self.address, url.same_origin(origin)) {
                    (Some(ip), true) => ip.to_string(),
                    _ => url.host_name(),
                };
                exchange.addresses_from = "the proxy";
                exchange.proxy = Some(p.named());
                let (addr, result) = self
                    .through(&p, &host, request, trust.as_deref(), deadline)
                    .await;
                exchange.addr = addr;
                exchange.result = match result {
                    Err(proxy::Fail::NotProbed(why)) => Err(Failure::NotProbed(why)),
                    Err(fail @ proxy::Fail::Proxy(_)) => {
                        match proxy::with_direct(fail, &host, url.port(), self.facts, deadline)
                            .await
                        {
                            proxy::Fail::Proxy(e) => Err(Failure::Proxy(e)),
                            proxy::Fail::NotProbed(why) => Err(Failure::NotProbed(why)),
                        }
                    }
                    Ok(r) => r,
                };
                return exchange;
            }
            proxy::Route::Unusable { variable, why } => {
                exchange.result = Err(Failure::NotProbed(format!(
                    "{variable} captures {}, but the doctor cannot go through it: {why}",
                    url.origin()
                )));
                return exchange;
            }
            proxy::Route::Direct | proxy::Route::Excluded { .. } => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let (ips, from) = match (self.address, url.same_origin(origin)) {
            (Some(ip), true) => (vec![ip], "the check's `address`"),
            _ => match super::resolve(&url.host_name(), self.facts, left).await {
                Ok(found) => found,
                Err(super::dns::Outcome::NotProbed(why)) => {
                    exchange.result = Err(Failure::NotProbed(why));
                    return exchange;
                }
                Err(other) => {
                    exchange.result = Err(Failure::Unresolved {
                        host: url.host_name(),
                        why: other.describe(),
                    });
                    return exchange;
                }
            },
        };
        exchange.addresses_from = from;
        let addrs: Vec<SocketAddr> = ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, url.port()))
            .collect();
        let connect_start = Instant::now();
        let (stream, failed) = connect_any(&addrs, self.deadlines.connect, deadline).await;
        let Some((stream, addr)) = stream else {
            exchange.result = Err(
                if !failed.is_empty()
                    && failed
                        .iter()
                        .all(|(_, o)| matches!(o, Outcome::NotProbed(_)))
                {
                    Failure::NotProbed(
                        failed
                            .iter()
                            .find_map(|(_, o)| match o {
                                Outcome::NotProbed(why) => Some(why.clone()),
                                _ => None,
                            })
                            .unwrap_or_default(),
                    )
                } else {
                    Failure::Connect(failed)
                },
            );
            return exchange;
        };
        exchange.addr = Some(addr);
        exchange.failed = failed;
        exchange.result = match trust {
            None => {
                exchange_on(
                    stream,
                    request,
                    &self.deadlines,
                    deadline,
                    connect_start,
                    None,
                )
                .await
            }
            Some(trust) => {
                let handshake_by = deadline.min(Instant::now() + self.deadlines.handshake);
                match tls_connect(stream, &url, &trust, request.protocol, handshake_by).await {
                    Ok(tls) => {
                        exchange_on(tls, request, &self.deadlines, deadline, connect_start, None)
                            .await
                    }
                    Err(f) => Err(f),
                }
            }
        };
        exchange
    }

    /// Send `request` through `p` to `host` (the URL's host, or the check's `address`): a
    /// tunnel for https and HTTP/2, the absolute form for http. A proxy failure comes back
    /// as such (the caller adds the direct path); the master's answer, or its failure
    /// inside the tunnel, as the exchange's result.
    async fn through(
        &self,
        p: &proxy::Proxy,
        host: &str,
        request: &Request,
        trust: Option<&Trust>,
        deadline: Instant,
    ) -> (
        Option<SocketAddr>,
        Result<Result<Response, Failure>, proxy::Fail>,
    ) {
        let url = &request.url;
        let start = Instant::now();
        if url.is_https() || request.protocol == Protocol::Http2 {
            let (io, addr) = match proxy::tunnel(
                p,
                host,
                url.port(),
                self.facts,
                self.deadlines.connect,
                deadline,
            )
            .await
            {
                Ok(pair) => pair,
                Err(f) => return (None, Err(f)),
            };
            let result = match trust {
                None => exchange_on(io, request, &self.deadlines, deadline, start, None).await,
                Some(trust) => {
                    let by = deadline.min(Instant::now() + self.deadlines.handshake);
                    match tls_connect(io, url, trust, request.protocol, by).await {
                        Ok(tls) => {
                            exchange_on(tls, request, &self.deadlines, deadline, start, None).await
                        }
                        // The tls check looks directly; inside the tunnel a proxy that
                        // intercepts TLS shows its own certificate.
                        Err(Failure::Tls(e)) => Err(Failure::Tls(format!(
                            "{e} (inside the tunnel through {}: a proxy that intercepts TLS presents its own certificate)",
                            p.named()
                        ))),
                        Err(f) => Err(f),
                    }
                }
            };
            return (Some(addr), Ok(result));
        }
        let (stream, addr) = match proxy::open(
            p,
            host,
            url.port(),
            self.facts,
            self.deadlines.connect,
            deadline,
        )
        .await
        {
            Ok(pair) => pair,
            Err(f) => return (None, Err(f)),
        };
        let result = exchange_on(stream, request, &self.deadlines, deadline, start, Some(p)).await;
        if let Ok(r) = &result {
            let mut headers = http::HeaderMap::new();
            for (n, v) in &r.headers {
                if let (Ok(n), Ok(v)) = (
                    http::HeaderName::from_bytes(n.as_bytes()),
                    http::HeaderValue::from_str(v),
                ) {
                    headers.append(n, v);
                }
            }
            let status = http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::OK);
            if let Some(problem) = proxy::judge_status(p, status, &r.reason, &headers, false) {
                return (
                    Some(addr),
                    Err(proxy::Fail::Proxy(Box::new(proxy::ProxyError {
                        proxy: p.clone(),
                        target: proxy::authority(host, url.port()),
                        addr: Some(addr),
                        problem,
                        direct: None,
                    }))),
                );
            }
        }
        (Some(addr), Ok(result))
    }
}

/// Where a redirect from `from` to `location` leads, if `policy` allows following it
/// (`origin` is the URL first asked, `hops` the redirects followed so far).
pub fn follow(
    policy: Redirects,
    from: &HttpUrl,
    location: &str,
    origin: &HttpUrl,
    hops: usize,
) -> Result<HttpUrl, String> {
    if policy == Redirects::Never {
        return Err("redirects are not followed (`follow_redirects: never`)".into());
    }
    if hops >= MAX_REDIRECTS {
        return Err(format!("more than {MAX_REDIRECTS} redirects"));
    }
    let next = from
        .join(location)
        .map_err(|e| format!("the redirect target is refused: {e}"))?;
    if policy == Redirects::SameHost && !next.same_origin(origin) {
        return Err(format!(
            "{next} is not on {} (set `follow_redirects: any` to follow it)",
            origin.origin()
        ));
    }
    Ok(next)
}

/// Connect to the first address that accepts: each in turn, the next one starting when the
/// previous failed or has not connected within [`STAGGER`]. Returns the stream and its
/// address, and the addresses that failed (with why).
async fn connect_any(
    addrs: &[SocketAddr],
    per_address: Duration,
    deadline: Instant,
) -> (
    Option<(tokio::net::TcpStream, SocketAddr)>,
    Vec<(SocketAddr, Outcome)>,
) {
    let mut failed = Vec::new();
    let mut pending = FuturesUnordered::new();
    let mut next = 0;
    loop {
        if next < addrs.len() && (pending.is_empty() || next == 0) {
            let addr = addrs[next];
            next += 1;
            let limit = per_address.min(deadline.saturating_duration_since(Instant::now()));
            pending.push(attempt(addr, limit));
        }
        if pending.is_empty() {
            return (None, failed);
        }
        let stagger = tokio::time::sleep(STAGGER);
        tokio::select! {
            Some((addr, result)) = pending.next() => match result {
                Ok((stream, _)) => return (Some((stream, addr)), failed),
                Err(outcome) => failed.push((addr, outcome)),
            },
            () = stagger, if next < addrs.len() => {
                let addr = addrs[next];
                next += 1;
                let limit = per_address.min(deadline.saturating_duration_since(Instant::now()));
                pending.push(attempt(addr, limit));
            }
            else => return (None, failed),
        }
    }
}

async fn attempt(
    addr: SocketAddr,
    limit: Duration,
) -> (
    SocketAddr,
    Result<(tokio::net::TcpStream, Duration), Outcome>,
) {
    (addr, super::tcp::open(addr, limit).await)
}

async fn tls_connect<S>(
    stream: S,
    url: &HttpUrl,
    trust: &Trust,
    protocol: Protocol,
    by: Instant,
) -> Result<tokio_rustls::client::TlsStream<S>, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let alpn: &[&[u8]] = match protocol {
        Protocol::Http1 => &[b"http/1.1"],
        Protocol::Http2 => &[b"h2"],
    };
    let config = super::tls::client_config(Arc::clone(&trust.roots), alpn).map_err(Failure::Tls)?;
    let name = rustls::pki_types::ServerName::try_from(url.host_name())
        .map_err(|e| Failure::Tls(format!("{} is not a TLS server name: {e}", url.host_name())))?;
    let tls = match tokio::time::timeout_at(
        by.into(),
        tokio_rustls::TlsConnector::from(config).connect(name, stream),
    )
    .await
    {
        Err(_) => return Err(Failure::Tls("no TLS handshake in time".into())),
        Ok(Err(e)) => return Err(Failure::Tls(e.to_string())),
        Ok(Ok(tls)) => tls,
    };
    if protocol == Protocol::Http2 && tls.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err(Failure::NotHttp(
            "the server did not agree to HTTP/2 (ALPN h2)".into(),
        ));
    }
    Ok(tls)
}

/// The words for a peer whose answer is not HTTP from its first byte (whether it spoke
/// before the request or after).
const NOT_HTTP_START: &str = "the answer does not start with HTTP/";

/// The classification of a hyper error.
fn classify(e: &hyper::Error, head: bool) -> Failure {
    // Bytes before the request was even sent (a banner, a trickler): not an HTTP server.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if text.contains("unexpected message") || text.contains("invalid HTTP version") {
            return Failure::NotHttp(NOT_HTTP_START.into());
        }
        cause = c.source();
    }
    if e.is_parse() || e.is_parse_status() {
        let detail = if e.to_string().contains("too large") {
            format!("the response head is larger than {} KiB", MAX_HEAD / 1024)
        } else {
            e.to_string()
        };
        return Failure::NotHttp(detail);
    }
    if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
        return Failure::Closed;
    }
    if head {
        Failure::NotHttp(e.to_string())
    } else {
        Failure::Closed
    }
}

/// Aborts a spawned connection task when the exchange is over.
struct Abort(tokio::task::JoinHandle<()>);

impl Drop for Abort {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn exchange_on<S>(
    io: S,
    request: &Request,
    deadlines: &Deadlines,
    deadline: Instant,
    start: Instant,
    forward: Option<&proxy::Proxy>,
) -> Result<Response, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    let url = &request.url;
    let mut builder = http::Request::builder().method(request.method.clone());
    if let Some(p) = forward
        && let Some(v) = p.authorization()
    {
        builder = builder.header(http::header::PROXY_AUTHORIZATION, v);
    }
    let (version, mut sender): (&'static str, Sender) = match request.protocol {
        Protocol::Http1 => {
            // To a forward proxy, the absolute form: it connects to the host itself.
            let target = if forward.is_some() {
                format!("http://{}{}", url.authority(), url.target())
            } else {
                url.target().to_string()
            };
            builder = builder
                .uri(target)
                .header(http::header::HOST, url.authority())
                .header(http::header::CONNECTION, "close");
            let mut b = hyper::client::conn::http1::Builder::new();
            b.max_buf_size(MAX_HEAD.max(8192));
            let handshake = tokio::time::timeout_at(deadline.into(), b.handshake(io)).await;
            let (sender, conn) = match handshake {
                Err(_) => return Err(Failure::NoResponse),
                Ok(Err(e)) => return Err(classify(&e, true)),
                Ok(Ok(pair)) => pair,
            };
            let (task, ended) = drive(conn);
            ("HTTP/1.1", Sender::H1(sender, task, ended))
        }
        Protocol::Http2 => {
            let scheme = if url.is_https() { "https" } else { "http" };
            builder = builder.uri(format!("{scheme}://{}{}", url.authority(), url.target()));
            let mut b = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
            b.max_header_list_size(u32::try_from(MAX_HEAD).unwrap_or(u32::MAX));
            let handshake = tokio::time::timeout_at(deadline.into(), b.handshake(io)).await;
            let (sender, conn) = match handshake {
                Err(_) => return Err(Failure::NoResponse),
                Ok(Err(e)) => return Err(classify(&e, true)),
                Ok(Ok(pair)) => pair,
            };
            let (task, ended) = drive(conn);
            ("HTTP/2", Sender::H2(sender, task, ended))
        }
    };
    builder = builder
        .header(
            http::header::USER_AGENT,
            concat!("autoglm-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .header(http::header::ACCEPT, "*/*");
    for (n, v) in &request.headers {
        builder = builder.header(n, v);
    }
    let req = builder
        .body(Full::new(request.body.clone()))
        .map_err(|e| Failure::BadRequest(e.to_string()))?;
    let sent = SystemTime::now();
    let sent_at = Instant::now();
    let head_by = deadline.min(sent_at + deadlines.first_byte);
    let response = match tokio::time::timeout_at(head_by.into(), sender.send(req)).await {
        Err(_) => return Err(Failure::NoResponse),
        Ok(Err(e)) => return Err(sender.why(&e, true).await),
        Ok(Ok(r)) => r,
    };
    let ttfb = sent_at.elapsed();
    let status = response.status();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = response.into_body();
    let mut data = Vec::new();
    let mut truncated = false;
    let mut trailers = Vec::new();
    if request.method != http::Method::HEAD {
        loop {
            let frame = match tokio::time::timeout_at(deadline.into(), body.frame()).await {
                Err(_) => {
                    return Err(Failure::Incomplete {
                        received: data.len(),
                    });
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(sender.why(&e, false).await),
                Ok(Some(Ok(frame))) => frame,
            };
            match frame.into_data() {
                Ok(chunk) => {
                    let room = MAX_BODY - data.len();
                    if chunk.len() > room {
                        data.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    data.extend_from_slice(&chunk);
                }
                Err(frame) => {
                    if let Ok(t) = frame.into_trailers() {
                        trailers = t
                            .iter()
                            .map(|(n, v)| {
                                (
                                    n.as_str().to_string(),
                                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                )
                            })
                            .collect();
                    }
                }
            }
        }
    }
    drop(sender);
    Ok(Response {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        version,
        headers,
        body: data,
        truncated,
        trailers,
        sent,
        ttfb,
        total: start.elapsed(),
    })
}

/// How a connection task ended: its error, if it failed.
type Ended = tokio::sync::oneshot::Receiver<Option<hyper::Error>>;

/// Drive a connection on a task of its own (aborted with the exchange); its error, which
/// says more than the request's "connection closed", comes back on the receiver.
fn drive<C>(conn: C) -> (Abort, Ended)
where
    C: std::future::Future<Output = Result<(), hyper::Error>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = Abort(tokio::spawn(async move {
        let _ = tx.send(conn.await.err());
    }));
    (task, rx)
}

/// A request sender of either version, holding its connection task.
enum Sender {
    H1(
        hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        #[allow(dead_code)] Abort,
        Ended,
    ),
    H2(
        hyper::client::conn::http2::SendRequest<Full<Bytes>>,
        #[allow(dead_code)] Abort,
        Ended,
    ),
}

impl Sender {
    /// Why the exchange failed: the connection's own error when it has one.
    async fn why(&mut self, e: &hyper::Error, head: bool) -> Failure {
        let ended = match self {
            Self::H1(_, _, ended) | Self::H2(_, _, ended) => ended,
        };
        if (e.is_canceled() || e.is_closed() || e.is_incomplete_message())
            && let Ok(Ok(Some(inner))) =
                tokio::time::timeout(Duration::from_millis(200), ended).await
        {
            return classify(&inner, head);
        }
        classify(e, head)
    }

    async fn send(
        &mut self,
        req: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper::Error> {
        match self {
            Self::H1(s, _, _) => s.send_request(req).await,
            Self::H2(s, _, _) => s.send_request(req).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> HttpUrl {
        HttpUrl::parse(s).unwrap()
    }

    #[test]
    fn every_failure_has_one_condition_and_words() {
        let u = url("https://m.test:8443/healthz");
        let a: SocketAddr = "127.0.0.1:8443".parse().unwrap();
        let cases = [
            (
                Failure::CaUnreadable(CaError::NoCertificate("/ca.pem".into())),
                Condition::CaUnreadable,
                "the CA bundle /ca.pem holds no usable certificate",
            ),
            (
                Failure::NotProbed("guard".into()),
                Condition::NotProbed,
                "not probed: guard",
            ),
            (
                Failure::Connect(vec![(a, Outcome::Refused)]),
                Condition::ConnectionFailed,
                "TCP connection failed: 127.0.0.1:8443 refused (nothing listening, or a REJECT rule)",
            ),
            (
                Failure::Tls("bad".into()),
                Condition::TlsFailed,
                "TLS failed: bad",
            ),
            (
                Failure::NoResponse,
                Condition::NoResponse,
                "connected, but no response in time",
            ),
            (
                Failure::Incomplete { received: 3 },
                Condition::NoResponse,
                "did not complete in time (3 bytes",
            ),
            (Failure::Closed, Condition::NoResponse, "closed"),
            (
                Failure::NotHttp("x".into()),
                Condition::NotHttp,
                "not an HTTP answer: x",
            ),
            (
                Failure::BadRequest("x".into()),
                Condition::BadUrl,
                "cannot be sent",
            ),
            (
                Failure::Unresolved {
                    host: "m.test".into(),
                    why: "NXDOMAIN".into(),
                },
                Condition::Unresolved,
                "m.test does not resolve: NXDOMAIN",
            ),
        ];
        for (f, c, words) in cases {
            let d = describe(&u, Some(a), &f);
            assert_eq!(d.condition, c, "{f:?}");
            assert_eq!(d.status, c.status());
            assert!(d.message.contains(words), "{}", d.message);
            assert!(
                d.message
                    .starts_with("https://m.test:8443/healthz (at 127.0.0.1:8443): "),
                "{}",
                d.message
            );
            assert!(!d.remediation.is_empty());
        }
        assert_eq!(Condition::NotProbed.status(), Status::Skip);
    }

    #[test]
    fn condition_names_are_kebab_case_and_distinct() {
        let names: std::collections::BTreeSet<&str> =
            Condition::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Condition::ALL.len());
        for n in names {
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{n}"
            );
        }
    }

    #[test]
    fn no_address_in_the_message_when_the_url_names_it() {
        let u = url("http://127.0.0.1:9/");
        let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let d = describe(&u, Some(a), &Failure::NoResponse);
        assert_eq!(
            d.message,
            "http://127.0.0.1:9/: connected, but no response in time"
        );
    }

    #[test]
    fn redirects_stay_on_the_host_unless_allowed() {
        let origin = url("https://m.test:8443/api/version");
        let same = follow(Redirects::SameHost, &origin, "/api/v3/version", &origin, 0).unwrap();
        assert_eq!(same.to_string(), "https://m.test:8443/api/v3/version");
        let rel = follow(Redirects::SameHost, &origin, "v3", &origin, 0).unwrap();
        assert_eq!(rel.path(), "/api/v3");
        let full = follow(
            Redirects::SameHost,
            &origin,
            "https://m.test:8443/x",
            &origin,
            0,
        )
        .unwrap();
        assert_eq!(full.path(), "/x");
        for other in [
            "https://evil.test:8443/x",
            "http://m.test:8443/x",
            "https://m.test/x",
            "//other.test/x",
        ] {
            assert!(
                follow(Redirects::SameHost, &origin, other, &origin, 0).is_err(),
                "{other}"
            );
            assert!(
                follow(Redirects::Any, &origin, other, &origin, 0).is_ok(),
                "{other}"
            );
        }
        assert!(follow(Redirects::Never, &origin, "/x", &origin, 0).is_err());
        assert!(follow(Redirects::Any, &origin, "ftp://x/", &origin, 0).is_err());
        assert!(follow(Redirects::Any, &origin, "/x\r\nA: b", &origin, 0).is_err());
        let e = follow(Redirects::SameHost, &origin, "/x", &origin, MAX_REDIRECTS).unwrap_err();
        assert!(e.contains("more than 5"), "{e}");
    }

    /// A loopback peer that answers every connection with `reply` and closes.
    fn peer(reply: &'static [u8]) -> SocketAddr {
        peer_first(b"", reply)
    }

    /// A loopback peer that greets with `first`, then reads and answers with `reply`.
    fn peer_first(first: &'static [u8], reply: &'static [u8]) -> SocketAddr {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let _ = s.write_all(first);
                if reply.is_empty() && !first.is_empty() {
                    std::thread::sleep(Duration::from_secs(1));
                    return;
                }
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let _ = s.read(&mut [0u8; 4096]);
                let _ = s.write_all(reply);
            }
        });
        addr
    }

    async fn get(addr: SocketAddr) -> Exchange {
        let facts = Facts::default();
        let client = Client {
            trust: None,
            address: None,
            facts: &facts,
            deadlines: Deadlines::within(Duration::from_secs(3)),
            redirects: Redirects::Never,
            env: &super::super::env::Env::default(),
        };
        client
            .send(Request::get(url(&format!("http://{addr}/"))))
            .await
    }

    #[tokio::test]
    async fn a_peer_that_speaks_no_http_is_named() {
        let x = get(peer(b".")).await;
        assert_eq!(
            x.result.as_ref().unwrap_err().condition(),
            Condition::NotHttp,
            "{x:?}"
        );
        let x = get(peer(b"SSH-2.0-OpenSSH_9.6\r\n")).await;
        assert_eq!(
            x.result.as_ref().unwrap_err().condition(),
            Condition::NotHttp,
            "{x:?}"
        );
        let x = get(peer(b"")).await;
        assert_eq!(x.result.as_ref().unwrap_err(), &Failure::Closed, "{x:?}");
        // A peer that talks first (an SSH or SMTP banner, a trickler's dots).
        let x = get(peer_first(b".", b"...")).await;
        assert_eq!(
            x.result.as_ref().unwrap_err().condition(),
            Condition::NotHttp,
            "{x:?}"
        );
        let x = get(peer_first(b".", b"")).await;
        assert_eq!(
            x.result.as_ref().unwrap_err().condition(),
            Condition::NotHttp,
            "{x:?}"
        );
        let sim = crate::sim::SimMaster::start(crate::sim::Options::default()).unwrap();
        let x = get(sim.addrs.trickle).await;
        assert_eq!(
            x.result.as_ref().unwrap_err().condition(),
            Condition::NotHttp,
            "{x:?}"
        );
        let x = get(peer(b"HTTP/1.1 204 No Content\r\n\r\n")).await;
        assert_eq!(x.result.as_ref().unwrap().status, 204, "{x:?}");
    }

    #[tokio::test]
    async fn http2_with_prior_knowledge_reads_body_and_trailers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let mut conn = h2::server::handshake(sock).await.unwrap();
            while let Some(Ok((req, mut respond))) = conn.accept().await {
                assert_eq!(req.uri().path(), "/grpc.health.v1.Health/Check");
                let head = http::Response::builder()
                    .status(200)
                    .header("content-type", "application/grpc")
                    .body(())
                    .unwrap();
                let mut send = respond.send_response(head, false).unwrap();
                send.send_data(Bytes::from_static(b"\0\0\0\0\x02\x08\x01"), false)
                    .unwrap();
                let mut trailers = http::HeaderMap::new();
                trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
                send.send_trailers(trailers).unwrap();
            }
        });
        let facts = Facts::default();
        let client = Client {
            trust: None,
            address: None,
            facts: &facts,
            deadlines: Deadlines::within(Duration::from_secs(3)),
            redirects: Redirects::Never,
            env: &super::super::env::Env::default(),
        };
        let request = Request {
            method: http::Method::POST,
            url: url(&format!("http://{addr}/grpc.health.v1.Health/Check")),
            headers: vec![(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/grpc"),
            )],
            body: Bytes::from_static(b"\0\0\0\0\0"),
            protocol: Protocol::Http2,
        };
        let x = client.send(request).await;
        let r = x.result.unwrap();
        assert_eq!((r.status, r.version), (200, "HTTP/2"));
        assert_eq!(r.body, b"\0\0\0\0\x02\x08\x01");
        assert_eq!(r.trailer("grpc-status"), Some("0"));
        server.abort();
    }

    /// A loopback forward proxy that answers `reply` and hands back the request head it got.
    fn recording_proxy(reply: &'static [u8]) -> (SocketAddr, std::sync::mpsc::Receiver<String>) {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
                let _ = s.write_all(reply);
            }
        });
        (addr, rx)
    }

    async fn get_via(proxy: &str, url_text: &str) -> Exchange {
        let facts = Facts::default();
        let env = super::super::env::Env::from_pairs([("HTTP_PROXY", proxy)]);
        let client = Client {
            trust: None,
            address: None,
            facts: &facts,
            deadlines: Deadlines::within(Duration::from_secs(3)),
            redirects: Redirects::Never,
            env: &env,
        };
        client.send(Request::get(url(url_text))).await
    }

    #[tokio::test]
    async fn plain_http_is_forwarded_in_absolute_form_with_the_proxy_credentials() {
        let (addr, head) =
            recording_proxy(b"HTTP/1.1 200 OK\r\nVia: 1.1 p\r\nContent-Length: 2\r\n\r\nok");
        let x = get_via(
            &format!("http://u:s3cret@{addr}"),
            "http://localhost:81/x?y=1",
        )
        .await;
        let head = head.recv_timeout(Duration::from_secs(3)).unwrap();
        assert!(
            head.starts_with("GET http://localhost:81/x?y=1 HTTP/1.1\r\n"),
            "{head}"
        );
        // base64("u:s3cret")
        assert!(
            head.to_ascii_lowercase()
                .contains("proxy-authorization: basic dtpzm2nyzxq=\r\n"),
            "{head}"
        );
        assert_eq!(x.result.as_ref().unwrap().status, 200, "{x:?}");
        assert_eq!(x.addr, Some(addr));
        assert_eq!(
            x.proxy.as_deref(),
            Some(format!("HTTP_PROXY=http://<redacted>@{addr}").as_str())
        );
        assert!(
            x.at()
                .contains("through HTTP_PROXY=http://<redacted>@127.0.0.1"),
            "{}",
            x.at()
        );
    }

    #[tokio::test]
    async fn the_proxys_407_and_502_to_a_forwarded_request_are_its_failures() {
        let (addr, _head) = recording_proxy(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n",
        );
        let x = get_via(&format!("http://{addr}"), "http://localhost:81/").await;
        let f = x.result.as_ref().unwrap_err();
        assert_eq!(f.condition(), Condition::ProxyAuthRequired, "{x:?}");
        let d = describe(&x.url, x.addr, f);
        assert!(
            d.message
                .contains("Proxy-Authenticate: Basic realm=\"corp\""),
            "{}",
            d.message
        );
        let (addr, _head) =
            recording_proxy(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        let x = get_via(&format!("http://{addr}"), "http://localhost:81/").await;
        assert_eq!(
            x.result.as_ref().unwrap_err().condition(),
            Condition::ProxyUpstream,
            "{x:?}"
        );
        // A dead proxy: unreachable, named with its address.
        let dead = crate::sim::tcp::refused_addr().unwrap();
        let x = get_via(&format!("http://{dead}"), "http://localhost:81/").await;
        let f = x.result.as_ref().unwrap_err();
        assert_eq!(f.condition(), Condition::ProxyUnreachable, "{x:?}");
        assert!(
            f.to_string()
                .contains(&format!("HTTP_PROXY=http://{dead} is unreachable")),
            "{f}"
        );
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        let r = Request::get(url("http://m.test/"));
        let e = r.clone().header("X-Test", "a\r\nEvil: 1").unwrap_err();
        assert_eq!(e.condition(), Condition::BadUrl);
        assert!(!e.to_string().contains("Evil"), "{e}");
        assert!(r.header("Bad Name", "x").is_err());
    }
}
