//! The report on a terminal: the compact layout snapshotted at 80 and 120 columns and at a
//! terminal that reports 0×0, with and without colour; and, on a real pseudo-terminal of
//! 80×24, every failing demo scenario ends with its root cause, fix and code on the last
//! screen, no line wider than the terminal.

use std::collections::BTreeMap;
use std::time::Duration;

use autoglm_doctor::render::wrap::visible_width;
use autoglm_doctor::render::{self, Layout, Style};
use autoglm_doctor::report::{Cause, CheckResult, Evaluation, Finding, Location, Report};
use autoglm_doctor::settings::Format;
use clap::ValueEnum as _;

use super::*;

fn result(id: &str, category: &str, needs: &[&str], eval: Evaluation, ms: u64) -> CheckResult {
    CheckResult::from_evaluation(
        id,
        id.split('.').next().unwrap_or(id),
        category,
        needs.iter().map(|s| (*s).to_string()).collect(),
        eval,
        Duration::from_millis(ms),
    )
}

fn pass(id: &str, category: &str, message: &str) -> CheckResult {
    result(
        id,
        category,
        &[],
        Evaluation::single(Finding::pass(message)),
        2,
    )
}

fn blocked(id: &str, category: &str, by: &str) -> CheckResult {
    let mut e = Evaluation::single(Finding::new(
        &autoglm_doctor::check::exec::BLOCKED,
        format!("blocked by {by} (fail)"),
        format!("fix {by} first"),
    ));
    e.cause = Some(Cause::Dependency);
    let mut r = result(id, category, &[by], e, 0);
    r.blocked_by = vec![by.to_string()];
    r.attempts = 0;
    r
}

fn report(results: Vec<CheckResult>) -> Report {
    Report {
        tool_version: "0.0.0-test".into(),
        hostname: "compute-07".into(),
        started_at: chrono::DateTime::UNIX_EPOCH,
        duration: Duration::from_millis(1234),
        config_path: Some("/etc/open-autoglm/config.yaml".into()),
        config_sha256: None,
        suite: "compute-node".into(),
        profile: "default".into(),
        interrupted: false,
        results,
        facts: BTreeMap::new(),
    }
}

fn passes() -> Vec<CheckResult> {
    vec![
        pass(
            "config.file",
            "config",
            "read /etc/open-autoglm/config.yaml (from the system location), 412 bytes",
        ),
        pass(
            "config.syntax",
            "config",
            "/etc/open-autoglm/config.yaml is well-formed YAML (6 top-level keys)",
        ),
        pass("config.lint", "config", "no yamllint problems (relaxed)"),
        pass(
            "config.schema",
            "config",
            "the config matches the Open-AutoGLM schema",
        ),
        pass(
            "dns.master",
            "network",
            "master.autoglm.test resolves to 192.0.2.10 through the system resolver and both nameservers",
        ),
        pass(
            "tcp.master",
            "ports",
            "192.0.2.10: https 8443 and grpc 9443 open",
        ),
    ]
}

fn healthy() -> Report {
    let mut results = passes();
    results.extend([
        pass("tls.master", "tls", "certificate for master.autoglm.test valid until 2027-03-01 (94 days), issued by Open-AutoGLM CA v2.1"),
        pass("http.master", "http", "https://master.autoglm.test:8443/ answered 200 in 4ms"),
        pass("time.master", "time", "this node's clock is within 0.5 s of the master's Date header (limit 2s)"),
    ]);
    report(results)
}

fn one_root_cause() -> Report {
    let mut results = passes();
    results.push(result(
        "tls.master",
        "tls",
        &["tcp.master"],
        Evaluation::single(Finding::new(
            &autoglm_doctor::check::tls::EXPIRED,
            "192.0.2.10:8443: the certificate for master.autoglm.test expired on 2026-11-26 15:30 UTC (1 day ago)",
            "renew the certificate for master.autoglm.test on the master (it expired on 2026-11-26 15:30 UTC) and reload the service",
        )),
        12,
    ));
    results.push(blocked("http.master", "http", "tls.master"));
    results.push(blocked("api.version", "api", "tls.master"));
    results.push(blocked("auth.params", "auth", "tls.master"));
    results.push(pass(
        "time.ntp",
        "time",
        "offset +1.2 ms ±0.4 ms to ntp 192.0.2.123:123 (limit 1s)",
    ));
    report(results)
}

