//! JUnit XML for CI test reports (Jenkins, GitLab, GitHub Actions reporters, ...), written
//! through quick-junit.
//!
//! One `<testsuite>` named after the suite, one `<testcase>` per check in suite order:
//! `classname` is the check's category, `name` its id, `time` its duration in seconds.
//!
//! | result | JUnit |
//! |---|---|
//! | pass | a passed test case; its message in `<system-out>` |
//! | warn | a passed test case with the warning in `<system-out>`, or a `<failure>` when warnings fail the run (`--fail-on warn`) |
//! | fail | `<failure type="CODE" message="…">` with the fix, the findings (`file:line:col`) and the evidence in its body |
//! | fail that could not evaluate (cause `timeout`, `probe_error`, `internal`) | `<error>`, same content |
//! | skip (blocked, offline, interrupted) | `<skipped type="CODE" message="…">` |

use std::fmt::Write as _;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{Style, sanitize, sanitize_block};
use crate::report::{Cause, CheckResult, Evidence, Report, Status};

/// Render the JUnit report.
pub fn render(report: &Report, style: Style) -> String {
    let mut junit = quick_junit::Report::new("autoglm-doctor");
    junit
        .set_timestamp(report.started_at.fixed_offset())
        .set_time(report.duration);
    let mut suite = TestSuite::new(sanitize(&report.suite));
    suite
        .set_timestamp(report.started_at.fixed_offset())
        .set_time(report.duration);
    suite
        .extra
        .insert("hostname".into(), sanitize(&report.hostname).into());
    suite.add_properties(properties(report));
    for r in &report.results {
        suite.add_test_case(test_case(r, style));
    }
    junit.add_test_suite(suite);
    let mut xml = junit.to_string().unwrap_or_else(|e| {
        // Serialising to memory does not fail in practice; if it does, say so in a form a
        // JUnit reader still accepts, so the CI job shows an error instead of no report.
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"autoglm-doctor\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testsuite name=\"autoglm-doctor\" tests=\"1\" failures=\"0\" errors=\"1\">\n        <testcase name=\"report\"><error message=\"cannot write the JUnit report: {}\"/></testcase>\n    </testsuite>\n</testsuites>\n",
            xml_attr(&e.to_string())
        )
    });
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
}

fn properties(report: &Report) -> Vec<Property> {
    let mut props = vec![
        Property::new("autoglm-doctor.version", report.tool_version.as_str()),
        Property::new("host", sanitize(&report.hostname)),
        Property::new(
            "status",
            if report.interrupted {
                "interrupted"
            } else {
                report.status().as_str()
            },
        ),
        Property::new(
            "root_causes",
            report
                .root_causes()
                .iter()
                .map(|r| sanitize(&r.id))
                .collect::<Vec<_>>()
                .join(","),
        ),
        Property::new("profile", report.profile.as_str()),
        Property::new(
            "config.path",
            sanitize(report.config_path.as_deref().unwrap_or("none found")),
        ),
    ];
    if let Some(sha) = &report.config_sha256 {
        props.push(Property::new("config.sha256", sha.as_str()));
    }
    if report.interrupted {
        props.push(Property::new("interrupted", "true"));
    }
    for (k, v) in &report.facts {
        props.push(Property::new(
            format!("fact.{}", sanitize(k)),
            sanitize(&value_text(v)),
        ));
    }
    props
}

fn test_case(r: &CheckResult, style: Style) -> TestCase {
    let could_not_evaluate = matches!(
        r.cause,
        Some(Cause::Timeout | Cause::ProbeError | Cause::Internal)
    );
    let status = match r.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Warn if !style.warnings_fail => TestCaseStatus::success(),
        Status::Warn | Status::Fail => {
            let kind = if could_not_evaluate {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(sanitize(&r.message))
                .set_description(sanitize_block(&body(r)));
            if let Some(code) = &r.code {
                s.set_type(code.name);
            }
            s
        }
        Status::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(sanitize(&r.message));
            if let Some(code) = &r.code {
                s.set_type(code.name);
            }
            s
        }
    };
    let mut case = TestCase::new(sanitize(&r.id), status);
    case.set_classname(sanitize(&r.category))
        .set_time(r.duration);
    match r.status {
        Status::Pass => {
            case.set_system_out(sanitize_block(&passed_output(r)));
        }
        Status::Warn if !style.warnings_fail => {
            case.set_system_out(sanitize_block(&body(r)));
        }
        _ => {}
    }
    case
}

