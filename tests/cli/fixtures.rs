//! Every fixture config, run through the real binary: broken ones fail with the code and
//! line recorded in their first line (`# expect: CODE line N`), the healthy one passes and
//! its JSON validates against `schema report`.

use super::*;

fn expectation(path: &Path) -> (String, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{} lacks `# expect:`", path.display()));
    let (code, line) = rest.split_once(" line ").unwrap();
    (code.trim().to_string(), line.trim().parse().unwrap())
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

#[test]
fn at_least_ten_broken_fixtures_each_with_an_expectation() {
    let all = invalid_fixtures();
    assert!(all.len() >= 10, "only {} broken fixtures", all.len());
    for f in all {
        expectation(&f);
    }
}

#[test]
fn each_broken_fixture_fails_with_its_recorded_code_and_line() {
    for path in invalid_fixtures() {
        let (code, line) = expectation(&path);
        let out = doctor(&root())
            .env_remove("AUTOGLM_FIXTURE_UNSET_API_KEY")
            .args(["check", "--format", "json", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        let report = json_report(&out);
        let found = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["findings"].as_array().unwrap().iter())
            .any(|f| {
                f["code"] == code.as_str()
                    && f["location"]["line"] == line
                    && f["location"]["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(path.file_name().unwrap().to_str().unwrap()))
            });
        assert!(
            found,
            "{}: expected {code} at line {line}, got:\n{:#}",
            path.display(),
            report["results"]
        );
        assert_eq!(report["status"], "fail");
        assert!(
            !report["root_causes"].as_array().unwrap().is_empty(),
            "{}",
            path.display()
        );
        // Every non-pass finding says how to fix it.
        for r in report["results"].as_array().unwrap() {
            for f in r["findings"].as_array().unwrap() {
                if f["status"] != "pass" {
                    assert!(
                        f["remediation"].as_str().is_some_and(|s| s.len() > 10),
                        "{}: no remediation in {f}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn healthy_fixture_passes_and_its_json_validates_against_the_report_schema() {
    let out = doctor(&root())
        .args([
            "check",
            "--format",
            "json",
            "--config",
            "fixtures/config/valid/healthy.yaml",
        ])
        .args(NOT_A_NODE)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let report = json_report(&out);
    assert_eq!(report["status"], "pass");
    assert_eq!(report["summary"]["fail"], 0);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["config"]["sha256"].as_str().map(str::len), Some(64));

    let schema_out = doctor(&root()).args(["schema", "report"]).output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&schema_out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The wire types refuse unknown fields: the report is exactly the documented format.
    let _: autoglm_doctor::render::json::ReportV1 = serde_json::from_value(report).unwrap();
}

#[test]
fn broken_reports_validate_against_the_schema_too() {
    let schema: serde_json::Value = serde_json::from_slice(
        &doctor(&root())
            .args(["schema", "report"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for path in invalid_fixtures() {
        let out = doctor(&root())
            .args(["--format", "json", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let report = json_report(&out);
        assert!(validator.is_valid(&report), "{}", path.display());
    }
}

#[test]
fn table_shows_the_offending_line_with_a_caret() {
    let out = doctor(&root())
        .args([
            "--config",
            "fixtures/config/invalid/negative-ttl.yaml",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("ROOT CAUSE config.schema — `auth.token_ttl` is -3600, below the minimum 1"),
        "{text}"
    );
    assert!(
        text.contains("       8 |   token_ttl: -3600\n         |              ^\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "fix: set `auth.token_ttl` at fixtures/config/invalid/negative-ttl.yaml:8 to at least 1"
        ),
        "{text}"
    );
}

/// Every valid fixture passes the config checks; the recovery policy block (strategy,
/// camelCase thresholds, checkpoint and replica backends) is part of the schema.
#[test]
fn every_valid_fixture_passes_the_config_checks() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("fixtures/config/valid")).unwrap() {
        let path = entry.unwrap().path();
        let out = doctor(&root())
            .args([
                "check",
                "--suite",
                "ci-preflight",
                "--format",
                "json",
                "--config",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            stdout(&out)
        );
        assert_eq!(json_report(&out)["summary"]["fail"], 0);
        n += 1;
    }
    assert!(n >= 2);
}

/// Hyphenated replication keys are not read by the node: each is named with the
/// snake_case key to rename it to.
#[test]
fn hyphenated_replication_keys_get_the_rename_hint() {
    let out = doctor(&root())
        .args([
            "check",
            "--suite",
            "ci-preflight",
            "--format",
            "json",
            "--config",
        ])
        .arg("fixtures/config/invalid/hyphenated-replication-keys.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let fixes: Vec<String> = result(&report, "config.schema")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["remediation"].as_str().unwrap().to_string())
        .collect();
    for (hyphen, snake) in [
        ("sync-interval", "sync_interval"),
        ("timeout-threshold", "timeout_threshold"),
        ("enable-failover", "enable_failover"),
    ] {
        assert!(
            fixes
                .iter()
                .any(|f| f.contains(&format!("rename `{hyphen}` to `{snake}`"))),
            "{fixes:#?}"
        );
    }
}
