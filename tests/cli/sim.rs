//! The simulated master behaves as it claims, checked with independent clients (std's
//! sockets, curl, dig, a Python SNTP client) rather than with the doctor's own code.

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use autoglm_doctor::sim::{ApiOptions, Options, SimMaster, TlsVariant, ntp::NtpOptions};

use super::*;

#[test]
fn tcp_ports_open_refused_dropped_black_hole_trickle() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let a = &sim.addrs;
    let t = Duration::from_millis(700);
    assert!(TcpStream::connect_timeout(&a.open, t).is_ok());
    let refused = TcpStream::connect_timeout(&a.refused, t).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    // Silently dropped: the connect neither succeeds nor is refused; it times out.
    let dropped = TcpStream::connect_timeout(&a.dropped, t).unwrap_err();
    assert_eq!(dropped.kind(), std::io::ErrorKind::TimedOut, "{dropped}");
    // Black hole: connects, then says nothing.
    let mut hole = TcpStream::connect_timeout(&a.black_hole, t).unwrap();
    hole.set_read_timeout(Some(t)).unwrap();
    let err = hole.read(&mut [0u8; 1]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    // Trickler: one byte now, the next only a second later.
    let mut slow = TcpStream::connect_timeout(&a.trickle, t).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut b = [0u8; 8];
    assert_eq!(slow.read(&mut b).unwrap(), 1);
}

