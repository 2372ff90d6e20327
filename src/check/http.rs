//! `http`: a plain reachability probe of the master's HTTP endpoint — status, time to first
//! byte, size (capped) — that names what answered: the master, or a proxy in between.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::endpoint::{self, Codes};
use super::{CheckKind, Context, KindInfo, Text, seam_code};
use crate::probe::http::{Condition, Exchange, HttpUrl, Redirects, Request, UrlPath};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`).
    pub url: HttpUrl,
    /// Path to request instead of the URL's (default: the URL's path).
    #[serde(default)]
    pub path: Option<UrlPath>,
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

pub const CONNECTION_FAILED: Code =
    seam_code!("http.connection-failed", ConnectionFailed).was(&["http.connect-failed"]);

pub const TLS_FAILED: Code = seam_code!("http.tls-failed", TlsFailed);

pub const NO_RESPONSE: Code = seam_code!("http.no-response", NoResponse);

pub const NOT_HTTP: Code = seam_code!("http.not-http", NotHttp);

pub const CA_UNREADABLE: Code = seam_code!("http.ca-unreadable", CaUnreadable);

pub const BAD_URL: Code = seam_code!("http.bad-url", BadUrl);

pub const UNRESOLVED: Code = seam_code!("http.unresolved", Unresolved);

super::seam_proxy_codes!("http");

super::seam_codes!();

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "http",
        category: "http",
        summary: "The master's HTTP endpoint answers (status, time to first byte), not a proxy's error page",
        explain: "What it checks: one HTTP request to the master endpoint (over TLS for https, trusting the node's CA bundle) on the first of the master's addresses that accepts a connection (the evidence names it and why the others did not), read within the check's deadlines with a 256 KiB body cap: the status, the time to the first byte, the size. 2xx passes; a redirect warns with its target; 401 and 403 are authentication failures (the auth checks say which parameter); 404 warns (wrong path or API prefix); 407 means a proxy wants credentials; 5xx are server errors, and 502/503/504 with a `Via` header or a proxy's `Server` are named as a proxy in between failing to reach the master. It never follows redirects. When HTTPS_PROXY, HTTP_PROXY or ALL_PROXY captures the endpoint (NO_PROXY does not exclude it), the request goes through that proxy as the service's would — a CONNECT tunnel for https, the absolute form for http, with the proxy URL's credentials, never shown — and a failure of the proxy has codes of its own (`http.proxy-unreachable`, `http.proxy-refused`, `http.proxy-auth-required`, `http.proxy-auth-rejected`, `http.proxy-upstream-failed`); the check waits for the proxy check, which names such a failure first.\n\nWhy it matters: `curl` by hand is the runbook's third step; a gateway that answers 401 after a key rotation or a proxy's 503 looks like \"the master is down\" until someone reads the headers.\n\nHow to fix: 401/403 — fix the credentials (see the auth checks); 404 — correct the endpoint path; 407 — configure the proxy credentials or bypass the proxy for the master (NO_PROXY); 5xx — look at the master's logs, or at the proxy named in the message.",
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
            PROXY_UNREACHABLE,
            PROXY_REFUSED,
            PROXY_AUTH_REQUIRED,
            PROXY_AUTH_REJECTED,
            PROXY_UPSTREAM,
            BAD_URL,
            UNRESOLVED,
        ],
        generated: GENERATED,
        aliases: &[],
        // The proxy check judges the path through the proxy first: when it fails, it is
        // the root cause and this check waits.
        implicit_needs: &["proxy"],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let url = match &spec.path {
            Some(p) => spec.url.with_path(p),
            None => spec.url.clone(),
        };
        // A redirect is judged, never followed: the configured URL should be the final one.
        let policy = Redirects::Never;
        let setup = match endpoint::setup(
            ctx,
            &url,
            spec.ca_file.as_ref(),
            spec.address.as_ref().map(|a| a.0),
            policy,
        )
        .await
        {
            Ok(s) => s,
            Err(f) => return endpoint::failed(CODES, &url, &f),
        };
        let mut request = Request::get(url.clone());
        for (name, value) in &spec.headers {
            request = match request.header(name, &value.0) {
                Ok(r) => r,
                Err(f) => return endpoint::failed(CODES, &url, &f),
            };
        }
        let exchange = setup.client(ctx, policy).send(request).await;
        judge(&exchange)
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
pub fn judge(x: &Exchange) -> Evaluation {
    let url = &x.url;
    let path = url.path();
    let at = x.at();
    let r = match &x.result {
        Ok(r) => r,
        Err(f) => return endpoint::exchange_failed(CODES, x, f),
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
    let host = url.host_name();
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
            format!("grant this node's identity access on the master for {path}"),
        ),
        404 => Finding::new(
            &NOT_FOUND,
            format!("{line}: nothing at {path}"),
            format!("correct the path of `endpoint` ({path} is not served)"),
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
                "configure the proxy credentials, or exclude {host} from the proxy with NO_PROXY"
            ),
        ),
        502..=504 if proxyish => Finding::new(
            &PROXY_ERROR,
            format!(
                "{line}: a proxy or gateway in between ({}) could not reach the master",
                via.clone().unwrap_or_else(|| server.clone())
            ),
            format!(
                "check the proxy/gateway {} and its route to {host}",
                via.clone().unwrap_or_else(|| server.clone()),
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
            format!("look at the master's logs around this time for {path}"),
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
            format!("follow the status {status} for {path}"),
        ),
    };
    let mut eval = Evaluation::single(
        finding
            .with("status", status)
            .with("ttfb_ms", ms(r.ttfb))
            .with("bytes", r.body.len()),
    );
    eval.evidence.insert("server".into(), server.into());
    if let Some(addr) = x.addr {
        eval.evidence
            .insert("address".into(), addr.to_string().into());
    }
    if !x.failed.is_empty() {
        eval.evidence.insert(
            "addresses_failed".into(),
            x.failed
                .iter()
                .map(|(a, o)| format!("{a} {o}"))
                .collect::<Vec<_>>()
                .into(),
        );
    }
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
    use crate::probe::http::{Failure, Response};

    fn resp(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            reason: String::new(),
            version: "HTTP/1.1",
            headers: headers
                .iter()
                .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
                .collect(),
            body: b"oops\n".to_vec(),
            truncated: false,
            trailers: Vec::new(),
            sent: std::time::SystemTime::UNIX_EPOCH,
            ttfb: Duration::from_millis(3),
            total: Duration::from_millis(4),
        }
    }

    fn exchange(result: Result<Response, Failure>) -> Exchange {
        Exchange {
            url: HttpUrl::parse("https://m.test:8443/healthz").unwrap(),
            redirects: Vec::new(),
            unfollowed: None,
            addr: Some("127.0.0.1:8443".parse().unwrap()),
            addresses_from: "literal address",
            proxy: None,
            failed: Vec::new(),
            result,
        }
    }

    #[test]
    fn statuses_map_to_codes() {
        let cases: [(Result<Response, Failure>, Option<&str>); 11] = [
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
            (Err(Failure::NotProbed("x".into())), Some("http.not-probed")),
        ];
        for (r, code) in cases {
            assert_eq!(
                judge(&exchange(r.clone())).worst().unwrap().code_name(),
                code,
                "{r:?}"
            );
        }
    }

    #[test]
    fn every_condition_of_the_seam_is_declared() {
        super::super::endpoint::assert_codes_declared(&Kind::INFO, CODES);
    }
}
