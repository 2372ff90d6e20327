//! The scheduler through the real binary, with `exec` checks running real processes:
//! causal order, blocking, timeouts, the deadline, the concurrency limit, Ctrl-C.

use super::*;

fn exec_entry(id: &str, needs: &[&str], script: &str, extra: &str) -> String {
    let needs = if needs.is_empty() {
        String::new()
    } else {
        format!("    needs: [{}]\n", needs.join(", "))
    };
    format!(
        "  - id: {id}\n    kind: exec\n{needs}{extra}    with:\n      command: [sh, -c, {}]\n",
        serde_json::to_string(script).unwrap()
    )
}

fn suite(dir: &Path, entries: &[String]) -> PathBuf {
    write_suite(
        dir,
        "suite.yaml",
        &format!("name: test\nchecks:\n{}", entries.concat()),
    )
}

fn run(dir: &Path, suite: &Path, extra: &[&str]) -> Output {
    doctor(dir)
        .args(["check", "--format", "json", "--suite"])
        .arg(suite)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_check_runs_after_its_needs_and_sees_their_effects() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite(
        dir.path(),
        &[
            exec_entry(
                "second",
                &["first"],
                "test -f marker && echo 'OK - marker seen'",
                "",
            ),
            exec_entry(
                "first",
                &[],
                "sleep 0.2; touch marker; echo 'OK - wrote marker'",
                "",
            ),
        ],
    );
    let out = run(dir.path(), &s, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report = json_report(&out);
    assert_eq!(result(&report, "second")["message"], "OK - marker seen");
    // Plan (suite) order, not completion order.
    assert_eq!(report["results"][0]["id"], "second");
}

#[test]
fn a_failed_need_blocks_its_dependents_and_is_the_root_cause() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite(
        dir.path(),
        &[
            exec_entry("dns", &[], "echo 'CRITICAL - NXDOMAIN'; exit 2", ""),
            exec_entry("tcp", &["dns"], "echo 'OK'", ""),
            exec_entry("tls", &["tcp"], "echo 'OK'", ""),
            exec_entry("other", &[], "echo 'CRITICAL - unrelated'; exit 2", ""),
        ],
    );
    let out = run(dir.path(), &s, &[]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let tcp = result(&report, "tcp");
    assert_eq!(tcp["status"], "skip");
    assert_eq!(tcp["code"], "exec.blocked");
    assert_eq!(tcp["cause"], "dependency");
    assert_eq!(tcp["blocked_by"], serde_json::json!(["dns"]));
    assert_eq!(
        result(&report, "tls")["blocked_by"],
        serde_json::json!(["tcp"])
    );
    assert_eq!(report["root_causes"], serde_json::json!(["dns", "other"]));
    assert_eq!(result(&report, "dns")["code"], "exec.critical");
}

#[test]
fn a_check_over_its_timeout_fails_with_kind_timeout_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let entries = format!(
        "{}  - id: hang\n    kind: exec\n    timeout: 300ms\n    with:\n      command: [sleep, \"30\"]\n",
        exec_entry("quick", &[], "echo OK", "")
    );
    let s = write_suite(dir.path(), "suite.yaml", &format!("checks:\n{entries}"));
    let out = run(dir.path(), &s, &[]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let hang = result(&report, "hang");
    assert_eq!(hang["status"], "fail");
    assert_eq!(hang["code"], "exec.timeout");
    assert_eq!(hang["cause"], "timeout");
    assert_eq!(
        hang["message"],
        "did not finish within its timeout of 300ms"
    );
    assert_eq!(result(&report, "quick")["status"], "pass");
}

#[test]
fn the_deadline_bounds_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let entries = format!(
        "  - id: slow\n    kind: exec\n    timeout: 1m\n    with:\n      command: [sleep, \"30\"]\n{}",
        exec_entry("after", &["slow"], "echo OK", "")
    );
    let s = write_suite(dir.path(), "suite.yaml", &format!("checks:\n{entries}"));
    let started = std::time::Instant::now();
    let out = run(dir.path(), &s, &["--deadline", "500ms"]);
    // The process's wall time, start-up and report included: a correctness bound (the
    // deadline plus a generous margin), not a performance figure.
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_millis(1500),
        "the run took {took:?} with --deadline 500ms"
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let slow = result(&report, "slow");
    assert_eq!(slow["code"], "exec.timeout");
    assert_eq!(
        slow["message"],
        "still running when the run's --deadline of 500ms was reached"
    );
    let after = result(&report, "after");
    assert_eq!(after["status"], "skip");
    assert_eq!(after["cause"], "interrupted");
    assert!(stderr(&out).contains("--deadline of 500ms was reached"));
}

