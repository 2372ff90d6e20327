//! `http`: a plain reachability probe of the master's HTTP endpoint — status, time to first
//! byte, size (capped) — that names what answered: the master, or a proxy in between.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::http::{self, Failure, Response, Target};
use crate::probe::{addresses_for, inner_timeout};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

/// Most of a body read by the probe.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`).
    pub url: Text,
    /// Path to request instead of the URL's (default: the URL's path).
    #[serde(default)]
    pub path: Option<Text>,
    /// Connect here instead of resolving the URL's host.
    #[serde(default)]
    pub address: Option<super::param::IpAddress>,
    /// PEM CA bundle for https (relative paths from the node config's directory).
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// Extra request headers (never put a secret here: headers are not shown, but suites are files).
    #[serde(default)]
    pub headers: BTreeMap<String, Text>,
}

super::generated_codes!("http");

/// The endpoint redirects (3xx): the configured URL is not the final one.
pub const REDIRECT: Code = Code::new(
    "http.redirect",
    Status::Warn,
    "The endpoint redirects (3xx): the configured URL is not the final one.",
    "Set `endpoint` to the redirect target.",
);

/// 401: the master (or its gateway) refuses this node's credentials.
pub const UNAUTHORIZED: Code = Code::new(
    "http.unauthorized",
    Status::Fail,
    "401: the master (or its gateway) refuses this node's credentials.",
    "Fix the node's credentials; the auth checks compare them with the master's.",
);

/// 403: authenticated, but not allowed.
pub const FORBIDDEN: Code = Code::new(
    "http.forbidden",
    Status::Fail,
    "403: authenticated, but not allowed.",
    "Grant this node's identity access on the master.",
);

/// 404: nothing at that path (wrong path or API prefix).
pub const NOT_FOUND: Code = Code::new(
    "http.not-found",
    Status::Warn,
    "404: nothing at that path (wrong path or API prefix).",
    "Correct the endpoint path.",
);

/// 407: a proxy in between wants credentials.
pub const PROXY_AUTH: Code = Code::new(
    "http.proxy-auth",
    Status::Fail,
    "407: a proxy in between wants credentials.",
    "Configure the proxy credentials, or exclude the master from the proxy (NO_PROXY).",
);

/// 502/503/504 from a proxy or gateway in between: it could not reach the master.
pub const PROXY_ERROR: Code = Code::new(
    "http.proxy-error",
    Status::Fail,
    "502/503/504 from a proxy or gateway in between: it could not reach the master.",
    "Check the proxy/gateway named in the message and its route to the master.",
);

/// 5xx from the master itself.
pub const SERVER_ERROR: Code = Code::new(
    "http.server-error",
    Status::Fail,
    "5xx from the master itself.",
    "Look at the master's logs; the body's first line is in the evidence.",
);

/// Another 4xx: the master rejects the request.
pub const CLIENT_ERROR: Code = Code::new(
    "http.client-error",
    Status::Warn,
    "Another 4xx: the master rejects the request.",
    "Follow the status and body in the message.",
);

/// The TCP connection failed (see the tcp check).
pub const CONNECTION_FAILED: Code = Code::new(
    "http.connection-failed",
    Status::Fail,
    "The TCP connection failed (see the tcp check).",
    "Fix the TCP connection first.",
)
.was(&["http.connect-failed"]);

/// The TLS handshake failed (see the tls check for why).
pub const TLS_FAILED: Code = Code::new(
    "http.tls-failed",
    Status::Fail,
    "The TLS handshake failed (see the tls check for why).",
    "Fix TLS first (the tls check names the problem).",
);

/// Connected, but no complete response within the timeout (a hung or trickling server).
pub const NO_RESPONSE: Code = Code::new(
    "http.no-response",
    Status::Fail,
    "Connected, but no complete response within the timeout (a hung or trickling server).",
    "Check the master's load and whatever sits in front of it.",
);

/// The peer answered something that is not HTTP.
pub const NOT_HTTP: Code = Code::new(
    "http.not-http",
    Status::Fail,
    "The peer answered something that is not HTTP.",
    "Point `endpoint` at the master's HTTP port.",
);

/// The configured CA bundle cannot be read or holds no certificate.
pub const CA_UNREADABLE: Code = Code::new(
    "http.ca-unreadable",
    Status::Fail,
    "The configured CA bundle cannot be read or holds no certificate.",
    "Point `auth.ca_certificate.path` at a readable PEM bundle.",
);

