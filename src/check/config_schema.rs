//! `config.schema`: the node config against the Open-AutoGLM JSON Schema (SPEC §6).
//!
//! Every violation is reported at once, each with its dotted path (`auth.token_ttl`) and
//! `file:line:col`. Messages are written here from the error kind rather than taken from
//! the validator, so a secret that landed in the wrong field is never echoed.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jsonschema::error::ValidationErrorKind;
use serde::Deserialize;
use serde_json::Value as J;

use super::{CheckKind, Context, KindInfo};
use crate::config::{ConfigSource, model};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};
use crate::secret::is_secret_key;
use crate::yaml::Node;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {}

super::generated_codes!("config-schema");

/// A required setting is missing.
pub const MISSING_FIELD: Code = Code::new(
    "config-schema.missing-field",
    Status::Fail,
    "A required setting is missing.",
    "Add the setting named in the message at the indicated level of the config.",
)
.was(&["config.schema.missing-field"]);

/// A key the schema does not know (often a typo; the node ignores it and uses a default).
pub const UNKNOWN_FIELD: Code = Code::new(
    "config-schema.unknown-field",
    Status::Fail,
    "A key the schema does not know (often a typo; the node ignores it and uses a default).",
    "Remove the key or correct its spelling (a close known key is suggested).",
)
.was(&["config.schema.unknown-field"]);

/// A value has the wrong type (string vs number vs mapping ...).
pub const WRONG_TYPE: Code = Code::new(
    "config-schema.wrong-type",
    Status::Fail,
    "A value has the wrong type (string vs number vs mapping ...).",
    "Write the value with the expected type; quote versions, do not quote numbers.",
)
.was(&["config.schema.wrong-type"]);

/// A number or length is outside its allowed range (e.g. a negative TTL).
pub const OUT_OF_RANGE: Code = Code::new(
    "config-schema.out-of-range",
    Status::Fail,
    "A number or length is outside its allowed range (e.g. a negative TTL).",
    "Set the value within the range given in the message.",
)
.was(&["config.schema.out-of-range"]);

/// A value is not one of the allowed values or not of the expected form (URL, version, duration, zone).
pub const INVALID_VALUE: Code = Code::new(
"config-schema.invalid-value",
Status::Fail,
"A value is not one of the allowed values or not of the expected form (URL, version, duration, zone).",
"Use one of the allowed values or the form described in the message.",
)
.was(&["config.schema.invalid-value"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "config-schema",
        category: "config",
        summary: "The node config matches the Open-AutoGLM config schema (types, ranges, required and unknown keys)",
        explain: "What it checks: the node config against the JSON Schema printed by `autoglm-doctor schema config` (documented in docs/config.md): required settings (`endpoint`, `model_repo`, `node`), the type of every value (a quoted \"3600\" is a string, not a number; an unquoted 2.5 is a number, not a version string), ranges (a token TTL of at least 1 second), allowed values (`node.role` is master or compute), the form of URLs, versions, durations and time zones, and keys the schema does not know (usually a typo: `tokn_ttl`). All violations are reported at once, each with its path and file:line:col.\n\nWhy it matters: a malformed `endpoint` or `model_repo` makes initialisation fail; a misspelt key is silently ignored and its default used, which is how a node ends up with a different `token_ttl` than the master.\n\nHow to fix: correct each reported value at its line; run `autoglm-doctor schema config` to see every allowed key with its description.",
        default_timeout: Duration::from_secs(10),
        network: false,
        reads_config: true,
        codes: &[
            MISSING_FIELD,
            UNKNOWN_FIELD,
            WRONG_TYPE,
            OUT_OF_RANGE,
            INVALID_VALUE,
        ],
        generated: GENERATED,
        aliases: &["config.schema"],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(_spec: &Spec, ctx: &Context) -> Evaluation {
        let src = Arc::clone(&ctx.config);
        super::on_blocking_pool(&INTERNAL, "schema validation", move || judge(&src)).await
    }
}

fn schema() -> &'static J {
    static SCHEMA: OnceLock<J> = OnceLock::new();
    SCHEMA.get_or_init(model::json_schema)
}

