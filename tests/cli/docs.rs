//! The documentation cannot go stale: every `console` block of README.md and docs/*.md is
//! run, and its output compared with what the block shows, modulo times, ports, temporary
//! paths, the host name and line wrapping.
//!
//! Shell recipes (` ```sh `, ` ```bash `, ` ```shell ` blocks) are run too, each as one
//! script with `-e`, in an empty temporary directory that is also `$HOME`, with the doctor
//! first on `PATH`, `AUTOGLM_DOCTOR_LOOPBACK_ONLY=1` and a time limit. A recipe is expected
//! to exit 0 unless its info string says `exit=N` (a command that fails here for want of a
//! node config, say); `needs=PROGRAM:PACKAGE` names a program it uses beyond the doctor
//! (skipped with the package named when it is missing, a failure under CI). A recipe that
//! cannot run here (it installs packages, talks to a cluster, runs the test suite itself)
//! says so in its info string: `sh no-run: REASON`.
//!
//! A `console` block holds one or more commands, each on a line starting with `$ `, each
//! followed by its standard output. Commands run with `sh` from the repository root, with
//! the doctor first on `PATH` and `AUTOGLM_DOCTOR_LOOPBACK_ONLY=1` (examples that need a
//! master use `demo`). `AUTOGLM_BLESS=1 cargo test docs_` rewrites the blocks with what the
//! commands print now.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::*;

/// The documents whose examples are run.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// A fenced block: its info string, and the byte range of its content in the document.
struct Block {
    info: String,
    content: std::ops::Range<usize>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize)> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                // The content starts on the line after the opening fence.
                let start = text[range.start..]
                    .find('\n')
                    .map_or(range.end, |i| range.start + i + 1);
                open = Some((info.to_string(), start));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, start)) = open.take() {
                    // The content ends where the closing fence's line starts.
                    let body = &text[start..range.end];
                    let end = body
                        .trim_end_matches(['`', '~'])
                        .rfind('\n')
                        .map_or(start, |i| start + i + 1);
                    out.push(Block {
                        info,
                        content: start..end.max(start),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The commands of a console block with the output each shows (standard output and
/// standard error, as a terminal shows them).
fn examples(content: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in content.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((cmd.to_string(), String::new()));
        } else if let Some((_, shown)) = out.last_mut() {
            shown.push_str(line);
            shown.push('\n');
        }
    }
    out
}

/// What may differ between runs: times and other numbers, temporary directory names, the
/// host name, the width of table padding and where lines wrap.
fn normalise(text: &str) -> String {
    let mut words = Vec::new();
    let mut after_host = false;
    for word in text.split_whitespace() {
        if after_host {
            words.push("HOST".to_string());
            after_host = false;
            continue;
        }
        after_host = word == "host";
        let mut w = String::new();
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                while chars
                    .peek()
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.')
                {
                    chars.next();
                }
                w.push('0');
            } else if matches!(c, '─' | '═' | '━') {
                while chars.peek() == Some(&c) {
                    chars.next();
                }
                w.push(c);
            } else {
                w.push(c);
            }
        }
        // Any duration is a duration: 36ms, 1.2s, 800µs.
        let mut w = w.replace("0ms", "0s").replace("0µs", "0s");
        // Temporary directories: autoglm-demo-XXXXXX, .tmpXXXXXX.
        for marker in ["autoglm-demo-", ".tmp"] {
            if let Some(at) = w.find(marker) {
                let start = at + marker.len();
                let end = w[start..]
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .map_or(w.len(), |i| start + i);
                w.replace_range(start..end, "X");
            }
        }
        words.push(w);
    }
    words.join(" ")
}

fn run(command: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = assert_cmd::Command::new("sh")
        .without_proxies()
        .current_dir(root())
        .env("PATH", path)
        .env_remove("AUTOGLM_CONFIG")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .args(["-c", &format!("{command} 2>&1")])
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let text = stdout(&out);
    // The machine's name is not the documentation's.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        text
    } else {
        text.replace(&format!("host {host}"), "host compute-07")
    }
}