fn curl(args: &[&str]) -> std::process::Output {
    std::process::Command::new("curl")
        .args(["-sS", "--max-time", "5", "--noproxy", "*"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn http_api_negotiates_versions_and_skews_its_date() {
    if !super::peers::available("curl") {
        return;
    }
    let sim = SimMaster::start(Options {
        api: ApiOptions {
            date_offset_ms: 3_600_000,
            sunset_in_days: Some(10),
            ..ApiOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    let base = format!("http://{}", sim.addrs.http);
    let out = curl(&[
        "-i",
        "-H",
        "X-API-Version: 2.5",
        &format!("{base}/api/version"),
    ]);
    let text = stdout(&out);
    assert!(
        text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{text}"
    );
    assert!(text.contains("X-API-Version: 3.1.0\r\n"));
    let out = curl(&[
        "-i",
        "-H",
        "X-API-Version: 3.1",
        &format!("{base}/api/version"),
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Sunset: "), "{text}");
    let date = text
        .lines()
        .find_map(|l| l.strip_prefix("Date: "))
        .unwrap()
        .trim();
    let served = chrono::DateTime::parse_from_rfc2822(date).unwrap();
    let skew = (served.timestamp() - chrono::Utc::now().timestamp() - 3600).abs();
    assert!(skew <= 5, "Date {date} is not one hour ahead");
    let out = curl(&["-i", &format!("{base}/api/v2/sync")]);
    assert!(stdout(&out).starts_with("HTTP/1.1 410 Gone\r\n"));
    let out = curl(&[&format!("{base}/.well-known/jwks.json")]);
    let jwks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], sim.signing_key.kid);
    assert_eq!(jwks["keys"][0]["x"].as_str().unwrap().len(), 43);
}

#[test]
fn tls_variants_fail_verification_the_way_they_claim() {
    if !super::peers::available("curl") {
        return;
    }
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let expect = [
        (TlsVariant::Valid, None),
        (TlsVariant::ExpiringSoon, None),
        (TlsVariant::Expired, Some("expired")),
        (TlsVariant::NotYetValid, Some("not yet valid")),
        (TlsVariant::WrongHost, Some("master.autoglm.test")),
        (TlsVariant::SelfSigned, Some("self")),
    ];
    for (variant, error) in expect {
        let port = sim.addrs.tls(variant).unwrap().port();
        let out = curl(&[
            "--cacert",
            ca.to_str().unwrap(),
            "--resolve",
            &format!("master.autoglm.test:{port}:127.0.0.1"),
            "-H",
            "X-API-Version: 3.0",
            &format!("https://master.autoglm.test:{port}/api/version"),
        ]);
        match error {
            None => assert!(out.status.success(), "{variant:?}: {}", stderr(&out)),
            Some(word) => {
                assert_eq!(
                    out.status.code(),
                    Some(60),
                    "{variant:?} should fail verification: {}",
                    stderr(&out)
                );
                assert!(
                    stderr(&out).to_lowercase().contains(word),
                    "{variant:?}: {}",
                    stderr(&out)
                );
            }
        }
    }
}

#[test]
fn dns_responder_answers_nxdomain_servfail_and_silence() {
    if !super::peers::available("dig") {
        return;
    }
    let sim = SimMaster::start(Options::default()).unwrap();
    let port = sim.addrs.dns.port().to_string();
    let dig = |name: &str, ty: &str| {
        let out = std::process::Command::new("dig")
            .args(["@127.0.0.1", "-p", &port, "+time=1", "+tries=1", name, ty])
            .output()
            .unwrap();
        stdout(&out)
    };
    let ok = dig("master.autoglm.test", "A");
    assert!(
        ok.contains("status: NOERROR") && ok.contains("127.0.0.1"),
        "{ok}"
    );
    assert!(dig("master.autoglm.test", "AAAA").contains("::1"));
    assert!(dig("missing.autoglm.test", "A").contains("status: NXDOMAIN"));
    assert!(dig("servfail.autoglm.test", "A").contains("status: SERVFAIL"));
    let nodata = dig("nodata.autoglm.test", "A");
    assert!(
        nodata.contains("status: NOERROR") && nodata.contains("ANSWER: 0"),
        "{nodata}"
    );
    assert!(dig("silent.autoglm.test", "A").contains("timed out"));
}

#[test]
fn sntp_offset_measured_by_an_independent_client_matches() {
    let sim = SimMaster::start(Options {
        ntp: NtpOptions {
            offset_ms: 4000,
            ..NtpOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    // A four-timestamp SNTP client in Python: independent of the doctor's code.
    let (offset, stratum) = super::peers::sntp_measure(sim.addrs.ntp).unwrap();
    assert!(
        (offset - 4.0).abs() < 0.2,
        "measured {offset}s, configured 4s"
    );
    assert_eq!(stratum, 2);
}

#[test]
fn demo_scenarios_exit_as_check_would_and_name_their_root_cause() {
    use autoglm_doctor::sim::scenario::Scenario;
    use clap::ValueEnum;
    for scenario in Scenario::value_variants() {
        let name = scenario.to_possible_value().unwrap().get_name().to_string();
        let out = doctor(&root())
            .args(["demo", "--scenario", &name, "--format", "json"])
            .output()
            .unwrap();
        let report = json_report(&out);
        match scenario.expected_root_cause() {
            None => {
                assert_eq!(out.status.code(), Some(0), "{name}: {report:#}");
                assert_eq!(
                    report["summary"]["pass"],
                    report["results"].as_array().unwrap().len(),
                    "{name}: every check passes"
                );
            }
            Some(code) => {
                assert_eq!(out.status.code(), Some(1), "{name}");
                let roots = report["root_causes"].as_array().unwrap();
                assert_eq!(roots.len(), 1, "{name}: {roots:?}");
                let root = result(&report, roots[0].as_str().unwrap());
                assert!(
                    root["findings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| f["code"] == code.name),
                    "{name}: root cause {root:#} lacks {code}"
                );
            }
        }
        // The generated config is removed afterwards.
        let config = report["config"]["path"].as_str().unwrap();
        assert!(!Path::new(config).exists(), "{name}: {config} left behind");
    }
}

#[test]
fn demo_refuses_a_config_of_its_own() {
    let out = doctor(&root())
        .args(["demo", "--config", "x.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: demo writes its own node config; drop --config (or use `check --config`)\n"
    );
}

/// Evidence and facts are for programs: times in RFC 3339, not prose; and no message shows
/// a negative zero.
#[test]
fn demo_evidence_times_are_rfc3339_and_no_offset_is_negative_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = doctor(dir.path())
        .args(["demo", "--scenario", "expired-cert", "--format", "json"])
        .output()
        .unwrap();
    let report = json_report(&out);
    let not_after = report["facts"]["tls.leaf.not_after"]
        .as_str()
        .unwrap_or_else(|| panic!("no tls.leaf.not_after: {report:#}"));
    assert!(not_after.ends_with('Z'), "{not_after}");
    chrono::DateTime::parse_from_rfc3339(not_after)
        .unwrap_or_else(|e| panic!("{not_after} is not RFC 3339: {e}"));
    let healthy = doctor(dir.path())
        .args(["demo", "--format", "json"])
        .output()
        .unwrap();
    let text = stdout(&healthy);
    assert!(!text.contains("-0.0 ms"), "{text}");
    let report = json_report(&healthy);
    let time_master = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "time.master")
        .unwrap();
    let message = time_master["message"].as_str().unwrap();
    assert_eq!(time_master["status"], "pass", "{message}");
    assert!(
        message.len() < 100,
        "a pass says one short thing: {message}"
    );
}
