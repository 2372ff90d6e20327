//! `dns`: resolve the master host along both paths — the system resolver (what the service
//! sees) and direct queries to each nameserver (what getaddrinfo hides: NXDOMAIN, SERVFAIL,
//! REFUSED, timeout, NODATA) — and say which gave what.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::dns::{self, Outcome};
use crate::probe::inner_timeout;
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolvePath {
    /// getaddrinfo: /etc/hosts, nsswitch, the system's resolver.
    System,
    /// Direct DNS queries to each nameserver.
    Direct,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The name to resolve (e.g. `${config.endpoint.host}`).
    pub host: Text,
    /// Nameservers to ask directly, `ip` or `ip:port`; empty: those of /etc/resolv.conf.
    #[serde(default)]
    pub nameservers: Vec<super::param::Nameserver>,
    /// Which paths to try (default both).
    #[serde(default = "both")]
    pub paths: Vec<ResolvePath>,
}

fn both() -> Vec<ResolvePath> {
    vec![ResolvePath::System, ResolvePath::Direct]
}

super::generated_codes!("dns");

/// A nameserver says the name does not exist (NXDOMAIN).
pub const NXDOMAIN: Code = Code::new(
    "dns.nxdomain",
    Status::Fail,
    "A nameserver says the name does not exist (NXDOMAIN).",
    "Correct the host in `endpoint`, or create the DNS record for it.",
);

/// The name exists but has no A or AAAA record (NODATA).
pub const NO_ADDRESS: Code = Code::new(
    "dns.no-address",
    Status::Fail,
    "The name exists but has no A or AAAA record (NODATA).",
    "Add an A/AAAA record for the host (a CNAME to nowhere also looks like this).",
);

/// A nameserver answered SERVFAIL: it could not resolve the name (upstream or DNSSEC failure).
pub const SERVFAIL: Code = Code::new(
    "dns.servfail",
    Status::Fail,
    "A nameserver answered SERVFAIL: it could not resolve the name (upstream or DNSSEC failure).",
    "Fix the nameserver's upstream or DNSSEC, or point the node at a working resolver.",
);

/// A nameserver refused the query, or nothing listens on its port.
pub const REFUSED: Code = Code::new(
    "dns.refused",
    Status::Fail,
    "A nameserver refused the query (REFUSED: this client is not allowed), or nothing listens on its port (connection refused, ICMP port unreachable).",
    "Allow this node's network on the resolver, start the nameserver, or use a resolver that serves this node.",
);

/// A nameserver answered with something that is not a DNS reply.
pub const MALFORMED: Code = Code::new(
    "dns.malformed",
    Status::Fail,
    "A nameserver answered with something that is not a DNS reply (a broken server, or another service on its port).",
    "Check what listens on the nameserver's port 53 and repair or replace it.",
);

/// A nameserver did not answer in time (down, or UDP/TCP 53 blocked).
pub const NO_ANSWER: Code = Code::new(
    "dns.no-answer",
    Status::Fail,
    "A nameserver did not answer in time (down, or UDP/TCP 53 blocked).",
    "Check the nameserver is up and that port 53 (UDP and TCP) is open from this node.",
);

/// The system resolver (getaddrinfo) cannot resolve the name, which is what the service uses.
pub const SYSTEM_FAILURE: Code = Code::new(
    "dns.system-failure",
    Status::Fail,
    "The system resolver (getaddrinfo) cannot resolve the name, which is what the service uses.",
    "Check /etc/resolv.conf, /etc/nsswitch.conf and /etc/hosts on this node.",
);

/// Nameservers or resolution paths disagree about the name's addresses.
pub const INCONSISTENT: Code = Code::new(
    "dns.inconsistent",
    Status::Warn,
    "Nameservers or resolution paths disagree about the name's addresses (a failure when the address the service uses has nothing listening while another answer's address accepts: a stale answer).",
    "Remove stale /etc/hosts entries or align the resolvers so every path gives the same answer.",
);

