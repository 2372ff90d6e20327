//! Conformance of `config.lint` with Python yamllint (the reference implementation), for
//! both presets, through the shipped pipeline (`config.file`, `config.syntax`,
//! `config.lint`):
//! - on the lint fixtures, the (line, column, rule) sets must match, except for the
//!   divergences listed below with their reason;
//! - on the real-world corpus (fixtures/lint-corpus: Kubernetes manifests, Prometheus
//!   operator manifests, GitHub workflows, Ansible playbooks, Helm values), precision,
//!   recall and the share of identical files are measured per rule and per preset and must
//!   stay at the figures docs/lint.md reports.
//!
//! yamllint comes from PyPI (the test script installs the pinned version); without it this
//! test fails rather than passing vacuously.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::*;

type Problem = (usize, usize, String);

/// Known, explained divergences: (fixture, preset, problem, present in yamllint (true) or
/// only in ours (false), reason).
const DIVERGENCES: &[(&str, &str, (usize, usize, &str), bool, &str)] = &[
    (
        "syntax-error.yaml",
        "relaxed",
        (4, 1, "syntax"),
        true,
        "PyYAML reports an unclosed flow sequence where the stream ends; the engine where the sequence's line ends",
    ),
    (
        "syntax-error.yaml",
        "relaxed",
        (3, 6, "syntax"),
        false,
        "as above",
    ),
    (
        "syntax-error.yaml",
        "default",
        (4, 1, "syntax"),
        true,
        "as above",
    ),
    (
        "syntax-error.yaml",
        "default",
        (3, 6, "syntax"),
        false,
        "as above",
    ),
    (
        "trailing-spaces.yaml",
        "relaxed",
        (2, 20, "syntax"),
        true,
        "PyYAML rejects a trailing tab after a plain scalar, which YAML 1.2 allows as white space; the engine reports it as trailing-spaces",
    ),
    (
        "trailing-spaces.yaml",
        "relaxed",
        (2, 20, "trailing-spaces"),
        false,
        "as above",
    ),
    (
        "trailing-spaces.yaml",
        "default",
        (2, 20, "syntax"),
        true,
        "as above",
    ),
    (
        "trailing-spaces.yaml",
        "default",
        (2, 20, "trailing-spaces"),
        false,
        "as above",
    ),
];

fn yamllint() -> String {
    std::env::var("YAMLLINT").unwrap_or_else(|_| "yamllint".into())
}

fn reference(preset: &str, file: &Path) -> BTreeSet<Problem> {
    let out = std::process::Command::new(yamllint())
        .args(["-f", "parsable", "-d", preset])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run yamllint ({e}); scripts/test.sh installs the pinned version in target/venv"));
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter_map(|l| {
            // path:line:col: [level] message (rule)
            let rest = l.strip_prefix(&format!("{}:", file.display()))?;
            let mut parts = rest.splitn(3, ':');
            let line = parts.next()?.parse().ok()?;
            let col = parts.next()?.parse().ok()?;
            let rule = parts
                .next()?
                .trim_end()
                .rsplit_once('(')?
                .1
                .trim_end_matches(')')
                .to_string();
            Some((line, col, rule))
        })
        .collect()
}