/// Each check records when it started and ended; with a limit of one they never overlap,
/// with room for all they do. No wall-clock threshold is asserted.
fn intervals(concurrency: &str) -> Vec<(u128, u128)> {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<String> = (0..3)
        .map(|i| {
            exec_entry(
                &format!("c{i}"),
                &[],
                &format!("date +%s%N > start{i}; sleep 0.3; date +%s%N > end{i}; echo OK"),
                "",
            )
        })
        .collect();
    let s = suite(dir.path(), &entries);
    let out = run(dir.path(), &s, &["--concurrency", concurrency]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let read = |n: String| {
        std::fs::read_to_string(dir.path().join(n))
            .unwrap()
            .trim()
            .parse::<u128>()
            .unwrap()
    };
    (0..3)
        .map(|i| (read(format!("start{i}")), read(format!("end{i}"))))
        .collect()
}

fn overlaps(v: &[(u128, u128)]) -> bool {
    v.iter()
        .enumerate()
        .any(|(i, a)| v.iter().skip(i + 1).any(|b| a.0 < b.1 && b.0 < a.1))
}

#[test]
fn concurrency_limit_is_respected_and_checks_run_concurrently_without_it() {
    assert!(
        !overlaps(&intervals("1")),
        "checks overlapped under --concurrency 1"
    );
    assert!(
        overlaps(&intervals("8")),
        "independent checks did not run concurrently"
    );
}

#[test]
fn ctrl_c_writes_the_partial_report_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let entries = format!(
        "{}  - id: long\n    kind: exec\n    timeout: 1m\n    with:\n      command: [sleep, \"30\"]\n",
        exec_entry("done", &[], "echo 'OK - finished'", "")
    );
    let s = write_suite(dir.path(), "suite.yaml", &format!("checks:\n{entries}"));
    let report_path = dir.path().join("report.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("autoglm-doctor"))
        .current_dir(dir.path())
        .args(["check", "--format", "json", "--suite"])
        .arg(&s)
        .arg("--output")
        .arg(&report_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the first check has finished, then interrupt.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("the doctor did not stop after SIGINT");
    };
    assert_eq!(status.code(), Some(130));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(result(&report, "long")["cause"], "interrupted");
    assert_eq!(result(&report, "done")["status"], "pass");
}

#[test]
fn warnings_exit_zero_unless_fail_on_warn() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite(
        dir.path(),
        &[exec_entry(
            "w",
            &[],
            "echo 'WARNING - disk 85% | used=85%;80;90'; exit 1",
            "",
        )],
    );
    let out = run(dir.path(), &s, &[]);
    assert_eq!(out.status.code(), Some(0));
    let report = json_report(&out);
    assert_eq!(result(&report, "w")["code"], "exec.warning");
    assert_eq!(
        result(&report, "w")["findings"][0]["evidence"]["perf.used"],
        "85%"
    );
    let out = run(dir.path(), &s, &["--fail-on", "warn"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn only_brings_needs_skip_drops_checks_offline_skips_network_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite(
        dir.path(),
        &[
            exec_entry("a", &[], "echo OK", ""),
            exec_entry("b", &["a"], "echo OK", ""),
            exec_entry("c", &[], "echo OK", ""),
        ],
    );
    let ids = |o: &Output| -> Vec<String> {
        json_report(o)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&run(dir.path(), &s, &["--only", "b"])), ["a", "b"]);
    assert_eq!(ids(&run(dir.path(), &s, &["--skip", "a,c"])), ["b"]);
    let out = run(dir.path(), &s, &["--offline"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json_report(&out);
    assert_eq!(result(&report, "c")["code"], "exec.not-probed");
    // A plugin declared local runs under --offline.
    let local = suite(
        dir.path(),
        &[exec_entry("disk", &[], "echo 'OK - local'", "")
            .replace("    with:\n", "    with:\n      network: false\n")],
    );
    let report = json_report(&run(dir.path(), &local, &["--offline"]));
    assert_eq!(result(&report, "disk")["status"], "pass");
    let out = run(dir.path(), &s, &["--only", "nothing-like-this"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("warning: pattern `nothing-like-this` matches no check in suite test")
    );
}

#[test]
fn config_references_resolve_and_unresolvable_ones_skip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = root().join("fixtures/config/valid/healthy.yaml");
    let text = format!(
        "checks:\n{}{}",
        exec_entry(
            "host",
            &[],
            "test \"$0\" = master.autoglm.test && test \"$1\" = 8443 && echo OK",
            ""
        )
        .replace(
            "]\n",
            ", \"${config.endpoint.host}\", \"${config.endpoint.port}\"]\n"
        ),
        exec_entry("missing", &[], "echo OK", "")
            .replace("]\n", ", \"${config.replication.peers}\"]\n"),
    );
    let s = write_suite(dir.path(), "suite.yaml", &text);
    let out = doctor(dir.path())
        .args(["--format", "json", "--config"])
        .arg(&cfg)
        .arg("--suite")
        .arg(&s)
        .output()
        .unwrap();
    let report = json_report(&out);
    assert_eq!(
        result(&report, "host")["status"],
        "pass",
        "{:#}",
        result(&report, "host")
    );
    let missing = result(&report, "missing");
    assert_eq!(missing["status"], "skip");
    assert_eq!(missing["code"], "exec.unresolved-reference");
    assert_eq!(
        missing["message"],
        format!(
            "not run: ${{config.replication.peers}} ({}:9:36) is not set in the node config",
            s.display()
        )
    );
}

#[test]
fn unset_env_reference_in_a_suite_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "checks:\n{}",
        exec_entry("x", &[], "echo OK", "")
            .replace("]\n", ", \"${env.AUTOGLM_TEST_NEVER_SET}\"]\n")
    );
    let s = write_suite(dir.path(), "suite.yaml", &text);
    let out = doctor(dir.path())
        .env_remove("AUTOGLM_TEST_NEVER_SET")
        .args(["--suite"])
        .arg(&s)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: suite {}:5:36: ${{env.AUTOGLM_TEST_NEVER_SET}} names an environment variable that is not set; export it or give a fallback like ${{env.NAME:-value}}\n",
            s.display()
        )
    );
}