fn validator() -> Result<&'static jsonschema::Validator, String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| jsonschema::validator_for(schema()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Validate the parsed config.
pub fn judge(src: &ConfigSource) -> Evaluation {
    let Some(tree) = src.tree() else {
        return super::blocked(
            &BLOCKED,
            "not run: the config is not readable YAML",
            "fix the config.file and config.syntax checks first",
        );
    };
    let validator = match validator() {
        Ok(v) => v,
        Err(e) => {
            let mut eval = Evaluation::single(Finding::new(
                &INTERNAL,
                format!("the built-in config schema does not compile: {e}"),
                "report the bug",
            ));
            eval.cause = Some(Cause::Internal);
            return eval;
        }
    };
    let instance = tree.to_json();
    let path = src.display_path();
    let mut findings = Vec::new();
    for err in validator.iter_errors(&instance) {
        findings.extend(describe(&err, tree, src, &path));
    }
    findings.sort_by_key(|f| f.location.as_ref().map(|l| (l.line, l.column)));
    findings.dedup_by(|a, b| a.message == b.message && a.location == b.location);
    if findings.is_empty() {
        return Evaluation::single(Finding::pass(format!(
            "{path} matches the node config schema"
        )));
    }
    let n = findings.len();
    let mut eval = Evaluation::of(findings);
    if n > 1 {
        let first = eval.worst().map(|f| f.message.clone()).unwrap_or_default();
        eval.message = Some(format!("{n} schema violations; first: {first}"));
    }
    eval
}

fn dotted(pointer: &str) -> String {
    let s: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    if s.is_empty() {
        "(top level)".into()
    } else {
        s.join(".")
    }
}

fn is_secret_path(pointer: &str) -> bool {
    pointer.split('/').any(is_secret_key)
}

fn show(value: &J, pointer: &str) -> String {
    if is_secret_path(pointer) {
        return crate::secret::REDACTED.into();
    }
    let s = match value {
        J::String(s) => format!("\"{s}\""),
        J::Object(_) => "a mapping".into(),
        J::Array(_) => "a list".into(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null (empty)",
        J::Bool(_) => "boolean",
        J::Number(n) if n.is_i64() || n.is_u64() => "integer",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "list",
        J::Object(_) => "mapping",
    }
}

/// The schema node describing the instance at `pointer` (following `$ref`s).
fn schema_at(pointer: &str) -> Option<&'static J> {
    let root = schema();
    let mut node = resolve(root, root);
    for seg in pointer.split('/').skip(1) {
        let props = node.get("properties").and_then(|p| p.get(seg));
        node = match props {
            Some(p) => resolve(root, p),
            None => match node.get("additionalProperties").filter(|a| a.is_object()) {
                Some(a) => resolve(root, a),
                None => resolve(root, node.get("items")?),
            },
        };
    }
    Some(node)
}

