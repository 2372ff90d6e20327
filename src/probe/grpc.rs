//! The gRPC health-checking protocol (`grpc.health.v1.Health/Check`) over HTTP/2, with or
//! without TLS (ALPN `h2`), on our own TCP and rustls stream so that every stage that can
//! fail is observed: the connection, the handshake, the protocol the server agreed to, the
//! HTTP/2 exchange, the gRPC status and the serving status.
//!
//! Through a proxy (`grpc_proxy`, `HTTPS_PROXY`, …, as gRPC clients follow them), the same
//! exchange runs inside a `CONNECT` tunnel ([`check_through`]).
//!
//! The two messages are tiny protobufs (one field each) encoded and decoded here; a test
//! against Python's grpcio health server keeps the encoding honest.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use rustls::RootCertStore;
use rustls::pki_types::ServerName;

/// The path of the standard health check.
pub const CHECK_PATH: &str = "/grpc.health.v1.Health/Check";

/// Largest response body read (a health response is a few bytes).
const BODY_CAP: usize = 64 * 1024;

/// `HealthCheckResponse.ServingStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    Unknown,
    Serving,
    NotServing,
    ServiceUnknown,
    Other(u64),
}

impl Serving {
    fn from_wire(v: u64) -> Self {
        match v {
            0 => Self::Unknown,
            1 => Self::Serving,
            2 => Self::NotServing,
            3 => Self::ServiceUnknown,
            n => Self::Other(n),
        }
    }

    /// The protocol's name for the status.
    pub fn name(self) -> String {
        match self {
            Self::Unknown => "UNKNOWN".into(),
            Self::Serving => "SERVING".into(),
            Self::NotServing => "NOT_SERVING".into(),
            Self::ServiceUnknown => "SERVICE_UNKNOWN".into(),
            Self::Other(n) => format!("status {n}"),
        }
    }
}

/// The name of a gRPC status code.
pub fn status_name(code: u32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "an unknown status",
    }
}

/// gRPC status codes the judge names.
pub const STATUS_NOT_FOUND: u32 = 5;
pub const STATUS_UNIMPLEMENTED: u32 = 12;

/// The stage at which a peer stopped answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    TlsHandshake,
    Http2Handshake,
    Response,
    Body,
}

impl Stage {
    pub fn describe(self) -> &'static str {
        match self {
            Self::TlsHandshake => "the TLS handshake",
            Self::Http2Handshake => "the HTTP/2 connection preface",
            Self::Response => "the health request",
            Self::Body => "the rest of the health response",
        }
    }
}

/// What one health check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No TCP connection (or not sent: the loopback guard).
    Connect(super::tcp::Outcome),
    /// The peer answered the TLS handshake with something that is not TLS.
    NotTls(String),
    /// The certificate did not verify.
    Certificate(super::tls::CertProblem),
    /// A TLS alert, no shared version or cipher, or the connection closed during the handshake.
    Handshake(String),
    /// TLS completed, but the server did not select `h2` in ALPN (`None`: no protocol).
    NoH2(Option<String>),
    /// The HTTP/2 connection was refused (closed, GOAWAY, an HTTP/1 answer).
    Http2Refused(String),
    /// Connected, then nothing more within the deadline: a black hole.
    NoResponse(Stage),
    /// An HTTP/2 answer that is not a gRPC response (status, content type).
    NotGrpc { status: u16, content_type: String },
    /// A gRPC status other than OK.
    Status { code: u32, message: String },
    /// OK, with a serving status.
    Health(Serving),
    /// OK, but the body is not a health response.
    Malformed(String),
    /// The proxy that captures the sync port failed.
    Proxy(Box<super::http::proxy::ProxyError>),
}

/// One health check, observed.
#[derive(Debug, Clone)]
pub struct Observation {
    pub outcome: Outcome,
    /// The protocol selected in ALPN (TLS only).
    pub alpn: Option<String>,
    pub took: Duration,
    /// The proxy it went through (`HTTPS_PROXY=http://proxy:3128`, credentials redacted).
    pub via: Option<String>,
}

