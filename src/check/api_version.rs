//! `api-version`: does the master still speak this node's API? Sends the node's client
//! version (`X-API-Version`) to the master's version endpoint and to the endpoints the node
//! calls, and judges the answers: compatible, too old (426), retired (410), deprecated or
//! sunsetting (RFC 9745 `Deprecation`, RFC 8594 `Sunset`), or a failure that is not about
//! versions at all (400, 404, 5xx, not HTTP).

use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::endpoint::{self, Codes};
use super::{CheckKind, Context, KindInfo, Text, seam_code};
use crate::probe::http::{
    Condition, Exchange, Failure, HttpUrl, MAX_REDIRECTS, Redirects, Request, Response, UrlPath,
};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

/// Most redirects followed per path.
pub const MAX_HOPS: usize = MAX_REDIRECTS;

/// Fact: the client API version this node sends (string, as configured).
pub const FACT_CLIENT_VERSION: &str = "api.client_version";
/// Fact: the API version the master advertises (string).
pub const FACT_SERVER_VERSION: &str = "api.server_version";
/// Fact: the oldest client version the master supports (string).
pub const FACT_SUPPORTED_MIN: &str = "api.supported_min";
/// Fact: the newest client version the master supports (string).
pub const FACT_SUPPORTED_MAX: &str = "api.supported_max";

fn default_path() -> UrlPath {
    UrlPath::parse("/api/version").unwrap_or_else(|_| unreachable!())
}

fn default_header() -> Text {
    Text("X-API-Version".into())
}

