//! The URLs the doctor sends requests to, parsed strictly before anything is sent.
//!
//! A URL or path from a config file or a suite is refused when it holds a control
//! character (CR/LF above all: written onto the wire, a line break in a path starts a second
//! request), white space or an invisible formatting character. Credentials in the URL
//! (`https://user:secret@host/`) are neither sent nor shown: [`HttpUrl`]'s `Display` writes
//! `<redacted>@` in their place, and the values of query parameters that usually carry a
//! secret (`token`, `api_key`, ...) are shown as `<redacted>` too. Error messages never
//! repeat the text they refuse.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

/// Why a URL or path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error(
        "the URL contains a line break (CR/LF) at character {0}: refused, nothing is sent (a line break would start a second request)"
    )]
    LineBreak(usize),
    #[error("the URL contains the control character U+{1:04X} at character {0}: refused")]
    Control(usize, u32),
    #[error(
        "the URL contains white space at character {0}: refused (write a space in a path as %20)"
    )]
    Space(usize),
    #[error(
        "the URL contains the invisible formatting character U+{1:04X} at character {0}: refused"
    )]
    Invisible(usize, u32),
    #[error("not a URL like https://host:port/path")]
    NotAUrl,
    #[error("the scheme `{0}` is not http or https")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("the host {0}")]
    Host(&'static str),
    #[error("the port is not a number 1-65535")]
    Port,
    #[error("a path must start with `/`")]
    Path,
}

/// The host of a URL: a DNS name (lower case) or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
            Self::Ip(IpAddr::V4(a)) => write!(f, "{a}"),
        }
    }
}

/// A parsed `http(s)://host[:port][/path][?query]` URL, safe to put on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl {
    tls: bool,
    host: Host,
    port: u16,
    /// Path and query, starting with `/`, only visible ASCII (anything else
    /// percent-encoded). The fragment is dropped: it is never sent.
    target: String,
    /// The URL carried credentials (not kept: never sent, never shown).
    userinfo: bool,
}

/// A request path (`/healthz`, `api/version?x=1`) checked like the path of a URL.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlPath(String);

/// Characters a URL may never hold, wherever they are.
fn screen(s: &str) -> Result<(), UrlError> {
    for (i, c) in s.chars().enumerate() {
        let at = i + 1;
        match c {
            '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                return Err(UrlError::LineBreak(at));
            }
            c if c.is_control() => return Err(UrlError::Control(at, c as u32)),
            c if c.is_whitespace() => return Err(UrlError::Space(at)),
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' => return Err(UrlError::Invisible(at, c as u32)),
            _ => {}
        }
    }
    Ok(())
}

