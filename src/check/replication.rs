//! `replication`: cross-cluster replication settings that can work .
//!
//! Configuration only: a known mode, a `timeout_threshold` several `sync_interval`s long
//! (shorter, and every late round looks like a failure and triggers failover), failover
//! where the suite requires it, and replica endpoints that are URLs and not the master
//! itself. Whether the replicas answer is for network checks listed in `needs`.

use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::config::ConfigSource;
use crate::config::setting::{self, Setting, dotted};
use crate::human;
use crate::probe::url::split_url;
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};
use crate::yaml::Node;

/// The modes Open-AutoGLM knows.
pub const MODES: &[&str] = &["async", "sync", "semi-sync"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Whether a `replication` section must exist.
    #[serde(default)]
    pub required: bool,
    /// Whether `enable_failover` must be true.
    #[serde(default)]
    pub require_failover: bool,
    /// `timeout_threshold` should be at least this many `sync_interval`s (warn below).
    #[serde(default = "three")]
    pub min_timeout_intervals: u32,
}

fn three() -> u32 {
    3
}

super::generated_codes!("replication");

/// The suite requires replication but the config has no `replication` section.
pub const MISSING: Code = Code::new(
"replication.missing",
Status::Fail,
"The suite requires replication but the config has no `replication` section.",
"Add a `replication` section (mode, sync_interval, timeout_threshold, enable_failover, replicas).",
)
.was(&["recovery.replication-missing"]);

/// `replication.mode` is missing or not one of async, sync, semi-sync.
pub const MODE_UNKNOWN: Code = Code::new(
    "replication.mode-unknown",
    Status::Fail,
    "`replication.mode` is missing or not one of async, sync, semi-sync.",
    "Set `replication.mode` to async, sync or semi-sync.",
)
.was(&["recovery.replication-mode-unknown"]);

/// `sync_interval` or `timeout_threshold` is not set: failure detection uses defaults the doctor cannot judge.
pub const THRESHOLD_UNSET: Code = Code::new(
"replication.threshold-unset",
Status::Warn,
"`sync_interval` or `timeout_threshold` is not set: failure detection uses defaults the doctor cannot judge.",
"Set both, e.g. `sync_interval: 5s` and `timeout_threshold: 30s`.",
)
.was(&["recovery.replication-threshold-unset"]);

/// `timeout_threshold` is not greater than `sync_interval`: replicas are declared failed between two on-time rounds.
pub const TIMEOUT_TOO_SHORT: Code = Code::new(
"replication.timeout-too-short",
Status::Fail,
"`timeout_threshold` is not greater than `sync_interval`: replicas are declared failed between two on-time rounds.",
"Raise `timeout_threshold` to several sync intervals.",
)
.was(&["recovery.replication-timeout-too-short"]);

/// `timeout_threshold` is less than `min_timeout_intervals` sync intervals: one late round triggers failover.
pub const TIMEOUT_TIGHT: Code = Code::new(
"replication.timeout-tight",
Status::Warn,
"`timeout_threshold` is less than `min_timeout_intervals` sync intervals: one late round triggers failover.",
"Raise `timeout_threshold` to at least the suggested value.",
)
.was(&["recovery.replication-timeout-tight"]);

/// The suite requires failover but `replication.enable_failover` is not true.
pub const FAILOVER_DISABLED: Code = Code::new(
    "replication.failover-disabled",
    Status::Fail,
    "The suite requires failover but `replication.enable_failover` is not true.",
    "Set `replication.enable_failover: true`.",
)
.was(&["recovery.failover-disabled"]);

/// Replication is configured but `replication.replicas` lists no endpoint: where data and failover go cannot be checked.
pub const NO_REPLICAS: Code = Code::new(
"replication.no-replicas",
Status::Warn,
"Replication is configured but `replication.replicas` lists no endpoint: where data and failover go cannot be checked.",
"List the replica cluster's endpoint URLs under `replication.replicas`.",
)
.was(&["recovery.replication-no-replicas"]);

/// A replica endpoint is not a URL of the form `scheme://host[:port][/path]`.
pub const REPLICA_INVALID: Code = Code::new(
    "replication.replica-invalid",
    Status::Fail,
    "A replica endpoint is not a URL of the form scheme://host[:port][/path].",
    "Write the replica as a URL, e.g. https://dr-master.example:8443.",
)
.was(&["recovery.replica-invalid"]);

