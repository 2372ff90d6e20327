//! `sync-semantics`: sync settings that lose updates silently .
//!
//! Last-write-wins orders conflicting writes by wall clock, so it is only as right as the
//! clocks: with the clock facts of the time checks (`time.offset_ms`, `time.synchronised`,
//! see docs/facts.md) a skewed or unsynchronised clock fails. Priority ordering without a
//! tie-breaker resolves equal priorities by arrival order; without a version field,
//! concurrent updates overwrite each other instead of being refused.

use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::config::ConfigSource;
use crate::config::setting::{self, Setting};
use crate::report::Code;
use crate::report::{Evaluation, Facts, Finding, Status, keys};
use crate::yaml::Node;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {}

super::generated_codes!("sync-semantics");

/// Conflict strategy last-write-wins while the time checks measured this node's clock off by more than the tolerance (fact `time.offset_ms`).
pub const LWW_CLOCK_SKEW: Code = Code::new(
"sync-semantics.lww-clock-skew",
Status::Fail,
"Conflict strategy last-write-wins while the time checks measured this node's clock off by more than the tolerance (fact `time.offset_ms`).",
"Bring the clock within tolerance (NTP) or switch `sync.conflict_strategy` to `version`.",
)
.was(&["recovery.lww-clock-skew"]);

/// Conflict strategy last-write-wins while the time checks found the clock not synchronised (fact `time.synchronised` is false).
pub const LWW_CLOCK_UNSYNCHRONISED: Code = Code::new(
"sync-semantics.lww-clock-unsynchronised",
Status::Fail,
"Conflict strategy last-write-wins while the time checks found the clock not synchronised (fact `time.synchronised` is false).",
"Enable clock synchronisation (`timedatectl set-ntp true`, chronyd) or switch `sync.conflict_strategy` to `version`.",
)
.was(&["recovery.lww-clock-unsynchronised"]);

/// Conflict strategy last-write-wins but no time check published clock facts before this check: the clock is not verified.
pub const LWW_CLOCK_UNVERIFIED: Code = Code::new(
"sync-semantics.lww-clock-unverified",
Status::Warn,
"Conflict strategy last-write-wins but no time check published clock facts before this check: the clock is not verified.",
"Add the time checks to the suite and list them in this check's `needs`.",
)
.was(&["recovery.lww-clock-unverified"]);

/// Conflict strategy priority without `sync.tie_breaker`: updates of equal priority are ordered by arrival.
pub const PRIORITY_NO_TIE_BREAKER: Code = Code::new(
"sync-semantics.priority-no-tie-breaker",
Status::Warn,
"Conflict strategy priority without `sync.tie_breaker`: updates of equal priority are ordered by arrival.",
"Set `sync.tie_breaker` to a field unique per writer, e.g. `node_id`.",
)
.was(&["recovery.priority-no-tie-breaker"]);

/// No `sync.version_field`: concurrent updates are not detected by optimistic locking and overwrite each other.
pub const NO_VERSION_FIELD: Code = Code::new(
"sync-semantics.no-version-field",
Status::Warn,
"No `sync.version_field`: concurrent updates are not detected by optimistic locking and overwrite each other.",
"Set `sync.version_field` (e.g. `version`) and have writers send the version they read.",
)
.was(&["recovery.no-version-field"]);

