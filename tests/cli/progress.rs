//! The progress display: only on a terminal, only on standard error, never in the report.

use super::*;

fn suite(dir: &Path) -> PathBuf {
    write_suite(
        dir,
        "s.yaml",
        "name: progress\nchecks:\n  - id: quick\n    kind: exec\n    with:\n      command: [sh, -c, \"echo OK - quick\"]\n  - id: slow\n    kind: exec\n    with:\n      command: [sh, -c, \"sleep 0.5; echo OK - slow\"]\n",
    )
}

#[test]
fn nothing_is_printed_on_stderr_when_it_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite(dir.path());
    for format in ["table", "json", "junit", "markdown"] {
        let out = doctor(dir.path())
            .env("CI", "true")
            .args(["check", "--format", format, "--suite"])
            .arg(&s)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stderr.is_empty(), "{format}: {}", stderr(&out));
        assert!(!out.stdout.contains(&b'\x1b'), "{format}: escape on stdout");
    }
}

/// Under a pseudo-terminal (util-linux `script`), with standard output redirected to a
/// file: the progress line appears on the terminal and is erased; the report file holds the
/// report alone.
#[test]
fn on_a_terminal_progress_goes_to_stderr_and_the_report_stays_clean() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite(dir.path());
    let report = dir.path().join("report.json");
    let bin = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let inner = format!(
        "'{}' check --format json --suite '{}' > '{}'",
        bin.display(),
        s.display(),
        report.display()
    );
    if !require("script", "bsdutils") {
        return;
    }
    let out = assert_cmd::Command::new("script")
        .current_dir(dir.path())
        .env_remove("AUTOGLM_CONFIG")
        .env("COLUMNS", "200")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("script(1) from util-linux runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let terminal = stdout(&out);
    assert!(terminal.contains("running: slow"), "{terminal:?}");
    assert!(terminal.contains("[1/2]"), "{terminal:?}");
    // The line is erased before the run ends, and it never scrolls.
    assert!(terminal.ends_with("\r\x1b[2K"), "{terminal:?}");
    assert!(!terminal.contains('\n'), "{terminal:?}");
    assert!(
        !terminal.contains("schema_version"),
        "report on the terminal"
    );
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains('\x1b'), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status"], "pass");
}
