//! `proxy`: would the proxy environment capture the node's traffic to the master — HTTPS
//! to the endpoint, gRPC to the sync port? Which variable, which value (credentials
//! redacted), and whether NO_PROXY excludes the master.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

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

/// A proxy variable sends HTTPS to the master through a proxy (NO_PROXY does not exclude it).
pub const CAPTURES_MASTER: Code = Code::new(
    "proxy.captures-master",
    Status::Warn,
    "A proxy variable sends HTTPS to the master through a proxy (NO_PROXY does not exclude it).",
    "Add the master's host to NO_PROXY, or make sure the proxy reaches the master.",
);

/// gRPC to the master's sync port would go through a proxy; many proxies do not pass HTTP/2 gRPC.
pub const CAPTURES_GRPC: Code = Code::new(
    "proxy.captures-grpc",
    Status::Warn,
    "gRPC to the master's sync port would go through a proxy; many proxies do not pass HTTP/2 gRPC.",
    "Add the master's host to no_grpc_proxy/NO_PROXY, or use a proxy that passes gRPC.",
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
    "A proxy variable does not hold a usable proxy URL.",
    "Write the proxy as http://host:port (credentials, if any, as user:password@).",
);

/// The endpoint is not a URL the check can evaluate.
pub const BAD_URL: Code = Code::new(
    "proxy.bad-url",
    Status::Fail,
    "The endpoint is not a URL the check can evaluate.",
    "Write `endpoint` like https://master.example:8443.",
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
        summary: "The proxy environment does not silently capture traffic to the master (HTTPS or gRPC)",
        explain: "What it checks: the proxy variables the service inherits — HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY in both cases, and gRPC's own grpc_proxy / no_grpc_proxy — and whether they send the node's traffic to the master through a proxy: HTTPS to the endpoint, and gRPC to the sync port (gRPC honours grpc_proxy, then https_proxy, then http_proxy). It says which variable captures which traffic, and whether NO_PROXY (exact names, domain suffixes, `*`, addresses and CIDR ranges) excludes the master. Upper- and lower-case variables that disagree are reported too. Proxy credentials are never shown. Run the doctor with the service's environment (e.g. `systemctl show -p Environment open-autoglm`) for this check to see what the service sees.\n\nWhy it matters: a proxy that does not forward gRPC, or that cannot reach the master, makes sync fail with errors that point at the master, not at the proxy.\n\nHow to fix: add the master's host to NO_PROXY (and no_grpc_proxy for gRPC), or make sure the proxy reaches the master on the endpoint port and passes HTTP/2 for gRPC.",
        default_timeout: Duration::from_secs(2),
        network: false,
        reads_config: false,
        codes: &[
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
        let env: BTreeMap<String, String> = VARIABLES
            .iter()
            .filter_map(|v| ctx.env.var(v).map(|val| ((*v).to_string(), val)))
            .collect();
        judge(
            &spec.url.0,
            spec.grpc_port.map(|p| p.0.to_string()).as_deref(),
            &env,
        )
    }
}

/// `http://user:pass@proxy:3128` → `http://<redacted>@proxy:3128`.
pub fn redact_proxy(url: &str) -> String {
    crate::secret::redact_url(url)
}

/// Whether a NO_PROXY list excludes `host`.
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
        // Entries may carry a port (host:port): the port does not matter here.
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

/// Judge the proxy environment for traffic to `url` (and gRPC to `grpc_port`).
pub fn judge(url: &str, grpc_port: Option<&str>, env: &BTreeMap<String, String>) -> Evaluation {
    let Some((scheme, host, port, _)) = crate::probe::url::split_url(url) else {
        return Evaluation::single(Finding::new(
            &BAD_URL,
            format!("`{url}` is not a URL"),
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
    let no_proxy = first(env, &["no_proxy", "NO_PROXY"]).map_or("", |(_, v)| v);
    let via = if scheme == "https" {
        first(
            env,
            &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        )
    } else {
        first(env, &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"])
    };
    let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    match via {
        Some((name, value)) if !valid_proxy(value) => findings.push(Finding::new(&INVALID, format!("{name}={} is not a proxy URL", redact_proxy(value)), format!("write {name} as http://host:port, or unset it"))),
        Some((name, value)) => match excluded(no_proxy, &host) {
            Some(entry) => findings.push(Finding::pass(format!("{name} is set, but NO_PROXY entry `{entry}` excludes {host}: HTTPS to the master goes direct"))),
            None => findings.push(Finding::new(&CAPTURES_MASTER, format!("{name}={} captures {scheme} traffic to {host}:{port} (NO_PROXY does not list it)", redact_proxy(value)),
                format!("add {host} to NO_PROXY for the service, or make sure the proxy {} reaches {host}:{port}", redact_proxy(value)),
            )),
        },
        None => findings.push(Finding::pass(format!("no proxy variable captures {scheme} traffic to {host}:{port}"))),
    }
    if let Some(grpc) = grpc_port {
        let no_grpc = first(env, &["no_grpc_proxy"]).map_or(no_proxy, |(_, v)| v);
        match first(env, &["grpc_proxy", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]) {
            Some((name, value)) if excluded(no_grpc, &host).is_none() => findings.push(Finding::new(&CAPTURES_GRPC, format!("gRPC to {host}:{grpc} would go through {name}={}; many proxies do not pass HTTP/2 gRPC", redact_proxy(value)),
                format!("add {host} to no_grpc_proxy (or NO_PROXY) for the service, or use a proxy that passes gRPC to {host}:{grpc}"),
            )),
            _ => findings.push(Finding::pass(format!("gRPC to {host}:{grpc} goes direct"))),
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
        assert_eq!(code(&judge(url, None, &env(&[]))), None);
        assert_eq!(
            code(&judge(url, None, &env(&[("HTTPS_PROXY", "http://p:3128")]))),
            Some("proxy.captures-master".into())
        );
        assert_eq!(
            code(&judge(
                url,
                None,
                &env(&[
                    ("HTTPS_PROXY", "http://p:3128"),
                    ("NO_PROXY", ".autoglm.test")
                ])
            )),
            None
        );
        assert_eq!(
            code(&judge(
                url,
                Some("9090"),
                &env(&[
                    ("http_proxy", "http://p:3128"),
                    ("NO_PROXY", ".autoglm.test"),
                    ("no_grpc_proxy", "other")
                ])
            )),
            Some("proxy.captures-grpc".into())
        );
        assert_eq!(
            code(&judge(
                url,
                None,
                &env(&[("HTTPS_PROXY", "http://a:1"), ("https_proxy", "http://b:1")])
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
        );
        let all = format!("{e:?}");
        assert!(!all.contains("hunter2"), "{all}");
        assert!(all.contains("http://<redacted>@proxy:3128"));
    }
}
