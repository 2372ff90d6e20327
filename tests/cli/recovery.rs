//! The recovery checks through the real binary, on fixture nodes and fixture logs.
//!
//! Git keeps no modification times, so a fixture node is copied into a temporary directory
//! and the ages its `ages.txt` gives are set on the copy; the checks then see checkpoints
//! exactly that old. The service account is the test's own uid (it owns the copy).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::*;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Set the modification time of `path` and everything under it.
fn age(path: &Path, t: SystemTime) {
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            age(&e.unwrap().path(), t);
        }
    }
    std::fs::File::open(path).unwrap().set_modified(t).unwrap();
}

/// A copy of fixture node `case` with the ages of its `ages.txt` applied.
fn node(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("fixtures/recovery/nodes").join(case),
        dir.path(),
    );
    let ages = std::fs::read_to_string(dir.path().join("ages.txt")).unwrap();
    let now = SystemTime::now();
    for line in ages
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (path, secs) = line.rsplit_once(' ').unwrap();
        age(
            &dir.path().join(path),
            now - Duration::from_secs(secs.parse().unwrap()),
        );
    }
    dir
}

fn own_uid() -> String {
    std::fs::metadata("/proc/self").unwrap().uid().to_string()
}

/// Run `fixtures/recovery/suite.yaml` on a node directory for `service_user`.
fn check_node(dir: &Path, service_user: &str) -> Output {
    doctor(dir)
        .env("AUTOGLM_TEST_SERVICE_USER", service_user)
        .args(["check", "--format", "json", "--suite"])
        .arg(root().join("fixtures/recovery/suite.yaml"))
        .arg("--config")
        .arg(dir.join("open-autoglm.yaml"))
        .output()
        .unwrap()
}

fn finding<'a>(r: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {r:#}"))
}

#[test]
fn a_node_with_fresh_intact_checkpoints_passes() {
    let dir = node("fresh");
    let out = check_node(dir.path(), &own_uid());
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let r = result(&report, "recovery.checkpoint");
    assert_eq!(r["status"], "pass", "{r:#}");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with("newest checkpoint step-000120 is 1m")
            && message.ends_with(" old (interval 5m)"),
        "{message}"
    );
    let age = r["evidence"]["newest_age_seconds"].as_u64().unwrap();
    assert!((60..600).contains(&age), "{age}");
    assert_eq!(r["evidence"]["checkpoints"], 3);
    let messages: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"newest checkpoint step-000120 matches step-000120/MANIFEST.sha256 (2 of 2 files verified)"),
        "{messages:#?}"
    );
    assert_eq!(report["facts"]["checkpoint.interval_seconds"], 300);
    assert_eq!(result(&report, "recovery.replication")["status"], "pass");
    assert_eq!(result(&report, "recovery.sync-semantics")["status"], "pass");
}

#[test]
fn a_node_whose_newest_checkpoint_is_ten_intervals_old_fails_stale() {
    let dir = node("stale");
    let out = check_node(dir.path(), &own_uid());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = json_report(&out);
    let r = result(&report, "recovery.checkpoint");
    assert_eq!(r["status"], "fail");
    assert_eq!(r["code"], "checkpoint.stale");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with("newest checkpoint step-000120 is 50m"),
        "{message}"
    );
    assert!(
        message.contains(" old: 10.0 intervals of 5m (interval_seconds 300; at most 3 allowed)"),
        "{message}"
    );
    assert!(
        r["remediation"]
            .as_str()
            .unwrap()
            .contains("a new checkpoint is due every 5m"),
        "{r:#}"
    );
    assert_eq!(
        report["root_causes"],
        serde_json::json!(["recovery.checkpoint"])
    );
    // The table leads with it too.
    let out = doctor(dir.path())
        .env("AUTOGLM_TEST_SERVICE_USER", own_uid())
        .args(["--color", "never", "--suite"])
        .arg(root().join("fixtures/recovery/suite.yaml"))
        .arg("--config")
        .arg(dir.path().join("open-autoglm.yaml"))
        .output()
        .unwrap();
    assert!(
        stdout(&out)
            .contains("ROOT CAUSE recovery.checkpoint — newest checkpoint step-000120 is 50m"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_corrupt_newest_checkpoint_fails_and_names_the_fallback() {
    let dir = node("corrupt");
    let out = check_node(dir.path(), &own_uid());
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    let r = result(&report, "recovery.checkpoint");
    assert_eq!(r["code"], "checkpoint.corrupt");
    let f = finding(r, "checkpoint.corrupt");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("newest checkpoint step-000120 does not match step-000120/MANIFEST.sha256: step-000120/model.bin has sha256 "),
        "{f:#}"
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .contains("so that recovery would fall back to step-000119 (6m"),
        "{f:#}"
    );
}

#[test]
fn storage_the_service_account_cannot_write_fails_without_writing_into_it() {
    let dir = node("fresh");
    let storage = dir.path().join("checkpoints");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&storage, std::fs::Permissions::from_mode(0o555)).unwrap();
    let before: Vec<_> = std::fs::read_dir(&storage)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    // uid 65534 (nobody) owns nothing here: the "other" class applies.
    let out = check_node(dir.path(), "65534");
    std::fs::set_permissions(&storage, std::fs::Permissions::from_mode(0o755)).unwrap();
    let report = json_report(&out);
    let r = result(&report, "recovery.checkpoint");
    assert_eq!(r["code"], "checkpoint.path-unwritable", "{r:#}");
    let message = r["message"].as_str().unwrap();
    let gid = std::fs::metadata(&storage).unwrap().gid();
    assert!(
        message.contains("(uid 65534) cannot create checkpoints in "),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "it is mode 0555, owner uid {} gid {gid} and the other class lacks write and search (wx) permission",
            own_uid()
        )),
        "{message}"
    );
    let after: Vec<_> = std::fs::read_dir(&storage)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "the doctor wrote into the storage directory");
}

