//! Diagnosis accuracy: one scenario per fault, each against real peers on loopback
//! (dnsmasq, misbehaving servers written here), asserting the single root cause the doctor
//! names (check id and code) and that nothing else is a root cause. `docs/accuracy.md`
//! records the score.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use super::*;

/// Run a suite and return the JSON report.
fn run(dir: &Path, suite: &str) -> serde_json::Value {
    let s = write_suite(dir, "suite.yaml", suite);
    let out = doctor(dir)
        .args(["check", "--format", "json", "--suite"])
        .arg(&s)
        .output()
        .unwrap();
    json_report(&out)
}

/// The one root cause is `id` with `code`; nothing else is one.
fn assert_root_cause(report: &serde_json::Value, id: &str, code: &str) {
    let roots: Vec<&str> = report["root_causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(roots, [id], "root causes of {report:#}");
    assert_eq!(result(report, id)["code"], code, "{:#}", result(report, id));
}

/// A DNS check at `server` (direct path), and a TCP check of `port` that needs it.
fn dns_tcp_suite(host: &str, servers: &[String], port: u16) -> String {
    let list = servers
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "checks:\n  - id: dns.master\n    kind: dns\n    timeout: 3s\n    with:\n      host: {host}\n      nameservers: [{list}]\n      paths: [direct]\n  - id: tcp.master\n    kind: tcp\n    needs: [dns.master]\n    timeout: 3s\n    with:\n      host: {host}\n      ports: [{port}]\n"
    )
}

/// A UDP server on loopback answering every datagram with `reply(query)`, for at most 30 s.
fn udp_peer(reply: fn(&[u8]) -> Vec<u8>) -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut buf = [0u8; 512];
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok((n, from)) = sock.recv_from(&mut buf) {
                let _ = sock.send_to(&reply(&buf[..n]), from);
            }
        }
    });
    addr
}

/// A loopback UDP port nothing listens on: the kernel answers ICMP port unreachable.
fn dead_udp_port() -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.local_addr().unwrap()
    // dropped here: the port is closed
}

fn healthy_port() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let p = l.local_addr().unwrap().port();
    (l, p)
}

#[test]
fn accuracy_dns_nxdomain_is_the_headline() {
    let Some(dns) = super::peers::dnsmasq() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite("missing.autoglm.test", &[dns.addr.to_string()], 1),
    );
    assert_root_cause(&report, "dns.master", "dns.nxdomain");
    assert_eq!(result(&report, "tcp.master")["status"], "skip");
}

#[test]
fn accuracy_dns_nodata_is_the_headline() {
    let Some(dns) = super::peers::dnsmasq_with(&[
        "--txt-record=nodata.autoglm.test,present",
        "--local=/autoglm.test/",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite("nodata.autoglm.test", &[dns.addr.to_string()], 1),
    );
    assert_root_cause(&report, "dns.master", "dns.no-address");
}

#[test]
fn accuracy_dns_refused_by_a_server_without_the_zone() {
    // dnsmasq with no upstream refuses names it is not authoritative for.
    let Some(dns) = super::peers::dnsmasq_with(&["--address=/master.autoglm.test/127.0.0.1"])
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite("master.other.test", &[dns.addr.to_string()], 1),
    );
    assert_root_cause(&report, "dns.master", "dns.refused");
}

#[test]
fn accuracy_dns_dead_nameserver_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let report = run(
        dir.path(),
        &dns_tcp_suite("master.autoglm.test", &[dead_udp_port().to_string()], 1),
    );
    assert_root_cause(&report, "dns.master", "dns.refused");
    let r = result(&report, "dns.master");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{r:#}"
    );
    // Not a timeout: the check's 3 s budget is not waited out.
    assert!(
        r["duration_ms"].as_u64().unwrap_or(0) < 2500,
        "a refused port must not wait for the timeout: {r:#} (run took {:?})",
        start.elapsed()
    );
}

