//! `tls`: handshake with the master as the node does — SNI, the configured CA bundle — and
//! name exactly what is wrong: untrusted issuer, expired, not yet valid, wrong host name,
//! self-signed, not TLS at all, or a protocol failure. Warns before the certificate expires.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::tls::{self, CertInfo, CertProblem, Observation, Outcome};
use crate::probe::{addresses_for, inner_timeout};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`): host and port come from it, and a
    /// plain `http://` URL is reported as unencrypted instead of probed.
    #[serde(default)]
    pub url: Option<crate::probe::http::HttpUrl>,
    /// The name the certificate must carry; sent as SNI (overrides the URL's host).
    #[serde(default)]
    pub host: Option<Text>,
    /// The TLS port (overrides the URL's port).
    #[serde(default)]
    pub port: Option<super::param::Port>,
    /// Connect here instead of resolving `host`.
    #[serde(default)]
    pub address: Option<super::param::IpAddress>,
    /// PEM CA bundle (relative paths from the node config's directory); empty: system roots.
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// Warn when the certificate expires within this (default 14d).
    #[serde(default = "fourteen_days")]
    pub expiry_warning: super::param::Span,
}

fn fourteen_days() -> super::param::Span {
    super::param::Span(Duration::from_secs(14 * 86_400))
}

super::generated_codes!("tls");

/// The certificate's issuer is not in the CA bundle (often a CA rotation this node missed).
pub const UNTRUSTED: Code = Code::new(
    "tls.untrusted",
    Status::Fail,
    "The certificate's issuer is not in the CA bundle (often a CA rotation this node missed).",
    "Install the issuing CA in the node's CA bundle (`auth.ca_certificate.path`).",
);

/// The master presents a self-signed certificate that the CA bundle does not trust.
pub const SELF_SIGNED: Code = Code::new(
    "tls.self-signed",
    Status::Fail,
    "The master presents a self-signed certificate that the CA bundle does not trust.",
    "Give the master a certificate issued by the cluster CA, or trust this exact certificate in the bundle.",
);

/// The master's certificate has expired.
pub const EXPIRED: Code = Code::new(
    "tls.expired",
    Status::Fail,
    "The master's certificate has expired.",
    "Renew the master's certificate.",
);

/// The certificate is not valid yet — or this node's clock is behind.
pub const NOT_YET_VALID: Code = Code::new(
    "tls.not-yet-valid",
    Status::Fail,
    "The certificate is not valid yet — or this node's clock is behind.",
    "Check this node's clock (time checks); then the certificate's notBefore date.",
);

/// The certificate does not carry the host name the node connects to.
pub const WRONG_HOST: Code = Code::new(
    "tls.wrong-host",
    Status::Fail,
    "The certificate does not carry the host name the node connects to.",
    "Reissue the certificate with the master's name in subjectAltName, or correct `endpoint`.",
);

/// The certificate is invalid for another reason (bad signature, wrong purpose, ...).
pub const INVALID_CERTIFICATE: Code = Code::new(
    "tls.invalid-certificate",
    Status::Fail,
    "The certificate is invalid for another reason (bad signature, wrong purpose, ...).",
    "Reissue the master's certificate; the message names the problem.",
);

/// The certificate expires within the warning window.
pub const EXPIRING_SOON: Code = Code::new(
    "tls.expiring-soon",
    Status::Warn,
    "The certificate expires within the warning window.",
    "Renew the master's certificate before it expires.",
);

/// The port answered, but not with TLS (plain HTTP, another protocol).
pub const NOT_TLS: Code = Code::new(
    "tls.not-tls",
    Status::Fail,
    "The port answered, but not with TLS (plain HTTP, another protocol).",
    "Point the endpoint at the master's TLS port (https://), or enable TLS on that port.",
);

/// The handshake failed: a TLS alert, no shared protocol version or cipher, or the connection was closed.
pub const HANDSHAKE_FAILED: Code = Code::new(
    "tls.handshake-failed",
    Status::Fail,
    "The handshake failed: a TLS alert, no shared protocol version or cipher, or the connection was closed.",
    "Align TLS versions and ciphers between node and master; the message has the detail.",
);

/// The connection was reset or closed during the handshake without a TLS alert.
pub const CONNECTION_RESET: Code = Code::new(
    "tls.connection-reset",
    Status::Fail,
    "The master (or something between) reset or closed the connection during the TLS handshake, without a TLS alert.",
    "Look at the master's service log and at proxies or firewalls that cut connections; TLS versions are not the cause.",
);

