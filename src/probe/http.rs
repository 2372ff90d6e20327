//! A small HTTP/1.1 client for probes: one request per connection, plain or TLS, with a
//! size cap and a deadline on everything it reads. It never follows redirects by itself
//! and never goes through a proxy: the doctor looks at the master directly.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// A parsed `http(s)://host[:port]/path` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Target {
    /// Parse a URL; `path` replaces the URL's path when given.
    pub fn parse(url: &str, path: Option<&str>) -> Result<Self, String> {
        let (scheme, host, port, url_path) = crate::probe::url::split_url(url)
            .ok_or_else(|| format!("`{url}` is not a URL like https://host:port/"))?;
        let tls = match scheme.as_str() {
            "https" => true,
            "http" => false,
            other => return Err(format!("`{url}`: scheme {other} is not http or https")),
        };
        let port = port.unwrap_or(if tls { 443 } else { 80 });
        let path = path.map_or(url_path, str::to_string);
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        Ok(Self {
            tls,
            host,
            port,
            path,
        })
    }

    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{}://{host}:{}{}",
            if self.tls { "https" } else { "http" },
            self.port,
            self.path
        )
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was cut at the size cap.
    pub truncated: bool,
    /// Time to the first byte of the response.
    pub ttfb: Duration,
    pub total: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why there is no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Connect(super::tcp::Outcome),
    /// TLS failed (the tls check says exactly why).
    Tls(String),
    /// Connected, but no complete response in time.
    NoResponse,
    /// The peer answered something that is not HTTP.
    NotHttp(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(o) => write!(f, "TCP connection failed: {o}"),
            Self::Tls(e) => write!(f, "TLS failed: {e}"),
            Self::NoResponse => f.write_str("connected, but no complete response in time"),
            Self::NotHttp(e) => write!(f, "not an HTTP answer: {e}"),
        }
    }
}

/// Send `GET` (or `method`) to `target` at `addr`, trusting `roots` for https.
pub async fn request(
    method: &str,
    target: &Target,
    addr: SocketAddr,
    headers: &[(String, String)],
    roots: Option<rustls::RootCertStore>,
    timeout: Duration,
    max_body: usize,
) -> Result<Response, Failure> {
    if let Err(e) = super::guard(addr.ip()) {
        return Err(Failure::Connect(super::tcp::Outcome::NotProbed(
            e.to_string(),
        )));
    }
    let start = Instant::now();
    let stream = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => return Err(Failure::Connect(super::tcp::Outcome::Filtered)),
        Ok(Err(e)) => return Err(Failure::Connect(super::tcp::classify(&e))),
        Ok(Ok(s)) => s,
    };
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: autoglm-doctor/{}\r\nAccept: */*\r\nConnection: close\r\n",
        target.path,
        host_header(target),
        env!("CARGO_PKG_VERSION")
    );
    for (n, v) in headers {
        head.push_str(n);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let remaining = timeout.saturating_sub(start.elapsed());
    let work = async {
        if target.tls {
            let roots = roots.unwrap_or_else(rustls::RootCertStore::empty);
            let config = super::tls::client_config(roots).map_err(Failure::Tls)?;
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|e| Failure::Tls(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(|e| Failure::Tls(e.to_string()))?;
            exchange(tls, &head, method, start, max_body).await
        } else {
            exchange(stream, &head, method, start, max_body).await
        }
    };
    tokio::time::timeout(remaining, work)
        .await
        .unwrap_or(Err(Failure::NoResponse))
}

fn host_header(t: &Target) -> String {
    let host = if t.host.contains(':') {
        format!("[{}]", t.host)
    } else {
        t.host.clone()
    };
    if (t.tls && t.port == 443) || (!t.tls && t.port == 80) {
        host
    } else {
        format!("{host}:{}", t.port)
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    head: &str,
    method: &str,
    start: Instant,
    max_body: usize,
) -> Result<Response, Failure> {
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| Failure::NotHttp(format!("cannot send the request: {e}")))?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut ttfb = None;
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(Failure::NotHttp("response head larger than 64 KiB".into()));
        }
        let n = s
            .read(&mut chunk)
            .await
            .map_err(|e| Failure::NotHttp(format!("connection failed while reading: {e}")))?;
        if n == 0 {
            return Err(if buf.is_empty() {
                Failure::NotHttp("the connection closed without a response".into())
            } else {
                Failure::NotHttp("the connection closed mid-response".into())
            });
        }
        ttfb.get_or_insert_with(|| start.elapsed());
        buf.extend_from_slice(&chunk[..n]);
        if !buf.starts_with(b"HTTP/") && buf.len() >= 5 {
            return Err(Failure::NotHttp(format!(
                "the answer starts with {:?}, not HTTP/",
                String::from_utf8_lossy(&buf[..buf.len().min(16)])
            )));
        }
    };
    let text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next();
    let status: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Failure::NotHttp(format!("bad status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut rest = buf[head_end..].to_vec();
    let no_body =
        method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status);
    let (body, truncated) = if no_body {
        (Vec::new(), false)
    } else if get("Transfer-Encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        read_all(&mut s, &mut rest, max_body * 2 + 64 * 1024).await;
        dechunk(&rest, max_body)
    } else if let Some(len) = get("Content-Length").and_then(|l| l.trim().parse::<usize>().ok()) {
        read_all(&mut s, &mut rest, len.min(max_body)).await;
        let truncated = len > max_body;
        rest.truncate(len.min(max_body));
        (rest, truncated)
    } else {
        read_all(&mut s, &mut rest, max_body + 1).await;
        let truncated = rest.len() > max_body;
        rest.truncate(max_body);
        (rest, truncated)
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
        truncated,
        ttfb: ttfb.unwrap_or_default(),
        total: start.elapsed(),
    })
}

/// Read until EOF or `limit` bytes.
async fn read_all<S: AsyncRead + Unpin>(s: &mut S, into: &mut Vec<u8>, limit: usize) {
    let mut chunk = [0u8; 8192];
    while into.len() < limit {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => into.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Decode a chunked body (up to `max` bytes).
pub fn dechunk(mut data: &[u8], max: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    while let Some(i) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..i]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        data = &data[i + 2..];
        if size == 0 {
            break;
        }
        let take = size.min(data.len());
        out.extend_from_slice(&data[..take]);
        if out.len() >= max {
            out.truncate(max);
            return (out, true);
        }
        data = data.get(take + 2..).unwrap_or(&[]);
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = Target::parse("https://master.autoglm.test:8443/api", None).unwrap();
        assert_eq!(
            t,
            Target {
                tls: true,
                host: "master.autoglm.test".into(),
                port: 8443,
                path: "/api".into()
            }
        );
        let t = Target::parse("http://[::1]", Some("healthz")).unwrap();
        assert_eq!(
            (t.port, t.path.as_str(), t.url().as_str()),
            (80, "/healthz", "http://[::1]:80/healthz")
        );
        assert!(Target::parse("grpc://x:9090", None).is_err());
        assert!(Target::parse("master:8080", None).is_err());
    }

    #[test]
    fn chunked_bodies_decode_and_cap() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", 100),
            (b"Wikipedia".to_vec(), false)
        );
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", 6),
            (b"Wikipe".to_vec(), true)
        );
        assert_eq!(dechunk(b"zz\r\n", 6), (Vec::new(), false));
    }
}