#[test]
fn accuracy_dns_garbage_answer_is_malformed() {
    let garbage = udp_peer(|q| {
        // The query's id, then bytes that are not a DNS header and body.
        let mut v = q.get(..2).unwrap_or(&[0, 0]).to_vec();
        v.extend_from_slice(b"\xff\xffnot dns");
        v
    });
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite("master.autoglm.test", &[garbage.to_string()], 1),
    );
    assert_root_cause(&report, "dns.master", "dns.malformed");
}

#[test]
fn accuracy_dns_stale_answer_is_the_disagreement_not_the_master_down() {
    // One resolver still gives the old address 127.0.0.3, where nothing listens; the other
    // gives 127.0.0.2, where the master's port accepts.
    let listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (Some(stale), Some(fresh)) = (
        super::peers::dnsmasq_with(&["--address=/master.autoglm.test/127.0.0.3"]),
        super::peers::dnsmasq_with(&["--address=/master.autoglm.test/127.0.0.2"]),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite(
            "master.autoglm.test",
            &[stale.addr.to_string(), fresh.addr.to_string()],
            port,
        ),
    );
    assert_root_cause(&report, "dns.master", "dns.inconsistent");
    let r = result(&report, "dns.master");
    let msg = r["message"].as_str().unwrap();
    assert!(
        msg.contains("127.0.0.3") && msg.contains("127.0.0.2"),
        "both answers named: {r:#}"
    );
    drop(listener);
}

#[test]
fn accuracy_dns_healthy_node_passes() {
    let Some(dns) = super::peers::dnsmasq() else {
        return;
    };
    let (_l, port) = healthy_port();
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite(
            "master.autoglm.test",
            &[dns.addr.to_string(), dns.addr.to_string()],
            port,
        ),
    );
    for id in ["dns.master", "tcp.master"] {
        assert_eq!(result(&report, id)["status"], "pass", "{report:#}");
    }
    assert!(
        result(&report, "dns.master")["message"]
            .as_str()
            .unwrap()
            .contains("1 more agree")
    );
}

#[test]
fn accuracy_dns_servfail_is_the_headline() {
    let servfail = udp_peer(|q| {
        // The query echoed back as a response (QR set) with RCODE 2, SERVFAIL.
        let mut v = q.to_vec();
        if v.len() > 3 {
            v[2] |= 0x80;
            v[3] = 0x80 | 2;
        }
        v
    });
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite("master.autoglm.test", &[servfail.to_string()], 1),
    );
    assert_root_cause(&report, "dns.master", "dns.servfail");
}

#[test]
fn accuracy_dns_silent_server_is_no_answer() {
    // Bound, so no ICMP error, but never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = run(
        dir.path(),
        &dns_tcp_suite(
            "master.autoglm.test",
            &[silent.local_addr().unwrap().to_string()],
            1,
        ),
    );
    assert_root_cause(&report, "dns.master", "dns.no-answer");
    drop(silent);
}

mod auth {
    //! Auth faults on the demo's node against the simulated master.
    use autoglm_doctor::sim::scenario::{self, Scenario};