/// The TCP connection opened, but the server never answered the TLS handshake.
pub const NO_HANDSHAKE: Code = Code::new(
    "tls.no-handshake",
    Status::Fail,
    "The TCP connection opened, but the server never answered the TLS handshake.",
    "Check that the port serves TLS and that no middlebox holds the connection.",
);

/// The TCP connection to the TLS port failed (see the tcp check).
pub const CONNECTION_FAILED: Code = Code::new(
    "tls.connection-failed",
    Status::Fail,
    "The TCP connection to the TLS port failed (see the tcp check).",
    "Fix the TCP connection first.",
)
.was(&["tls.connect-failed"]);

/// The endpoint is plain HTTP: credentials and data are not encrypted.
pub const PLAINTEXT: Code = Code::new(
    "tls.plaintext",
    Status::Warn,
    "The endpoint is plain HTTP: credentials and data are not encrypted.",
    "Serve the master over TLS and use an https:// endpoint.",
);

/// The configured CA bundle cannot be read or holds no certificate.
pub const CA_UNREADABLE: Code = Code::new(
    "tls.ca-unreadable",
    Status::Fail,
    "The configured CA bundle cannot be read or holds no certificate.",
    "Point `auth.ca_certificate.path` at a readable PEM bundle.",
);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "tls",
        category: "tls",
        summary: "The master's TLS certificate verifies against the configured CA for the configured name",
        explain: "What it checks: a TLS handshake with the master, sending the host name as SNI and verifying the chain against the node's CA bundle (`auth.ca_certificate.path`; the system roots when none is configured) — what `openssl s_client -verify_return_error` does by hand. It tells apart: the issuer is not trusted by the bundle (often a CA rotation that reached the master but not this node), a self-signed certificate, an expired certificate, one not valid yet (or this node's clock is behind), a certificate for another host name, a port that does not speak TLS (plain HTTP), and handshake failures (no common protocol version or cipher, an alert). It warns when the certificate expires within `expiry_warning` (14 days). Evidence: subject, issuer, SANs, validity, serial, SHA-256 fingerprint, chain length, negotiated version and cipher; the configured CA's subject and fingerprint are published for the auth checks.\n\nWhy it matters: the sync path is TLS (a sync request opens a TLS connection first); every certificate problem looks the same to the service — a failed connection — until someone runs openssl by hand.\n\nHow to fix: untrusted — install the issuing CA in the node's bundle (after a rotation, the new CA version); expired — renew the master's certificate; not yet valid — check this node's clock, then the certificate's start date; wrong host — reissue with the master's name in subjectAltName, or fix `endpoint`; not TLS — point `endpoint` at the TLS port (https) or enable TLS on it.",
        default_timeout: Duration::from_secs(5),
        network: true,
        reads_config: false,
        codes: &[
            UNTRUSTED,
            SELF_SIGNED,
            EXPIRED,
            NOT_YET_VALID,
            WRONG_HOST,
            INVALID_CERTIFICATE,
            EXPIRING_SOON,
            NOT_TLS,
            HANDSHAKE_FAILED,
            CONNECTION_RESET,
            NO_HANDSHAKE,
            CONNECTION_FAILED,
            PLAINTEXT,
            CA_UNREADABLE,
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
        let from_url = match &spec.url {
            None => None,
            Some(t) if !t.is_https() => {
                return Evaluation::single(Finding::new(
                    &PLAINTEXT,
                    format!(
                        "{t} is plain HTTP: the node's credentials and data cross the network unencrypted"
                    ),
                    format!(
                        "serve the master over TLS and set `endpoint` to https://{}:PORT",
                        t.host()
                    ),
                ));
            }
            Some(t) => Some(t),
        };
        let host = match (&spec.host, &from_url) {
            (Some(h), _) => {
                h.0.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            }
            (None, Some(t)) => t.host_name(),
            (None, None) => {
                return probe_error(
                    &CONNECTION_FAILED,
                    "no `url` or `host` to check".into(),
                    "give the check `url: ${config.endpoint}`, or `host` and `port`",
                );
            }
        };
        let port: u16 = match (&spec.port, &from_url) {
            (Some(p), _) => p.0,
            (None, Some(t)) => t.port(),
            (None, None) => 443,
        };
        let warn_within = spec.expiry_warning.0;
        let trust = match super::endpoint::trust(ctx, spec.ca_file.as_ref()).await {
            Ok(t) => t,
            Err(e) => return probe_error(&CA_UNREADABLE, e.to_string(), e.remediation()),
        };
        let (bundle_name, roots, cas) = (trust.name, trust.roots, trust.certs);

        let addrs: Vec<IpAddr> = match &spec.address {
            Some(a) => vec![a.0],
            // The addresses a tcp check saw accept this port (clients fall back to them),
            // else all the host's addresses.
            None => match match accepted(&ctx.facts, &host, port) {
                Some(a) => Ok((a, "the tcp check")),
                None => addresses_for(&host, &ctx.facts, budget).await,
            } {
                Ok((a, _)) => a,
                Err(why) => {
                    return probe_error(
                        &CONNECTION_FAILED,
                        format!("{host} does not resolve: {why}"),
                        format!("fix name resolution of {host} first (dns check)"),
                    );
                }
            },
        };
        let observations = futures_util::future::join_all(addrs.iter().map(|ip| {
            let roots = std::sync::Arc::clone(&roots);
            let host = host.clone();
            let target = SocketAddr::new(*ip, port);
            async move { (target, tls::handshake(target, &host, roots, budget).await) }
        }))
        .await;
        let mut eval = judge(
            &host,
            &bundle_name,
            &cas,
            &observations,
            warn_within,
            chrono::Utc::now().timestamp(),
        );
        if let Some(ca) = cas.first() {
            eval.facts
                .insert("tls.ca.subject".into(), ca.subject.clone().into());
            eval.facts
                .insert("tls.ca.sha256".into(), ca.sha256.clone().into());
            eval.facts
                .insert("tls.ca.serial".into(), ca.serial.clone().into());
        }
        eval
    }
}

