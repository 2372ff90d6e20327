//! yamllint-compatible linting, behind our own interface.
//!
//! The engine is the `ryl` crate (pinned: see STYLE.md for the measurements that chose it).
//! Nothing outside this module names ryl, so the engine can be replaced without touching
//! the checks.

use std::path::Path;

use ryl::config::YamlLintConfig;

/// Severity of a lint problem, as yamllint's `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// One problem, yamllint-style: 1-based line and column, rule name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub level: Level,
    /// `None` for syntax errors.
    pub rule: Option<&'static str>,
    pub message: String,
}

/// A ready-to-use lint configuration.
#[derive(Debug, Clone)]
pub struct Linter {
    config: YamlLintConfig,
    base: std::path::PathBuf,
    /// `relaxed`, `default`, or `custom` when rules were given.
    pub describe: String,
}

/// Built-in yamllint presets.
pub const PRESETS: &[&str] = &["relaxed", "default"];

impl Linter {
    /// Build from a preset and optional yamllint-style `rules:` (a JSON/YAML mapping).
    pub fn new(preset: &str, rules: Option<&serde_json::Value>) -> Result<Self, String> {
        if !PRESETS.contains(&preset) {
            return Err(format!(
                "unknown lint preset `{preset}` (expected {})",
                PRESETS.join(" or ")
            ));
        }
        let mut doc = serde_json::Map::new();
        doc.insert("extends".into(), preset.into());
        if let Some(rules) = rules {
            if !rules.is_object() {
                return Err("`rules` must be a mapping of yamllint rule names to settings".into());
            }
            doc.insert("rules".into(), rules.clone());
        }
        // JSON is YAML: the yamllint config parser reads it as-is.
        let text = serde_json::Value::Object(doc).to_string();
        let overrides = ryl::config::Overrides {
            config_file: None,
            config_data: Some(text),
        };
        // No environment: the doctor's lint settings come from the suite alone, never from a
        // yamllint config lying around on the node.
        let ctx = ryl::config::discover_config_with_env(&[], &overrides, &|_| None)
            .map_err(|e| format!("invalid lint rules: {e}"))?;
        Ok(Self {
            config: ctx.config,
            base: ctx.base_dir,
            describe: if rules.is_some() {
                format!("{preset} + custom rules")
            } else {
                preset.to_string()
            },
        })
    }

