//! `compare` over reports the real binary wrote for several nodes.

use super::*;

fn node_config(dir: &Path, id: &str, role: &str, ttl: u32, key: &str) -> PathBuf {
    node_config_with_ntp(dir, id, role, ttl, key, None)
}

fn node_config_with_ntp(
    dir: &Path,
    id: &str,
    role: &str,
    ttl: u32,
    key: &str,
    ntp: Option<std::net::SocketAddr>,
) -> PathBuf {
    let p = dir.join(format!("{id}.yaml"));
    let time = ntp
        .map(|a| format!("time:\n  ntp_servers: [\"{a}\"]\n"))
        .unwrap_or_default();
    std::fs::write(
        &p,
        format!("endpoint: https://master.autoglm.test:8443\nmodel_repo: /m\nnode:\n  id: {id}\n  role: {role}\napi:\n  version: \"3.1\"\nauth:\n  api_key: {key}\n  token_ttl: {ttl}\n{time}"),
    )
    .unwrap();
    p
}

/// The checks each node runs: its config, and its clock against its NTP server.
const FLEET_SUITE: &str = "name: fleet\nchecks:\n  - id: config.file\n    kind: config.file\n  - id: config.syntax\n    kind: config.syntax\n  - id: config.schema\n    kind: config.schema\n  - id: config.credentials\n    kind: config.credentials\n  - id: time.ntp\n    kind: ntp\n    with:\n      servers: ${config.time.ntp_servers}\n";

/// Ten nodes, each running the real binary: c03 keeps TTL 1800; c07's NTP server (a
/// simulated master's) is 4 s behind it, so c07 measures itself 4 s ahead.
fn fleet(dir: &Path) -> PathBuf {
    use autoglm_doctor::sim::{Options, SimMaster, ntp::NtpOptions};
    let on_time = SimMaster::start(Options::default()).unwrap();
    let behind = SimMaster::start(Options {
        ntp: NtpOptions {
            offset_ms: -4000,
            ..NtpOptions::default()
        },
        ..Options::default()
    })
    .unwrap();
    let suite = write_suite(dir, "fleet-suite.yaml", FLEET_SUITE);
    let reports = dir.join("reports");
    std::fs::create_dir(&reports).unwrap();
    for i in 0..10 {
        let (id, role) = if i == 0 {
            ("master".to_string(), "master")
        } else {
            (format!("c{i:02}"), "compute")
        };
        let ttl = if id == "c03" { 1800 } else { 3600 };
        let ntp = if id == "c07" {
            behind.addrs.ntp
        } else {
            on_time.addrs.ntp
        };
        let cfg = node_config_with_ntp(
            dir,
            &id,
            role,
            ttl,
            "sk-fleet-shared-secret-0099",
            Some(ntp),
        );
        let out = doctor(dir)
            .args(["check", "--format", "json", "--output"])
            .arg(reports.join(format!("{id}.json")))
            .arg("--suite")
            .arg(&suite)
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{id}: {}",
            stderr(&out)
        );
    }
    reports
}

#[test]
fn ten_reports_show_exactly_the_injected_drifts() {
    let dir = tempfile::tempdir().unwrap();
    let reports = fleet(dir.path());
    let out = doctor(dir.path())
        .args(["compare", "--format", "json"])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drifting: Vec<(&str, Vec<&str>)> = c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["drift"].as_array().unwrap().is_empty())
        .map(|r| {
            (
                r["fact"].as_str().unwrap(),
                r["drift"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        drifting,
        vec![
            ("auth.token_ttl", vec!["c03"]),
            ("time.offset_ms", vec!["c07"])
        ]
    );
    assert_eq!(c["nodes"][0]["id"], "master");

    let out = doctor(dir.path())
        .args(["compare"])
        .arg(&reports)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("fleet of 10 nodes · reference: master master · 2 drifting facts"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("auth.token_ttl")
            && l.contains("1800")
            && l.contains("c03 (1)")
            && l.contains("drift")),
        "{text}"
    );
    assert!(
        !text.contains("config.sha256"),
        "identity facts are not listed per node in the wide layout"
    );
    // The shared API key appears only as its fingerprint, identical on every node.
    assert!(!text.contains("sk-fleet-shared-secret-0099"));
    assert!(
        text.contains(&autoglm_doctor::secret::fingerprint(
            "sk-fleet-shared-secret-0099"
        )),
        "{text}"
    );
}

/// Replace the value of fact `key` in a report file by `literal`, written as is (a JSON
/// tool's spelling of a number: `3.6e3`, `3600.00`).
fn respell_fact(path: &Path, key: &str, literal: &str) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["facts"][key] = "@@respelled@@".into();
    let text = serde_json::to_string_pretty(&v)
        .unwrap()
        .replace("\"@@respelled@@\"", literal);
    std::fs::write(path, text).unwrap();
}

