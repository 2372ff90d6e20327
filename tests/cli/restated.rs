//! The pages that restate the registry (codes, their statuses, kinds, their parameters,
//! default timeouts) stay in step with it. Tables the registry can produce whole are
//! generated between `<!-- generated: NAME … -->` and `<!-- end of generated NAME -->`
//! (`AUTOGLM_BLESS=1 cargo test freshness` rewrites them); everything else a page says
//! about a code or a kind is checked against the registry here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use autoglm_doctor::exit::Exit;
use nix::sys::signal::Signal;

use autoglm_doctor::check::{self, KINDS};

use super::*;

/// The hand-written pages: every docs/*.md and the README, less the generated ones.
fn pages() -> Vec<(String, String)> {
    let mut out = vec![(
        "README.md".to_string(),
        std::fs::read_to_string(root().join("README.md")).unwrap(),
    )];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| !p.ends_with("codes.md") && !p.ends_with("kinds.md"))
        .collect();
    docs.sort();
    for p in docs {
        let rel = p.strip_prefix(root()).unwrap().display().to_string();
        out.push((rel, std::fs::read_to_string(&p).unwrap()));
    }
    out
}

/// The spans written in backticks on a line.
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Check ids the shipped suites and the pages' own suite examples declare.
fn check_ids(pages: &[(String, String)]) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = autoglm_doctor::suite::EMBEDDED
        .iter()
        .filter_map(|(n, f, t)| autoglm_doctor::suite::parse(n, f, t).ok())
        .flat_map(|s| s.entries)
        .map(|e| e.id)
        .collect();
    for (_, text) in pages {
        for line in text.lines() {
            if let Some(id) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("id: ")
            {
                ids.insert(id.trim().to_string());
            }
        }
    }
    ids
}

/// Names the product uses that are not codes though they start like one: node config
/// keys and report facts (`checkpoint.enabled`, `http.date`), as string literals of the
/// source outside the declarations of codes.
fn other_names() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                // A code's name is on the line of `Code::new(` or the next one.
                let mut in_code = false;
                for line in std::fs::read_to_string(&p).unwrap().lines() {
                    let declares = line.contains("Code::new") || line.contains("seam_code!");
                    if !declares && !in_code {
                        out.push_str(line);
                        out.push('\n');
                    }
                    in_code = declares;
                }
            }
        }
    }
    let mut out = String::new();
    walk(&root().join("src"), &mut out);
    out
}

/// Every name a code answers to, with its status.
fn code_statuses() -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    for c in check::all_codes() {
        out.insert(c.code.name.to_string(), c.code.status.as_str());
        for a in &c.aliases {
            out.insert(a.clone(), c.code.status.as_str());
        }
    }
    out
}

/// What looks like a code: `<kind>.<condition>` for a kind of the registry, or a name a
/// kind had before followed by a condition.
fn looks_like_code(span: &str) -> bool {
    let kebab = |s: &str| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    KINDS.iter().any(|k| {
        std::iter::once(k.name)
            .chain(k.aliases.iter().copied())
            .any(|name| {
                span.strip_prefix(name)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(kebab)
            })
    })
}

