//! `clock-http`: this node's offset to the master's clock from the HTTP `Date` header of one
//! request, corrected by half the round trip. The header has a resolution of one second, so
//! only gross skew is judged; when an NTP check already measured this node, the Date header
//! is used to check the master's clock instead.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::endpoint::{self, Codes};
use super::ntp::{millis, opt_duration, show_secs};
use super::{CheckKind, Context, KindInfo, Text, seam_code};
use crate::probe::http::{Condition, HttpUrl, Redirects, Request, UrlPath};
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status, keys};

/// The smallest skew the Date header can establish, whatever the tolerance.
pub const FLOOR: Duration = Duration::from_secs(2);

/// Fact: this node's clock minus the master's (from its Date header), milliseconds.
pub const MASTER_OFFSET_MS: &str = "time.master_offset_ms";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`).
    pub url: HttpUrl,
    /// Path to request (default: the URL's path).
    #[serde(default)]
    pub path: Option<UrlPath>,
    /// PEM CA bundle for https (relative paths from the node config's directory).
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// Largest offset accepted (default: the profile's); never below 2 s for this check.
    #[serde(default, deserialize_with = "opt_duration")]
    pub tolerance: Option<Duration>,
}

super::generated_codes!("clock-http");

/// This node's clock differs from the master's Date header by more than the tolerance (at least 2 s), beyond the header's resolution.
pub const SKEW: Code = Code::new(
    "clock-http.skew",
    Status::Fail,
    "This node's clock differs from the master's Date header by more than the tolerance (at least 2 s), beyond the header's resolution.",
    "Synchronise this node's clock (`chronyc makestep`, `timedatectl set-ntp true`) with the master's NTP servers.",
);

/// The master's Date header is off from the NTP-corrected time measured on this node: the master's clock is wrong.
pub const MASTER_SKEW: Code = Code::new(
    "clock-http.master-skew",
    Status::Fail,
    "The master's Date header is off from the NTP-corrected time measured on this node: the master's clock is wrong.",
    "Synchronise the master's clock with the same NTP servers as the nodes.",
);

/// The master's Date agrees with this node; both differ from the NTP server.
pub const NTP_DISAGREES: Code = Code::new(
    "clock-http.ntp-disagrees",
    Status::Warn,
    "The master's Date header agrees with this node's clock, but both differ from the NTP server: the NTP server is off, or both clocks are.",
    "Compare the NTP server with another time source; remove it if it is wrong, else synchronise both clocks.",
);

/// The difference is within what the Date header's one-second resolution and the round trip can hide: cannot tell.
pub const UNCERTAIN: Code = Code::new(
    "clock-http.uncertain",
    Status::Warn,
    "The difference is within what the Date header's one-second resolution and the round trip can hide: cannot tell.",
    "Add an ntp check (NTP measures to milliseconds).",
);

/// The master's answer has no Date header, or one that is not an HTTP date.
pub const NO_DATE: Code = Code::new(
    "clock-http.no-date",
    Status::Warn,
    "The master's answer has no Date header, or one that is not an HTTP date.",
    "Make the master (or the proxy in front of it) send a Date header, or rely on the ntp check.",
);

pub const CA_UNREADABLE: Code = seam_code!("clock-http.ca-unreadable", CaUnreadable);

pub const NO_RESPONSE: Code = seam_code!("clock-http.no-response", NoResponse);

pub const BAD_URL: Code = seam_code!("clock-http.bad-url", BadUrl);

pub const UNRESOLVED: Code = seam_code!("clock-http.unresolved", Unresolved);

pub const CONNECTION_FAILED: Code = seam_code!("clock-http.connection-failed", ConnectionFailed);

pub const TLS_FAILED: Code = seam_code!("clock-http.tls-failed", TlsFailed);

pub const NOT_HTTP: Code = seam_code!("clock-http.not-http", NotHttp);

super::seam_proxy_codes!("clock-http");

super::seam_codes!();

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "clock-http",
        category: "time",
        summary: "This node's clock agrees with the master's HTTP Date header (gross skew only: 1 s resolution)",
        explain: "What it checks: one HTTP request to the master; the `Date` header of the answer against this node's clock at the middle of the exchange. The header counts whole seconds, so the master's time is known to ±0.5 s plus half the round trip: only a gross skew — over the tolerance and never less than 2 s — fails, and a difference the header cannot settle warns. When an ntp check ran before this one and measured this node (`time.offset_ms`), the Date header checks the master's clock instead: a master that is off from the NTP-corrected time fails, a master that agrees passes, and this node's own skew is left to the ntp check. It publishes `time.master_offset_ms`, and `time.offset_ms` only when no NTP measurement did.\n\nWhy it matters: tokens are issued and checked with the master's clock; a node seconds away from the master sees valid tokens as expired or not yet valid and orders events wrongly. This check needs no NTP access, so it still works where UDP 123 is blocked.\n\nHow to fix: node skewed — synchronise this node's clock (`chronyc makestep`, `timedatectl set-ntp true`); master skewed — synchronise the master's clock with the same NTP servers as the nodes.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: false,
        codes: &[
            SKEW,
            MASTER_SKEW,
            NTP_DISAGREES,
            UNCERTAIN,
            NO_DATE,
            CA_UNREADABLE,
            PROXY_UNREACHABLE,
            PROXY_REFUSED,
            PROXY_AUTH_REQUIRED,
            PROXY_AUTH_REJECTED,
            PROXY_UPSTREAM,
            NO_RESPONSE,
            BAD_URL,
            UNRESOLVED,
            CONNECTION_FAILED,
            TLS_FAILED,
            NOT_HTTP,
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
        // Any answer carries a Date, a redirect's too.
        let policy = Redirects::Never;
        let setup = match endpoint::setup(ctx, &url, spec.ca_file.as_ref(), None, policy).await {
            Ok(s) => s,
            Err(f) => return endpoint::failed(CODES, &url, &f),
        };
        let exchange = setup.client(ctx, policy).send(Request::get(url)).await;
        let (tolerance, from) = match spec.tolerance {
            Some(t) => (t, "the check's tolerance".to_string()),
            None => (
                ctx.profile.clock_tolerance(),
                format!("{} profile", ctx.profile.as_str()),
            ),
        };
        let ntp = ntp_offset(&ctx.facts);
        match &exchange.result {
            Ok(r) => judge(&Observed {
                url: exchange.url.to_string(),
                date: r.header("Date").map(str::to_string),
                local_mid: r.sent + r.ttfb / 2,
                round_trip: r.ttfb,
                tolerance,
                tolerance_from: from,
                ntp,
            }),
            Err(f) => endpoint::exchange_failed(CODES, &exchange, f),
        }
    }
}

/// The NTP measurement of this node published by an ntp check: (offset s, error s, reference).
fn ntp_offset(facts: &crate::report::Facts) -> Option<(f64, f64, String)> {
    let reference = facts.get(keys::TIME_REFERENCE)?.as_str()?;
    if !reference.starts_with("ntp ") {
        return None;
    }
    let offset = facts.get(keys::TIME_OFFSET_MS)?.as_f64()? / 1000.0;
    let error = facts
        .get("time.offset_error_ms")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0)
        / 1000.0;
    Some((offset, error, reference.to_string()))
}

/// What one request showed.
#[derive(Debug, Clone)]
pub struct Observed {
    pub url: String,
    pub date: Option<String>,
    /// This node's clock halfway between sending the request and the first byte back.
    pub local_mid: SystemTime,
    pub round_trip: Duration,
    pub tolerance: Duration,
    pub tolerance_from: String,
    /// This node's NTP offset, error and reference, when an ntp check measured it.
    pub ntp: Option<(f64, f64, String)>,
}

fn secs_since_epoch(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// Judge the Date header against this node's clock.
pub fn judge(o: &Observed) -> Evaluation {
    let Some(date) = &o.date else {
        return Evaluation::single(Finding::new(
            &NO_DATE,
            format!("{} sent no Date header", o.url),
            "make the master (or the proxy in front of it) send a Date header, or rely on the ntp check",
        ));
    };
    let Ok(master) = chrono::DateTime::parse_from_rfc2822(date) else {
        return Evaluation::single(Finding::new(
            &NO_DATE,
            format!("{}: Date header `{date}` is not an HTTP date", o.url),
            "make the master send an RFC 9110 Date header (e.g. `Sun, 06 Nov 1994 08:49:37 GMT`), or rely on the ntp check",
        ));
    };
    #[allow(clippy::cast_precision_loss)]
    let master_mid = master.timestamp() as f64 + 0.5;
    let offset = secs_since_epoch(o.local_mid) - master_mid;
    let error = 0.5 + o.round_trip.as_secs_f64() / 2.0;
    let threshold = o.tolerance.max(FLOOR);
    let t = threshold.as_secs_f64();
    let limit = format!(
        "limit {} ({}{})",
        crate::duration::format(threshold),
        o.tolerance_from,
        if o.tolerance < FLOOR {
            format!(
                "; the Date header cannot verify {}",
                crate::duration::format(o.tolerance)
            )
        } else {
            String::new()
        }
    );
    let side = if offset >= 0.0 { "ahead of" } else { "behind" };
    let mut facts = std::collections::BTreeMap::new();
    facts.insert(MASTER_OFFSET_MS.to_string(), millis(offset).into());
    facts.insert(
        "time.master_offset_error_ms".to_string(),
        millis(error).into(),
    );
    let finding = if let Some((ntp, ntp_error, reference)) = &o.ntp {
        // Both are "this node minus X": their difference is the master's own error.
        let master_error = ntp - offset;
        let err = error + ntp_error;
        let m_side = if master_error >= 0.0 {
            "ahead"
        } else {
            "behind"
        };
        let line = format!(
            "this node is {} {side} the master's Date header (±{}) and {} per {reference}: the master's clock is {} {m_side}; {limit}",
            show_secs(offset.abs()).trim_start_matches('+'),
            show_secs(error).trim_start_matches('+'),
            show_secs(*ntp),
            show_secs(master_error.abs()).trim_start_matches('+'),
        );
        let node_agrees_with_master = !matches!(
            super::ntp::verdict(offset, error, t),
            super::ntp::Verdict::Over
        );
        match super::ntp::verdict(master_error, err, t) {
            // The master and this node agree; only the NTP reference differs from both. For
            // sync between them nothing is wrong with the master's clock in particular: either
            // the NTP server is off, or both clocks are. The ntp check reports this node's
            // offset; this says which two candidates remain rather than blaming the master.
            super::ntp::Verdict::Over if node_agrees_with_master => Finding::new(
                &NTP_DISAGREES,
                format!(
                    "the master's Date header agrees with this node's clock ({} apart, ±{}), but both are {} {} {reference}: either {reference} is off, or the master's and this node's clocks both are; {limit}",
                    show_secs(offset.abs()).trim_start_matches('+'),
                    show_secs(error).trim_start_matches('+'),
                    show_secs(master_error.abs()).trim_start_matches('+'),
                    if master_error >= 0.0 {
                        "ahead of"
                    } else {
                        "behind"
                    },
                ),
                format!(
                    "compare {reference} with another time source (`chronyc sources` on the master and on this node): if it is wrong, remove it from `time.ntp_servers`; if it is right, step both clocks by {}",
                    show_secs(master_error.abs()).trim_start_matches('+')
                ),
            ),
            super::ntp::Verdict::Over => Finding::new(
                &MASTER_SKEW,
                line,
                format!(
                    "synchronise the master's clock ({} {m_side}) with the same NTP servers as the nodes ({reference})",
                    show_secs(master_error.abs()).trim_start_matches('+')
                ),
            ),
            super::ntp::Verdict::Uncertain => Finding::new(
                &UNCERTAIN,
                line,
                "compare the master's clock with NTP on the master itself (`chronyc tracking`): the Date header cannot settle it",
            ),
            _ => Finding::pass(format!(
                "the master's clock agrees with {reference} within {} (limit {})",
                show_secs(master_error.abs() + err).trim_start_matches('+'),
                crate::duration::format(threshold)
            )),
        }
    } else {
        facts.insert(keys::TIME_OFFSET_MS.to_string(), millis(offset).into());
        // Its error bound, as the ntp check publishes one: `compare` groups offsets that
        // agree within their bounds.
        facts.insert("time.offset_error_ms".to_string(), millis(error).into());
        facts.insert(keys::TIME_TOLERANCE_MS.to_string(), millis(t).into());
        facts.insert(
            keys::TIME_REFERENCE.to_string(),
            format!("master Date header {}", o.url).into(),
        );
        let line = format!(
            "this node is {} {side} the master's Date header (±{}: 1 s resolution, round trip {}); {limit}",
            show_secs(offset.abs()).trim_start_matches('+'),
            show_secs(error).trim_start_matches('+'),
            crate::duration::format(o.round_trip),
        );
        match super::ntp::verdict(offset, error, t) {
            super::ntp::Verdict::Over => Finding::new(
                &SKEW,
                line,
                format!(
                    "step this node's clock {} by about {} (`chronyc makestep`, `timedatectl set-ntp true`) and keep it synchronised with the master's NTP servers",
                    if offset >= 0.0 { "back" } else { "forward" },
                    show_secs(offset.abs()).trim_start_matches('+')
                ),
            ),
            super::ntp::Verdict::Uncertain => Finding::new(
                &UNCERTAIN,
                line,
                "add an ntp check against the site's NTP servers (NTP measures to milliseconds)",
            ),
            _ => Finding::pass(format!(
                "this node's clock is within {} of the master's Date header (limit {})",
                show_secs(offset.abs() + error).trim_start_matches('+'),
                crate::duration::format(threshold)
            )),
        }
    };
    let mut e = Evaluation::single(finding.with("date", date.clone()));
    e.facts = facts;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(node_ahead: f64, ntp: Option<f64>, tol: Duration) -> Observed {
        let master = 1_800_000_000i64;
        let date = chrono::DateTime::from_timestamp(master, 0)
            .unwrap()
            .to_rfc2822()
            .replace("+0000", "GMT");
        let local = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(1_800_000_000.5 + node_ahead);
        Observed {
            url: "https://m.test:8443/".into(),
            date: Some(date),
            local_mid: local,
            round_trip: Duration::from_millis(2),
            tolerance: tol,
            tolerance_from: "default profile".into(),
            ntp: ntp.map(|o| (o, 0.001, "ntp 127.0.0.1:123".into())),
        }
    }

    fn code(e: &Evaluation) -> Option<&str> {
        e.worst().and_then(Finding::code_name)
    }

    #[test]
    fn a_pass_is_one_short_statement() {
        let e = judge(&observed(0.0, None, Duration::from_secs(1)));
        assert_eq!(e.status(), Status::Pass);
        let m = &e.findings[0].message;
        assert!(m.len() < 80 && !m.contains('\n'), "{m}");
        assert!(!m.contains("-0.0"), "{m}");
        assert!(m.contains("limit 2s"), "{m}");
        let e = judge(&observed(0.0, Some(0.0), Duration::from_secs(1)));
        assert_eq!(e.status(), Status::Pass);
        let m = &e.findings[0].message;
        assert!(
            m.starts_with("the master's clock agrees with ntp 127.0.0.1:123"),
            "{m}"
        );
    }

    #[test]
    fn only_gross_skew_fails_without_ntp() {
        let s1 = Duration::from_secs(1);
        let s5 = Duration::from_secs(5);
        let cases = [
            (0.0, s1, Status::Pass, None),
            (1.2, s1, Status::Pass, None),
            (2.0, s1, Status::Warn, Some("clock-http.uncertain")),
            (4.0, s1, Status::Fail, Some("clock-http.skew")),
            (-30.0, s1, Status::Fail, Some("clock-http.skew")),
            (4.0, s5, Status::Pass, None),
            (0.0, Duration::from_millis(10), Status::Pass, None),
        ];
        for (ahead, tol, status, c) in cases {
            let e = judge(&observed(ahead, None, tol));
            assert_eq!(
                (e.status(), code(&e)),
                (status, c),
                "{ahead} {tol:?}: {e:#?}"
            );
            let published = e.facts[keys::TIME_OFFSET_MS].as_f64().unwrap();
            assert!((published - ahead * 1000.0).abs() < 1.0, "{published}");
            assert!(
                e.facts[keys::TIME_REFERENCE]
                    .as_str()
                    .unwrap()
                    .starts_with("master Date")
            );
        }
    }

    #[test]
    fn with_ntp_it_judges_the_master_and_leaves_the_offset_to_ntp() {
        let s1 = Duration::from_secs(1);
        // Node 4 s ahead of both: the master is right.
        let e = judge(&observed(4.0, Some(4.0), s1));
        assert_eq!(e.status(), Status::Pass, "{e:#?}");
        assert!(!e.facts.contains_key(keys::TIME_OFFSET_MS));
        assert_eq!(e.facts[MASTER_OFFSET_MS], 4000.0);
        // Node right per NTP, 30 s ahead of the master: the master is 30 s behind.
        let e = judge(&observed(30.0, Some(0.0), s1));
        assert_eq!(code(&e), Some("clock-http.master-skew"));
        assert!(e.findings[0].message.contains("30.000 s behind"), "{e:#?}");
        // Node and master agree; NTP says both are 3 s behind: not the master's fault alone.
        let e = judge(&observed(0.0, Some(-3.0), s1));
        assert_eq!(code(&e), Some("clock-http.ntp-disagrees"), "{e:#?}");
        assert_eq!(e.status(), Status::Warn);
        assert!(
            e.findings[0]
                .message
                .contains("3.000 s behind ntp 127.0.0.1:123"),
            "{e:#?}"
        );
    }

    #[test]
    fn a_missing_or_bad_date_warns() {
        let mut o = observed(0.0, None, Duration::from_secs(1));
        o.date = None;
        assert_eq!(code(&judge(&o)), Some("clock-http.no-date"));
        o.date = Some("yesterday".into());
        assert_eq!(code(&judge(&o)), Some("clock-http.no-date"));
    }

    #[test]
    fn every_condition_of_the_seam_is_declared() {
        super::super::endpoint::assert_codes_declared(&Kind::INFO, CODES);
    }
}
