//! The command line as a user meets it: default command, list, explain, schema, errors,
//! colour, output files. Exact texts are pinned where users read them.

use super::*;

#[test]
fn no_config_anywhere_fails_config_file_as_root_cause_and_blocks_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    if Path::new("/etc/open-autoglm/config.yaml").exists() {
        return; // a real node: discovery legitimately finds the system config
    }
    let out = doctor(dir.path())
        .args(["--format", "json"])
        .args(NOT_A_NODE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json_report(&out);
    assert_eq!(report["root_causes"], serde_json::json!(["config.file"]));
    let file = result(&report, "config.file");
    assert_eq!(file["code"], "config-file.missing");
    assert_eq!(
        file["message"],
        "no node config found; looked at $AUTOGLM_CONFIG (unset), ./open-autoglm.yaml (not found), /etc/open-autoglm/config.yaml (not found)"
    );
    for r in report["results"].as_array().unwrap().iter().skip(1) {
        assert_eq!(r["status"], "skip", "{r}");
        assert_eq!(r["cause"], "dependency");
    }
    assert!(report["config"]["path"].is_null());

    // The bare command prints the table with the root cause first.
    let out = doctor(dir.path()).args(NOT_A_NODE).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let first_lines: Vec<&str> = text.lines().take(5).collect();
    assert!(
        first_lines[2].starts_with("ROOT CAUSE config.file — no node config found"),
        "{text}"
    );
    let n = report["results"].as_array().unwrap().len();
    assert!(
        text.contains(&format!(
            "FAIL: 1 failed, 0 warned, {} skipped, 0 passed ({n} checks) in",
            n - 1
        )),
        "{text}"
    );
}

#[test]
fn config_discovery_uses_env_then_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/config/invalid/negative-ttl.yaml"),
        dir.path().join("open-autoglm.yaml"),
    )
    .unwrap();
    let out = doctor(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = json_report(&out);
    assert_eq!(
        report["config"]["path"],
        dir.path().join("open-autoglm.yaml").display().to_string()
    );
    assert_eq!(report["root_causes"], serde_json::json!(["config.schema"]));

    let healthy = root().join("fixtures/config/valid/healthy.yaml");
    let out = doctor(dir.path())
        .env("AUTOGLM_CONFIG", &healthy)
        .args(["--format", "json"])
        .args(NOT_A_NODE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_report(&out)["config"]["path"],
        healthy.display().to_string()
    );
}

#[test]
fn list_shows_checks_kinds_and_needs() {
    let out = doctor(&root()).arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with("suite compute-node (checks/compute-node.yaml)\n"),
        "{text}"
    );
    for id in [
        "config.file",
        "config.syntax",
        "config.lint",
        "config.schema",
        "config.credentials",
    ] {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    let out = doctor(&root())
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "config.schema")
        .unwrap();
    assert_eq!(schema["kind"], "config-schema");
    assert_eq!(schema["needs"], serde_json::json!(["config.syntax"]));
}