#[test]
fn freshness_docs_name_only_codes_the_registry_has() {
    let pages = pages();
    let ids = check_ids(&pages);
    let codes = code_statuses();
    let other = other_names();
    let generated: BTreeSet<&str> = KINDS
        .first()
        .map(|k| k.generated.all().iter().map(|g| g.condition()).collect())
        .unwrap_or_default();
    let mut stale = Vec::new();
    let mut named = 0;
    for (rel, text) in &pages {
        for (i, line) in text.lines().enumerate() {
            for span in code_spans(line) {
                if !looks_like_code(span) || ids.contains(span) {
                    continue;
                }
                named += 1;
                // `<kind>.timeout` written for one kind is that kind's generated code.
                let known = codes.contains_key(span)
                    || span
                        .rsplit_once('.')
                        .is_some_and(|(_, c)| generated.contains(c))
                    || check::kind_info(span).is_some()
                    || other.contains(&format!("\"{span}\""));
                if !known {
                    stale.push(format!("{rel}:{}: `{span}` is not a code", i + 1));
                }
            }
        }
    }
    assert!(named > 50, "only {named} codes named in the docs");
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// A status written next to a code (`fail `ntp.skew``, `warns `…``, a table row with a
/// status cell) is the code's status.
#[test]
fn freshness_docs_state_each_codes_status() {
    let codes = code_statuses();
    let mut stale = Vec::new();
    let mut stated = 0;
    for (rel, text) in &pages() {
        for (i, line) in text.lines().enumerate() {
            let mut claims: Vec<(&str, &str)> = Vec::new();
            // Inline: a status word (or its verb) right before the code.
            for (at, _) in line.match_indices(" `") {
                let before = line[..at]
                    .rsplit([' ', '(', '|', ':', ';'])
                    .next()
                    .unwrap_or_default();
                let status = match before.to_ascii_lowercase().as_str() {
                    "fail" | "fails" | "failed" => "fail",
                    "warn" | "warns" | "warned" => "warn",
                    "skip" | "skips" | "skipped" => "skip",
                    _ => continue,
                };
                if let Some(span) = line[at + 2..]
                    .split('`')
                    .next()
                    .filter(|s| codes.contains_key(*s))
                {
                    claims.push((span, status));
                }
            }
            // A table row with a status cell and one code.
            if line.starts_with('|') {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let row_codes: BTreeSet<&str> = code_spans(line)
                    .into_iter()
                    .filter(|s| codes.contains_key(*s))
                    .collect();
                if let (Some(status), [code]) = (
                    cells
                        .iter()
                        .find(|c| matches!(**c, "fail" | "warn" | "skip" | "pass")),
                    row_codes.into_iter().collect::<Vec<_>>().as_slice(),
                ) {
                    claims.push((code, status));
                }
            }
            for (code, status) in claims {
                stated += 1;
                if codes[code] != status {
                    stale.push(format!(
                        "{rel}:{}: `{code}` is said to {status}; it is reported as {}",
                        i + 1,
                        codes[code]
                    ));
                }
            }
        }
    }
    assert!(stated > 20, "only {stated} statuses found");
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// The parameters a kind accepts, as its parameter type says when given one it does not
/// know (`expected one of `a`, `b``).
fn parameters(kind: &str) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        "probe.yaml",
        &format!("checks:\n  - id: probe.kind\n    kind: {kind}\n    with:\n      zz_unknown: 1\n"),
    );
    let out = doctor(dir.path())
        .args(["list", "--suite"])
        .arg(&suite)
        .output()
        .unwrap();
    let err = stderr(&out);
    let expected = err
        .split("unknown field `zz_unknown`, ")
        .nth(1)
        .unwrap_or_else(|| panic!("{kind}: {err}"));
    if expected.starts_with("there are no fields") {
        return BTreeSet::new();
    }
    code_spans(expected).into_iter().map(String::from).collect()
}

/// A kind's parameters with their defaults, as its parameter type's `Debug` shows them,
/// the required ones filled with placeholders.
fn spec_with_defaults(kind: &str) -> String {
    let mut with = serde_json::Map::new();
    for _ in 0..8 {
        match check::Prepared::from_json(kind, serde_json::Value::Object(with.clone())) {
            Some(Ok(spec)) => return format!("{spec:?}"),
            Some(Err(e)) => {
                let e = e.to_string();
                let field = e
                    .split("missing field `")
                    .nth(1)
                    .and_then(|r| r.split('`').next())
                    .unwrap_or_else(|| panic!("{kind}: {e}"));
                let value = match field {
                    "command" => serde_json::json!(["true"]),
                    "port" | "ports" => serde_json::json!(1),
                    "version" => serde_json::json!("1.0"),
                    "url" => serde_json::json!("https://master.autoglm.test"),
                    _ => serde_json::json!("master.autoglm.test"),
                };
                with.insert(field.to_string(), value);
            }
            None => panic!("{kind} is not a kind"),
        }
    }
    panic!("{kind}: too many required parameters")
}

/// The value a parameter's `Debug` shows in `spec` (`samples: 4` → `4`).
fn debug_field<'a>(spec: &'a str, param: &str) -> Option<&'a str> {
    let at = spec.find(&format!(" {param}: "))? + param.len() + 3;
    let rest = &spec[at..];
    // Up to the next `, name: ` at this depth, or the closing brace.
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return Some(rest[..i].trim()),
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return Some(&rest[..i]),
            _ => {}
        }
    }
    Some(rest)
}