fn many_failures() -> Report {
    let located = |f: Finding, line: usize, column: usize, snippet: &str| {
        f.at(Location {
            path: "/etc/open-autoglm/config.yaml".into(),
            line,
            column,
            snippet: Some(snippet.into()),
        })
    };
    let schema = Evaluation {
        message: Some(
            "2 schema violations; first: `auth.token_ttl` is -3600, below the minimum 1".into(),
        ),
        ..Evaluation::of(vec![
            located(
                Finding::new(
                    &autoglm_doctor::check::config_schema::OUT_OF_RANGE,
                    "`auth.token_ttl` is -3600, below the minimum 1",
                    "set `auth.token_ttl` at /etc/open-autoglm/config.yaml:8 to at least 1 (lifetime of issued tokens in seconds; must equal the master's)",
                ),
                8,
                14,
                "  token_ttl: -3600",
            ),
            located(
                Finding::new(
                    &autoglm_doctor::check::config_schema::UNKNOWN_FIELD,
                    "unknown key `endpiont` at top level",
                    "rename `endpiont` to `endpoint` at /etc/open-autoglm/config.yaml:9",
                ),
                9,
                1,
                "endpiont: https://master.autoglm.test:8443/a/very/long/path/that/goes/on/and/on/past/the/margin/of/any/terminal",
            ),
        ])
    };
    let mut auth = Evaluation::single(Finding::new(
        &autoglm_doctor::check::auth_params::TTL_MISMATCH,
        "token_ttl: master 3600, this node 1800",
        "set `auth.token_ttl` to 3600 (the master's value) and restart the service",
    ));
    auth.evidence.insert(
        "comparison".into(),
        serde_json::json!([
            {"parameter": "token_ttl", "master": "3600", "node": "1800", "match": false},
            {"parameter": "CA certificate fingerprint", "master": format!("sha256:{}", "ab".repeat(32)), "node": format!("sha256:{}", "cd".repeat(32)), "match": false},
            {"parameter": "jwt.algorithm", "master": "ES256", "node": "ES256", "match": true},
        ]),
    );
    let mut hung = Evaluation::single(Finding::new(
        &autoglm_doctor::check::exec::TIMEOUT,
        "did not finish within its timeout of 3s",
        "find what the plugin is waiting on (run it by hand with `timeout 3 /usr/lib/nagios/plugins/check_sync`)",
    ));
    hung.cause = Some(Cause::Timeout);
    let results = vec![
        pass(
            "config.file",
            "config",
            "read /etc/open-autoglm/config.yaml (from the system location), 412 bytes",
        ),
        result("config.schema", "config", &["config.file"], schema, 3),
        result(
            "config.lint",
            "config",
            &["config.file"],
            Evaluation::single(located(
                Finding::new(
                    &autoglm_doctor::check::config_lint::WARNING,
                    "[truthy] truthy value should be one of [false, true]",
                    "write `true` or `false` (not yes/no/on/off) on line 11",
                ),
                11,
                12,
                "  enabled: yes",
            )),
            1,
        ),
        pass(
            "dns.master",
            "network",
            "master.autoglm.test resolves to 192.0.2.10",
        ),
        result(
            "tcp.master-sync",
            "ports",
            &["dns.master"],
            Evaluation::single(Finding::new(
                &autoglm_doctor::check::tcp::FILTERED,
                "no answer from 192.0.2.10:9443 (grpc) within 4.5s: packets are silently dropped (firewall DROP, NetworkPolicy or security group)",
                "allow TCP port 9443 from this node to master.autoglm.test in the firewall or NetworkPolicy between them (`iptables -L -n`, `nft list ruleset`, `kubectl get networkpolicy`)",
            )),
            4500,
        ),
        blocked("http.sync", "http", "tcp.master-sync"),
        result("auth.params", "auth", &[], auth, 8),
        result(
            "time.ntp",
            "time",
            &[],
            Evaluation::single(Finding::new(
                &autoglm_doctor::check::ntp::NEAR_TOLERANCE,
                "offset +812.0 ms ±3.1 ms to ntp 192.0.2.123:123 is close to the limit of 1s",
                "check the time daemon (`chronyc tracking`) before the clock drifts past the limit",
            )),
            40,
        ),
        result("exec.plugin", "plugin", &[], hung, 3000),
    ];
    report(results)
}

fn tty_style(width: usize, color: bool) -> Style {
    Style {
        color,
        width: Some(u16::try_from(width).unwrap()),
        layout: Layout::Compact,
        ..Style::default()
    }
}

