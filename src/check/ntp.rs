//! `ntp`: this node's clock offset to each NTP server, measured with SNTP (several samples,
//! round-trip corrected, the least-delayed one kept) and judged with its error bound, so a
//! noisy measurement is neither called a skew nor a pass with false confidence.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::ntp::{Failure, Measurement};
use crate::probe::{addresses_for, inner_timeout};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status, keys};

fn four() -> u8 {
    4
}

fn yes() -> bool {
    true
}

/// Serde helper for an optional duration parameter (`tolerance: 50ms`).
pub fn opt_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    crate::duration::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Servers as `host` or `host:port` (e.g. `${config.time.ntp_servers:-[]}`).
    #[serde(default)]
    pub servers: Vec<Text>,
    /// When `servers` is empty, use the servers of chrony, ntpd or systemd-timesyncd.
    #[serde(default = "yes")]
    pub system_servers: bool,
    /// Exchanges per server; the one with the lowest round-trip delay is used.
    #[serde(default = "four")]
    pub samples: u8,
    /// Largest offset accepted (default: the profile's: strict 10ms, default 1s, lenient 5s).
    #[serde(default, deserialize_with = "opt_duration")]
    pub tolerance: Option<Duration>,
}

super::generated_codes!("ntp");

/// The clock offset to the NTP reference is over the tolerance even after subtracting the measurement's error bound.
pub const SKEW: Code = Code::new(
    "ntp.skew",
    Status::Fail,
    "The clock offset to the NTP reference is over the tolerance even after subtracting the measurement's error bound.",
    "Step the clock to the reference (`chronyc makestep`), keep a time daemon running, and find why it drifted (clock-sync check).",
);

/// The offset is within the tolerance but at or over half of it.
pub const NEAR_TOLERANCE: Code = Code::new(
    "ntp.near-tolerance",
    Status::Warn,
    "The offset is within the tolerance but at or over half of it.",
    "Let the time daemon correct the clock (`chronyc tracking` shows it converging) before the offset reaches the tolerance.",
);

/// The measurement's error bound straddles the tolerance: the offset cannot be called a pass or a skew.
pub const UNCERTAIN: Code = Code::new(
    "ntp.uncertain",
    Status::Warn,
    "The measurement's error bound straddles the tolerance: the offset cannot be called a pass or a skew.",
    "Measure against a closer or better server (lower round trip, lower root dispersion), or widen the tolerance if the workload allows.",
);

/// The server says its own clock is not synchronised (stratum 16 or leap indicator 3); its time is not used.
pub const SERVER_UNSYNCHRONISED: Code = Code::new(
    "ntp.server-unsynchronised",
    Status::Fail,
    "The server is not trusted: it says its own clock is not synchronised (stratum 16 or leap indicator 3), or it is over 1 s from its own reference (root dispersion plus half the root delay, RFC 5905's MAXDIST); its time is not used.",
    "Use another NTP server, or fix the server's own upstream synchronisation.",
);

/// The server answered stratum 0 (kiss-o'-death, e.g. RATE or DENY): it refuses to serve this node.
pub const KISS_OF_DEATH: Code = Code::new(
    "ntp.kiss-of-death",
    Status::Fail,
    "The server answered stratum 0 (kiss-o'-death, e.g. RATE or DENY): it refuses to serve this node.",
    "Query the server less often or use a server that allows this node (the kiss code names the reason).",
);

/// No NTP answer within the time allowed: UDP 123 is dropped on the way or the server is silent.
pub const NO_ANSWER: Code = Code::new(
    "ntp.no-answer",
    Status::Fail,
    "No NTP answer within the time allowed: UDP 123 is dropped on the way or the server is silent.",
    "Allow UDP port 123 from this node to the server, or configure a reachable server.",
)
.was(&["time.ntp-no-answer"]);

/// The server cannot be reached: the name does not resolve, the port is closed (ICMP port unreachable) or there is no route.
pub const UNREACHABLE: Code = Code::new(
"ntp.unreachable",
Status::Fail,
"The server cannot be reached: the name does not resolve, the port is closed (ICMP port unreachable) or there is no route.",
"Correct the server's name or address in `time.ntp_servers`, or start NTP service there.",
)
.was(&["time.ntp-unreachable"]);

