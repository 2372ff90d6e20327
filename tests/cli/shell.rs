//! Shell integration generated from the clap definitions: completion scripts for every
//! supported shell and the man pages. Each must mention every command and flag; the bash
//! script must parse, the man pages must render with groff without a warning.

use super::*;

/// Every subcommand name, and the long flags of the top level and of each subcommand.
fn interface() -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let cmd = autoglm_doctor::cli::command();
    let longs = |c: &clap::Command| -> Vec<String> {
        c.get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect()
    };
    let mut flags = vec![(String::new(), longs(&cmd))];
    let mut names = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        names.push(sub.get_name().to_string());
        flags.push((sub.get_name().to_string(), longs(sub)));
    }
    (names, flags)
}

#[test]
fn the_interface_under_test_is_the_whole_interface() {
    let (names, flags) = interface();
    for expected in ["check", "list", "explain", "schema", "completions", "man"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    let check = &flags.iter().find(|(n, _)| n == "check").unwrap().1;
    for expected in [
        "format",
        "output",
        "retry-timeout",
        "sleep",
        "deadline",
        "fail-on",
    ] {
        assert!(check.iter().any(|f| f == expected), "{check:?}");
    }
}

#[test]
fn completions_for_every_shell_mention_every_command_and_flag() {
    let (names, flags) = interface();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = doctor(&root())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.len() > 1000,
            "{shell}: suspiciously short:\n{script}"
        );
        for name in &names {
            assert!(
                script.contains(name.as_str()),
                "{shell} lacks command {name}"
            );
        }
        for (sub, longs) in &flags {
            for long in longs {
                // fish names long options without their dashes.
                let mention = if shell == "fish" {
                    format!("-l {long}")
                } else {
                    format!("--{long}")
                };
                assert!(
                    script.contains(&mention),
                    "{shell} lacks {mention} (of `{sub}`)"
                );
            }
        }
    }
    // The format values are offered, the new ones included.
    let out = doctor(&root())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("table json junit markdown"));
}

#[test]
fn the_bash_completion_parses_and_completes_a_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("autoglm-doctor.bash");
    let out = doctor(&root())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    std::fs::write(&script, &out.stdout).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "bash -n: {}", stderr(&syntax));
    // Load it and complete as bash would: a subcommand, then a value of a subcommand's flag.
    let complete = |words: &[&str]| -> String {
        let probe = format!(
            "source {}; f=$(complete -p autoglm-doctor | sed -E 's/.*-F ([^ ]+).*/\\1/'); COMP_WORDS=({}); COMP_CWORD={}; \"$f\" autoglm-doctor {} {}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            words.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&probe)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_string()
    };
    assert_eq!(complete(&["autoglm-doctor", "compl"]), "completions");
    // Regression: options of a subcommand never completed (hyphenated binary name).
    assert_eq!(
        complete(&["autoglm-doctor", "check", "--format", "j"]),
        "json\njunit"
    );
    assert_eq!(
        complete(&["autoglm-doctor", "check", "--retry-t"]),
        "--retry-timeout"
    );
    assert_eq!(
        complete(&["autoglm-doctor", "list", "--format", "j"]),
        "json"
    );
    // The embedded suites, the kinds and the codes are offered.
    assert_eq!(
        complete(&["autoglm-doctor", "check", "--suite", "comp"]),
        "compute-node"
    );
    assert_eq!(
        complete(&["autoglm-doctor", "--suite", "master"]),
        "master-node"
    );
    let codes = complete(&["autoglm-doctor", "explain", "tls.exp"]);
    assert!(codes.lines().any(|c| c == "tls.expired"), "{codes}");
    let kinds = complete(&["autoglm-doctor", "check", "--only", "auth-p"]);
    assert!(kinds.lines().any(|c| c == "auth-params"), "{kinds}");
}

#[test]
fn other_shells_accept_their_completion_when_installed() {
    // zsh and fish are not needed to build or test the doctor; check their syntax when the
    // machine has them.
    for (shell, program, check) in [("zsh", "zsh", "-n"), ("fish", "fish", "--no-execute")] {
        if std::process::Command::new(program)
            .arg("--version")
            .output()
            .is_err()
        {
            // Optional: neither shell is needed to build, test or run the doctor.
            note_skip(&format!(
                "{program} is not installed; its completion script is not parsed"
            ));
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("completion.{shell}"));
        let out = doctor(&root())
            .args(["completions", shell])
            .output()
            .unwrap();
        std::fs::write(&file, &out.stdout).unwrap();
        let parsed = std::process::Command::new(program)
            .arg(check)
            .arg(&file)
            .output()
            .unwrap();
        assert!(parsed.status.success(), "{shell}: {}", stderr(&parsed));
    }
}

/// Render a man page to plain text with groff, failing on any groff warning.
fn groff(page: &Path) -> Option<String> {
    if !require("groff", "groff-base") {
        return None;
    }
    let out = std::process::Command::new("groff")
        .args(["-man", "-Tascii", "-ww", "-P-c", "-P-b", "-P-u"])
        .arg(page)
        .output()
        .expect("groff runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        out.stderr.is_empty(),
        "groff warns on {}:\n{}",
        page.display(),
        stderr(&out)
    );
    Some(stdout(&out))
}

#[test]
fn the_man_page_renders_and_documents_every_flag_of_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = doctor(&root()).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let roff = stdout(&out);
    assert!(
        roff.starts_with(".ie \\n(.g .ds Aq \\(aq") || roff.contains(".TH autoglm-doctor 1"),
        "{roff}"
    );
    let page = dir.path().join("autoglm-doctor.1");
    std::fs::write(&page, &roff).unwrap();
    let Some(text) = groff(&page) else { return };
    let (names, flags) = interface();
    for name in &names {
        assert!(
            text.contains(&format!("autoglm-doctor-{name}(1)")),
            "{name} missing:\n{text}"
        );
    }
    for long in &flags[0].1 {
        assert!(
            text.contains(&format!("--{long}")),
            "--{long} missing:\n{text}"
        );
    }
    assert!(text.contains("junit"), "{text}");
    for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"] {
        assert!(
            text.lines().any(|l| l.trim_end() == section),
            "no {section} section:\n{text}"
        );
    }
    for documented in [
        "AUTOGLM_CONFIG",
        "NO_COLOR",
        "COLUMNS",
        "/etc/open-autoglm/config.yaml",
        "130",
    ] {
        assert!(text.contains(documented), "{documented} missing:\n{text}");
    }
    // There is no help page to point at.
    assert!(!text.contains("autoglm-doctor-help"), "{text}");
}

#[test]
fn man_dir_writes_one_page_per_command_each_with_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = doctor(&root())
        .args(["man", "--dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let (names, flags) = interface();
    let Some(main_page) = groff(&pages.join("autoglm-doctor.1")) else {
        return;
    };
    assert!(main_page.contains("--retry-timeout"));
    for (sub, longs) in flags.iter().skip(1) {
        let page = pages.join(format!("autoglm-doctor-{sub}.1"));
        assert!(page.exists(), "no page for {sub}");
        let Some(text) = groff(&page) else { return };
        for long in longs {
            assert!(
                text.contains(&format!("--{long}")),
                "{sub}: --{long} missing:\n{text}"
            );
        }
    }
    assert_eq!(names.len() + 1, std::fs::read_dir(&pages).unwrap().count());
}