/// Colour escapes removed, to measure and compare lines as a person sees them.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

fn assert_fits(text: &str, width: usize, what: &str) {
    for line in plain(text).lines() {
        assert!(
            visible_width(line) <= width,
            "{what}: a line of {} columns is wider than {width}:\n{line}\n\n{text}",
            visible_width(line)
        );
    }
}

#[test]
fn terminal_snapshots_at_80_and_120_columns_and_0x0() {
    let reports = [
        ("healthy", healthy()),
        ("one_root_cause", one_root_cause()),
        ("many_failures", many_failures()),
    ];
    // A terminal that reports 0×0 with no $COLUMNS gets 80 columns.
    let zero = autoglm_doctor::progress::pick_width(Some(0), None);
    assert_eq!(zero, 80);
    for (name, report) in &reports {
        for width in [80, 120] {
            let coloured = render::render(report, Format::Table, tty_style(width, true));
            let no_color = render::render(report, Format::Table, tty_style(width, false));
            assert_fits(&coloured, width, name);
            assert_fits(&no_color, width, name);
            // Colour changes the paint, never the layout.
            assert_eq!(plain(&coloured), no_color, "{name} at {width}");
            insta::assert_snapshot!(format!("terminal_{name}_{width}"), coloured);
            insta::assert_snapshot!(format!("terminal_{name}_{width}_no_color"), no_color);
        }
        let at_zero = render::render(report, Format::Table, tty_style(zero, false));
        insta::assert_snapshot!(format!("terminal_{name}_0x0_no_color"), at_zero);
        assert_eq!(
            at_zero,
            render::render(report, Format::Table, tty_style(80, false))
        );
    }
}

#[test]
fn terminal_compact_report_ends_with_the_root_cause() {
    let text = render::render(&one_root_cause(), Format::Table, tty_style(80, false));
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.starts_with("ROOT CAUSE tls.master"))
        .expect("a root cause");
    let block = &lines[at..];
    assert!(
        block.len() <= 6,
        "the root cause is not at the end:\n{text}"
    );
    assert!(
        block
            .iter()
            .any(|l| l.starts_with("  fix: renew the certificate")),
        "{text}"
    );
    assert_eq!(
        lines.last().copied(),
        Some("  more: autoglm-doctor explain tls.expired"),
        "{text}"
    );
    // Passes are folded; the blocked checks say by what.
    assert!(text.contains("config: 4 passed"), "{text}");
    assert!(
        text.contains("http: 1 skipped (blocked by tls.master)"),
        "{text}"
    );
    assert!(!text.contains("pass config.file"), "{text}");
    // --all lists them.
    let all = render::render(
        &one_root_cause(),
        Format::Table,
        Style {
            all: true,
            ..tty_style(80, false)
        },
    );
    assert!(all.contains("pass config.file — read"), "{all}");
}

#[test]
fn terminal_quiet_prints_every_finding_that_fails_the_run() {
    let quiet = |warnings_fail| {
        render::render(
            &many_failures(),
            Format::Table,
            Style {
                quiet: true,
                warnings_fail,
                ..tty_style(80, false)
            },
        )
    };
    let fail_only = quiet(false);
    assert!(
        fail_only.contains("ROOT CAUSE config.schema"),
        "{fail_only}"
    );
    assert!(fail_only.contains("auth.params"), "{fail_only}");
    assert!(!fail_only.contains("time.ntp"), "{fail_only}");
    let strict = quiet(true);
    assert!(strict.contains("warn time.ntp — offset"), "{strict}");
    assert!(strict.contains("warn config.lint — [truthy]"), "{strict}");
    assert_fits(&strict, 80, "quiet");
}