    use super::*;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .cast_signed()
    }

    fn check(demo: &scenario::Demo) -> serde_json::Value {
        let out = doctor(demo.dir.path())
            .args(["check", "--format", "json", "--config"])
            .arg(&demo.config)
            .args(NOT_A_NODE)
            .output()
            .unwrap();
        json_report(&out)
    }

    /// Write the node's token with `header` and `claims` (iat/exp added), signed with `pem`.
    fn token(
        demo: &scenario::Demo,
        header: &serde_json::Value,
        claims: &serde_json::Value,
        pem: &str,
    ) {
        let t = autoglm_doctor::jwt::sign_es256(header, claims, pem).unwrap();
        std::fs::write(demo.dir.path().join("node.token"), t).unwrap();
    }

    fn claims(iss: &str, aud: &str, iat: i64, exp: i64) -> serde_json::Value {
        serde_json::json!({"iss": iss, "aud": aud, "sub": "demo-compute-01", "iat": iat, "exp": exp})
    }

    const ISS: &str = "https://master.autoglm.test";

    #[test]
    fn accuracy_auth_wrong_issuer_fails_the_token() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        let key = demo.sim.signing_key.clone();
        let t = now();
        token(
            &demo,
            &serde_json::json!({"alg": "ES256", "kid": key.kid}),
            &claims(
                "https://rogue.autoglm.test",
                "open-autoglm",
                t - 60,
                t + 3540,
            ),
            &key.private_pem,
        );
        let report = check(&demo);
        assert_root_cause(&report, "auth.token", "auth-token.issuer-mismatch");
    }

    #[test]
    fn accuracy_auth_wrong_audience_fails_the_token() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        let key = demo.sim.signing_key.clone();
        let t = now();
        token(
            &demo,
            &serde_json::json!({"alg": "ES256", "kid": key.kid}),
            &claims(ISS, "someone-else", t - 60, t + 3540),
            &key.private_pem,
        );
        let report = check(&demo);
        assert_root_cause(&report, "auth.token", "auth-token.audience-mismatch");
    }

    #[test]
    fn accuracy_auth_token_without_kid_from_a_rogue_key_is_a_bad_signature() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        let rogue = autoglm_doctor::sim::signing_key("rogue").unwrap();
        let t = now();
        token(
            &demo,
            &serde_json::json!({"alg": "ES256"}),
            &claims(ISS, "open-autoglm", t - 60, t + 3540),
            &rogue.private_pem,
        );
        let report = check(&demo);
        assert_root_cause(&report, "auth.token", "auth-token.bad-signature");
    }

    #[test]
    fn accuracy_auth_expired_token_is_not_hidden_by_a_ttl_mismatch() {
        let demo = scenario::start(Scenario::TtlMismatch).unwrap();
        let key = demo.sim.signing_key.clone();
        let t = now();
        token(
            &demo,
            &serde_json::json!({"alg": "ES256", "kid": key.kid}),
            &claims(ISS, "open-autoglm", t - 7200, t - 3600),
            &key.private_pem,
        );
        let report = check(&demo);
        assert_eq!(
            report["root_causes"],
            serde_json::json!(["auth.params", "auth.token"]),
            "{report:#}"
        );
        assert_eq!(
            result(&report, "auth.params")["code"],
            "auth-params.ttl-mismatch"
        );
        assert_eq!(result(&report, "auth.token")["code"], "auth-token.expired");
    }

    #[test]
    fn accuracy_healthy_node_all_pass() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        let report = check(&demo);
        let not_pass: Vec<String> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] != "pass")
            .map(|r| format!("{} {} {}", r["id"], r["status"], r["message"]))
            .collect();
        assert!(not_pass.is_empty(), "{not_pass:#?}");
    }
}

mod time {
    //! Clock faults: a real chronyd under libfaketime, the simulated master's skewable `Date`
    //! header, and SNTP servers that misbehave.
    use autoglm_doctor::sim::scenario::{self, Scenario};

    use super::*;

    fn check(demo: &scenario::Demo) -> serde_json::Value {
        let out = doctor(demo.dir.path())
            .args(["check", "--format", "json", "--config"])
            .arg(&demo.config)
            .args(NOT_A_NODE)
            .output()
            .unwrap();
        json_report(&out)
    }

    /// Point the demo node's NTP server at `addr`.
    fn use_ntp(demo: &scenario::Demo, addr: SocketAddr) {
        let text = std::fs::read_to_string(&demo.config).unwrap();
        let port = demo.sim.addrs.ntp.port();
        let from = format!("127.0.0.1:{port}");
        assert!(
            text.contains(&from),
            "no ntp server line in the demo config"
        );
        std::fs::write(&demo.config, text.replacen(&from, &addr.to_string(), 1)).unwrap();
    }