/// `sync.conflict_strategy` is not set: conflicts are resolved by the service's default.
pub const CONFLICT_STRATEGY_UNSET: Code = Code::new(
    "sync-semantics.conflict-strategy-unset",
    Status::Warn,
    "`sync.conflict_strategy` is not set: conflicts are resolved by the service's default.",
    "Set `sync.conflict_strategy` explicitly; `version` does not depend on clocks.",
)
.was(&["recovery.conflict-strategy-unset"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "sync-semantics",
        category: "recovery",
        summary: "Sync settings that silently lose updates: last-write-wins on an unsynchronised or skewed clock, priority without a tie-breaker, no version field",
        explain: "What it checks: `sync.conflict_strategy` and the settings it depends on. With `last-write-wins`, the clock facts published by the time checks that ran before this one — `time.synchronised` and `time.offset_ms` against `time.tolerance_ms` (or the profile's tolerance: strict 10 ms, default 1 s, lenient 5 s) — must show a synchronised clock within tolerance; when no time check ran, the clock is reported as not verified. With `priority`, `sync.tie_breaker` must name the field that orders equal priorities. Every strategy should name `sync.version_field` for optimistic concurrency. A missing `conflict_strategy` is reported too. The facts are documented in docs/facts.md; list the time checks in this check's `needs` so they have run.\n\nWhy it matters: these combinations do not fail, they lose data: last-write-wins with a clock seconds ahead lets this node's stale writes overwrite newer ones from every other node; two updates with the same priority and no tie-breaker land in whatever order the network delivers them; without a version field a write based on an old read overwrites the update made in between (a lost update).\n\nHow to fix: synchronise the clock (`timedatectl set-ntp true`, chrony) or move off last-write-wins to `conflict_strategy: version`; set `sync.tie_breaker` to a field unique per writer such as `node_id`; set `sync.version_field` (e.g. `version`) and make writers send the version they read.",
        default_timeout: Duration::from_secs(2),
        network: false,
        reads_config: true,
        codes: &[
            LWW_CLOCK_SKEW,
            LWW_CLOCK_UNSYNCHRONISED,
            LWW_CLOCK_UNVERIFIED,
            PRIORITY_NO_TIE_BREAKER,
            NO_VERSION_FIELD,
            CONFLICT_STRATEGY_UNSET,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(_spec: &Spec, ctx: &Context) -> Evaluation {
        let clock = Clock::from_facts(&ctx.facts);
        judge(&ctx.config, &clock, ctx.profile.clock_tolerance())
    }
}

/// The clock facts of the time checks, as far as they were published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clock {
    pub offset_ms: Option<f64>,
    pub synchronised: Option<bool>,
    pub tolerance_ms: Option<f64>,
    pub reference: Option<String>,
}

impl Clock {
    /// Read the `time.*` facts; a value of the wrong type counts as absent.
    pub fn from_facts(facts: &Facts) -> Self {
        Self {
            offset_ms: facts
                .get(keys::TIME_OFFSET_MS)
                .and_then(serde_json::Value::as_f64),
            synchronised: facts
                .get(keys::TIME_SYNCHRONISED)
                .and_then(serde_json::Value::as_bool),
            tolerance_ms: facts
                .get(keys::TIME_TOLERANCE_MS)
                .and_then(serde_json::Value::as_f64)
                .filter(|t| *t >= 0.0),
            reference: facts
                .get(keys::TIME_REFERENCE)
                .and_then(|v| v.as_str())
                .map(str::to_string),
        }
    }
}

fn blocked(message: String) -> Evaluation {
    super::blocked(
        &BLOCKED,
        message,
        "fix the config checks first (config.syntax, config.schema)",
    )
}

fn ms(v: f64) -> String {
    // `+ 0.0` after rounding: never `-0 ms`.
    let v = v.round() + 0.0;
    format!("{v:+.0} ms")
}

/// Judge the sync settings with the clock facts; `profile_tolerance` applies when the time
/// checks published no tolerance.
pub fn judge(src: &ConfigSource, clock: &Clock, profile_tolerance: Duration) -> Evaluation {
    let Some(tree) = src.tree() else {
        return blocked("not run: the config is not readable YAML".into());
    };
    let path = src.display_path();
    let section = tree.pointer("/sync");
    let at = |n: Option<&Node>, f: Finding| match n {
        Some(n) => f.at(src.location(n.pos)),
        None => f,
    };
    let line = |n: Option<&Node>| n.map_or_else(String::new, |n| format!(":{}", n.pos.line));
    let text = |pointer: &str| match setting::str_at(tree, pointer) {
        Setting::Present(v, n) => Ok(Some((v, n))),
        Setting::Absent => Ok(None),
        Setting::Invalid(n) => Err(blocked(format!(
            "not judged: `{}` at {path}:{} is not a string; config.schema reports it",
            setting::dotted(pointer),
            n.pos.line
        ))),
    };
    let strategy = match text("/sync/conflict_strategy") {
        Ok(s) => s,
        Err(e) => return e,
    };
    let tie_breaker = match text("/sync/tie_breaker") {
        Ok(s) => s,
        Err(e) => return e,
    };
    let version_field = match text("/sync/version_field") {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut eval = Evaluation::default();
    let mut findings = Vec::new();
    for (key, v) in [
        ("sync.conflict_strategy", &strategy),
        ("sync.tie_breaker", &tie_breaker),
        ("sync.version_field", &version_field),
    ] {
        if let Some((v, _)) = v {
            eval.facts.insert(key.into(), v.clone().into());
        }
    }

    let strategy_node = strategy.as_ref().map(|(_, n)| *n);
    match strategy.as_ref().map(|(s, _)| s.as_str()) {
        None => findings.push(at(
            section,
            Finding::new(&CONFLICT_STRATEGY_UNSET, "`sync.conflict_strategy` is not set: concurrent updates are reconciled by the service's default, which may be last-write-wins",
                format!(
                    "set `conflict_strategy: version` (with `version_field: version`) under `sync` in {path}{}",
                    line(section)
                ),
            ),
        )),
        Some("last-write-wins") => findings.extend(judge_lww(clock, profile_tolerance, strategy_node, &path, &at)),
        Some("priority") => {
            if let Some((t, _)) = &tie_breaker {
                findings.push(Finding::pass(format!(
                    "priority ordering with tie-breaker `{t}`"
                )));
            } else {
                findings.push(at(
                    strategy_node,
                    Finding::new(&PRIORITY_NO_TIE_BREAKER, "`sync.conflict_strategy` is priority but `sync.tie_breaker` is not set: updates of equal priority land in whatever order they arrive",
                        format!(
                            "add `tie_breaker: node_id` (a field unique per writer) under `sync` in {path}{}",
                            line(strategy_node)
                        ),
                    ),
                ));
            }
        }
        Some("version" | "manual") => {}
        Some(other) => {
            return blocked(format!(
                "not judged: `sync.conflict_strategy` is `{other}`, which the schema does not know; config.schema reports it"
            ));
        }
    }

    if let Some((v, _)) = &version_field {
        findings.push(Finding::pass(format!(
            "optimistic concurrency on field `{v}`"
        )));
    } else {
        let why = if strategy.as_ref().is_some_and(|(s, _)| s == "version") {
            "`sync.conflict_strategy` is version but `sync.version_field` does not name the field compared"
        } else {
            "`sync.version_field` is not set: concurrent updates are not detected (no optimistic locking) and the later write silently overwrites the other"
        };
        findings.push(at(
            strategy_node.or(section),
            Finding::new(&NO_VERSION_FIELD, why,
                format!(
                    "add `version_field: version` under `sync` in {path}{} and make writers send the version they read",
                    line(strategy_node.or(section))
                ),
            ),
        ));
    }

    eval.findings = findings;
    let problems = eval
        .findings
        .iter()
        .filter(|f| f.status > Status::Pass)
        .count();
    if problems > 1 {
        eval.message = Some(format!(
            "{problems} sync-semantics problems; first: {}",
            eval.worst().map(|f| f.message.clone()).unwrap_or_default()
        ));
    } else if problems == 0 {
        let s = strategy.as_ref().map_or("?", |(s, _)| s.as_str());
        let rest: Vec<String> = eval.findings.iter().map(|f| f.message.clone()).collect();
        eval.message = Some(format!("conflict strategy {s}; {}", rest.join("; ")));
    }
    eval
}

fn judge_lww(
    clock: &Clock,
    profile_tolerance: Duration,
    node: Option<&Node>,
    path: &str,
    at: &dyn Fn(Option<&Node>, Finding) -> Finding,
) -> Vec<Finding> {
    #[allow(clippy::cast_precision_loss)] // milliseconds of a tolerance
    let tolerance = clock
        .tolerance_ms
        .unwrap_or(profile_tolerance.as_millis() as f64);
    let reference = clock
        .reference
        .as_deref()
        .map_or_else(|| "the time source".to_string(), ToString::to_string);
    let line = node.map_or_else(String::new, |n| format!(":{}", n.pos.line));
    let switch = format!(
        "or switch `sync.conflict_strategy` at {path}{line} to `version` (with `version_field`) so conflicts no longer depend on clocks"
    );
    let mut out = Vec::new();
    if clock.synchronised == Some(false) {
        let offset = clock.offset_ms.map_or_else(String::new, |o| {
            format!(", offset {} from {reference}", ms(o))
        });
        out.push(at(
            node,
            Finding::new(&LWW_CLOCK_UNSYNCHRONISED, format!(
                    "`sync.conflict_strategy` is last-write-wins while this node's clock is not synchronised ({} = false{offset}): which write wins a conflict depends on how far each clock has drifted",
                    keys::TIME_SYNCHRONISED
                ),
                format!("enable clock synchronisation on this node (`timedatectl set-ntp true`, or start chronyd and check `chronyc tracking`), {switch}"),
            )
            .with(keys::TIME_SYNCHRONISED, false),
        ));
    }
    if let Some(offset) = clock.offset_ms
        && offset.abs() > tolerance
    {
        let effect = if offset > 0.0 {
            "its writes win over later writes from other nodes"
        } else {
            "later writes from this node lose to older writes from other nodes"
        };
        let direction = if offset > 0.0 { "ahead of" } else { "behind" };
        out.push(at(
            node,
            Finding::new(&LWW_CLOCK_SKEW, format!(
                    "`sync.conflict_strategy` is last-write-wins while this node's clock is {:.0} ms {direction} {reference} ({} = {offset:.0}, tolerance {tolerance:.0} ms): {effect}, silently",
                    offset.abs(),
                    keys::TIME_OFFSET_MS
                ),
                format!(
                    "bring this node's clock within {tolerance:.0} ms of {reference} (`chronyc makestep`, then keep NTP running: `timedatectl set-ntp true`), {switch}"
                ),
            )
            .with(keys::TIME_OFFSET_MS, offset)
            .with(keys::TIME_TOLERANCE_MS, tolerance),
        ));
    }
    if !out.is_empty() {
        return out;
    }
    match (clock.offset_ms, clock.synchronised) {
        (None, None) => vec![at(
            node,
            Finding::new(&LWW_CLOCK_UNVERIFIED, format!(
                    "`sync.conflict_strategy` is last-write-wins, but no time check ran before this one ({} and {} are absent): the clock that decides every conflict is not verified",
                    keys::TIME_OFFSET_MS,
                    keys::TIME_SYNCHRONISED
                ),
                "add the time checks to the suite and list them in this check's `needs` so their facts reach it; until then check the clock by hand (`chronyc tracking`, `timedatectl`)".to_string(),
            ),
        )],
        (Some(offset), _) => vec![Finding::pass(format!(
            "last-write-wins with the clock {} from {reference} (tolerance {tolerance:.0} ms)",
            ms(offset)
        ))],
        (None, Some(_)) => vec![Finding::pass(
            "last-write-wins with a synchronised clock (offset not measured)",
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECOND: Duration = Duration::from_secs(1);

    fn config(sync: &str) -> ConfigSource {
        ConfigSource::from_text(
            "/etc/open-autoglm/config.yaml",
            &format!("node: {{}}\n{sync}"),
        )
    }

    fn facts(pairs: &[(&str, serde_json::Value)]) -> Facts {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    }

    fn codes(e: &Evaluation) -> Vec<String> {
        e.findings
            .iter()
            .filter_map(|f| f.code_name().map(String::from))
            .collect()
    }

    const LWW: &str = "sync:\n  conflict_strategy: last-write-wins\n  version_field: version\n";

    #[test]
    fn lww_against_clock_facts() {
        let cases: Vec<(&str, Facts, Vec<&str>)> = vec![
            (
                "no facts",
                facts(&[]),
                vec!["sync-semantics.lww-clock-unverified"],
            ),
            (
                "in tolerance",
                facts(&[
                    ("time.offset_ms", json!(-250)),
                    ("time.synchronised", json!(true)),
                ]),
                vec![],
            ),
            (
                "skewed ahead",
                facts(&[
                    ("time.offset_ms", json!(4200)),
                    ("time.synchronised", json!(true)),
                ]),
                vec!["sync-semantics.lww-clock-skew"],
            ),
            (
                "skewed behind",
                facts(&[("time.offset_ms", json!(-1500.5))]),
                vec!["sync-semantics.lww-clock-skew"],
            ),
            (
                "unsynchronised",
                facts(&[("time.synchronised", json!(false))]),
                vec!["sync-semantics.lww-clock-unsynchronised"],
            ),
            (
                "unsynchronised and skewed",
                facts(&[
                    ("time.synchronised", json!(false)),
                    ("time.offset_ms", json!(9000)),
                ]),
                vec![
                    "sync-semantics.lww-clock-unsynchronised",
                    "sync-semantics.lww-clock-skew",
                ],
            ),
            (
                "synchronised, offset unknown",
                facts(&[("time.synchronised", json!(true))]),
                vec![],
            ),
            // The time checks' own tolerance wins over the profile's.
            (
                "strict tolerance from the time check",
                facts(&[
                    ("time.offset_ms", json!(50)),
                    ("time.tolerance_ms", json!(10)),
                ]),
                vec!["sync-semantics.lww-clock-skew"],
            ),
            (
                "facts of the wrong type count as absent",
                facts(&[
                    ("time.offset_ms", json!("4200")),
                    ("time.synchronised", json!("no")),
                ]),
                vec!["sync-semantics.lww-clock-unverified"],
            ),
        ];
        for (name, f, want) in cases {
            let e = judge(&config(LWW), &Clock::from_facts(&f), SECOND);
            assert_eq!(codes(&e), want, "{name}: {e:#?}");
        }
    }

    #[test]
    fn skew_failure_names_both_facts() {
        let f = facts(&[
            ("time.offset_ms", json!(4200)),
            ("time.synchronised", json!(true)),
            ("time.reference", json!("ntp 192.0.2.1:123")),
        ]);
        let e = judge(&config(LWW), &Clock::from_facts(&f), SECOND);
        let w = e.worst().unwrap();
        assert_eq!(w.code_name(), Some("sync-semantics.lww-clock-skew"));
        assert_eq!(
            w.message,
            "`sync.conflict_strategy` is last-write-wins while this node's clock is 4200 ms ahead of ntp 192.0.2.1:123 (time.offset_ms = 4200, tolerance 1000 ms): its writes win over later writes from other nodes, silently"
        );
        assert!(
            w.remediation
                .as_ref()
                .unwrap()
                .contains("within 1000 ms of ntp 192.0.2.1:123")
        );
        assert!(
            w.remediation
                .as_ref()
                .unwrap()
                .contains("at /etc/open-autoglm/config.yaml:3 to `version`")
        );
        assert_eq!(w.location.as_ref().unwrap().line, 3);
        assert_eq!(w.evidence["time.offset_ms"], 4200.0);

        let f = facts(&[
            ("time.synchronised", json!(false)),
            ("time.offset_ms", json!(-30)),
        ]);
        let e = judge(&config(LWW), &Clock::from_facts(&f), SECOND);
        assert!(
            e.worst()
                .unwrap()
                .message
                .contains("(time.synchronised = false, offset -30 ms from the time source)")
        );
    }

    #[test]
    fn strategy_cases() {
        let cases: &[(&str, &[&str])] = &[
            (
                "sync:\n  conflict_strategy: version\n  version_field: version\n",
                &[],
            ),
            (
                "sync:\n  conflict_strategy: version\n",
                &["sync-semantics.no-version-field"],
            ),
            (
                "sync:\n  conflict_strategy: priority\n  version_field: v\n",
                &["sync-semantics.priority-no-tie-breaker"],
            ),
            (
                "sync:\n  conflict_strategy: priority\n  tie_breaker: node_id\n  version_field: v\n",
                &[],
            ),
            (
                "sync:\n  conflict_strategy: manual\n",
                &["sync-semantics.no-version-field"],
            ),
            (
                "sync:\n  interval_seconds: 30\n",
                &[
                    "sync-semantics.conflict-strategy-unset",
                    "sync-semantics.no-version-field",
                ],
            ),
            (
                "",
                &[
                    "sync-semantics.conflict-strategy-unset",
                    "sync-semantics.no-version-field",
                ],
            ),
        ];
        for (cfg, want) in cases {
            let e = judge(&config(cfg), &Clock::default(), SECOND);
            assert_eq!(codes(&e), *want, "{cfg}");
            for f in &e.findings {
                if f.status > Status::Pass {
                    assert!(
                        f.remediation
                            .as_ref()
                            .is_some_and(|r| r.contains("/etc/open-autoglm/config.yaml")),
                        "{f:?}"
                    );
                }
            }
        }
        let e = judge(
            &config("sync:\n  conflict_strategy: version\n  version_field: version\n"),
            &Clock::default(),
            SECOND,
        );
        assert_eq!(
            e.message.as_deref(),
            Some("conflict strategy version; optimistic concurrency on field `version`")
        );
        assert_eq!(e.facts["sync.conflict_strategy"], "version");
        let e = judge(
            &config("sync:\n  conflict_strategy: newest\n"),
            &Clock::default(),
            SECOND,
        );
        assert_eq!(e.status(), Status::Skip);
    }
}