/// The default an item of the table states (`` `samples` (4) ``, `` (default `true`) ``,
/// `` (duration, `1h`) ``), when it states one as a value.
fn stated_default(item: &str) -> Option<String> {
    let inside = item.split_once('(')?.1.rsplit_once(')')?.0;
    let value = if let Some(after) = inside.split("default ").nth(1) {
        after
            .split([',', ';', ' '])
            .next()?
            .trim_end_matches([':', '.'])
            .to_string()
    } else if !inside.contains(' ') {
        inside.to_string()
    } else {
        // `(duration, `1h`)`: a type, then the value; not a list of choices.
        match inside.split(", ").collect::<Vec<_>>().as_slice() {
            [kind, value]
                if !kind.contains('`') && value.starts_with('`') && value.ends_with('`') =>
            {
                (*value).to_string()
            }
            _ => return None,
        }
    };
    let bare = value.trim_matches('`');
    let literal =
        value.starts_with('`') || bare.parse::<u64>().is_ok() || matches!(bare, "true" | "false");
    literal.then(|| bare.to_string())
}

fn same_default(stated: &str, shown: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['"', '_', '-'], "");
    if norm(shown).contains(&norm(stated)) {
        return true;
    }
    autoglm_doctor::duration::parse(stated).is_ok_and(|d| {
        let secs = format!("{}s", d.as_secs());
        shown == secs || shown.contains(&format!("({secs})"))
    })
}

/// The table of kinds in docs/suites.md: each current kind once, under its name, with the
/// parameters it accepts (and no other), its default timeout and whether it uses the network.
#[test]
fn freshness_suites_doc_lists_every_kind_with_its_parameters() {
    let text = std::fs::read_to_string(root().join("docs/suites.md")).unwrap();
    let table = text
        .split("### Kinds and their parameters")
        .nth(1)
        .expect("docs/suites.md has a table of kinds");
    let mut rows = BTreeMap::new();
    for line in table.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let Some(kind) = cells
            .get(1)
            .and_then(|c| c.strip_prefix('`'))
            .and_then(|c| c.strip_suffix('`'))
        {
            rows.insert(
                kind.to_string(),
                (
                    cells[2].to_string(),
                    cells[3].to_string(),
                    cells[4].to_string(),
                ),
            );
        }
    }
    let mut stale = Vec::new();
    let mut defaults_checked = 0;
    for kind in KINDS {
        let Some((params, timeout, network)) = rows.remove(kind.name) else {
            stale.push(format!(
                "`{}` has no row (or a row under an old name)",
                kind.name
            ));
            continue;
        };
        let accepted = parameters(kind.name);
        // Items are separated by `, ` or `; ` outside parentheses; each starts with the
        // parameter it describes.
        let mut depth = 0;
        let mut items = vec![String::new()];
        for c in params.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 && (c == ',' || c == ';') {
                items.push(String::new());
            } else if let Some(last) = items.last_mut() {
                last.push(c);
            }
        }
        let mut named = BTreeSet::new();
        let spec = spec_with_defaults(kind.name);
        for item in &items {
            let item = item.trim().trim_start_matches("or ");
            if let Some(first) = item
                .strip_prefix('`')
                .and_then(|r| r.split('`').next())
                .filter(|f| !f.starts_with("${"))
            {
                {
                    named.insert(first.to_string());
                    if let (Some(stated), Some(shown)) =
                        (stated_default(item), debug_field(&spec, first))
                    {
                        defaults_checked += 1;
                        if !same_default(&stated, shown) {
                            stale.push(format!(
                                "`{}`: `{first}` is said to default to `{stated}`; it is {shown}",
                                kind.name
                            ));
                        }
                    }
                }
            }
        }
        for p in named.difference(&accepted) {
            stale.push(format!(
                "`{}`: `{p}` is not a parameter of the kind",
                kind.name
            ));
        }
        for p in accepted.difference(&named) {
            stale.push(format!("`{}`: parameter `{p}` is not listed", kind.name));
        }
        let want = autoglm_doctor::duration::format(kind.default_timeout);
        if timeout != want {
            stale.push(format!(
                "`{}`: default timeout {timeout}, the kind's is {want}",
                kind.name
            ));
        }
        if network.starts_with("yes") != kind.network && !network.starts_with("unless") {
            stale.push(format!(
                "`{}`: network `{network}`, the kind {}",
                kind.name,
                if kind.network { "uses it" } else { "does not" }
            ));
        }
    }
    for kind in rows.keys() {
        stale.push(format!(
            "`{kind}` is not a kind of the registry (or an old name)"
        ));
    }
    assert!(
        defaults_checked >= 10,
        "only {defaults_checked} defaults checked"
    );
    assert!(stale.is_empty(), "docs/suites.md:\n{}", stale.join("\n"));
}