/// Percent-encode what may not appear in a request target as it is.
fn encode_target(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn host_of(text: &str) -> Result<Host, UrlError> {
    if text.is_empty() {
        return Err(UrlError::NoHost);
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or(UrlError::Host("has an unclosed `[`"))?;
        if inner.contains('%') {
            return Err(UrlError::Host(
                "has an IPv6 zone (`%`), which is not supported",
            ));
        }
        return inner
            .parse::<std::net::Ipv6Addr>()
            .map(|a| Host::Ip(IpAddr::V6(a)))
            .map_err(|_| UrlError::Host("in brackets is not an IPv6 address"));
    }
    if text.contains(':') {
        return Err(UrlError::Host(
            "looks like an IPv6 address: write it in brackets, like [::1]",
        ));
    }
    if let Ok(v4) = text.parse::<std::net::Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(v4)));
    }
    if !text.is_ascii() {
        return Err(UrlError::Host(
            "is not ASCII: write an international name in its xn-- form",
        ));
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.len() > 253
        || name.split('.').any(|l| {
            l.is_empty()
                || l.len() > 63
                || !l
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    {
        return Err(UrlError::Host("is not a valid host name"));
    }
    Ok(Host::Name(name.to_ascii_lowercase()))
}

/// Split the request target off what follows the authority: the fragment dropped, `/`
/// when empty.
fn target_of(rest: &str) -> String {
    let rest = rest.split('#').next().unwrap_or("");
    let rest = if rest.is_empty() {
        "/".to_string()
    } else if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("/{rest}")
    };
    encode_target(&rest)
}

impl HttpUrl {
    /// Parse a URL; control characters, white space and invisible characters are refused
    /// wherever they are.
    pub fn parse(s: &str) -> Result<Self, UrlError> {
        screen(s)?;
        let (scheme, rest) = s.split_once("://").ok_or(UrlError::NotAUrl)?;
        let tls = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return Err(UrlError::NotAUrl);
        } else {
            return Err(UrlError::Scheme(scheme.to_ascii_lowercase()));
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(end);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((_, h)) => (true, h),
            None => (false, authority),
        };
        let (host_text, port_text) = if hostport.starts_with('[') {
            match hostport.find(']') {
                Some(i) => {
                    let (h, p) = hostport.split_at(i + 1);
                    match p {
                        "" => (h, None),
                        p => (h, Some(p.strip_prefix(':').ok_or(UrlError::Port)?)),
                    }
                }
                None => (hostport, None),
            }
        } else if hostport.matches(':').count() == 1 {
            let (h, p) = hostport.split_once(':').ok_or(UrlError::Port)?;
            (h, Some(p))
        } else {
            (hostport, None)
        };
        let host = host_of(host_text)?;
        let port = match port_text {
            None => {
                if tls {
                    443
                } else {
                    80
                }
            }
            Some(p) => {
                if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(UrlError::Port);
                }
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or(UrlError::Port)?
            }
        };
        Ok(Self {
            tls,
            host,
            port,
            target: target_of(after),
            userinfo,
        })
    }

    /// Whether the scheme is https.
    pub fn is_https(&self) -> bool {
        self.tls
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The host as a resolver or a TLS server name wants it (IPv6 without brackets).
    pub fn host_name(&self) -> String {
        match &self.host {
            Host::Name(n) => n.clone(),
            Host::Ip(ip) => ip.to_string(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path and query sent in the request line.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("/")
    }

    /// Whether the URL carried credentials (which are never sent).
    pub fn had_userinfo(&self) -> bool {
        self.userinfo
    }

    /// The same server with another path (and query).
    #[must_use]
    pub fn with_path(&self, path: &UrlPath) -> Self {
        Self {
            target: path.0.clone(),
            ..self.clone()
        }
    }

    /// Same scheme, host and port.
    pub fn same_origin(&self, other: &Self) -> bool {
        self.tls == other.tls && self.host == other.host && self.port == other.port
    }

    /// The `Host` header value (the port only when it is not the scheme's default).
    pub fn authority(&self) -> String {
        if self.port == if self.tls { 443 } else { 80 } {
            self.host.to_string()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Where a redirect's `Location` leads from this URL (absolute, scheme-relative,
    /// absolute path, relative path or query only).
    pub fn join(&self, location: &str) -> Result<Self, UrlError> {
        let location = location.trim_matches([' ', '\t']);
        screen(location)?;
        if location.contains("://") {
            return Self::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            let scheme = if self.tls { "https" } else { "http" };
            return Self::parse(&format!("{scheme}://{rest}"));
        }
        let target = if location.starts_with('/') {
            location.to_string()
        } else if location.starts_with('?') {
            format!("{}{location}", self.path())
        } else {
            let dir = self.path().rsplit_once('/').map_or("", |(d, _)| d);
            format!("{dir}/{location}")
        };
        Ok(Self {
            target: target_of(&target),
            ..self.clone()
        })
    }

    /// The URL without credentials and without the values of secret query parameters.
    fn write_shown(&self, f: &mut fmt::Formatter<'_>, with_target: bool) -> fmt::Result {
        write!(f, "{}://", if self.tls { "https" } else { "http" })?;
        if self.userinfo {
            f.write_str("<redacted>@")?;
        }
        write!(f, "{}:{}", self.host, self.port)?;
        if !with_target {
            return Ok(());
        }
        match self.target.split_once('?') {
            None => f.write_str(&self.target),
            Some((path, query)) => {
                write!(f, "{path}?")?;
                for (i, pair) in query.split('&').enumerate() {
                    if i > 0 {
                        f.write_str("&")?;
                    }
                    match pair.split_once('=') {
                        Some((k, _)) if secret_param(k) => write!(f, "{k}=<redacted>")?,
                        _ => f.write_str(pair)?,
                    }
                }
                Ok(())
            }
        }
    }

    /// `scheme://host:port` (credentials shown as `<redacted>`), for messages.
    pub fn origin(&self) -> String {
        struct O<'a>(&'a HttpUrl);
        impl fmt::Display for O<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write_shown(f, false)
            }
        }
        O(self).to_string()
    }
}

/// Query parameters whose values are secrets by convention.
fn secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    [
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "sig",
        "signature",
        "auth",
        "authorization",
        "session",
        "credential",
        "credentials",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
    ]
    .contains(&n.as_str())
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_shown(f, true)
    }
}

