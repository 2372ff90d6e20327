//! `tcp`: connect to each configured port of each address of the master, concurrently, and
//! classify what stops a connection: refused, silently dropped, unreachable.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::tcp::{self, LocalPort, Outcome};
use crate::probe::{addresses_for, inner_timeout};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

/// Ports as a list (`[8080, 9090]`) or named (`{http: 8080, grpc: 9090}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports(pub Vec<(Option<String>, u16)>);

impl<'de> Deserialize<'de> for Ports {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        fn port<E: Error>(v: &serde_json::Value) -> Result<u16, E> {
            let n = match v {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| E::custom(format!("invalid port {v}: expected 1-65535")))
        }
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|v| port(v).map(|p| (None, p)))
                .collect::<Result<_, _>>()
                .map(Ports),
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| port(v).map(|p| (Some(k.clone()), p)))
                .collect::<Result<_, _>>()
                .map(Ports),
            v @ (serde_json::Value::Number(_) | serde_json::Value::String(_)) => {
                Ok(Ports(vec![(None, port(&v)?)]))
            }
            other => Err(D::Error::custom(format!(
                "expected a port, a list of ports or a mapping of names to ports, found {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    #[default]
    Any,
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Host name or address (e.g. `${config.endpoint.host}`).
    pub host: Text,
    pub ports: Ports,
    /// Probe IPv4 addresses, IPv6 addresses, or both (default).
    #[serde(default)]
    pub family: Family,
}

super::generated_codes!("tcp");

/// The connection was refused (RST): nothing listens on the port, or a REJECT rule.
pub const REFUSED: Code = Code::new(
    "tcp.refused",
    Status::Fail,
    "The connection was refused (RST): nothing listens on the port, or a REJECT rule.",
    "Start the master service on that port, or remove the REJECT rule.",
);

/// No answer within the timeout: packets are silently dropped (firewall DROP, NetworkPolicy, security group).
pub const FILTERED: Code = Code::new(
    "tcp.filtered",
    Status::Fail,
    "No answer within the timeout: the SYN is silently dropped, by a firewall (DROP, NetworkPolicy, security group) or by the master when the port's accept queue is full.",
    "Check the master's listen queue (`ss -ltn`, `nstat -az TcpExtListenOverflows`); if it is not full, allow the port from this node in the firewall or NetworkPolicy.",
);

/// Host or network unreachable: no route to the address.
pub const UNREACHABLE: Code = Code::new(
    "tcp.unreachable",
    Status::Fail,
    "Host or network unreachable: no route to the address.",
    "Fix routing to the master (`ip route get ADDRESS`) or bring the host up; if the route is there, look for a firewall rejecting with ICMP.",
);

/// An ICMP error rejected one port while other ports of the same address connect.
pub const REJECTED: Code = Code::new(
    "tcp.rejected",
    Status::Fail,
    "An ICMP error (admin-prohibited) rejected one port while other ports of the same address connect: a firewall REJECT rule, not routing.",
    "Remove or narrow the firewall rule rejecting the port (`nft list ruleset`, `iptables -L -n -v`).",
);

/// The listener on the port does not accept connections: its accept queue is full and the kernel drops new SYNs.
pub const ACCEPT_QUEUE_FULL: Code = Code::new(
    "tcp.accept-queue-full",
    Status::Fail,
    "No answer within the timeout, and this host's kernel shows why: the listener on the port has connections waiting in a full accept queue and it dropped SYNs for it (TcpExtListenOverflows rose). The service is not accepting (hung, or overloaded), not a firewall.",
    "Find why the service on the port stopped accepting (`ss -ltnp 'sport = :PORT'`: Recv-Q at its backlog); restart it, or raise its listen backlog and `net.core.somaxconn` if it is only slow.",
);

/// The host name did not resolve, so there was nothing to connect to.
pub const UNRESOLVED: Code = Code::new(
    "tcp.unresolved",
    Status::Fail,
    "The host name did not resolve, so there was nothing to connect to.",
    "Fix name resolution first (add a dns check to see why).",
);

/// The connection failed for a local reason (address in use or not available) or another error.
pub const ERROR: Code = Code::new(
    "tcp.error",
    Status::Fail,
    "The connection failed for a local reason (address in use or not available) or another error.",
    "Follow the error in the message.",
);

/// No ports are configured, so nothing was probed.
pub const NO_PORTS: Code = Code::new(
    "tcp.no-ports",
    Status::Skip,
    "No ports are configured, so nothing was probed.",
    "List the master's ports (e.g. `sync.ports` in the node config).",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "tcp",
        category: "ports",
        summary: "Each configured port of each master address accepts a TCP connection",
        explain: "What it checks: a TCP connection to every configured port (HTTP 8080, gRPC 9090, ...) of every address of the master (IPv4 and IPv6, as the dns check resolved them), all at once. Each is classified: open; refused (an RST: nothing listening, or a REJECT rule); filtered (no answer at all within the timeout: a firewall DROP rule, a Kubernetes NetworkPolicy or a security group silently discarding packets); unreachable (no route, host or network unreachable).\n\nWhy it matters: a NetworkPolicy that drops instead of rejecting makes sync fail silently; `telnet host 8080` by hand waits out one timeout per port. Here five black-holed ports cost one timeout, and the distinction points at the right team: service down (refused) vs firewall (filtered) vs routing (unreachable).\n\nHow to fix: refused — start the master service on that port or check for REJECT rules; filtered — check the master's listen queue first (`ss -ltn`, `nstat -az TcpExtListenOverflows`: a full accept queue drops SYNs like a firewall does), else allow the port from this node in the firewall or NetworkPolicy between node and master (`iptables -L -n`, `nft list ruleset`, `kubectl get networkpolicy`); rejected (an ICMP error for one port while others of the address connect) — remove the firewall REJECT rule; unreachable — fix routing (`ip route get ADDRESS`) or bring the host up. When the address is one of this host's own (the master-node suite, loopback), its kernel settles what the connecting side cannot: no answer with a listener whose accept queue is full while the kernel counts dropped SYNs (`TcpExtListenOverflows`) is `tcp.accept-queue-full` (the service is not accepting), no answer otherwise is a DROP rule on this host, and an ICMP error needs no route, so it is a REJECT rule. A connect refused with EACCES (an ICMPv6 admin-prohibited reject) or EPERM (this node's own firewall) is a firewall reject, never routing. A port that accepts on one of a name's addresses but not another is a warning naming the family: clients fall back.",
        default_timeout: Duration::from_secs(5),
        network: true,
        reads_config: false,
        codes: &[
            REFUSED,
            FILTERED,
            UNREACHABLE,
            REJECTED,
            ACCEPT_QUEUE_FULL,
            UNRESOLVED,
            ERROR,
            NO_PORTS,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let host = spec.host.0.trim().to_string();
        let budget = inner_timeout(ctx.timeout);
        if spec.ports.0.is_empty() {
            return Evaluation::single(Finding::new(
                &NO_PORTS,
                format!("no ports configured for {host}"),
                "list the ports to probe (e.g. `sync.ports` in the node config)",
            ));
        }
        let (addrs, via) = match addresses_for(&host, &ctx.facts, budget).await {
            Ok(a) => a,
            Err(why) => {
                let mut e = Evaluation::single(Finding::new(
                    &UNRESOLVED,
                    format!("{host} does not resolve: {why}"),
                    format!(
                        "fix name resolution of {host} first; add a dns check before this one to see why it fails"
                    ),
                ));
                e.cause = Some(Cause::ProbeError);
                return e;
            }
        };
        let addrs: Vec<IpAddr> = addrs
            .into_iter()
            .filter(|a| match spec.family {
                Family::Any => true,
                Family::Ipv4 => a.is_ipv4(),
                Family::Ipv6 => a.is_ipv6(),
            })
            .collect();
        // Addresses of this host: what its own kernel shows settles what the connecting
        // side cannot tell apart (a DROP rule or a full accept queue; a REJECT or no route).
        let local_ips: Vec<IpAddr> = addrs
            .iter()
            .copied()
            .filter(|ip| tcp::is_local(*ip))
            .collect();
        // The kernel's tables are read within the margin the check keeps after its probes.
        let margin = ctx.timeout.saturating_sub(budget);
        let overflows_before = if local_ips.is_empty() {
            None
        } else {
            tcp::kernel_view(Vec::new(), margin / 4).await.map(|v| v.0)
        };
        let limit = Arc::new(tokio::sync::Semaphore::new(ctx.concurrency.max(1)));
        let probes = addrs.iter().flat_map(|ip| {
            spec.ports
                .0
                .iter()
                .map(move |(name, port)| (SocketAddr::new(*ip, *port), name.clone()))
        });
        let results = futures_util::future::join_all(probes.map(|(target, name)| {
            let limit = Arc::clone(&limit);
            async move {
                let _permit = limit.acquire().await;
                let (outcome, took) = tcp::connect(target, budget).await;
                (target, name, outcome, took)
            }
        }))
        .await;
        let mut local: BTreeMap<SocketAddr, LocalPort> = BTreeMap::new();
        for (target, _, outcome, _) in &results {
            if local_ips.contains(&target.ip()) && matches!(outcome, Outcome::Unreachable(_)) {
                local.insert(*target, LocalPort::default());
            }
        }
        let silent: Vec<SocketAddr> = results
            .iter()
            .filter(|(t, _, o, _)| *o == Outcome::Filtered && local_ips.contains(&t.ip()))
            .map(|(t, _, _, _)| *t)
            .collect();
        // Unknown when the kernel's tables cannot be read: then both candidates stay named.
        if let (false, Some(before)) = (silent.is_empty(), overflows_before)
            && let Some((after, queues)) = tcp::kernel_view(silent.clone(), margin / 2).await
        {
            for (target, queued) in silent.into_iter().zip(queues) {
                local.insert(
                    target,
                    LocalPort {
                        queued,
                        overflows: after.saturating_sub(before),
                    },
                );
            }
        }
        let mut eval = judge(&host, &results, budget, &local);
        eval.evidence.insert("addresses_from".into(), via.into());
        // Every address in use failed a port while another resolver answered differently:
        // try that answer, to tell a stale DNS answer from a master that is down.
        let failed_ports: Vec<u16> = spec
            .ports
            .0
            .iter()
            .map(|(_, p)| *p)
            .filter(|p| {
                !results
                    .iter()
                    .any(|(t, _, o, _)| t.port() == *p && *o == Outcome::Open)
            })
            .collect();
        if let (false, Some(serde_json::Value::Object(others))) = (
            failed_ports.is_empty(),
            ctx.facts.get(&format!("dns.other-answers.{host}")),
        ) {
            let alternatives: Vec<(String, IpAddr)> = others
                .iter()
                .flat_map(|(who, a)| {
                    a.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str()?.parse::<IpAddr>().ok())
                        .filter(|ip| !addrs.contains(ip))
                        .map(|ip| (who.clone(), ip))
                        .collect::<Vec<_>>()
                })
                .collect();
            let tries = alternatives.iter().flat_map(|(who, ip)| {
                failed_ports
                    .iter()
                    .map(move |p| (who.clone(), SocketAddr::new(*ip, *p)))
            });
            let found = futures_util::future::join_all(tries.map(|(who, target)| async move {
                (who, target, tcp::connect(target, budget).await.0)
            }))
            .await;
            let accepting: Vec<(String, SocketAddr)> = found
                .into_iter()
                .filter(|(_, _, o)| *o == Outcome::Open)
                .map(|(who, t, _)| (who, t))
                .collect();
            if let Some(stale) = stale_answer(&host, &addrs, via, &accepting) {
                eval.facts
                    .insert(format!("tcp.stale-answer.{host}"), stale.0);
                for f in &mut eval.findings {
                    if f.status == Status::Fail {
                        f.remediation = Some(stale.1.clone());
                    }
                }
            }
        }
        eval
    }
}

/// When another resolver's address accepts where the addresses in use failed: the fact that
/// says so (read by the report to headline the DNS disagreement) and the fix.
pub fn stale_answer(
    host: &str,
    used: &[IpAddr],
    via: &str,
    accepting: &[(String, SocketAddr)],
) -> Option<(serde_json::Value, String)> {
    let (who, first) = accepting.first()?;
    let used_list = used
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let fact = serde_json::json!({
        "used": used.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "used_from": via,
        "accepting": accepting.iter().map(|(w, t)| serde_json::json!({"from": w, "address": t.to_string()})).collect::<Vec<_>>(),
    });
    let fix = format!(
        "the DNS answer for {host} looks stale: {via} gives {used_list}, where nothing accepts, while {who} gives {}, which accepts on port {}; remove the stale /etc/hosts entry or fix the record so every resolver agrees (`getent hosts {host}`)",
        first.ip(),
        first.port()
    );
    Some((fact, fix))
}

/// A connect to an address of this host got no answer: its kernel says which of the two
/// candidates it is.
fn filtered_here(label: &str, target: &SocketAddr, timeout: Duration, seen: LocalPort) -> Finding {
    let port = target.port();
    let waited = crate::duration::format(timeout);
    match seen.queued {
        Some(n) if n > 0 && seen.overflows > 0 => Finding::new(
            &ACCEPT_QUEUE_FULL,
            format!(
                "no answer from {label} within {waited}: the listener on port {port} of this host is not accepting connections — {n} wait in its full accept queue, and the kernel dropped {} SYN{} for a full queue meanwhile (TcpExtListenOverflows); not a firewall",
                seen.overflows,
                if seen.overflows == 1 { "" } else { "s" }
            ),
            format!(
                "find why the service listening on port {port} stopped accepting connections (`ss -ltnp 'sport = :{port}'`: Recv-Q {n} at its Send-Q backlog; a hung or overloaded process): restart it, or raise its listen backlog and `sysctl net.core.somaxconn` if it is only slow"
            ),
        ),
        None => Finding::new(
            &FILTERED,
            format!(
                "no answer from {label} within {waited}: nothing listens on port {port} of this host (which would refuse at once), so a firewall DROP rule on this host discards the SYN"
            ),
            format!(
                "remove or narrow the DROP rule for TCP port {port} on this host (`nft list ruleset`, `iptables -L -n -v`), and start the service on port {port}"
            ),
        ),
        Some(n) => Finding::new(
            &FILTERED,
            format!(
                "no answer from {label} within {waited}: the listener on port {port} of this host has room ({n} waiting in its accept queue, no SYN dropped for a full queue), so a firewall DROP rule on this host discards the SYN"
            ),
            format!(
                "remove or narrow the DROP rule for TCP port {port} on this host (`nft list ruleset`, `iptables -L -n -v`)"
            ),
        ),
    }
}

fn is_reset(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e.contains("reset") || e.contains("aborted")
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Judge the connection attempts.
///
/// `local` holds, for the targets that are addresses of this host and failed, what its
/// kernel showed (for a target without an answer: the listener's accept queue and the SYNs
/// dropped for full queues meanwhile).
pub fn judge(
    host: &str,
    results: &[(SocketAddr, Option<String>, Outcome, Duration)],
    timeout: Duration,
    local: &BTreeMap<SocketAddr, LocalPort>,
) -> Evaluation {
    if results.is_empty() {
        return Evaluation::single(Finding::new(
            &UNRESOLVED,
            format!("no address of {host} to connect to (none of the requested family)"),
            format!("check the addresses {host} resolves to and the check's `family`"),
        ));
    }
    // Clients try every address of a name in turn: a port that accepts on one address is
    // reachable, and a failure on another (typically the other family) is a warning.
    let accepting: Vec<SocketAddr> = results
        .iter()
        .filter(|(_, _, o, _)| *o == Outcome::Open)
        .map(|(t, _, _, _)| *t)
        .collect();
    // Addresses where something answered at the TCP level (a connection or a refusal).
    let answered_ips: Vec<IpAddr> = results
        .iter()
        .filter(|(_, _, o, _)| matches!(o, Outcome::Open | Outcome::Refused))
        .map(|(t, _, _, _)| t.ip())
        .collect();
    let mut findings = Vec::new();
    for (target, name, outcome, took) in results {
        let label = name
            .as_ref()
            .map_or_else(|| target.to_string(), |n| format!("{target} ({n})"));
        let port = target.port();
        let waited = crate::duration::format(*took);
        let f = match outcome {
            Outcome::Open => Finding::pass(format!("{label} open ({waited})")),
            Outcome::Refused => Finding::new(
                &REFUSED,
                format!(
                    "{label} refused the connection: nothing listens on port {port}, or a REJECT rule"
                ),
                format!(
                    "start the master's service on port {port} of {host} (`ss -ltnp` on the master), or remove the REJECT rule for it"
                ),
            ),
            // On this host, its kernel tells a full accept queue from a DROP rule.
            Outcome::Filtered if local.contains_key(target) => {
                filtered_here(&label, target, timeout, local[target])
            }
            // A SYN that gets no answer is dropped either by a firewall or by the master's
            // kernel when the port's accept queue is full (an overloaded service): from
            // here both look the same, so both are named.
            Outcome::Filtered => Finding::new(
                &FILTERED,
                format!(
                    "no answer from {label} within {}: the SYN is silently dropped — by a firewall DROP rule (NetworkPolicy, security group), or by the master itself when the service's accept queue on port {port} is full (overloaded)",
                    crate::duration::format(timeout)
                ),
                format!(
                    "on the master, look at the listen queue of port {port} (`ss -ltn 'sport = :{port}'`: Recv-Q at the backlog, `nstat -az TcpExtListenOverflows` rising) — if full, the service is overloaded or stuck; otherwise allow TCP port {port} from this node to {host} in the firewall or NetworkPolicy between them (`nft list ruleset`, `iptables -L -n`, `kubectl get networkpolicy`)"
                ),
            ),
            // An ICMP error for one port while another port of the same address connects:
            // the route is fine, a firewall rejects this port (REJECT with an ICMP
            // admin-prohibited or host-unreachable message).
            Outcome::Unreachable(e) if answered_ips.contains(&target.ip()) => Finding::new(
                &REJECTED,
                format!(
                    "{label} was rejected with an ICMP error ({e}) while other ports of {} connect: a firewall REJECT rule for port {port}, not routing",
                    target.ip()
                ),
                format!(
                    "remove or narrow the firewall rule that rejects TCP port {port} to {} from this node (`nft list ruleset`, `iptables -L -n -v`; on the master and on firewalls in between)",
                    target.ip()
                ),
            ),
            // An address of this host needs no route: the ICMP error is a firewall's.
            Outcome::Unreachable(e) if local.contains_key(target) => Finding::new(
                &REJECTED,
                format!(
                    "{label} was rejected with an ICMP error ({e}); {} is an address of this host, so no route is involved: a firewall REJECT rule for port {port}",
                    target.ip()
                ),
                format!(
                    "remove or narrow the firewall rule on this host that rejects TCP port {port} to {} (`nft list ruleset`, `iptables -L -n -v`: a `reject` rule, e.g. `reject with icmp type admin-prohibited`)",
                    target.ip()
                ),
            ),
            // EACCES/EPERM: never routing, never the service.
            Outcome::Prohibited(e) => Finding::new(
                &REJECTED,
                format!(
                    "{label} was forbidden by a firewall ({e}): an ICMP administratively-prohibited reject of port {port}, or a rule of this node's own firewall — not routing, not the service"
                ),
                format!(
                    "remove or narrow the firewall rule that rejects TCP port {port} to {}: on this node (`nft list ruleset`, `iptables -L OUTPUT -n -v`: \"Operation not permitted\" is this node's own rule) and on the master or a firewall in between (\"Permission denied\" is an ICMP admin-prohibited reject, e.g. `reject with icmpx type admin-prohibited`)",
                    target.ip()
                ),
            ),
            Outcome::Unreachable(e) => Finding::new(
                &UNREACHABLE,
                format!("{label} is unreachable: {e}"),
                format!(
                    "check the route from this node to {} (`ip route get {}`) and that the host is up; if the route is there, a firewall may reject port {port} with ICMP (`nft list ruleset`, `iptables -L -n -v`)",
                    target.ip(),
                    target.ip()
                ),
            ),
            Outcome::Error(e) if is_reset(e) => Finding::new(
                &ERROR,
                format!("{label} reset the connection: {e}"),
                format!(
                    "find what resets connections to port {port} of {host}: the service on the master (crashing or refusing on accept), a proxy or an IPS firewall in between (`tcpdump -ni any port {port}` shows who sends the RST)"
                ),
            ),
            Outcome::Error(e) => Finding::new(
                &ERROR,
                format!("connecting to {label} failed: {e}"),
                format!(
                    "follow the error for {label}; check local address and port exhaustion (`ss -s`)"
                ),
            ),
            Outcome::NotProbed(e) => Finding::new(
                &NOT_PROBED,
                format!("{label}: {e}"),
                "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe this target",
            ),
        };
        let mut f = f.with("address", target.to_string()).with("ms", ms(*took));
        let fallback: Vec<String> = accepting
            .iter()
            .filter(|a| a.port() == port)
            .map(ToString::to_string)
            .collect();
        if f.status == Status::Fail && !fallback.is_empty() {
            let family = if target.is_ipv4() { "IPv4" } else { "IPv6" };
            f.status = Status::Warn;
            f.message = format!(
                "{} ({family}); port {port} accepts on {}, which clients fall back to",
                f.message,
                fallback.join(", ")
            );
            f.remediation = Some(format!(
                "make the service on port {port} listen on {family} too (e.g. bind `[::]:{port}` or `0.0.0.0:{port}` as fits), or remove the {} record of {host} for {} so clients do not try it first",
                if target.is_ipv4() { "A" } else { "AAAA" },
                target.ip()
            ));
        }
        findings.push(f);
    }
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    let warned = findings.iter().filter(|f| f.status == Status::Warn).count();
    let total = findings.len();
    let mut eval = Evaluation::of(findings);
    if !accepting.is_empty() {
        // What later checks (TLS) connect to: the addresses that accepted, per port.
        let mut ports: Vec<u16> = accepting.iter().map(SocketAddr::port).collect();
        ports.sort_unstable();
        ports.dedup();
        for p in ports {
            let ips: Vec<String> = accepting
                .iter()
                .filter(|a| a.port() == p)
                .map(|a| a.ip().to_string())
                .collect();
            eval.facts
                .insert(format!("tcp.accepting.{host}:{p}"), serde_json::json!(ips));
        }
    }
    eval.message = Some(if failed == 0 && warned > 0 {
        let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
        format!(
            "{warned} of {total} connections to {host} failed, each port accepts on another address; first: {first}"
        )
    } else if failed == 0 {
        format!(
            "{total} of {total} connection{} to {host} open",
            if total == 1 { "" } else { "s" }
        )
    } else {
        let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
        if failed == 1 && total == 1 {
            first
        } else {
            format!("{failed} of {total} connections to {host} failed; first: {first}")
        }
    });
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_each_connection() {
        let t = Duration::from_millis(100);
        let results = vec![
            (sa("127.0.0.1:8080"), Some("http".into()), Outcome::Open, t),
            (
                sa("127.0.0.1:9090"),
                Some("grpc".into()),
                Outcome::Filtered,
                t,
            ),
            (sa("[::1]:9090"), None, Outcome::Refused, t),
        ];
        let e = judge("m", &results, Duration::from_secs(3), &BTreeMap::new());
        assert_eq!(e.status(), Status::Fail);
        let codes: Vec<_> = e.findings.iter().map(Finding::code_name).collect();
        assert_eq!(codes, [None, Some("tcp.filtered"), Some("tcp.refused")]);
        assert_eq!(
            e.message.as_deref().unwrap(),
            "2 of 3 connections to m failed; first: no answer from 127.0.0.1:9090 (grpc) within 3s: the SYN is silently dropped — by a firewall DROP rule (NetworkPolicy, security group), or by the master itself when the service's accept queue on port 9090 is full (overloaded)"
        );
    }

    #[test]
    fn an_icmp_error_on_one_port_of_an_answering_address_is_a_firewall_reject() {
        let t = Duration::from_millis(1);
        let unreachable = Outcome::Unreachable("No route to host (os error 113)".into());
        let results = vec![
            (sa("127.0.0.1:8080"), None, Outcome::Open, t),
            (sa("127.0.0.1:9090"), None, unreachable.clone(), t),
        ];
        let e = judge("m", &results, Duration::from_secs(3), &BTreeMap::new());
        assert_eq!(e.worst().unwrap().code_name(), Some("tcp.rejected"));
        // Alone, it may be routing or a reject: both are named.
        let e = judge(
            "m",
            &[(sa("127.0.0.1:9090"), None, unreachable, t)],
            Duration::from_secs(3),
            &BTreeMap::new(),
        );
        let w = e.worst().unwrap();
        assert_eq!(w.code_name(), Some("tcp.unreachable"));
        let fix = w.remediation.as_deref().unwrap();
        assert!(
            fix.contains("ip route get") && fix.contains("nft list ruleset"),
            "{fix}"
        );
        // Dropped SYNs: a firewall or a full accept queue.
        let e = judge(
            "m",
            &[(sa("127.0.0.1:9090"), None, Outcome::Filtered, t)],
            Duration::from_secs(3),
            &BTreeMap::new(),
        );
        let w = e.worst().unwrap();
        assert!(w.message.contains("accept queue"), "{w:?}");
        assert!(
            w.remediation
                .as_deref()
                .unwrap()
                .contains("TcpExtListenOverflows")
        );
        // A reset is not port exhaustion.
        let e = judge(
            "m",
            &[(
                sa("127.0.0.1:9090"),
                None,
                Outcome::Error("Connection reset by peer (os error 104)".into()),
                t,
            )],
            Duration::from_secs(3),
            &BTreeMap::new(),
        );
        assert!(
            !e.worst()
                .unwrap()
                .remediation
                .as_deref()
                .unwrap()
                .contains("exhaustion")
        );
    }

    #[test]
    fn on_this_host_the_kernel_tells_a_full_accept_queue_from_a_drop_rule() {
        let t = Duration::from_millis(1);
        let target = sa("127.0.0.1:9095");
        let one = |outcome: Outcome, seen: Option<LocalPort>| {
            let local: BTreeMap<SocketAddr, LocalPort> =
                seen.map(|s| (target, s)).into_iter().collect();
            let e = judge(
                "m",
                &[(target, None, outcome, t)],
                Duration::from_secs(2),
                &local,
            );
            e.worst().unwrap().clone()
        };
        let full = one(
            Outcome::Filtered,
            Some(LocalPort {
                queued: Some(1),
                overflows: 3,
            }),
        );
        assert_eq!(full.code_name(), Some("tcp.accept-queue-full"));
        assert!(
            full.message.contains("1 wait in its full accept queue"),
            "{full:?}"
        );
        let fix = full.remediation.unwrap();
        assert!(
            fix.contains("ss -ltnp 'sport = :9095'") && !fix.contains("nft"),
            "{fix}"
        );
        for seen in [
            LocalPort {
                queued: Some(0),
                overflows: 0,
            },
            LocalPort {
                queued: Some(2),
                overflows: 0,
            },
            LocalPort {
                queued: None,
                overflows: 5,
            },
        ] {
            let drop = one(Outcome::Filtered, Some(seen));
            assert_eq!(drop.code_name(), Some("tcp.filtered"), "{seen:?}");
            assert!(drop.message.contains("DROP rule on this host"), "{drop:?}");
            assert!(!drop.message.contains("overloaded"), "{drop:?}");
            assert!(drop.remediation.unwrap().contains("nft list ruleset"));
        }
        // Elsewhere: both candidates.
        let both = one(Outcome::Filtered, None);
        assert!(both.message.contains("DROP rule") && both.message.contains("accept queue"));
        // An ICMP error to an address of this host is a reject, not routing.
        let rejected = one(
            Outcome::Unreachable("No route to host (os error 113)".into()),
            Some(LocalPort::default()),
        );
        assert_eq!(rejected.code_name(), Some("tcp.rejected"));
        assert!(!rejected.remediation.unwrap().contains("ip route"));
        // EACCES (ICMPv6 admin-prohibited) anywhere: a reject.
        let prohibited = one(
            Outcome::Prohibited("Permission denied (os error 13)".into()),
            None,
        );
        assert_eq!(prohibited.code_name(), Some("tcp.rejected"));
        let fix = prohibited.remediation.unwrap();
        assert!(
            fix.contains("port 9095") && !fix.contains("ip route"),
            "{fix}"
        );
    }

    #[test]
    fn a_port_open_on_one_family_is_a_warning_for_the_other() {
        let t = Duration::from_millis(1);
        let results = vec![
            (sa("127.0.0.1:8443"), None, Outcome::Open, t),
            (sa("[::1]:8443"), None, Outcome::Refused, t),
        ];
        let e = judge("m", &results, Duration::from_secs(3), &BTreeMap::new());
        assert_eq!(e.status(), Status::Warn, "{e:#?}");
        let w = e.worst().unwrap();
        assert_eq!(w.code_name(), Some("tcp.refused"));
        assert!(
            w.message
                .contains("(IPv6); port 8443 accepts on 127.0.0.1:8443"),
            "{w:?}"
        );
        assert!(
            e.message
                .as_deref()
                .unwrap()
                .starts_with("1 of 2 connections to m failed")
        );
        assert_eq!(
            e.facts["tcp.accepting.m:8443"],
            serde_json::json!(["127.0.0.1"])
        );
        // Refused everywhere: a failure.
        let results = vec![
            (sa("127.0.0.1:8443"), None, Outcome::Refused, t),
            (sa("[::1]:8443"), None, Outcome::Refused, t),
        ];
        assert_eq!(
            judge("m", &results, Duration::from_secs(3), &BTreeMap::new()).status(),
            Status::Fail
        );
    }

    #[test]
    fn ports_parse_from_lists_maps_and_strings() {
        let p: Ports =
            serde_json::from_value(serde_json::json!({"http": 8080, "grpc": "9090"})).unwrap();
        assert_eq!(
            p.0,
            vec![(Some("http".into()), 8080), (Some("grpc".into()), 9090)]
        );
        let p: Ports = serde_json::from_value(serde_json::json!([443])).unwrap();
        assert_eq!(p.0, vec![(None, 443)]);
        assert!(serde_json::from_value::<Ports>(serde_json::json!([0])).is_err());
        assert!(serde_json::from_value::<Ports>(serde_json::json!([70000])).is_err());
    }
}