/// Which redirects are followed (the HTTP seam's policy).
pub type FollowRedirects = Redirects;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`).
    pub url: HttpUrl,
    /// The client API version this node speaks (e.g. `${config.api.version}`).
    pub version: Text,
    /// The version negotiation endpoint.
    #[serde(default = "default_path")]
    pub path: UrlPath,
    /// The header carrying the client version.
    #[serde(default = "default_header")]
    pub header: Text,
    /// Further endpoints the node calls (e.g. `/api/v2/sync`), each judged on its own.
    #[serde(default)]
    pub paths: Vec<UrlPath>,
    /// Connect here instead of resolving the URL's host.
    #[serde(default)]
    pub address: Option<super::param::IpAddress>,
    /// PEM CA bundle for https (relative paths from the node config's directory).
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// `same-host` (default), `any` or `never`.
    #[serde(default)]
    pub follow_redirects: FollowRedirects,
}

super::generated_codes!("api-version");

/// 426 Upgrade Required: the master no longer accepts this node's (older) client API version.
pub const UPGRADE_REQUIRED: Code = Code::new(
"api-version.upgrade-required",
Status::Fail,
"426 Upgrade Required: the master no longer accepts this node's (older) client API version.",
"Upgrade the node's client to at least the master's minimum version and set `api.version` to match.",
)
.was(&["api.upgrade-required"]);

/// The master answered, but this node's version is outside the range it advertises.
pub const UNSUPPORTED_VERSION: Code = Code::new(
    "api-version.unsupported-version",
    Status::Fail,
    "The master answered, but this node's version is outside the range it advertises.",
    "Install a client version within the master's supported range and set `api.version` to it.",
)
.was(&["api.unsupported-version"]);

/// 410 Gone: the endpoint was retired.
pub const GONE: Code = Code::new(
    "api-version.gone",
    Status::Fail,
    "410 Gone: the endpoint was retired.",
    "Move the node to the successor endpoint the master names in `Link` (upgrade the client).",
)
.was(&["api.gone"]);

/// The master marks the endpoint deprecated (RFC 9745 `Deprecation`).
pub const DEPRECATED: Code = Code::new(
    "api-version.deprecated",
    Status::Warn,
    "The master marks the endpoint deprecated (RFC 9745 `Deprecation`).",
    "Plan the client upgrade; the message gives the deprecation date.",
)
.was(&["api.deprecated"]);

/// The master announces when the endpoint stops working (RFC 8594 `Sunset`).
pub const SUNSET: Code = Code::new(
    "api-version.sunset",
    Status::Warn,
    "The master announces when the endpoint stops working (RFC 8594 `Sunset`).",
    "Upgrade the client before the sunset date in the message.",
)
.was(&["api.sunset"]);

/// The endpoint's `Sunset` date has passed: it may stop answering at any time.
pub const SUNSET_PASSED: Code = Code::new(
    "api-version.sunset-passed",
    Status::Fail,
    "The endpoint's `Sunset` date has passed: it may stop answering at any time.",
    "Upgrade the client now; the endpoint is past its announced end of life.",
)
.was(&["api.sunset-passed"]);

/// 400: the master rejected the request (e.g. a missing or unparseable version header).
pub const BAD_REQUEST: Code = Code::new(
    "api-version.bad-request",
    Status::Fail,
    "400: the master rejected the request (e.g. a missing or unparseable version header).",
    "Send a valid version header: set `api.version` like \"3.1\" and check the header name.",
)
.was(&["api.bad-request"]);

/// 401/403 on the version endpoint: the version could not be negotiated without credentials.
pub const UNAUTHORIZED: Code = Code::new(
    "api-version.unauthorized",
    Status::Warn,
    "401/403 on the version endpoint: the version could not be negotiated without credentials.",
    "Let the version endpoint answer without credentials, or fix them (see the auth checks).",
)
.was(&["api.unauthorized"]);

/// 404: the master does not serve that endpoint (wrong path or API prefix).
pub const NOT_FOUND: Code = Code::new(
    "api-version.not-found",
    Status::Fail,
    "404: the master does not serve that endpoint (wrong path or API prefix).",
    "Correct the path in the suite or the node's endpoint.",
)
.was(&["api.not-found"]);

/// 5xx: the master (or a gateway) failed; this is not a version problem.
pub const SERVER_ERROR: Code = Code::new(
    "api-version.server-error",
    Status::Fail,
    "5xx: the master (or a gateway) failed; this is not a version problem.",
    "Look at the master's (or gateway's) logs and health; versions are not the cause.",
)
.was(&["api.server-error"]);

/// Another 4xx from the version endpoint.
pub const CLIENT_ERROR: Code = Code::new(
    "api-version.client-error",
    Status::Warn,
    "Another 4xx from the version endpoint.",
    "Follow the status and body in the message.",
)
.was(&["api.client-error"]);

/// A redirect that was not followed (to another host, or too many hops).
pub const REDIRECT: Code = Code::new(
    "api-version.redirect",
    Status::Fail,
    "A redirect that was not followed (to another host, or too many hops).",
    "Set `endpoint` to the redirect target, or set `follow_redirects: any` in the suite.",
)
.was(&["api.redirect"]);

pub const CONNECTION_FAILED: Code =
    seam_code!("api-version.connection-failed", ConnectionFailed).was(&["api.unreachable"]);

pub const NO_RESPONSE: Code =
    seam_code!("api-version.no-response", NoResponse).was(&["api.no-response"]);

pub const NOT_HTTP: Code = seam_code!("api-version.not-http", NotHttp).was(&["api.not-http"]);

/// The configured client version is not a version (like 3.1 or v3.1.0).
pub const BAD_VERSION: Code = Code::new(
    "api-version.bad-version",
    Status::Fail,
    "The configured client version is not a version (like 3.1 or v3.1.0).",
    "Set `api.version` in the node config to the client's API version, e.g. \"3.1\".",
)
.was(&["api.bad-version"]);

pub const BAD_URL: Code = seam_code!("api-version.bad-url", BadUrl).was(&["api.bad-url"]);

pub const CA_UNREADABLE: Code =
    seam_code!("api-version.ca-unreadable", CaUnreadable).was(&["api.ca-unreadable"]);

pub const UNRESOLVED: Code = seam_code!("api-version.unresolved", Unresolved);

pub const TLS_FAILED: Code = seam_code!("api-version.tls-failed", TlsFailed);

super::seam_proxy_codes!("api-version");

super::seam_codes!();

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "api-version",
        category: "api",
        summary: "The master accepts this node's API version; no endpoint it calls is retired or sunsetting",
        explain: "What it checks: a GET of the master's version endpoint (default /api/version) with the node's client version in `X-API-Version` (from `api.version` of the node config), and of each further endpoint listed in `paths` (e.g. the sync endpoint /api/v2/sync), on the first of the master's addresses that accepts a connection, read within the check's deadlines with a 256 KiB body cap. 2xx is compatible: the server's version and supported range (JSON body `{server_version, supported: {min, max}}` and the `X-API-Version`, `X-API-Min-Version` headers) are recorded, and a client version outside that range still fails. 426 Upgrade Required means the node is too old; 410 Gone means the endpoint was retired (its `Link` names the successor). `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) headers warn with the date and how far away it is; a Sunset already past fails. 400, 404, 5xx and answers that are not HTTP have codes of their own: a 503 is an outage, not a version problem. Redirects are followed within the same scheme, host and port (at most 5 hops) unless `follow_redirects: any` is set. Versions compare as semver: `2.5` is 2.5.0, a leading `v` is allowed.\n\nWhy it matters: after a master upgrade, nodes whose client is older than the master's minimum get 426 on every call and never sync; a node still calling a retired sync path gets 410 while every other check is green.\n\nHow to fix: 426 — upgrade the node's client to the master's minimum version and set `api.version` to match; 410 — move the node to the successor endpoint named in `Link` (upgrade the client); Deprecation/Sunset — plan the upgrade before the date; 5xx — look at the master, not at versions.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: false,
        codes: &[
            UPGRADE_REQUIRED,
            UNSUPPORTED_VERSION,
            GONE,
            DEPRECATED,
            SUNSET,
            SUNSET_PASSED,
            BAD_REQUEST,
            UNAUTHORIZED,
            NOT_FOUND,
            SERVER_ERROR,
            CLIENT_ERROR,
            REDIRECT,
            CONNECTION_FAILED,
            NO_RESPONSE,
            NOT_HTTP,
            BAD_VERSION,
            BAD_URL,
            CA_UNREADABLE,
            PROXY_UNREACHABLE,
            PROXY_REFUSED,
            PROXY_AUTH_REQUIRED,
            PROXY_AUTH_REJECTED,
            PROXY_UPSTREAM,
            UNRESOLVED,
            TLS_FAILED,
        ],
        generated: GENERATED,
        aliases: &[],
        // The proxy check judges the path through the proxy first: when it fails, it is
        // the root cause and this check waits.
        implicit_needs: &["proxy"],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[("api.version", "/api/version")],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let client = spec.version.0.trim().to_string();
        if Version::parse(&client).is_none() {
            return Evaluation::single(Finding::new(
                &BAD_VERSION,
                format!("the client API version {client:?} is not a version"),
                "set `api.version` in the node config to the client's API version, e.g. \"3.1\"",
            ));
        }
        let base = spec.url.with_path(&spec.path);
        let policy = spec.follow_redirects;
        let setup = match endpoint::setup(
            ctx,
            &base,
            spec.ca_file.as_ref(),
            spec.address.as_ref().map(|a| a.0),
            policy,
        )
        .await
        {
            Ok(s) => s,
            Err(f) => return endpoint::failed(CODES, &base, &f),
        };
        let request = match Request::get(base.clone()).header(spec.header.0.trim(), &client) {
            Ok(r) => r,
            Err(f) => return endpoint::failed(CODES, &base, &f),
        };
        let http = setup.client(ctx, policy);
        let targets =
            std::iter::once((true, &spec.path)).chain(spec.paths.iter().map(|p| (false, p)));
        let probes = futures_util::future::join_all(targets.map(|(version_endpoint, path)| {
            let request = Request {
                url: spec.url.with_path(path),
                ..request.clone()
            };
            let http = &http;
            async move {
                Probe {
                    version_endpoint,
                    path: path.to_string(),
                    exchange: http.send(request).await,
                }
            }
        }))
        .await;
        let input = Input {
            client: &client,
            header: spec.header.0.trim(),
        };
        judge(&input, &probes, chrono::Utc::now().timestamp())
    }
}

