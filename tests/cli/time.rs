//! Time checks through the real binary against the simulated master's SNTP server and Date
//! header, and against a real chronyd.

use autoglm_doctor::sim::ntp::NtpOptions;
use autoglm_doctor::sim::{ApiOptions, Options, SimMaster};

use super::*;

fn sim_ntp(ntp: NtpOptions) -> SimMaster {
    SimMaster::start(Options {
        ntp,
        ..Options::default()
    })
    .unwrap()
}

fn offset(ms: i64) -> NtpOptions {
    NtpOptions {
        offset_ms: ms,
        ..NtpOptions::default()
    }
}

fn ntp_entry(id: &str, server: &str) -> String {
    format!("  - id: {id}\n    kind: ntp\n    with:\n      servers: [\"{server}\"]\n")
}

fn run(dir: &Path, suite: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let s = write_suite(dir, "suite.yaml", suite);
    let out = doctor(dir)
        .args(["check", "--format", "json", "--timeout", "2s", "--suite"])
        .arg(&s)
        .args(extra)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

#[test]
fn ntp_measures_offsets_and_names_unsynchronised_and_silent_servers() {
    // Server offsets: the node is ahead when the server is behind.
    let cases = [
        ("zero", sim_ntp(offset(0)), "pass", None, Some(0.0)),
        (
            "ahead4",
            sim_ntp(offset(-4000)),
            "fail",
            Some("ntp.skew"),
            Some(4000.0),
        ),
        (
            "behind30",
            sim_ntp(offset(30_000)),
            "fail",
            Some("ntp.skew"),
            Some(-30_000.0),
        ),
        (
            "stratum16",
            sim_ntp(NtpOptions {
                stratum: 16,
                leap: 3,
                ..NtpOptions::default()
            }),
            "fail",
            Some("ntp.server-unsynchronised"),
            None,
        ),
        (
            "silent",
            sim_ntp(NtpOptions {
                silent: true,
                ..NtpOptions::default()
            }),
            "fail",
            Some("ntp.no-answer"),
            None,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n{}",
        cases
            .iter()
            .map(|(id, sim, ..)| ntp_entry(id, &sim.addrs.ntp.to_string()))
            .collect::<String>()
    );
    let (out, report) = run(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(1));
    for (id, _sim, status, code, offset) in &cases {
        let r = result(&report, id);
        assert_eq!(r["status"], *status, "{id}: {r:#}");
        assert_eq!(r["code"].as_str(), *code, "{id}: {r:#}");
        let servers = r["evidence"]["servers"].as_array().unwrap();
        if let Some(expected) = offset {
            let measured = servers[0]["offset_ms"].as_f64().unwrap();
            assert!((measured - expected).abs() < 100.0, "{id}: {measured}");
        }
        assert!(r["remediation"].is_null() == (*status == "pass"), "{r:#}");
    }
    // The report's facts hold one offset (the results share the keys; the last one wins).
    assert!(
        report["facts"]["time.offset_ms"].is_number(),
        "{:#}",
        report["facts"]
    );
}

#[test]
fn four_seconds_ahead_fails_by_default_and_warns_under_lenient() {
    let sim = sim_ntp(offset(-4000));
    let dir = tempfile::tempdir().unwrap();
    let suite = format!("checks:\n{}", ntp_entry("ntp", &sim.addrs.ntp.to_string()));
    let (out, report) = run(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = result(&report, "ntp");
    assert_eq!(r["code"], "ntp.skew");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("ahead of 127.0.0.1:"),
        "{r:#}"
    );
    assert!(
        r["remediation"]
            .as_str()
            .unwrap()
            .starts_with("step the clock back by 4.0")
    );
    assert_eq!(report["facts"]["time.tolerance_ms"], 1000.0);
    assert!(
        report["facts"]["time.reference"]
            .as_str()
            .unwrap()
            .starts_with("ntp 127.0.0.1:")
    );

    let (out, report) = run(dir.path(), &suite, &["--profile", "lenient"]);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let r = result(&report, "ntp");
    assert_eq!(
        (r["status"].as_str(), r["code"].as_str()),
        (Some("warn"), Some("ntp.near-tolerance"))
    );

    let (out, report) = run(dir.path(), &suite, &["--profile", "strict"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(result(&report, "ntp")["code"], "ntp.skew");

    // A suite's own tolerance wins over the profile.
    let suite = format!(
        "checks:\n{}      tolerance: 10s\n",
        ntp_entry("ntp", &sim.addrs.ntp.to_string())
    );
    let (out, report) = run(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(result(&report, "ntp")["status"], "pass");
}

#[test]
fn ntp_servers_outside_loopback_are_not_probed_and_a_closed_port_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let port = peers::free_port();
    let suite = format!(
        "checks:\n{}{}",
        ntp_entry("far", "192.0.2.1"),
        ntp_entry("closed", &format!("127.0.0.1:{port}"))
    );
    let (_, report) = run(dir.path(), &suite, &[]);
    let far = result(&report, "far");
    assert_eq!(
        (far["status"].as_str(), far["code"].as_str()),
        (Some("skip"), Some("ntp.not-probed"))
    );
    let closed = result(&report, "closed");
    assert_eq!(closed["status"], "fail", "{closed:#}");
    assert!(closed["code"] == "ntp.unreachable", "{closed:#}");
}

#[test]
fn clock_http_reads_the_masters_date_header() {
    let skewed = SimMaster::start(Options {
        api: ApiOptions {
            date_offset_ms: -4000,
            ..ApiOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    let right = SimMaster::start(Options::default()).unwrap();
    let entry = |id: &str, sim: &SimMaster| {
        format!(
            "  - id: {id}\n    kind: clock-http\n    with:\n      url: http://127.0.0.1:{}/healthz\n",
            sim.addrs.http.port()
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n{}{}",
        entry("skewed", &skewed),
        entry("right", &right)
    );
    let (out, report) = run(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = result(&report, "skewed");
    assert_eq!(r["code"], "clock-http.skew", "{r:#}");
    assert_eq!(result(&report, "right")["status"], "pass");
    // Under lenient (5 s) the same node passes.
    let (out, _) = run(
        dir.path(),
        &format!("checks:\n{}", entry("skewed", &skewed)),
        &["--profile", "lenient"],
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn ntp_against_a_real_chronyd_four_seconds_ahead() {
    let Some(chrony) = peers::chronyd("+4s") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let suite = format!("checks:\n{}", ntp_entry("ntp", &chrony.addr.to_string()));
    let (out, report) = run(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let r = result(&report, "ntp");
    assert_eq!(r["code"], "ntp.skew", "{r:#}");
    let measured = report["facts"]["time.offset_ms"].as_f64().unwrap();
    // chronyd's clock is 4 s ahead, so this node is 4 s behind.
    assert!((measured + 4000.0).abs() < 250.0, "{measured}");
    assert_eq!(r["evidence"]["servers"][0]["stratum"], 3);
}

#[test]
fn last_write_wins_on_a_node_four_seconds_ahead_fails_sync_semantics() {
    let sim = sim_ntp(offset(-4000));
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(root().join("fixtures/config/valid/healthy.yaml"))
        .unwrap()
        .replace(
            "conflict_strategy: version",
            "conflict_strategy: last-write-wins",
        )
        .replace("ntp1.autoglm.test", &sim.addrs.ntp.to_string());
    let cfg = dir.path().join("open-autoglm.yaml");
    std::fs::write(&cfg, config).unwrap();
    let suite = "checks:\n  - id: config.file\n    kind: config.file\n  - id: config.syntax\n    kind: config.syntax\n  - id: config.schema\n    kind: config.schema\n  - id: time.ntp\n    kind: ntp\n    with:\n      servers: ${config.time.ntp_servers:-[]}\n  - id: recovery.sync-semantics\n    kind: sync-semantics\n    needs: [config.schema]\n    after: [time.ntp]\n";
    let (out, report) = run(dir.path(), suite, &["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(result(&report, "time.ntp")["code"], "ntp.skew");
    let r = result(&report, "recovery.sync-semantics");
    assert_eq!(r["code"], "sync-semantics.lww-clock-skew", "{r:#}");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.contains("time.offset_ms")
            && message.contains("tolerance 1000 ms")
            && message.contains("ahead"),
        "{message}"
    );
    // Both fail, but only the clock is the root cause's remedy for both.
    assert!(
        report["root_causes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("time.ntp"))
    );
}

/// The acceptance: an NTP peer 3 s ahead of this node.
#[test]
fn a_peer_three_seconds_ahead_is_measured_within_fifty_ms() {
    let sim = sim_ntp(offset(3000));
    let dir = tempfile::tempdir().unwrap();
    let suite = format!("checks:\n{}", ntp_entry("ntp", &sim.addrs.ntp.to_string()));
    let (out, report) = run(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(result(&report, "ntp")["code"], "ntp.skew");
    let measured = report["facts"]["time.offset_ms"].as_f64().unwrap();
    assert!(
        (measured + 3000.0).abs() <= 50.0,
        "measured {measured} ms, expected -3000 ± 50"
    );
    let (out, report) = run(dir.path(), &suite, &["--profile", "lenient"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(result(&report, "ntp")["status"], "warn");
}