/// A replica endpoint is this node's own master (`endpoint`): replicating to it protects nothing.
pub const REPLICA_IS_MASTER: Code = Code::new(
"replication.replica-is-master",
Status::Fail,
"A replica endpoint is this node's own master (`endpoint`): replicating to it protects nothing.",
"Point the replica at the other cluster's master.",
)
.was(&["recovery.replica-is-master"]);

/// The same replica endpoint is listed twice.
pub const REPLICA_DUPLICATE: Code = Code::new(
    "replication.replica-duplicate",
    Status::Warn,
    "The same replica endpoint is listed twice.",
    "Remove the duplicate entry.",
)
.was(&["recovery.replica-duplicate"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "replication",
        category: "recovery",
        summary: "Cross-cluster replication settings are consistent: known mode, timeout above the sync interval, failover and replica endpoints as required",
        explain: "What it checks: the `replication` section of the node config. `mode` is one of async, sync, semi-sync; `sync_interval` and `timeout_threshold` are both set and `timeout_threshold` is greater than `sync_interval` (fail) and at least `min_timeout_intervals` (3) intervals (warn); `enable_failover` is true when the suite sets `require_failover`; `replicas` lists the replica cluster's endpoints as URLs, none of them this node's own master (`endpoint`), none twice. With `required: true` a missing section fails. Reachability of the replicas is not tested here: add network checks on `${config.replication.replicas.0.host}` to the suite and list them in `needs`.\n\nWhy it matters: a replica is declared failed when it has been silent for `timeout_threshold`. If that is not longer than the interval at which it is sent data, every round that is merely on time looks like a failure, and with failover enabled the clusters flap between primaries (for example `sync_interval: 5s` with `timeout_threshold: 30s`). Failover without a configured replica has nowhere to go; a replica that is the master itself protects nothing.\n\nHow to fix: set `timeout_threshold` to several sync intervals (e.g. 30s for 5s), `enable_failover: true` where the cluster must survive the loss of a site, and `replicas` to the other cluster's endpoint URLs.",
        default_timeout: Duration::from_secs(2),
        network: false,
        reads_config: true,
        codes: &[
            MISSING,
            MODE_UNKNOWN,
            THRESHOLD_UNSET,
            TIMEOUT_TOO_SHORT,
            TIMEOUT_TIGHT,
            FAILOVER_DISABLED,
            NO_REPLICAS,
            REPLICA_INVALID,
            REPLICA_IS_MASTER,
            REPLICA_DUPLICATE,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        judge(spec, &ctx.config)
    }
}

fn blocked(message: String) -> Evaluation {
    super::blocked(
        &BLOCKED,
        message,
        "fix the config checks first (config.syntax, config.schema)",
    )
}

/// `scheme://host:port`, without credentials or path, for messages and comparison.
fn endpoint_key(url: &str) -> Option<(String, String)> {
    let (scheme, host, port, _) = split_url(url)?;
    let port = port.or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    });
    let shown = match port {
        Some(p) if host.contains(':') => format!("{scheme}://[{host}]:{p}"),
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    };
    let key = format!(
        "{}:{}",
        host.to_ascii_lowercase(),
        port.map_or_else(String::new, |p| p.to_string())
    );
    Some((key, shown))
}

