//! `config.syntax`: the node config is one well-formed YAML mapping.
//!
//! Parse errors, duplicate keys (both places), alias bombs and absurd nesting are refused
//! with their line and column; the loader (`yaml.rs`) enforces the limits.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Context, KindInfo};
use crate::config::ConfigSource;
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status};
use crate::yaml::{LoadError, MAX_DEPTH, MAX_NODES, Value};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {}

super::generated_codes!("config-syntax");

/// The config is not valid YAML (the parser's message and position are given).
pub const INVALID: Code = Code::new(
    "config-syntax.invalid",
    Status::Fail,
    "The config is not valid YAML (the parser's message and position are given).",
    "Fix the YAML at the reported line: indent with spaces, close quotes and brackets.",
)
.was(&["config.syntax.invalid"]);

/// A key is defined twice in the same mapping; only one of the values is used.
pub const DUPLICATE_KEY: Code = Code::new(
    "config-syntax.duplicate-key",
    Status::Fail,
    "A key is defined twice in the same mapping; only one of the values is used.",
    "Keep one definition of the key and delete the other.",
)
.was(&["config.syntax.duplicate-key"]);

/// Aliases expand past the node budget, or nesting is deeper than the limit: refused unexpanded.
pub const TOO_COMPLEX: Code = Code::new(
    "config-syntax.too-complex",
    Status::Fail,
    "Aliases expand past the node budget, or nesting is deeper than the limit: refused unexpanded.",
    "Remove the recursive aliases or the deep nesting; a node config needs neither.",
)
.was(&["config.syntax.too-complex"]);

/// The file holds several YAML documents (`---` separators); the node reads one.
pub const MULTIPLE_DOCUMENTS: Code = Code::new(
    "config-syntax.multiple-documents",
    Status::Fail,
    "The file holds several YAML documents (`---` separators); the node reads one.",
    "Keep one document in the file and remove the extra `---` sections.",
)
.was(&["config.syntax.multiple-documents"]);

/// The top level of the config is a list or a scalar, not a mapping of settings.
pub const NOT_A_MAPPING: Code = Code::new(
"config-syntax.not-a-mapping",
Status::Fail,
"The top level of the config is a list or a scalar, not a mapping of settings.",
"Write the config as `key: value` settings at the top level (endpoint:, model_repo:, node:, ...).",
)
.was(&["config.syntax.not-a-mapping"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "config-syntax",
        category: "config",
        summary: "The node config is well-formed YAML: one mapping, no duplicate keys, no alias bombs",
        explain: "What it checks: that the node config parses as a single YAML 1.2 document whose top level is a mapping. It reports the first syntax error with its line and column and shows the offending line; a key defined twice in the same mapping (both places named: YAML parsers silently keep one of them, so the value the service uses may not be the one you edited); tabs used for indentation; aliases that expand to more than a million nodes (a \"billion laughs\" bomb) and nesting deeper than 128 levels, which are refused rather than expanded.\n\nWhy it matters: Open-AutoGLM reads `endpoint` and `model_repo` from this file at start-up; a malformed file makes node registration fail with a 400 from the master or no sync at all (the node logs \"config file format error, check indentation and key names\").\n\nHow to fix: open the file at the reported line; indent with spaces only, two per level; close every quote and bracket; keep one definition of each key.",
        default_timeout: Duration::from_secs(5),
        network: false,
        reads_config: false,
        codes: &[
            INVALID,
            DUPLICATE_KEY,
            TOO_COMPLEX,
            MULTIPLE_DOCUMENTS,
            NOT_A_MAPPING,
        ],
        generated: GENERATED,
        aliases: &["config.syntax"],
        implicit_needs: &["config-file"],
        gates_config: true,
        uses_master_config: false,
        config_facts: &[("node.id", "/node/id"), ("node.role", "/node/role")],
    };

    async fn run(_spec: &Spec, ctx: &Context) -> Evaluation {
        let src = Arc::clone(&ctx.config);
        super::on_blocking_pool(&INTERNAL, "the YAML parser", move || judge(&src)).await
    }
}

