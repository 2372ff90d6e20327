//! `grpc-health`: ask the master's gRPC sync port, over HTTP/2 (TLS with ALPN `h2`, or plain
//! text), for the standard health check, so that a port that accepts connections but does
//! not serve — a black hole, a proxy, an HTTP/1 server, a service that reports NOT_SERVING —
//! is not called "open".

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo, Text};
use crate::probe::grpc::{self, Observation, Outcome, Serving};
use crate::probe::http::proxy::{Problem, Route, Traffic};
use crate::probe::tls::CertProblem;
use crate::probe::{addresses_for, inner_timeout};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's host (e.g. `${config.endpoint.host}`): SNI, certificate name, `:authority`.
    pub host: Text,
    /// The gRPC sync port; empty (a reference with an empty default): nothing to probe.
    #[serde(deserialize_with = "super::param::optional_port")]
    pub port: Option<super::param::Port>,
    /// TLS with ALPN `h2` (default), or plain-text HTTP/2 when the master serves gRPC without TLS.
    #[serde(default = "yes")]
    pub tls: bool,
    /// The service to ask about; empty: the server as a whole.
    #[serde(default)]
    pub service: Option<Text>,
    /// PEM CA bundle (relative paths from the node config's directory); empty: system roots.
    #[serde(default)]
    pub ca_file: Option<Text>,
}

fn yes() -> bool {
    true
}

super::generated_codes!("grpc-health");

/// The TCP connection to the sync port failed (see the tcp check).
pub const CONNECTION_FAILED: Code = Code::new(
    "grpc-health.connection-failed",
    Status::Fail,
    "The TCP connection to the gRPC sync port failed (see the tcp check).",
    "Fix the TCP connection to the sync port first.",
);

/// The port accepted the connection, then answered nothing within the deadline.
pub const NO_RESPONSE: Code = Code::new(
    "grpc-health.no-response",
    Status::Fail,
    "The sync port accepts connections but never answers: a black hole (a hung server, a middlebox holding connections, a NetworkPolicy dropping after the handshake).",
    "Find what holds the sync port on the master (`ss -ltnp`), restart the sync service, or remove the middlebox that swallows the traffic.",
);

/// The port answered, but not with TLS.
pub const NOT_TLS: Code = Code::new(
    "grpc-health.not-tls",
    Status::Fail,
    "The sync port answered the TLS handshake with something that is not TLS.",
    "Enable TLS on the master's sync port, or set `tls: false` on the check if the master serves gRPC in plain text.",
);

/// The TLS handshake failed (certificate, alert, no shared version or cipher).
pub const TLS_FAILED: Code = Code::new(
    "grpc-health.tls-failed",
    Status::Fail,
    "The TLS handshake with the sync port failed: the certificate did not verify, or an alert or no shared version or cipher.",
    "Fix the sync port's certificate or TLS settings; the message names the problem.",
);

/// TLS completed, but the server did not agree to HTTP/2 in ALPN.
pub const NO_H2: Code = Code::new(
    "grpc-health.no-h2",
    Status::Fail,
    "TLS completed, but the server did not select `h2` in ALPN: it is not a gRPC server (an HTTPS server or a TLS-terminating proxy that does not forward gRPC).",
    "Point `sync.ports.grpc` at the master's gRPC port, or configure the proxy in front of it to offer HTTP/2 (ALPN h2).",
);

/// The server refused the HTTP/2 connection.
pub const HTTP2_REFUSED: Code = Code::new(
    "grpc-health.http2-refused",
    Status::Fail,
    "The server refused HTTP/2: it closed the connection, sent GOAWAY, or answered in HTTP/1.",
    "Point `sync.ports.grpc` at the master's gRPC port; check `tls:` matches how the master serves it.",
);

/// An HTTP/2 answer that is not a gRPC response.
pub const NOT_GRPC: Code = Code::new(
    "grpc-health.not-grpc",
    Status::Fail,
    "The port answered HTTP/2, but not as a gRPC server (an HTTP error status or another content type).",
    "Point `sync.ports.grpc` at the master's gRPC port, or fix the proxy in front of it so that it forwards gRPC.",
);