/// A number re-encoded by a JSON tool is the same number, and clock offsets that agree
/// within their error bounds are one value: the ten real reports, three of them with the
/// token TTL respelled, still show exactly the two injected drifts, and the nine on-time
/// offsets (each measured to about a millisecond) are one row, not nine.
#[test]
fn respelled_numbers_and_offsets_within_their_error_bounds_are_one_value() {
    let dir = tempfile::tempdir().unwrap();
    let reports = fleet(dir.path());
    respell_fact(&reports.join("c05.json"), "auth.token_ttl", "3.6e3");
    respell_fact(&reports.join("c06.json"), "auth.token_ttl", "3600.00");
    respell_fact(&reports.join("master.json"), "auth.token_ttl", "3600.0");
    let out = doctor(dir.path())
        .args(["compare", "--format", "json"])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = c["rows"].as_array().unwrap();
    let row = |fact: &str| rows.iter().find(|r| r["fact"] == fact).unwrap();
    assert_eq!(row("auth.token_ttl")["drift"], serde_json::json!(["c03"]));
    assert_eq!(row("time.offset_ms")["drift"], serde_json::json!(["c07"]));
    assert_eq!(c["drifting_facts"], 2);
    let groups = row("time.offset_ms")["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{groups:#?}");
    let mut sizes: Vec<usize> = groups
        .iter()
        .map(|g| g["nodes"].as_array().unwrap().len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 9], "{groups:#?}");
    let alone = groups
        .iter()
        .find(|g| g["nodes"].as_array().unwrap().len() == 1)
        .unwrap();
    assert_eq!(alone["nodes"], serde_json::json!(["c07"]));
    assert!(alone["low"].as_f64().unwrap() > 3000.0, "{alone}");
    let error = row("time.offset_error_ms")["values"]["c01"]
        .as_f64()
        .unwrap();
    assert!(error > 0.0, "each offset carries its error bound");

    let out = doctor(dir.path())
        .args(["compare"])
        .arg(&reports)
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines = |fact: &str| -> Vec<&str> {
        text.lines()
            .filter(|l| l.contains(&format!(" {fact} ")))
            .collect()
    };
    let ttl = lines("auth.token_ttl");
    assert_eq!(ttl.len(), 2, "{text}");
    assert!(
        ttl.iter()
            .any(|l| l.contains("3600") && l.contains("(9)") && !l.contains("drift")),
        "{text}"
    );
    let offsets = lines("time.offset_ms");
    assert_eq!(offsets.len(), 2, "{text}");
    assert!(
        offsets
            .iter()
            .any(|l| l.contains("agree within ±") && l.contains("(9)") && !l.contains("drift")),
        "{text}"
    );
    assert!(
        offsets
            .iter()
            .any(|l| l.contains("c07 (1)") && l.contains("drift")),
        "{text}"
    );
}