#[test]
fn docs_examples_show_what_the_commands_print() {
    let bless = std::env::var_os("AUTOGLM_BLESS").is_some();
    let mut stale = Vec::new();
    let mut ran = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(root()).unwrap().display().to_string();
        let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for block in blocks(&text) {
            let content = &text[block.content.clone()];
            if block.info.trim() != "console" {
                // A command with its output must be a console block, so that it is run.
                assert!(
                    !content.starts_with("$ "),
                    "{rel}: a block showing `{}` must be fenced as ```console to be run",
                    content.lines().next().unwrap_or_default()
                );
                continue;
            }
            let mut regenerated = String::new();
            for (command, shown) in examples(content) {
                let actual = run(&command);
                ran += 1;
                // What is only different in times, ports and paths stays as written.
                let actual = if normalise(&actual) == normalise(&shown) {
                    shown
                } else {
                    stale.push(format!(
                        "{rel}: `{command}` now prints:\n{actual}\nthe document shows:\n{shown}"
                    ));
                    actual
                };
                regenerated.push_str("$ ");
                regenerated.push_str(&command);
                regenerated.push('\n');
                regenerated.push_str(&actual);
                if !actual.is_empty() && !actual.ends_with('\n') {
                    regenerated.push('\n');
                }
            }
            edits.push((block.content.clone(), regenerated));
        }
        if bless && !edits.is_empty() {
            let mut new = text.clone();
            for (range, content) in edits.into_iter().rev() {
                new.replace_range(range, &content);
            }
            std::fs::write(&doc, new).unwrap();
        }
    }
    assert!(ran >= 5, "only {ran} examples found");
    if !bless {
        assert!(
            stale.is_empty(),
            "{} stale example(s); run `AUTOGLM_BLESS=1 cargo test docs_` and review the diff:\n\n{}",
            stale.len(),
            stale.join("\n---\n")
        );
    }
}

/// Host names in the documentation are reserved for examples (`.test`, `.example`), or
/// loopback and documentation addresses, so no example can send traffic anywhere real.
#[test]
#[allow(clippy::case_sensitive_file_extension_comparisons)] // host names, lower-cased first
fn docs_name_only_example_hosts() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(root()).unwrap().display().to_string();
        for (i, line) in text.lines().enumerate() {
            for scheme in ["https://", "http://"] {
                for (at, _) in line.match_indices(scheme) {
                    let rest = &line[at + scheme.len()..];
                    // Credentials (`user:secret@host`) come before the host.
                    let authority = rest
                        .split(['/', ' ', '`', ')', '"', '\''])
                        .next()
                        .unwrap_or_default();
                    let rest = authority.rsplit('@').next().unwrap_or_default();
                    let host: String = rest
                        .chars()
                        .take_while(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':')
                        })
                        .collect();
                    let host = host
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches('.');
                    let allowed = host.ends_with(".test")
                        || host.ends_with(".example")
                        || host.ends_with(".invalid")
                        || host == "localhost"
                        // A placeholder in prose (`http://host:port`).
                        || host == "host"
                        || host.starts_with("127.")
                        || host.starts_with("[::1]")
                        || host.starts_with("192.0.2.")
                        || host.starts_with("198.51.100.")
                        || host.starts_with("203.0.113.")
                        || host.is_empty()
                        // Where the project and its references live, not a peer of any check.
                        || host.ends_with("github.com")
                        || host == "crates.io"
                        || host.ends_with("rust-lang.org")
                        || host.ends_with("rfc-editor.org")
                        || host.ends_with("no-color.org");
                    assert!(allowed, "{rel}:{}: `{host}` is not an example host", i + 1);
                }
            }
        }
    }
}

#[test]
fn docs_normalisation_ignores_what_changes_between_runs() {
    assert_eq!(
        normalise(
            "FAIL: 1 failed (22 checks) in 36ms\n127.0.0.1:41453 /tmp/autoglm-demo-Iih5sl/x host vm"
        ),
        normalise(
            "FAIL: 1 failed (22 checks)\nin 1.2s 127.0.0.1:39605 /tmp/autoglm-demo-ab12CD/x host compute-07"
        )
    );
    assert_ne!(normalise("fail tls.master"), normalise("pass tls.master"));
}

/// The shells a recipe block may be written for, by info string.
const SHELLS: [(&str, &str); 3] = [("sh", "sh"), ("shell", "sh"), ("bash", "bash")];

/// What a recipe block's info string asks: skip it (with the reason), or run it with a
/// shell and expect an exit status.
enum Recipe {
    NoRun(String),
    Run {
        shell: &'static str,
        exit: i32,
        /// Programs the recipe uses beyond the doctor and the shell, with the Debian
        /// package of each (`needs=man:man-db`).
        needs: Vec<(String, String)>,
    },
}

