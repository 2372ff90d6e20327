//! Every format through the program that consumes it, not just string snapshots:
//!
//! - JUnit: validated with `xmllint --schema` against `fixtures/junit/junit.xsd` (the
//!   format CI servers read) and parsed with Python's junitparser (from PyPI, installed by
//!   scripts/test.sh), as a CI server would;
//! - Markdown: parsed with pulldown-cmark, GitHub extensions on (tables, strikethrough,
//!   math), and its table checked cell by cell;
//! - JSON is validated against its schema in fixtures.rs.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::*;

/// Prints, as JSON, what junitparser reads from each JUnit file given.
const JUNITPARSER: &str = r#"
import json, sys
from junitparser import JUnitXml
out = {}
for path in sys.argv[1:]:
    xml = JUnitXml.fromfile(path)
    cases = []
    for suite in xml:
        for case in suite:
            cases.append({
                "suite": suite.name,
                "name": case.name,
                "classname": case.classname,
                "time": case.time,
                "results": [
                    {"kind": type(r).__name__.lower(), "type": r.type, "message": r.message, "text": r.text}
                    for r in case.result
                ],
                "system_out": case.system_out,
            })
    out[path] = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors,
                 "skipped": xml.skipped, "cases": cases}
print(json.dumps(out))
"#;

/// Parse JUnit files with junitparser; keyed by the path as given.
fn junitparser(files: &[PathBuf]) -> Option<serde_json::Value> {
    if !require_python("junitparser", "junitparser") {
        return None;
    }
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(JUNITPARSER)
        .args(files)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "junitparser failed:\n{}",
        stderr(&out)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// Validate JUnit files against the shipped XSD.
fn xmllint(files: &[PathBuf]) {
    if !require("xmllint", "libxml2-utils") {
        return;
    }
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(root().join("fixtures/junit/junit.xsd"))
        .args(files)
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "JUnit report does not validate:\n{}",
        stderr(&out)
    );
}

fn case<'a>(parsed: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    parsed["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no test case {name} in {parsed:#}"))
}

fn invalid_fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/config/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The acceptance run: in CI (no terminal, `CI=true`), a broken config gives exit status 1
/// and a JUnit file that validates and holds the expected failure at the expected line.
#[test]
fn junit_of_every_broken_fixture_validates_and_names_the_failure_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for fixture in invalid_fixtures() {
        let text = std::fs::read_to_string(&fixture).unwrap();
        let (code, line) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .and_then(|l| l.split_once(" line "))
            .map(|(c, l)| (c.trim().to_string(), l.trim().to_string()))
            .unwrap();
        let name = fixture.file_name().unwrap().to_str().unwrap().to_string();
        let xml = dir.path().join(format!("{name}.xml"));
        let out = doctor(&root())
            .env("CI", "true")
            .env_remove("AUTOGLM_FIXTURE_UNSET_API_KEY")
            .args(["check", "--format", "junit", "--output"])
            .arg(&xml)
            .arg("--config")
            .arg(&fixture)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{name}: report leaked to stdout");
        assert!(out.stderr.is_empty(), "{name}: {}", stderr(&out));
        files.push(xml);
        expected.push((name, code, line));
    }
    xmllint(&files);
    let Some(parsed) = junitparser(&files) else {
        return;
    };
    for (file, (name, code, line)) in files.iter().zip(expected) {
        let report = &parsed[file.to_str().unwrap()];
        let cases = report["cases"].as_array().unwrap();
        assert_eq!(report["tests"], cases.len());
        let failures: Vec<&serde_json::Value> = cases
            .iter()
            .flat_map(|c| c["results"].as_array().unwrap())
            .filter(|r| r["kind"] == "failure")
            .collect();
        assert_eq!(report["failures"], failures.len(), "{name}");
        assert!(!failures.is_empty(), "{name}: no failure in {report:#}");
        let at = format!("{name}:{line}:");
        assert!(
            failures.iter().any(|f| f["text"]
                .as_str()
                .is_some_and(|t| t.contains(&code) && t.contains(&at))),
            "{name}: no failure with {code} at {at}:\n{report:#}"
        );
        for f in &failures {
            let text = f["text"].as_str().unwrap();
            assert!(f["type"].as_str().is_some_and(|t| !t.is_empty()), "{f}");
            assert!(text.contains("\nfix: "), "{name}: no remediation in {text}");
        }
        // The case is the check: classname is its category.
        for c in cases {
            let categories: Vec<&str> = autoglm_doctor::check::KINDS
                .iter()
                .map(|k| k.category)
                .collect();
            assert!(
                categories.contains(&c["classname"].as_str().unwrap()),
                "{c}"
            );
            if c["name"].as_str().unwrap().starts_with("config.") {
                assert_eq!(c["classname"], "config", "{c}");
            }
            assert_eq!(c["suite"], "compute-node");
        }
    }
}