/// The server has no health service (gRPC UNIMPLEMENTED).
pub const UNIMPLEMENTED: Code = Code::new(
    "grpc-health.unimplemented",
    Status::Warn,
    "The gRPC server answers, but does not implement the standard health service, so its readiness cannot be asked.",
    "Register the grpc.health.v1.Health service on the master's gRPC server to let the doctor and load balancers see its readiness.",
);

/// The health service does not know the service asked about.
pub const SERVICE_UNKNOWN: Code = Code::new(
    "grpc-health.service-unknown",
    Status::Fail,
    "The health service does not know the service asked about (NOT_FOUND or SERVICE_UNKNOWN).",
    "Check the service name in the check's `service:`; register the service's health status on the master.",
);

/// Another gRPC status (named in the message).
pub const GRPC_ERROR: Code = Code::new(
    "grpc-health.grpc-error",
    Status::Fail,
    "The health check ended with a gRPC error status (named in the message).",
    "Follow the gRPC status: UNAUTHENTICATED or PERMISSION_DENIED — the master's gRPC access policy; UNAVAILABLE — the master's sync service.",
);

/// The server reports NOT_SERVING (or UNKNOWN).
pub const NOT_SERVING: Code = Code::new(
    "grpc-health.not-serving",
    Status::Fail,
    "The master's gRPC server answers, but reports the service as NOT_SERVING (or UNKNOWN): it is up but not ready to sync.",
    "Look at the master's sync service (its logs, its dependencies); it reports itself not ready.",
);

/// The health response could not be read.
pub const BAD_RESPONSE: Code = Code::new(
    "grpc-health.bad-response",
    Status::Fail,
    "The health response is malformed: no grpc-status, a truncated or compressed message.",
    "Check what serves the sync port; a gRPC server answers the health check with a well-formed message.",
);

/// The configured CA bundle cannot be read or holds no certificate.
pub const CA_UNREADABLE: Code = Code::new(
    "grpc-health.ca-unreadable",
    Status::Fail,
    "The configured CA bundle cannot be read or holds no certificate.",
    "Point `auth.ca_certificate.path` at a readable PEM bundle.",
);

/// No gRPC sync port is configured.
pub const NO_PORT: Code = Code::new(
    "grpc-health.no-port",
    Status::Skip,
    "No gRPC sync port is configured, so nothing was probed.",
    "Set `sync.ports.grpc` in the node config if the master syncs over gRPC.",
);

