//! The module graph stays layered: `src/probe/` imports nothing above `report`, and the
//! top-level modules named below do not import each other both ways.

use super::*;

/// The top-level modules a file under `dir` (or the file `dir.rs`) refers to as
/// `crate::NAME`, outside its `#[cfg(test)]` module.
fn imports(module: &str) -> std::collections::BTreeSet<String> {
    let src = root().join("src");
    let mut files = Vec::new();
    let dir = src.join(module);
    if dir.is_dir() {
        // Submodules in folders of their own (`probe/http/url.rs`) count too.
        let mut dirs = vec![dir];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    files.push(p);
                }
            }
        }
    } else {
        files.push(src.join(format!("{module}.rs")));
    }
    let mut out = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let body = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, _) in body.match_indices("crate::") {
            let name: String = body[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module && !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn probe_imports_nothing_above_report() {
    let allowed = ["report", "encoding", "duration"];
    for name in imports("probe") {
        assert!(
            allowed.contains(&name.as_str()),
            "src/probe/ imports crate::{name}; probes may use only {allowed:?}"
        );
    }
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