/// The body of a failure, error or warning: what, how to fix, where, and the evidence.
fn body(r: &CheckResult) -> String {
    let mut s = String::new();
    match &r.code {
        Some(code) => {
            let _ = writeln!(s, "{} [{code}]: {}", r.status.as_str(), r.message);
        }
        None => {
            let _ = writeln!(s, "{}: {}", r.status.as_str(), r.message);
        }
    }
    if let Some(fix) = &r.remediation {
        let _ = writeln!(s, "fix: {fix}");
    }
    if let Some(code) = &r.code {
        let _ = writeln!(s, "explain: autoglm-doctor explain {code}");
    }
    let problems: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status > Status::Pass)
        .collect();
    if problems.len() > 1 || problems.iter().any(|f| f.location.is_some()) {
        s.push_str("\nfindings:\n");
        for f in problems {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}: ", l.path, l.line, l.column))
                .unwrap_or_default();
            let code = f.code.map(|c| format!(" [{c}]")).unwrap_or_default();
            let _ = writeln!(s, "  {at}{}{code}: {}", f.status.as_str(), f.message);
            if let Some(fix) = f
                .remediation
                .as_ref()
                .filter(|&fix| Some(fix) != r.remediation.as_ref())
            {
                let _ = writeln!(s, "    fix: {fix}");
            }
        }
    }
    evidence(&mut s, r);
    if !r.blocked_by.is_empty() {
        let _ = writeln!(s, "\nblocked by: {}", r.blocked_by.join(", "));
    }
    if r.attempts > 1 {
        let _ = writeln!(s, "\nattempts: {}", r.attempts);
    }
    s
}

fn passed_output(r: &CheckResult) -> String {
    let mut s = format!("{}\n", r.message);
    evidence(&mut s, r);
    if r.attempts > 1 {
        let _ = writeln!(s, "\nattempts: {}", r.attempts);
    }
    s
}

fn evidence(s: &mut String, r: &CheckResult) {
    let mut all: Evidence = r.evidence.clone();
    for f in &r.findings {
        for (k, v) in &f.evidence {
            all.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if all.is_empty() {
        return;
    }
    s.push_str("\nevidence:\n");
    for (k, v) in &all {
        let _ = writeln!(s, "  {k}: {}", value_text(v));
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn xml_attr(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Evaluation, Finding};
    use std::time::Duration;

    fn report(results: Vec<CheckResult>) -> Report {
        Report {
            tool_version: "1.2.3".into(),
            hostname: "node-1".into(),
            started_at: chrono::DateTime::UNIX_EPOCH,
            duration: Duration::from_millis(1500),
            config_path: None,
            config_sha256: None,
            suite: "s".into(),
            profile: "default".into(),
            interrupted: false,
            results,
            facts: std::collections::BTreeMap::new(),
        }
    }

    fn result(id: &str, f: Finding, cause: Option<Cause>) -> CheckResult {
        let mut e = Evaluation::single(f);
        e.cause = cause;
        CheckResult::from_evaluation(id, "exec", "plugin", vec![], e, Duration::from_millis(20))
    }

    #[test]
    fn statuses_map_to_junit_elements() {
        let r = report(vec![
            result("p", Finding::pass("fine"), None),
            result(
                "f",
                Finding::new(&crate::check::exec::CRITICAL, "down", "bring it up"),
                None,
            ),
            result(
                "t",
                Finding::new(&crate::check::exec::TIMEOUT, "slow", "find the wait"),
                Some(Cause::Timeout),
            ),
            result(
                "u",
                Finding::new(&crate::check::exec::UNKNOWN, "bad usage", "fix usage"),
                Some(Cause::ProbeError),
            ),
            result(
                "s",
                Finding::new(
                    &crate::check::exec::BLOCKED,
                    "blocked by f (fail)",
                    "fix f first",
                ),
                Some(Cause::Dependency),
            ),
            result(
                "w",
                Finding::new(&crate::check::exec::WARNING, "85%", "clean up"),
                None,
            ),
        ]);
        let xml = render(&r, Style::default());
        assert!(
            xml.contains(
                r#"<testsuites name="autoglm-doctor" tests="6" skipped="1" failures="1" errors="2""#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="p" classname="plugin" time="0.020">"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<failure message="down" type="exec.critical">fail [exec.critical]: down"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<error message="slow" type="exec.timeout">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<error message="bad usage" type="exec.unknown">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="blocked by f (fail)" type="exec.blocked"/>"#),
            "{xml}"
        );
        assert!(xml.contains("fix: bring it up"), "{xml}");
        // A warning passes unless warnings fail the run.
        assert!(xml.contains("warn [exec.warning]: 85%"), "{xml}");
        let strict = render(
            &r,
            Style {
                warnings_fail: true,
                ..Style::default()
            },
        );
        assert!(strict.contains(r#"failures="2""#), "{strict}");
        assert!(
            strict.contains(r#"<failure message="85%" type="exec.warning">"#),
            "{strict}"
        );
    }

    #[test]
    fn text_is_escaped_and_control_and_bidi_characters_shown_escaped() {
        let r = report(vec![result(
            "x<&>",
            Finding::new(
                &crate::check::exec::CRITICAL,
                "a \"b\" <c> & \x1b[31mred\x1b[0m \u{202e}gnp.exe",
                "do <this>",
            ),
            None,
        )]);
        let xml = render(&r, Style::default());
        assert!(xml.contains(r#"name="x&lt;&amp;&gt;""#), "{xml}");
        assert!(!xml.contains('\x1b'), "{xml}");
        assert!(!xml.contains('\u{202e}'), "{xml}");
        assert!(xml.contains("\\u{202e}gnp.exe"), "{xml}");
        assert!(xml.contains("do &lt;this&gt;"), "{xml}");
    }

    #[test]
    fn attempts_are_reported_when_retried() {
        let mut r = result("p", Finding::pass("fine"), None);
        r.attempts = 3;
        let xml = render(&report(vec![r]), Style::default());
        assert!(xml.contains("attempts: 3"), "{xml}");
    }
}