fn exec_suite(dir: &Path) -> PathBuf {
    let entry = |id: &str, needs: &str, timeout: &str, script: &str| {
        format!(
            "  - id: {id}\n    kind: exec\n{needs}    timeout: {timeout}\n    with:\n      command: [sh, -c, {}]\n",
            serde_json::to_string(script).unwrap()
        )
    };
    let text = [
        "name: outcomes\nchecks:\n".to_string(),
        entry("ok", "", "10s", "echo 'OK - up | rtt=3ms'"),
        entry("warning", "", "10s", "echo 'WARNING - 85% used'; exit 1"),
        entry("critical", "", "10s", "echo 'CRITICAL - down'; exit 2"),
        entry("unknown", "", "10s", "echo 'UNKNOWN - bad usage'; exit 3"),
        entry("hang", "", "300ms", "sleep 30"),
        entry(
            "after",
            "    needs: [critical]\n",
            "10s",
            "echo 'OK - never runs'",
        ),
    ]
    .concat();
    write_suite(dir, "outcomes.yaml", &text)
}

#[test]
fn junit_maps_failures_errors_skips_and_warnings_as_a_ci_server_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let suite = exec_suite(dir.path());
    let mut files = Vec::new();
    for (name, fail_on) in [("default.xml", "fail"), ("strict.xml", "warn")] {
        let xml = dir.path().join(name);
        let out = doctor(dir.path())
            .args([
                "check",
                "--format",
                "junit",
                "--fail-on",
                fail_on,
                "--suite",
            ])
            .arg(&suite)
            .arg("--output")
            .arg(&xml)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        files.push(xml);
    }
    xmllint(&files);
    let Some(parsed) = junitparser(&files) else {
        return;
    };
    let default = &parsed[files[0].to_str().unwrap()];
    let kinds = |p: &serde_json::Value, name: &str| -> Vec<String> {
        case(p, name)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(default, "ok"), Vec::<String>::new());
    assert_eq!(kinds(default, "warning"), Vec::<String>::new());
    assert_eq!(kinds(default, "critical"), ["failure"]);
    assert_eq!(kinds(default, "unknown"), ["error"]);
    assert_eq!(kinds(default, "hang"), ["error"]);
    assert_eq!(kinds(default, "after"), ["skipped"]);
    assert_eq!(
        (
            &default["tests"],
            &default["failures"],
            &default["errors"],
            &default["skipped"]
        ),
        (
            &serde_json::json!(6),
            &serde_json::json!(1),
            &serde_json::json!(2),
            &serde_json::json!(1)
        )
    );
    let critical = &case(default, "critical")["results"][0];
    assert_eq!(critical["type"], "exec.critical");
    assert_eq!(critical["message"], "CRITICAL - down");
    let hang = &case(default, "hang")["results"][0];
    assert_eq!(hang["type"], "exec.timeout");
    let after = &case(default, "after")["results"][0];
    assert_eq!(after["type"], "exec.blocked");
    assert_eq!(after["message"], "blocked by critical (fail)");
    assert_eq!(case(default, "ok")["classname"], "plugin");
    assert!(
        case(default, "ok")["system_out"]
            .as_str()
            .is_some_and(|s| s.starts_with("OK - up\n") && s.contains("perf.rtt: 3ms")),
        "{default:#}"
    );
    assert!(
        case(default, "warning")["system_out"]
            .as_str()
            .is_some_and(|s| s.starts_with("warn [exec.warning]: WARNING - 85% used\nfix: ")),
        "{default:#}"
    );
    // With --fail-on warn the warning is a failure, as the exit status says.
    let strict = &parsed[files[1].to_str().unwrap()];
    assert_eq!(kinds(strict, "warning"), ["failure"]);
    assert_eq!(strict["failures"], 2);
}

