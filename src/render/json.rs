//! The JSON report (SPEC §7, `schema_version` 1): wire types kept apart from the internal
//! model, so the public format changes only on purpose. Its JSON Schema is generated from
//! these types (`schema report`) and checked in under `schema/`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::report::{self, Report};

/// Current report format version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

/// The status of the whole run: the worst status of its results, or `interrupted` when a
/// signal ended it (then the results are partial and the run is never a pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Pass,
    Warn,
    Fail,
    Skip,
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Timeout,
    ProbeError,
    Dependency,
    Interrupted,
    Internal,
}

/// An autoglm-doctor report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "autoglm-doctor report")]
pub struct ReportV1 {
    /// Always 1 for this format.
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: u32,
    pub tool: Tool,
    pub host: Host,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    pub config: ConfigRef,
    /// The suite's name.
    pub suite: String,
    /// Tolerance profile: strict, default or lenient.
    pub profile: String,
    /// True when a signal (SIGINT, SIGTERM, SIGHUP) ended the run; the results are partial.
    pub interrupted: bool,
    /// The worst status of all results; `interrupted` when a signal ended the run.
    pub status: RunStatus,
    pub summary: Summary,
    /// Failed checks none of whose needs failed: where to start.
    pub root_causes: Vec<String>,
    /// In suite order.
    pub results: Vec<CheckResult>,
    /// Non-secret values and fingerprints other nodes should agree on (for `compare`).
    pub facts: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub hostname: String,
}

/// The node config used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigRef {
    /// Null when no config was found.
    pub path: Option<String>,
    /// SHA-256 of the file's bytes; null when it could not be read.
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckResult {
    pub id: String,
    pub kind: String,
    pub category: String,
    pub status: Status,
    /// Stable code of the worst finding; null for a pass.
    pub code: Option<String>,
    pub message: String,
    pub remediation: Option<String>,
    pub findings: Vec<Finding>,
    pub evidence: BTreeMap<String, serde_json::Value>,
    pub needs: Vec<String>,
    pub blocked_by: Vec<String>,
    /// Set when the check could not evaluate.
    pub cause: Option<Cause>,
    pub duration_ms: u64,
    /// How many times the check was run: 1 normally, more when `--retry-timeout` ran it
    /// again until it passed or time was up, 0 when it never ran (blocked, offline,
    /// interrupted before it started).
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub status: Status,
    pub code: Option<String>,
    pub message: String,
    pub remediation: Option<String>,
    pub location: Option<Location>,
    pub evidence: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

fn status(s: report::Status) -> Status {
    match s {
        report::Status::Pass => Status::Pass,
        report::Status::Warn => Status::Warn,
        report::Status::Fail => Status::Fail,
        report::Status::Skip => Status::Skip,
    }
}

fn cause(c: report::Cause) -> Cause {
    match c {
        report::Cause::Timeout => Cause::Timeout,
        report::Cause::ProbeError => Cause::ProbeError,
        report::Cause::Dependency => Cause::Dependency,
        report::Cause::Interrupted => Cause::Interrupted,
        report::Cause::Internal => Cause::Internal,
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Convert the internal report to the wire format.
pub fn to_wire(r: &Report) -> ReportV1 {
    let s = r.summary();
    ReportV1 {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "autoglm-doctor".into(),
            version: r.tool_version.clone(),
        },
        host: Host {
            hostname: r.hostname.clone(),
        },
        started_at: r
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: millis(r.duration),
        config: ConfigRef {
            path: r.config_path.clone(),
            sha256: r.config_sha256.clone(),
        },
        suite: r.suite.clone(),
        profile: r.profile.clone(),
        interrupted: r.interrupted,
        status: if r.interrupted {
            RunStatus::Interrupted
        } else {
            match r.status() {
                report::Status::Pass => RunStatus::Pass,
                report::Status::Warn => RunStatus::Warn,
                report::Status::Fail => RunStatus::Fail,
                report::Status::Skip => RunStatus::Skip,
            }
        },
        summary: Summary {
            pass: s.pass,
            warn: s.warn,
            fail: s.fail,
            skip: s.skip,
        },
        root_causes: r.root_causes().iter().map(|c| c.id.clone()).collect(),
        results: r
            .results
            .iter()
            .map(|c| CheckResult {
                id: c.id.clone(),
                kind: c.kind.clone(),
                category: c.category.clone(),
                status: status(c.status),
                code: c.code.map(|c| c.name.to_string()),
                message: c.message.clone(),
                remediation: c.remediation.clone(),
                findings: c
                    .findings
                    .iter()
                    .map(|f| Finding {
                        status: status(f.status),
                        code: f.code.map(|c| c.name.to_string()),
                        message: f.message.clone(),
                        remediation: f.remediation.clone(),
                        location: f.location.as_ref().map(|l| Location {
                            path: l.path.clone(),
                            line: l.line,
                            column: l.column,
                        }),
                        evidence: f.evidence.clone(),
                    })
                    .collect(),
                evidence: c.evidence.clone(),
                needs: c.needs.clone(),
                blocked_by: c.blocked_by.clone(),
                cause: c.cause.map(cause),
                duration_ms: millis(c.duration),
                attempts: c.attempts,
            })
            .collect(),
        facts: r.facts.clone(),
    }
}

/// Pretty JSON with a trailing newline.
pub fn render(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_wire(r)).map_or_else(
        |e| format!("{{\"error\": \"cannot serialise report: {e}\"}}"),
        |s| super::json_escape_invisible(&s),
    );
    s.push('\n');
    s
}

/// The JSON Schema of the report.
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(ReportV1).to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://open-autoglm.invalid/schema/report.schema.json".into(),
        );
    }
    schema
}