/// The conditions every HTTP kind reports alike, with the status and words the registry
/// gives them (the same in each of these kinds, or the condition is not listed).
fn seam_conditions() -> String {
    let kinds = ["http", "api-version", "clock-http", "auth-params"];
    let codes = check::all_codes();
    let find = |name: String| codes.iter().find(|c| c.code.name == name);
    let mut s = String::from("| condition | status | meaning |\n|---|---|---|\n");
    let http = check::kind_info("http").unwrap();
    for code in http.all_codes() {
        let condition = code.condition();
        let alike = kinds.iter().all(|k| {
            find(format!("{k}.{condition}"))
                .is_some_and(|c| c.code.status == code.status && c.code.summary == code.summary)
        });
        if alike
            && !matches!(
                condition,
                "timeout" | "blocked" | "unresolved-reference" | "interrupted" | "internal"
            )
        {
            let _ = writeln!(
                s,
                "| `{condition}` | {} | {} |",
                code.status.as_str(),
                code.summary.replace('|', "\\|")
            );
        }
    }
    s
}

/// Replace the content of the generated block `name` in `rel` with `content`, or check it.
fn generated_block(rel: &str, name: &str, content: &str) {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let open = format!("<!-- generated: {name};");
    let close = format!("<!-- end of generated {name} -->");
    let start = text
        .find(&open)
        .and_then(|at| text[at..].find('\n').map(|n| at + n + 1))
        .unwrap_or_else(|| panic!("{rel} has no generated block {name}"));
    let end = text[start..].find(&close).map_or_else(
        || panic!("{rel}: the block {name} is not closed"),
        |e| start + e,
    );
    if std::env::var_os("AUTOGLM_BLESS").is_some() {
        let mut new = text.clone();
        new.replace_range(start..end, content);
        std::fs::write(&path, new).unwrap();
        return;
    }
    assert!(
        text[start..end] == *content,
        "{rel}: the generated block {name} is stale: run `AUTOGLM_BLESS=1 cargo test freshness` and commit it"
    );
}

#[test]
fn freshness_network_doc_http_conditions() {
    let table = seam_conditions();
    assert!(table.lines().count() > 6, "{table}");
    generated_block("docs/network.md", "http-conditions", &table);
}

/// The man page in plain text: roff escapes and fonts removed.
fn man_text() -> String {
    let out = doctor(&root()).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    stdout(&out)
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\fI", "")
}

/// A section of the man page: from `.SH NAME` to the next `.SH`.
fn man_section<'a>(man: &'a str, name: &str) -> &'a str {
    let start = man
        .find(&format!(".SH {name}\n"))
        .or_else(|| man.find(&format!(".SH \"{name}\"\n")))
        .unwrap_or_else(|| panic!("the man page has no {name} section"));
    let rest = &man[start + 4..];
    rest.find("\n.SH").map_or(rest, |end| &rest[..end])
}

/// The shipped source (test modules left out), concatenated.
fn other_sources(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            other_sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push_str(text.split("#[cfg(test)]").next().unwrap_or_default());
        }
    }
}