super::seam_proxy_codes!("grpc-health");

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "grpc-health",
        category: "ports",
        summary: "The master's gRPC sync port answers the standard health check with SERVING",
        explain: "What it checks: the gRPC sync port (`sync.ports.grpc`) of each master address, probed as the service uses it: TLS with ALPN `h2` (or plain-text HTTP/2 with `tls: false`), then the standard `grpc.health.v1.Health/Check` call for `service` (empty: the server as a whole). It tells apart: no TCP connection; a port that accepts and never answers (a black hole: a failure, not \"open\"); an answer that is not TLS; a failed TLS handshake or certificate; TLS without `h2` in ALPN (an HTTPS server, a proxy that does not forward gRPC); HTTP/2 refused; an HTTP answer that is not gRPC; a gRPC status (UNIMPLEMENTED: the health service is absent — a warning; NOT_FOUND: the service is unknown; others named); SERVING (pass), NOT_SERVING (fail, naming the service). When grpc_proxy, HTTPS_PROXY or HTTP_PROXY captures the sync port (no_grpc_proxy / NO_PROXY do not exclude the master), the check goes through that proxy as gRPC clients do — a CONNECT tunnel to the master's host and sync port, then the same exchange inside it — and waits for the proxy check, which names a failing proxy first.\n\nWhy it matters: sync runs over gRPC on this port. A connect test calls a port open even when nothing behind it answers — a hung server, a middlebox holding connections, a NetworkPolicy that drops after the handshake, a proxy that does not forward gRPC — and the service then times out with no clue why.\n\nHow to fix: no answer — find what holds the port on the master (`ss -ltnp`), restart the sync service, remove the middlebox; not TLS — enable TLS on the port or set `tls: false`; no h2 — point `sync.ports.grpc` at the gRPC port or make the proxy offer HTTP/2; NOT_SERVING — look at the master's sync service, which reports itself not ready.",
        default_timeout: Duration::from_secs(5),
        network: true,
        reads_config: false,
        codes: &[
            CONNECTION_FAILED,
            NO_RESPONSE,
            NOT_TLS,
            TLS_FAILED,
            NO_H2,
            HTTP2_REFUSED,
            NOT_GRPC,
            UNIMPLEMENTED,
            SERVICE_UNKNOWN,
            GRPC_ERROR,
            NOT_SERVING,
            BAD_RESPONSE,
            CA_UNREADABLE,
            NO_PORT,
            PROXY_UNREACHABLE,
            PROXY_REFUSED,
            PROXY_AUTH_REQUIRED,
            PROXY_AUTH_REJECTED,
            PROXY_UPSTREAM,
        ],
        generated: GENERATED,
        aliases: &[],
        // The proxy check judges the path through the proxy first: when it fails, it is the
        // root cause and this check waits.
        implicit_needs: &["proxy"],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let budget = inner_timeout(ctx.timeout);
        let host = spec
            .host
            .0
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let Some(port) = spec.port.map(|p| p.0) else {
            return Evaluation::single(Finding::new(
                &NO_PORT,
                format!("no gRPC sync port configured for {host}"),
                "set `sync.ports.grpc` in the node config if the master syncs over gRPC",
            ));
        };
        let service = spec
            .service
            .as_ref()
            .map(|s| s.0.trim().to_string())
            .unwrap_or_default();
        let roots = if spec.tls {
            match super::endpoint::trust(ctx, spec.ca_file.as_ref()).await {
                Ok(t) => Some(t.roots),
                Err(e) => {
                    let mut eval = Evaluation::single(Finding::new(
                        &CA_UNREADABLE,
                        e.to_string(),
                        e.remediation(),
                    ));
                    eval.cause = Some(Cause::ProbeError);
                    return eval;
                }
            }
        } else {
            None
        };
        // gRPC follows grpc_proxy, then the https and http proxies: through one, the tunnel
        // goes to the host (the proxy resolves it) and one health check is asked there.
        match crate::probe::http::proxy::route(&ctx.env, Traffic::Grpc, &host) {
            Route::Proxy(p) => {
                let target = grpc::Target {
                    addr: SocketAddr::new(IpAddr::from([0, 0, 0, 0]), port),
                    host: host.clone(),
                    tls: roots,
                    service: service.clone(),
                };
                let (_, obs) = grpc::check_through(&p, &host, &target, &ctx.facts, budget).await;
                return judge(&host, &service, spec.tls, &[(target.addr, obs)], budget);
            }
            Route::Unusable { variable, why } => {
                return Evaluation::single(Finding::new(
                    &NOT_PROBED,
                    format!(
                        "{variable} captures gRPC to {host}:{port}, but the doctor cannot go through it: {why}"
                    ),
                    "set the proxy variable to an http:// proxy, or add the master's host to no_grpc_proxy/NO_PROXY for the doctor's run",
                ));
            }
            Route::Direct | Route::Excluded { .. } => {}
        }
        let addrs: Vec<IpAddr> = match addresses_for(&host, &ctx.facts, budget).await {
            Ok((a, _)) => a,
            Err(why) => {
                let mut e = Evaluation::single(Finding::new(
                    &CONNECTION_FAILED,
                    format!("{host} does not resolve: {why}"),
                    format!("fix name resolution of {host} first (dns check)"),
                ));
                e.cause = Some(Cause::ProbeError);
                return e;
            }
        };
        let observations = futures_util::future::join_all(addrs.iter().map(|ip| {
            let target = grpc::Target {
                addr: SocketAddr::new(*ip, port),
                host: host.clone(),
                tls: roots.clone(),
                service: service.clone(),
            };
            async move { (target.addr, grpc::check(&target, budget).await) }
        }))
        .await;
        judge(&host, &service, spec.tls, &observations, budget)
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn cert_problem(p: &CertProblem) -> String {
    match p {
        CertProblem::Expired => "the certificate has expired".into(),
        CertProblem::NotYetValid => {
            "the certificate is not valid yet (or this node's clock is behind)".into()
        }
        CertProblem::WrongHost => "the certificate does not carry this host name".into(),
        CertProblem::UnknownIssuer => "the certificate's issuer is not in the CA bundle".into(),
        CertProblem::IssuerKeyMismatch => {
            "the certificate is not signed by the trusted CA of its issuer's name".into()
        }
        CertProblem::Other(o) => format!("the certificate is invalid: {o}"),
    }
}