/// The server sent something that is not a valid NTP reply, or a local socket error.
pub const BAD_REPLY: Code = Code::new(
    "ntp.bad-reply",
    Status::Fail,
    "The server sent something that is not a valid NTP reply, or a local socket error.",
    "Point `time.ntp_servers` at an NTP server (UDP port 123).",
);

/// Usable servers disagree with each other by more than the tolerance (plus their error bounds).
pub const DISAGREE: Code = Code::new(
    "ntp.disagree",
    Status::Warn,
    "Usable servers disagree with each other by more than the tolerance (plus their error bounds).",
    "Remove the outlying server from the configuration; the others agree.",
);

/// No NTP server is configured and none was found in chrony.conf, ntp.conf or timesyncd.conf.
pub const NO_SERVERS: Code = Code::new(
    "ntp.no-servers",
    Status::Warn,
    "No NTP server is configured and none was found in chrony.conf, ntp.conf or timesyncd.conf.",
    "List the site's NTP servers in `time.ntp_servers` and in the time daemon's configuration.",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "ntp",
        category: "time",
        summary: "This node's clock agrees with its NTP servers within the tolerance (SNTP, round-trip corrected)",
        explain: "What it checks: the offset of this node's clock to each configured NTP server (`time.ntp_servers` of the node config, or the `server`/`pool`/`NTP=` lines of chrony.conf, ntp.conf or timesyncd.conf), measured like `ntpdate -q`: several SNTP exchanges per server (RFC 4330), each corrected by half its round trip, the one with the lowest delay kept. Each offset carries an error bound — half the round trip plus the server's own root dispersion and half its root delay, as chrony computes its maximum error — and is judged with it: a skew is reported only when even the most favourable reading is over the tolerance, a pass only when the least favourable one is within it; otherwise the result says it cannot tell. Tolerances come from `--profile` (strict 10 ms, default 1 s, lenient 5 s) or the check's `tolerance:`; an offset over half the tolerance warns. Servers with stratum 16 or leap indicator 3 are unsynchronised themselves and are not used; stratum 0 is a kiss-o'-death (the server asks to be left alone). Servers that disagree with each other by more than the tolerance are reported. The doctor never sets the clock.\n\nWhy it matters: skew reorders events between nodes, makes last-write-wins keep the wrong write, and makes valid JWTs look expired or not yet valid (the master rejects this node with 401 while every setting looks right). Financial workloads need 10 ms, log analysis 1 s, web services 5 s.\n\nHow to fix: skew — step the clock once (`chronyc makestep`, or `timedatectl set-ntp true` and wait) and find out why the time daemon let it drift (the clock-sync check); unreachable or silent server — allow UDP port 123 to the server, or configure a reachable one in `time.ntp_servers` and the daemon's config; unsynchronised server — use another server, or fix the server's own upstream.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: false,
        codes: &[
            SKEW,
            NEAR_TOLERANCE,
            UNCERTAIN,
            SERVER_UNSYNCHRONISED,
            KISS_OF_DEATH,
            NO_ANSWER,
            UNREACHABLE,
            BAD_REPLY,
            DISAGREE,
            NO_SERVERS,
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
        let (names, source) = if spec.servers.is_empty() && spec.system_servers {
            // Daemon configuration files: read bounded, on the blocking pool.
            tokio::task::spawn_blocking(system_servers)
                .await
                .unwrap_or_else(|_| (Vec::new(), "none readable".to_string()))
        } else {
            (
                spec.servers
                    .iter()
                    .map(|s| s.0.trim().to_string())
                    .collect(),
                "the check's servers".to_string(),
            )
        };
        let mut set = tokio::task::JoinSet::new();
        for (i, name) in names.iter().enumerate() {
            let name = name.clone();
            let facts = ctx.facts.clone();
            let samples = usize::from(spec.samples.max(1));
            set.spawn(async move {
                let started = std::time::Instant::now();
                let (host, port) = split_server(&name);
                let addr = match addresses_for(&host, &facts, budget).await {
                    Ok((a, _)) => a.first().map(|ip| SocketAddr::new(*ip, port)),
                    Err(why) => {
                        let failure = if why.contains(crate::probe::LOOPBACK_ONLY_ENV) {
                            Failure::NotProbed(why)
                        } else {
                            Failure::Unreachable(format!("{host} does not resolve: {why}"))
                        };
                        return (
                            i,
                            Server {
                                name,
                                addr: None,
                                result: Err(failure),
                            },
                        );
                    }
                };
                let result = match addr {
                    Some(a) => {
                        crate::probe::ntp::measure(
                            a,
                            samples,
                            budget.saturating_sub(started.elapsed()),
                        )
                        .await
                    }
                    None => Err(Failure::Unreachable(format!("{host} has no address"))),
                };
                (i, Server { name, addr, result })
            });
        }
        let mut servers: Vec<Option<Server>> = vec![None; names.len()];
        while let Some(joined) = set.join_next().await {
            if let Ok((i, s)) = joined
                && let Some(slot) = servers.get_mut(i)
            {
                *slot = Some(s);
            }
        }
        let servers: Vec<Server> = servers.into_iter().flatten().collect();
        let (tolerance, from) = match spec.tolerance {
            Some(t) => (t, "the check's tolerance".to_string()),
            None => (
                ctx.profile.clock_tolerance(),
                format!("{} profile", ctx.profile.as_str()),
            ),
        };
        let mut eval = judge(&servers, tolerance, &from);
        eval.evidence.insert("servers_from".into(), source.into());
        eval
    }
}

