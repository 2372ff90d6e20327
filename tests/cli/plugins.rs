//! The `exec` kind with real programs: Debian's monitoring-plugins (`check_tcp` against
//! loopback ports opened here), scripts of every exit status, a plugin that hangs with a
//! child of its own, one that leaves a background process behind, and one that floods its
//! output.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::time::Duration;

use super::*;

const CHECK_TCP: &str = "/usr/lib/nagios/plugins/check_tcp";

/// A suite of exec checks: (id, timeout, command).
fn suite_of(dir: &Path, checks: &[(&str, &str, Vec<String>)]) -> PathBuf {
    let mut text = String::from("name: plugins\nchecks:\n");
    for (id, timeout, command) in checks {
        writeln!(
            text,
            "  - id: {id}\n    kind: exec\n    timeout: {timeout}\n    with:\n      command: {}",
            serde_json::to_string(command).unwrap()
        )
        .unwrap();
    }
    write_suite(dir, "plugins.yaml", &text)
}

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

fn run_suite(dir: &Path, suite: &Path) -> (Output, serde_json::Value) {
    let out = doctor(dir)
        .args(["check", "--format", "json", "--suite"])
        .arg(suite)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

/// Whether a process is gone: no such pid, or only a zombie left for its new parent to reap.
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Wait (bounded) for a killed process to be gone; SIGKILL is delivered asynchronously.
fn wait_gone(pid: u32) -> bool {
    for _ in 0..200 {
        if gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} not written: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

fn require_check_tcp() -> bool {
    require(CHECK_TCP, "monitoring-plugins-basic")
}

#[test]
fn check_tcp_passes_on_an_open_loopback_port_and_fails_on_a_closed_one() {
    if !require_check_tcp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Listening is enough: the kernel completes the handshake from the backlog.
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let open_port = open.local_addr().unwrap().port();
    let closed_port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tcp = |port: u16| -> Vec<String> {
        [
            CHECK_TCP,
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "5",
        ]
        .map(String::from)
        .to_vec()
    };
    let s = suite_of(
        dir.path(),
        &[
            ("tcp.open", "10s", tcp(open_port)),
            ("tcp.closed", "10s", tcp(closed_port)),
        ],
    );
    let (out, report) = run_suite(dir.path(), &s);
    drop(open);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    let open = result(&report, "tcp.open");
    assert_eq!(open["status"], "pass", "{open:#}");
    let message = open["message"].as_str().unwrap();
    assert!(
        message.starts_with("TCP OK") && message.contains(&format!("port {open_port}")),
        "{message}"
    );
    assert!(
        open["findings"][0]["evidence"]["perf.time"]
            .as_str()
            .is_some_and(|t| t.ends_with('s')),
        "{open:#}"
    );

    let closed = result(&report, "tcp.closed");
    assert_eq!(closed["status"], "fail", "{closed:#}");
    assert_eq!(closed["code"], "exec.critical");
    assert!(
        closed["cause"].is_null(),
        "CRITICAL is a verdict, not a probe error"
    );
    assert!(
        closed["message"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{closed:#}"
    );
    assert_eq!(report["root_causes"], serde_json::json!(["tcp.closed"]));
}

#[test]
fn every_exit_status_maps_to_its_status_code_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str, Option<&str>, Option<&str>)] = &[
        ("ok", "echo 'OK - fine | load=0.5;1;2'", "pass", None, None),
        (
            "warning",
            "echo 'WARNING - 85% used'; exit 1",
            "warn",
            Some("exec.warning"),
            None,
        ),
        (
            "critical",
            "echo 'CRITICAL - down'; exit 2",
            "fail",
            Some("exec.critical"),
            None,
        ),
        (
            "unknown",
            "echo 'UNKNOWN - bad usage'; exit 3",
            "fail",
            Some("exec.unknown"),
            Some("probe_error"),
        ),
        (
            "other",
            "echo 'what'; exit 42",
            "fail",
            Some("exec.unknown"),
            Some("probe_error"),
        ),
        (
            "signalled",
            "kill -TERM $$",
            "fail",
            Some("exec.unknown"),
            Some("probe_error"),
        ),
        ("silent", "exit 0", "pass", None, None),
    ];
    let checks: Vec<(&str, &str, Vec<String>)> = cases
        .iter()
        .map(|(id, script, ..)| (*id, "10s", sh(script)))
        .collect();
    let mut checks = checks;
    checks.push((
        "missing",
        "10s",
        vec!["/nonexistent/check_nothing".to_string()],
    ));
    let s = suite_of(dir.path(), &checks);
    let (out, report) = run_suite(dir.path(), &s);
    assert_eq!(out.status.code(), Some(1));
    for (id, _, status, code, cause) in cases {
        let r = result(&report, id);
        assert_eq!(r["status"], *status, "{r:#}");
        assert_eq!(r["code"].as_str(), *code, "{r:#}");
        assert_eq!(r["cause"].as_str(), *cause, "{r:#}");
    }
    assert_eq!(result(&report, "ok")["message"], "OK - fine");
    assert_eq!(
        result(&report, "other")["message"],
        "what (exit status 42: UNKNOWN)"
    );
    assert_eq!(
        result(&report, "signalled")["message"],
        "sh was killed by signal 15"
    );
    assert_eq!(result(&report, "silent")["message"], "sh printed nothing");
    let missing = result(&report, "missing");
    assert_eq!(missing["code"], "exec.not-found");
    assert_eq!(missing["cause"], "probe_error");
}

/// Regression: on timeout only the plugin itself was killed; a process it started kept
/// running (and kept the output pipe open).
#[test]
fn a_hung_plugin_is_killed_with_its_whole_process_group_on_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let s = suite_of(
        dir.path(),
        &[(
            "hang",
            "2s",
            sh(&format!(
                "sleep 300 & echo $! > {}; wait",
                pid_file.display()
            )),
        )],
    );
    let (out, report) = run_suite(dir.path(), &s);
    assert_eq!(out.status.code(), Some(1));
    let hang = result(&report, "hang");
    assert_eq!(hang["code"], "exec.timeout", "{hang:#}");
    assert_eq!(hang["cause"], "timeout");
    let grandchild = read_pid(&pid_file);
    assert!(
        wait_gone(grandchild),
        "the plugin's child {grandchild} outlived the check"
    );
}

