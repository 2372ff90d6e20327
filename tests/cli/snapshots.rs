//! One canonical report rendered in every format, snapshotted byte for byte (insta).
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test snapshots`).

use std::collections::BTreeMap;
use std::time::Duration;

use autoglm_doctor::render::{self, Style};
use autoglm_doctor::report::{Cause, CheckResult, Evaluation, Finding, Location, Report};
use autoglm_doctor::settings::Format;

fn located(f: Finding, line: usize, column: usize, snippet: &str) -> Finding {
    f.at(Location {
        path: "/etc/open-autoglm/config.yaml".into(),
        line,
        column,
        snippet: Some(snippet.into()),
    })
}

fn canonical() -> Report {
    let ms = Duration::from_millis;
    let r = |id: &str, kind: &str, needs: &[&str], eval: Evaluation, d: Duration| {
        CheckResult::from_evaluation(
            id,
            kind,
            "config",
            needs.iter().map(|s| (*s).to_string()).collect(),
            eval,
            d,
        )
    };
    let schema = Evaluation {
        message: Some(
            "2 schema violations; first: `auth.token_ttl` is -3600, below the minimum 1".into(),
        ),
        ..Evaluation::of(vec![
            located(
                Finding::new(
                    &autoglm_doctor::check::config_schema::OUT_OF_RANGE,
                    "`auth.token_ttl` is -3600, below the minimum 1",
                    "set `auth.token_ttl` at /etc/open-autoglm/config.yaml:8 to at least 1",
                ),
                8,
                3,
                "  token_ttl: -3600",
            ),
            located(
                Finding::new(
                    &autoglm_doctor::check::config_schema::UNKNOWN_FIELD,
                    "unknown key `endpiont` at top level",
                    "rename `endpiont` to `endpoint` at /etc/open-autoglm/config.yaml:9",
                ),
                9,
                1,
                "endpiont: https://master.autoglm.test:8443",
            ),
        ])
    };
    let lint = Evaluation::single(located(
        Finding::new(
            &autoglm_doctor::check::config_lint::WARNING,
            "[truthy] truthy value should be one of [false, true]",
            "write `true` or `false` (not yes/no/on/off) on line 11",
        )
        .with("rule", "truthy"),
        11,
        12,
        "  enabled: yes\t# \x1b[31mred\x1b[0m",
    ));
    let mut blocked = Evaluation::single(Finding::new(
        &autoglm_doctor::check::exec::BLOCKED,
        "blocked by config.schema (fail)",
        "fix config.schema first",
    ));
    blocked.cause = Some(Cause::Dependency);
    let mut hung = Evaluation::single(
        Finding::new(
            &autoglm_doctor::check::exec::TIMEOUT,
            "did not finish within its timeout of 3s",
            "find what the check is waiting on",
        )
        .with("timeout_ms", 3000),
    );
    hung.cause = Some(Cause::Timeout);
    let mut blocked_result = r(
        "exec.sync",
        "exec",
        &["config.schema"],
        blocked,
        Duration::ZERO,
    );
    blocked_result.blocked_by = vec!["config.schema".into()];
    blocked_result.attempts = 0;
    let mut file = Evaluation::single(
        Finding::pass("read /etc/open-autoglm/config.yaml (from the system location), 412 bytes")
            .with("size_bytes", 412),
    );
    file.evidence
        .insert("found_via".into(), "the system location".into());
    Report {
        tool_version: "0.0.0-test".into(),
        hostname: "compute-07".into(),
        started_at: chrono::DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
        duration: ms(3012),
        config_path: Some("/etc/open-autoglm/config.yaml".into()),
        config_sha256: Some("0".repeat(64)),
        suite: "compute-node".into(),
        profile: "default".into(),
        interrupted: false,
        results: vec![
            r("config.file", "config-file", &[], file, ms(0)),
            r(
                "config.schema",
                "config-schema",
                &["config.file"],
                schema,
                ms(3),
            ),
            r("config.lint", "config-lint", &["config.file"], lint, ms(1)),
            blocked_result,
            r("exec.plugin", "exec", &[], hung, ms(3000)),
        ],
        facts: BTreeMap::from([("node.id".to_string(), serde_json::json!("compute-07"))]),
    }
}

fn style(verbose: u8, quiet: bool) -> Style {
    Style {
        color: false,
        verbose,
        quiet,
        width: Some(120),
        warnings_fail: false,
        ..Style::default()
    }
}

#[test]
fn snapshot_table() {
    insta::assert_snapshot!(
        "table",
        render::render(&canonical(), Format::Table, style(0, false))
    );
}

#[test]
fn snapshot_table_verbose_and_quiet() {
    insta::assert_snapshot!(
        "table_verbose",
        render::render(&canonical(), Format::Table, style(1, false))
    );
    insta::assert_snapshot!(
        "table_quiet",
        render::render(&canonical(), Format::Table, style(0, true))
    );
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!(
        "json",
        render::render(&canonical(), Format::Json, style(0, false))
    );
}

#[test]
fn snapshot_junit() {
    insta::assert_snapshot!(
        "junit",
        render::render(&canonical(), Format::Junit, style(0, false))
    );
}

#[test]
fn snapshot_junit_when_warnings_fail() {
    let mut s = style(0, false);
    s.warnings_fail = true;
    insta::assert_snapshot!(
        "junit_warnings_fail",
        render::render(&canonical(), Format::Junit, s)
    );
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!(
        "markdown",
        render::render(&canonical(), Format::Markdown, style(0, false))
    );
}

/// The canonical report after a run with `--retry-timeout`: attempts are shown.
#[test]
fn snapshot_retried() {
    let mut report = canonical();
    report.results[1].attempts = 3;
    report.results[3].attempts = 0;
    report.results[4].attempts = 3;
    insta::assert_snapshot!(
        "table_retried",
        render::render(&report, Format::Table, style(0, false))
    );
    insta::assert_snapshot!(
        "markdown_retried",
        render::render(&report, Format::Markdown, style(0, false))
    );
}

#[test]
fn table_colour_is_only_added_when_asked() {
    let mut s = style(0, false);
    assert!(!render::render(&canonical(), Format::Table, s).contains("\x1b[3"));
    s.color = true;
    let coloured = render::render(&canonical(), Format::Table, s);
    assert!(
        coloured.contains("\x1b[1;31mROOT CAUSE\x1b[0m"),
        "{coloured}"
    );
    // Escape sequences from files are shown escaped even when colouring.
    assert!(coloured.contains("\\u{1b}[31mred"));
}