/// One server as configured, where it was reached and what it gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub name: String,
    pub addr: Option<SocketAddr>,
    pub result: Result<Measurement, Failure>,
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address; port 123 by default.
pub fn split_server(s: &str) -> (String, u16) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        let port = p
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(123);
        return (h.to_string(), port);
    }
    if s.matches(':').count() == 1
        && let Some((h, p)) = s.split_once(':')
        && let Ok(port) = p.parse()
    {
        return (h.to_string(), port);
    }
    (s.to_string(), 123)
}

/// Servers named by the system's time daemon configuration, and where they came from.
fn system_servers() -> (Vec<String>, String) {
    let mut files = vec![
        "/etc/chrony/chrony.conf".to_string(),
        "/etc/chrony.conf".to_string(),
        "/etc/ntp.conf".to_string(),
        "/etc/ntpsec/ntp.conf".to_string(),
        "/etc/systemd/timesyncd.conf".to_string(),
    ];
    for dir in ["/etc/chrony/sources.d", "/etc/systemd/timesyncd.conf.d"] {
        files.extend(
            crate::probe::fs::list_dir(std::path::Path::new(dir), crate::probe::fs::LIST_CAP)
                .into_iter()
                .map(|p| p.display().to_string()),
        );
    }
    let mut servers = Vec::new();
    let mut read = Vec::new();
    for f in files {
        if let Some(text) = crate::probe::fs::read_bounded_now(
            std::path::Path::new(&f),
            crate::probe::fs::SYSTEM_CAP,
        )
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        {
            let found = servers_in_conf(&text);
            if !found.is_empty() {
                read.push(f);
            }
            for s in found {
                if !servers.contains(&s) {
                    servers.push(s);
                }
            }
        }
    }
    let source = if read.is_empty() {
        "none configured (node config or chrony/ntpd/timesyncd)".to_string()
    } else {
        read.join(", ")
    };
    (servers, source)
}

/// `server`/`pool`/`peer` lines (chrony, ntpd) and `NTP=`/`FallbackNTP=` (timesyncd).
pub fn servers_in_conf(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("server" | "pool" | "peer") => {
                if let Some(h) = words.next() {
                    out.push(h.to_string());
                }
            }
            Some(w) if w.starts_with("NTP=") => {
                out.extend(
                    std::iter::once(w.trim_start_matches("NTP="))
                        .chain(words)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            }
            _ => {}
        }
    }
    out
}

/// `+4.002 s`, `-12.5 ms`.
pub fn show_secs(s: f64) -> String {
    // Rounded before formatting, and `+ 0.0` turns a negative zero positive: an offset too
    // small to show is `+0.0 ms`, never `-0.0 ms`.
    if s.abs() < 1.0 {
        let ms = (s * 10_000.0).round() / 10.0 + 0.0;
        format!("{ms:+.1} ms")
    } else {
        let secs = (s * 1000.0).round() / 1000.0 + 0.0;
        format!("{secs:+.3} s")
    }
}

