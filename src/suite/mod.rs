//! Suites: YAML files listing checks (`id`, `kind`, `needs`, `timeout`, `with`).
//!
//! The suites in `checks/` are embedded in the binary; `--suite PATH` loads a user file.
//! Loading keeps line numbers so every suite error names `file:line:col`; the entry is read
//! flat and `with:` is kept as a raw tree, deserialized into the kind's `Spec` at plan time.

pub mod plan;
pub mod refs;

use std::path::Path;
use std::time::Duration;

use crate::yaml::{self, Node, Pos, Value};

/// The suites shipped in `checks/`, embedded: (name, file, text).
pub static EMBEDDED: &[(&str, &str, &str)] = &[
    (
        "compute-node",
        "checks/compute-node.yaml",
        include_str!("../../checks/compute-node.yaml"),
    ),
    (
        "master-node",
        "checks/master-node.yaml",
        include_str!("../../checks/master-node.yaml"),
    ),
    (
        "ci-preflight",
        "checks/ci-preflight.yaml",
        include_str!("../../checks/ci-preflight.yaml"),
    ),
];

/// The suite run when `--suite` is absent.
pub const DEFAULT_SUITE: &str = "compute-node";

/// Largest suite file read.
const MAX_SUITE_BYTES: u64 = 1024 * 1024;

/// A suite problem; always names the file and, when known, the line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("suite {file}{}: {message}", pos.map(|p| format!(":{p}")).unwrap_or_default())]
pub struct SuiteError {
    pub file: String,
    pub pos: Option<Pos>,
    pub message: String,
}

/// One entry of a suite, as written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub pos: Pos,
    pub kind: String,
    pub kind_pos: Pos,
    pub needs: Vec<(String, Pos)>,
    /// Checks to wait for without depending on their outcome (they only order the run, e.g.
    /// so a check can read the facts of a failed one).
    pub after: Vec<(String, Pos)>,
    pub timeout: Option<Duration>,
    pub description: Option<String>,
    pub with: Option<Node>,
}

/// A loaded suite.
#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    /// `checks/compute-node.yaml` for embedded suites, else the path given.
    pub file: String,
    pub description: Option<String>,
    pub entries: Vec<Entry>,
}