/// Judge the parsed document.
pub fn judge(src: &ConfigSource) -> Evaluation {
    let path = src.display_path();
    let Some(doc) = src.document() else {
        return super::blocked(
            &BLOCKED,
            "not run: the config file was not read",
            "fix the config.file check first",
        );
    };
    let finding = match doc {
        Ok(node) => match &node.value {
            Value::Mapping(entries) => Finding::pass(format!(
                "{path} is well-formed YAML ({} top-level keys)",
                entries.len()
            )),
            _ => Finding::new(
                &NOT_A_MAPPING,
                format!(
                    "top level of {path} is a {}, not a mapping of settings",
                    if matches!(node.value, Value::Sequence(_)) {
                        "list"
                    } else {
                        "scalar"
                    }
                ),
                format!(
                    "write {path} as `key: value` settings (endpoint:, model_repo:, node:, ...)"
                ),
            )
            .at(src.location(node.pos)),
        },
        Err(e) => {
            let mut at = src.location(e.pos());
            match e {
                LoadError::Syntax { pos, message } => {
                    // The scanner reports a tab where the token it was reading started; the
                    // tab itself is on the first line from there indented with one.
                    let tab_line = message.contains("tab").then(|| tab_indented_line(src.text().unwrap_or(""), pos.line)).flatten();
                    let mut pos = *pos;
                    if let Some(p) = tab_line {
                        pos = p;
                        at = src.location(p);
                    }
                    let tab = tab_line.is_some();
                    let remediation = if tab {
                        format!("replace the tab indentation on line {} of {path} with spaces (YAML forbids tabs for indentation)", pos.line)
                    } else {
                        format!("fix the YAML at {path}:{pos}: check indentation (spaces only), colons, quotes and brackets")
                    };
                    let what = if tab { " (tab used for indentation)" } else { "" };
                    Finding::new(&INVALID, format!("YAML syntax error at {path}:{pos}: {message}{what}"),
                        remediation,
                    )
                }
                LoadError::DuplicateKey { key, first, second } => Finding::new(&DUPLICATE_KEY, format!("key `{key}` is defined twice: {path}:{first} and {path}:{second}"),
                    format!("keep one definition of `{key}` (lines {} and {}) and delete the other", first.line, second.line),
                )
                .with("first", format!("{path}:{first}"))
                .with("second", format!("{path}:{second}")),
                LoadError::TooDeep { pos } => Finding::new(&TOO_COMPLEX, format!("{path}:{pos}: nesting deeper than {MAX_DEPTH} levels; refused"),
                    "remove the deep nesting; a node config needs a few levels at most",
                ),
                LoadError::TooLarge { pos } => Finding::new(&TOO_COMPLEX, format!("{path}:{pos}: the document expands to more than {MAX_NODES} nodes (an alias bomb, or far larger than any node config); refused"),
                    "remove the nested aliases (&anchor / *alias); a node config needs none",
                ),
                LoadError::UnknownAlias { pos } => Finding::new(&INVALID, format!("YAML syntax error at {path}:{pos}: alias to an undefined anchor"),
                    format!("define the anchor before {path}:{pos} or write the value out"),
                ),
                LoadError::MultipleDocuments { count, .. } => Finding::new(&MULTIPLE_DOCUMENTS, format!("{path} holds {count} YAML documents; the node reads only one"),
                    format!("keep one document in {path} and remove the extra `---` sections"),
                ),
            }
            .at(at)
        }
    };
    Evaluation::single(finding)
}

/// The first line at or after `from` whose indentation contains a tab.
fn tab_indented_line(text: &str, from: usize) -> Option<crate::yaml::Pos> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find_map(|(i, l)| {
            let indent: String = l.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            indent.find('\t').map(|col| crate::yaml::Pos {
                line: i + 1,
                column: col + 1,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<String> {
        let src = ConfigSource::from_text("c.yaml", text);
        judge(&src).worst().unwrap().code_name().map(String::from)
    }

    #[test]
    fn classifies() {
        assert_eq!(code("a: 1\n"), None);
        assert_eq!(code("a: [1\n"), Some("config-syntax.invalid".into()));
        assert_eq!(
            code("a: 1\na: 2\n"),
            Some("config-syntax.duplicate-key".into())
        );
        assert_eq!(
            code("a: 1\n---\nb: 1\n"),
            Some("config-syntax.multiple-documents".into())
        );
        assert_eq!(
            code("- a\n- b\n"),
            Some("config-syntax.not-a-mapping".into())
        );
        assert_eq!(
            code(&format!("a: {}{}\n", "[".repeat(500), "]".repeat(500))),
            Some("config-syntax.too-complex".into())
        );
    }

    #[test]
    fn tab_indentation_is_named() {
        let src = ConfigSource::from_text("c.yaml", "node:\n\tid: x\n");
        let e = judge(&src);
        let f = e.worst().unwrap();
        assert_eq!(f.code_name(), Some("config-syntax.invalid"));
        assert!(f.remediation.as_deref().unwrap().contains("tab"), "{f:?}");
        assert_eq!(f.location.as_ref().unwrap().line, 2);
    }
}