/// The lookup failed for another reason (given in the message).
pub const ERROR: Code = Code::new(
    "dns.error",
    Status::Fail,
    "The lookup failed for another reason (given in the message).",
    "Follow the message; check the nameserver configuration.",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "dns",
        category: "network",
        summary: "The master's name resolves, through the system resolver and directly at each nameserver",
        explain: "What it checks: the master host name along two paths. The system resolver (getaddrinfo: /etc/hosts, nsswitch, the resolver the service itself uses) says only \"works\" or \"does not\". Direct queries for A and AAAA records to each nameserver (listed in `nameservers`, `network.nameservers` in the node config, or /etc/resolv.conf) tell apart why: NXDOMAIN (the name does not exist), NODATA (no A/AAAA record), SERVFAIL, REFUSED, no answer. It warns when servers or paths disagree (a stale /etc/hosts entry, a split-horizon resolver). The addresses found are handed to the TCP, TLS and HTTP checks.\n\nWhy it matters: a node that cannot resolve the master cannot sync; DNS failures and firewalls are the most common network cause, and every later check fails in its wake — the doctor reports DNS as the root cause and skips what it blocks.\n\nHow to fix: NXDOMAIN — correct `endpoint` or create the record; SERVFAIL/timeout — fix or replace the nameserver (upstream, DNSSEC, firewall on port 53); REFUSED — allow this node's network on the resolver; a system-path failure with direct answers — check /etc/nsswitch.conf and /etc/resolv.conf; differing answers — remove stale /etc/hosts entries or align the resolvers.",
        default_timeout: Duration::from_secs(5),
        network: true,
        reads_config: false,
        codes: &[
            NXDOMAIN,
            NO_ADDRESS,
            SERVFAIL,
            REFUSED,
            MALFORMED,
            NO_ANSWER,
            SYSTEM_FAILURE,
            INCONSISTENT,
            ERROR,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let host = spec.host.0.trim().trim_end_matches('.').to_string();
        let budget = inner_timeout(ctx.timeout);
        if host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok()
        {
            return Evaluation::single(Finding::pass(format!(
                "{host} is an address; nothing to resolve"
            )));
        }
        let system = async {
            if !spec.paths.contains(&ResolvePath::System) {
                return None;
            }
            let start = Instant::now();
            let o = dns::system_lookup(&host, budget).await;
            Some((o, start.elapsed()))
        };
        // RFC 6761: `localhost` is answered locally, never by a nameserver; only /etc/hosts
        // (the system path) says anything about it.
        let special = host == "localhost" || host.ends_with(".localhost");
        let servers: Result<Vec<SocketAddr>, String> =
            if spec.paths.contains(&ResolvePath::Direct) && !special {
                if spec.nameservers.is_empty() {
                    dns::system_nameservers()
                } else {
                    Ok(spec.nameservers.iter().map(|s| s.0).collect())
                }
            } else {
                Ok(Vec::new())
            };
        let servers = match servers {
            Ok(s) => s,
            Err(e) => {
                let mut eval = Evaluation::single(Finding::new(
                    &ERROR,
                    e,
                    "list nameservers as ip or ip:port in the suite or `network.nameservers`",
                ));
                eval.cause = Some(Cause::ProbeError);
                return eval;
            }
        };
        // Under the loopback-only guard, the system's nameservers are never asked: a local
        // stub resolver would forward the query off the machine.
        let guarded = spec.nameservers.is_empty() && crate::probe::loopback_only();
        let direct = futures_util::future::join_all(servers.iter().map(|&server| {
            let host = host.clone();
            async move {
                if guarded {
                    let why = format!("{} is set; the system nameserver {server} is not asked (list nameservers explicitly)", crate::probe::LOOPBACK_ONLY_ENV);
                    return (server, Outcome::NotProbed(why), Duration::ZERO);
                }
                let start = Instant::now();
                let (a, aaaa) = tokio::join!(
                    dns::query(
                        server,
                        &host,
                        hickory_resolver::proto::rr::RecordType::A,
                        budget
                    ),
                    dns::query(
                        server,
                        &host,
                        hickory_resolver::proto::rr::RecordType::AAAA,
                        budget
                    )
                );
                (server, combine(a, aaaa), start.elapsed())
            }
        }));
        let (system, direct) = tokio::join!(system, direct);
        judge(&host, system.as_ref(), &direct)
    }
}