    fn ntp_now() -> u64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        ((d.as_secs() + 2_208_988_800) << 32)
            | ((u64::from(d.subsec_nanos()) << 32) / 1_000_000_000)
    }

    /// An SNTP server answering every request with `header` (first byte: leap, version,
    /// mode 4; stratum), root dispersion `dispersion` (16.16 s), and the request's transmit
    /// timestamp as origin when `echo` (a bogus reply otherwise).
    fn sntp_peer(first: u8, stratum: u8, dispersion: u32, echo: bool) -> SocketAddr {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut buf = [0u8; 512];
            while start.elapsed() < Duration::from_secs(30) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                if n < 48 {
                    continue;
                }
                let mut r = [0u8; 48];
                r[0] = first;
                r[1] = stratum;
                r[2] = 6;
                r[3] = 0xec;
                r[8..12].copy_from_slice(&dispersion.to_be_bytes());
                r[12..16].copy_from_slice(b"GPS\0");
                let now = ntp_now().to_be_bytes();
                r[16..24].copy_from_slice(&now);
                if echo {
                    r[24..32].copy_from_slice(&buf[40..48]);
                } else {
                    r[24..32].copy_from_slice(&now);
                }
                r[32..40].copy_from_slice(&now);
                r[40..48].copy_from_slice(&now);
                let _ = sock.send_to(&r, from);
            }
        });
        addr
    }

    const LEAP0_V4_SERVER: u8 = 0b0010_0100;
    const LEAP3_V4_SERVER: u8 = 0b1110_0100;

    #[test]
    fn accuracy_time_ntp_ahead_of_node_and_master_blames_this_node_only() {
        let Some(chrony) = super::super::peers::chronyd("+3s") else {
            return;
        };
        let demo = scenario::start(Scenario::Healthy).unwrap();
        use_ntp(&demo, chrony.addr);
        let report = check(&demo);
        assert_root_cause(&report, "time.ntp", "ntp.skew");
        assert_ne!(result(&report, "time.master")["status"], "fail");
    }

    #[test]
    fn accuracy_time_ntp_300s_behind_does_not_fail_a_fresh_token() {
        let Some(chrony) = super::super::peers::chronyd("-300s") else {
            return;
        };
        let demo = scenario::start(Scenario::Healthy).unwrap();
        use_ntp(&demo, chrony.addr);
        let report = check(&demo);
        assert_root_cause(&report, "time.ntp", "ntp.skew");
        assert_eq!(
            result(&report, "auth.token")["status"],
            "pass",
            "{report:#}"
        );
    }

    #[test]
    fn accuracy_time_master_date_agreeing_with_ntp_blames_this_node() {
        // Master and NTP both 4 s behind this node.
        let demo = scenario::start(Scenario::SkewedClock).unwrap();
        let report = check(&demo);
        assert_root_cause(&report, "time.ntp", "ntp.skew");
        assert_eq!(
            result(&report, "time.master")["status"],
            "pass",
            "{report:#}"
        );
    }

    #[test]
    fn accuracy_time_master_date_off_from_ntp_blames_the_master() {
        // The master's Date is 4 s behind; a correct NTP server agrees with this node.
        let demo = scenario::start(Scenario::SkewedClock).unwrap();
        use_ntp(&demo, sntp_peer(LEAP0_V4_SERVER, 2, 0x0000_0100, true));
        let report = check(&demo);
        assert_root_cause(&report, "time.master", "clock-http.master-skew");
    }

    #[test]
    fn accuracy_time_bogus_origin_is_a_bad_reply_not_silence() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        use_ntp(&demo, sntp_peer(LEAP0_V4_SERVER, 2, 0x0000_0100, false));
        let report = check(&demo);
        assert_root_cause(&report, "time.ntp", "ntp.bad-reply");
        assert!(
            result(&report, "time.ntp")["message"]
                .as_str()
                .unwrap()
                .contains("bogus reply"),
            "{report:#}"
        );
    }

    #[test]
    fn accuracy_time_huge_root_dispersion_is_not_trusted() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        use_ntp(&demo, sntp_peer(LEAP0_V4_SERVER, 2, 0xFFFF_0000, true));
        let report = check(&demo);
        assert_root_cause(&report, "time.ntp", "ntp.server-unsynchronised");
        assert!(
            result(&report, "time.ntp")["message"]
                .as_str()
                .unwrap()
                .contains("root dispersion"),
            "{report:#}"
        );
    }

    #[test]
    fn accuracy_time_unsynchronised_leap_indicator_is_not_trusted() {
        let demo = scenario::start(Scenario::Healthy).unwrap();
        use_ntp(&demo, sntp_peer(LEAP3_V4_SERVER, 2, 0x0000_0100, true));
        let report = check(&demo);
        assert_root_cause(&report, "time.ntp", "ntp.server-unsynchronised");
    }
}

