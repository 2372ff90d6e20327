//! The module graph stays layered: `src/probe/` imports nothing above `report`, the
//! top-level modules named below do not import each other both ways, and kinds leave the
//! file system to `src/probe/`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::*;

/// The files of the top-level module `module` (`src/NAME.rs`, or every file under
/// `src/NAME/`), each with its module path below the crate root (`["probe", "http", "url"]`).
fn files(module: &str) -> Vec<(PathBuf, Vec<String>)> {
    let src = root().join("src");
    let dir = src.join(module);
    if !dir.is_dir() {
        return vec![(src.join(format!("{module}.rs")), vec![module.to_string()])];
    }
    let mut out = Vec::new();
    // Submodules in folders of their own (`probe/http/url.rs`) count too.
    let mut dirs = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&dir).unwrap().with_extension("");
                let mut path = vec![module.to_string()];
                path.extend(rel.iter().map(|c| c.to_string_lossy().into_owned()));
                if path.last().is_some_and(|l| l == "mod") {
                    path.pop();
                }
                out.push((p, path));
            }
        }
    }
    out.sort();
    out
}

/// A file's text without its `#[cfg(test)] mod tests` (test code may reach anywhere).
fn shipped(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        let after = text[at + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod ") || after.starts_with("pub mod ") {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '*')
        .collect()
}

/// The first segments of the paths `rest` starts: `NAME::…` or `{A, B::c, …}`.
fn first_segments(rest: &str) -> Vec<String> {
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let (mut depth, mut item, mut out) = (0usize, String::new(), Vec::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(ident(item.trim()));
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    out.push(ident(item.trim()));
    out
}

/// The items `text` names directly under `prefix` (`std`, `crate`): `prefix::NAME` and
/// every name of `prefix::{A, B, …}`.
fn named_under(text: &str, prefix: &str) -> BTreeSet<String> {
    let needle = format!("{prefix}::");
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices(&needle) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // `foo_crate::x`, `a::std::x`
        }
        out.extend(first_segments(&text[i + needle.len()..]));
    }
    out.remove("");
    out.remove("self");
    out
}

/// The top-level modules a file at module path `at` refers to: `crate::NAME`,
/// `crate::{NAME, …}`, and `super::` chains that climb to the crate root.
fn top_level_refs(text: &str, at: &[String]) -> BTreeSet<String> {
    let mut out = named_under(text, "crate");
    for (i, _) in text.match_indices("super::") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // inside a chain already counted
        }
        let mut rest = &text[i..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            rest = r;
            up += 1;
        }
        if up == at.len() {
            out.extend(first_segments(rest));
        }
    }
    out.remove("");
    out
}

/// The top-level modules `module` refers to outside its tests.
fn imports(module: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (f, at) in files(module) {
        let text = std::fs::read_to_string(&f).unwrap();
        out.extend(top_level_refs(shipped(&text), &at));
    }
    out.remove(module);
    out
}

#[test]
fn probe_imports_nothing_above_report() {
    let allowed = ["report", "encoding", "duration"];
    for (f, at) in files("probe") {
        let text = std::fs::read_to_string(&f).unwrap();
        for name in top_level_refs(shipped(&text), &at) {
            assert!(
                name == "probe" || allowed.contains(&name.as_str()),
                "{} refers to crate::{name}; probes may use only {allowed:?}",
                f.display()
            );
        }
    }
}

#[test]
fn the_import_scanner_sees_every_spelling() {
    let probe = |p: &[&str]| p.iter().map(ToString::to_string).collect::<Vec<_>>();
    let refs = |text: &str, at: &[&str]| top_level_refs(text, &probe(at));
    assert_eq!(
        refs("use crate::{report::Code, check::x};", &["probe", "logs"]),
        BTreeSet::from(["check".into(), "report".into()])
    );
    assert_eq!(
        refs(
            "use crate::{\n    config::{a, b},\n    suite,\n};",
            &["probe"]
        ),
        BTreeSet::from(["config".into(), "suite".into()])
    );
    // `super::` from probe/logs.rs is probe itself; two of them are the crate root.
    assert_eq!(
        refs("use super::tail;", &["probe", "logs"]),
        BTreeSet::new()
    );
    assert_eq!(
        refs("use super::super::run;", &["probe", "logs"]),
        BTreeSet::from(["run".into()])
    );
    assert_eq!(
        refs("use super::check;", &["probe"]),
        BTreeSet::from(["check".into()])
    );
    assert_eq!(
        refs("x::crate::y; my_crate::check", &["probe"]),
        BTreeSet::new()
    );
    let text = "use crate::report;\n#[cfg(test)]\nfn helper() {}\nuse crate::suite;\n#[cfg(test)]\nmod tests {\n    use crate::check;\n}\n";
    assert_eq!(
        top_level_refs(shipped(text), &probe(&["probe"])),
        BTreeSet::from(["report".into(), "suite".into()])
    );
}

#[test]
fn modules_do_not_import_each_other_both_ways() {
    for (a, b) in [
        ("check", "suite"),
        ("config", "secret"),
        ("jwt", "sim"),
        ("probe", "suite"),
        ("probe", "check"),
        ("probe", "config"),
    ] {
        let (ab, ba) = (imports(a).contains(b), imports(b).contains(a));
        assert!(!(ab && ba), "{a} and {b} import each other");
    }
    assert!(!imports("probe").contains("suite"), "probe imports suite");
}

/// Kinds leave the file system to `src/probe/` (bounded, off the runtime thread, read-only).
/// The kinds listed here still look at a path themselves; the list only shrinks.
#[test]
fn kinds_leave_the_file_system_to_probe() {
    let still: [&str; 0] = [];
    for (f, _) in files("check") {
        let text = std::fs::read_to_string(&f).unwrap();
        let body = shipped(&text);
        let touches =
            named_under(body, "std").contains("fs") || named_under(body, "tokio").contains("fs");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if still.contains(&name.as_str()) {
            assert!(
                touches,
                "{} no longer uses std::fs: take it off the list",
                f.display()
            );
        } else {
            assert!(
                !touches,
                "{} uses the file system directly; look through src/probe/",
                f.display()
            );
        }
    }
}