fn recipe(info: &str) -> Option<Result<Recipe, String>> {
    let info = info.trim();
    let (lang, rest) = info.split_once(' ').unwrap_or((info, ""));
    let shell = SHELLS.iter().find(|(l, _)| *l == lang)?.1;
    let rest = rest.trim();
    if let Some(reason) = rest.strip_prefix("no-run") {
        let reason = reason.trim_start_matches(':').trim();
        return Some(if reason.is_empty() {
            Err(format!(
                "`{info}`: say why the recipe cannot run (`no-run: REASON`)"
            ))
        } else {
            Ok(Recipe::NoRun(reason.to_string()))
        });
    }
    let mut exit = 0;
    let mut needs = Vec::new();
    for attribute in rest.split_whitespace() {
        if let Some(n) = attribute.strip_prefix("exit=").and_then(|n| n.parse().ok()) {
            exit = n;
        } else if let Some((program, package)) = attribute
            .strip_prefix("needs=")
            .and_then(|n| n.split_once(':'))
        {
            needs.push((program.to_string(), package.to_string()));
        } else {
            return Some(Err(format!(
                "`{info}`: expected `exit=N`, `needs=PROGRAM:PACKAGE` or `no-run: REASON`"
            )));
        }
    }
    Some(Ok(Recipe::Run { shell, exit, needs }))
}