/// A semantic version: `2.5` is 2.5.0, a leading `v` is allowed, build metadata ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<String>,
}

impl Version {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split('+').next().unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, p.split('.').map(str::to_string).collect::<Vec<_>>()),
            None => (s, Vec::new()),
        };
        if pre.iter().any(String::is_empty) {
            return None;
        }
        let num = |p: &str| -> Option<u64> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let mut parts = core.split('.');
        let major = num(parts.next()?)?;
        let minor = parts.next().map_or(Some(0), num)?;
        let patch = parts.next().map_or(Some(0), num)?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = match (a.parse::<u64>(), b.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => a.cmp(b),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre.join("."))?;
        }
        Ok(())
    }
}

/// One endpoint's answer (after the redirects followed).
#[derive(Debug, Clone)]
pub struct Probe {
    /// Whether this is the version negotiation endpoint (the others are judged by status).
    pub version_endpoint: bool,
    /// The path as configured.
    pub path: String,
    /// The request's journey and the final answer.
    pub exchange: Exchange,
}

impl Probe {
    /// The URL that gave the final answer.
    fn url(&self) -> String {
        self.exchange.url.to_string()
    }

    fn result(&self) -> &Result<Response, Failure> {
        &self.exchange.result
    }
}

/// What the judge needs from the spec.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The client version as configured.
    pub client: &'a str,
    /// The version header's name.
    pub header: &'a str,
}

/// What the server advertised about versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advertised {
    pub server: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
}

