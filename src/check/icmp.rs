//! `icmp`: echo to the master where this process may open an ICMP socket. ICMP is often
//! filtered on purpose, so silence is a warning, and no permission is a skip — never a fail.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serde::Deserialize;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::{addresses_for, inner_timeout};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Host name or address (e.g. `${config.endpoint.host}`).
    pub host: Text,
}

super::generated_codes!("icmp");

/// No echo reply in time (ICMP filtered, or the host down or unrouted).
pub const NO_REPLY: Code = Code::new(
    "icmp.no-reply",
    Status::Warn,
    "No echo reply in time (ICMP filtered, or the host down or unrouted).",
    "If TCP also fails, check routing and firewalls; if TCP works, ICMP is filtered and nothing needs fixing.",
);

/// This process may not open an ICMP socket.
pub const NOT_PERMITTED: Code = Code::new(
    "icmp.not-permitted",
    Status::Skip,
    "This process may not open an ICMP socket.",
    "Run as root or widen net.ipv4.ping_group_range to include this user's group.",
);

/// Sending the echo failed (no route, network down).
pub const ERROR: Code = Code::new(
    "icmp.error",
    Status::Warn,
    "Sending the echo failed (no route, network down).",
    "Check routing to the master (`ip route get ADDRESS`).",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "icmp",
        category: "network",
        summary: "The master answers ICMP echo (where this process may send it)",
        explain: "What it checks: an ICMP echo request (ping) to each IPv4 address of the master, through an unprivileged ICMP socket or, for root, a raw one. A reply shows the host is up and routed; silence is only a warning, because many networks filter ICMP on purpose; when the process may not open an ICMP socket (net.ipv4.ping_group_range excludes it and it is not root) the check is skipped with the reason, never failed. IPv6 addresses are not pinged.\n\nWhy it matters: `ping <target-node>` is the usual runbook's first network step; combined with the TCP check it separates \"host down or unrouted\" from \"port blocked\".\n\nHow to fix: no reply while TCP connects — ICMP is filtered, nothing to fix; no reply and TCP filtered or unreachable — check routing and firewalls between node and master.",
        default_timeout: Duration::from_secs(3),
        network: true,
        reads_config: false,
        codes: &[NO_REPLY, NOT_PERMITTED, ERROR],
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
        let addrs = match addresses_for(&host, &ctx.facts, budget).await {
            Ok((a, _)) => a,
            Err(why) => {
                return Evaluation::single(Finding::new(
                    &NOT_PROBED,
                    format!("{host} does not resolve: {why}"),
                    "fix name resolution first (dns check)",
                ));
            }
        };
        let mut findings = Vec::new();
        for (i, ip) in addrs.into_iter().enumerate() {
            if let Err(e) = crate::probe::guard(ip) {
                findings.push(Finding::new(
                    &NOT_PROBED,
                    e.to_string(),
                    "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to ping this target",
                ));
                continue;
            }
            let IpAddr::V4(_) = ip else {
                findings.push(Finding::new(
                    &NOT_PROBED,
                    format!("{ip}: IPv6 addresses are not pinged"),
                    "rely on the tcp check for IPv6 reachability",
                ));
                continue;
            };
            let seq = u16::try_from(i).unwrap_or(0);
            let outcome = tokio::task::spawn_blocking(move || echo(ip, seq, budget))
                .await
                .unwrap_or_else(|e| Echo::Error(e.to_string()));
            findings.push(match outcome {
                Echo::Reply(d) => Finding::pass(format!("{ip} answered the echo in {:.1} ms", d.as_secs_f64() * 1000.0)),
                Echo::Silent => Finding::new(&NO_REPLY, format!("no echo reply from {ip} within {}", crate::duration::format(budget)), format!("if the tcp check also fails, check routing and firewalls to {ip}; if it connects, ICMP is filtered and nothing needs fixing")),
                Echo::NotPermitted(why) => Finding::new(&NOT_PERMITTED, format!("cannot open an ICMP socket: {why}"), "run the doctor as root, or widen net.ipv4.ping_group_range to include this user's group"),
                Echo::Error(why) => Finding::new(&ERROR, format!("sending the echo to {ip} failed: {why}"), format!("check routing to {ip} (`ip route get {ip}`)")),
            });
        }
        if findings.is_empty() {
            findings.push(Finding::new(
                &NOT_PROBED,
                format!("no address of {host} to ping"),
                "fix name resolution first",
            ));
        }
        Evaluation::of(findings)
    }
}

enum Echo {
    Reply(Duration),
    Silent,
    NotPermitted(String),
    Error(String),
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum = sum.wrapping_add(u32::from(word));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0)
}

/// One echo request and its reply (blocking; run on the blocking pool).
fn echo(ip: IpAddr, seq: u16, timeout: Duration) -> Echo {
    let (mut socket, raw) = match Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)) {
        Ok(s) => (s, false),
        Err(dgram) => match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)) {
            Ok(s) => (s, true),
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::PermissionDenied)
                    || e.raw_os_error() == Some(1) =>
            {
                return Echo::NotPermitted(format!("{dgram}; raw: {e}"));
            }
            Err(e) => return Echo::Error(e.to_string()),
        },
    };
    let id = u16::try_from(std::process::id() & 0xffff).unwrap_or(0);
    let mut packet = vec![8u8, 0, 0, 0];
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(b"autoglm-doctor echo");
    let sum = checksum(&packet);
    packet[2..4].copy_from_slice(&sum.to_be_bytes());
    let start = Instant::now();
    if let Err(e) = socket.send_to(&packet, &SockAddr::from(SocketAddr::new(ip, 0))) {
        return Echo::Error(e.to_string());
    }
    let mut buf = [0u8; 1500];
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() || socket.set_read_timeout(Some(left)).is_err() {
            return Echo::Silent;
        }
        let Ok(n) = socket.read(&mut buf) else {
            return Echo::Silent;
        };
        // A raw socket delivers the IP header too; an ICMP datagram socket does not.
        let icmp = if raw {
            buf.get(usize::from(buf[0] & 0x0f) * 4..n).unwrap_or(&[])
        } else {
            &buf[..n]
        };
        // Echo reply (type 0); the kernel rewrites the id of datagram sockets, so only a raw
        // socket's reply is matched by id.
        if icmp.len() >= 8
            && icmp[0] == 0
            && icmp[6..8] == seq.to_be_bytes()
            && (!raw || icmp[4..6] == id.to_be_bytes())
        {
            return Echo::Reply(start.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_rfc_1071_example() {
        // Header with checksum field zero: type 8, code 0, id 1, seq 1.
        let p = [8u8, 0, 0, 0, 0, 1, 0, 1];
        let sum = checksum(&p);
        let mut with = p;
        with[2..4].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(checksum(&with), 0);
    }
}