#[test]
fn explain_kind_and_code() {
    let out = doctor(&root())
        .args(["explain", "config.schema"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("config-schema — "), "{text}");
    assert!(text.contains("What it checks:") && text.contains("How to fix:"));
    assert!(text.contains("config-schema.out-of-range"));

    let out = doctor(&root())
        .args(["explain", "config-credentials.unset-env"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.starts_with("config-credentials.unset-env (fail when reported)\n"),
        "{text}"
    );
    assert!(text.contains("How to fix: Export the variable"));

    let out = doctor(&root())
        .args(["explain", "exec.timeout"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let out = doctor(&root())
        .args(["explain", "config.shema"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: unknown code or check `config.shema` (closest: "),
        "{err}"
    );
}

#[test]
fn a_suite_with_a_cycle_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = write_suite(
        dir.path(),
        "cycle.yaml",
        "checks:\n  - id: a\n    kind: exec\n    needs: [b]\n    with: {command: [\"true\"]}\n  - id: b\n    kind: exec\n    needs: [a]\n    with: {command: [\"true\"]}\n",
    );
    let out = doctor(dir.path()).arg("--suite").arg(&s).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: suite {}:2:9: dependency cycle: a -> b -> a\n",
            s.display()
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_need_and_unknown_suite_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let s = write_suite(
        dir.path(),
        "s.yaml",
        "checks:\n  - id: a\n    kind: config.file\n    needs: [ghost]\n",
    );
    let out = doctor(dir.path()).arg("--suite").arg(&s).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: suite {}:4:13: check `a` needs `ghost`, which is not in the suite\n",
            s.display()
        )
    );
    let out = doctor(dir.path())
        .args(["--suite", "no-such-suite"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: suite no-such-suite: no such suite: not an embedded suite (compute-node, master-node, ci-preflight) and no file at that path\n"
    );
}

#[test]
fn bad_flags_exit_2() {
    let out = doctor(&root())
        .args(["--timeout", "banana"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err,
        "error: invalid value 'banana' for '--timeout <DUR>': invalid duration `banana`: expected a number with a unit, like 500ms, 3s, 1m or 1h; see --help\n"
    );
    let out = doctor(&root()).arg("chek").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("'check'"), "{}", stderr(&out));
    let out = doctor(&root())
        .args(["check", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = doctor(&root())
        .args(["--concurrency", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_and_version_exit_0() {
    let out = doctor(&root()).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Usage: autoglm-doctor"));
    let out = doctor(&root()).arg("--version").output().unwrap();
    assert_eq!(
        stdout(&out),
        format!("autoglm-doctor {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn colour_follows_flag_and_no_color() {
    let cfg = "fixtures/config/invalid/negative-ttl.yaml";
    let out = doctor(&root())
        .args(["--config", cfg, "--color", "always"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("\x1b["),
        "no colour with --color always"
    );
    let out = doctor(&root()).args(["--config", cfg]).output().unwrap();
    assert!(
        !stdout(&out).contains('\x1b'),
        "colour on a pipe under auto"
    );
    let out = doctor(&root())
        .env("NO_COLOR", "1")
        .args(["--config", cfg, "--color", "auto"])
        .output()
        .unwrap();
    assert!(!stdout(&out).contains('\x1b'));
    let out = doctor(&root())
        .args(["--config", cfg, "--format", "json", "--color", "always"])
        .output()
        .unwrap();
    assert!(!stdout(&out).contains('\x1b'), "JSON is never coloured");
}

#[test]
fn output_file_is_written_whole_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    let out = doctor(&root())
        .args(NOT_A_NODE)
        .args([
            "--config",
            "fixtures/config/valid/healthy.yaml",
            "--format",
            "json",
            "--output",
        ])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(v["status"], "pass");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");

    let out = doctor(&root())
        .args([
            "--config",
            "fixtures/config/valid/healthy.yaml",
            "--output",
            "/nonexistent-dir/r.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot write report to /nonexistent-dir/r.json: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn schema_config_is_valid_json_schema_and_accepts_the_healthy_fixture() {
    let out = doctor(&root()).args(["schema", "config"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let text = std::fs::read_to_string(root().join("fixtures/config/valid/healthy.yaml")).unwrap();
    let doc = autoglm_doctor::yaml::load_one(&text).unwrap().to_json();
    assert!(v.is_valid(&doc));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("autoglm-doctor"))
        .current_dir(root())
        .args(["schema", "config"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty());
}

/// Regression: `--output /dev/null` renamed a regular file over the device, and a FIFO
/// without a reader blocked the doctor on open. Neither is a report file: both are refused
/// before the run (exit 2), never opened, never replaced.
#[test]
fn output_to_a_fifo_device_or_directory_is_refused_before_the_run_and_never_blocks() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (target, what) in [
        (
            fifo.clone(),
            "it is a FIFO (named pipe), not a regular file",
        ),
        (
            PathBuf::from("/dev/null"),
            "it is a device, not a regular file",
        ),
        (
            dir.path().to_path_buf(),
            "it is a directory, not a regular file",
        ),
    ] {
        let out = doctor(&root())
            .args(NOT_A_NODE)
            .args([
                "--config",
                "fixtures/config/valid/healthy.yaml",
                "--format",
                "json",
                "--output",
            ])
            .arg(&target)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "error: cannot write report to {}: {what}; give a file path, or leave out --output to write to standard output\n",
                target.display()
            )
        );
        assert!(out.stdout.is_empty());
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    assert!(
        std::fs::symlink_metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn output_through_a_symlink_is_refused_unless_asked_and_then_replaces_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let run = |follow: bool| {
        let mut cmd = doctor(&root());
        cmd.args(NOT_A_NODE)
            .args([
                "--config",
                "fixtures/config/valid/healthy.yaml",
                "--format",
                "json",
                "--output",
            ])
            .arg(&link);
        if follow {
            cmd.arg("--output-follow-symlink");
        }
        cmd.output().unwrap()
    };
    let out = run(false);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot write report to {}: it is a symbolic link; give the path of the file itself, or --output-follow-symlink to write where the link points\n",
            link.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "old");

    let out = run(true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert_eq!(v["status"], "pass");
}

/// A bad suite value is the suite's fault, found before anything runs: it used to be
/// reported as a failed handshake with the master (`tls.handshake-failed`, exit 1).
#[test]
fn a_bad_suite_value_exits_2_naming_its_line_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let s = write_suite(
        dir.path(),
        "bad-value.yaml",
        "checks:\n  - id: tls.master\n    kind: tls\n    with:\n      host: localhost\n      port: 1\n      expiry_warning: soon\n",
    );
    let expected = format!(
        "error: suite {}:7:7: invalid parameters for check `tls.master` (kind tls): `expiry_warning`: invalid duration `soon`",
        s.display()
    );
    for args in [&["check"][..], &["list"][..]] {
        let out = doctor(dir.path())
            .args(args)
            .arg("--suite")
            .arg(&s)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&expected), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    // Every typed parameter is checked the same way.
    for (with, at, what) in [
        ("port: https", "6:7", "`port`: invalid port `https`"),
        (
            "address: master.local",
            "6:7",
            "`address`: invalid IP address",
        ),
    ] {
        let s = write_suite(
            dir.path(),
            "bad-param.yaml",
            &format!(
                "checks:\n  - id: t\n    kind: tls\n    with:\n      host: localhost\n      {with}\n"
            ),
        );
        let out = doctor(dir.path())
            .args(["list", "--suite"])
            .arg(&s)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{with}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("error: suite {}:{at}: ", s.display())) && err.contains(what),
            "{with}: {err}"
        );
    }
}

/// A value that comes from a reference is checked after substitution, still before
/// anything runs, at the suite line of the reference.
#[test]
fn a_bad_value_from_a_reference_is_found_after_substitution() {
    let dir = tempfile::tempdir().unwrap();
    let s = write_suite(
        dir.path(),
        "env-port.yaml",
        "checks:\n  - id: plugin\n    kind: exec\n    with: {command: [\"true\"]}\n  - id: tls.master\n    kind: tls\n    with:\n      host: localhost\n      port: ${env.MASTER_TLS_PORT}\n",
    );
    for args in [&["check"][..], &["list"][..]] {
        let out = doctor(dir.path())
            .args(args)
            .arg("--suite")
            .arg(&s)
            .env("MASTER_TLS_PORT", "https")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("error: suite {}:9:", s.display()))
                && err.contains("invalid port `https`"),
            "{args:?}: {err}"
        );
        // Nothing ran: no report was printed.
        assert!(out.stdout.is_empty());
    }
    // A good value passes planning (the check then runs against loopback).
    let out = doctor(dir.path())
        .args(["list", "--format", "json", "--suite"])
        .arg(&s)
        .env("MASTER_TLS_PORT", "8443")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A node config value of the wrong type is the config's problem, reported by the
    // config checks: that check is skipped with the suite location, the rest runs.
    let cfg = dir.path().join("node.yaml");
    std::fs::write(
        &cfg,
        "endpoint: https://localhost:1\nsync:\n  ports:\n    grpc: grpc-port\n",
    )
    .unwrap();
    let s = write_suite(
        dir.path(),
        "config-port.yaml",
        "checks:\n  - id: tls.master\n    kind: tls\n    with:\n      host: localhost\n      port: ${config.sync.ports.grpc}\n",
    );
    let out = doctor(dir.path())
        .args(["check", "--format", "json", "--config"])
        .arg(&cfg)
        .arg("--suite")
        .arg(&s)
        .output()
        .unwrap();
    let report = json_report(&out);
    let r = &report["results"][0];
    assert_eq!(r["status"], "skip", "{r:#}");
    assert_eq!(r["code"], "tls.unresolved-reference");

    // A misspelt parameter is the suite's mistake even when its value is a reference: it
    // used to be skipped as if the node config value were invalid.
    let s2 = write_suite(
        dir.path(),
        "misspelt.yaml",
        "checks:\n  - id: tls.master\n    kind: tls\n    with:\n      host: localhost\n      prot: ${config.sync.ports.grpc}\n",
    );
    let out2 = doctor(dir.path())
        .args(["check", "--format", "json", "--config"])
        .arg(&cfg)
        .arg("--suite")
        .arg(&s2)
        .output()
        .unwrap();
    assert_eq!(out2.status.code(), Some(2), "{}", stderr(&out2));
    assert!(
        stderr(&out2).starts_with(&format!(
            "error: suite {}:6:7: invalid parameters for check `tls.master` (kind tls): unknown field `prot`",
            s2.display()
        )),
        "{}",
        stderr(&out2)
    );
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains(&format!("({}:6:", s.display())),
        "{r:#}"
    );
}