/// Find a suite by embedded name or path.
pub fn load(name_or_path: Option<&str>) -> Result<Suite, SuiteError> {
    let wanted = name_or_path.unwrap_or(DEFAULT_SUITE);
    if let Some((name, file, text)) = EMBEDDED.iter().find(|(n, _, _)| *n == wanted) {
        return parse(name, file, text);
    }
    let path = Path::new(wanted);
    let err = |message: String| SuiteError {
        file: wanted.to_string(),
        pos: None,
        message,
    };
    // Bounded: a FIFO or device named as the suite is refused, never waited on.
    let bytes = crate::probe::fs::read_bounded_now(path, MAX_SUITE_BYTES).map_err(|e| match e {
        crate::probe::fs::ReadError::NotFound => err(format!(
            "no such suite: not an embedded suite ({}) and no file at that path",
            EMBEDDED
                .iter()
                .map(|(n, _, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        crate::probe::fs::ReadError::NotAFile(_) => err("not a regular file".into()),
        crate::probe::fs::ReadError::TooLarge { size, .. } => err(format!(
            "file is {size} bytes; suites are limited to {MAX_SUITE_BYTES} bytes"
        )),
        crate::probe::fs::ReadError::Io(e) => err(format!("cannot read: {e}")),
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| err("cannot read: stream did not contain valid UTF-8".into()))?;
    let stem = path
        .file_stem()
        .map_or_else(|| wanted.to_string(), |s| s.to_string_lossy().into_owned());
    parse(&stem, wanted, &text)
}

/// Parse suite text. `name` is used when the file does not set `name:`.
pub fn parse(name: &str, file: &str, text: &str) -> Result<Suite, SuiteError> {
    let err = |pos: Pos, message: String| SuiteError {
        file: file.to_string(),
        pos: Some(pos),
        message,
    };
    let doc = yaml::load_one(text).map_err(|e| err(e.pos(), e.to_string()))?;
    let Value::Mapping(top) = &doc.value else {
        return Err(err(
            doc.pos,
            "a suite is a mapping with a `checks:` list".into(),
        ));
    };
    let mut suite = Suite {
        name: name.to_string(),
        file: file.to_string(),
        description: None,
        entries: Vec::new(),
    };
    let mut checks = None;
    for (k, v) in top {
        match k.as_str().unwrap_or_default() {
            "name" => suite.name = scalar(v, "name", &err)?,
            "description" => suite.description = Some(scalar(v, "description", &err)?),
            "checks" => checks = Some(v),
            other => {
                return Err(err(
                    k.pos,
                    format!("unknown key `{other}` (expected name, description, checks)"),
                ));
            }
        }
    }
    let Some(checks) = checks else {
        return Err(err(doc.pos, "missing `checks:` list".into()));
    };
    let Value::Sequence(items) = &checks.value else {
        return Err(err(
            checks.pos,
            "`checks:` must be a list of check entries".into(),
        ));
    };
    for item in items {
        suite.entries.push(parse_entry(item, &err)?);
    }
    Ok(suite)
}

fn scalar(
    node: &Node,
    what: &str,
    err: &dyn Fn(Pos, String) -> SuiteError,
) -> Result<String, SuiteError> {
    node.as_str()
        .map(str::to_string)
        .ok_or_else(|| err(node.pos, format!("`{what}` must be a string")))
}

fn parse_entry(item: &Node, err: &dyn Fn(Pos, String) -> SuiteError) -> Result<Entry, SuiteError> {
    let Value::Mapping(fields) = &item.value else {
        return Err(err(
            item.pos,
            "a check entry is a mapping with `id` and `kind`".into(),
        ));
    };
    let mut id = None;
    let mut kind = None;
    let mut entry = Entry {
        id: String::new(),
        pos: item.pos,
        kind: String::new(),
        kind_pos: item.pos,
        needs: Vec::new(),
        after: Vec::new(),
        timeout: None,
        description: None,
        with: None,
    };
    for (k, v) in fields {
        match k.as_str().unwrap_or_default() {
            "id" => {
                let s = scalar(v, "id", err)?;
                let valid = !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
                if !valid {
                    return Err(err(
                        v.pos,
                        format!("invalid id `{s}`: use letters, digits, `.`, `-`, `_`"),
                    ));
                }
                id = Some((s, v.pos));
            }
            "kind" => kind = Some((scalar(v, "kind", err)?, v.pos)),
            "description" => entry.description = Some(scalar(v, "description", err)?),
            "timeout" => {
                let s = scalar(v, "timeout", err)?;
                let d = crate::duration::parse(&s).map_err(|e| err(v.pos, e.to_string()))?;
                if d.is_zero() {
                    return Err(err(v.pos, "timeout must be greater than zero".into()));
                }
                let d = crate::duration::parse_limit(&s)
                    .map_err(|e| err(v.pos, format!("timeout {e}")))?;
                entry.timeout = Some(d);
            }
            "needs" => match &v.value {
                Value::Sequence(ns) => {
                    for n in ns {
                        entry.needs.push((scalar(n, "needs entry", err)?, n.pos));
                    }
                }
                Value::Scalar(s) if !s.text.is_empty() => {
                    entry.needs.push((s.text.clone(), v.pos));
                }
                _ => return Err(err(v.pos, "`needs` must be a list of check ids".into())),
            },
            "after" => match &v.value {
                Value::Sequence(ns) => {
                    for n in ns {
                        entry.after.push((scalar(n, "after entry", err)?, n.pos));
                    }
                }
                Value::Scalar(s) if !s.text.is_empty() => {
                    entry.after.push((s.text.clone(), v.pos));
                }
                _ => return Err(err(v.pos, "`after` must be a list of check ids".into())),
            },
            "with" => entry.with = Some(v.clone()),
            other => {
                return Err(err(
                    k.pos,
                    format!(
                        "unknown key `{other}` in check entry (expected id, kind, needs, after, timeout, with, description)"
                    ),
                ));
            }
        }
    }
    let Some((id, id_pos)) = id else {
        return Err(err(item.pos, "check entry without `id`".into()));
    };
    let Some((kind, kind_pos)) = kind else {
        return Err(err(item.pos, format!("check `{id}` has no `kind`")));
    };
    entry.id = id;
    entry.pos = id_pos;
    entry.kind = kind;
    entry.kind_pos = kind_pos;
    Ok(entry)
}

/// Shell-style glob with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_suites_parse() {
        for (name, file, text) in EMBEDDED {
            let suite = parse(name, file, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&suite.name, name);
            assert!(!suite.entries.is_empty());
        }
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = parse(
            "s",
            "my.yaml",
            "checks:\n  - id: a\n    kind: exec\n    wiht: {}\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "suite my.yaml:4:5: unknown key `wiht` in check entry (expected id, kind, needs, after, timeout, with, description)"
        );
        let e = parse(
            "s",
            "my.yaml",
            "checks:\n  - id: a\n    kind: exec\n    timeout: soon\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("suite my.yaml:4:14: invalid duration `soon`"),
            "{e}"
        );
    }

    #[test]
    fn glob() {
        assert!(glob_match("config.*", "config.lint"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("tcp.?ttp", "tcp.http"));
        assert!(!glob_match("config.*", "tcp.http"));
        assert!(glob_match("*.lint", "config.lint"));
        assert!(!glob_match("config", "config.lint"));
    }
}
