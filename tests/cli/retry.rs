//! `--retry-timeout` and `--sleep`: failing checks (and what they block) run again until
//! everything passes or time is up, as a CI job waiting for the master to come up needs;
//! each result says how many attempts it took. Checks count their own runs in files, so
//! nothing here depends on how long anything takes.

use super::*;

fn entry(id: &str, needs: &[&str], script: &str) -> String {
    let needs = if needs.is_empty() {
        String::new()
    } else {
        format!("    needs: [{}]\n", needs.join(", "))
    };
    format!(
        "  - id: {id}\n    kind: exec\n{needs}    with:\n      command: [sh, -c, {}]\n",
        serde_json::to_string(script).unwrap()
    )
}

/// A plugin that fails (or warns) until its `n`-th run, counting runs in `<id>.runs`.
fn until_run(id: &str, n: u32, failing_exit: u8) -> String {
    format!(
        "echo run >> {id}.runs; r=$(wc -l < {id}.runs); if [ \"$r\" -ge {n} ]; then echo \"OK - up after $r runs\"; else echo \"CRITICAL - down (run $r)\"; exit {failing_exit}; fi"
    )
}

fn runs(dir: &Path, id: &str) -> usize {
    std::fs::read_to_string(dir.join(format!("{id}.runs"))).map_or(0, |s| s.lines().count())
}

fn attempts(report: &serde_json::Value, id: &str) -> u64 {
    result(report, id)["attempts"].as_u64().unwrap()
}

#[test]
fn failing_checks_and_what_they_block_run_again_until_they_pass() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        "s.yaml",
        &format!(
            "name: wait\nchecks:\n{}{}{}",
            entry("master", &[], &until_run("master", 3, 2)),
            entry("api", &["master"], "echo run >> api.runs; echo 'OK - api'"),
            entry("local", &[], "echo run >> local.runs; echo 'OK - local'"),
        ),
    );
    let out = doctor(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--retry-timeout",
            "1m",
            "--sleep",
            "50ms",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report = json_report(&out);
    assert_eq!(report["status"], "pass");
    assert_eq!(result(&report, "master")["message"], "OK - up after 3 runs");
    assert_eq!(attempts(&report, "master"), 3);
    // Blocked in the first two attempts, run once in the third.
    assert_eq!(attempts(&report, "api"), 1);
    assert_eq!(runs(dir.path(), "api"), 1);
    // What passed is kept, not run again.
    assert_eq!(attempts(&report, "local"), 1);
    assert_eq!(runs(dir.path(), "local"), 1);

    // The table says it too.
    std::fs::remove_file(dir.path().join("master.runs")).unwrap();
    let out = doctor(dir.path())
        .args([
            "check",
            "--retry-timeout",
            "1m",
            "--sleep",
            "50ms",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("ATTEMPTS"), "{text}");
    assert!(text.trim_end().ends_with(", 3 attempts"), "{text}");
}

#[test]
fn without_retry_timeout_a_failure_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        "s.yaml",
        &format!(
            "checks:\n{}",
            entry("master", &[], &until_run("master", 2, 2))
        ),
    );
    let out = doctor(dir.path())
        .args(["check", "--format", "json", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    assert_eq!(attempts(&report, "master"), 1);
    assert_eq!(runs(dir.path(), "master"), 1);
}

#[test]
fn when_time_is_up_the_last_attempt_is_reported_and_the_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        "s.yaml",
        &format!(
            "checks:\n{}{}",
            entry(
                "down",
                &[],
                "echo run >> down.runs; echo 'CRITICAL - refused'; exit 2"
            ),
            entry("after", &["down"], "echo 'OK'"),
        ),
    );
    let out = doctor(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--retry-timeout",
            "3s",
            "--sleep",
            "100ms",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let n = attempts(&report, "down");
    assert!(n >= 2, "only {n} attempts in 3s");
    assert_eq!(n as usize, runs(dir.path(), "down"));
    assert_eq!(result(&report, "after")["status"], "skip");
    assert_eq!(attempts(&report, "after"), 0);
    assert_eq!(report["root_causes"], serde_json::json!(["down"]));
}

#[test]
fn warnings_are_retried_only_when_they_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        "s.yaml",
        &format!("checks:\n{}", entry("disk", &[], &until_run("disk", 2, 1))),
    );
    let run = |fail_on: &str| {
        let _ = std::fs::remove_file(dir.path().join("disk.runs"));
        let out = doctor(dir.path())
            .args([
                "check",
                "--format",
                "json",
                "--retry-timeout",
                "1m",
                "--sleep",
                "50ms",
            ])
            .args(["--fail-on", fail_on, "--suite"])
            .arg(&suite)
            .output()
            .unwrap();
        (out.status.code(), json_report(&out))
    };
    let (code, report) = run("fail");
    assert_eq!(code, Some(0));
    assert_eq!(result(&report, "disk")["status"], "warn");
    assert_eq!(attempts(&report, "disk"), 1);
    let (code, report) = run("warn");
    assert_eq!(code, Some(0));
    assert_eq!(result(&report, "disk")["status"], "pass");
    assert_eq!(attempts(&report, "disk"), 2);
}

#[test]
fn sleep_without_retry_timeout_is_a_usage_error() {
    let out = doctor(&root())
        .args(["check", "--sleep", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--retry-timeout"), "{err}");
}