/// The environment variables the doctor reads: names in `var("…")`/`var_os("…")` calls of
/// the shipped code (test modules left out), and the named constants.
fn env_vars_read() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                let shipped = text.split("#[cfg(test)]").next().unwrap_or_default();
                for call in ["var(\"", "var_os(\""] {
                    for (at, _) in shipped.match_indices(call) {
                        let name: String = shipped[at + call.len()..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if shipped[at + call.len() + name.len()..].starts_with('"') {
                            out.insert(name);
                        }
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&root().join("src"), &mut out);
    // The AWS SDKs' variables, read through helpers of their own (`set("AWS_…")`).
    let mut source = String::new();
    other_sources(&root().join("src"), &mut source);
    for (at, _) in source.match_indices("\"AWS_") {
        let name: String = source[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        out.insert(name);
    }
    out.insert(autoglm_doctor::config::ENV_VAR.to_string());
    out.insert(autoglm_doctor::probe::LOOPBACK_ONLY_ENV.to_string());
    out.extend(
        autoglm_doctor::check::proxy::VARIABLES
            .iter()
            .map(ToString::to_string),
    );
    out
}

/// The man page's ENVIRONMENT names every variable the doctor reads and no other; its
/// EXIT STATUS every status it exits with; its FILES paths the doctor uses; its EXAMPLES
/// parse, and every flag it mentions exists.
#[test]
fn freshness_man_page_matches_flags_and_environment() {
    let man = man_text();
    let mut stale = Vec::new();

    let environment = man_section(&man, "ENVIRONMENT");
    let listed: BTreeSet<String> = environment
        .lines()
        .skip_while(|l| *l != ".TP")
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == ".TP")
        .flat_map(|w| {
            w[1].split([',', ' '])
                .filter(|t| t.len() > 1 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .filter(|t| {
                    t.chars().any(|c| c == '_') || t.chars().all(|c| c.is_ascii_uppercase())
                })
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    let read = env_vars_read();
    assert!(read.len() >= 10, "{read:?}");
    let either_case = |name: &str| {
        listed.contains(name)
            || (environment.contains("(either case)")
                && listed.contains(&name.to_ascii_uppercase()))
    };
    for name in &read {
        if !either_case(name) {
            stale.push(format!(
                "ENVIRONMENT does not name {name}, which the doctor reads"
            ));
        }
    }
    for name in &listed {
        if !read.contains(name) {
            stale.push(format!(
                "ENVIRONMENT names {name}, which the doctor does not read"
            ));
        }
    }

    let exit_status = man_section(&man, "EXIT STATUS");
    let codes = [Exit::Ok, Exit::Failed, Exit::Usage]
        .map(Exit::code)
        .into_iter()
        .chain(
            [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP]
                .map(autoglm_doctor::interrupt::exit_code),
        );
    for code in codes {
        if !exit_status
            .split(|c: char| !c.is_ascii_digit())
            .any(|n| n == code.to_string())
        {
            stale.push(format!("EXIT STATUS does not list {code}"));
        }
    }

    let files = man_section(&man, "FILES");
    for path in [
        autoglm_doctor::config::SYSTEM_PATH,
        autoglm_doctor::config::LOCAL_PATH,
    ] {
        if !files.contains(path) {
            stale.push(format!(
                "FILES does not name {path}, where the config is looked for"
            ));
        }
    }

    // Every flag of the sections written by hand exists in the command line.
    let mut flags = BTreeSet::new();
    let cmd = autoglm_doctor::cli::command();
    for sub in std::iter::once(&cmd).chain(cmd.get_subcommands()) {
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                flags.insert(format!("--{long}"));
            }
        }
    }
    let by_hand = man.find(".SH \"EXIT STATUS\"").map_or("", |at| &man[at..]);
    for word in
        by_hand.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '.'))
    {
        if word.starts_with("--") && word.len() > 2 && !flags.contains(word) {
            stale.push(format!("the man page mentions {word}, which is not a flag"));
        }
    }

    let examples = man_section(&man, "EXAMPLES");
    let mut parsed = 0;
    for w in examples.lines().collect::<Vec<_>>().windows(2) {
        if w[0] == ".TP" {
            let words: Vec<&str> = w[1].split_whitespace().collect();
            assert_eq!(words.first(), Some(&"autoglm-doctor"), "{}", w[1]);
            parsed += 1;
            if let Err(e) = autoglm_doctor::cli::command().try_get_matches_from(&words) {
                stale.push(format!("EXAMPLES: `{}` does not parse: {e}", w[1]));
            }
        }
    }
    assert!(parsed >= 3, "{examples}");
    assert!(
        stale.is_empty(),
        "the man page is stale:\n{}",
        stale.join("\n")
    );
}

