//! `proxy`: does the proxy environment capture the node's traffic to the master — HTTPS
//! to the endpoint, gRPC to the sync port — and if so, does the path through the proxy
//! work? Which variable, which proxy (credentials redacted), whether NO_PROXY excludes the
//! master, and what the proxy answered when asked to reach it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::env::Env;
use crate::probe::http::proxy::{self as seam, Direct, Fail, Problem, Route, Traffic};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

/// Whether a NO_PROXY list excludes a host (the rule lives with the proxy seam).
pub use crate::probe::http::proxy::excluded;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`).
    pub url: Text,
    /// The gRPC sync port, if any (e.g. `${config.sync.ports.grpc:-}`).
    #[serde(default, deserialize_with = "super::param::optional_port")]
    pub grpc_port: Option<super::param::Port>,
}

super::generated_codes!("proxy");

/// A proxy variable sends the master's traffic through a proxy that was not probed.
pub const CAPTURES_MASTER: Code = Code::new(
    "proxy.captures-master",
    Status::Warn,
    "A proxy variable sends HTTPS to the master through a proxy (NO_PROXY does not exclude it), and the path through it was not probed (--offline, or the loopback guard).",
    "Add the master's host to NO_PROXY, or make sure the proxy reaches the master.",
);

/// gRPC to the master's sync port would go through a proxy that was not probed.
pub const CAPTURES_GRPC: Code = Code::new(
    "proxy.captures-grpc",
    Status::Warn,
    "gRPC to the master's sync port would go through a proxy, and the path through it was not probed (--offline, or the loopback guard); many proxies do not tunnel to gRPC ports.",
    "Add the master's host to no_grpc_proxy/NO_PROXY, or use a proxy that tunnels to the sync port.",
);

/// Upper- and lower-case versions of a proxy variable disagree; tools pick different ones.
pub const INCONSISTENT: Code = Code::new(
    "proxy.inconsistent",
    Status::Warn,
    "Upper- and lower-case versions of a proxy variable disagree; tools pick different ones.",
    "Set both cases to the same value, or unset one.",
);

/// A proxy variable does not hold a usable proxy URL.
pub const INVALID: Code = Code::new(
    "proxy.invalid",
    Status::Warn,
    "A proxy variable does not hold a proxy URL the doctor can go through (http://host:port).",
    "Write the proxy as http://host:port (credentials, if any, as user:password@).",
);

/// The endpoint is not a URL the check can evaluate.
pub const BAD_URL: Code = Code::new(
    "proxy.bad-url",
    Status::Fail,
    "The endpoint is not a URL the check can evaluate.",
    "Write `endpoint` like https://master.example:8443.",
);

/// The proxy that captures the master's traffic cannot be reached.
pub const UNREACHABLE: Code = Code::new(
    "proxy.unreachable",
    Status::Fail,
    "The proxy that captures the master's traffic does not resolve, accept connections or answer: the service's traffic goes nowhere.",
    "Start or repair the proxy named in the message (or correct the variable), or add the master's host to NO_PROXY if it answers directly.",
);

/// The proxy refuses to tunnel to the master.
pub const REFUSED: Code = Code::new(
    "proxy.refused",
    Status::Fail,
    "The proxy refuses to open a tunnel (CONNECT) to the master; its status, and `Proxy-Authenticate` when sent, are named.",
    "Allow CONNECT to the master's host and port on the proxy (e.g. the ports it tunnels to), or add the master's host to NO_PROXY if it answers directly.",
);

/// The proxy wants credentials and the variable carries none.
pub const AUTH_REQUIRED: Code = Code::new(
    "proxy.auth-required",
    Status::Fail,
    "The proxy wants credentials (407, or 401 to CONNECT) and the proxy variable carries none.",
    "Give the service the proxy credentials in its proxy variable (http://user:password@host:port).",
);

/// The proxy rejects the credentials in the variable.
pub const AUTH_REJECTED: Code = Code::new(
    "proxy.auth-rejected",
    Status::Fail,
    "The proxy rejects the credentials in the proxy variable (407 or 401 although they were sent).",
    "Correct the proxy credentials in the proxy variable.",
);

/// The proxy answers but cannot reach the master.
pub const UPSTREAM_FAILED: Code = Code::new(
    "proxy.upstream-failed",
    Status::Fail,
    "The proxy answers, but cannot reach the master: its 502/504 (or another 5xx to CONNECT) is named.",
    "Fix the proxy's route to the master (DNS or firewall on the proxy's side), or add the master's host to NO_PROXY if it answers directly.",
);

/// The master answers directly while the path through the proxy fails.
pub const DIRECT_ONLY: Code = Code::new(
    "proxy.direct-only",
    Status::Warn,
    "The master accepts connections directly while the path through the proxy fails: the proxy, not the master, stops the traffic.",
    "Fix the proxy, or add the master's host to NO_PROXY for the service if it should be reached directly.",
);

pub struct Kind;

/// The proxy variables looked at, both cases.
pub const VARIABLES: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "grpc_proxy",
    "no_grpc_proxy",
];

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "proxy",
        category: "network",
        summary: "The proxy environment does not capture traffic to the master, or the path through the proxy reaches it",
        explain: "What it checks: the proxy variables the service inherits — HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY in both cases, and gRPC's own grpc_proxy / no_grpc_proxy — and whether they send the node's traffic to the master through a proxy: HTTPS to the endpoint, and gRPC to the sync port (gRPC honours grpc_proxy, then https_proxy, then http_proxy). NO_PROXY is read as clients read it: exact names, domain suffixes, `*`, addresses and CIDR ranges. When a proxy captures the traffic, the check goes through it as the service would — `CONNECT host:port` for https and gRPC, the request in absolute form for http, with `Proxy-Authorization: Basic` when the proxy URL carries credentials — and tells apart: the proxy unreachable (its name does not resolve, it refuses or drops the connection, or it does not answer), the proxy refusing the tunnel (its status and `Proxy-Authenticate` named), credentials required (407, none sent) or rejected (407 although sent), and the proxy answering but unable to reach the master (its 502/504, or another 5xx to CONNECT). When the proxied path fails it tries the direct path once, to say whether bypassing the proxy would help. Upper- and lower-case variables that disagree are reported too. Proxy credentials are never shown. The HTTP-level checks and the gRPC health check go through the same proxy, and wait for this check: a broken proxy is the root cause, not the master. Under --offline, or when the loopback guard refuses the proxy, the path is not probed and a capturing proxy is a warning. Run the doctor with the service's environment (e.g. `systemctl show -p Environment open-autoglm`) for this check to see what the service sees.\n\nWhy it matters: a dead proxy, a proxy that does not tunnel to the sync port, or one that wants credentials makes sync fail with errors that point at the master, not at the proxy.\n\nHow to fix: start or repair the proxy named in the message; allow CONNECT to the master's ports on it; give the service the proxy credentials; or, when the master answers directly, add its host to NO_PROXY (and no_grpc_proxy for gRPC).",
        default_timeout: Duration::from_secs(5),
        // It runs offline too: the environment is judged, the path is probed only online.
        network: false,
        reads_config: false,
        codes: &[
            UNREACHABLE,
            REFUSED,
            AUTH_REQUIRED,
            AUTH_REJECTED,
            UPSTREAM_FAILED,
            DIRECT_ONLY,
            CAPTURES_MASTER,
            CAPTURES_GRPC,
            INCONSISTENT,
            INVALID,
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
        let vars: BTreeMap<String, String> = VARIABLES
            .iter()
            .filter_map(|v| ctx.env.var(v).map(|val| ((*v).to_string(), val)))
            .collect();
        let env = Env::from_pairs(vars.clone());
        let grpc_port = spec.grpc_port.map(|p| p.0);
        let mut probes = Probes::default();
        if !ctx.offline
            && let Some((scheme, host, port, _)) = crate::probe::url::split_url(&spec.url.0)
        {
            let https = scheme == "https";
            let port = port.unwrap_or(if https { 443 } else { 80 });
            let budget = crate::probe::inner_timeout(ctx.timeout);
            let by = Instant::now() + budget;
            // A proxy that accepts and never answers may take three quarters of the budget,
            // leaving the direct path its try.
            let proxy_by = Instant::now() + budget * 3 / 4;
            let traffic = if https { Traffic::Https } else { Traffic::Http };
            let master = async {
                match seam::route(&env, traffic, &host) {
                    Route::Proxy(p) if https => {
                        Some(tunnel(&p, &host, port, ctx, (proxy_by, by)).await)
                    }
                    Route::Proxy(p) => Some(forward(&p, &spec.url.0, ctx, budget).await),
                    _ => None,
                }
            };
            let grpc = async {
                match (grpc_port, seam::route(&env, Traffic::Grpc, &host)) {
                    (Some(g), Route::Proxy(p)) => {
                        Some(tunnel(&p, &host, g, ctx, (proxy_by, by)).await)
                    }
                    _ => None,
                }
            };
            (probes.master, probes.grpc) = futures_util::join!(master, grpc);
        }
        judge(&spec.url.0, grpc_port, &vars, &probes)
    }
}

/// What the path through a proxy gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probed {
    /// Through: what the proxy did (`opened a tunnel`, `forwarded GET …: 200 OK`).
    Through {
        proxy: String,
        what: String,
    },
    Failed(Box<seam::ProxyError>),
    /// Not sent (the loopback guard, or a proxy the doctor cannot use): why.
    NotProbed(String),
}

/// The paths probed through proxies: HTTP(S) to the endpoint, gRPC to the sync port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probes {
    pub master: Option<Probed>,
    pub grpc: Option<Probed>,
}

/// `CONNECT host:port` through `p` by `proxy_by`; when it fails, the direct path by `by`.
async fn tunnel(
    p: &seam::Proxy,
    host: &str,
    port: u16,
    ctx: &Context,
    (proxy_by, by): (Instant, Instant),
) -> Probed {
    let per_address = proxy_by.saturating_duration_since(Instant::now()) / 2;
    match seam::tunnel(p, host, port, &ctx.facts, per_address, proxy_by).await {
        Ok((_, addr)) => Probed::Through {
            proxy: p.named(),
            what: format!(
                "CONNECT {} opened a tunnel (proxy at {addr})",
                seam::authority(host, port)
            ),
        },
        Err(Fail::NotProbed(why)) => Probed::NotProbed(why),
        Err(fail) => match seam::with_direct(fail, host, port, &ctx.facts, by).await {
            Fail::Proxy(e) => Probed::Failed(e),
            Fail::NotProbed(why) => Probed::NotProbed(why),
        },
    }
}

/// Plain http: the request as the service would send it, in absolute form to the proxy.
async fn forward(p: &seam::Proxy, url: &str, ctx: &Context, budget: Duration) -> Probed {
    use crate::probe::http::{Client, Deadlines, Failure, HttpUrl, Redirects, Request};
    let Ok(url) = HttpUrl::parse(url) else {
        return Probed::NotProbed(format!(
            "`{}` is not a URL the doctor can send",
            crate::secret::redact_url(url)
        ));
    };
    let client = Client {
        trust: None,
        address: None,
        facts: &ctx.facts,
        deadlines: Deadlines::within(budget),
        redirects: Redirects::Never,
        env: &ctx.env,
    };
    let x = client.send(Request::get(url.clone())).await;
    match x.result {
        Ok(r) => Probed::Through {
            proxy: p.named(),
            what: format!("GET {url} was forwarded: {} {}", r.status, r.reason),
        },
        Err(Failure::Proxy(e)) => Probed::Failed(e),
        Err(Failure::NotProbed(why)) => Probed::NotProbed(why),
        Err(other) => Probed::Through {
            proxy: p.named(),
            what: format!("GET {url} was taken (the http check judges the answer: {other})"),
        },
    }
}

/// `http://user:pass@proxy:3128` → `http://<redacted>@proxy:3128`.
pub fn redact_proxy(url: &str) -> String {
    crate::secret::redact_url(url)
}

