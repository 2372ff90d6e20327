//! Codes as a public contract: every name the doctor ever reported still resolves, and
//! every rename is recorded.

use super::*;

/// The codes listed in docs/codes.md before the naming rule (kept as a fixture).
fn previous_codes() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("fixtures/codes/previous-codes.md")).unwrap();
    let codes: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    assert!(codes.len() > 200, "fixture lists {} codes", codes.len());
    codes
}

fn explain_json(code: &str) -> serde_json::Value {
    let out = doctor(&root())
        .args(["explain", "--format", "json", code])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{code}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn explain_resolves_every_previous_code() {
    let current: std::collections::HashSet<&str> = autoglm_doctor::check::all_codes()
        .iter()
        .map(|c| c.code.name)
        .collect();
    for old in previous_codes() {
        let resolved = autoglm_doctor::check::resolve_code(&old)
            .unwrap_or_else(|| panic!("`explain {old}` does not resolve"));
        if !current.contains(old.as_str()) {
            // Renamed: the text says so and names the new code.
            let out = doctor(&root()).args(["explain", &old]).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{old}");
            let text = stdout(&out);
            assert!(
                text.starts_with(&format!("`{old}` was renamed")),
                "{old}: {text}"
            );
            match resolved {
                autoglm_doctor::check::Resolved::Code { doc, .. } => {
                    assert!(text.contains(doc.code.name), "{old}: {text}");
                }
                autoglm_doctor::check::Resolved::Generated { condition, .. } => {
                    assert!(
                        text.contains(&format!("<kind>.{condition}")),
                        "{old}: {text}"
                    );
                }
            }
        }
    }
}

#[test]
fn explain_json_prints_the_canonical_code_with_its_aliases() {
    let v = explain_json("api.unreachable");
    assert_eq!(
        v,
        serde_json::json!({
            "code": "api-version.connection-failed",
            "aliases": ["api.unreachable"],
            "status": "fail",
            "summary": v["summary"],
            "remediation": v["remediation"],
        })
    );
    assert!(!v["summary"].as_str().unwrap().is_empty());
    assert_eq!(explain_json("api-version.connection-failed"), v);
    let t = explain_json("config.file.timeout");
    assert_eq!(t["code"], "config-file.timeout");
    assert_eq!(t["aliases"], serde_json::json!(["config.file.timeout"]));
    let fresh = explain_json("tcp.refused");
    assert_eq!(fresh["aliases"], serde_json::json!([]));
    assert_eq!(fresh["status"], "fail");
    let blocked = explain_json("doctor.blocked");
    assert_eq!(blocked["code"], "<kind>.blocked");
    assert_eq!(blocked["status"], "skip");
    // A kind is not a code.
    let out = doctor(&root())
        .args(["explain", "--format", "json", "tcp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn changelog_lists_every_rename() {
    let log = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    for c in autoglm_doctor::check::all_codes() {
        for alias in &c.aliases {
            let generated = c.kind.generated.timeout.name == c.code.name;
            let line = format!("| `{alias}` | `{}` |", c.code.name);
            assert!(
                generated || log.contains(&line),
                "CHANGELOG.md lacks the rename {line}"
            );
        }
    }
    for k in autoglm_doctor::check::KINDS {
        for alias in k.aliases {
            let line = format!("| `{alias}` | `{}` |", k.name);
            assert!(
                log.contains(&line),
                "CHANGELOG.md lacks the kind rename {line}"
            );
        }
    }
    for (old, condition) in autoglm_doctor::check::GENERATED_RENAMES {
        assert!(
            log.contains(&format!("| `{old}` | `<kind>.{condition}`")),
            "CHANGELOG.md lacks {old}"
        );
    }
}

#[test]
fn suites_may_still_use_the_earlier_kind_names() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("old.yaml");
    std::fs::write(
        &suite,
        "checks:\n  - id: config.file\n    kind: config.file\n  - id: config.syntax\n    kind: config.syntax\n",
    )
    .unwrap();
    let out = doctor(dir.path())
        .args(["list", "--format", "json", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["checks"][0]["kind"], "config-file");
    assert_eq!(list["checks"][1]["kind"], "config-syntax");
    // The implicit need follows the kind, whatever name the suite used.
    assert_eq!(
        list["checks"][1]["needs"],
        serde_json::json!(["config.file"])
    );
}