/// Where and how to ask.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// Host name for SNI, certificate verification and `:authority`.
    pub host: String,
    /// Roots to verify against; `None` for plain-text HTTP/2 (prior knowledge).
    pub tls: Option<Arc<RootCertStore>>,
    pub service: String,
}

/// Encode `HealthCheckRequest { service }` in a gRPC message frame.
pub fn request_frame(service: &str) -> Vec<u8> {
    let mut msg = Vec::new();
    if !service.is_empty() {
        msg.push(0x0a); // field 1, length-delimited
        put_varint(&mut msg, service.len() as u64);
        msg.extend_from_slice(service.as_bytes());
    }
    let mut frame = Vec::with_capacity(5 + msg.len());
    frame.push(0); // not compressed
    frame.extend_from_slice(&u32::try_from(msg.len()).unwrap_or(u32::MAX).to_be_bytes());
    frame.extend_from_slice(&msg);
    frame
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(u8::try_from(v & 0x7f).unwrap_or(0) | 0x80);
        v >>= 7;
    }
    out.push(u8::try_from(v).unwrap_or(0));
}

fn get_varint(buf: &[u8], at: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Decode the message of one gRPC frame (uncompressed) into `HealthCheckResponse.status`.
pub fn decode_response(body: &[u8]) -> Result<Serving, String> {
    let (&flag, rest) = body.split_first().ok_or("empty response body")?;
    if flag != 0 {
        return Err("the response message is compressed (none was offered)".into());
    }
    let len = rest
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or("response frame shorter than its header")?;
    let msg = rest
        .get(4..4 + len as usize)
        .ok_or("response frame shorter than its length")?;
    decode_health(msg)
}

/// Decode `HealthCheckResponse` (field 1, varint); unknown fields are skipped.
pub fn decode_health(msg: &[u8]) -> Result<Serving, String> {
    let mut status = 0;
    let mut at = 0;
    while at < msg.len() {
        let key = get_varint(msg, &mut at).ok_or("truncated field key")?;
        match (key >> 3, key & 7) {
            (1, 0) => status = get_varint(msg, &mut at).ok_or("truncated status")?,
            (_, 0) => {
                get_varint(msg, &mut at).ok_or("truncated varint")?;
            }
            (_, 1) => at += 8,
            (_, 5) => at += 4,
            (_, 2) => {
                let n = get_varint(msg, &mut at).ok_or("truncated length")?;
                at = usize::try_from(n)
                    .ok()
                    .and_then(|n| at.checked_add(n))
                    .ok_or("field length out of range")?;
            }
            (_, w) => return Err(format!("unsupported wire type {w}")),
        }
        if at > msg.len() {
            return Err("truncated field".into());
        }
    }
    Ok(Serving::from_wire(status))
}

/// Aborts the HTTP/2 connection task when the probe ends, whatever way it ends.
struct Task(tokio::task::JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Ask `target` for its health within `timeout`.
pub async fn check(target: &Target, timeout: Duration) -> Observation {
    let start = Instant::now();
    let mut alpn = None;
    let outcome = run(target, timeout, start, &mut alpn).await;
    Observation {
        outcome,
        alpn,
        took: start.elapsed(),
        via: None,
    }
}

/// Ask for the health through `proxy`: a `CONNECT` tunnel to `connect_host` (the master's
/// host) and the target's port, then the same exchange inside it. When the proxy fails,
/// the direct path is tried once for the advice. Returns the proxy address that answered.
pub async fn check_through(
    proxy: &super::http::proxy::Proxy,
    connect_host: &str,
    target: &Target,
    facts: &crate::report::Facts,
    timeout: Duration,
) -> (Option<SocketAddr>, Observation) {
    use super::http::proxy::{Fail, tunnel, with_direct};
    let start = Instant::now();
    let by = start + timeout;
    let port = target.addr.port();
    let mut alpn = None;
    let (addr, outcome) = match tunnel(proxy, connect_host, port, facts, timeout, by).await {
        Err(Fail::NotProbed(why)) => (None, Outcome::Connect(super::tcp::Outcome::NotProbed(why))),
        Err(fail) => match with_direct(fail, connect_host, port, facts, by).await {
            Fail::Proxy(e) => (e.addr, Outcome::Proxy(e)),
            Fail::NotProbed(why) => (None, Outcome::Connect(super::tcp::Outcome::NotProbed(why))),
        },
        Ok((io, addr)) => {
            let left = || timeout.saturating_sub(start.elapsed());
            (Some(addr), over(io, target, left, &mut alpn).await)
        }
    };
    (
        addr,
        Observation {
            outcome,
            alpn,
            took: start.elapsed(),
            via: Some(proxy.named()),
        },
    )
}

async fn run(
    target: &Target,
    timeout: Duration,
    start: Instant,
    alpn: &mut Option<String>,
) -> Outcome {
    let left = || timeout.saturating_sub(start.elapsed());
    let tcp = match super::tcp::open(target.addr, left()).await {
        Err(outcome) => return Outcome::Connect(outcome),
        Ok((stream, _)) => stream,
    };
    over(tcp, target, left, alpn).await
}

/// The health exchange on a connected stream: TLS with ALPN `h2` (or not), then HTTP/2.
async fn over<S>(
    tcp: S,
    target: &Target,
    left: impl Fn() -> Duration,
    alpn: &mut Option<String>,
) -> Outcome
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    match &target.tls {
        None => exchange(tcp, target, "http", left).await,
        Some(roots) => {
            let config = match super::tls::client_config(Arc::clone(roots), &[b"h2"]) {
                Ok(c) => c,
                Err(e) => return Outcome::Handshake(e),
            };
            let name = match ServerName::try_from(target.host.clone()) {
                Ok(n) => n,
                Err(e) => {
                    return Outcome::Handshake(format!(
                        "`{}` is not a valid server name: {e}",
                        target.host
                    ));
                }
            };
            let connector = tokio_rustls::TlsConnector::from(config);
            let tls = match tokio::time::timeout(left(), connector.connect(name, tcp)).await {
                Err(_) => return Outcome::NoResponse(Stage::TlsHandshake),
                Ok(Err(e)) => return tls_error(&e),
                Ok(Ok(s)) => s,
            };
            let selected = tls
                .get_ref()
                .1
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            alpn.clone_from(&selected);
            if selected.as_deref() != Some("h2") {
                return Outcome::NoH2(selected);
            }
            exchange(tls, target, "https", left).await
        }
    }
}

fn tls_error(e: &std::io::Error) -> Outcome {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(c)) => {
            Outcome::Certificate(super::tls::classify_cert(c))
        }
        Some(rustls::Error::InvalidMessage(m)) => Outcome::NotTls(format!("{m:?}")),
        Some(other) => Outcome::Handshake(other.to_string()),
        None => Outcome::Handshake(e.to_string()),
    }
}