/// The addresses of `host` a tcp check saw accept `port` (fact `tcp.accepting.<host>:<port>`).
pub fn accepted(facts: &crate::report::Facts, host: &str, port: u16) -> Option<Vec<IpAddr>> {
    let list: Vec<IpAddr> = facts
        .get(&format!("tcp.accepting.{host}:{port}"))?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str()?.parse().ok())
        .collect();
    (!list.is_empty()).then_some(list)
}

pub(crate) fn probe_error(
    code: &'static Code,
    message: String,
    fix: impl Into<String>,
) -> Evaluation {
    let mut e = Evaluation::single(Finding::new(code, message, fix));
    e.cause = Some(Cause::ProbeError);
    e
}

fn date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || unix.to_string(),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn days(secs: i64) -> String {
    let d = secs.abs() / 86_400;
    if d >= 1 {
        format!("{d} day{}", if d == 1 { "" } else { "s" })
    } else {
        format!("{} hours", secs.abs() / 3600)
    }
}

fn short_name(dn: &str) -> String {
    dn.split(',')
        .find_map(|p| p.trim().strip_prefix("CN="))
        .unwrap_or(dn)
        .to_string()
}

/// Judge the handshakes (one per address); `now` is unix seconds.
pub fn judge(
    host: &str,
    bundle: &str,
    cas: &[CertInfo],
    observations: &[(SocketAddr, Observation)],
    warn_within: Duration,
    now: i64,
) -> Evaluation {
    let mut findings = Vec::new();
    let mut evidence = crate::report::Evidence::new();
    let mut facts = crate::report::Facts::new();
    let ca_names = cas
        .iter()
        .map(|c| short_name(&c.subject))
        .collect::<Vec<_>>()
        .join(", ");
    for (target, obs) in observations {
        let leaf = obs.chain.first();
        if let Some(l) = leaf {
            evidence.insert(
                format!("certificate {target}"),
                serde_json::json!({
                    "subject": l.subject, "issuer": l.issuer, "sans": l.sans,
                    "not_before": crate::report::rfc3339(l.not_before), "not_after": crate::report::rfc3339(l.not_after),
                    "serial": l.serial, "sha256": l.sha256, "chain_length": obs.chain.len(),
                    "version": obs.version, "cipher": obs.cipher,
                }),
            );
            facts.insert("tls.leaf.sha256".into(), l.sha256.clone().into());
            facts.insert(
                "tls.leaf.not_after".into(),
                crate::report::rfc3339(l.not_after).into(),
            );
            facts.insert("tls.leaf.issuer".into(), l.issuer.clone().into());
            // The CA the master presents with its certificate (the last, self-signed one).
            if let Some(root) = obs.chain.iter().skip(1).rev().find(|c| c.self_signed) {
                facts.insert("tls.master_ca.sha256".into(), root.sha256.clone().into());
                facts.insert("tls.master_ca.subject".into(), root.subject.clone().into());
            }
        }
        let issuer = leaf.map_or_else(
            || "an unknown issuer".to_string(),
            |l| short_name(&l.issuer),
        );
        let f = match &obs.outcome {
            Outcome::Verified => {
                let l = leaf.cloned();
                let left = l.as_ref().map_or(i64::MAX, |l| l.not_after - now);
                let version = obs.version.clone().unwrap_or_default();
                if left < i64::try_from(warn_within.as_secs()).unwrap_or(i64::MAX) {
                    let until = l.as_ref().map_or_else(String::new, |l| date(l.not_after));
                    Finding::new(
                        &EXPIRING_SOON,
                        format!(
                            "{target}: certificate for {host} expires {until}, in {}",
                            days(left)
                        ),
                        format!("renew the certificate for {host} on the master before {until}"),
                    )
                } else {
                    Finding::pass(format!(
                        "{target}: {host} verified ({version}), issued by {issuer}, valid until {}",
                        l.as_ref().map_or_else(String::new, |l| date(l.not_after))
                    ))
                }
            }
            Outcome::Certificate(problem) => match problem {
                CertProblem::Expired => {
                    let when = leaf.map_or_else(String::new, |l| {
                        format!(
                            " on {} ({} ago)",
                            date(l.not_after),
                            days(now - l.not_after)
                        )
                    });
                    Finding::new(
                        &EXPIRED,
                        format!("{target}: the certificate for {host} expired{when}"),
                        format!("renew the certificate for {host} on the master{when}"),
                    )
                }
                CertProblem::NotYetValid => {
                    let when = leaf.map_or_else(String::new, |l| {
                        format!(
                            " until {} ({} from now)",
                            date(l.not_before),
                            days(l.not_before - now)
                        )
                    });
                    Finding::new(
                        &NOT_YET_VALID,
                        format!("{target}: the certificate for {host} is not valid{when}"),
                        format!(
                            "check this node's clock first (a clock behind makes valid certificates look not yet valid); otherwise reissue the certificate for {host} with a start date in the past"
                        ),
                    )
                }
                CertProblem::WrongHost => {
                    let names = leaf.map_or_else(String::new, |l| l.sans.join(", "));
                    Finding::new(
                        &WRONG_HOST,
                        format!("{target}: the certificate is for {names}, not {host}"),
                        format!(
                            "reissue the master's certificate with {host} in subjectAltName, or set `endpoint` to a name it carries ({names})"
                        ),
                    )
                }
                CertProblem::UnknownIssuer if leaf.is_some_and(|l| l.self_signed) => Finding::new(
                    &SELF_SIGNED,
                    format!(
                        "{target}: {host} presents a self-signed certificate ({issuer}) that {bundle} does not trust"
                    ),
                    format!(
                        "give the master a certificate issued by the cluster CA ({ca_names}), or add this certificate to {bundle}"
                    ),
                ),
                CertProblem::UnknownIssuer => Finding::new(
                    &UNTRUSTED,
                    format!(
                        "{target}: the certificate for {host} is issued by {issuer}, which {bundle} does not trust (it holds: {ca_names})"
                    ),
                    format!(
                        "install the CA certificate of {issuer} into {bundle} (after a CA rotation: the new CA version)"
                    ),
                ),
                CertProblem::IssuerKeyMismatch => Finding::new(
                    &UNTRUSTED,
                    format!(
                        "{target}: the certificate for {host} is issued by {issuer}, but not by the key of the {issuer} in {bundle}: the CA was re-keyed (rotated) and this node has the old one"
                    ),
                    format!(
                        "replace {bundle} with the current CA certificate of {issuer} (the rotated version the master uses)"
                    ),
                ),
                CertProblem::Other(why) => Finding::new(
                    &INVALID_CERTIFICATE,
                    format!("{target}: the certificate for {host} is invalid: {why}"),
                    format!("reissue the certificate for {host}"),
                ),
            },
            Outcome::NotTls(why) => Finding::new(
                &NOT_TLS,
                format!("{target} does not speak TLS ({why}); likely a plain-HTTP port"),
                format!(
                    "point `endpoint` at the master's TLS port (https://{host}:PORT), or enable TLS on port {}",
                    target.port()
                ),
            ),
            Outcome::Handshake(why) => Finding::new(
                &HANDSHAKE_FAILED,
                format!("{target}: TLS handshake with {host} failed: {why}"),
                "align TLS versions and ciphers between node and master (TLS 1.2 or 1.3 with modern ciphers)",
            ),
            Outcome::Reset(why) => Finding::new(
                &CONNECTION_RESET,
                format!(
                    "{target} accepted the connection, then reset it during the TLS handshake with {host} without a TLS alert ({why})"
                ),
                format!(
                    "look at what resets port {port} of {host}: the master's service log (a crash or overload on connect), a proxy, load balancer or firewall (IPS) in between cutting the connection; compare `openssl s_client -connect {target}` from this node and from the master itself. TLS versions are not the cause: a version mismatch ends with an alert",
                    port = target.port()
                ),
            ),
            Outcome::NoAnswer => Finding::new(
                &NO_HANDSHAKE,
                format!("{target} accepted the connection but never answered the TLS handshake"),
                format!(
                    "check that port {} of {host} serves TLS and that no proxy or middlebox holds the connection",
                    target.port()
                ),
            ),
            Outcome::Connect(o) => match o {
                crate::probe::tcp::Outcome::NotProbed(why) => Finding::new(
                    &NOT_PROBED,
                    format!("{target}: {why}"),
                    "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe this target",
                ),
                other => Finding::new(
                    &CONNECTION_FAILED,
                    format!("{target}: TCP connection failed: {other}"),
                    format!("fix the TCP connection to {target} first (see the tcp check)"),
                ),
            },
        };
        findings.push(f.with("address", target.to_string()));
    }
    let mut eval = Evaluation::of(findings);
    eval.evidence = evidence;
    eval.evidence.insert("ca_bundle".into(), bundle.into());
    eval.evidence.insert("trusted_cas".into(), ca_names.into());
    eval.facts = facts;
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(self_signed: bool) -> CertInfo {
        CertInfo {
            subject: "CN=master.autoglm.test".into(),
            issuer: if self_signed {
                "CN=master.autoglm.test".into()
            } else {
                "CN=Other CA".into()
            },
            sans: vec!["master.autoglm.test".into()],
            not_before: 1_000,
            not_after: 2_000_000,
            serial: "01".into(),
            sha256: "ab".into(),
            self_signed,
        }
    }

    fn obs(outcome: Outcome, self_signed: bool) -> (SocketAddr, Observation) {
        (
            "127.0.0.1:443".parse().unwrap(),
            Observation {
                outcome,
                chain: vec![leaf(self_signed)],
                version: Some("TLSv1_3".into()),
                cipher: None,
                took: Duration::ZERO,
            },
        )
    }

    #[test]
    fn each_outcome_has_its_code() {
        let day = Duration::from_secs(86_400);
        let cases = [
            (Outcome::Verified, false, 0, None),
            (
                Outcome::Verified,
                false,
                2_000_000 - 86_400 * 3,
                Some("tls.expiring-soon"),
            ),
            (
                Outcome::Certificate(CertProblem::Expired),
                false,
                0,
                Some("tls.expired"),
            ),
            (
                Outcome::Certificate(CertProblem::NotYetValid),
                false,
                0,
                Some("tls.not-yet-valid"),
            ),
            (
                Outcome::Certificate(CertProblem::WrongHost),
                false,
                0,
                Some("tls.wrong-host"),
            ),
            (
                Outcome::Certificate(CertProblem::UnknownIssuer),
                false,
                0,
                Some("tls.untrusted"),
            ),
            (
                Outcome::Certificate(CertProblem::UnknownIssuer),
                true,
                0,
                Some("tls.self-signed"),
            ),
            (
                Outcome::NotTls("InvalidContentType".into()),
                false,
                0,
                Some("tls.not-tls"),
            ),
            (Outcome::NoAnswer, false, 0, Some("tls.no-handshake")),
        ];
        for (outcome, self_signed, now, code) in cases {
            let e = judge(
                "master.autoglm.test",
                "/ca.pem",
                &[],
                &[obs(outcome.clone(), self_signed)],
                day * 14,
                now,
            );
            assert_eq!(e.worst().unwrap().code_name(), code, "{outcome:?}: {e:?}");
        }
    }
}