    /// Lint text held in memory. `path` is only used in messages.
    pub fn lint(&self, text: &str, path: &Path) -> Vec<Problem> {
        ryl::lint_str(text, path, &self.config, &self.base)
            .into_iter()
            .map(|p| Problem {
                line: p.line,
                column: p.column,
                level: match p.level {
                    ryl::Severity::Error => Level::Error,
                    ryl::Severity::Warning => Level::Warning,
                },
                rule: p.rule,
                message: p.message,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_preset_reports_trailing_spaces_as_error() {
        let l = Linter::new("relaxed", None).unwrap();
        let p = l.lint("a: 1   \n", Path::new("x.yaml"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].rule, Some("trailing-spaces"));
        assert_eq!((p[0].line, p[0].column), (1, 5));
        assert_eq!(p[0].level, Level::Error);
    }

    #[test]
    fn custom_rules_apply() {
        let rules = serde_json::json!({"line-length": {"max": 10, "level": "error"}});
        let l = Linter::new("relaxed", Some(&rules)).unwrap();
        let p = l.lint("key: aaa bbb ccc ddd\n", Path::new("x.yaml"));
        assert!(
            p.iter()
                .any(|p| p.rule == Some("line-length") && p.level == Level::Error),
            "{p:?}"
        );
    }

    #[test]
    fn bad_presets_and_rules_are_refused() {
        assert!(Linter::new("strictest", None).is_err());
        let rules = serde_json::json!({"no-such-rule": "enable"});
        assert!(Linter::new("relaxed", Some(&rules)).is_err());
    }

    /// (line, column, rule) of each problem.
    fn found(preset: &str, text: &str) -> Vec<(usize, usize, String)> {
        let l = Linter::new(preset, None).unwrap();
        l.lint(text, Path::new("x.yaml"))
            .into_iter()
            .map(|p| (p.line, p.column, p.rule.unwrap_or("syntax").to_string()))
            .collect()
    }

    fn indentation(preset: &str, text: &str) -> Vec<(usize, usize, String)> {
        let l = Linter::new(preset, None).unwrap();
        l.lint(text, Path::new("x.yaml"))
            .into_iter()
            .filter(|p| p.rule == Some("indentation"))
            .map(|p| (p.line, p.column, p.message))
            .collect()
    }

    // Each expectation below is yamllint 1.38's output for the same text.

    #[test]
    fn unindented_sequence_is_reported_once_not_on_every_item() {
        let text = "---\nkey:\n- a\n- b\n- c\n";
        assert_eq!(
            indentation("default", text),
            [(3, 1, "wrong indentation: expected at least 1".to_string())]
        );
        assert!(indentation("relaxed", text).is_empty());
    }

    #[test]
    fn one_position_gets_one_finding() {
        let text = "---\nitem:\n  with_items:\n   - a\n   - b\n";
        assert_eq!(
            indentation("default", text),
            [(
                4,
                4,
                "wrong indentation: expected 4 but found 3".to_string()
            )]
        );
    }

    #[test]
    fn kubectl_style_nested_lists() {
        let text = "---\ncontainers:\n  - args:\n    - a\n    - b\n    image: x\n";
        for preset in ["relaxed", "default"] {
            assert_eq!(
                indentation(preset, text),
                [(
                    4,
                    5,
                    "wrong indentation: expected 6 but found 4".to_string()
                )]
            );
        }
        let text = "---\ncontainers:\n- args:\n  - a\n  - b\n  image: x\n";
        assert!(indentation("relaxed", text).is_empty());
        assert_eq!(
            indentation("default", text),
            [
                (3, 1, "wrong indentation: expected at least 1".to_string()),
                (4, 3, "wrong indentation: expected at least 3".to_string())
            ]
        );
    }

    #[test]
    fn over_indented_block_is_reported() {
        assert_eq!(
            indentation("relaxed", "a:\n  b:\n      c: 1\n  d: 2\n"),
            [(
                3,
                7,
                "wrong indentation: expected 4 but found 6".to_string()
            )]
        );
    }

    #[test]
    fn indentation_width_is_not_taken_from_the_dash() {
        assert!(indentation("default", "---\n- hosts: all\n  vars:\n     a: 1\n").is_empty());
    }

    #[test]
    fn long_line_ending_in_a_colon_is_not_an_inline_mapping() {
        let long = format!("{}end:\n  x: 1\n", "a b ".repeat(35));
        assert_eq!(
            found("relaxed", &long),
            [(1, 81, "line-length".to_string())]
        );
        // A long unbreakable value is still exempt.
        let url = format!("key: https://example.test/{}\n", "a".repeat(130));
        assert!(found("relaxed", &url).is_empty());
    }

    #[test]
    fn lints_lists_several_documents_and_broken_files() {
        assert_eq!(
            indentation("relaxed", "- a:\n    b: 1\n---\n- c:\n      d: 1\n"),
            [(
                5,
                7,
                "wrong indentation: expected 4 but found 6".to_string()
            )]
        );
        // On a syntax error, the problems before it are kept, as yamllint does.
        let p = found("relaxed", "a: 1   \nb: [\n");
        assert_eq!(
            p.first(),
            Some(&(1, 5, "trailing-spaces".to_string())),
            "{p:?}"
        );
        assert!(p.iter().any(|p| p.2 == "syntax"), "{p:?}");
    }

    #[test]
    fn flow_collection_closed_at_column_zero() {
        assert!(indentation("relaxed", "array: [\n\n]\n").is_empty());
    }
}