async fn exchange<S>(io: S, target: &Target, scheme: &str, left: impl Fn() -> Duration) -> Outcome
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = hyper_util::rt::TokioIo::new(io);
    let handshake = hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
        .max_header_list_size(16 * 1024)
        .handshake::<_, Full<Bytes>>(io);
    let (mut sender, conn) = match tokio::time::timeout(left(), handshake).await {
        Err(_) => return Outcome::NoResponse(Stage::Http2Handshake),
        Ok(Err(e)) => return Outcome::Http2Refused(describe(&e)),
        Ok(Ok(pair)) => pair,
    };
    let _task = Task(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let authority = match target.addr {
        SocketAddr::V6(_) if target.host.parse::<std::net::Ipv6Addr>().is_ok() => {
            format!("[{}]:{}", target.host, target.addr.port())
        }
        _ => format!("{}:{}", target.host, target.addr.port()),
    };
    let request = hyper::Request::post(format!("{scheme}://{authority}{CHECK_PATH}"))
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .header(
            http::header::USER_AGENT,
            concat!("autoglm-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .header("grpc-timeout", format!("{}m", left().as_millis().max(1)))
        .body(Full::new(Bytes::from(request_frame(&target.service))));
    let request = match request {
        Ok(r) => r,
        Err(e) => return Outcome::Handshake(format!("cannot build the request: {e}")),
    };
    let response = match tokio::time::timeout(left(), sender.send_request(request)).await {
        Err(_) => return Outcome::NoResponse(Stage::Response),
        Ok(Err(e)) => return Outcome::Http2Refused(describe(&e)),
        Ok(Ok(r)) => r,
    };
    let (parts, body) = response.into_parts();
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if parts.status != http::StatusCode::OK || !content_type.starts_with("application/grpc") {
        return Outcome::NotGrpc {
            status: parts.status.as_u16(),
            content_type,
        };
    }
    // Trailers-only: the status is in the headers and there is no message.
    if let Some((code, message)) = grpc_status(&parts.headers)
        && code != 0
    {
        return Outcome::Status { code, message };
    }
    let collected = match tokio::time::timeout(left(), Limited::new(body, BODY_CAP).collect()).await
    {
        Err(_) => return Outcome::NoResponse(Stage::Body),
        Ok(Err(e)) => return Outcome::Malformed(format!("reading the response: {e}")),
        Ok(Ok(c)) => c,
    };
    let trailers = collected.trailers().cloned();
    let bytes = collected.to_bytes();
    match trailers.as_ref().and_then(grpc_status) {
        Some((0, _)) => {}
        Some((code, message)) => return Outcome::Status { code, message },
        None if grpc_status(&parts.headers).is_none() => {
            return Outcome::Malformed("the response carries no grpc-status".into());
        }
        None => {}
    }
    match decode_response(&bytes) {
        Ok(s) => Outcome::Health(s),
        Err(e) => Outcome::Malformed(e),
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<(u32, String)> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(crate::encoding::percent_decode)
        .unwrap_or_default();
    Some((code, message.chars().take(200).collect()))
}

fn describe(e: &hyper::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_frames_encode_the_service_name() {
        assert_eq!(request_frame(""), [0, 0, 0, 0, 0]);
        assert_eq!(
            request_frame("sync"),
            [0, 0, 0, 0, 6, 0x0a, 4, b's', b'y', b'n', b'c']
        );
        let long = "s".repeat(200);
        let f = request_frame(&long);
        assert_eq!(&f[..8], &[0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01]);
    }

    #[test]
    fn responses_decode_with_unknown_fields_skipped() {
        assert_eq!(decode_health(&[]), Ok(Serving::Unknown));
        assert_eq!(decode_health(&[0x08, 1]), Ok(Serving::Serving));
        assert_eq!(decode_health(&[0x08, 2]), Ok(Serving::NotServing));
        assert_eq!(decode_health(&[0x08, 3]), Ok(Serving::ServiceUnknown));
        // An unknown string field before the status.
        assert_eq!(
            decode_health(&[0x12, 2, b'h', b'i', 0x08, 1]),
            Ok(Serving::Serving)
        );
        assert!(decode_health(&[0x08]).is_err());
        assert!(decode_health(&[0x12, 9, 1]).is_err());
        assert_eq!(
            decode_response(&[0, 0, 0, 0, 2, 0x08, 1]),
            Ok(Serving::Serving)
        );
        assert!(decode_response(&[1, 0, 0, 0, 2, 0x08, 1]).is_err());
        assert!(decode_response(&[0, 0, 0, 0, 9, 0x08, 1]).is_err());
        assert!(decode_response(&[]).is_err());
    }

    #[test]
    fn grpc_messages_are_percent_decoded() {
        assert_eq!(
            crate::encoding::percent_decode("no%20such%20service"),
            "no such service"
        );
        assert_eq!(crate::encoding::percent_decode("100%"), "100%");
    }
}
