//! The simulated master's HTTP API: version negotiation, JWKS, auth parameters, a skewable
//! `Date` header. A deliberately small HTTP/1.1 server (one request per connection) so the
//! behaviour on the wire is exactly what the scenario says.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::ApiOptions;

/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// A parsed request head.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn json(status: u16, reason: &'static str, body: &serde_json::Value) -> Self {
        Self {
            status,
            reason,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: format!("{body}\n"),
        }
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        // Not HTTP (e.g. a TLS ClientHello): answer at once, as web servers do.
        if !buf[0].is_ascii_uppercase() {
            return Some(Request {
                method: "BAD".into(),
                path: String::new(),
                headers: Vec::new(),
            });
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let path = target.split('?').next().unwrap_or(&target).to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        path,
        headers,
    })
}

/// Serve one connection: read a request, answer, close.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, api: &ApiOptions) {
    let Ok(Some(req)) = tokio::time::timeout(Duration::from_secs(5), read_head(&mut stream)).await
    else {
        return;
    };
    let resp = if req.method == "BAD" {
        Response::json(
            400,
            "Bad Request",
            &serde_json::json!({"error": "not an HTTP request"}),
        )
    } else {
        respond(&req, api, SystemTime::now())
    };
    let date = http_date(shift(SystemTime::now(), api.date_offset_ms));
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {date}\r\nServer: open-autoglm-sim\r\nConnection: close\r\nContent-Length: {}\r\n",
        resp.status,
        resp.reason,
        resp.body.len()
    );
    for (n, v) in &resp.headers {
        let _ = write!(head, "{n}: {v}\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    if req.method != "HEAD" {
        let _ = stream.write_all(resp.body.as_bytes()).await;
    }
    let _ = stream.shutdown().await;
}