/// One answer per server from its A and AAAA answers.
pub fn combine(a: Outcome, aaaa: Outcome) -> Outcome {
    match (a, aaaa) {
        (Outcome::Addresses(mut x), Outcome::Addresses(y)) => {
            x.extend(y);
            Outcome::Addresses(x)
        }
        (Outcome::Addresses(x), _) | (_, Outcome::Addresses(x)) => Outcome::Addresses(x),
        (Outcome::NoData, other) | (other, Outcome::NoData) => {
            if matches!(other, Outcome::NoData) {
                Outcome::NoData
            } else {
                other
            }
        }
        (first, _) => first,
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn sorted(v: &[IpAddr]) -> Vec<IpAddr> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

fn server_ip(server: &str) -> String {
    server
        .parse::<SocketAddr>()
        .map_or_else(|_| server.to_string(), |s| s.ip().to_string())
}

fn server_port(server: &str) -> u16 {
    server.parse::<SocketAddr>().map_or(53, |s| s.port())
}

fn failure(host: &str, server: &str, o: &Outcome) -> Finding {
    let (code, fix) = match o {
        Outcome::NxDomain => (
            &NXDOMAIN,
            format!(
                "correct the host `{host}` in `endpoint`, or create its DNS record on {server}'s zone"
            ),
        ),
        Outcome::NoData => (&NO_ADDRESS, format!("add an A or AAAA record for {host}")),
        Outcome::ServFail => (
            &SERVFAIL,
            format!(
                "fix {server}'s upstream or DNSSEC for {host}, or point the node at a working resolver"
            ),
        ),
        Outcome::Refused => (
            &REFUSED,
            format!("allow this node's network on {server}, or use a resolver that serves it"),
        ),
        Outcome::ConnectionRefused => (
            &REFUSED,
            format!(
                "start the nameserver on {server} (nothing listens on its port), or remove it from `network.nameservers` / /etc/resolv.conf"
            ),
        ),
        Outcome::Malformed(_) => (
            &MALFORMED,
            format!(
                "check what answers on {server} (`dig @{} -p {} {host}`) and repair or replace the nameserver",
                server_ip(server),
                server_port(server)
            ),
        ),
        Outcome::Timeout => (
            &NO_ANSWER,
            format!(
                "check that {server} is up and that UDP and TCP port 53 are open from this node"
            ),
        ),
        Outcome::SystemFailure(_) => (
            &SYSTEM_FAILURE,
            "check /etc/resolv.conf, /etc/nsswitch.conf and /etc/hosts on this node".to_string(),
        ),
        Outcome::NotProbed(_) => (
            &NOT_PROBED,
            "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe this target".to_string(),
        ),
        Outcome::Error(_) | Outcome::Addresses(_) => (
            &ERROR,
            format!("check the resolver configuration for {host}"),
        ),
    };
    Finding::new(code, format!("{server}: {host}: {}", o.describe()), fix)
}

/// Judge what the paths found.
pub fn judge(
    host: &str,
    system: Option<&(Outcome, Duration)>,
    direct: &[(SocketAddr, Outcome, Duration)],
) -> Evaluation {
    let mut findings = Vec::new();
    let mut evidence = crate::report::Evidence::new();
    let mut answers: Vec<(String, Vec<IpAddr>)> = Vec::new();
    if let Some((o, d)) = &system {
        evidence.insert(
            "system".into(),
            serde_json::json!({"result": o.describe(), "ms": ms(*d)}),
        );
        match o {
            Outcome::Addresses(a) => answers.push(("the system resolver".into(), sorted(a))),
            other => {
                findings.push(failure(host, "the system resolver", other).with("path", "system"));
            }
        }
    }
    for (server, o, d) in direct {
        evidence.insert(
            format!("server {server}"),
            serde_json::json!({"result": o.describe(), "ms": ms(*d)}),
        );
        match o {
            Outcome::Addresses(a) => answers.push((server.to_string(), sorted(a))),
            other => findings.push(
                failure(host, &server.to_string(), other)
                    .with("path", "direct")
                    .with("server", server.to_string()),
            ),
        }
    }
    let failed_system = system.is_some_and(|(o, _)| !matches!(o, Outcome::Addresses(_)));
    // A failing server among answering ones is a disagreement, not (yet) a failed lookup.
    if !answers.is_empty() && !failed_system {
        for f in &mut findings {
            if f.status == Status::Fail {
                f.status = Status::Warn;
                f.remediation = Some(format!(
                    "{} (the name still resolves through {})",
                    f.remediation.clone().unwrap_or_default(),
                    answers[0].0
                ));
            }
        }
    }
    // When the system path fails and a nameserver says why (NXDOMAIN, SERVFAIL, REFUSED, no
    // answer ...), that answer is the diagnosis and heads the result; the system failure is
    // folded into it instead of headlining with a generic fix.
    let system_failed_hard = findings.first().is_some_and(|f| {
        f.status == Status::Fail && f.evidence.get("path").is_some_and(|p| p == "system")
    });
    if system_failed_hard && answers.is_empty() && findings.len() > 1 {
        let direct_fail = findings
            .iter()
            .skip(1)
            .position(|f| f.status == Status::Fail)
            .map(|i| i + 1);
        if let Some(i) = direct_fail {
            let system_finding = findings.remove(0);
            let mut head = findings.remove(i - 1);
            head.message = format!(
                "{}; the system resolver fails too ({})",
                head.message,
                system.map(|(o, _)| o.describe()).unwrap_or_default()
            );
            findings.insert(0, head);
            drop(system_finding);
        }
    }
    if let Some((first, addrs)) = answers.first() {
        let differing: Vec<String> = answers
            .iter()
            .filter(|(_, a)| a != addrs)
            .map(|(who, a)| {
                format!(
                    "{who}: {}",
                    a.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        if !differing.is_empty() {
            findings.push(Finding::new(&INCONSISTENT, format!("answers differ for {host}: {first}: {}; {}", addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "), differing.join("; ")),
                format!("remove stale /etc/hosts entries for {host} or align the resolvers so every path gives the same addresses"),
            ));
        }
    }
    if failed_system && !answers.is_empty() {
        for f in &mut findings {
            if f.code == Some(&SYSTEM_FAILURE) {
                f.message = format!(
                    "{} — yet {} answers {}; the service uses the system resolver",
                    f.message,
                    answers[0].0,
                    answers[0]
                        .1
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    let mut eval = if let (Some((who, addrs)), false) = (
        answers.first(),
        findings.iter().any(|f| f.status == Status::Fail),
    ) {
        let list = addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let total = answers.len();
        let disagree = answers.iter().filter(|(_, a)| a != addrs).count();
        let mut f = vec![Finding::pass(format!(
            "{host} → {list} ({who}{})",
            match (total - 1, disagree) {
                (0, _) => String::new(),
                (agree, 0) => format!("; {agree} more agree"),
                (_, 1) => format!("; 1 of {total} answers disagrees"),
                (_, d) => format!("; {d} of {total} answers disagree"),
            }
        ))];
        f.extend(findings);
        let mut e = Evaluation::of(f);
        // What the service will use: the system path when it answered.
        e.facts.insert(
            format!("dns.addresses.{host}"),
            serde_json::json!(addrs.iter().map(ToString::to_string).collect::<Vec<_>>()),
        );
        // The answers that differ, so that a connection check can tell a stale answer (the
        // address in use has nothing listening, another answer's does) from a master that is
        // down.
        let others: serde_json::Map<String, serde_json::Value> = answers
            .iter()
            .filter(|(_, a)| a != addrs)
            .map(|(who, a)| {
                (
                    who.clone(),
                    serde_json::json!(a.iter().map(ToString::to_string).collect::<Vec<_>>()),
                )
            })
            .collect();
        if !others.is_empty() {
            e.facts.insert(
                format!("dns.other-answers.{host}"),
                serde_json::Value::Object(others),
            );
        }
        e
    } else if findings.is_empty() {
        Evaluation::single(Finding::new(
            &NOT_PROBED,
            format!("no resolution path was tried for {host}"),
            "enable at least one of `paths: [system, direct]` and give nameservers",
        ))
    } else {
        Evaluation::of(findings)
    };
    eval.evidence = evidence;
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn srv(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }
    const D: Duration = Duration::from_millis(3);

    #[test]
    fn combine_a_and_aaaa() {
        assert_eq!(
            combine(Outcome::Addresses(vec![ip("127.0.0.1")]), Outcome::NoData),
            Outcome::Addresses(vec![ip("127.0.0.1")])
        );
        assert_eq!(combine(Outcome::NoData, Outcome::NoData), Outcome::NoData);
        assert_eq!(
            combine(Outcome::NxDomain, Outcome::NxDomain),
            Outcome::NxDomain
        );
        assert_eq!(combine(Outcome::NoData, Outcome::Timeout), Outcome::Timeout);
    }

    #[test]
    fn judge_cases() {
        type Case = (Option<Outcome>, Vec<Outcome>, Status, Option<&'static str>);
        let ok = Outcome::Addresses(vec![ip("127.0.0.1")]);
        let cases: Vec<Case> = vec![
            (Some(ok.clone()), vec![ok.clone()], Status::Pass, None),
            (
                None,
                vec![Outcome::NxDomain],
                Status::Fail,
                Some("dns.nxdomain"),
            ),
            (
                None,
                vec![Outcome::ServFail],
                Status::Fail,
                Some("dns.servfail"),
            ),
            (
                None,
                vec![Outcome::Refused],
                Status::Fail,
                Some("dns.refused"),
            ),
            (
                None,
                vec![Outcome::Timeout],
                Status::Fail,
                Some("dns.no-answer"),
            ),
            (
                None,
                vec![Outcome::NoData],
                Status::Fail,
                Some("dns.no-address"),
            ),
            (
                Some(Outcome::SystemFailure("no".into())),
                vec![ok.clone()],
                Status::Fail,
                Some("dns.system-failure"),
            ),
            // The system path fails and a nameserver says why: its answer is the headline.
            (
                Some(Outcome::SystemFailure("no".into())),
                vec![Outcome::NxDomain],
                Status::Fail,
                Some("dns.nxdomain"),
            ),
            (
                Some(Outcome::SystemFailure("no".into())),
                vec![Outcome::ServFail],
                Status::Fail,
                Some("dns.servfail"),
            ),
            (
                None,
                vec![Outcome::ConnectionRefused],
                Status::Fail,
                Some("dns.refused"),
            ),
            (
                None,
                vec![Outcome::Malformed("junk".into())],
                Status::Fail,
                Some("dns.malformed"),
            ),
            (
                Some(ok.clone()),
                vec![Outcome::Timeout],
                Status::Warn,
                Some("dns.no-answer"),
            ),
            (
                Some(ok.clone()),
                vec![Outcome::Addresses(vec![ip("192.0.2.9")])],
                Status::Warn,
                Some("dns.inconsistent"),
            ),
        ];
        for (system, direct, status, code) in cases {
            let direct: Vec<_> = direct
                .into_iter()
                .map(|o| (srv("127.0.0.1:5353"), o, D))
                .collect();
            let system = system.map(|o| (o, D));
            let e = judge("m.test", system.as_ref(), &direct);
            assert_eq!(e.status(), status, "{e:?}");
            assert_eq!(e.worst().unwrap().code_name(), code, "{e:?}");
            if status != Status::Fail {
                assert!(e.facts.contains_key("dns.addresses.m.test"));
            }
        }
    }

    #[test]
    fn disagreement_is_counted_as_one_of_two() {
        let a = Outcome::Addresses(vec![ip("127.0.0.2")]);
        let b = Outcome::Addresses(vec![ip("127.0.0.3")]);
        let direct = vec![(srv("127.0.0.1:5353"), b, D)];
        let e = judge("m.test", Some(&(a, D)), &direct);
        assert_eq!(
            e.findings[0].message,
            "m.test → 127.0.0.2 (the system resolver; 1 of 2 answers disagrees)"
        );
        assert_eq!(
            e.facts["dns.other-answers.m.test"]["127.0.0.1:5353"][0],
            "127.0.0.3"
        );
    }

    #[test]
    fn a_system_failure_is_folded_into_the_nameservers_answer() {
        let direct = vec![(srv("127.0.0.1:5353"), Outcome::NxDomain, D)];
        let system = (
            Outcome::SystemFailure("Name or service not known".into()),
            D,
        );
        let e = judge("m.test", Some(&system), &direct);
        assert_eq!(e.findings.len(), 1, "{e:?}");
        assert!(e.findings[0].message.contains("NXDOMAIN"));
        assert!(
            e.findings[0]
                .message
                .contains("the system resolver fails too (Name or service not known)")
        );
    }
}