fn first<'a>(env: &'a BTreeMap<String, String>, names: &[&'a str]) -> Option<(&'a str, &'a str)> {
    names.iter().find_map(|n| {
        env.get(*n)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*n, v.as_str()))
    })
}

fn valid_proxy(v: &str) -> bool {
    let rest = v.split_once("://").map_or(v, |(s, r)| {
        if matches!(s, "http" | "https" | "socks5" | "socks5h" | "socks4") {
            r
        } else {
            ""
        }
    });
    let host = rest
        .rsplit_once('@')
        .map_or(rest, |(_, h)| h)
        .trim_end_matches('/');
    !host.is_empty() && !host.contains(' ')
}

/// A failure on the path through a proxy as findings (`what`: the traffic, `https` or
/// `gRPC`): the proxy's problem, and whether the master answers directly.
fn failed(what: &str, e: &seam::ProxyError) -> Vec<Finding> {
    let code = match e.problem {
        Problem::Unresolved(_) | Problem::Connect(_) | Problem::NoAnswer(_) => &UNREACHABLE,
        Problem::Refused { .. } => &REFUSED,
        Problem::AuthRequired { .. } => &AUTH_REQUIRED,
        Problem::AuthRejected { .. } => &AUTH_REJECTED,
        Problem::Upstream { .. } => &UPSTREAM_FAILED,
    };
    let mut f = Finding::new(
        code,
        format!("{what} to {}: {e}", e.target),
        e.remediation(),
    )
    .with("proxy", e.proxy.to_string())
    .with("variable", e.proxy.variable)
    .with("target", e.target.clone());
    if let Some(a) = e.addr {
        f = f.with("proxy_address", a.to_string());
    }
    let mut out = vec![f];
    if let Some(Direct::Reached(a)) = &e.direct {
        let host = e
            .target
            .rsplit_once(':')
            .map_or(e.target.as_str(), |(h, _)| h);
        out.push(
            Finding::new(
                &DIRECT_ONLY,
                format!(
                    "{} answers directly at {a}, but not through {}: the proxy stops the traffic, not the master",
                    e.target,
                    e.proxy.named()
                ),
                format!(
                    "fix the proxy {}, or add {} to NO_PROXY for the service if the master should be reached directly",
                    e.proxy.named(),
                    host.trim_start_matches('[').trim_end_matches(']')
                ),
            )
            .with("direct_address", a.to_string()),
        );
    }
    out
}