fn ours(preset: &str, file: &Path, dir: &Path) -> BTreeSet<Problem> {
    let suite = write_suite(
        dir,
        &format!("lint-{preset}.yaml"),
        &format!(
            "checks:\n  - id: file\n    kind: config-file\n  - id: syntax\n    kind: config-syntax\n    needs: [file]\n  - id: lint\n    kind: config-lint\n    needs: [file]\n    with:\n      preset: {preset}\n"
        ),
    );
    let out = doctor(dir)
        .args(["--format", "json", "--suite"])
        .arg(&suite)
        .arg("--config")
        .arg(file)
        .output()
        .unwrap();
    let report = json_report(&out);
    result(&report, "lint")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "pass")
        .map(|f| {
            (
                f["location"]["line"].as_u64().unwrap() as usize,
                f["location"]["column"].as_u64().unwrap() as usize,
                f["evidence"]["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn config_lint_matches_python_yamllint_on_the_lint_fixtures() {
    if !require_tool(
        &yamllint(),
        "yamllint from PyPI; scripts/test.sh installs the pinned version in target/venv",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/lint"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for preset in ["relaxed", "default"] {
        for file in &files {
            let name = file.file_name().unwrap().to_str().unwrap();
            let mut want = reference(preset, file);
            let mut got = ours(preset, file, dir.path());
            for (f, p, (line, col, rule), in_reference, _why) in DIVERGENCES {
                if *f == name && *p == preset {
                    let problem = (*line, *col, (*rule).to_string());
                    if *in_reference {
                        assert!(
                            want.remove(&problem),
                            "listed divergence {problem:?} no longer in yamllint's output for {name}"
                        );
                    } else {
                        assert!(
                            got.remove(&problem),
                            "listed divergence {problem:?} no longer in our output for {name}"
                        );
                    }
                }
            }
            compared += want.len();
            if want != got {
                mismatches.push(format!(
                    "{preset} {name}:\n  yamllint only: {:?}\n  ours only:     {:?}",
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(
        compared > 30,
        "yamllint reported only {compared} problems: is it installed and working?"
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Reads yamllint's parsable output for many files at once: path → problems.
fn reference_many(
    preset: &str,
    files: &[PathBuf],
) -> std::collections::HashMap<PathBuf, BTreeSet<Problem>> {
    let mut all = std::collections::HashMap::new();
    for chunk in files.chunks(100) {
        let out = std::process::Command::new(yamllint())
            .args(["-f", "parsable", "-d", preset])
            .args(chunk)
            .output()
            .unwrap_or_else(|e| panic!("cannot run yamllint ({e}); scripts/test.sh installs the pinned version in target/venv"));
        let text = String::from_utf8_lossy(&out.stdout);
        for l in text.lines() {
            // path:line:col: [level] message (rule); the path itself holds no `:`.
            let mut parts = l.splitn(4, ':');
            let (Some(path), Some(line), Some(col), Some(rest)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(line), Ok(col)) = (line.parse(), col.parse()) else {
                continue;
            };
            let Some((_, rule)) = rest.trim_end().rsplit_once('(') else {
                continue;
            };
            all.entry(PathBuf::from(path))
                .or_insert_with(BTreeSet::new)
                .insert((line, col, rule.trim_end_matches(')').to_string()));
        }
    }
    all
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Per-rule counts of agreeing, extra and missing problems.
#[derive(Default)]
struct Tally {
    true_pos: usize,
    false_pos: usize,
    false_neg: usize,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        f64::from(u32::try_from(num).unwrap()) / f64::from(u32::try_from(den).unwrap())
    }
}

#[test]
fn config_lint_agrees_with_python_yamllint_on_the_real_world_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    corpus_files(&root().join("fixtures/lint-corpus"), &mut files);
    files.sort();
    assert!(files.len() >= 150, "corpus has {} files", files.len());
    let mut failures = Vec::new();
    let mut report = String::new();
    for preset in ["default", "relaxed"] {
        let want_all = reference_many(preset, &files);
        let mut rules = std::collections::BTreeMap::<String, Tally>::new();
        let mut identical = 0;
        let mut differing = Vec::new();
        for file in &files {
            let want = want_all.get(file).cloned().unwrap_or_default();
            let got = ours(preset, file, dir.path());
            for p in want.intersection(&got) {
                rules.entry(p.2.clone()).or_default().true_pos += 1;
            }
            for p in got.difference(&want) {
                rules.entry(p.2.clone()).or_default().false_pos += 1;
            }
            for p in want.difference(&got) {
                rules.entry(p.2.clone()).or_default().false_neg += 1;
            }
            if want == got {
                identical += 1;
            } else {
                differing.push(format!(
                    "  {}: yamllint only {:?}, ours only {:?}",
                    file.strip_prefix(root()).unwrap_or(file).display(),
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>()
                ));
            }
        }
        let tp: usize = rules.values().map(|t| t.true_pos).sum();
        let fp: usize = rules.values().map(|t| t.false_pos).sum();
        let fneg: usize = rules.values().map(|t| t.false_neg).sum();
        let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, tp + fneg));
        let same = ratio(identical, files.len());
        let _ = writeln!(
            report,
            "{preset}: {} files, {identical} identical ({same:.3}); precision {precision:.4}, recall {recall:.4} ({tp} agreeing, {fp} extra, {fneg} missing)",
            files.len()
        );
        for (rule, t) in &rules {
            let _ = writeln!(
                report,
                "  {rule:<24} precision {:.4} recall {:.4} ({} agreeing, {} extra, {} missing)",
                ratio(t.true_pos, t.true_pos + t.false_pos),
                ratio(t.true_pos, t.true_pos + t.false_neg),
                t.true_pos,
                t.false_pos,
                t.false_neg
            );
        }
        report += &differing.join("\n");
        report += "\n";
        // The figures docs/lint.md reports; a change of the engine that loses agreement
        // fails here.
        if precision < 0.99 || recall < 0.99 || same < 0.98 {
            failures.push(preset);
        }
    }
    assert!(
        tally_is_meaningful(&report),
        "yamllint reported too few problems: is it installed and working?\n{report}"
    );
    println!("{report}");
    assert!(
        failures.is_empty(),
        "agreement fell for {failures:?}:\n{report}"
    );
}

/// The corpus holds hundreds of problems under `default`; a report without them means
/// yamllint did not run.
fn tally_is_meaningful(report: &str) -> bool {
    report
        .lines()
        .next()
        .and_then(|l| l.split('(').nth(2))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .is_some_and(|n| n > 500)
}

/// In the shipped suites the lint waits for the file, not for the syntax check: a file of
/// several documents, or a top-level list, is linted (as yamllint does) while config.syntax
/// says what is wrong with its shape.
#[test]
fn shipped_suite_lints_files_whatever_their_shape() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, at) in [
        (
            "two-documents.yaml",
            "a:\n  x: 1\n---\nb:\n      c: 1\n",
            (5, 7),
        ),
        ("list.yaml", "- a:\n    x: 1\n- b:\n      c: 1\n", (4, 7)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = doctor(dir.path())
            .args([
                "check",
                "--offline",
                "--only",
                "config.syntax,config.lint",
                "--format",
                "json",
                "--config",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let report = json_report(&out);
        assert_eq!(result(&report, "config.syntax")["status"], "fail", "{name}");
        let lint = result(&report, "config.lint");
        let indentation = lint["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["evidence"]["rule"] == "indentation")
            .unwrap_or_else(|| panic!("{name}: no indentation finding in {lint}"));
        assert_eq!(
            (
                indentation["location"]["line"].as_u64(),
                indentation["location"]["column"].as_u64()
            ),
            (Some(at.0), Some(at.1)),
            "{name}"
        );
    }
}
