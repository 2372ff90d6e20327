//! What an attacker who controls some input (a writable report directory, a config value,
//! a peer's answer) can make the doctor do: nothing outside its report file changes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::*;

/// The uid and gid of `nobody` (Debian: 65534), the attacker in these tests.
const NOBODY: u32 = 65_534;

/// Content, mode and owner of a file: what the attack must not change.
fn state(p: &Path) -> (Vec<u8>, u32, u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (std::fs::read(p).unwrap(), m.mode(), m.uid(), m.gid())
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Regression: `--output DIR/report.json` wrote `DIR/.report.json.<pid>.tmp` through a
/// planted symbolic link, then chmod-ed and chown-ed it by path (following the link) to the
/// mode and owner of the attacker's `report.json`: root's run overwrote a root-only file and
/// gave it to `nobody` with mode 0666.
#[test]
fn the_temporary_file_symlink_attack_leaves_the_victim_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim");
    std::fs::write(&victim, "root-only data\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = state(&victim);

    // A shared, sticky, world-writable directory, as /tmp or a CI workspace.
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::fs::set_permissions(&reports, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let out_path = reports.join("report.json");
    std::fs::write(&out_path, "attacker's report").unwrap();
    std::fs::set_permissions(&out_path, std::fs::Permissions::from_mode(0o666)).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&out_path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    // Links to the victim at every name the doctor might pick for its temporary file:
    // the old `.NAME.PID.tmp` for the next PIDs, and other obvious spellings.
    let last_pid: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1000);
    let mut planted = Vec::new();
    for name in (last_pid..last_pid + 3000)
        .map(|pid| format!(".report.json.{pid}.tmp"))
        .chain([".report.json.tmp", "report.json.tmp", ".report.json.swp"].map(str::to_string))
    {
        let link = reports.join(name);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        if is_root() {
            std::os::unix::fs::lchown(&link, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        planted.push(link);
    }

    let out = doctor(&root())
        .args(NOT_A_NODE)
        .args([
            "--config",
            "fixtures/config/valid/healthy.yaml",
            "--format",
            "json",
            "--output",
        ])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    assert_eq!(state(&victim), before, "the victim changed");
    // The report replaced the attacker's file (a new inode at the output path).
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(v["status"], "pass");
    assert!(
        !std::fs::symlink_metadata(&out_path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // Every planted link is still there, unchanged, and nothing else was left behind.
    for link in &planted {
        assert_eq!(std::fs::read_link(link).unwrap(), victim);
    }
    let entries = std::fs::read_dir(&reports).unwrap().count();
    assert_eq!(
        entries,
        planted.len() + 1,
        "a temporary file was left behind"
    );
}

/// A link at the output path itself, planted by another user: refused by default, and
/// refused with `--output-follow-symlink` too, since the link is not the running user's
/// nor the directory owner's.
#[test]
fn a_symlink_planted_at_the_output_path_is_refused_and_the_victim_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim");
    std::fs::write(&victim, "root-only data\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = state(&victim);
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::fs::set_permissions(&reports, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let out_path = reports.join("report.json");
    std::os::unix::fs::symlink(&victim, &out_path).unwrap();
    let foreign = is_root();
    if foreign {
        std::os::unix::fs::lchown(&out_path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    for follow in [false, true] {
        if follow && !foreign {
            // Only root can plant a link owned by someone else; the first case still ran.
            eprintln!("skipped: not root, cannot plant a link owned by another user");
            continue;
        }
        let mut cmd = doctor(&root());
        cmd.args(NOT_A_NODE)
            .args([
                "--config",
                "fixtures/config/valid/healthy.yaml",
                "--format",
                "json",
                "--output",
            ])
            .arg(&out_path);
        if follow {
            cmd.arg("--output-follow-symlink");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let want = if follow {
            format!("it is a symbolic link owned by uid {NOBODY} in a directory owned by uid 0")
        } else {
            "it is a symbolic link; give the path of the file itself".to_string()
        };
        assert!(stderr(&out).contains(&want), "{}", stderr(&out));
        assert_eq!(
            state(&victim),
            before,
            "the victim changed (follow: {follow})"
        );
        assert_eq!(std::fs::read_link(&out_path).unwrap(), victim);
    }
}

/// Text from the config reaches every format (here: an unknown key and a value under the
/// caret); escape sequences and bidi overrides are shown escaped in each, never passed on.
#[test]
fn control_and_bidi_characters_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bidi.yaml");
    std::fs::write(
        &cfg,
        "endpoint: https://master.autoglm.test:8443\nmodel_repo: \"/m\\u202e\\u2066x\\e[31m\"\nnode:\n  id: \"c1\\u202e\"\n  role: compute\nevil\u{202e}key\u{2028}: 1\n",
    )
    .unwrap();
    for format in ["table", "json", "junit", "markdown"] {
        for verbose in [false, true] {
            let mut cmd = doctor(dir.path());
            cmd.args([
                "check", "--only", "config.*", "--format", format, "--config",
            ])
            .arg(&cfg);
            if verbose {
                cmd.arg("-v");
            }
            let out = cmd.output().unwrap();
            let text = format!("{}{}", stdout(&out), stderr(&out));
            assert!(
                text.contains("evil"),
                "{format}: the key is reported:\n{text}"
            );
            for bad in ['\u{202e}', '\u{2066}', '\u{2028}', '\x1b'] {
                assert!(
                    !text.contains(bad),
                    "{format} (-v: {verbose}) passes {bad:?} through:\n{text}"
                );
            }
        }
    }
}

/// The system calls that change the file system (and `bind`, which creates a Unix socket
/// file), traced in every process the doctor starts.
const WRITE_CALLS: &str = "open,openat,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,chown,fchownat,lchown,bind,execve";

/// The paths a traced call names: quoted strings, relative ones joined to the directory
/// strace decoded for the call's first descriptor (`-y`: `3</tmp/x>`).
fn named_paths(line: &str) -> Vec<PathBuf> {
    let dir = line
        .split_once('(')
        .map(|(_, args)| args)
        .and_then(|args| args.split_once('<'))
        .filter(|(fd, _)| fd.chars().all(|c| c.is_ascii_digit()) && !fd.is_empty())
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(d, _)| PathBuf::from(d));
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(|p| match (&dir, p.starts_with('/')) {
            (Some(d), false) => d.join(p),
            _ => PathBuf::from(p),
        })
        .collect()
}

/// Whether a traced line changes the file system (or would, had it succeeded).
fn writes(line: &str) -> bool {
    let call = line.split('(').next().unwrap_or("");
    match call {
        "open" | "openat" => ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"]
            .iter()
            .any(|f| line.contains(f)),
        "bind" => line.contains("AF_UNIX") && !line.contains("sun_path=@"),
        "execve" | "" => false,
        _ => !call.starts_with("---") && !call.starts_with("+++"),
    }
}

/// A full `check` opens, creates, renames or removes nothing outside `--output` (its
/// temporary file included), and binds no Unix socket: the node is only read. With chronyd
/// running, `clock-sync` runs chronyc, which by default creates a socket file in
/// /run/chrony; the doctor asks it over UDP on loopback instead.
#[test]
fn a_full_check_writes_nothing_outside_its_output() {
    if !require("strace", "strace") {
        return;
    }
    // A running chronyd makes clock-sync ask chronyc (skipped with a reason when missing).
    let chrony = super::peers::chronyd("+0s");
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("trace");
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let out_path = reports.join("r.json");
    let out = std::process::Command::new("strace")
        .args(["-f", "-ff", "-y", "-qq", "-s", "512", "-e"])
        .arg(format!("trace={WRITE_CALLS}"))
        .arg("-o")
        .arg(&traces)
        .arg(assert_cmd::cargo::cargo_bin("autoglm-doctor"))
        .args(["check", "--timeout", "3s", "--format", "json", "--config"])
        .arg(root().join("fixtures/config/valid/healthy.yaml"))
        .arg("--output")
        .arg(&out_path)
        .current_dir(root())
        .env("AUTOGLM_API_KEY", FIXTURE_API_KEY)
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .env_remove("AUTOGLM_CONFIG")
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    let allowed = |p: &Path| {
        p == out_path
            || p == Path::new("/dev/null")
            || (p.parent() == Some(reports.as_path())
                && p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with(".r.json.") && n.ends_with(".tmp")
                }))
    };
    let mut lines = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("trace."))
        {
            lines.extend(
                std::fs::read_to_string(&p)
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            );
        }
    }
    let violations: Vec<&String> = lines
        .iter()
        .filter(|l| writes(l))
        .filter(|l| {
            let paths = named_paths(l);
            l.starts_with("bind(") || paths.is_empty() || !paths.iter().all(|p| allowed(p))
        })
        .collect();
    assert!(
        violations.is_empty(),
        "writes outside --output:\n{}",
        violations
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Not vacuous: the report was written through its temporary file, and with chronyd
    // running, chronyc was asked.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("renameat") && l.contains("\"r.json\"")),
        "the trace misses the report's rename"
    );
    if chrony.is_some() {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("execve(") && l.contains("chronyc")),
            "clock-sync did not run chronyc: {}",
            result(&report, "time.kernel")
        );
    }
}
