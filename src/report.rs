//! The result model every check produces and every renderer reads.
//!
//! Status roll-up follows the "worst child wins" rule: a result is as bad as its worst
//! finding, a report as bad as its worst result. Renderers never decide anything; the exit
//! status is computed once from the report (`exit.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// Outcome of a finding, a check or a run. Ordered `Skip < Pass < Warn < Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Skip,
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// A stable machine code, declared once as a constant in the module of the kind that
/// reports it (`crate::check::tcp::REFUSED`), with the status it is reported with and its
/// documentation. Findings are made from these constants only, so a code that is not
/// declared does not compile. Names follow `<kind>.<condition>` (docs/codes.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub name: &'static str,
    pub status: Status,
    pub summary: &'static str,
    pub remediation: &'static str,
    /// Names this code had before (still accepted by `explain`).
    pub aliases: &'static [&'static str],
}

impl Code {
    pub const fn new(
        name: &'static str,
        status: Status,
        summary: &'static str,
        remediation: &'static str,
    ) -> Self {
        Self {
            name,
            status,
            summary,
            remediation,
            aliases: &[],
        }
    }

    /// The same code with the names it had before.
    #[must_use]
    pub const fn was(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    /// The kind part of the name (before the first dot).
    pub fn kind(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(k, _)| k)
    }

    /// The condition part of the name (after the first dot).
    pub fn condition(&self) -> &'static str {
        self.name.split_once('.').map_or("", |(_, c)| c)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Why a check was not run (decided by the planner or the scheduler, never by comparing
/// codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A check it needs failed or was skipped.
    Blocked,
    /// `--offline` and the check needs the network.
    Offline,
    /// A `${config.…}` or `${env.…}` reference in its parameters does not resolve.
    Unresolved { env: bool },
    /// The run was interrupted or reached its deadline before the check could finish.
    Interrupted,
}

/// Why a check could not evaluate what it was asked to (not a fifth status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Timeout,
    ProbeError,
    Dependency,
    Interrupted,
    Internal,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::ProbeError => "probe_error",
            Self::Dependency => "dependency",
            Self::Interrupted => "interrupted",
            Self::Internal => "internal",
        }
    }
}

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The source line, secrets redacted; shown by the human formats, not in JSON.
    pub snippet: Option<String>,
}

/// A point in time as evidence and facts carry it: RFC 3339 in UTC, to the second
/// (`2026-11-26T15:30:00Z`). Messages say it for people; evidence says it for programs.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || unix.to_string(),
        |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// Key/value facts a finding or result is based on. Never holds a secret value.
pub type Evidence = BTreeMap<String, serde_json::Value>;

/// Non-secret values a check publishes for later checks (through `Context::facts`) and for
/// the fleet view (`Report::facts`), e.g. `time.offset_ms`, `auth.master.token_ttl`.
pub type Facts = BTreeMap<String, serde_json::Value>;

/// Fact keys checks exchange through [`Facts`]; docs/facts.md is their reference. A check
/// that reads a fact lists the check that publishes it in its suite `needs`, so the fact is
/// there when it starts.
pub mod keys {
    /// Signed clock offset in milliseconds (number): this node's clock minus the
    /// reference's; positive means this node is ahead. Published by the time checks.
    pub const TIME_OFFSET_MS: &str = "time.offset_ms";
    /// Whether the kernel or the NTP daemon reports the clock as synchronised (boolean).
    pub const TIME_SYNCHRONISED: &str = "time.synchronised";
    /// The largest offset the time checks accepted, in milliseconds (number); readers fall
    /// back to the profile's tolerance when it is absent.
    pub const TIME_TOLERANCE_MS: &str = "time.tolerance_ms";
    /// What the offset was measured against, e.g. `ntp 192.0.2.1:123` (string).
    pub const TIME_REFERENCE: &str = "time.reference";
}

/// One observation of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub status: Status,
    /// Stable machine code, e.g. `config-syntax.invalid`; `None` only for passes.
    pub code: Option<&'static Code>,
    pub message: String,
    pub remediation: Option<String>,
    pub location: Option<Location>,
    pub evidence: Evidence,
}

impl Finding {
    pub fn pass(message: impl Into<String>) -> Self {
        Self {
            status: Status::Pass,
            code: None,
            message: message.into(),
            remediation: None,
            location: None,
            evidence: Evidence::new(),
        }
    }

    /// A finding with `code`, reported with the code's status.
    pub fn new(
        code: &'static Code,
        message: impl Into<String>,
        remediation: impl Into<String>,
    ) -> Self {
        Self {
            status: code.status,
            code: Some(code),
            message: message.into(),
            remediation: Some(remediation.into()),
            location: None,
            evidence: Evidence::new(),
        }
    }

    /// A finding with `code` at another status than the code's usual one, for a judge
    /// that weighs it (a problem with one of several servers is a warning while another
    /// serves).
    pub fn at_status(
        status: Status,
        code: &'static Code,
        message: impl Into<String>,
        remediation: impl Into<String>,
    ) -> Self {
        Self {
            status,
            ..Self::new(code, message, remediation)
        }
    }