/// The URL is not an http(s) URL.
pub const BAD_URL: Code = Code::new(
    "http.bad-url",
    Status::Fail,
    "The URL is not an http(s) URL.",
    "Write `endpoint` like https://master.example:8443.",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "http",
        category: "http",
        summary: "The master's HTTP endpoint answers (status, time to first byte), not a proxy's error page",
        explain: "What it checks: one HTTP request to the master endpoint (over TLS for https, trusting the node's CA bundle), read with a size cap and a deadline: the status, the time to the first byte, the size. 2xx passes; a redirect warns with its target; 401 and 403 are authentication failures (the auth checks say which parameter); 404 warns (wrong path or API prefix); 407 means a proxy wants credentials; 5xx are server errors, and 502/503/504 with a `Via` header or a proxy's `Server` are named as a proxy in between failing to reach the master. It never follows redirects and never goes through HTTP_PROXY: it looks at the master directly (the proxy check looks at the environment).\n\nWhy it matters: `curl` by hand is the runbook's third step; a gateway that answers 401 after a key rotation (seed §2.3) or a proxy's 503 looks like \"the master is down\" until someone reads the headers.\n\nHow to fix: 401/403 — fix the credentials (see the auth checks); 404 — correct the endpoint path; 407 — configure the proxy credentials or bypass the proxy for the master (NO_PROXY); 5xx — look at the master's logs, or at the proxy named in the message.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: false,
        codes: &[
            REDIRECT,
            UNAUTHORIZED,
            FORBIDDEN,
            NOT_FOUND,
            PROXY_AUTH,
            PROXY_ERROR,
            SERVER_ERROR,
            CLIENT_ERROR,
            CONNECTION_FAILED,
            TLS_FAILED,
            NO_RESPONSE,
            NOT_HTTP,
            CA_UNREADABLE,
            BAD_URL,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let budget = inner_timeout(ctx.timeout);
        let target = match Target::parse(&spec.url.0, spec.path.as_ref().map(|p| p.0.as_str())) {
            Ok(t) => t,
            Err(e) => {
                return super::tls::probe_error(
                    &BAD_URL,
                    e,
                    "write `endpoint` like https://master.example:8443",
                );
            }
        };
        let roots = if target.tls {
            match super::tls::load_roots(ctx, spec.ca_file.as_ref(), &CA_UNREADABLE) {
                Ok((_, roots, _)) => Some(roots),
                Err(e) => return e,
            }
        } else {
            None
        };
        let ip = match &spec.address {
            Some(a) => a.0,
            None => match addresses_for(&target.host, &ctx.facts, budget).await {
                Ok((a, _)) => match a.first() {
                    Some(ip) => *ip,
                    None => {
                        return super::tls::probe_error(
                            &CONNECTION_FAILED,
                            format!("{} has no address", target.host),
                            "fix name resolution first (dns check)",
                        );
                    }
                },
                Err(why) => {
                    return super::tls::probe_error(
                        &CONNECTION_FAILED,
                        format!("{} does not resolve: {why}", target.host),
                        "fix name resolution first (dns check)",
                    );
                }
            },
        };
        let addr = SocketAddr::new(ip, target.port);
        let headers: Vec<(String, String)> = spec
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        let result = http::request("GET", &target, addr, &headers, roots, budget, MAX_BODY).await;
        judge(&target, addr, &result)
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The first line of a body, for messages (sanitised later by the renderers).
fn first_line(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect()
}

/// Judge the response (or why there is none).
pub fn judge(target: &Target, addr: SocketAddr, result: &Result<Response, Failure>) -> Evaluation {
    let url = target.url();
    let at = if target.host == addr.ip().to_string() {
        String::new()
    } else {
        format!(" (at {addr})")
    };
    let r = match result {
        Ok(r) => r,
        Err(f) => {
            let finding = match f {
                Failure::Connect(crate::probe::tcp::Outcome::NotProbed(why)) => Finding::new(
                    &NOT_PROBED,
                    why.clone(),
                    "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe this target",
                ),
                Failure::Connect(o) => Finding::new(
                    &CONNECTION_FAILED,
                    format!("{url}{at}: TCP connection failed: {o}"),
                    format!("fix the TCP connection to {addr} first (see the tcp check)"),
                ),
                Failure::Tls(e) => Finding::new(
                    &TLS_FAILED,
                    format!("{url}{at}: TLS failed: {e}"),
                    "fix TLS first: the tls check names the certificate or handshake problem",
                ),
                Failure::NoResponse => Finding::new(
                    &NO_RESPONSE,
                    format!("{url}{at}: connected, but no complete response in time"),
                    format!(
                        "check the master's load and whatever sits in front of {addr} (a hung or trickling server)"
                    ),
                ),
                Failure::NotHttp(e) => Finding::new(
                    &NOT_HTTP,
                    format!("{url}{at}: not an HTTP answer: {e}"),
                    format!(
                        "point `endpoint` at the master's HTTP{} port",
                        if target.tls { "S" } else { "" }
                    ),
                ),
            };
            let mut e = Evaluation::single(finding);
            e.cause = Some(crate::report::Cause::ProbeError);
            return e;
        }
    };
    let via = r.header("Via").map(str::to_string);
    let server = r.header("Server").unwrap_or("").to_string();
    let proxyish = via.is_some()
        || [
            "squid",
            "envoy",
            "haproxy",
            "varnish",
            "cloudflare",
            "akamai",
            "ats",
        ]
        .iter()
        .any(|p| server.to_ascii_lowercase().contains(p));
    let status = r.status;
    let line = format!(
        "{url}{at} answered {status} {} in {}",
        r.reason,
        crate::duration::format(r.ttfb)
    );
    let body = first_line(&r.body);
    let finding = match status {
        200..=299 => Finding::pass(format!(
            "{line}, {} bytes{}",
            r.body.len(),
            if r.truncated { " (cut)" } else { "" }
        )),
        300..=399 => {
            let to = r.header("Location").unwrap_or("(no Location)").to_string();
            Finding::new(
                &REDIRECT,
                format!("{line}: redirects to {to}"),
                format!("set `endpoint` to the redirect target {to}"),
            )
        }
        401 => Finding::new(
            &UNAUTHORIZED,
            format!("{line}: the master refuses this node's credentials"),
            "fix the node's credentials: the auth checks compare token TTL, key id, algorithm and CA version with the master's",
        ),
        403 => Finding::new(
            &FORBIDDEN,
            format!("{line}: authenticated but not allowed"),
            format!(
                "grant this node's identity access on the master for {}",
                target.path
            ),
        ),
        404 => Finding::new(
            &NOT_FOUND,
            format!("{line}: nothing at {}", target.path),
            format!(
                "correct the path of `endpoint` ({} is not served)",
                target.path
            ),
        ),
        407 => Finding::new(
            &PROXY_AUTH,
            format!(
                "{line}: a proxy wants credentials{}",
                via.as_ref()
                    .map(|v| format!(" (Via: {v})"))
                    .unwrap_or_default()
            ),
            format!(
                "configure the proxy credentials, or exclude {} from the proxy with NO_PROXY",
                target.host
            ),
        ),
        502..=504 if proxyish => Finding::new(
            &PROXY_ERROR,
            format!(
                "{line}: a proxy or gateway in between ({}) could not reach the master",
                via.clone().unwrap_or_else(|| server.clone())
            ),
            format!(
                "check the proxy/gateway {} and its route to {}",
                via.clone().unwrap_or_else(|| server.clone()),
                target.host
            ),
        ),
        500..=599 => Finding::new(
            &SERVER_ERROR,
            format!(
                "{line}{}",
                if body.is_empty() {
                    String::new()
                } else {
                    format!(": {body}")
                }
            ),
            format!(
                "look at the master's logs around this time for {}",
                target.path
            ),
        ),
        _ => Finding::new(
            &CLIENT_ERROR,
            format!(
                "{line}{}",
                if body.is_empty() {
                    String::new()
                } else {
                    format!(": {body}")
                }
            ),
            format!("follow the status {status} for {}", target.path),
        ),
    };
    let mut eval = Evaluation::single(
        finding
            .with("status", status)
            .with("ttfb_ms", ms(r.ttfb))
            .with("bytes", r.body.len()),
    );
    eval.evidence.insert("server".into(), server.into());
    if let Some(v) = via {
        eval.evidence.insert("via".into(), v.into());
    }
    if let Some(date) = r.header("Date") {
        eval.facts.insert("http.date".into(), date.into());
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            reason: String::new(),
            headers: headers
                .iter()
                .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
                .collect(),
            body: b"oops\n".to_vec(),
            truncated: false,
            ttfb: Duration::from_millis(3),
            total: Duration::from_millis(4),
        }
    }

    #[test]
    fn statuses_map_to_codes() {
        let t = Target::parse("https://m.test:8443/healthz", None).unwrap();
        let a: SocketAddr = "127.0.0.1:8443".parse().unwrap();
        let cases: [(Result<Response, Failure>, Option<&str>); 10] = [
            (Ok(resp(200, &[])), None),
            (
                Ok(resp(302, &[("Location", "https://x/")])),
                Some("http.redirect"),
            ),
            (Ok(resp(401, &[])), Some("http.unauthorized")),
            (Ok(resp(403, &[])), Some("http.forbidden")),
            (Ok(resp(404, &[])), Some("http.not-found")),
            (
                Ok(resp(407, &[("Via", "1.1 squid")])),
                Some("http.proxy-auth"),
            ),
            (
                Ok(resp(503, &[("Via", "1.1 squid")])),
                Some("http.proxy-error"),
            ),
            (
                Ok(resp(503, &[("Server", "open-autoglm")])),
                Some("http.server-error"),
            ),
            (Err(Failure::NoResponse), Some("http.no-response")),
            (Err(Failure::NotHttp("x".into())), Some("http.not-http")),
        ];
        for (r, code) in cases {
            assert_eq!(judge(&t, a, &r).worst().unwrap().code_name(), code, "{r:?}");
        }
    }
}