/// A Markdown table as a renderer sees it: the text of each cell (code spans included).
#[derive(Debug, Default)]
struct MdTable {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Debug, Default)]
struct Md {
    /// (level, text) of every heading, in order.
    headings: Vec<(HeadingLevel, String)>,
    tables: Vec<MdTable>,
    /// Raw HTML the renderer would pass through.
    html: Vec<String>,
    /// Markup found where only text belongs: links, emphasis, math, inline HTML.
    injected: Vec<String>,
    /// The text of every paragraph and list item, markup removed.
    text: String,
}

fn parse_markdown(md: &str) -> Md {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM;
    let mut doc = Md::default();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut table: Option<MdTable> = None;
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<String> = None;
    for event in Parser::new_ext(md, options) {
        // Where text goes: the open cell, else the open heading, else the body.
        let sink = match (cell.as_mut(), heading.as_mut()) {
            (Some(c), _) => c,
            (None, Some((_, h))) => h,
            (None, None) => &mut doc.text,
        };
        match event {
            Event::Text(t) | Event::Code(t) => sink.push_str(&t),
            Event::SoftBreak | Event::HardBreak => sink.push('\n'),
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => doc.headings.extend(heading.take()),
            Event::Start(Tag::Table(_)) => table = Some(MdTable::default()),
            Event::End(TagEnd::Table) => doc.tables.extend(table.take()),
            Event::End(TagEnd::TableHead) => {
                if let Some(t) = table.as_mut() {
                    t.head = std::mem::take(&mut row);
                }
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.rows.push(std::mem::take(&mut row));
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => row.extend(cell.take()),
            Event::End(TagEnd::Paragraph | TagEnd::Item) | Event::Start(Tag::List(_)) => {
                doc.text.push('\n');
            }
            Event::Html(h) => doc.html.push(h.to_string()),
            Event::InlineHtml(h) => doc.injected.push(format!("inline html {h}")),
            Event::InlineMath(m) | Event::DisplayMath(m) => doc.injected.push(format!("math {m}")),
            Event::Start(
                t @ (Tag::Link { .. } | Tag::Image { .. } | Tag::Emphasis | Tag::Strikethrough),
            ) => doc.injected.push(format!("{t:?}")),
            Event::Start(Tag::Strong) if cell.is_some() => {
                doc.injected.push("strong in a table cell".into());
            }
            _ => {}
        }
    }
    doc
}

/// The root cause and its fix come before the table; the table has one well-formed row per
/// check; the headline names the status, host, time and version.
#[test]
fn markdown_of_a_broken_config_leads_with_the_root_cause_and_renders_one_row_per_check() {
    let out = doctor(&root())
        .args([
            "check",
            "--only",
            "config.*",
            "--format",
            "markdown",
            "--config",
            "fixtures/config/invalid/negative-ttl.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    let doc = parse_markdown(&md);

    let (level, headline) = &doc.headings[0];
    assert_eq!(*level, HeadingLevel::H2);
    assert!(headline.contains("FAIL"), "{headline}");
    let json = json_report(
        &doctor(&root())
            .args([
                "--only",
                "config.*",
                "--format",
                "json",
                "--config",
                "fixtures/config/invalid/negative-ttl.yaml",
            ])
            .output()
            .unwrap(),
    );
    let host = json["host"]["hostname"].as_str().unwrap();
    assert!(headline.contains(host), "{headline}");
    assert!(
        doc.text
            .contains(&format!("autoglm-doctor {}", env!("CARGO_PKG_VERSION")))
    );
    assert!(doc.text.contains(" UTC"), "no time in {}", doc.text);

    let sections: Vec<&str> = doc.headings[1..]
        .iter()
        .filter(|(l, _)| *l == HeadingLevel::H3)
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(sections, ["Root cause", "Checks", "Findings"]);
    // The first thing after the headline: the root cause with its fix and location.
    assert!(
        doc.text
            .contains("\nconfig.schema — `auth.token_ttl` is -3600, below the minimum 1\n"),
        "{}",
        doc.text
    );
    assert!(doc.text.contains(
        "Fix: set `auth.token_ttl` at fixtures/config/invalid/negative-ttl.yaml:8 to at least 1"
    ));
    assert!(
        doc.text
            .contains("Where: fixtures/config/invalid/negative-ttl.yaml:8:14")
    );

    assert_eq!(doc.tables.len(), 1);
    let table = &doc.tables[0];
    assert_eq!(table.head, ["Status", "Check", "Message", "Time"]);
    let ids: Vec<&str> = table.rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        ids,
        [
            "config.file",
            "config.syntax",
            "config.lint",
            "config.schema",
            "config.credentials"
        ]
    );
    for row in &table.rows {
        assert_eq!(row.len(), 4, "{row:?}");
    }
    assert_eq!(table.rows[3][0], "❌ fail");
    assert_eq!(
        table.rows[3][2],
        "`auth.token_ttl` is -3600, below the minimum 1"
    );
    assert!(doc.injected.is_empty(), "{:?}", doc.injected);
    // Only the collapsible evidence blocks are HTML.
    for h in &doc.html {
        assert!(
            h.starts_with("<details><summary>") || h.trim() == "</details>",
            "{h}"
        );
    }
    assert!(
        doc.html
            .iter()
            .any(|h| h.contains("Evidence of <code>config.schema</code>"))
    );
    assert!(
        md.contains("  8 |   token_ttl: -3600\n    |              ^\n"),
        "{md}"
    );
}

/// Pipes and backticks in a path, and markup in a plugin's message, stay text: the table
/// keeps its shape and the cells read exactly what was reported.
#[test]
fn markdown_escapes_what_would_break_the_table_or_inject_markup() {
    let dir = tempfile::tempdir().unwrap();
    let weird = dir.path().join("a|b`c");
    std::fs::create_dir(&weird).unwrap();
    let config = weird.join("node|1.yaml");
    std::fs::copy(
        root().join("fixtures/config/invalid/negative-ttl.yaml"),
        &config,
    )
    .unwrap();
    let hostile =
        "CRITICAL - *bold* _it_ [link](http://127.0.0.1/) <b>x</b> ~~s~~ $a$ $b$ \\ &amp; `tick`";
    let suite = write_suite(
        dir.path(),
        "s.yaml",
        &format!(
            "name: hostile\nchecks:\n  - id: config.file\n    kind: config.file\n  - id: config.syntax\n    kind: config.syntax\n    needs: [config.file]\n  - id: config.schema\n    kind: config.schema\n    needs: [config.syntax]\n  - id: plugin\n    kind: exec\n    with:\n      command: [sh, -c, {}]\n",
            serde_json::to_string(&format!("printf '%s\\n' '{hostile}'; exit 2")).unwrap()
        ),
    );
    let out = doctor(dir.path())
        .args(["check", "--format", "markdown", "--suite"])
        .arg(&suite)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let md = stdout(&out);
    let doc = parse_markdown(&md);
    assert!(doc.injected.is_empty(), "{:?}\n{md}", doc.injected);
    assert_eq!(doc.tables.len(), 1, "{md}");
    let table = &doc.tables[0];
    assert_eq!(table.rows.len(), 4, "{md}");
    for row in &table.rows {
        assert_eq!(row.len(), 4, "{row:?}\n{md}");
    }
    let by_id = |id: &str| table.rows.iter().find(|r| r[1] == id).unwrap();
    assert_eq!(by_id("plugin")[2], hostile);
    let file_message = &by_id("config.file")[2];
    assert!(
        file_message.contains(&config.display().to_string()),
        "{file_message}\n{md}"
    );
    // The location of the schema finding, with its pipes and backtick, as a code span.
    assert!(
        doc.text
            .contains(&format!("Where: {}:8:14", config.display())),
        "{}",
        doc.text
    );
    for h in &doc.html {
        assert!(
            h.starts_with("<details><summary>") || h.trim() == "</details>",
            "{h}"
        );
    }
}