/// Milliseconds with microsecond resolution, for facts.
pub fn millis(s: f64) -> f64 {
    (s * 1_000_000.0).round() / 1000.0
}

/// The error bound of a sample: the true offset lies within ± this of the measured one.
pub fn error_bound(m: &Measurement) -> f64 {
    m.best.delay / 2.0 + m.best.root_dispersion + m.best.root_delay / 2.0
}

/// Where an offset with an error bound stands against a tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Within,
    NearTolerance,
    Uncertain,
    Over,
}

/// Judge `|offset| ± error` against `tolerance` (all seconds): over only when the most
/// favourable reading is over, within only when the least favourable is within.
pub fn verdict(offset: f64, error: f64, tolerance: f64) -> Verdict {
    let a = offset.abs();
    if a - error > tolerance {
        Verdict::Over
    } else if a + error > tolerance {
        Verdict::Uncertain
    } else if a + error >= tolerance / 2.0 {
        Verdict::NearTolerance
    } else {
        Verdict::Within
    }
}

/// The largest synchronisation distance (root delay / 2 + root dispersion) a server may
/// claim and still be trusted: RFC 5905's MAXDIST, 1 s. A server further from its own
/// reference (a dispersion of 65535 s is a server that lost it long ago) cannot vouch for
/// this node's clock, whatever offset it shows.
pub const MAX_DISTANCE: f64 = 1.0;

fn distance(m: &Measurement) -> f64 {
    m.best.root_delay / 2.0 + m.best.root_dispersion
}

fn usable(m: &Measurement) -> bool {
    m.best.stratum < 16 && m.best.leap != 3 && distance(m) <= MAX_DISTANCE
}

/// Why a server that answered is not trusted.
fn untrusted_reason(m: &Measurement) -> String {
    let b = &m.best;
    if b.leap == 3 {
        format!(
            "it says it is not synchronised itself (leap indicator 3, stratum {})",
            b.stratum
        )
    } else if b.stratum >= 16 {
        format!(
            "it says it is not synchronised itself (stratum {})",
            b.stratum
        )
    } else {
        format!(
            "it is too far from its own reference to be trusted (root dispersion {}, root delay {}: distance over {} s)",
            show_secs(b.root_dispersion).trim_start_matches('+'),
            show_secs(b.root_delay).trim_start_matches('+'),
            MAX_DISTANCE
        )
    }
}

fn label(s: &Server) -> String {
    match s.addr {
        Some(a) if a.ip().to_string() != split_server(&s.name).0 => format!("{} ({a})", s.name),
        _ => s.name.clone(),
    }
}