fn shift(t: SystemTime, offset_ms: i64) -> SystemTime {
    let d = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 {
        t + d
    } else {
        t.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// RFC 9110 IMF-fixdate.
pub fn http_date(t: SystemTime) -> String {
    let dt = chrono::DateTime::<chrono::Utc>::from(t);
    dt.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Parse `2.5`, `v3.0.1` into (major, minor, patch).
pub fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let s = s.trim().trim_start_matches('v');
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// Decide the answer to a request (pure: tested without sockets).
pub fn respond(req: &Request, api: &ApiOptions, now: SystemTime) -> Response {
    let now = shift(now, api.date_offset_ms);
    let mut resp = if api.retired_paths.contains(&req.path) {
        let sunset = http_date(now - Duration::from_secs(86_400 * 30));
        Response::json(
            410,
            "Gone",
            &serde_json::json!({"error": "endpoint retired", "path": req.path}),
        )
        .with("Sunset", sunset)
        .with("Link", "</api/v3/sync>; rel=\"successor-version\"")
    } else if api.unavailable_paths.contains(&req.path) {
        Response::json(
            503,
            "Service Unavailable",
            &serde_json::json!({"error": "temporarily unavailable"}),
        )
        .with("Retry-After", "30")
    } else if let Some((_, to)) = api.redirects.iter().find(|(from, _)| *from == req.path) {
        Response::json(302, "Found", &serde_json::json!({"location": to}))
            .with("Location", to.clone())
    } else {
        match req.path.as_str() {
            "/api/version" => version(req, api),
            "/.well-known/jwks.json" => {
                Response::json(200, "OK", &serde_json::json!({"keys": api.jwks}))
            }
            "/api/auth/params" => Response::json(200, "OK", &api.auth_params),
            "/healthz" => Response::json(200, "OK", &serde_json::json!({"status": "ok"})),
            _ => Response::json(
                404,
                "Not Found",
                &serde_json::json!({"error": "not found", "path": req.path}),
            ),
        }
    };
    if let Some(days) = api.deprecation_in_days {
        let at = now + Duration::from_secs(86_400 * days);
        let unix = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        resp = resp.with("Deprecation", format!("@{unix}"));
    }
    if let Some(days) = api.sunset_in_days {
        let at = now + Duration::from_secs(86_400 * days);
        resp = resp.with("Sunset", http_date(at)).with(
            "Link",
            "<https://master.autoglm.test/docs/migration>; rel=\"sunset\"",
        );
    }
    resp
}

fn version(req: &Request, api: &ApiOptions) -> Response {
    let body = serde_json::json!({
        "server_version": api.server_version,
        "supported": {"min": api.min_client_version, "max": api.max_client_version},
    });
    let Some(client) = req.header("X-API-Version") else {
        return Response::json(400, "Bad Request", &serde_json::json!({"error": "missing X-API-Version header", "server_version": api.server_version}))
            .with("X-API-Version", api.server_version.clone());
    };
    let (Some(c), Some(min), Some(max)) = (
        parse_version(client),
        parse_version(&api.min_client_version),
        parse_version(&api.max_client_version),
    ) else {
        return Response::json(
            400,
            "Bad Request",
            &serde_json::json!({"error": "unparseable X-API-Version", "got": client}),
        );
    };
    if c < min {
        return Response::json(
            426,
            "Upgrade Required",
            &serde_json::json!({
                "error": "client API version too old",
                "client_version": client,
                "server_version": api.server_version,
                "min_client_version": api.min_client_version,
            }),
        )
        .with("X-API-Version", api.server_version.clone())
        .with("X-API-Min-Version", api.min_client_version.clone())
        .with(
            "Upgrade",
            format!("open-autoglm-api/{}", api.min_client_version),
        );
    }
    // A client newer than the server's range is answered 200 with the server's range: the
    // client is expected to notice (the doctor's api check judges it).
    let _ = max;
    Response::json(200, "OK", &body).with("X-API-Version", api.server_version.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, version: Option<&str>) -> Request {
        Request {
            method: "GET".into(),
            path: path.into(),
            headers: version
                .map(|v| vec![("x-api-version".to_string(), v.to_string())])
                .unwrap_or_default(),
        }
    }

    #[test]
    fn negotiates_versions() {
        let api = ApiOptions::default();
        assert_eq!(
            respond(&req("/api/version", Some("3.1")), &api, SystemTime::now()).status,
            200
        );
        let old = respond(&req("/api/version", Some("2.5")), &api, SystemTime::now());
        assert_eq!(old.status, 426);
        assert!(
            old.headers
                .contains(&("X-API-Min-Version".into(), api.min_client_version.clone()))
        );
        assert_eq!(
            respond(&req("/api/version", None), &api, SystemTime::now()).status,
            400
        );
        assert_eq!(
            respond(&req("/nope", Some("3.0")), &api, SystemTime::now()).status,
            404
        );
    }

    #[test]
    fn retired_paths_and_deprecation() {
        let api = ApiOptions {
            retired_paths: vec!["/api/v2/sync".into()],
            sunset_in_days: Some(10),
            deprecation_in_days: Some(0),
            ..ApiOptions::default()
        };
        let r = respond(&req("/api/v2/sync", Some("3.0")), &api, SystemTime::now());
        assert_eq!(r.status, 410);
        let api = ApiOptions {
            unavailable_paths: vec!["/down".into()],
            redirects: vec![("/old".into(), "/api/version".into())],
            ..api
        };
        assert_eq!(
            respond(&req("/down", None), &api, SystemTime::now()).status,
            503
        );
        let r = respond(&req("/old", None), &api, SystemTime::now());
        assert_eq!(r.status, 302);
        assert!(
            r.headers
                .contains(&("Location".into(), "/api/version".into()))
        );
        let r = respond(&req("/api/version", Some("3.0")), &api, SystemTime::now());
        assert!(
            r.headers
                .iter()
                .any(|(n, v)| n == "Deprecation" && v.starts_with('@'))
        );
        assert!(
            r.headers
                .iter()
                .any(|(n, v)| n == "Sunset" && v.ends_with(" GMT"))
        );
    }

    #[test]
    fn versions_parse_like_semver_with_defaults() {
        assert_eq!(parse_version("2.5"), Some((2, 5, 0)));
        assert_eq!(parse_version("v3.0.1"), Some((3, 0, 1)));
        assert_eq!(parse_version("3"), Some((3, 0, 0)));
        assert_eq!(parse_version("3.x"), None);
        assert!(parse_version("2.5") < parse_version("3.0"));
    }

    #[test]
    fn dates_are_imf_fixdate() {
        assert_eq!(
            http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }
}
