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
    pub rule: Option<String>,
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
                rule: p.rule.map(str::to_string),
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
        assert_eq!(p[0].rule.as_deref(), Some("trailing-spaces"));
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
                .any(|p| p.rule.as_deref() == Some("line-length") && p.level == Level::Error),
            "{p:?}"
        );
    }

    #[test]
    fn bad_presets_and_rules_are_refused() {
        assert!(Linter::new("strictest", None).is_err());
        let rules = serde_json::json!({"no-such-rule": "enable"});
        assert!(Linter::new("relaxed", Some(&rules)).is_err());
    }
}