/// Run a recipe: its exit status and what it printed.
fn run_recipe(shell: &str, script: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("autoglm-doctor");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = assert_cmd::Command::new(shell)
        .without_proxies()
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("PATH", path)
        .env_remove("AUTOGLM_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("AUTOGLM_DOCTOR_LOOPBACK_ONLY", "1")
        .args(["-e", "-c", script])
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

/// Every shell recipe of the documentation runs and exits as it says, or says why it cannot
/// run here.
#[test]
fn docs_shell_recipes_run() {
    let mut ran = 0;
    let mut not_run = 0;
    let mut failed = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(root()).unwrap().display().to_string();
        for block in blocks(&text) {
            let line = text[..block.content.start].lines().count();
            let Some(recipe) = recipe(&block.info) else {
                continue;
            };
            match recipe {
                Err(e) => failed.push(format!("{rel}:{line}: {e}")),
                Ok(Recipe::NoRun(_)) => not_run += 1,
                Ok(Recipe::Run { shell, exit, needs }) => {
                    if !needs
                        .iter()
                        .all(|(program, package)| require(program, package))
                    {
                        continue;
                    }
                    ran += 1;
                    let (status, output) = run_recipe(shell, &text[block.content.clone()]);
                    if status != Some(exit) {
                        failed.push(format!(
                            "{rel}:{line}: the recipe exited {status:?}, expected {exit}:\n{output}"
                        ));
                    }
                }
            }
        }
    }
    eprintln!("{ran} shell recipes ran, {not_run} marked no-run");
    assert!(
        ran >= 5,
        "only {ran} shell recipes ran ({not_run} marked no-run)"
    );
    assert!(failed.is_empty(), "{}", failed.join("\n---\n"));
}

#[test]
fn docs_recipe_info_strings() {
    assert!(matches!(
        recipe("sh"),
        Some(Ok(Recipe::Run {
            shell: "sh",
            exit: 0,
            ..
        }))
    ));
    assert!(matches!(
        recipe("bash exit=2"),
        Some(Ok(Recipe::Run {
            shell: "bash",
            exit: 2,
            ..
        }))
    ));
    assert!(matches!(
        recipe("sh exit=1 needs=man:man-db"),
        Some(Ok(Recipe::Run { exit: 1, needs, .. })) if needs == [("man".to_string(), "man-db".to_string())]
    ));
    assert!(
        matches!(recipe("sh no-run: installs packages"), Some(Ok(Recipe::NoRun(r))) if r == "installs packages")
    );
    assert!(matches!(recipe("sh no-run"), Some(Err(_))));
    assert!(matches!(recipe("sh exit=x"), Some(Err(_))));
    assert!(recipe("console").is_none());
    assert!(recipe("yaml").is_none());
}

/// Every suite example (a ` ```yaml ` block with `kind:` entries) is a suite the doctor
/// accepts: known kinds, known parameters of the right types, valid references. A fragment
/// that names checks it does not show (`needs: [tls.master]`) is completed with stand-ins.
#[test]
fn docs_suite_examples_are_valid_suites() {
    let mut checked = 0;
    let mut shipped_checked = 0;
    let mut invalid = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(root()).unwrap().display().to_string();
        for block in blocks(&text) {
            let body = &text[block.content.clone()];
            if block.info.split_whitespace().next() != Some("yaml")
                || !body
                    .lines()
                    .any(|l| l.trim_start().trim_start_matches("- ").starts_with("kind:"))
            {
                continue;
            }
            let line = text[..block.content.start].lines().count();
            // What the page says is shipped is what is shipped (comments aside).
            let before = text[..block.content.start]
                .lines()
                .rev()
                .skip(1)
                .find(|l| !l.trim().is_empty());
            if let Some(name) =
                before.and_then(|l| l.split("shipped ").nth(1)?.split_whitespace().next())
            {
                let name = name.trim_matches('`');
                let shipped = std::fs::read_to_string(root().join(format!("checks/{name}.yaml")))
                    .unwrap_or_else(|_| panic!("{rel}:{line}: no shipped suite {name}"));
                let strip = |t: &str| -> Vec<String> {
                    t.lines()
                        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
                        .map(|l| l.trim_end().to_string())
                        .collect()
                };
                let (shown, shipped) = (strip(body), strip(&shipped));
                assert!(
                    shipped.windows(shown.len()).any(|w| w == shown.as_slice()),
                    "{rel}:{line}: this is not what checks/{name}.yaml says:\n{}",
                    shown.join("\n")
                );
                shipped_checked += 1;
            }
            let mut suite = if body.lines().any(|l| l.starts_with("checks:")) {
                body.to_string()
            } else {
                format!("checks:\n{body}")
            };
            checked += 1;
            let dir = tempfile::tempdir().unwrap();
            for _ in 0..20 {
                let path = write_suite(dir.path(), "example.yaml", &suite);
                // Planned against a node config, so parameters written as references are
                // typed too; offline, so nothing is probed (only a suite error exits 2).
                let out = doctor(dir.path())
                    .args(["check", "--offline", "--format", "json", "--config"])
                    .arg(root().join("fixtures/config/valid/healthy.yaml"))
                    .arg("--suite")
                    .arg(&path)
                    .args(NOT_A_NODE)
                    .output()
                    .unwrap();
                if out.status.code() != Some(2) {
                    // A misspelt parameter whose value is a reference is only found when
                    // the reference is resolved: the check is skipped, naming the field.
                    let report = json_report(&out);
                    for r in report["results"].as_array().unwrap() {
                        let message = r["findings"][0]["message"].as_str().unwrap_or_default();
                        if message.contains("unknown field") {
                            invalid.push(format!("{rel}:{line}: {}: {message}", r["id"]));
                        }
                    }
                    break;
                }
                let err = stderr(&out);
                // A check the fragment refers to but does not show: a stand-in, and again.
                let missing = err
                    .split(['`'])
                    .collect::<Vec<_>>()
                    .windows(2)
                    .find(|w| w[1].starts_with(", which is not in the suite"))
                    .map(|w| w[0].to_string());
                let Some(id) = missing else {
                    invalid.push(format!("{rel}:{line}: {err}"));
                    break;
                };
                suite.push_str("\n  - id: ");
                suite.push_str(&id);
                suite.push_str("\n    kind: sync-semantics\n");
            }
        }
    }
    assert!(checked >= 3, "only {checked} suite examples found");
    assert!(
        shipped_checked >= 2,
        "only {shipped_checked} shipped suites shown"
    );
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

/// Every key the config schema knows is documented in docs/config.md: each leaf setting,
/// by its dotted path (`auth.jwt.issuer`, `recovery.backends[].type`).
#[test]
fn every_config_key_is_documented() {
    fn resolve<'a>(
        defs: &'a serde_json::Value,
        mut n: &'a serde_json::Value,
    ) -> &'a serde_json::Value {
        for _ in 0..8 {
            if let Some(r) = n["$ref"].as_str() {
                n = &defs[r.rsplit('/').next().unwrap()];
            } else if let Some(any) = n["anyOf"].as_array() {
                n = any.iter().find(|s| s["type"] != "null").unwrap();
            } else {
                break;
            }
        }
        n
    }
    fn walk(defs: &serde_json::Value, n: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        let n = resolve(defs, n);
        if let Some(props) = n["properties"].as_object() {
            for (k, v) in props {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(defs, v, &p, out);
            }
        } else if n["items"].is_object() && resolve(defs, &n["items"])["properties"].is_object() {
            walk(defs, &n["items"], &format!("{path}[]"), out);
        } else if !path.is_empty() {
            out.push(path.to_string());
        }
    }
    let out = doctor(&root()).args(["schema", "config"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let defs = schema["$defs"].clone();
    let mut keys = Vec::new();
    walk(&defs, &schema, "", &mut keys);
    assert!(keys.len() > 40, "{keys:?}");
    let doc = std::fs::read_to_string(root().join("docs/config.md")).unwrap();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/config.md: {missing:?}");
}