impl fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpUrl({self})")
    }
}

impl std::str::FromStr for HttpUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, UrlError> {
        Self::parse(s)
    }
}

impl UrlPath {
    /// Parse a path (a leading `/` is added when missing; a query may follow).
    pub fn parse(s: &str) -> Result<Self, UrlError> {
        screen(s)?;
        if s.contains("://") {
            return Err(UrlError::Path);
        }
        Ok(Self(target_of(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UrlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UrlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UrlPath({})", self.0)
    }
}

/// A suite parameter: a string (or a number, for a bare path segment).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::Deserialize;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a URL, found {}",
            match other {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Array(_) => "a list",
                _ => "a mapping",
            }
        ))),
    }
}

impl<'de> serde::Deserialize<'de> for HttpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Not trimmed: a line break at the end is refused like one anywhere else.
        Self::parse(&text(d)?).map_err(serde::de::Error::custom)
    }
}

impl<'de> serde::Deserialize<'de> for UrlPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&text(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_default_ports_and_paths() {
        let u = HttpUrl::parse("https://Master.AutoGLM.test:8443/api?x=1#frag").unwrap();
        assert!(u.is_https());
        assert_eq!(u.host(), &Host::Name("master.autoglm.test".into()));
        assert_eq!((u.port(), u.target(), u.path()), (8443, "/api?x=1", "/api"));
        assert_eq!(u.to_string(), "https://master.autoglm.test:8443/api?x=1");
        assert_eq!(u.authority(), "master.autoglm.test:8443");
        let u = HttpUrl::parse("http://m.test").unwrap();
        assert_eq!(
            (u.port(), u.target(), u.authority().as_str()),
            (80, "/", "m.test")
        );
        let u = HttpUrl::parse("HTTPS://m.test?q").unwrap();
        assert_eq!((u.port(), u.target()), (443, "/?q"));
    }

    #[test]
    fn ipv6_literals_need_brackets_and_no_zone() {
        let u = HttpUrl::parse("http://[::1]:8080/healthz").unwrap();
        assert_eq!(u.host(), &Host::Ip("::1".parse().unwrap()));
        assert_eq!(u.host_name(), "::1");
        assert_eq!(u.to_string(), "http://[::1]:8080/healthz");
        assert_eq!(u.authority(), "[::1]:8080");
        let u = HttpUrl::parse("https://[2001:db8::7]").unwrap();
        assert_eq!((u.port(), u.authority().as_str()), (443, "[2001:db8::7]"));
        for bad in [
            "http://::1:8080/",
            "http://[::1/",
            "http://[fe80::1%25eth0]:80/",
            "http://[not-v6]:80/",
            "http://[::1]x/",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
        let u = HttpUrl::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(u.host(), &Host::Ip("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn line_breaks_and_control_characters_are_refused_anywhere() {
        for (bad, want) in [
            (
                "http://127.0.0.1:8080/healthz\r\nDELETE /api/nodes/all HTTP/1.1",
                UrlError::LineBreak(30),
            ),
            ("http://m.test/\n", UrlError::LineBreak(15)),
            ("http://m.te\rst/", UrlError::LineBreak(12)),
            ("http://m.test:80\r/", UrlError::LineBreak(17)),
            ("http://user\n:pw@m.test/", UrlError::LineBreak(12)),
            ("http://m.test/?a=\u{2028}", UrlError::LineBreak(18)),
            ("http://m.test/a\u{0}b", UrlError::Control(16, 0)),
            ("http://m.test/a\tb", UrlError::Control(16, 9)),
            ("http://m.test/a\u{7f}", UrlError::Control(16, 0x7f)),
            ("http://m.test/a\u{9b}", UrlError::Control(16, 0x9b)),
            ("http://m.test/a b", UrlError::Space(16)),
            ("http://m.test/\u{202e}txt", UrlError::Invisible(15, 0x202e)),
        ] {
            assert_eq!(HttpUrl::parse(bad), Err(want.clone()), "{bad:?}");
        }
        assert_eq!(
            UrlPath::parse("/healthz\r\nDELETE /api/nodes/all"),
            Err(UrlError::LineBreak(9))
        );
        let u = HttpUrl::parse("http://m.test/").unwrap();
        assert_eq!(u.join("/x\r\nEvil: 1"), Err(UrlError::LineBreak(3)));
    }

    #[test]
    fn errors_never_repeat_the_url() {
        let secret = "s3cr3t-value";
        for bad in [
            format!("http://u:{secret}@m.test/\r\n"),
            format!("ftp://u:{secret}@m.test/"),
            format!("http://u:{secret}@m.test:99999/"),
            format!("http://u:{secret}@/"),
        ] {
            let e = HttpUrl::parse(&bad).unwrap_err().to_string();
            assert!(!e.contains(secret), "{e}");
        }
    }

    #[test]
    fn userinfo_is_neither_kept_nor_shown() {
        let u = HttpUrl::parse("https://admin:hunter2@m.test:8443/p").unwrap();
        assert!(u.had_userinfo());
        assert_eq!(u.to_string(), "https://<redacted>@m.test:8443/p");
        assert_eq!(u.origin(), "https://<redacted>@m.test:8443");
        assert!(!format!("{u:?}").contains("hunter2"));
        assert_eq!(u.authority(), "m.test:8443");
        // `@` in the password: the host is after the last one.
        let u = HttpUrl::parse("http://a:b@c@m.test/").unwrap();
        assert_eq!(u.host(), &Host::Name("m.test".into()));
        // An `@` in the path is not userinfo.
        let u = HttpUrl::parse("http://m.test/a@b").unwrap();
        assert!(!u.had_userinfo());
        assert_eq!(u.target(), "/a@b");
    }

    #[test]
    fn secret_query_values_are_not_shown() {
        let u = HttpUrl::parse("http://m.test/p?token=abc&x=1&API-Key=def").unwrap();
        assert_eq!(u.target(), "/p?token=abc&x=1&API-Key=def");
        assert_eq!(
            u.to_string(),
            "http://m.test:80/p?token=<redacted>&x=1&API-Key=<redacted>"
        );
    }

    #[test]
    fn odd_characters_are_encoded_not_sent_raw() {
        let u = HttpUrl::parse("http://m.test/a\"<b>/é").unwrap();
        assert_eq!(u.target(), "/a%22%3Cb%3E/%C3%A9");
    }

    #[test]
    fn schemes_hosts_and_ports_are_checked() {
        assert_eq!(
            HttpUrl::parse("grpc://m:9090"),
            Err(UrlError::Scheme("grpc".into()))
        );
        assert_eq!(HttpUrl::parse("master:8080"), Err(UrlError::NotAUrl));
        assert_eq!(HttpUrl::parse("http://:80/"), Err(UrlError::NoHost));
        assert_eq!(HttpUrl::parse("http://m.test:0/"), Err(UrlError::Port));
        assert_eq!(HttpUrl::parse("http://m.test:/"), Err(UrlError::Port));
        assert_eq!(HttpUrl::parse("http://m.test:65536/"), Err(UrlError::Port));
        assert!(HttpUrl::parse("http://m_x.test/").is_ok());
        assert!(HttpUrl::parse("http://bücher.test/").is_err());
        assert!(HttpUrl::parse("http://a..b/").is_err());
        assert!(HttpUrl::parse("http://a%2fb/").is_err());
    }

    #[test]
    fn redirects_join_like_a_browser() {
        let u = HttpUrl::parse("https://m.test:8443/api/version").unwrap();
        assert_eq!(u.join("/x").unwrap().to_string(), "https://m.test:8443/x");
        assert_eq!(u.join("v3").unwrap().target(), "/api/v3");
        assert_eq!(u.join("?a=1").unwrap().target(), "/api/version?a=1");
        assert_eq!(
            u.join("//other.test/y").unwrap().to_string(),
            "https://other.test:443/y"
        );
        assert_eq!(
            u.join("http://other.test:81/").unwrap().to_string(),
            "http://other.test:81/"
        );
        assert!(u.join("ftp://x/").is_err());
    }

    #[test]
    fn paths_get_a_leading_slash_and_no_scheme() {
        assert_eq!(UrlPath::parse("healthz").unwrap().as_str(), "/healthz");
        assert_eq!(UrlPath::parse("/a?b=c").unwrap().as_str(), "/a?b=c");
        assert!(UrlPath::parse("http://x/").is_err());
        let u = HttpUrl::parse("http://m.test:81/old").unwrap();
        let p = UrlPath::parse("/new").unwrap();
        assert_eq!(u.with_path(&p).to_string(), "http://m.test:81/new");
    }
}
