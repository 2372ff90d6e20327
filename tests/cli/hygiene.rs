//! What ships with the doctor never points at the outside world: every host name in the
//! fixtures, suites, README and docs is reserved for testing or documentation (`.test`,
//! `.example`, `.invalid`, `localhost`) or a loopback/documentation address, and every
//! README example, run exactly as written, connects to loopback only.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::*;

/// Names that appear in shipped files but are never contacted by the doctor, with why.
const NOT_HOSTS: [(&str, &str); 3] = [
    (
        "www.w3.org",
        "the XML Schema namespace of fixtures/junit/junit.xsd",
    ),
    ("crates.io", "a link in prose"),
    (
        "app.kubernetes.io",
        "a Kubernetes label key in the fleet recipes",
    ),
];

/// Placeholders in syntax descriptions (`https://user:password@host`).
const PLACEHOLDERS: [&str; 3] = ["host", "host:port", "host[:port]["];

/// Top-level domains reserved for tests and documentation (RFC 2606, RFC 6761).
fn reserved(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || [".test", ".example", ".invalid", ".localhost"]
            .iter()
            .any(|tld| host.ends_with(tld))
}

/// Loopback and the documentation ranges (RFC 5737, RFC 3849), and the unspecified address.
fn harmless(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0], o[1], o[2]) == (192, 0, 2)
                || (o[0], o[1], o[2]) == (198, 51, 100)
                || (o[0], o[1], o[2]) == (203, 0, 113)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || v6.is_unspecified() || (s[0], s[1]) == (0x2001, 0x0db8)
        }
    }
}

fn shipped_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    for dir in ["docs", "fixtures", "checks"] {
        walk(&root().join(dir), &mut files);
    }
    // Third-party YAML kept verbatim for the lint conformance test: only linted as text
    // (config.file, config.syntax, config.lint), never a node config a network check reads.
    let corpus = root().join("fixtures/lint-corpus");
    files.retain(|f| !f.starts_with(&corpus));
    files.sort();
    files
}

/// The host of every `scheme://host` in `text`.
fn url_hosts(text: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || "/\"'`)>,;|".contains(c))
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        // Userinfo ends at the last `@`.
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or(v6).to_string()
        } else if PLACEHOLDERS.contains(&host_port) {
            host_port.to_string()
        } else {
            host_port.split(':').next().unwrap_or(host_port).to_string()
        };
        let host = host.trim_end_matches('.');
        if !host.is_empty() {
            hosts.push(host.to_string());
        }
    }
    hosts
}