fn what(service: &str) -> String {
    if service.is_empty() {
        "the server as a whole (service \"\")".into()
    } else {
        format!("service `{service}`")
    }
}

/// Judge one health check per address.
pub fn judge(
    host: &str,
    service: &str,
    tls: bool,
    observations: &[(SocketAddr, Observation)],
    timeout: Duration,
) -> Evaluation {
    if observations.is_empty() {
        return Evaluation::single(Finding::new(
            &CONNECTION_FAILED,
            format!("no address of {host} to connect to"),
            format!("check the addresses {host} resolves to"),
        ));
    }
    let mut findings = Vec::new();
    for (addr, obs) in observations {
        let port = addr.port();
        // Through a proxy the label is the destination and the proxy, not an address.
        let target = obs.via.as_ref().map_or_else(
            || addr.to_string(),
            |via| format!("{host}:{port} (through {via})"),
        );
        let about = what(service);
        let f = match &obs.outcome {
            Outcome::Health(Serving::Serving) => Finding::pass(format!(
                "{target}: gRPC health of {about} is SERVING ({})",
                crate::duration::format(obs.took)
            )),
            Outcome::Health(s @ (Serving::NotServing | Serving::Unknown | Serving::Other(_))) => {
                Finding::new(
                    &NOT_SERVING,
                    format!(
                        "{target}: the gRPC server reports {about} as {}: it is up but not ready to sync",
                        s.name()
                    ),
                    format!(
                        "look at the master's sync service on {host} (its logs and dependencies): its health check reports {} for {about}",
                        s.name()
                    ),
                )
            }
            Outcome::Health(Serving::ServiceUnknown) => Finding::new(
                &SERVICE_UNKNOWN,
                format!("{target}: the health service reports SERVICE_UNKNOWN for {about}"),
                format!(
                    "check the check's `service:` ({service:?}) against the services registered on the master's gRPC server"
                ),
            ),
            Outcome::Status { code, message } if *code == grpc::STATUS_UNIMPLEMENTED => {
                Finding::new(
                    &UNIMPLEMENTED,
                    format!(
                        "{target}: the gRPC server answers, but has no health service (UNIMPLEMENTED{})",
                        detail(message)
                    ),
                    format!(
                        "register grpc.health.v1.Health on the master's gRPC server on port {port} so its readiness can be checked"
                    ),
                )
            }
            Outcome::Status { code, message } if *code == grpc::STATUS_NOT_FOUND => Finding::new(
                &SERVICE_UNKNOWN,
                format!(
                    "{target}: the health service does not know {about} (NOT_FOUND{})",
                    detail(message)
                ),
                format!(
                    "check the check's `service:` ({service:?}) against the services registered on the master's gRPC server"
                ),
            ),
            Outcome::Status { code, message } => Finding::new(
                &GRPC_ERROR,
                format!(
                    "{target}: the health check failed with gRPC status {} ({code}){}",
                    grpc::status_name(*code),
                    detail(message)
                ),
                format!(
                    "follow gRPC status {} from the master's sync port {port}: UNAUTHENTICATED or PERMISSION_DENIED — its access policy; UNAVAILABLE — its sync service",
                    grpc::status_name(*code)
                ),
            ),
            Outcome::NoResponse(stage) => Finding::new(
                &NO_RESPONSE,
                format!(
                    "{target} accepts connections but never answered {} within {}: a black hole, not an open port",
                    stage.describe(),
                    crate::duration::format(timeout)
                ),
                format!(
                    "find what holds port {port} on {host} (`ss -ltnp` on the master): restart the gRPC sync service, or remove the middlebox or NetworkPolicy that swallows the traffic"
                ),
            )
            .with("stage", format!("{stage:?}")),
            Outcome::NotTls(m) => Finding::new(
                &NOT_TLS,
                format!("{target} answered the TLS handshake with something that is not TLS ({m})"),
                format!(
                    "enable TLS on port {port} of {host}, or set `tls: false` on this check if the master serves gRPC in plain text"
                ),
            ),
            Outcome::Certificate(p) => Finding::new(
                &TLS_FAILED,
                format!("{target}: TLS failed: {}", cert_problem(p)),
                format!(
                    "fix the certificate of the sync port {port} on {host} (the tls check names the problem in detail)"
                ),
            ),
            Outcome::Handshake(m) => Finding::new(
                &TLS_FAILED,
                format!("{target}: the TLS handshake failed: {m}"),
                format!("align the TLS settings of port {port} on {host} with this node's"),
            ),
            Outcome::NoH2(selected) => Finding::new(
                &NO_H2,
                format!(
                    "{target}: TLS works, but the server did not select h2 in ALPN ({}): not a gRPC server",
                    selected
                        .as_deref()
                        .map_or_else(|| "no protocol selected".to_string(), |p| format!("it chose {p}"))
                ),
                format!(
                    "point `sync.ports.grpc` at the master's gRPC port, or configure the server or proxy on port {port} to offer HTTP/2 (ALPN h2)"
                ),
            ),
            Outcome::Http2Refused(m) => Finding::new(
                &HTTP2_REFUSED,
                format!("{target} refused HTTP/2: {m}"),
                if tls {
                    format!("point `sync.ports.grpc` at the master's gRPC port (port {port} does not speak HTTP/2)")
                } else {
                    format!(
                        "point `sync.ports.grpc` at the master's gRPC port; if port {port} serves TLS, set `tls: true` on this check"
                    )
                },
            ),
            Outcome::NotGrpc {
                status,
                content_type,
            } => Finding::new(
                &NOT_GRPC,
                format!(
                    "{target} answered HTTP/2 status {status} with content type {content_type:?}: not a gRPC response"
                ),
                format!(
                    "point `sync.ports.grpc` at the master's gRPC port, or make the proxy on port {port} forward gRPC"
                ),
            ),
            Outcome::Malformed(m) => Finding::new(
                &BAD_RESPONSE,
                format!("{target}: the health response is malformed: {m}"),
                format!("check what serves port {port} on {host}: a gRPC server answers the health check with a well-formed message"),
            ),
            Outcome::Proxy(e) => Finding::new(
                match e.problem {
                    Problem::Unresolved(_) | Problem::Connect(_) | Problem::NoAnswer(_) => {
                        &PROXY_UNREACHABLE
                    }
                    Problem::Refused { .. } => &PROXY_REFUSED,
                    Problem::AuthRequired { .. } => &PROXY_AUTH_REQUIRED,
                    Problem::AuthRejected { .. } => &PROXY_AUTH_REJECTED,
                    Problem::Upstream { .. } => &PROXY_UPSTREAM,
                },
                format!("gRPC to {host}:{port}: {e}"),
                e.remediation(),
            ),
            Outcome::Connect(crate::probe::tcp::Outcome::NotProbed(e)) => Finding::new(
                &NOT_PROBED,
                format!("{target}: {e}"),
                "unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe this target",
            ),
            Outcome::Connect(c) => Finding::new(
                &CONNECTION_FAILED,
                format!("{target}: no TCP connection to the sync port: {c}"),
                format!("fix the TCP connection to port {port} of {host} first (see the tcp check)"),
            ),
        };
        let mut f = f.with("address", target.clone()).with("ms", ms(obs.took));
        if let Some(p) = &obs.alpn {
            f = f.with("alpn", p.clone());
        }
        findings.push(f);
    }
    let failed = findings.iter().filter(|f| f.status >= Status::Warn).count();
    let total = findings.len();
    let mut eval = Evaluation::of(findings);
    let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
    eval.message = Some(if failed == 0 || total == 1 {
        first
    } else {
        format!("{failed} of {total} addresses of {host} not healthy; first: {first}")
    });
    eval.evidence.insert(
        "transport".into(),
        if tls { "tls+h2" } else { "h2c" }.into(),
    );
    eval
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::grpc::Stage;

    fn obs(outcome: Outcome) -> Observation {
        Observation {
            outcome,
            alpn: Some("h2".into()),
            took: Duration::from_millis(3),
            via: None,
        }
    }

    fn code(outcome: Outcome, tls: bool) -> (Option<&'static str>, Status, String) {
        let target: SocketAddr = "127.0.0.1:9090".parse().unwrap();
        let e = judge(
            "m",
            "sync",
            tls,
            &[(target, obs(outcome))],
            Duration::from_secs(3),
        );
        let f = &e.findings[0];
        (f.code_name(), f.status, f.message.clone())
    }

    #[test]
    fn each_outcome_has_its_code_and_status() {
        use crate::probe::tcp::Outcome as Tcp;
        let cases = [
            (Outcome::Health(Serving::Serving), None, Status::Pass),
            (
                Outcome::Health(Serving::NotServing),
                Some("grpc-health.not-serving"),
                Status::Fail,
            ),
            (
                Outcome::Health(Serving::Unknown),
                Some("grpc-health.not-serving"),
                Status::Fail,
            ),
            (
                Outcome::Health(Serving::ServiceUnknown),
                Some("grpc-health.service-unknown"),
                Status::Fail,
            ),
            (
                Outcome::Status {
                    code: 12,
                    message: "Method not found!".into(),
                },
                Some("grpc-health.unimplemented"),
                Status::Warn,
            ),
            (
                Outcome::Status {
                    code: 5,
                    message: String::new(),
                },
                Some("grpc-health.service-unknown"),
                Status::Fail,
            ),
            (
                Outcome::Status {
                    code: 16,
                    message: "no token".into(),
                },
                Some("grpc-health.grpc-error"),
                Status::Fail,
            ),
            (
                Outcome::NoResponse(Stage::TlsHandshake),
                Some("grpc-health.no-response"),
                Status::Fail,
            ),
            (
                Outcome::NotTls("x".into()),
                Some("grpc-health.not-tls"),
                Status::Fail,
            ),
            (
                Outcome::Certificate(CertProblem::Expired),
                Some("grpc-health.tls-failed"),
                Status::Fail,
            ),
            (
                Outcome::NoH2(Some("http/1.1".into())),
                Some("grpc-health.no-h2"),
                Status::Fail,
            ),
            (Outcome::NoH2(None), Some("grpc-health.no-h2"), Status::Fail),
            (
                Outcome::Http2Refused("closed".into()),
                Some("grpc-health.http2-refused"),
                Status::Fail,
            ),
            (
                Outcome::NotGrpc {
                    status: 404,
                    content_type: "text/html".into(),
                },
                Some("grpc-health.not-grpc"),
                Status::Fail,
            ),
            (
                Outcome::Malformed("truncated".into()),
                Some("grpc-health.bad-response"),
                Status::Fail,
            ),
            (
                Outcome::Connect(Tcp::Refused),
                Some("grpc-health.connection-failed"),
                Status::Fail,
            ),
            (
                Outcome::Connect(Tcp::NotProbed("guard".into())),
                Some("grpc-health.not-probed"),
                Status::Skip,
            ),
        ];
        for (outcome, want, status) in cases {
            let (got, s, msg) = code(outcome.clone(), true);
            assert_eq!((got, s), (want, status), "{outcome:?}: {msg}");
        }
    }

    #[test]
    fn messages_name_the_service_and_the_black_hole() {
        let (_, _, msg) = code(Outcome::Health(Serving::NotServing), true);
        assert_eq!(
            msg,
            "127.0.0.1:9090: the gRPC server reports service `sync` as NOT_SERVING: it is up but not ready to sync"
        );
        let (_, _, msg) = code(Outcome::NoResponse(Stage::Response), false);
        assert_eq!(
            msg,
            "127.0.0.1:9090 accepts connections but never answered the health request within 3s: a black hole, not an open port"
        );
        let target: SocketAddr = "127.0.0.1:9090".parse().unwrap();
        let e = judge(
            "m",
            "",
            true,
            &[(target, obs(Outcome::Health(Serving::NotServing)))],
            Duration::from_secs(3),
        );
        assert!(
            e.findings[0]
                .message
                .contains("the server as a whole (service \"\")")
        );
    }

    #[test]
    fn one_unhealthy_address_of_two_is_counted() {
        let a: SocketAddr = "127.0.0.1:9090".parse().unwrap();
        let b: SocketAddr = "[::1]:9090".parse().unwrap();
        let e = judge(
            "m",
            "",
            true,
            &[
                (a, obs(Outcome::Health(Serving::Serving))),
                (b, obs(Outcome::NoResponse(Stage::Http2Handshake))),
            ],
            Duration::from_secs(3),
        );
        assert_eq!(e.status(), Status::Fail);
        assert!(
            e.message
                .as_deref()
                .unwrap()
                .starts_with("1 of 2 addresses of m not healthy; first: [::1]:9090 accepts")
        );
    }
}