/// Judge the `replication` section.
pub fn judge(spec: &Spec, src: &ConfigSource) -> Evaluation {
    let Some(tree) = src.tree() else {
        return blocked("not run: the config is not readable YAML".into());
    };
    let path = src.display_path();
    let loc = |n: &Node, f: Finding| f.at(src.location(n.pos));
    let Some(section) = tree.pointer("/replication") else {
        return Evaluation::single(if spec.required {
            Finding::new(
                &MISSING,
                "no `replication` section: this cluster has no cross-cluster copy to recover from",
                format!(
                    "add to {path}: `replication: {{mode: async, sync_interval: 5s, timeout_threshold: 30s, enable_failover: true, replicas: [https://dr-master.example:8443]}}` with the other cluster's endpoint"
                ),
            )
        } else {
            Finding::pass("replication is not configured (not required by this suite)")
        });
    };
    let mut findings = Vec::new();
    let mut eval = Evaluation::default();

    match setting::str_at(tree, "/replication/mode") {
        Setting::Present(m, _) if MODES.contains(&m.as_str()) => {
            eval.facts.insert("replication.mode".into(), m.into());
        }
        Setting::Present(m, n) => findings.push(loc(
            n,
            Finding::new(
                &MODE_UNKNOWN,
                format!(
                    "`replication.mode` is `{m}`, not one of {}",
                    MODES.join(", ")
                ),
                format!(
                    "set `replication.mode` at {path}:{} to async, sync or semi-sync",
                    n.pos.line
                ),
            ),
        )),
        Setting::Invalid(n) => findings.push(loc(
            n,
            Finding::new(
                &MODE_UNKNOWN,
                format!(
                    "`replication.mode` is not a string (one of {})",
                    MODES.join(", ")
                ),
                format!(
                    "set `replication.mode` at {path}:{} to async, sync or semi-sync",
                    n.pos.line
                ),
            ),
        )),
        Setting::Absent => findings.push(loc(
            section,
            Finding::new(
                &MODE_UNKNOWN,
                "`replication.mode` is not set",
                format!(
                    "add `mode: async` (or sync, semi-sync) to `replication` at {path}:{}",
                    section.pos.line
                ),
            ),
        )),
    }

    // Timing.
    let mut timing = Vec::new();
    for pointer in [
        "/replication/sync_interval",
        "/replication/timeout_threshold",
    ] {
        match setting::duration_at(tree, pointer) {
            Setting::Present(d, n) => {
                if let Some(text) = n.as_str() {
                    eval.facts.insert(dotted(pointer), text.to_string().into());
                }
                timing.push(Some((d, n)));
            }
            Setting::Invalid(n) => {
                return blocked(format!(
                    "not judged: `{}` at {path}:{} is not a duration like 5s or 1m30s; config.schema reports it",
                    dotted(pointer),
                    n.pos.line
                ));
            }
            Setting::Absent => timing.push(None),
        }
    }
    match (timing[0], timing[1]) {
        (Some((interval, _)), Some((threshold, tn))) => {
            let fmt = human::duration;
            if threshold <= interval {
                findings.push(loc(
                    tn,
                    Finding::new(&TIMEOUT_TOO_SHORT, format!(
                            "`replication.timeout_threshold` {} is not greater than `sync_interval` {}: a replica is declared failed before its next on-time round{}",
                            fmt(threshold),
                            fmt(interval),
                            if section.get("enable_failover").and_then(|n| n.to_json().as_bool()) == Some(true) { ", and failover flaps" } else { "" }
                        ),
                        format!(
                            "set `replication.timeout_threshold` at {path}:{} to at least {} ({} sync intervals)",
                            tn.pos.line,
                            fmt(interval * spec.min_timeout_intervals.max(2)),
                            spec.min_timeout_intervals.max(2)
                        ),
                    )
                    .with("sync_interval_ms", u64::try_from(interval.as_millis()).unwrap_or(u64::MAX))
                    .with("timeout_threshold_ms", u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX)),
                ));
            } else if threshold < interval * spec.min_timeout_intervals {
                findings.push(loc(
                    tn,
                    Finding::new(&TIMEOUT_TIGHT, format!(
                            "`replication.timeout_threshold` {} is less than {} sync intervals of {}: one late round declares the replica failed",
                            fmt(threshold),
                            spec.min_timeout_intervals,
                            fmt(interval)
                        ),
                        format!(
                            "set `replication.timeout_threshold` at {path}:{} to at least {}",
                            tn.pos.line,
                            fmt(interval * spec.min_timeout_intervals)
                        ),
                    ),
                ));
            } else {
                findings.push(Finding::pass(format!(
                    "timeout_threshold {} covers {} sync intervals of {}",
                    fmt(threshold),
                    threshold.as_millis() / interval.as_millis().max(1),
                    fmt(interval)
                )));
            }
        }
        (interval, threshold) => {
            let missing: Vec<&str> = [
                ("sync_interval", interval.is_none()),
                ("timeout_threshold", threshold.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(k, _)| *k)
            .collect();
            findings.push(loc(
                section,
                Finding::new(&THRESHOLD_UNSET, format!("`replication.{}` not set: when a replica counts as failed is the service's default", missing.join("` and `replication.")),
                    format!("set `sync_interval` and `timeout_threshold` under `replication` at {path}:{} (e.g. 5s and 30s)", section.pos.line),
                ),
            ));
        }
    }

    // Failover.
    let failover = match setting::bool_at(tree, "/replication/enable_failover") {
        Setting::Present(v, n) => Some((v, n)),
        Setting::Invalid(n) => {
            return blocked(format!(
                "not judged: `replication.enable_failover` at {path}:{} is not true or false; config.schema reports it",
                n.pos.line
            ));
        }
        Setting::Absent => None,
    };
    let enabled = failover.is_some_and(|(v, _)| v);
    eval.facts
        .insert("replication.enable_failover".into(), enabled.into());
    if spec.require_failover && !enabled {
        let (n, how) = match failover {
            Some((_, n)) => (
                n,
                format!("set `enable_failover: true` at {path}:{}", n.pos.line),
            ),
            None => (
                section,
                format!(
                    "add `enable_failover: true` to `replication` at {path}:{}",
                    section.pos.line
                ),
            ),
        };
        findings.push(loc(
            n,
            Finding::new(&FAILOVER_DISABLED, "failover is disabled: losing this cluster stops the service until it is restored by hand",
                how,
            ),
        ));
    }

    // Replicas.
    let master = setting::str_at(tree, "/endpoint")
        .value()
        .and_then(|e| endpoint_key(e));
    match setting::str_list_at(tree, "/replication/replicas") {
        Setting::Invalid(n) => {
            return blocked(format!(
                "not judged: `replication.replicas` at {path}:{} is not a list of URLs; config.schema reports it",
                n.pos.line
            ));
        }
        Setting::Absent => findings.push(loc(
            section,
            Finding::new(&NO_REPLICAS, format!(
                    "`replication.replicas` is not set: {} cannot be checked",
                    if enabled { "where failover goes" } else { "where replicated data goes" }
                ),
                format!("add `replicas: [https://dr-master.example:8443]` (the other cluster's endpoint) to `replication` at {path}:{}", section.pos.line),
            ),
        )),
        Setting::Present(list, n) if list.is_empty() => findings.push(loc(
            n,
            Finding::new(&NO_REPLICAS, "`replication.replicas` is empty",
                format!("list the other cluster's endpoint URLs at {path}:{}", n.pos.line),
            ),
        )),
        Setting::Present(list, _) => {
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (url, n) in &list {
                let Some((key, shown)) = endpoint_key(url) else {
                    findings.push(loc(
                        n,
                        Finding::new(&REPLICA_INVALID, format!("replica `{}` is not a URL", crate::secret::redact_text(url)),
                            format!("write the replica at {path}:{} as scheme://host[:port], e.g. https://dr-master.example:8443", n.pos.line),
                        ),
                    ));
                    continue;
                };
                if master.as_ref().is_some_and(|(m, _)| *m == key) {
                    findings.push(loc(
                        n,
                        Finding::new(&REPLICA_IS_MASTER, format!("replica {shown} is this node's own master (`endpoint`): replicating to it protects nothing"),
                            format!("point the replica at {path}:{} at the other cluster's master", n.pos.line),
                        ),
                    ));
                } else if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                    findings.push(loc(
                        n,
                        Finding::new(&REPLICA_DUPLICATE, format!("replica {shown} is listed twice (first at line {first})"),
                            format!("remove the duplicate at {path}:{}", n.pos.line),
                        ),
                    ));
                } else {
                    seen.push((key, n.pos.line));
                }
            }
            if !seen.is_empty() {
                eval.facts
                    .insert("replication.replicas".into(), seen.len().into());
                findings.push(Finding::pass(format!("{} replica endpoint(s) configured", seen.len())));
            }
        }
    }

    eval.findings = findings;
    let problems: Vec<&Finding> = eval
        .findings
        .iter()
        .filter(|f| f.status > Status::Pass)
        .collect();
    if problems.len() > 1 {
        eval.message = Some(format!(
            "{} replication problems; first: {}",
            problems.len(),
            eval.worst().map(|f| f.message.clone()).unwrap_or_default()
        ));
    } else if problems.is_empty() {
        let mode = eval
            .facts
            .get("replication.mode")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string();
        let lead = eval
            .findings
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_default();
        eval.message = Some(format!(
            "{mode} replication, failover {}; {lead}",
            if enabled { "enabled" } else { "disabled" }
        ));
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        serde_json::from_value(serde_json::json!({})).unwrap()
    }

    fn judge_text(spec: &Spec, body: &str) -> Evaluation {
        let text = format!("endpoint: https://master.autoglm.test:8443\n{body}");
        judge(
            spec,
            &ConfigSource::from_text("/etc/open-autoglm/config.yaml", &text),
        )
    }

    fn codes(e: &Evaluation) -> Vec<String> {
        e.findings
            .iter()
            .filter_map(|f| f.code_name().map(String::from))
            .collect()
    }

    const GOOD: &str = "replication:\n  mode: async\n  sync_interval: 5s\n  timeout_threshold: 30s\n  enable_failover: true\n  replicas:\n    - https://dr-master.autoglm.test:8443\n";

    #[test]
    fn healthy_replication_passes_and_publishes_facts() {
        let e = judge_text(&spec(), GOOD);
        assert_eq!(e.status(), Status::Pass, "{e:#?}");
        assert_eq!(
            e.message.as_deref(),
            Some(
                "async replication, failover enabled; timeout_threshold 30s covers 6 sync intervals of 5s"
            )
        );
        assert_eq!(e.facts["replication.mode"], "async");
        assert_eq!(e.facts["replication.timeout_threshold"], "30s");
        assert_eq!(e.facts["replication.enable_failover"], true);
    }

    #[test]
    fn cases() {
        let base = |mode: &str, interval: &str, threshold: &str, failover: &str, replicas: &str| {
            format!(
                "replication:\n  mode: {mode}\n  sync_interval: {interval}\n  timeout_threshold: {threshold}\n  enable_failover: {failover}\n  replicas: {replicas}\n"
            )
        };
        let dr = "[https://dr.autoglm.test:8443]";
        let required = Spec {
            required: true,
            require_failover: true,
            ..spec()
        };
        let default = spec();
        let cases: Vec<(String, &Spec, Vec<&str>)> = vec![
            ("node: {}\n".into(), &required, vec!["replication.missing"]),
            ("node: {}\n".into(), &default, vec![]),
            (base("mirror", "5s", "30s", "true", dr), &default, vec!["replication.mode-unknown"]),
            (base("async", "5s", "5s", "true", dr), &default, vec!["replication.timeout-too-short"]),
            (base("async", "30s", "10s", "true", dr), &default, vec!["replication.timeout-too-short"]),
            (base("async", "5s", "10s", "true", dr), &default, vec!["replication.timeout-tight"]),
            (base("sync", "5s", "15s", "true", dr), &default, vec![]),
            (base("async", "5s", "30s", "false", dr), &required, vec!["replication.failover-disabled"]),
            (base("async", "5s", "30s", "false", dr), &default, vec![]),
            (base("async", "5s", "30s", "true", "[]"), &default, vec!["replication.no-replicas"]),
            (base("async", "5s", "30s", "true", "[not-a-url]"), &default, vec!["replication.replica-invalid"]),
            (base("async", "5s", "30s", "true", "[https://MASTER.autoglm.test:8443/]"), &default, vec!["replication.replica-is-master"]),
            (base("async", "5s", "30s", "true", "[https://dr.test, \"https://dr.test:443\"]"), &default, vec!["replication.replica-duplicate"]),
            ("replication:\n  mode: async\n  enable_failover: true\n  replicas: [https://dr.test]\n".into(), &default, vec!["replication.threshold-unset"]),
        ];
        for (body, spec, want) in cases {
            let e = judge_text(spec, &body);
            assert_eq!(codes(&e), want, "{body}\n{e:#?}");
            for f in &e.findings {
                if f.status > Status::Pass {
                    assert!(
                        f.remediation
                            .as_ref()
                            .is_some_and(|r| r.contains("config.yaml:") || r.contains("add to")),
                        "{f:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn timeout_message_names_both_values_and_the_fix() {
        let e = judge_text(
            &spec(),
            "replication:\n  mode: async\n  sync_interval: 30s\n  timeout_threshold: 10s\n  enable_failover: true\n  replicas: [https://dr.test]\n",
        );
        let f = e.worst().unwrap();
        assert_eq!(
            f.message,
            "`replication.timeout_threshold` 10s is not greater than `sync_interval` 30s: a replica is declared failed before its next on-time round, and failover flaps"
        );
        assert_eq!(
            f.remediation.as_deref(),
            Some(
                "set `replication.timeout_threshold` at /etc/open-autoglm/config.yaml:5 to at least 1m30s (3 sync intervals)"
            )
        );
        assert_eq!(f.location.as_ref().unwrap().line, 5);
    }

    #[test]
    fn wrong_types_are_not_judged_and_urls_hide_passwords() {
        let e = judge_text(&spec(), "replication:\n  mode: async\n  sync_interval: 5\n");
        assert_eq!(e.status(), Status::Skip);
        let e = judge_text(
            &spec(),
            "replication:\n  mode: async\n  sync_interval: 5s\n  timeout_threshold: 30s\n  replicas: [\"https://u:hunter2@master.autoglm.test:8443\"]\n",
        );
        assert!(!format!("{e:?}").contains("hunter2"));
        assert_eq!(codes(&e), ["replication.replica-is-master"]);
    }
}
