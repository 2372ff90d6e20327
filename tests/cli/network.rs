//! Network checks through the real binary against the simulated master and real peers.

use autoglm_doctor::sim::{Options, SimMaster};

use super::*;

fn run_suite(dir: &Path, suite: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let s = write_suite(dir, "suite.yaml", suite);
    let out = doctor(dir)
        .args(["check", "--format", "json", "--suite"])
        .arg(&s)
        .args(extra)
        .output()
        .unwrap();
    let report = json_report(&out);
    (out, report)
}

fn dns_entry(id: &str, host: &str, server: &str) -> String {
    format!(
        "  - id: {id}\n    kind: dns\n    with:\n      host: {host}\n      nameservers: [\"{server}\"]\n      paths: [direct]\n"
    )
}

#[test]
fn dns_distinguishes_nxdomain_servfail_refused_nodata_and_timeout() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ns = sim.addrs.dns.to_string();
    let cases = [
        ("ok", "master.autoglm.test", "pass", None),
        ("nx", "missing.autoglm.test", "fail", Some("dns.nxdomain")),
        ("sf", "servfail.autoglm.test", "fail", Some("dns.servfail")),
        ("rf", "refused.autoglm.test", "fail", Some("dns.refused")),
        ("nd", "nodata.autoglm.test", "fail", Some("dns.no-address")),
        ("to", "silent.autoglm.test", "fail", Some("dns.no-answer")),
    ];
    let suite = format!(
        "checks:\n{}",
        cases
            .iter()
            .map(|(id, host, _, _)| dns_entry(id, host, &ns))
            .collect::<String>()
    );
    let (out, report) = run_suite(dir.path(), &suite, &["--timeout", "1s"]);
    assert_eq!(out.status.code(), Some(1));
    for (id, host, status, code) in cases {
        let r = result(&report, id);
        assert_eq!(r["status"], status, "{host}: {r:#}");
        assert_eq!(r["code"].as_str(), code, "{host}: {r:#}");
    }
    assert!(
        result(&report, "ok")["message"]
            .as_str()
            .unwrap()
            .starts_with("master.autoglm.test → 127.0.0.1, ::1"),
        "{:#}",
        result(&report, "ok")
    );
    assert_eq!(
        report["facts"]["dns.addresses.master.autoglm.test"],
        serde_json::json!(["127.0.0.1", "::1"])
    );
}

#[test]
fn dns_system_path_and_direct_path_agree_on_localhost() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n  - id: lh\n    kind: dns\n    with:\n      host: localhost\n      nameservers: [\"{}\"]\n",
        sim.addrs.dns
    );
    let (out, report) = run_suite(dir.path(), &suite, &[]);
    let r = result(&report, "lh");
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert!(
        r["evidence"]["system"]["result"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1"),
        "{r:#}"
    );
}

#[test]
fn dns_nxdomain_is_the_only_root_cause_and_blocks_tcp() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n{}  - id: tcp.master\n    kind: tcp\n    needs: [dns.master]\n    with:\n      host: missing.autoglm.test\n      ports: [{}]\n",
        dns_entry(
            "dns.master",
            "missing.autoglm.test",
            &sim.addrs.dns.to_string()
        ),
        sim.addrs.open.port()
    );
    let (_, report) = run_suite(dir.path(), &suite, &[]);
    assert_eq!(report["root_causes"], serde_json::json!(["dns.master"]));
    assert_eq!(
        result(&report, "tcp.master")["blocked_by"],
        serde_json::json!(["dns.master"])
    );
}

#[test]
fn tcp_classifies_open_refused_filtered_and_probes_concurrently() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = &sim.addrs;
    let suite = format!(
        "checks:\n  - id: ports\n    kind: tcp\n    timeout: 1s\n    with:\n      host: 127.0.0.1\n      ports: {{open: {}, refused: {}, dropped: {}, hole: {}}}\n",
        a.open.port(),
        a.refused.port(),
        a.dropped.port(),
        a.black_hole.port()
    );
    let (out, report) = run_suite(dir.path(), &suite, &[]);
    assert_eq!(out.status.code(), Some(1));
    let r = result(&report, "ports");
    let by_port = |p: u16| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["evidence"]["address"] == format!("127.0.0.1:{p}"))
            .unwrap()
            .clone()
    };
    assert_eq!(by_port(a.open.port())["status"], "pass");
    assert_eq!(
        by_port(a.black_hole.port())["status"],
        "pass",
        "a black hole accepts connections"
    );
    assert_eq!(by_port(a.refused.port())["code"], "tcp.refused");
    assert_eq!(by_port(a.dropped.port())["code"], "tcp.filtered");
    assert!(
        by_port(a.dropped.port())["message"]
            .as_str()
            .unwrap()
            .contains("DROP rule")
    );
}