fn json_str(v: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    match cur {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of supported versions, as the body (`supported: ["3.0"]`, `supported: "3.0"`,
/// `supported_versions`, `versions`) or a header (`X-API-Supported-Versions: 3.0, 3.1`)
/// gives it: its lowest and highest entries.
fn listed_range(body: &serde_json::Value, header: Option<&str>) -> Option<(String, String)> {
    let mut list: Vec<String> = Vec::new();
    for key in ["supported", "supported_versions", "versions"] {
        match body.get(key) {
            Some(serde_json::Value::Array(items)) => {
                list.extend(items.iter().filter_map(|v| match v {
                    serde_json::Value::String(s) => Some(s.trim().to_string()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }));
            }
            Some(serde_json::Value::String(s)) => {
                list.extend(s.split(',').map(|v| v.trim().to_string()));
            }
            Some(serde_json::Value::Number(n)) => list.push(n.to_string()),
            _ => {}
        }
        if !list.is_empty() {
            break;
        }
    }
    if list.is_empty()
        && let Some(h) = header
    {
        list.extend(h.split(',').map(|v| v.trim().to_string()));
    }
    let mut parsed: Vec<(Version, String)> = list
        .into_iter()
        .filter_map(|s| Version::parse(&s).map(|v| (v, s)))
        .collect();
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    let lo = parsed.first()?.1.clone();
    let hi = parsed.last()?.1.clone();
    Some((lo, hi))
}

/// The versions a response advertises: JSON body first, then headers.
pub fn advertised(r: &Response, header: &str) -> Advertised {
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    let h = |n: &str| r.header(n).map(|v| v.trim().to_string());
    let listed = listed_range(&body, r.header("X-API-Supported-Versions"));
    Advertised {
        server: json_str(&body, &["server_version"])
            .or_else(|| json_str(&body, &["version"]))
            .or_else(|| h(header)),
        min: json_str(&body, &["supported", "min"])
            .or_else(|| json_str(&body, &["min_client_version"]))
            .or_else(|| h("X-API-Min-Version"))
            .or_else(|| listed.as_ref().map(|l| l.0.clone())),
        max: json_str(&body, &["supported", "max"])
            .or_else(|| json_str(&body, &["max_client_version"]))
            .or_else(|| h("X-API-Max-Version"))
            .or_else(|| listed.map(|l| l.1)),
    }
}

/// Whether `v` is newer than the newest supported version written `max`, to the precision
/// `max` is written in (`3` covers every 3.x, `3.0` every 3.0.x).
fn above_max(v: &Version, max: &str) -> bool {
    let Some(m) = Version::parse(max) else {
        return false;
    };
    let core = max
        .trim()
        .trim_start_matches(['v', 'V'])
        .split(['-', '+'])
        .next()
        .unwrap_or_default();
    match core.split('.').count() {
        1 => v.major > m.major,
        2 => (v.major, v.minor) > (m.major, m.minor),
        _ => *v > m,
    }
}

/// A date header: RFC 9745 `@unix`, or an HTTP-date. A date outside the years 0..=9999 is
/// not a date (it comes from the network, and arithmetic on it must not overflow).
pub fn parse_date(v: &str) -> Option<i64> {
    let v = v.trim();
    let at = if let Some(n) = v.strip_prefix('@') {
        n.parse().ok()?
    } else {
        chrono::DateTime::parse_from_rfc2822(v).ok()?.timestamp()
    };
    (crate::jwt::MIN_TIME..=crate::jwt::MAX_TIME)
        .contains(&at)
        .then_some(at)
}

fn show_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || format!("@{unix}"),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// "in 10 days", "3 days ago", "in 5 hours" (rounded to the nearest unit).
pub fn distance(at: i64, now: i64) -> String {
    let secs = at.saturating_sub(now);
    let abs = secs.unsigned_abs();
    let amount = if abs >= 86_400 {
        let d = (abs + 43_200) / 86_400;
        format!("{d} day{}", if d == 1 { "" } else { "s" })
    } else if abs >= 3600 {
        let h = (abs + 1800) / 3600;
        format!("{h} hour{}", if h == 1 { "" } else { "s" })
    } else {
        let m = abs / 60;
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    };
    if secs >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

fn first_line(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect()
}

/// Judge every endpoint's answer.
pub fn judge(input: &Input<'_>, probes: &[Probe], now: i64) -> Evaluation {
    let mut eval = Evaluation::default();
    eval.facts
        .insert(FACT_CLIENT_VERSION.into(), input.client.to_string().into());
    let mut probe_error = false;
    for p in probes {
        let (findings, adv) = judge_one(input, p, now);
        if p.version_endpoint {
            for (key, value) in [
                (FACT_SERVER_VERSION, adv.server),
                (FACT_SUPPORTED_MIN, adv.min),
                (FACT_SUPPORTED_MAX, adv.max),
            ] {
                if let Some(v) = value {
                    eval.facts.insert(key.into(), v.into());
                }
            }
        }
        if p.result().is_err() {
            probe_error = true;
        }
        for f in findings {
            eval.findings.push(
                f.with("url", p.url()).with("path", p.path.clone()).with(
                    "status",
                    p.result()
                        .as_ref()
                        .map_or(serde_json::Value::Null, |r| r.status.into()),
                ),
            );
        }
        if !p.exchange.redirects.is_empty() {
            let hops: Vec<String> = p
                .exchange
                .redirects
                .iter()
                .map(ToString::to_string)
                .collect();
            eval.evidence
                .insert(format!("redirects {}", p.path), serde_json::json!(hops));
        }
    }
    if probe_error && eval.status() == Status::Fail {
        eval.cause = Some(Cause::ProbeError);
    }
    eval
}

/// Findings for the `Deprecation` and `Sunset` headers of one answer.
fn lifecycle(p: &Probe, r: &Response, now: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    let url = p.url();
    let link = r.header("Link").map(str::trim).filter(|l| !l.is_empty());
    let see = link.map(|l| format!(" (Link: {l})")).unwrap_or_default();
    if let Some(d) = r.header("Deprecation") {
        let (when, date) = match parse_date(d) {
            Some(at) if at <= now => (
                format!("since {} ({})", show_date(at), distance(at, now)),
                Some(at),
            ),
            Some(at) => (
                format!("from {} ({})", show_date(at), distance(at, now)),
                Some(at),
            ),
            None => (format!("(Deprecation: {})", d.trim()), None),
        };
        let mut f = Finding::new(
            &DEPRECATED,
            format!("{url}: the master marks {} deprecated {when}{see}", p.path),
            format!(
                "plan the client upgrade away from {}: it is deprecated {when}",
                p.path
            ),
        );
        if let Some(at) = date {
            f = f.with("deprecation", crate::report::rfc3339(at));
        }
        out.push(f);
    }
    if let Some(s) = r.header("Sunset") {
        match parse_date(s) {
            Some(at) if at <= now => out.push(
                Finding::new(
                    &SUNSET_PASSED,
                    format!(
                        "{url}: {} was due to stop working on {} ({}){see}",
                        p.path,
                        show_date(at),
                        distance(at, now)
                    ),
                    format!(
                        "upgrade the client now: {} is past its sunset of {}",
                        p.path,
                        show_date(at)
                    ),
                )
                .with("sunset", crate::report::rfc3339(at)),
            ),
            Some(at) => out.push(
                Finding::new(
                    &SUNSET,
                    format!(
                        "{url}: {} stops working on {} ({}){see}",
                        p.path,
                        show_date(at),
                        distance(at, now)
                    ),
                    format!(
                        "upgrade the client before {} ({}), when {} stops working",
                        show_date(at),
                        distance(at, now),
                        p.path
                    ),
                )
                .with("sunset", crate::report::rfc3339(at)),
            ),
            None => out.push(Finding::new(
                &SUNSET,
                format!("{url}: {} announces a sunset ({}){see}", p.path, s.trim()),
                format!(
                    "upgrade the client before the sunset of {} ({})",
                    p.path,
                    s.trim()
                ),
            )),
        }
    }
    out
}

#[allow(clippy::too_many_lines)]
fn judge_one(input: &Input<'_>, p: &Probe, now: i64) -> (Vec<Finding>, Advertised) {
    let r = match p.result() {
        Ok(r) => r,
        Err(f) => {
            let d = crate::probe::http::describe(&p.exchange.url, p.exchange.addr, f);
            return (vec![endpoint::finding(CODES, d)], Advertised::default());
        }
    };
    let url = &p.url();
    let adv = advertised(r, input.header);
    let client = input.client;
    let status = r.status;
    let line = format!("{url} answered {status} {}", r.reason.trim())
        .trim_end()
        .to_string();
    let body = first_line(&r.body);
    let with_body = |s: String| {
        if body.is_empty() {
            s
        } else {
            format!("{s}: {body}")
        }
    };
    let server = adv.server.clone().unwrap_or_else(|| "unknown".into());
    let mut findings = Vec::new();
    match status {
        200..=299 if p.version_endpoint => {
            let ours = Version::parse(client);
            let min = adv.min.as_deref().and_then(Version::parse);
            let max = adv.max.as_deref().and_then(Version::parse);
            let range = match (&adv.min, &adv.max) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                (Some(a), None) => format!("≥ {a}"),
                (None, Some(b)) => format!("≤ {b}"),
                (None, None) => "no range advertised".into(),
            };
            match ours {
                Some(v) if min.as_ref().is_some_and(|m| v < *m) => {
                    findings.push(Finding::new(
                        &UNSUPPORTED_VERSION,
                        format!(
                            "{line}, but this node's API version {client} is older than the oldest the master {server} supports ({range})"
                        ),
                        format!(
                            "upgrade the node's client to API {} or newer and set `api.version` to match (now {client})",
                            adv.min.clone().unwrap_or_default()
                        ),
                    ));
                }
                Some(v) if adv.max.as_deref().is_some_and(|m| above_max(&v, m)) => {
                    findings.push(Finding::new(
                        &UNSUPPORTED_VERSION,
                        format!(
                            "{line}, but this node's API version {client} is newer than the newest the master {server} supports ({range})"
                        ),
                        format!(
                            "install a client speaking API {} or older on this node, or upgrade the master to {client}; set `api.version` to match",
                            adv.max.clone().unwrap_or_default()
                        ),
                    ));
                }
                // No range advertised: a different major version than the master's own is
                // incompatible under semver.
                Some(v) if min.is_none()
                    && max.is_none()
                    && adv
                        .server
                        .as_deref()
                        .and_then(Version::parse)
                        .is_some_and(|s| s.major != v.major) =>
                {
                    findings.push(Finding::new(
                        &UNSUPPORTED_VERSION,
                        format!(
                            "{line}: the master speaks API {server} and advertises no other version; this node's API {client} is another major version"
                        ),
                        format!(
                            "install a client speaking API {server} on this node and set `api.version: \"{server}\"` in the node config (now {client})"
                        ),
                    ));
                }
                _ => findings.push(Finding::pass(format!(
                    "{line}: master API {server}, supported {range}; this node speaks {client}"
                ))),
            }
        }
        200..=299 => findings.push(Finding::pass(format!(
            "{line}: {} is served",
            p.path
        ))),
        // The endpoint exists and is not retired; credentials and request bodies are the
        // business of other checks.
        400 | 401 | 403 | 405 if !p.version_endpoint => findings.push(Finding::pass(format!(
            "{line}: {} is served (a bare GET without credentials or body is refused as expected)",
            p.path
        ))),
        300..=399 => {
            let to = r.header("Location").unwrap_or("(no Location)").to_string();
            let why = p
                .exchange
                .unfollowed
                .clone()
                .unwrap_or_else(|| "not followed".to_string());
            findings.push(Finding::new(
                &REDIRECT,
                format!("{line}: redirects to {to} ({why})"),
                format!(
                    "set `endpoint` to the final URL ({to}), or set `follow_redirects: any` in the suite"
                ),
            ));
        }
        426 => {
            let min = adv.min.clone().unwrap_or_else(|| server.clone());
            let mut sent = Vec::new();
            if let Some(u) = r.header("Upgrade") {
                sent.push(format!("Upgrade: {}", u.trim()));
            }
            if let Some(v) = r.header(input.header) {
                sent.push(format!("{}: {}", input.header, v.trim()));
            }
            if let Some(v) = r.header("X-API-Min-Version") {
                sent.push(format!("X-API-Min-Version: {}", v.trim()));
            }
            let sent = if sent.is_empty() {
                String::new()
            } else {
                format!(" ({})", sent.join(", "))
            };
            findings.push(Finding::new(
                &UPGRADE_REQUIRED,
                format!(
                    "{url} answered 426 Upgrade Required: the master (API {server}) requires client API {min} or newer; this node sends {}: {client}{sent}",
                    input.header
                ),
                format!(
                    "upgrade the node's client from API {client} to {min} or newer and set `api.version: \"{min}\"` in the node config"
                ),
            ));
        }
        410 => {
            let successor = r.header("Link").map(|l| l.trim().to_string());
            let sunset = r.header("Sunset").map(|s| match parse_date(s) {
                Some(at) => format!("sunset {} ({})", show_date(at), distance(at, now)),
                None => format!("sunset {}", s.trim()),
            });
            let details: Vec<String> = [sunset, successor.as_ref().map(|l| format!("Link: {l}"))]
                .into_iter()
                .flatten()
                .collect();
            findings.push(Finding::new(
                &GONE,
                format!(
                    "{url} answered 410 Gone: the master retired {}{}",
                    p.path,
                    if details.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", details.join("; "))
                    }
                ),
                match successor {
                    Some(l) => format!(
                        "move the node off the retired {} to the successor the master names ({l}): upgrade the client",
                        p.path
                    ),
                    None => format!(
                        "move the node off the retired {}: upgrade the client to one that calls the master's current endpoint",
                        p.path
                    ),
                },
            ));
            return (findings, adv);
        }
        400 => findings.push(Finding::new(
            &BAD_REQUEST,
            with_body(format!("{line}: the master rejected the version request")),
            format!(
                "send a valid `{}` header: set `api.version` in the node config like \"3.1\" (now {client:?}) and check the suite's `header`",
                input.header
            ),
        )),
        401 | 403 => findings.push(Finding::new(
            &UNAUTHORIZED,
            with_body(format!(
                "{line}: the version endpoint wants credentials; the API version was not negotiated"
            )),
            format!(
                "let {} answer without credentials on the master, or fix the node's credentials (see the auth checks)",
                p.path
            ),
        )),
        404 => findings.push(Finding::new(
            &NOT_FOUND,
            format!("{line}: the master does not serve {}", p.path),
            format!(
                "correct the path {} in the suite, or the API prefix of `endpoint`",
                p.path
            ),
        )),
        500..=599 => {
            let via = r
                .header("Via")
                .map(|v| format!(" via {}", v.trim()))
                .unwrap_or_default();
            let retry = r
                .header("Retry-After")
                .map(|v| format!(", Retry-After {}", v.trim()))
                .unwrap_or_default();
            findings.push(Finding::new(
                &SERVER_ERROR,
                with_body(format!(
                    "{line}{via}{retry}: a server failure, not a version problem"
                )),
                format!(
                    "look at the master's logs and health (or the gateway's{via}) for {}; the API version is not the cause",
                    p.path
                ),
            ));
        }
        _ => findings.push(Finding::new(
            &CLIENT_ERROR,
            with_body(line.clone()),
            format!("follow the status {status} for {}", p.path),
        )),
    }
    findings.extend(lifecycle(p, r, now));
    (findings, adv)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            reason: String::new(),
            version: "HTTP/1.1",
            headers: headers
                .iter()
                .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            trailers: Vec::new(),
            sent: std::time::SystemTime::UNIX_EPOCH,
            ttfb: Duration::from_millis(3),
            total: Duration::from_millis(4),
        }
    }

    fn probe(version_endpoint: bool, path: &str, r: Result<Response, Failure>) -> Probe {
        Probe {
            version_endpoint,
            path: path.into(),
            exchange: Exchange {
                url: HttpUrl::parse(&format!("https://m.test:8443{path}")).unwrap(),
                redirects: Vec::new(),
                unfollowed: None,
                addr: Some("127.0.0.1:8443".parse().unwrap()),
                addresses_from: "the check's `address`",
                proxy: None,
                failed: Vec::new(),
                result: r,
            },
        }
    }

    fn codes(e: &Evaluation) -> Vec<(Status, Option<&str>)> {
        e.findings
            .iter()
            .map(|f| (f.status, f.code_name()))
            .collect()
    }

    const OK: &str = r#"{"server_version":"3.1.0","supported":{"min":"3.0","max":"3.9"}}"#;

    type Case = (
        &'static str,
        bool,
        Result<Response, Failure>,
        Vec<(Status, Option<&'static str>)>,
    );

    #[test]
    fn answers_map_to_codes() {
        let http_date = |at: i64| {
            chrono::DateTime::from_timestamp(at, 0)
                .unwrap()
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        };
        let in10 = http_date(NOW + 10 * 86_400);
        let ago3 = http_date(NOW - 3 * 86_400);
        let dep = format!("@{}", NOW - 86_400);
        let only30 = r#"{"server_version":"3.0","supported":["3.0"]}"#;
        let cases: Vec<Case> = vec![
            (
                "3.1",
                true,
                Ok(resp(200, &[], OK)),
                vec![(Status::Pass, None)],
            ),
            // A master that only speaks 3.0, said as a list, a header or its version alone.
            (
                "2.5",
                true,
                Ok(resp(200, &[], only30)),
                vec![(Status::Fail, Some("api-version.unsupported-version"))],
            ),
            (
                "3.0.2",
                true,
                Ok(resp(200, &[], only30)),
                vec![(Status::Pass, None)],
            ),
            (
                "2.5",
                true,
                Ok(resp(200, &[("X-API-Supported-Versions", "3.0")], "")),
                vec![(Status::Fail, Some("api-version.unsupported-version"))],
            ),
            (
                "2.5",
                true,
                Ok(resp(200, &[], r#"{"version":"3.0"}"#)),
                vec![(Status::Fail, Some("api-version.unsupported-version"))],
            ),
            (
                "3.4",
                true,
                Ok(resp(200, &[], r#"{"version":"3.0"}"#)),
                vec![(Status::Pass, None)],
            ),
            (
                "v3.0",
                true,
                Ok(resp(200, &[], OK)),
                vec![(Status::Pass, None)],
            ),
            (
                "3.9.0",
                true,
                Ok(resp(200, &[], OK)),
                vec![(Status::Pass, None)],
            ),
            (
                "4.0",
                true,
                Ok(resp(200, &[], OK)),
                vec![(Status::Fail, Some("api-version.unsupported-version"))],
            ),
            (
                "2.9.9",
                true,
                Ok(resp(200, &[], OK)),
                vec![(Status::Fail, Some("api-version.unsupported-version"))],
            ),
            (
                "3.1",
                true,
                Ok(resp(200, &[("X-API-Version", "3.1.0")], "")),
                vec![(Status::Pass, None)],
            ),
            (
                "2.5",
                true,
                Ok(resp(
                    426,
                    &[
                        ("X-API-Version", "3.1.0"),
                        ("X-API-Min-Version", "3.0"),
                        ("Upgrade", "open-autoglm-api/3.0"),
                    ],
                    "",
                )),
                vec![(Status::Fail, Some("api-version.upgrade-required"))],
            ),
            (
                "3.1",
                false,
                Ok(resp(
                    410,
                    &[
                        ("Sunset", &ago3),
                        ("Link", "</api/v3/sync>; rel=\"successor-version\""),
                    ],
                    "",
                )),
                vec![(Status::Fail, Some("api-version.gone"))],
            ),
            (
                "3.1",
                true,
                Ok(resp(200, &[("Sunset", &in10)], OK)),
                vec![
                    (Status::Pass, None),
                    (Status::Warn, Some("api-version.sunset")),
                ],
            ),
            (
                "3.1",
                true,
                Ok(resp(200, &[("Sunset", &ago3)], OK)),
                vec![
                    (Status::Pass, None),
                    (Status::Fail, Some("api-version.sunset-passed")),
                ],
            ),
            (
                "3.1",
                true,
                Ok(resp(200, &[("Deprecation", &dep)], OK)),
                vec![
                    (Status::Pass, None),
                    (Status::Warn, Some("api-version.deprecated")),
                ],
            ),
            (
                "3.1",
                true,
                Ok(resp(200, &[("Deprecation", &in10)], OK)),
                vec![
                    (Status::Pass, None),
                    (Status::Warn, Some("api-version.deprecated")),
                ],
            ),
            (
                "3.1",
                true,
                Ok(resp(
                    400,
                    &[],
                    "{\"error\":\"missing X-API-Version header\"}",
                )),
                vec![(Status::Fail, Some("api-version.bad-request"))],
            ),
            (
                "3.1",
                true,
                Ok(resp(401, &[], "")),
                vec![(Status::Warn, Some("api-version.unauthorized"))],
            ),
            (
                "3.1",
                false,
                Ok(resp(401, &[], "")),
                vec![(Status::Pass, None)],
            ),
            (
                "3.1",
                false,
                Ok(resp(405, &[], "")),
                vec![(Status::Pass, None)],
            ),
            (
                "3.1",
                true,
                Ok(resp(404, &[], "")),
                vec![(Status::Fail, Some("api-version.not-found"))],
            ),
            (
                "3.1",
                true,
                Ok(resp(503, &[("Retry-After", "30")], "")),
                vec![(Status::Fail, Some("api-version.server-error"))],
            ),
            (
                "3.1",
                false,
                Ok(resp(502, &[("Via", "1.1 envoy")], "")),
                vec![(Status::Fail, Some("api-version.server-error"))],
            ),
            (
                "3.1",
                true,
                Ok(resp(302, &[("Location", "https://elsewhere.test/")], "")),
                vec![(Status::Fail, Some("api-version.redirect"))],
            ),
            (
                "3.1",
                true,
                Ok(resp(418, &[], "")),
                vec![(Status::Warn, Some("api-version.client-error"))],
            ),
            (
                "3.1",
                true,
                Err(Failure::NoResponse),
                vec![(Status::Fail, Some("api-version.no-response"))],
            ),
            (
                "3.1",
                true,
                Err(Failure::NotHttp("x".into())),
                vec![(Status::Fail, Some("api-version.not-http"))],
            ),
            (
                "3.1",
                true,
                Err(Failure::Tls("bad".into())),
                vec![(Status::Fail, Some("api-version.tls-failed"))],
            ),
        ];
        for (client, version, r, want) in cases {
            let input = Input {
                client,
                header: "X-API-Version",
            };
            let e = judge(&input, &[probe(version, "/api/version", r.clone())], NOW);
            assert_eq!(codes(&e), want, "{client} {r:?}");
            for f in &e.findings {
                if f.status != Status::Pass {
                    assert!(f.remediation.as_ref().is_some_and(|r| !r.is_empty()));
                }
            }
        }
    }

    #[test]
    fn upgrade_required_names_both_versions_and_the_headers() {
        let r = resp(
            426,
            &[
                ("X-API-Version", "3.1.0"),
                ("X-API-Min-Version", "3.0"),
                ("Upgrade", "open-autoglm-api/3.0"),
            ],
            r#"{"error":"client API version too old","server_version":"3.1.0","min_client_version":"3.0"}"#,
        );
        let input = Input {
            client: "2.5",
            header: "X-API-Version",
        };
        let e = judge(&input, &[probe(true, "/api/version", Ok(r))], NOW);
        let f = &e.findings[0];
        assert!(
            f.message.contains("2.5") && f.message.contains("3.0"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("Upgrade: open-autoglm-api/3.0"),
            "{}",
            f.message
        );
        assert!(
            f.remediation
                .as_deref()
                .unwrap()
                .contains("api.version: \"3.0\"")
        );
        assert_eq!(e.facts[FACT_CLIENT_VERSION], "2.5");
        assert_eq!(e.facts[FACT_SERVER_VERSION], "3.1.0");
        assert_eq!(e.facts[FACT_SUPPORTED_MIN], "3.0");
    }

    #[test]
    fn a_503_is_not_a_version_problem_and_each_path_has_its_finding() {
        let input = Input {
            client: "3.1",
            header: "X-API-Version",
        };
        let e = judge(
            &input,
            &[
                probe(true, "/api/version", Ok(resp(200, &[], OK))),
                probe(false, "/api/v2/sync", Ok(resp(410, &[], ""))),
                probe(false, "/unavailable", Ok(resp(503, &[], ""))),
            ],
            NOW,
        );
        assert_eq!(
            codes(&e),
            vec![
                (Status::Pass, None),
                (Status::Fail, Some("api-version.gone")),
                (Status::Fail, Some("api-version.server-error"))
            ]
        );
        assert!(e.findings[2].message.contains("not a version problem"));
        assert_eq!(e.facts[FACT_SUPPORTED_MAX], "3.9");
    }

    #[test]
    fn sunset_shows_the_date_and_distance() {
        let at = NOW + 10 * 86_400 - 5;
        let date = chrono::DateTime::from_timestamp(at, 0)
            .unwrap()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let input = Input {
            client: "3.1",
            header: "X-API-Version",
        };
        let e = judge(
            &input,
            &[probe(
                true,
                "/api/version",
                Ok(resp(200, &[("Sunset", &date)], OK)),
            )],
            NOW,
        );
        let f = &e.findings[1];
        assert!(f.message.contains(&show_date(at)), "{}", f.message);
        assert!(f.message.contains("in 10 days"), "{}", f.message);
    }

    #[test]
    fn versions_compare_as_semver() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(v("2.5"), v("2.5.0"));
        assert_eq!(v("v3.1"), v("3.1.0"));
        assert!(v("2.5") < v("3.0"));
        assert!(v("3.10") > v("3.9"));
        assert!(v("3.0.0-rc.1") < v("3.0.0"));
        assert!(v("3.0.0-alpha") < v("3.0.0-alpha.1"));
        assert!(v("3.0.0-2") < v("3.0.0-beta"));
        assert_eq!(v("3.0.0+build.7"), v("3.0.0"));
        for bad in ["", "x", "3.x", "1.2.3.4", "3..1", "3.0-", "-1"] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
        assert_eq!(v("v2.5").to_string(), "2.5.0");
    }

    #[test]
    fn sunset_at_the_edge_of_i64_is_not_a_date() {
        for header in [
            format!("@{}", i64::MAX),
            format!("@{}", i64::MIN),
            "@253402300800".to_string(),
            "@99999999999999999999999".to_string(),
        ] {
            assert_eq!(parse_date(&header), None, "{header}");
        }
        assert_eq!(parse_date("@253402300799"), Some(crate::jwt::MAX_TIME));
        // Far dates in range are told without overflow.
        assert_eq!(
            distance(crate::jwt::MIN_TIME, crate::jwt::MAX_TIME),
            "3652425 days ago"
        );
        let at = distance(i64::MAX, i64::MIN);
        assert!(at.starts_with("in "), "{at}");
    }

    #[test]
    fn dates_parse_in_both_forms() {
        assert_eq!(parse_date("@1688169599"), Some(1_688_169_599));
        assert_eq!(
            parse_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_date("soon"), None);
        assert_eq!(distance(NOW + 86_400 * 10, NOW), "in 10 days");
        assert_eq!(distance(NOW - 86_400, NOW), "1 day ago");
        assert_eq!(distance(NOW + 7200, NOW), "in 2 hours");
    }

    #[test]
    fn every_condition_of_the_seam_is_declared() {
        super::super::endpoint::assert_codes_declared(&Kind::INFO, CODES);
    }
}