    /// The code's name, if any.
    pub fn code_name(&self) -> Option<&'static str> {
        self.code.map(|c| c.name)
    }

    #[must_use]
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.evidence.insert(key.to_string(), value.into());
        self
    }
}

/// What a check's run produced: findings, result-level evidence, facts for the fleet view,
/// and a cause when it could not evaluate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub evidence: Evidence,
    pub facts: BTreeMap<String, serde_json::Value>,
    pub cause: Option<Cause>,
    /// Why the check was not run, when it was not.
    pub skipped: Option<SkipReason>,
    /// A summary replacing the worst finding's message at the result level.
    pub message: Option<String>,
}

impl Evaluation {
    pub fn of(findings: Vec<Finding>) -> Self {
        Self {
            findings,
            ..Self::default()
        }
    }

    pub fn single(finding: Finding) -> Self {
        Self::of(vec![finding])
    }

    /// Status of the worst finding; a check with no finding is a skip.
    pub fn status(&self) -> Status {
        self.findings
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Status::Skip)
    }

    /// The finding that decides the status (first of the worst).
    pub fn worst(&self) -> Option<&Finding> {
        let status = self.status();
        self.findings.iter().find(|f| f.status == status)
    }
}

/// The outcome of one configured check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub id: String,
    pub kind: String,
    pub category: String,
    pub status: Status,
    pub code: Option<&'static Code>,
    pub message: String,
    pub remediation: Option<String>,
    pub findings: Vec<Finding>,
    pub evidence: Evidence,
    pub needs: Vec<String>,
    pub blocked_by: Vec<String>,
    pub cause: Option<Cause>,
    /// Why the check was not run, when it was not (not part of the JSON report: the code
    /// and `cause` say it there).
    pub skipped: Option<SkipReason>,
    pub duration: Duration,
    /// How many times the check was run: 1 normally, more when `--retry-timeout` ran it
    /// again, 0 when it never ran (blocked, offline, interrupted before it started).
    pub attempts: u32,
    /// Facts the check published (merged into the report's facts).
    pub facts: Facts,
}

impl CheckResult {
    /// The code's name, if any.
    pub fn code_name(&self) -> Option<&'static str> {
        self.code.map(|c| c.name)
    }

    /// Roll an evaluation up into a result.
    pub fn from_evaluation(
        id: &str,
        kind: &str,
        category: &str,
        needs: Vec<String>,
        eval: Evaluation,
        duration: Duration,
    ) -> Self {
        let status = eval.status();
        let worst = eval.worst().cloned();
        let (code, message, remediation) = match worst {
            Some(f) => (
                if status == Status::Pass { None } else { f.code },
                f.message,
                if status == Status::Pass {
                    None
                } else {
                    f.remediation
                },
            ),
            None => (None, "no finding".to_string(), None),
        };
        let message = eval.message.unwrap_or(message);
        // Findings stay in the order the check produced them (file order for located ones).
        let findings = eval.findings;
        Self {
            id: id.to_string(),
            kind: kind.to_string(),
            category: category.to_string(),
            status,
            code,
            message,
            remediation,
            findings,
            evidence: eval.evidence,
            needs,
            blocked_by: Vec::new(),
            cause: eval.cause,
            skipped: eval.skipped,
            duration,
            attempts: 1,
            facts: eval.facts,
        }
    }
}

impl CheckResult {
    /// Recompute the status, code, message and remediation from the findings (after a
    /// reconciliation changed one of them).
    fn roll_up(&mut self) {
        let status = self.findings.iter().map(|f| f.status).max();
        let Some(status) = status else { return };
        let Some(worst) = self.findings.iter().find(|f| f.status == status).cloned() else {
            return;
        };
        self.status = status;
        self.code = if status == Status::Pass {
            None
        } else {
            worst.code
        };
        self.message = worst.message;
        self.remediation = if status == Status::Pass {
            None
        } else {
            worst.remediation
        };
    }
}