#[test]
fn reports_stream_on_stdin_and_bad_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let reports = fleet(dir.path());
    let mut stream = Vec::new();
    for e in std::fs::read_dir(&reports).unwrap() {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
        stream.extend(serde_json::to_vec(&v).unwrap());
        stream.push(b'\n');
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a report\"}").unwrap();
    let out = doctor(dir.path())
        .args(["compare", "--format", "markdown", "-"])
        .arg(&bad)
        .write_stdin(stream)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("| auth.token_ttl |"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(&format!(
            "warning: skipped {}: not an autoglm-doctor report",
            bad.display()
        )),
        "{}",
        stderr(&out)
    );
    let out = doctor(dir.path())
        .args(["compare"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_agreeing_fleet_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("r");
    std::fs::create_dir(&reports).unwrap();
    for id in ["a", "b", "c"] {
        let cfg = node_config(dir.path(), id, "compute", 3600, "k-same-0001");
        let out = doctor(dir.path())
            .args([
                "check", "--only", "config.*", "--format", "json", "--output",
            ])
            .arg(reports.join(format!("{id}.json")))
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let out = doctor(dir.path())
        .args(["compare"])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 drifting facts"));
}

fn python_tool(module_cli: &str) -> Option<PathBuf> {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import os, sys; p = os.path.join(os.path.dirname(sys.executable), '{module_cli}'); print(p if os.path.exists(p) else '')")])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    if found.is_none() {
        skip(&format!(
            "{module_cli} is not installed for python3 (scripts/test.sh installs the pinned Python tools in target/venv)"
        ));
    }
    found
}

#[test]
fn kubernetes_recipes_validate_against_the_kubernetes_schema() {
    let Some(validate) = python_tool("kubernetes-validate") else {
        return;
    };
    for f in ["docs/fleet/daemonset.yaml", "docs/fleet/job.yaml"] {
        let out = std::process::Command::new(&validate)
            .args(["--strict", "--kubernetes-version", "1.30.0"])
            .arg(root().join(f))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{f}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

#[test]
fn ansible_playbook_runs_against_localhost_and_compares() {
    let Some(playbook) = python_tool("ansible-playbook") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::write(
        dir.path().join("inventory"),
        "localhost ansible_connection=local ansible_python_interpreter=python3\n",
    )
    .unwrap();
    let doctor = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let out = std::process::Command::new(&playbook)
        .current_dir(dir.path())
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .env("ANSIBLE_LOCAL_TEMP", dir.path().join("ansible-tmp"))
        .env("ANSIBLE_HOME", dir.path().join("ansible-home"))
        .args(["-i", "inventory", "-e"])
        .arg(format!(
            "doctor={} reports_dir={}",
            doctor.display(),
            reports.display()
        ))
        .arg(root().join("docs/fleet/playbook.yml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("localhost.json")).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert!(stdout(&out).contains("fleet of 1 node"), "{}", stdout(&out));
}

/// A node in a network namespace of its own: its loopback is its own, and so is the SNTP
/// server on it (a small independent Python server with a given clock offset).
struct Netns {
    name: String,
    server: Option<std::process::Child>,
}

impl Netns {
    fn create(name: &str) -> Result<Self, String> {
        let out = std::process::Command::new("ip")
            .args(["netns", "add", name])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let ns = Self {
            name: name.to_string(),
            server: None,
        };
        let up = std::process::Command::new("ip")
            .args(["-n", name, "link", "set", "lo", "up"])
            .output()
            .map_err(|e| e.to_string())?;
        if !up.status.success() {
            return Err(String::from_utf8_lossy(&up.stderr).trim().to_string());
        }
        Ok(ns)
    }

    /// Serve SNTP on 127.0.0.1:12300 inside the namespace, `offset` seconds off, for at most a minute.
    fn serve_sntp(&mut self, offset: f64) {
        let script = "import socket, struct, sys, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('127.0.0.1', 12300)); s.settimeout(60)\nprint('ready', flush=True)\nend = time.time() + 60\nwhile time.time() < end:\n    try:\n        data, peer = s.recvfrom(512)\n    except socket.timeout:\n        break\n    if len(data) < 48: continue\n    t = time.time() + float(sys.argv[1]) + 2208988800\n    ts = struct.pack('!Q', int(t * 2**32))\n    s.sendto(bytes([0x24, 2, 6, 0xec]) + b'\\x00' * 8 + b'LOCL' + ts + data[40:48] + ts + ts, peer)\n";
        let mut child = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.name,
                "python3",
                "-c",
                script,
                &offset.to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the server has bound its port (it says so), not a fixed sleep: on a
        // busy machine Python can take seconds to start. Bounded: 20 s at most.
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut out, &mut line);
            let _ = tx.send(line);
        });
        let ready = rx.recv_timeout(std::time::Duration::from_secs(20));
        self.server = Some(child);
        assert_eq!(
            ready.as_deref().map(str::trim),
            Ok("ready"),
            "the SNTP server in {} did not start",
            self.name
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Four nodes, each in a network namespace of its own with its own NTP server, each running
/// the real binary; node 2 keeps TTL 1800 and node 3's clock is 4 s ahead of its server.
#[test]
fn nodes_in_separate_network_namespaces_compare_to_exactly_the_injected_drifts() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), "fleet-suite.yaml", FLEET_SUITE);
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let mut namespaces = Vec::new();
    for i in 0..4 {
        let name = format!("autoglm-doctor-t{}-{i}", std::process::id());
        let mut ns = match Netns::create(&name) {
            Ok(ns) => ns,
            Err(why) => {
                assert!(
                    std::env::var_os("CI").is_none() || !rustix::process::geteuid().is_root(),
                    "cannot create a network namespace as root in CI: {why}"
                );
                let reason = format!(
                    "network namespaces are unavailable here ({why}); the same comparison runs over separate config sets in ten_reports_show_exactly_the_injected_drifts"
                );
                if rustix::process::geteuid().is_root() {
                    skip(&reason);
                } else {
                    // Not root: no namespaces, and nothing CI would have to install.
                    note_skip(&reason);
                }
                return;
            }
        };
        // The server is 4 s behind node 3, so node 3 measures itself 4 s ahead.
        ns.serve_sntp(if i == 3 { -4.0 } else { 0.0 });
        let (id, role) = if i == 0 {
            ("master".to_string(), "master")
        } else {
            (format!("node{i}"), "compute")
        };
        let ntp: std::net::SocketAddr = "127.0.0.1:12300".parse().unwrap();
        let cfg = node_config_with_ntp(
            dir.path(),
            &id,
            role,
            if i == 2 { 1800 } else { 3600 },
            "k-ns-shared-0001",
            Some(ntp),
        );
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &name])
            .arg(assert_cmd::cargo::cargo_bin("autoglm-doctor"))
            .args(["check", "--format", "json", "--output"])
            .arg(reports.join(format!("{id}.json")))
            .arg("--suite")
            .arg(&suite)
            .arg("--config")
            .arg(&cfg)
            .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{id}: {}",
            stderr(&out)
        );
        namespaces.push(ns);
    }
    let out = doctor(dir.path())
        .args(["compare", "--format", "json"])
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drifting: Vec<(String, Vec<String>)> = c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["drift"].as_array().unwrap().is_empty())
        .map(|r| {
            (
                r["fact"].as_str().unwrap().to_string(),
                r["drift"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        drifting,
        vec![
            ("auth.token_ttl".to_string(), vec!["node2".to_string()]),
            ("time.offset_ms".to_string(), vec!["node3".to_string()])
        ]
    );
}

/// One real report, written by the binary, as a JSON value to copy from.
fn one_report(dir: &Path) -> serde_json::Value {
    let cfg = node_config(dir, "base", "compute", 3600, "k-bounds-0001");
    let out = doctor(dir)
        .args([
            "check", "--format", "json", "--only", "config.*", "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    json_report(&out)
}

/// `compare` of inputs that would hang it or exhaust it ends at once with a clear error:
/// a FIFO without a writer, a device, a 1 GB file, a report of a format it does not know,
/// and a fleet whose reports each carry facts of their own.
#[test]
fn compare_refuses_unbounded_inputs_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let base = one_report(dir.path());
    let run = |args: &[&std::ffi::OsStr]| {
        doctor(dir.path())
            .arg("compare")
            .args(args)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap()
    };

    let fifo = dir.path().join("r.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = run(&[fifo.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read report {}: it is a FIFO (named pipe), not a regular file\n",
            fifo.display()
        )
    );
    let out = run(&["/dev/zero".as_ref()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read report /dev/zero: it is a device, not a regular file\n"
    );
    std::fs::remove_file(&fifo).unwrap();

    // A sparse 1 GB file: refused by its size, never read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let out = run(&[huge.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read report {}: it is 1073741824 bytes, more than the 16777216 bytes a report may have\n",
            huge.display()
        )
    );
    std::fs::remove_file(&huge).unwrap();

    let mut v2 = base.clone();
    v2["schema_version"] = 2.into();
    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, serde_json::to_vec(&v2).unwrap()).unwrap();
    let out = run(&[newer.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: schema_version 2 is not a report format this autoglm-doctor reads (it reads schema_version 1); compare it with the autoglm-doctor version that wrote it\n",
            newer.display()
        )
    );
    std::fs::remove_file(&newer).unwrap();

    // 2,000 reports, each with 100 facts no other report has.
    let fleet = dir.path().join("own-facts");
    std::fs::create_dir(&fleet).unwrap();
    for i in 0..2000 {
        let mut r = base.clone();
        let facts = r["facts"].as_object_mut().unwrap();
        facts.insert("node.id".into(), format!("n{i:04}").into());
        for j in 0..100 {
            facts.insert(format!("own.{i:04}.{j:03}"), j.into());
        }
        std::fs::write(
            fleet.join(format!("n{i:04}.json")),
            serde_json::to_vec(&r).unwrap(),
        )
        .unwrap();
    }
    let out = run(&[fleet.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "error: the reports carry more than 10000 distinct facts (the 10000th new one was `own."
        ) && err
            .ends_with("compare reports of one kind of node, written by `check --format json`\n"),
        "{err}"
    );

    // Standard input: each report is capped too; a stream of zero bytes is not a report.
    let mut big = base.clone();
    big["results"] = serde_json::json!([{"padding": "x".repeat(17 << 20)}]);
    let out = doctor(dir.path())
        .args(["compare", "-"])
        .write_stdin(serde_json::to_vec(&big).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot read reports from standard input: a report on standard input is larger than 16777216 bytes\n"
    );
}