/// Judge the proxy environment for traffic to `url` (and gRPC to `grpc_port`), with what
/// the paths through the proxies gave when they were probed.
pub fn judge(
    url: &str,
    grpc_port: Option<u16>,
    env: &BTreeMap<String, String>,
    probes: &Probes,
) -> Evaluation {
    let Some((scheme, host, port, _)) = crate::probe::url::split_url(url) else {
        return Evaluation::single(Finding::new(
            &BAD_URL,
            format!("`{}` is not a URL", redact_proxy(url)),
            "write `endpoint` like https://master.example:8443",
        ));
    };
    let mut findings = Vec::new();
    let mut evidence = crate::report::Evidence::new();
    for (k, v) in env {
        evidence.insert(k.clone(), redact_proxy(v).into());
    }
    for (upper, lower) in [
        ("HTTPS_PROXY", "https_proxy"),
        ("HTTP_PROXY", "http_proxy"),
        ("ALL_PROXY", "all_proxy"),
        ("NO_PROXY", "no_proxy"),
    ] {
        if let (Some(a), Some(b)) = (env.get(upper), env.get(lower))
            && a.trim() != b.trim()
        {
            findings.push(Finding::new(
                &INCONSISTENT,
                format!(
                    "{upper}={} but {lower}={}: tools disagree about the proxy",
                    redact_proxy(a),
                    redact_proxy(b)
                ),
                format!("set {upper} and {lower} to the same value, or unset one of them"),
            ));
        }
    }
    let vars = Env::from_pairs(env.clone());
    let https = scheme == "https";
    let traffic = if https { Traffic::Https } else { Traffic::Http };
    let port = port.unwrap_or(if https { 443 } else { 80 });
    let value = |name: &str| redact_proxy(env.get(name).map_or("", String::as_str));
    match seam::route(&vars, traffic, &host) {
        Route::Direct => findings.push(Finding::pass(format!(
            "no proxy variable captures {scheme} traffic to {host}:{port}"
        ))),
        Route::Excluded { variable, entry } => findings.push(Finding::pass(format!(
            "{variable} is set, but NO_PROXY entry `{entry}` excludes {host}: {scheme} to the master goes direct"
        ))),
        Route::Unusable { variable, why } => {
            let raw = first(env, &[variable]).map_or("", |(_, v)| v);
            let fix = if valid_proxy(raw) {
                format!("use an http:// proxy in {variable}, or add {host} to NO_PROXY")
            } else {
                format!("write {variable} as http://host:port, or unset it")
            };
            findings.push(Finding::new(
                &INVALID,
                format!("{variable}={} captures {scheme} traffic to {host}:{port}, but {why}", value(variable)),
                fix,
            ));
        }
        Route::Proxy(p) => {
            let captures = format!(
                "{} captures {scheme} traffic to {host}:{port} (NO_PROXY does not list it)",
                p.named()
            );
            match &probes.master {
                Some(Probed::Through { what, .. }) => {
                    findings.push(Finding::pass(format!("{captures}; through it, {what}")));
                }
                Some(Probed::Failed(e)) => findings.extend(failed(&scheme, e)),
                Some(Probed::NotProbed(why)) => {
                    findings.push(Finding::new(
                        &CAPTURES_MASTER,
                        format!("{captures}; the path through it was not probed: {why}"),
                        format!("add {host} to NO_PROXY for the service, or make sure the proxy {p} reaches {host}:{port}"),
                    ));
                }
                None => findings.push(Finding::new(
                    &CAPTURES_MASTER,
                    format!("{captures}; the path through it was not probed (--offline)"),
                    format!("add {host} to NO_PROXY for the service, or make sure the proxy {p} reaches {host}:{port}"),
                )),
            }
        }
    }
    if let Some(grpc) = grpc_port {
        match seam::route(&vars, Traffic::Grpc, &host) {
            Route::Proxy(p) => {
                let captures = format!("gRPC to {host}:{grpc} goes through {}", p.named());
                match &probes.grpc {
                    Some(Probed::Through { what, .. }) => {
                        findings.push(Finding::pass(format!("{captures}; through it, {what}")));
                    }
                    Some(Probed::Failed(e)) => findings.extend(failed("gRPC", e)),
                    other => {
                        let why = match other {
                            Some(Probed::NotProbed(why)) => why.clone(),
                            _ => "--offline".into(),
                        };
                        findings.push(Finding::new(
                            &CAPTURES_GRPC,
                            format!("{captures}; the path through it was not probed ({why}); many proxies do not tunnel to gRPC ports"),
                            format!("add {host} to no_grpc_proxy (or NO_PROXY) for the service, or use a proxy that tunnels to {host}:{grpc}"),
                        ));
                    }
                }
            }
            Route::Unusable { variable, why } => findings.push(Finding::new(
                &CAPTURES_GRPC,
                format!("gRPC to {host}:{grpc} would go through {variable}={}, but {why}", value(variable)),
                format!("add {host} to no_grpc_proxy (or NO_PROXY) for the service, or use an http:// proxy that tunnels to {host}:{grpc}"),
            )),
            Route::Direct | Route::Excluded { .. } => {
                findings.push(Finding::pass(format!("gRPC to {host}:{grpc} goes direct")));
            }
        }
    }
    let mut eval = Evaluation::of(findings);
    eval.evidence = evidence;
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect()
    }

    #[test]
    fn no_proxy_matching() {
        assert!(excluded("*", "m.test").is_some());
        assert!(excluded("localhost, .autoglm.test", "master.autoglm.test").is_some());
        assert!(excluded("autoglm.test", "master.autoglm.test").is_some());
        assert!(excluded("autoglm.test:8443", "master.autoglm.test").is_some());
        assert!(excluded("toglm.test", "master.autoglm.test").is_none());
        assert!(excluded("198.51.100.0/24", "198.51.100.7").is_some());
        assert!(excluded("198.51.100.0/24", "203.0.113.7").is_none());
        assert!(excluded("::1", "[::1]").is_some());
    }

    #[test]
    fn verdicts() {
        let url = "https://master.autoglm.test:8443";
        let code = |e: &Evaluation| e.worst().and_then(|f| f.code_name().map(String::from));
        let none = Probes::default();
        assert_eq!(code(&judge(url, None, &env(&[]), &none)), None);
        assert_eq!(
            code(&judge(
                url,
                None,
                &env(&[("HTTPS_PROXY", "http://p:3128")]),
                &none
            )),
            Some("proxy.captures-master".into())
        );
        assert_eq!(
            code(&judge(
                url,
                None,
                &env(&[
                    ("HTTPS_PROXY", "http://p:3128"),
                    ("NO_PROXY", ".autoglm.test")
                ]),
                &none
            )),
            None
        );
        assert_eq!(
            code(&judge(
                url,
                Some(9090),
                &env(&[
                    ("http_proxy", "http://p:3128"),
                    ("NO_PROXY", ".autoglm.test"),
                    ("no_grpc_proxy", "other")
                ]),
                &none
            )),
            Some("proxy.captures-grpc".into())
        );
        assert_eq!(
            code(&judge(
                url,
                None,
                &env(&[("HTTPS_PROXY", "http://a:1"), ("https_proxy", "http://b:1")]),
                &none
            )),
            Some("proxy.inconsistent".into())
        );
    }

    #[test]
    fn credentials_are_redacted() {
        let e = judge(
            "https://m:1",
            None,
            &env(&[("HTTPS_PROXY", "http://svc:hunter2@proxy:3128")]),
            &Probes::default(),
        );
        let all = format!("{e:?}");
        assert!(!all.contains("hunter2"), "{all}");
        assert!(all.contains("http://<redacted>@proxy:3128"));
    }

    fn probed(problem: Problem, direct: Option<Direct>) -> Probes {
        let e = seam::ProxyError {
            proxy: seam::Proxy::parse("HTTPS_PROXY", "http://svc:hunter2@127.0.0.1:9").unwrap(),
            target: "m.test:8443".into(),
            addr: None,
            problem,
            direct,
        };
        Probes {
            master: Some(Probed::Failed(Box::new(e.clone()))),
            grpc: Some(Probed::Failed(Box::new(e))),
        }
    }

    #[test]
    fn the_seam_redacts_with_the_same_words() {
        assert_eq!(seam::REDACTED, crate::secret::REDACTED);
    }

    #[test]
    fn the_probed_path_decides_and_names_the_proxy() {
        let url = "https://m.test:8443";
        let vars = env(&[("HTTPS_PROXY", "http://svc:hunter2@127.0.0.1:9")]);
        let refused = vec![(
            "127.0.0.1:9".parse().unwrap(),
            crate::probe::tcp::Outcome::Refused,
        )];
        let e = judge(
            url,
            None,
            &vars,
            &probed(
                Problem::Connect(refused.clone()),
                Some(Direct::Reached("127.0.0.1:8443".parse().unwrap())),
            ),
        );
        let codes: Vec<_> = e.findings.iter().filter_map(Finding::code_name).collect();
        assert_eq!(codes, ["proxy.unreachable", "proxy.direct-only"]);
        assert_eq!(e.status(), Status::Fail);
        let w = e.worst().unwrap();
        assert!(
            w.message.contains(
                "HTTPS_PROXY=http://<redacted>@127.0.0.1:9 is unreachable: 127.0.0.1:9 refused"
            ),
            "{}",
            w.message
        );
        assert!(
            w.remediation
                .as_deref()
                .unwrap()
                .contains("add m.test to NO_PROXY")
        );
        let cases = [
            (
                Problem::Refused {
                    status: 403,
                    reason: "Forbidden".into(),
                    authenticate: None,
                },
                "proxy.refused",
            ),
            (
                Problem::AuthRequired {
                    status: 407,
                    authenticate: Some("Basic realm=\"p\"".into()),
                },
                "proxy.auth-required",
            ),
            (
                Problem::AuthRejected {
                    status: 407,
                    authenticate: None,
                },
                "proxy.auth-rejected",
            ),
            (
                Problem::Upstream {
                    status: 502,
                    reason: "Bad Gateway".into(),
                },
                "proxy.upstream-failed",
            ),
            (Problem::NoAnswer("closed".into()), "proxy.unreachable"),
        ];
        for (problem, want) in cases {
            let e = judge(
                url,
                Some(9090),
                &vars,
                &probed(problem, Some(Direct::Failed("refused".into()))),
            );
            assert_eq!(e.worst().and_then(Finding::code_name), Some(want));
            // Both the endpoint and the sync port are named, and no credential anywhere.
            assert_eq!(
                e.findings
                    .iter()
                    .filter(|f| f.code_name() == Some(want))
                    .count(),
                2
            );
            let all = format!("{e:?}");
            assert!(!all.contains("hunter2") && !all.contains("svc:"), "{all}");
        }
        let through = Probes {
            master: Some(Probed::Through {
                proxy: "p".into(),
                what: "CONNECT m.test:8443 opened a tunnel".into(),
            }),
            grpc: Some(Probed::NotProbed("guard".into())),
        };
        let e = judge(url, Some(9090), &vars, &through);
        let codes: Vec<_> = e
            .findings
            .iter()
            .map(|f| (f.status, f.code_name()))
            .collect();
        assert_eq!(
            codes,
            [
                (Status::Pass, None),
                (Status::Warn, Some("proxy.captures-grpc"))
            ]
        );
    }
}