fn resolve<'a>(root: &'a J, node: &'a J) -> &'a J {
    let mut node = node;
    for _ in 0..8 {
        let next = node
            .get("$ref")
            .and_then(J::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
            .or_else(|| {
                node.get("anyOf")
                    .and_then(J::as_array)
                    .and_then(|a| a.iter().find(|s| s.get("type") != Some(&J::from("null"))))
            });
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

fn description(pointer: &str) -> Option<String> {
    let root = schema();
    // The field's own description sits beside its `$ref` on the parent's property.
    let (parent, last) = pointer.rsplit_once('/')?;
    let prop = schema_at(parent)?.get("properties")?.get(last);
    prop.and_then(|p| p.get("description"))
        .or_else(|| {
            prop.map(|p| resolve(root, p))
                .and_then(|p| p.get("description"))
        })
        .and_then(J::as_str)
        .map(|d| {
            d.lines()
                .next()
                .unwrap_or(d)
                .trim_end_matches('.')
                .to_string()
        })
}

/// Unknown keys of one mapping reported one by one; the rest are counted.
const MAX_UNKNOWN_SHOWN: usize = 50;

fn known_keys(pointer: &str) -> Vec<String> {
    schema_at(pointer)
        .and_then(|s| s.get("properties"))
        .and_then(J::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn describe(
    err: &jsonschema::ValidationError<'_>,
    tree: &Node,
    src: &ConfigSource,
    path: &str,
) -> Vec<Finding> {
    let pointer = err.instance_path().as_str().to_string();
    let field = dotted(&pointer);
    let node = tree
        .pointer_key(&pointer)
        .or_else(|| tree.pointer(&pointer))
        .unwrap_or(tree);
    let value_node = tree.pointer(&pointer);
    let value = value_node.map_or(J::Null, Node::to_json);
    // A wrong scalar is pointed at itself; a mapping missing a key at the mapping's key.
    let here = match value_node {
        Some(
            v @ Node {
                value: crate::yaml::Value::Scalar(_),
                ..
            },
        ) => src.location(v.pos),
        _ => src.location(node.pos),
    };
    let hint = description(&pointer)
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let one = |code: &'static Code, message: String, fix: String| {
        vec![
            Finding::new(code, message, fix)
                .at(here.clone())
                .with("field", field.clone()),
        ]
    };
    match err.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let child = format!("{pointer}/{name}");
            let what = description(&child).map(|d| format!(" ({d})")).unwrap_or_default();
            let parent = if pointer.is_empty() { "the top level".to_string() } else { format!("`{field}`") };
            let mut f = one(&MISSING_FIELD, format!("required setting `{}` is missing from {parent}", dotted(&child)), format!("add `{name}:` to {parent} of {path}{what}"));
            f[0].evidence.insert("field".into(), dotted(&child).into());
            f
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            // Each one is looked up in the tree and the text: a file of 80,000 unknown keys
            // is named by its first ones and a count, in linear time.
            .take(MAX_UNKNOWN_SHOWN)
            .map(|key| {
                let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                let pos = tree.pointer_key(&child).map_or(node.pos, |n| n.pos);
                let known = known_keys(&pointer);
                let suggestion = known.iter().filter(|k| edit_distance(k, key) <= 2).min_by_key(|k| edit_distance(k, key));
                let fix = match suggestion {
                    Some(s) => format!("rename `{key}` to `{s}` at {path}:{} (the node ignores unknown keys and uses the default)", pos.line),
                    None => format!("remove `{key}` from {path}:{} or correct it; known keys here: {}", pos.line, known.join(", ")),
                };
                let parent = if pointer.is_empty() { "top level".to_string() } else { format!("`{field}`") };
                Finding::new(&UNKNOWN_FIELD, format!("unknown key `{key}` at {parent}"), fix)
                    .at(src.location(pos))
                    .with("field", dotted(&child))
            })
            .chain((unexpected.len() > MAX_UNKNOWN_SHOWN).then(|| {
                let parent = if pointer.is_empty() { "the top level".to_string() } else { format!("`{field}`") };
                let more = unexpected.len() - MAX_UNKNOWN_SHOWN;
                Finding::new(
                    &UNKNOWN_FIELD,
                    format!("{more} more unknown keys at {parent} ({} in all)", unexpected.len()),
                    format!("check that {path} is the node config; remove the keys the schema does not know"),
                )
                .at(here.clone())
                .with("field", field.clone())
            }))
            .collect(),
        ValidationErrorKind::Type { kind } => {
            let expected = format!("{kind:?}").to_lowercase().replace("single(", "").replace("multiple(", "").replace(')', "");
            let expected = expected.replace("object", "mapping").replace("array", "list");
            let found = type_name(&value);
            let quote_fix = expected.contains("string") && matches!(value, J::Number(_));
            let unquote_fix = (expected.contains("integer") || expected.contains("number")) && value.as_str().is_some_and(|s| s.parse::<f64>().is_ok());
            let fix = if quote_fix {
                format!("quote the value of `{field}` at {path}:{}, e.g. \"{}\"", node.pos.line, show(&value, &pointer).trim_matches('"'))
            } else if unquote_fix {
                format!("remove the quotes around the value of `{field}` at {path}:{} so it is a number", node.pos.line)
            } else {
                format!("write `{field}` at {path}:{} as {} {expected}{hint}", node.pos.line, if expected.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" })
            };
            let article = if expected.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            // A list or mapping is named once ("found a list"); a scalar with its type and value.
            let seen = if matches!(value, J::Array(_) | J::Object(_)) {
                show(&value, &pointer)
            } else {
                format!("{found} {}", show(&value, &pointer))
            };
            one(&WRONG_TYPE, format!("`{field}` must be {article} {expected}, found {seen}"), fix)
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::ExclusiveMinimum { limit } => one(
            &OUT_OF_RANGE,
            format!("`{field}` is {}, below the minimum {limit}", show(&value, &pointer)),
            format!("set `{field}` at {path}:{} to at least {limit}{hint}", node.pos.line),
        ),
        ValidationErrorKind::Maximum { limit } | ValidationErrorKind::ExclusiveMaximum { limit } => one(
            &OUT_OF_RANGE,
            format!("`{field}` is {}, above the maximum {limit}", show(&value, &pointer)),
            format!("set `{field}` at {path}:{} to at most {limit}{hint}", node.pos.line),
        ),
        ValidationErrorKind::MinLength { limit } => one(
            &OUT_OF_RANGE,
            if *limit <= 1 { format!("`{field}` is empty") } else { format!("`{field}` is shorter than {limit} characters") },
            format!("give `{field}` at {path}:{} a value{hint}", node.pos.line),
        ),
        ValidationErrorKind::MaxLength { limit } => one(
            &OUT_OF_RANGE,
            format!("`{field}` is longer than {limit} characters"),
            format!("shorten `{field}` at {path}:{} to at most {limit} characters", node.pos.line),
        ),
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options.as_array().map(|a| a.iter().map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string)).collect()).unwrap_or_default();
            one(
                &INVALID_VALUE,
                format!("`{field}` is {}, not one of {}", show(&value, &pointer), allowed.join(", ")),
                format!("set `{field}` at {path}:{} to one of: {}", node.pos.line, allowed.join(", ")),
            )
        }
        ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Format { .. } => {
            let expected = description(&pointer).map_or_else(String::new, |d| format!("; expected: {d}"));
            one(
                &INVALID_VALUE,
                format!("`{field}` is {}, not of the expected form", show(&value, &pointer)),
                format!("rewrite `{field}` at {path}:{}{expected}", node.pos.line),
            )
        }
        _ => one(
            &INVALID_VALUE,
            format!("`{field}` is invalid: {}", err.masked()),
            format!("correct `{field}` at {path}:{}{hint}", node.pos.line),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTHY: &str = "endpoint: https://master.autoglm.test:8443\nmodel_repo: /var/lib/models\nnode:\n  id: c1\n  role: compute\n";

    fn findings(text: &str) -> Vec<Finding> {
        judge(&ConfigSource::from_text("c.yaml", text)).findings
    }

    #[test]
    fn healthy_passes() {
        let f = findings(HEALTHY);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Pass, "{f:?}");
    }

    #[test]
    fn several_violations_at_once_with_lines() {
        let text = format!("{HEALTHY}auth:\n  token_ttl: -5\n  tokn: 3\napi:\n  version: 2.5\n");
        let f = findings(&text);
        let got: Vec<(Option<&str>, usize)> = f
            .iter()
            .map(|f| (f.code_name(), f.location.as_ref().unwrap().line))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("config-schema.out-of-range"), 7),
                (Some("config-schema.unknown-field"), 8),
                (Some("config-schema.wrong-type"), 10),
            ]
        );
        assert!(
            f[2].remediation.as_deref().unwrap().contains("quote"),
            "{:?}",
            f[2]
        );
    }

    /// Regression: "`sync.ports` must be a mapping, found list a list".
    #[test]
    fn a_wrong_type_names_what_was_found_once() {
        let f = findings(&format!(
            "{HEALTHY}sync:\n  ports: [8080, 9090]\napi:\n  version: 2.5\n"
        ));
        let messages: Vec<&str> = f
            .iter()
            .filter(|f| f.code_name() == Some("config-schema.wrong-type"))
            .map(|f| f.message.as_str())
            .collect();
        assert!(
            messages.contains(&"`sync.ports` must be a mapping, found a list"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"`api.version` must be a string, found number 2.5"),
            "{messages:?}"
        );
    }

    #[test]
    fn missing_endpoint_and_typo_suggestion() {
        let f = findings("model_repo: /m\nnode:\n  id: c1\n  role: compute\n  rol: x\n");
        assert!(
            f.iter()
                .any(|f| f.code_name() == Some("config-schema.missing-field")
                    && f.message.contains("`endpoint`")),
            "{f:?}"
        );
        let typo = f
            .iter()
            .find(|f| f.code_name() == Some("config-schema.unknown-field"))
            .unwrap();
        assert!(
            typo.remediation.as_deref().unwrap().contains("`role`"),
            "{typo:?}"
        );
    }

    #[test]
    fn secret_values_are_never_echoed() {
        let text = format!("{HEALTHY}auth:\n  api_key: 987654321\n");
        let f = findings(&text);
        let all = format!("{f:?}");
        assert!(!all.contains("987654321"), "{all}");
        assert!(
            f.iter()
                .any(|f| f.code_name() == Some("config-schema.wrong-type"))
        );
    }
}