/// Judge the measurements. Per-server problems fail only when no server is usable.
#[allow(clippy::too_many_lines)]
pub fn judge(servers: &[Server], tolerance: Duration, tolerance_from: &str) -> Evaluation {
    let tol = tolerance.as_secs_f64();
    let tol_text = format!(
        "tolerance {} ({tolerance_from})",
        crate::duration::format(tolerance)
    );
    if servers.is_empty() {
        return Evaluation::single(Finding::new(
            &NO_SERVERS,
            "no NTP server configured, and none found in chrony.conf, ntp.conf or timesyncd.conf",
            "list the site's NTP servers in `time.ntp_servers` of the node config and in the time daemon's configuration (e.g. `server ntp1.example iburst` in /etc/chrony/chrony.conf)",
        ));
    }
    let any_usable = servers.iter().any(|s| s.result.as_ref().is_ok_and(usable));
    let problem = if any_usable {
        Status::Warn
    } else {
        Status::Fail
    };
    let mut findings = Vec::new();
    let mut evidence = Vec::new();
    for s in servers {
        let who = label(s);
        match &s.result {
            Ok(m) => {
                let b = &m.best;
                evidence.push(serde_json::json!({
                    "server": s.name,
                    "address": s.addr.map(|a| a.to_string()),
                    "offset_ms": millis(-b.offset),
                    "error_ms": millis(error_bound(m)),
                    "delay_ms": millis(b.delay),
                    "stratum": b.stratum,
                    "leap": b.leap,
                    "root_delay_ms": millis(b.root_delay),
                    "root_dispersion_ms": millis(b.root_dispersion),
                    "reference_id": b.reference_id,
                    "samples": format!("{}/{}", m.answered, m.sent),
                }));
                if !usable(m) {
                    findings.push(Finding::at_status(
                        problem,
                        &SERVER_UNSYNCHRONISED,
                        format!("{who} is not trusted: {}; its time is not used", untrusted_reason(m)),
                        format!(
                            "use another NTP server than {}, or fix that server's own upstream synchronisation",
                            s.name
                        ),
                    ));
                }
            }
            Err(f) => {
                evidence.push(serde_json::json!({
                    "server": s.name,
                    "address": s.addr.map(|a| a.to_string()),
                    "error": format!("{f:?}"),
                }));
                findings.push(match f {
                    Failure::NotProbed(why) => Finding::new(&NOT_PROBED, format!("{who}: {why}"),
                        "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to query this server",
                    ),
                    Failure::NoAnswer => Finding::at_status(
                        problem,
                        &NO_ANSWER,
                        format!("{who}: no NTP answer in time"),
                        format!(
                            "allow UDP port {} from this node to {} in the firewall, or configure a reachable NTP server",
                            s.addr.map_or(123, |a| a.port()),
                            s.name
                        ),
                    ),
                    Failure::Unreachable(why) => Finding::at_status(
                        problem,
                        &UNREACHABLE,
                        format!("{who}: {why}"),
                        format!(
                            "correct {} in `time.ntp_servers`, or start NTP service on it",
                            s.name
                        ),
                    ),
                    Failure::KissOfDeath(code) => Finding::at_status(
                        problem,
                        &KISS_OF_DEATH,
                        format!("{who} answered stratum 0, kiss code {code}: it refuses to serve this node"),
                        format!(
                            "stop querying {} (kiss code {code}) or ask its operator to allow this node; use another server meanwhile",
                            s.name
                        ),
                    ),
                    Failure::BadReply(why) | Failure::Io(why) => Finding::at_status(
                        problem,
                        &BAD_REPLY,
                        format!("{who}: {why}"),
                        format!("point `time.ntp_servers` at an NTP server instead of {}", s.name),
                    ),
                });
            }
        }
    }
    let mut usable_servers: Vec<(&Server, &Measurement)> = servers
        .iter()
        .filter_map(|s| s.result.as_ref().ok().filter(|m| usable(m)).map(|m| (s, m)))
        .collect();
    usable_servers.sort_by(|a, b| error_bound(a.1).total_cmp(&error_bound(b.1)));
    let mut facts = std::collections::BTreeMap::new();
    if let Some((best_server, best)) = usable_servers.first() {
        let offset = -best.best.offset;
        let error = error_bound(best);
        let who = label(best_server);
        let side = if offset >= 0.0 { "ahead of" } else { "behind" };
        let line = format!(
            "this node is {} {side} {who} (±{}, stratum {}, lowest-delay of {}/{} samples); {tol_text}",
            show_secs(offset.abs()).trim_start_matches('+'),
            show_secs(error).trim_start_matches('+'),
            best.best.stratum,
            best.answered,
            best.sent
        );
        let step = format!(
            "step the clock {} by {} (`chronyc makestep`, or `timedatectl set-ntp true`) and keep a time daemon disciplining it; the clock-sync check shows why it drifted",
            if offset >= 0.0 { "back" } else { "forward" },
            show_secs(offset.abs()).trim_start_matches('+')
        );
        let finding = match verdict(offset, error, tol) {
            Verdict::Over => Finding::new(&SKEW, format!("{line}: over the tolerance"), step),
            Verdict::Uncertain => Finding::new(
                &UNCERTAIN,
                format!(
                    "{line}: cannot tell whether it is within the tolerance (the error bound straddles it)"
                ),
                format!(
                    "measure against a closer NTP server than {} (round trip {}, root dispersion {}) or widen `tolerance` if the workload allows",
                    best_server.name,
                    show_secs(best.best.delay).trim_start_matches('+'),
                    show_secs(best.best.root_dispersion).trim_start_matches('+')
                ),
            ),
            Verdict::NearTolerance => Finding::new(
                &NEAR_TOLERANCE,
                format!("{line}: within the tolerance, but at or over half of it"),
                format!(
                    "let the time daemon slew the clock {} by {} before it reaches the tolerance (`chronyc tracking` shows it converging), or {}",
                    if offset >= 0.0 { "back" } else { "forward" },
                    show_secs(offset.abs()).trim_start_matches('+'),
                    step.split(" and keep").next().unwrap_or("step the clock")
                ),
            ),
            Verdict::Within => Finding::pass(line),
        };
        findings.insert(0, finding);
        // Disagreement between usable servers (beyond their error bounds and the tolerance).
        for (s, m) in usable_servers.iter().skip(1) {
            let d = (m.best.offset - best.best.offset).abs();
            if d > tol + error + error_bound(m) {
                findings.push(Finding::new(&DISAGREE, format!(
                        "{} disagrees with {who} by {} (more than the tolerance plus both error bounds)",
                        label(s),
                        show_secs(d).trim_start_matches('+')
                    ),
                    format!(
                        "remove {} from `time.ntp_servers` and the time daemon's configuration, or fix its clock",
                        s.name
                    ),
                ));
            }
        }
        facts.insert(keys::TIME_OFFSET_MS.to_string(), millis(offset).into());
        facts.insert("time.offset_error_ms".to_string(), millis(error).into());
        facts.insert(keys::TIME_TOLERANCE_MS.to_string(), millis(tol).into());
        facts.insert(
            keys::TIME_REFERENCE.to_string(),
            format!(
                "ntp {}",
                best_server
                    .addr
                    .map_or_else(|| best_server.name.clone(), |a| a.to_string())
            )
            .into(),
        );
    }
    let mut eval = Evaluation::of(findings);
    eval.facts = facts;
    eval.evidence
        .insert("servers".into(), serde_json::Value::Array(evidence));
    eval.evidence
        .insert("tolerance_ms".into(), millis(tol).into());
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_never_show_a_negative_zero() {
        assert_eq!(show_secs(-0.000_04), "+0.0 ms");
        assert_eq!(show_secs(-0.0), "+0.0 ms");
        assert_eq!(show_secs(-0.0123), "-12.3 ms");
        assert_eq!(show_secs(0.25), "+250.0 ms");
        assert_eq!(show_secs(-4.0), "-4.000 s");
        assert!(!show_secs(-0.000_000_1).starts_with('-'));
    }
    use crate::probe::ntp::Sample;

    fn measured(name: &str, offset: f64, delay: f64, stratum: u8, leap: u8) -> Server {
        Server {
            name: name.into(),
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 123))),
            result: Ok(Measurement {
                best: Sample {
                    // The server's offset is the reverse of the node's.
                    offset: -offset,
                    delay,
                    stratum,
                    leap,
                    root_delay: 0.001,
                    root_dispersion: 0.001,
                    reference_id: "192.0.2.1".into(),
                },
                answered: 4,
                sent: 4,
            }),
        }
    }

    fn failed(name: &str, f: Failure) -> Server {
        Server {
            name: name.into(),
            addr: None,
            result: Err(f),
        }
    }

    fn code(e: &Evaluation) -> Option<&str> {
        e.worst().and_then(Finding::code_name)
    }

    const S1: Duration = Duration::from_secs(1);
    const S5: Duration = Duration::from_secs(5);
    const MS10: Duration = Duration::from_millis(10);

    #[test]
    fn offsets_are_judged_with_their_error_bound() {
        let cases: &[(f64, f64, Duration, Status, Option<&str>)] = &[
            (0.0, 0.0002, S1, Status::Pass, None),
            (4.0, 0.0002, S1, Status::Fail, Some("ntp.skew")),
            (-4.0, 0.0002, S1, Status::Fail, Some("ntp.skew")),
            (4.0, 0.0002, S5, Status::Warn, Some("ntp.near-tolerance")),
            (-30.0, 0.0002, S5, Status::Fail, Some("ntp.skew")),
            (0.003, 0.0002, MS10, Status::Pass, None),
            (
                0.006,
                0.0002,
                MS10,
                Status::Warn,
                Some("ntp.near-tolerance"),
            ),
            // 12 ms measured over a 40 ms round trip: ±23 ms straddles 10 ms.
            (0.012, 0.040, MS10, Status::Warn, Some("ntp.uncertain")),
            // 9 ms with the same noise is no pass either.
            (0.009, 0.040, MS10, Status::Warn, Some("ntp.uncertain")),
            // 50 ms over the same path is a skew for sure.
            (0.050, 0.040, MS10, Status::Fail, Some("ntp.skew")),
        ];
        for &(offset, delay, tol, status, c) in cases {
            let e = judge(
                &[measured("a", offset, delay, 2, 0)],
                tol,
                "default profile",
            );
            assert_eq!(e.status(), status, "{offset} {delay} {tol:?}: {e:#?}");
            assert_eq!(code(&e), c, "{offset} {delay} {tol:?}");
            let published = e.facts[keys::TIME_OFFSET_MS].as_f64().unwrap();
            assert!((published - offset * 1000.0).abs() < 0.01, "{published}");
        }
    }

    #[test]
    fn unsynchronised_servers_are_their_own_code_and_not_used() {
        for (stratum, leap) in [(16, 0), (3, 3)] {
            let e = judge(&[measured("a", 0.0, 0.001, stratum, leap)], S1, "p");
            assert_eq!(code(&e), Some("ntp.server-unsynchronised"));
            assert_eq!(e.status(), Status::Fail);
            assert!(!e.facts.contains_key(keys::TIME_OFFSET_MS));
        }
        // Next to a good server it is a warning; the good one decides.
        let e = judge(
            &[
                measured("bad", 9.0, 0.001, 16, 3),
                measured("good", 0.0, 0.001, 2, 0),
            ],
            S1,
            "p",
        );
        assert_eq!(e.status(), Status::Warn);
        assert_eq!(code(&e), Some("ntp.server-unsynchronised"));
        assert_eq!(e.facts[keys::TIME_OFFSET_MS], 0.0);
    }

    #[test]
    fn unreachable_servers_fail_only_when_no_server_answers() {
        let e = judge(&[failed("a", Failure::NoAnswer)], S1, "p");
        assert_eq!(
            (e.status(), code(&e)),
            (Status::Fail, Some("ntp.no-answer"))
        );
        let e = judge(
            &[failed("a", Failure::Unreachable("port unreachable".into()))],
            S1,
            "p",
        );
        assert_eq!(code(&e), Some("ntp.unreachable"));
        let e = judge(&[failed("a", Failure::KissOfDeath("RATE".into()))], S1, "p");
        assert_eq!(code(&e), Some("ntp.kiss-of-death"));
        let e = judge(
            &[
                failed("a", Failure::NoAnswer),
                measured("b", 0.0, 0.001, 2, 0),
            ],
            S1,
            "p",
        );
        assert_eq!(
            (e.status(), code(&e)),
            (Status::Warn, Some("ntp.no-answer"))
        );
        let e = judge(&[failed("a", Failure::NotProbed("guard".into()))], S1, "p");
        assert_eq!(
            (e.status(), code(&e)),
            (Status::Skip, Some("ntp.not-probed"))
        );
        let e = judge(&[], S1, "p");
        assert_eq!(code(&e), Some("ntp.no-servers"));
    }

    #[test]
    fn servers_that_disagree_are_named_and_the_best_one_decides() {
        let e = judge(
            &[
                measured("a", 0.0, 0.001, 2, 0),
                measured("b", 3.0, 0.002, 2, 0),
            ],
            S1,
            "p",
        );
        assert_eq!((e.status(), code(&e)), (Status::Warn, Some("ntp.disagree")));
        assert!(
            e.findings[1]
                .message
                .starts_with("b (127.0.0.1:123) disagrees")
                || e.findings[1].message.starts_with("b disagrees"),
            "{e:#?}"
        );
    }

    #[test]
    fn server_names_and_config_lines_parse() {
        assert_eq!(split_server("ntp1.example"), ("ntp1.example".into(), 123));
        assert_eq!(split_server("127.0.0.1:4123"), ("127.0.0.1".into(), 4123));
        assert_eq!(split_server("[::1]:4123"), ("::1".into(), 4123));
        assert_eq!(split_server("::1"), ("::1".into(), 123));
        let conf = "# chrony\npool 2.debian.pool.ntp.org iburst\nserver 192.0.2.1 iburst # core\n[Time]\nNTP=a.example b.example\n#NTP=c.example\ndriftfile /var/lib/chrony/drift\n";
        assert_eq!(
            servers_in_conf(conf),
            [
                "2.debian.pool.ntp.org",
                "192.0.2.1",
                "a.example",
                "b.example"
            ]
        );
    }
}