/// Cross-check results whose meaning depends on each other, once all have finished.
///
/// A stale DNS answer: the resolvers disagreed (a `dns.inconsistent` warning) and a
/// connection check found nothing accepting at the address in use while another answer's
/// address accepts (fact `tcp.stale-answer.<host>`). The disagreement is then the root cause,
/// not the master being down: the DNS warning becomes the failure that heads the DNS result,
/// and the connection failures downstream of it are no longer root causes.
pub fn reconcile(results: &mut [CheckResult]) {
    let stale: Vec<(String, serde_json::Value)> = results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .flat_map(|r| {
            r.facts.iter().filter_map(|(k, v)| {
                k.strip_prefix("tcp.stale-answer.")
                    .map(|host| (host.to_string(), v.clone()))
            })
        })
        .collect();
    for (host, fact) in stale {
        let Some(dns) = results
            .iter_mut()
            .find(|r| r.facts.contains_key(&format!("dns.other-answers.{host}")))
        else {
            continue;
        };
        let Some(i) = dns
            .findings
            .iter()
            .position(|f| f.code_name() == Some("dns.inconsistent"))
        else {
            continue;
        };
        let mut f = dns.findings.remove(i);
        let used = fact["used"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let (who, accepting) = (
            fact["accepting"][0]["from"].as_str().unwrap_or_default(),
            fact["accepting"][0]["address"].as_str().unwrap_or_default(),
        );
        f.status = Status::Fail;
        f.message = format!(
            "stale answer for {host}: nothing accepts at {used}, the address in use, while {who} answers with {accepting}, which accepts — {}",
            f.message
        );
        f.remediation = Some(format!(
            "make every resolver give the address that serves {host}: remove the stale /etc/hosts entry or fix the record that gives {used} (`getent hosts {host}`; compare with `dig {host}` at {who})"
        ));
        dns.findings.insert(0, f);
        dns.roll_up();
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub tool_version: String,
    pub hostname: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration: Duration,
    pub config_path: Option<String>,
    pub config_sha256: Option<String>,
    pub suite: String,
    pub profile: String,
    pub interrupted: bool,
    pub results: Vec<CheckResult>,
    pub facts: BTreeMap<String, serde_json::Value>,
}

impl Report {
    /// Worst status of all results; an empty run is a skip.
    pub fn status(&self) -> Status {
        self.results
            .iter()
            .map(|r| r.status)
            .max()
            .unwrap_or(Status::Skip)
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.results {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
            }
        }
        s
    }

    /// The most attempts any check took (1 for a run without retries, 0 for an empty one).
    pub fn attempts(&self) -> u32 {
        self.results.iter().map(|r| r.attempts).max().unwrap_or(0)
    }

    /// Failed checks none of whose needs failed: where to start fixing.
    pub fn root_causes(&self) -> Vec<&CheckResult> {
        let failed: std::collections::HashSet<&str> = self
            .results
            .iter()
            .filter(|r| r.status == Status::Fail)
            .map(|r| r.id.as_str())
            .collect();
        self.results
            .iter()
            .filter(|r| r.status == Status::Fail)
            .filter(|r| !r.needs.iter().any(|n| failed.contains(n.as_str())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status, needs: &[&str]) -> CheckResult {
        CheckResult {
            id: id.into(),
            kind: "k".into(),
            category: "c".into(),
            status,
            code: None,
            message: String::new(),
            remediation: None,
            findings: vec![],
            evidence: Evidence::new(),
            needs: needs.iter().map(|s| (*s).to_string()).collect(),
            blocked_by: vec![],
            cause: None,
            skipped: None,
            duration: Duration::ZERO,
            attempts: 1,
            facts: Facts::new(),
        }
    }

    #[test]
    fn evidence_times_are_rfc3339() {
        assert_eq!(rfc3339(1_795_275_000), "2026-11-21T15:30:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn status_order_is_skip_pass_warn_fail() {
        assert!(Status::Skip < Status::Pass);
        assert!(Status::Pass < Status::Warn);
        assert!(Status::Warn < Status::Fail);
    }

    #[test]
    fn evaluation_rolls_up_worst_finding() {
        const W: Code = Code::new("x.w", Status::Warn, "w", "fix w");
        const F: Code = Code::new("x.f", Status::Fail, "f", "fix f");
        const G: Code = Code::new("x.g", Status::Fail, "g", "fix g");
        let e = Evaluation::of(vec![
            Finding::pass("ok"),
            Finding::new(&W, "w", "fix w"),
            Finding::new(&F, "f1", "fix f1"),
            Finding::new(&G, "f2", "fix f2"),
        ]);
        assert_eq!(e.status(), Status::Fail);
        assert_eq!(e.worst().unwrap().message, "f1");
        let r = CheckResult::from_evaluation("a", "k", "c", vec![], e, Duration::ZERO);
        assert_eq!(r.code_name(), Some("x.f"));
        assert_eq!(r.remediation.as_deref(), Some("fix f1"));
        assert_eq!(r.findings[2].status, Status::Fail);
    }

    #[test]
    fn pass_result_has_no_code() {
        let r = CheckResult::from_evaluation(
            "a",
            "k",
            "c",
            vec![],
            Evaluation::single(Finding::pass("fine")),
            Duration::ZERO,
        );
        assert_eq!(r.status, Status::Pass);
        assert_eq!(r.code, None);
        assert_eq!(r.message, "fine");
    }

    #[test]
    fn root_causes_exclude_failures_downstream_of_failures() {
        let report = Report {
            tool_version: String::new(),
            hostname: String::new(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            config_path: None,
            config_sha256: None,
            suite: String::new(),
            profile: String::new(),
            interrupted: false,
            results: vec![
                result("a", Status::Fail, &[]),
                result("b", Status::Fail, &["a"]),
                result("c", Status::Fail, &["d"]),
                result("d", Status::Pass, &[]),
            ],
            facts: BTreeMap::new(),
        };
        let ids: Vec<_> = report.root_causes().iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(report.status(), Status::Fail);
        assert_eq!(report.summary().fail, 3);
    }
}