#[test]
fn three_dropped_ports_cost_one_timeout_not_three() {
    // Three silently dropped ports: each connection waits out the timeout, but they wait at
    // the same time. Relational, not a wall-clock threshold: the waits add up to about three
    // times what the check took.
    let sims: Vec<SimMaster> = (0..3)
        .map(|_| SimMaster::start(Options::default()).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<String> = sims
        .iter()
        .map(|s| s.addrs.dropped.port().to_string())
        .collect();
    let suite = format!(
        "checks:\n  - id: ports\n    kind: tcp\n    timeout: 1s\n    with:\n      host: 127.0.0.1\n      ports: [{}]\n",
        ports.join(", ")
    );
    let (_, report) = run_suite(dir.path(), &suite, &[]);
    let r = result(&report, "ports");
    let waited: u64 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["evidence"]["ms"].as_u64().unwrap())
        .sum();
    let took = r["duration_ms"].as_u64().unwrap();
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] == "tcp.filtered")
    );
    assert!(
        waited > took * 2,
        "connections waited {waited} ms in total within a check of {took} ms: not concurrent"
    );
}

#[test]
fn peer_dnsmasq_interop_dns_check() {
    let Some(dns) = super::peers::dnsmasq() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "checks:\n{}{}",
        dns_entry("ok", "master.autoglm.test", &dns.addr.to_string()),
        dns_entry("nx", "missing.autoglm.test", &dns.addr.to_string())
    );
    let (_, report) = run_suite(dir.path(), &suite, &[]);
    assert_eq!(
        result(&report, "ok")["status"],
        "pass",
        "{:#}",
        result(&report, "ok")
    );
    assert_eq!(result(&report, "nx")["code"], "dns.nxdomain");
}

fn tls_suite(entries: &[(&str, u16, &str)], ca: &Path) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("checks:\n");
    for (id, port, host) in entries {
        let _ = writeln!(
            s,
            "  - id: {id}\n    kind: tls\n    with:\n      host: {host}\n      port: {port}\n      address: 127.0.0.1\n      ca_file: {}",
            ca.display()
        );
    }
    s
}

#[test]
fn tls_names_each_certificate_problem() {
    use autoglm_doctor::sim::TlsVariant;
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let p = |v: TlsVariant| sim.addrs.tls(v).unwrap().port();
    let host = "master.autoglm.test";
    let entries = [
        ("valid", p(TlsVariant::Valid), host),
        ("soon", p(TlsVariant::ExpiringSoon), host),
        ("expired", p(TlsVariant::Expired), host),
        ("future", p(TlsVariant::NotYetValid), host),
        ("wronghost", p(TlsVariant::WrongHost), host),
        ("selfsigned", p(TlsVariant::SelfSigned), host),
        ("plainhttp", sim.addrs.http.port(), host),
        ("blackhole", sim.addrs.black_hole.port(), host),
    ];
    let (_, report) = run_suite(dir.path(), &tls_suite(&entries, &ca), &["--timeout", "1s"]);
    let expect = [
        ("valid", "pass", None),
        ("soon", "warn", Some("tls.expiring-soon")),
        ("expired", "fail", Some("tls.expired")),
        ("future", "fail", Some("tls.not-yet-valid")),
        ("wronghost", "fail", Some("tls.wrong-host")),
        ("selfsigned", "fail", Some("tls.self-signed")),
        ("plainhttp", "fail", Some("tls.not-tls")),
        ("blackhole", "fail", Some("tls.no-handshake")),
    ];
    for (id, status, code) in expect {
        let r = result(&report, id);
        assert_eq!(
            (r["status"].as_str().unwrap(), r["code"].as_str()),
            (status, code),
            "{id}: {r:#}"
        );
    }
    let valid = result(&report, "valid");
    let cert = &valid["evidence"]
        ["certificate 127.0.0.1:".to_string() + &p(TlsVariant::Valid).to_string()];
    assert_eq!(cert["issuer"], "CN=Open-AutoGLM Test CA v2.1");
    assert!(cert["sans"].as_array().unwrap().iter().any(|s| s == host));
    assert!(
        result(&report, "wronghost")["message"]
            .as_str()
            .unwrap()
            .contains("other.autoglm.test")
    );
    assert!(
        report["facts"]["tls.ca.sha256"]
            .as_str()
            .is_some_and(|s| s.len() == 64)
    );
}

#[test]
fn tls_untrusted_when_the_bundle_holds_another_ca() {
    // A CA rotation that reached the master but not this node: the bundle holds the old CA.
    let sim = SimMaster::start(Options::default()).unwrap();
    let other = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let old_ca = dir.path().join("old-ca.pem");
    std::fs::write(&old_ca, &other.pki.ca_pem).unwrap();
    let port = sim.addrs.https.port();
    let (_, report) = run_suite(
        dir.path(),
        &tls_suite(&[("t", port, "master.autoglm.test")], &old_ca),
        &[],
    );
    let r = result(&report, "t");
    assert_eq!(r["code"], "tls.untrusted", "{r:#}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("issued by Open-AutoGLM Test CA v2.1, but not by the key"),
        "{r:#}"
    );
}