/// The demo's output as a person sees it on a pseudo-terminal (util-linux `script`); `stty`
/// sets its size, or leaves it at 0×0 when `size` is None.
fn on_a_terminal(args: &str, size: Option<(u16, u16)>, no_color: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let stty = size.map_or_else(String::new, |(c, r)| format!("stty cols {c} rows {r}; "));
    let inner = format!("{stty}'{}' {args} 2>/dev/null", bin.display());
    let mut cmd = assert_cmd::Command::new("script");
    cmd.without_proxies()
        .current_dir(dir.path())
        .env_remove("AUTOGLM_CONFIG")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .args(["-q", "-e", "-c", &inner, "/dev/null"])
        .write_stdin("")
        .timeout(Duration::from_secs(60));
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().expect("script(1) from util-linux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn terminal_every_failing_scenario_names_its_root_cause_on_the_last_screen() {
    if !peers::available("script") {
        return;
    }
    for scenario in autoglm_doctor::sim::scenario::Scenario::value_variants() {
        let Some(code) = scenario.expected_root_cause() else {
            continue;
        };
        let name = scenario.to_possible_value().unwrap().get_name().to_string();
        for no_color in [false, true] {
            let raw = on_a_terminal(&format!("demo --scenario {name}"), Some((80, 24)), no_color);
            let text = plain(&raw);
            assert_eq!(raw.contains('\x1b'), !no_color, "{name}: colour");
            assert_fits(&raw, 80, &name);
            let lines: Vec<&str> = text.lines().collect();
            let screen = lines[lines.len().saturating_sub(24)..].join("\n");
            assert!(
                screen.contains("ROOT CAUSE"),
                "{name}: no root cause on the last screen:\n{screen}"
            );
            assert!(
                screen.contains("fix:"),
                "{name}: no fix on the last screen:\n{screen}"
            );
            assert!(
                screen.contains(&format!("autoglm-doctor explain {code}")),
                "{name}: {code} is not on the last screen:\n{screen}"
            );
        }
    }
}

#[test]
fn terminal_of_0x0_gets_the_80_column_rendering() {
    if !peers::available("script") {
        return;
    }
    // `list` is deterministic: the same bytes at 0×0 as at 80 columns.
    let at_zero = on_a_terminal("list", None, true);
    let at_80 = on_a_terminal("list", Some((80, 24)), true);
    assert_eq!(at_zero, at_80);
    assert_fits(&at_80, 80, "list");
    assert!(
        plain(&at_80).lines().any(|l| visible_width(l) > 70),
        "{at_80}"
    );
    // The demo report: 80 columns, not one character per column, not unbounded.
    let demo = on_a_terminal("demo --scenario expired-cert", None, false);
    assert_fits(&demo, 80, "demo at 0x0");
    assert!(plain(&demo).lines().count() < 60, "{demo}");
    assert!(plain(&demo).contains("ROOT CAUSE tls.master"), "{demo}");
}

/// `explain` for every code and every kind on an 80-column pseudo-terminal, with and without
/// colour settings, and on one that reports 0×0: no line is wider than 80 columns.
#[test]
fn terminal_explain_fits_80_columns_for_every_code_and_kind() {
    if !peers::available("script") {
        return;
    }
    let mut names: Vec<String> = autoglm_doctor::check::all_codes()
        .iter()
        .map(|c| c.code.name.to_string())
        .collect();
    names.extend(
        autoglm_doctor::check::KINDS
            .iter()
            .map(|k| k.name.to_string()),
    );
    // One pseudo-terminal runs them all; a line of its own separates each text.
    let bin = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let loop_body = format!(
        "for what in {}; do echo \"=== $what\"; '{}' explain \"$what\" || echo \"FAILED $what\"; done",
        names.join(" "),
        bin.display()
    );
    for (stty, no_color) in [
        ("stty cols 80 rows 24; ", false),
        ("stty cols 80 rows 24; ", true),
        ("", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = assert_cmd::Command::new("script");
        cmd.without_proxies()
            .current_dir(dir.path())
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR")
            .args(["-q", "-e", "-c", &format!("{stty}{loop_body}"), "/dev/null"])
            .write_stdin("")
            .timeout(Duration::from_secs(300));
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
        assert!(!text.contains("FAILED"), "{text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("=== ")).count(),
            names.len(),
            "{text}"
        );
        assert_fits(&text, 80, "explain");
        // The long explanations were wrapped, not cut: every word is still there.
        assert!(text.contains("verify_return_error"), "{text}");
    }
    // A pipe gets one line per paragraph, for scripts and pagers; --width wraps it too.
    let piped = doctor(&root()).args(["explain", "tls"]).output().unwrap();
    assert!(stdout(&piped).lines().any(|l| visible_width(l) > 200));
    let narrow = doctor(&root())
        .args(["explain", "tls", "--width", "40"])
        .output()
        .unwrap();
    assert_fits(&stdout(&narrow), 40, "explain --width 40");
    // JSON is never wrapped.
    let json = doctor(&root())
        .args([
            "explain",
            "--format",
            "json",
            "tls.expired",
            "--width",
            "40",
        ])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["code"], "tls.expired");
}
