//! Conformance of `config.lint` with Python yamllint (the reference implementation), on
//! the lint fixtures, for both presets: the (line, column, rule) sets must match, except
//! for the divergences listed below with their reason.
//!
//! yamllint comes from PyPI (the test script installs the pinned version); without it this
//! test fails rather than passing vacuously.

use std::collections::BTreeSet;

use super::*;

type Problem = (usize, usize, String);

/// Known, explained divergences: (fixture, preset, problem, present in yamllint (true) or
/// only in ours (false), reason).
const DIVERGENCES: &[(&str, &str, (usize, usize, &str), bool, &str)] = &[
    (
        "indentation-inconsistent.yaml",
        "relaxed",
        (8, 7, "indentation"),
        false,
        "after reporting an over-indented child, the engine also reports its sibling at the same (wrong) depth; yamllint accepts siblings consistent with each other",
    ),
    (
        "indentation-inconsistent.yaml",
        "default",
        (8, 7, "indentation"),
        false,
        "as above",
    ),
    (
        "sequences-anchors.yaml",
        "default",
        (3, 1, "indentation"),
        false,
        "with indent-sequences: true the engine reports every unindented sequence item; yamllint only the first",
    ),
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
        "syntax-error.yaml",
        "default",
        (1, 1, "document-start"),
        true,
        "on a syntax error the engine reports only the syntax error; yamllint still runs the line-based rules",
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
            "checks:\n  - id: file\n    kind: config.file\n  - id: lint\n    kind: config.lint\n    needs: [file]\n    with:\n      preset: {preset}\n"
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