/// A check written with its kind (`` `tls.master` (`tls`) ``) names the kind the shipped
/// suites give it, under its current name.
#[test]
fn freshness_docs_name_each_checks_kind() {
    let kinds: BTreeMap<String, String> = autoglm_doctor::suite::EMBEDDED
        .iter()
        .filter_map(|(n, f, t)| autoglm_doctor::suite::parse(n, f, t).ok())
        .flat_map(|s| s.entries)
        .filter_map(|e| check::kind_info(&e.kind).map(|k| (e.id, k.name.to_string())))
        .collect();
    let mut stale = Vec::new();
    let mut named = 0;
    for (rel, text) in &pages() {
        for (i, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("` (`") {
                let Some(id) = line[..at].rsplit('`').next() else {
                    continue;
                };
                let Some(kind) = line[at + 4..].split('`').next() else {
                    continue;
                };
                let Some(want) = kinds.get(id) else {
                    continue;
                };
                if check::kind_info(kind).is_none() {
                    continue;
                }
                named += 1;
                if kind != want {
                    stale.push(format!(
                        "{rel}:{}: `{id}` is said to be of kind `{kind}`; it is `{want}`",
                        i + 1
                    ));
                }
            }
        }
    }
    assert!(named >= 5, "only {named} checks named with their kind");
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// A table column of kinds (`kind`, `published by`) names kinds by their current names.
#[test]
fn freshness_docs_kind_columns_name_current_kinds() {
    let mut stale = Vec::new();
    let mut cells = 0;
    for (rel, text) in &pages() {
        let mut column: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            if !line.starts_with('|') {
                column = None;
                continue;
            }
            let row: Vec<&str> = line.split('|').map(str::trim).collect();
            if column.is_none() {
                column = row
                    .iter()
                    .position(|c| matches!(*c, "kind" | "kinds" | "published by"))
                    .or(Some(0));
                continue;
            }
            let Some(c) = column.filter(|&c| c > 0) else {
                continue;
            };
            for span in row.get(c).map(|cell| code_spans(cell)).unwrap_or_default() {
                cells += 1;
                if !KINDS.iter().any(|k| k.name == span) {
                    stale.push(format!("{rel}:{}: `{span}` is not a kind's name", i + 1));
                }
            }
        }
    }
    assert!(cells >= 10, "only {cells} kinds in kind columns");
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// The profiles' clock tolerances in docs/time.md are the ones the doctor uses.
#[test]
fn freshness_time_doc_profile_tolerances() {
    use autoglm_doctor::settings::Profile;
    use clap::ValueEnum as _;
    let text = std::fs::read_to_string(root().join("docs/time.md")).unwrap();
    for profile in Profile::value_variants() {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| `--profile {}` |", profile.as_str())))
            .unwrap_or_else(|| panic!("docs/time.md has no row for {}", profile.as_str()));
        let stated = row.split('|').nth(2).unwrap().trim().replace(' ', "");
        let stated =
            autoglm_doctor::duration::parse(&stated).unwrap_or_else(|e| panic!("{row}: {e}"));
        assert_eq!(stated, profile.clock_tolerance(), "docs/time.md: {row}");
    }
}

/// The README's table of checks lists every kind of the registry once, and its synopsis
/// of commands uses only flags those commands have.
#[test]
fn freshness_readme_lists_every_kind_and_real_flags() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = text
        .split("## Checks available today")
        .nth(1)
        .expect("README.md has a table of checks");
    let listed: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| code_spans(l.split('|').nth(1)?).first().copied())
        .collect();
    let mut want: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let mut got = listed.clone();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "README.md's table of checks");

    let synopsis = text
        .split("## Commands")
        .nth(1)
        .and_then(|t| t.split("```").nth(1))
        .expect("README.md has a synopsis of commands");
    let cmd = autoglm_doctor::cli::command();
    let mut current: Option<String> = None;
    let mut checked = 0;
    for line in synopsis.lines() {
        if let Some(rest) = line.strip_prefix("autoglm-doctor ") {
            current = rest.split_whitespace().next().map(String::from);
        }
        let Some(name) = &current else { continue };
        let sub = cmd
            .find_subcommand(name)
            .unwrap_or_else(|| panic!("README.md: no command `{name}`"));
        // `demo` takes the flags of `check` too.
        let flags: BTreeSet<String> = sub
            .get_arguments()
            .chain(if name == "demo" {
                cmd.find_subcommand("check")
                    .unwrap()
                    .get_arguments()
                    .collect::<Vec<_>>()
            } else {
                Vec::new()
            })
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        let code = line.split('#').next().unwrap_or_default();
        for word in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if word.starts_with("--") && word.len() > 2 {
                checked += 1;
                assert!(
                    flags.contains(word),
                    "README.md: `{name}` has no flag {word}"
                );
            }
        }
    }
    assert!(checked > 10, "only {checked} flags in the synopsis");
}