#[test]
fn missing_and_empty_storage() {
    let dir = node("fresh");
    std::fs::remove_dir_all(dir.path().join("checkpoints")).unwrap();
    let report = json_report(&check_node(dir.path(), &own_uid()));
    let r = result(&report, "recovery.checkpoint");
    assert_eq!(r["code"], "checkpoint.path-missing");
    let f = finding(r, "checkpoint.path-missing");
    assert_eq!(f["location"]["line"], 15);
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .starts_with("create it for the service: `mkdir -p ")
    );

    std::fs::create_dir(dir.path().join("checkpoints")).unwrap();
    let report = json_report(&check_node(dir.path(), &own_uid()));
    assert_eq!(
        result(&report, "recovery.checkpoint")["code"],
        "checkpoint.none"
    );
}

#[test]
fn an_unknown_service_account_is_a_warning_not_a_guess() {
    let dir = node("fresh");
    let out = check_node(dir.path(), "no-such-account-here");
    let report = json_report(&out);
    let r = result(&report, "recovery.checkpoint");
    assert_eq!(r["status"], "warn");
    assert_eq!(r["code"], "checkpoint.service-user-unknown");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("service account `no-such-account-here` not found in /etc/passwd")
    );
}

/// `# expect: CODE line N` from a fixture's first line.
fn expectation(path: &Path) -> (String, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let rest = text
        .lines()
        .next()
        .unwrap()
        .strip_prefix("# expect: ")
        .unwrap();
    let (code, line) = rest.split_once(" line ").unwrap();
    (code.to_string(), line.trim().parse().unwrap())
}