/// Names ending in a public top-level domain that a config, suite or example could name.
fn public_names(text: &str) -> Vec<String> {
    const PUBLIC: [&str; 14] = [
        "com", "org", "net", "io", "cn", "ai", "cloud", "dev", "edu", "gov", "info", "co", "app",
        "me",
    ];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| {
            let labels: Vec<&str> = w.split('.').collect();
            labels.len() >= 2
                && labels.iter().all(|l| !l.is_empty())
                && labels[0]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && PUBLIC.contains(&labels[labels.len() - 1].to_ascii_lowercase().as_str())
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn shipped_files_name_only_reserved_hosts_and_harmless_addresses() {
    let mut bad = BTreeSet::new();
    let mut seen = 0;
    for file in shipped_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let rel = file.strip_prefix(root()).unwrap().display().to_string();
        for host in url_hosts(&text).into_iter().chain(public_names(&text)) {
            seen += 1;
            if reserved(&host)
                || PLACEHOLDERS.contains(&host.as_str())
                || NOT_HOSTS.iter().any(|(n, _)| *n == host)
            {
                continue;
            }
            match host.parse::<IpAddr>() {
                Ok(ip) if harmless(ip) => {}
                _ => {
                    bad.insert(format!("{rel}: {host}"));
                }
            }
        }
        // Bare IPv4 literals anywhere (not only in URLs): NTP servers, nameservers, replicas.
        for word in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
            let word = word.trim_matches('.');
            if word.split('.').count() == 4
                && let Ok(ip) = word.parse::<IpAddr>()
                && !harmless(ip)
            {
                bad.insert(format!("{rel}: {word}"));
            }
        }
    }
    assert!(
        seen > 50,
        "too few host names found ({seen}): the scan is broken"
    );
    assert!(
        bad.is_empty(),
        "host names outside the reserved names and ranges:\n{}",
        bad.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_scan_recognises_what_it_must_refuse() {
    let text = "endpoint: https://user:pw@master.corp.com:8443/x\nntp_servers: [pool.ntp.org]\n";
    assert_eq!(url_hosts(text), ["master.corp.com"]);
    assert!(public_names(text).contains(&"pool.ntp.org".to_string()));
    assert!(!reserved("pool.ntp.org"));
    assert!(reserved("master.autoglm.test"));
    assert!(!harmless("10.0.0.1".parse().unwrap()));
    assert!(harmless("192.0.2.7".parse().unwrap()));
    assert!(harmless("::1".parse().unwrap()));
}

/// The README's runnable examples: `[ENV=value ...] cargo run --release --locked -- ARGS`
/// and `$ autoglm-doctor ARGS`, as (environment, arguments).
fn readme_examples() -> Vec<(Vec<(String, String)>, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut examples = Vec::new();
    for raw in readme.lines() {
        let line = raw.trim().trim_start_matches("$ ").trim_matches('`');
        let (env_part, args) = if let Some(i) = line.find("cargo run --release --locked --") {
            let rest = line[i + "cargo run --release --locked --".len()..].trim();
            (&line[..i], rest)
        } else if let Some(rest) = line.strip_prefix("autoglm-doctor ") {
            if rest.contains('[') || rest.contains('|') || rest.contains("...") {
                continue; // a synopsis, not an example
            }
            ("", rest)
        } else {
            continue;
        };
        let env: Vec<(String, String)> = env_part
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let args: Vec<String> = args
            .split('`')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .take_while(|w| !w.starts_with('#'))
            .map(str::to_string)
            .collect();
        examples.push((env, args));
    }
    examples
}

/// Every destination address in strace's `connect`/`sendto`/`sendmsg` lines.
fn destinations(trace: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in trace.lines() {
        for key in ["inet_addr(\"", "inet_pton(AF_INET6, \""] {
            let mut rest = line;
            while let Some(i) = rest.find(key) {
                rest = &rest[i + key.len()..];
                if let Some(end) = rest.find('"') {
                    out.push(rest[..end].to_string());
                }
            }
        }
    }
    out
}

/// Run every README example exactly as written under strace, inside a network namespace
/// of its own that has only loopback, so that even a wrong example sends nothing out: any
/// destination outside loopback in the trace fails the test.
#[test]
fn readme_examples_connect_to_loopback_only() {
    if !require("strace", "strace") || !require("unshare", "util-linux") {
        return;
    }
    let probe = std::process::Command::new("unshare")
        .args(["-rn", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        note_skip("no network namespace can be created here (unshare -rn)");
        return;
    }
    let examples = readme_examples();
    assert!(
        examples.len() >= 3,
        "README examples not found: {examples:?}"
    );
    let bin = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let dir = tempfile::tempdir().unwrap();
    let mut outside = Vec::new();
    for (i, (env, args)) in examples.iter().enumerate() {
        let trace = dir.path().join(format!("trace-{i}"));
        let mut cmd = std::process::Command::new("timeout");
        cmd.without_proxies()
            .current_dir(root())
            .env_remove("AUTOGLM_CONFIG")
            .env_remove(SKIP_LOG_ENV)
            .env_remove("AUTOGLM_DOCTOR_LOOPBACK_ONLY")
            .args(["60", "unshare", "-rn", "sh", "-c"])
            .arg(
                "ip link set lo up 2>/dev/null; exec strace -f -qq -o \"$0\" -e trace=connect,sendto,sendmsg,sendmmsg \"$@\"",
            )
            .arg(&trace)
            .arg(&bin)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {:?}\n{}",
            out.status,
            stderr(&out)
        );
        if args.iter().any(|a| a.ends_with("healthy.yaml")) {
            assert_eq!(
                out.status.code(),
                Some(0),
                "the README calls {args:?} healthy:\n{}",
                stderr(&out)
            );
        }
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        for dest in destinations(&text) {
            if !dest
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
            {
                outside.push(format!("{args:?} → {dest}"));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "README examples reach beyond loopback:\n{}",
        outside.join("\n")
    );
}

/// The example the README calls healthy passes (here under the loopback guard the test
/// harness always sets; the namespace test above runs it without).
#[test]
fn the_readme_healthy_example_passes() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains("fixtures/config/valid/healthy.yaml") && l.contains("cargo run"))
        .expect("the README shows the healthy fixture example");
    let (env, args) = readme_examples()
        .into_iter()
        .find(|(_, a)| a.iter().any(|w| w.ends_with("healthy.yaml")))
        .unwrap_or_else(|| panic!("not parsed: {line}"));
    let mut cmd = doctor(&root());
    cmd.args(&args);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{line}\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}