#[test]
fn peer_nginx_interop_tls_check() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let leaf = sim
        .pki
        .leaf(autoglm_doctor::sim::TlsVariant::Valid)
        .unwrap();
    let Some(ng) = super::peers::nginx(&leaf.cert_pem, &leaf.key_pem, None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let entries = [
        ("tls", ng.https.port(), "master.autoglm.test"),
        ("plain", ng.http.port(), "master.autoglm.test"),
        ("name", ng.https.port(), "other.autoglm.test"),
    ];
    let (_, report) = run_suite(dir.path(), &tls_suite(&entries, &ca), &[]);
    assert_eq!(
        result(&report, "tls")["status"],
        "pass",
        "{:#}",
        result(&report, "tls")
    );
    assert_eq!(
        result(&report, "plain")["code"],
        "tls.not-tls",
        "{:#}",
        result(&report, "plain")
    );
    assert_eq!(result(&report, "name")["code"], "tls.wrong-host");
}

#[test]
fn proxy_environment_capturing_the_master_is_named_with_credentials_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let suite = "checks:\n  - id: proxy\n    kind: proxy\n    with:\n      url: https://master.autoglm.test:8443\n      grpc_port: 9090\n";
    let s = write_suite(dir.path(), "suite.yaml", suite);
    let run = |envs: &[(&str, &str)]| {
        let mut cmd = doctor(dir.path());
        for v in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "grpc_proxy",
            "no_grpc_proxy",
        ] {
            cmd.env_remove(v);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["--format", "json", "--offline", "--suite"])
            .arg(&s)
            .output()
            .unwrap();
        (stdout(&out), json_report(&out))
    };
    let (_, clean) = run(&[]);
    assert_eq!(result(&clean, "proxy")["status"], "pass");
    let (text, captured) = run(&[(
        "HTTPS_PROXY",
        "http://svc:hunter2-proxy-secret@127.0.0.1:3128",
    )]);
    let r = result(&captured, "proxy");
    assert_eq!(r["code"], "proxy.captures-master", "{r:#}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("HTTPS_PROXY=http://<redacted>@127.0.0.1:3128")
    );
    assert!(!text.contains("hunter2-proxy-secret"));
    let (_, excluded) = run(&[
        ("HTTPS_PROXY", "http://127.0.0.1:3128"),
        ("NO_PROXY", ".autoglm.test"),
        ("no_grpc_proxy", "other.example"),
    ]);
    assert_eq!(result(&excluded, "proxy")["code"], "proxy.captures-grpc");
}

#[test]
fn icmp_echo_to_loopback_answers_or_is_skipped_for_lack_of_permission() {
    let dir = tempfile::tempdir().unwrap();
    let suite = "checks:\n  - id: ping\n    kind: icmp\n    with:\n      host: 127.0.0.1\n";
    let (_, report) = run_suite(dir.path(), suite, &[]);
    let r = result(&report, "ping");
    if rustix::process::geteuid().is_root() {
        assert_eq!(r["status"], "pass", "root may always ping: {r:#}");
    } else {
        assert!(
            r["status"] == "pass" || r["code"] == "icmp.not-permitted",
            "{r:#}"
        );
    }
}

#[test]
fn http_check_reports_status_and_names_missing_paths() {
    let sim = SimMaster::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
    let port = sim.addrs.https.port();
    let suite = format!(
        "checks:\n  - id: ok\n    kind: http\n    with:\n      url: https://localhost:{port}/healthz\n      ca_file: {ca}\n  - id: missing\n    kind: http\n    with:\n      url: https://localhost:{port}/nope\n      ca_file: {ca}\n  - id: plain\n    kind: http\n    with:\n      url: http://127.0.0.1:{http}/healthz\n  - id: hole\n    kind: http\n    timeout: 1s\n    with:\n      url: http://127.0.0.1:{hole}/\n",
        ca = ca.display(),
        http = sim.addrs.http.port(),
        hole = sim.addrs.black_hole.port()
    );
    let (_, report) = run_suite(dir.path(), &suite, &[]);
    assert_eq!(
        result(&report, "ok")["status"],
        "pass",
        "{:#}",
        result(&report, "ok")
    );
    assert_eq!(result(&report, "missing")["code"], "http.not-found");
    assert_eq!(result(&report, "plain")["status"], "pass");
    assert_eq!(result(&report, "hole")["code"], "http.no-response");
    assert!(
        report["facts"]["http.date"]
            .as_str()
            .is_some_and(|d| d.ends_with(" GMT"))
    );
}