mod addresses {
    //! A dual-stack name whose port listens on IPv4 only.
    use autoglm_doctor::sim::{Options, SimMaster, TlsVariant};

    use super::*;

    fn suite(dns: SocketAddr, port: u16, ca: &Path) -> String {
        format!(
            "checks:\n  - id: dns.master\n    kind: dns\n    with:\n      host: master.autoglm.test\n      nameservers: [\"{dns}\"]\n      paths: [direct]\n  - id: tcp.master\n    kind: tcp\n    needs: [dns.master]\n    timeout: 3s\n    with:\n      host: master.autoglm.test\n      ports: [{port}]\n  - id: tls.master\n    kind: tls\n    needs: [tcp.master]\n    timeout: 3s\n    with:\n      host: master.autoglm.test\n      port: {port}\n      ca_file: {}\n",
            ca.display()
        )
    }

    fn dual_stack() -> Option<super::super::peers::Dnsmasq> {
        super::super::peers::dnsmasq_with(&[
            "--address=/master.autoglm.test/127.0.0.1",
            "--address=/master.autoglm.test/::1",
        ])
    }

    #[test]
    fn accuracy_addresses_ipv4_only_port_is_healthy() {
        let Some(dns) = dual_stack() else { return };
        let sim = SimMaster::start(Options::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
        let port = sim.addrs.tls(TlsVariant::Valid).unwrap().port();
        let report = run(dir.path(), &suite(dns.addr, port, &ca));
        assert_eq!(report["root_causes"], serde_json::json!([]), "{report:#}");
        assert_eq!(
            result(&report, "tls.master")["status"],
            "pass",
            "{report:#}"
        );
        let tcp = result(&report, "tcp.master");
        assert_eq!(tcp["status"], "warn", "{tcp:#}");
        assert!(tcp["message"].as_str().unwrap().contains("IPv6"), "{tcp:#}");
    }

    #[test]
    fn accuracy_addresses_expired_certificate_behind_an_ipv4_only_port() {
        let Some(dns) = dual_stack() else { return };
        let sim = SimMaster::start(Options::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &sim.pki.ca_pem).unwrap();
        let port = sim.addrs.tls(TlsVariant::Expired).unwrap().port();
        let report = run(dir.path(), &suite(dns.addr, port, &ca));
        assert_root_cause(&report, "tls.master", "tls.expired");
    }
}

/// An HTTP/1.1 server on loopback answering every request with 200 and `body`, for at
/// most 30 s.
fn http_peer(body: &'static str) -> SocketAddr {
    use std::io::{Read, Write};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    l.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let Ok((mut s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

#[test]
fn accuracy_api_master_that_only_speaks_3_0_fails_a_2_5_node() {
    let master = http_peer(r#"{"server_version":"3.0","supported":["3.0"]}"#);
    let dir = tempfile::tempdir().unwrap();
    let suite = |v: &str| {
        format!(
            "checks:\n  - id: api.version\n    kind: api-version\n    with:\n      url: http://{master}\n      version: \"{v}\"\n"
        )
    };
    let report = run(dir.path(), &suite("2.5"));
    assert_root_cause(&report, "api.version", "api-version.unsupported-version");
    let report = run(dir.path(), &suite("3.0"));
    assert_eq!(
        result(&report, "api.version")["status"],
        "pass",
        "{report:#}"
    );
}

mod remediation {
    //! Faults whose fix must point the right way.
    use std::io::Read;

    use super::*;

    /// Accepts connections and resets each one once the client has sent something (closing
    /// a socket with unread data sends an RST), for at most 30 s.
    fn resetting_peer() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        l.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                let Ok((mut s, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut one = [0u8; 1];
                // Read one byte of the ClientHello, leave the rest unread, close: RST.
                let _ = s.read(&mut one);
                std::thread::sleep(Duration::from_millis(50));
                drop(s);
            }
        });
        addr
    }

    #[test]
    fn accuracy_tls_reset_is_not_a_tls_version_problem() {
        let peer = resetting_peer();
        let dir = tempfile::tempdir().unwrap();
        let suite = format!(
            "checks:\n  - id: tcp.master\n    kind: tcp\n    with:\n      host: 127.0.0.1\n      ports: [{}]\n  - id: tls.master\n    kind: tls\n    needs: [tcp.master]\n    timeout: 3s\n    with:\n      host: master.autoglm.test\n      address: 127.0.0.1\n      port: {}\n",
            peer.port(),
            peer.port()
        );
        let report = run(dir.path(), &suite);
        assert_root_cause(&report, "tls.master", "tls.connection-reset");
        let fix = result(&report, "tls.master")["remediation"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!fix.starts_with("align TLS"), "{fix}");
    }
}

mod firewall {
    //! TCP faults made with nftables inside a network namespace of the test's own (its own
    //! loopback, its own rules): an ICMP admin-prohibited reject of one port, a DROP rule,
    //! and a listener whose accept queue is full. Each names its own root cause and a fix
    //! that points the right way.

    use super::*;

    /// The namespace's script: loopback up, the rules loaded, the peer started (it prints
    /// `ready` once its sockets are set up), the doctor run, the peer stopped. Exit 98: nft
    /// could not load the rules; 97: the peer did not start.
    const SCRIPT: &str = r#"
ip link set lo up || exit 98
nft -f "$DIR/rules.nft" || exit 98
python3 "$DIR/peer.py" > "$DIR/peer.out" 2>&1 &
peer=$!
i=0
while ! grep -q ready "$DIR/peer.out" 2>/dev/null; do
  i=$((i + 1)); [ "$i" -gt 300 ] && { kill "$peer"; exit 97; }
  sleep 0.1
done
"$DOCTOR" check --format json --suite "$DIR/suite.yaml" > "$DIR/report.json"
code=$?
kill "$peer" 2>/dev/null
wait "$peer" 2>/dev/null
exit "$code"
"#;

    /// Whether network namespaces and nftables are usable here; records the skip otherwise.
    fn available() -> bool {
        if !require("unshare", "util-linux") || !require("nft", "nftables") {
            return false;
        }
        let probe = std::process::Command::new("unshare")
            .args(["-rn", "nft", "list", "ruleset"])
            .output();
        match probe {
            Ok(o) if o.status.success() => true,
            other => {
                let why = match other {
                    Ok(o) => stderr(&o).trim().to_string(),
                    Err(e) => e.to_string(),
                };
                let reason = format!(
                    "no network namespace with nftables can be created here (unshare -rn nft: {why})"
                );
                if rustix::process::geteuid().is_root() {
                    skip(&reason);
                } else {
                    // Not root: nothing CI would have to install.
                    note_skip(&reason);
                }
                false
            }
        }
    }

    /// Run a `tcp` check of `host` port `port` in a fresh namespace with `rules` and `peer`.
    fn scenario(rules: &str, peer: &str, host: &str, port: u16) -> Option<serde_json::Value> {
        if !available() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("rules.nft"),
            format!(
                "table inet autoglm_test {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n{rules}\n  }}\n}}\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("peer.py"), peer).unwrap();
        write_suite(
            dir.path(),
            "suite.yaml",
            &format!(
                "checks:\n  - id: tcp.master\n    kind: tcp\n    timeout: 4s\n    with:\n      host: \"{host}\"\n      ports: [{port}]\n"
            ),
        );
        let out = std::process::Command::new("timeout")
            .args(["90", "unshare", "-rn", "sh", "-c", SCRIPT])
            .env("DIR", dir.path())
            .env("DOCTOR", assert_cmd::cargo::cargo_bin("autoglm-doctor"))
            .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
            .env_remove("AUTOGLM_CONFIG")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "the scenario failed ({:?}): {}{}",
            out.status.code(),
            stderr(&out),
            std::fs::read_to_string(dir.path().join("peer.out")).unwrap_or_default()
        );
        let report = std::fs::read(dir.path().join("report.json")).unwrap();
        Some(serde_json::from_slice(&report).unwrap())
    }

    /// A peer with nothing to serve.
    const NO_PEER: &str = "print('ready', flush=True)\n";

    fn fix(report: &serde_json::Value) -> String {
        result(report, "tcp.master")["remediation"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn message(report: &serde_json::Value) -> String {
        result(report, "tcp.master")["message"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn accuracy_tcp_icmp_admin_prohibited_reject_is_a_firewall_not_routing() {
        let Some(report) = scenario(
            "    tcp dport 9091 reject with icmp type admin-prohibited",
            NO_PEER,
            "127.0.0.1",
            9091,
        ) else {
            return;
        };
        assert_root_cause(&report, "tcp.master", "tcp.rejected");
        let fix = fix(&report);
        assert!(
            fix.contains("firewall rule")
                && fix.contains("TCP port 9091")
                && fix.contains("nft list ruleset"),
            "{fix}"
        );
        assert!(
            !fix.contains("ip route") && !fix.contains("routing"),
            "{fix}"
        );
        assert!(message(&report).contains("No route to host"), "{report:#}");
    }

    #[test]
    fn accuracy_tcp_icmpv6_admin_prohibited_reject_is_a_firewall_not_a_local_error() {
        let Some(report) = scenario(
            "    tcp dport 9091 reject with icmpx type admin-prohibited",
            NO_PEER,
            "::1",
            9091,
        ) else {
            return;
        };
        assert_root_cause(&report, "tcp.master", "tcp.rejected");
        let fix = fix(&report);
        assert!(
            fix.contains("TCP port 9091") && fix.contains("admin-prohibited"),
            "{fix}"
        );
        assert!(
            !fix.contains("exhaustion") && !fix.contains("ip route"),
            "{fix}"
        );
        assert!(message(&report).contains("Permission denied"), "{report:#}");
    }

    #[test]
    fn accuracy_tcp_drop_rule_is_the_firewall() {
        // A healthy listener behind the rule: its queue has room.
        let peer = "import socket, time\nl = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\nl.bind(('127.0.0.1', 9092)); l.listen(128)\nprint('ready', flush=True)\ntime.sleep(60)\n";
        let Some(report) = scenario("    tcp dport 9092 drop", peer, "127.0.0.1", 9092) else {
            return;
        };
        assert_root_cause(&report, "tcp.master", "tcp.filtered");
        let msg = message(&report);
        assert!(msg.contains("a firewall DROP rule on this host"), "{msg}");
        assert!(!msg.contains("overloaded"), "{msg}");
        let fix = fix(&report);
        assert!(
            fix.contains("DROP rule for TCP port 9092") && fix.contains("nft list ruleset"),
            "{fix}"
        );
    }

    #[test]
    fn accuracy_tcp_full_accept_queue_is_the_listener_not_a_firewall() {
        // Backlog 0 and never accept(): one connection fills the queue; the clients behind
        // it keep the kernel dropping SYNs.
        let peer = "import socket, time\nl = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\nl.bind(('127.0.0.1', 9095)); l.listen(0)\ncs = []\nfor i in range(4):\n    c = socket.socket(); c.setblocking(False)\n    try:\n        c.connect(('127.0.0.1', 9095))\n    except BlockingIOError:\n        pass\n    cs.append(c)\ntime.sleep(0.5)\nprint('ready', flush=True)\ntime.sleep(60)\n";
        let Some(report) = scenario("", peer, "127.0.0.1", 9095) else {
            return;
        };
        assert_root_cause(&report, "tcp.master", "tcp.accept-queue-full");
        let msg = message(&report);
        assert!(
            msg.contains("not accepting") && msg.contains("not a firewall"),
            "{msg}"
        );
        let fix = fix(&report);
        assert!(
            fix.contains("ss -ltnp 'sport = :9095'") && fix.contains("backlog"),
            "{fix}"
        );
        assert!(!fix.contains("nft") && !fix.contains("firewall"), "{fix}");
    }
}