#[test]
fn each_recovery_config_fixture_reports_its_code_at_its_line() {
    let mut paths: Vec<_> = std::fs::read_dir(root().join("fixtures/recovery/config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 4);
    for path in paths {
        let (code, line) = expectation(&path);
        let out = doctor(&root())
            .env("AUTOGLM_TEST_SERVICE_USER", own_uid())
            .args([
                "--format",
                "json",
                "--suite",
                "fixtures/recovery/suite.yaml",
                "--config",
            ])
            .arg(&path)
            .output()
            .unwrap();
        let report = json_report(&out);
        let all: Vec<&serde_json::Value> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["findings"].as_array().unwrap())
            .collect();
        assert!(
            all.iter()
                .any(|f| f["code"] == code.as_str() && f["location"]["line"] == line),
            "{}: expected {code} at line {line} in {:#}",
            path.display(),
            report["results"]
        );
        for f in all {
            if f["status"] != "pass" {
                assert!(
                    f["remediation"].as_str().is_some_and(|r| r.len() > 20),
                    "{}: {f:#}",
                    path.display()
                );
            }
        }
    }
}

fn scan_fixture_logs(extra: &[&str]) -> Output {
    doctor(&root())
        .env("AUTOGLM_TEST_LOGS", root().join("fixtures/recovery/logs"))
        .env("TZ", "CST-8")
        .args(["--suite", "fixtures/recovery/logs-suite.yaml", "--offline"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn log_scan_finds_each_signature_and_names_the_check_that_explains_it() {
    let out = scan_fixture_logs(&["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        stderr(&out)
    );
    let report = json_report(&out);
    let r = result(&report, "recovery.log-scan");
    assert_eq!(r["status"], "warn");
    let expected = [
        ("log-scan.logged-checkpoint-write", 2, "checkpoint"),
        ("log-scan.logged-tls", 1, "tls"),
        ("log-scan.logged-clock-skew", 1, "time"),
        ("log-scan.logged-auth", 2, "auth"),
        ("log-scan.logged-api-upgrade", 1, "api-version"),
        ("log-scan.logged-api-gone", 2, "api-version"),
        ("log-scan.logged-refused", 2, "tcp"),
        ("log-scan.logged-unreachable", 1, "tcp"),
        ("log-scan.logged-dns", 1, "dns"),
        ("log-scan.logged-timeout", 4, "tcp"),
    ];
    for (code, count, by) in expected {
        let f = finding(r, code);
        assert_eq!(f["evidence"]["count"], count, "{f:#}");
        assert_eq!(f["evidence"]["explained_by"], by);
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains(&format!("see the {by} checks")),
            "{f:#}"
        );
        assert!(f["remediation"].as_str().unwrap().len() > 30);
    }
    let timeout = finding(r, "log-scan.logged-timeout");
    assert_eq!(
        timeout["message"],
        "log shows 4 connection timeouts to master.autoglm.test:9090 in the last hour; see the tcp checks. Newest (2026-11-22T07:58:30Z, network.log): 2026-11-22T07:58:30Z ERROR sync: dial tcp master.autoglm.test:9090: i/o timeout"
    );
    // Local timestamps (no zone in the line) are read in TZ: 15:37 in UTC+8 is 07:37Z.
    assert_eq!(
        finding(r, "log-scan.logged-checkpoint-write")["evidence"]["newest_at"],
        "2026-11-22T07:37:00Z"
    );
    assert!(r["evidence"]["bytes_read"].as_u64().unwrap() > 0);
}

#[test]
fn log_scan_window_is_relative_to_now_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let at = |mins: i64| (now - chrono::TimeDelta::minutes(mins)).format("%Y-%m-%dT%H:%M:%SZ");
    std::fs::write(
        dir.path().join("network.log"),
        format!(
            "{} ERROR dial tcp master:9090: i/o timeout\n{} ERROR dial tcp master:9090: i/o timeout\n{} INFO ok\n",
            at(120),
            at(5),
            at(1)
        ),
    )
    .unwrap();
    let suite = write_suite(
        dir.path(),
        "suite.yaml",
        "checks:\n  - id: logs\n    kind: log-scan\n    with:\n      paths: [\"${env.LOGS}\"]\n      window: 30m\n",
    );
    let out = doctor(dir.path())
        .env("LOGS", dir.path())
        .args(["--format", "json", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    let report = json_report(&out);
    let f = finding(result(&report, "logs"), "log-scan.logged-timeout");
    assert_eq!(f["evidence"]["count"], 1, "{f:#}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("1 connection timeout to master:9090 in the last 30m")
    );
}

/// A 1 GiB log (sparse: no disk is used) is read only at its tail; the time this takes is
/// measured by bench/log-scan.sh, never asserted here.
#[test]
fn log_scan_reads_only_the_bounded_tail_of_a_huge_log() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("huge.log");
    let f = std::fs::File::create(&log).unwrap();
    f.set_len(1 << 30).unwrap();
    drop(f);
    let line = format!(
        "\n{} ERROR dial tcp master:9090: i/o timeout\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let suite = write_suite(
        dir.path(),
        "suite.yaml",
        "checks:\n  - id: logs\n    kind: log-scan\n    with:\n      paths: [\"${env.LOGS}\"]\n",
    );
    let out = doctor(dir.path())
        .env("LOGS", &log)
        .args(["--format", "json", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    let report = json_report(&out);
    let r = result(&report, "logs");
    let total = (1u64 << 30) + line.len() as u64;
    assert_eq!(r["evidence"]["bytes_total"], total);
    assert_eq!(r["evidence"]["bytes_read"], 4 * 1024 * 1024 + 1);
    assert_eq!(
        finding(r, "log-scan.logged-timeout")["evidence"]["count"],
        1
    );
}

#[test]
fn log_scan_with_no_logs_is_a_skip_that_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        "suite.yaml",
        "checks:\n  - id: logs\n    kind: log-scan\n    with:\n      paths: [/nonexistent/open-autoglm/]\n",
    );
    let out = doctor(dir.path())
        .args(["--format", "json", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json_report(&out);
    let r = result(&report, "logs");
    assert_eq!(r["status"], "skip");
    assert_eq!(r["code"], "log-scan.logs-missing");
    assert_eq!(
        r["message"],
        "no Open-AutoGLM log at /nonexistent/open-autoglm/ (*.log, *.log.1): nothing scanned"
    );
}

#[test]
fn explain_and_list_know_the_recovery_kinds() {
    for (what, first) in [
        ("checkpoint", "checkpoint — "),
        ("checkpoint.stale", "checkpoint.stale (fail when reported)"),
        ("log-scan", "log-scan — "),
        (
            "sync-semantics.lww-clock-skew",
            "sync-semantics.lww-clock-skew (fail when reported)",
        ),
    ] {
        let out = doctor(&root()).args(["explain", what]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{what}");
        assert!(stdout(&out).starts_with(first), "{}", stdout(&out));
    }
    let out = doctor(&root())
        .args(["list", "--suite", "master-node"])
        .output()
        .unwrap();
    for id in [
        "recovery.checkpoint",
        "recovery.replication",
        "recovery.sync-semantics",
        "recovery.log-scan",
    ] {
        assert!(stdout(&out).contains(id), "{id}");
    }
}