#[test]
fn a_plugin_that_exits_leaving_a_background_process_is_judged_and_its_leftover_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("leftover.pid");
    let s = suite_of(
        dir.path(),
        &[(
            "leaves",
            "1m",
            sh(&format!(
                "sleep 300 & echo $! > {}; echo 'OK - started'",
                pid_file.display()
            )),
        )],
    );
    let (out, report) = run_suite(dir.path(), &s);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let r = result(&report, "leaves");
    // Not a timeout: the background process held the pipe, but the exit decided.
    assert_eq!(r["status"], "pass", "{r:#}");
    assert_eq!(r["message"], "OK - started");
    let leftover = read_pid(&pid_file);
    assert!(wait_gone(leftover), "leftover {leftover} still running");
}

#[test]
fn a_flooding_plugin_is_stopped_at_the_output_cap_not_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let s = suite_of(
        dir.path(),
        &[(
            "flood",
            "1m",
            sh("echo 'OK - here comes a lot'; while :; do echo xxxxxxxxxxxxxxxxxxxxxxxx; done"),
        )],
    );
    let (out, report) = run_suite(dir.path(), &s);
    assert_eq!(out.status.code(), Some(1));
    let r = result(&report, "flood");
    assert_eq!(r["code"], "exec.output-too-large", "{r:#}");
    assert_eq!(r["cause"], "probe_error");
    assert_eq!(
        r["message"],
        "sh wrote more than 64 KiB to standard output and was stopped; its first line: OK - here comes a lot"
    );
    let evidence = &r["findings"][0]["evidence"];
    assert_eq!(evidence["output_truncated"], true);
    assert_eq!(evidence["output_limit_bytes"], 65536);
    assert!(
        r["remediation"]
            .as_str()
            .unwrap()
            .starts_with("make sh print one status line"),
        "{r:#}"
    );
}
