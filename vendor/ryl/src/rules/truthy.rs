//! `truthy`: flag YAML 1.1 boolean-ish words (`yes`/`no`/`on`/`off`/`True`/…) that are
//! plain strings under the YAML 1.2 core schema and so a portability trap. Mirrors
//! yamllint's `truthy`. No safe `--fix`: rewriting `Yes` means choosing between quoting
//! it (keeps the string), normalising to `true`/`false` (a type change), or rewording.

use std::collections::HashSet;

use granit_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

use crate::config::YamlLintConfig;
use crate::rules::support::yaml_version::{Version, event_version};

pub const ID: &str = "truthy";

const TRUTHY_VALUES_YAML_1_1: [&str; 18] = [
    "YES", "Yes", "yes", "NO", "No", "no", "TRUE", "True", "true", "FALSE", "False",
    "false", "ON", "On", "on", "OFF", "Off", "off",
];

const TRUTHY_VALUES_YAML_1_2: [&str; 6] =
    ["TRUE", "True", "true", "FALSE", "False", "false"];

#[derive(Debug, Clone)]
pub struct Config {
    allowed: HashSet<String>,
    allowed_display: String,
    pub check_keys: bool,
}

impl Config {
    /// Resolve the rule configuration from the parsed yamllint config.
    ///
    /// # Panics
    ///
    /// Panics when `allowed-values` contains a non-string entry. The parser rejects
    /// that configuration, so this only occurs with manual construction in tests.
    #[must_use]
    pub fn resolve(cfg: &YamlLintConfig) -> Self {
        let mut allowed: HashSet<String> = HashSet::new();
        allowed.insert("true".to_string());
        allowed.insert("false".to_string());
        let mut check_keys = true;

        if let Some(node) = cfg.rule_option(ID, "allowed-values")
            && let Some(seq) = node.as_sequence()
        {
            allowed.clear();
            for value in seq {
                let text = value
                    .as_str()
                    .expect("truthy allowed-values should be strings");
                allowed.insert(text.to_owned());
            }
        }

        if let Some(node) = cfg.rule_option(ID, "check-keys")
            && let Some(flag) = node.as_bool()
        {
            check_keys = flag;
        }

        let mut display_values: Vec<&str> =
            allowed.iter().map(String::as_str).collect();
        display_values.sort_unstable();
        let allowed_display = format!("[{}]", display_values.join(", "));

        Self {
            allowed,
            allowed_display,
            check_keys,
        }
    }

    fn allows(&self, value: &str) -> bool {
        self.allowed.contains(value)
    }

    fn allowed_display(&self) -> &str {
        &self.allowed_display
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug)]
struct ContainerState {
    kind: ContainerKind,
    key_context: bool,
}

#[derive(Debug)]
enum ContainerKind {
    Sequence,
    Mapping { expect_key: bool },
}

#[derive(Debug)]
struct TruthyState<'cfg> {
    config: &'cfg Config,
    containers: Vec<ContainerState>,
    key_depth: usize,
    current_version: Version,
    bad_truthy: Option<HashSet<String>>,
}

impl<'cfg> TruthyState<'cfg> {
    const fn new(config: &'cfg Config) -> Self {
        Self {
            config,
            containers: Vec::new(),
            key_depth: 0,
            current_version: (1, 1),
            bad_truthy: None,
        }
    }

    fn document_start(&mut self, version: Option<Version>) {
        self.current_version = version.unwrap_or((1, 1));
        self.bad_truthy = None;
        self.key_depth = 0;
        self.containers.clear();
    }

    fn document_end(&mut self) {
        self.key_depth = 0;
        self.containers.clear();
    }

    fn begin_node(&mut self) -> bool {
        let mut is_key_node = false;
        if let Some(ContainerState {
            kind: ContainerKind::Mapping { expect_key },
            ..
        }) = self.containers.last_mut()
        {
            if *expect_key {
                is_key_node = true;
                *expect_key = false;
            } else {
                *expect_key = true;
            }
        }

        let active_key = is_key_node || self.key_depth > 0;
        if active_key {
            self.key_depth += 1;
        }
        active_key
    }

    fn enter_mapping(&mut self) {
        let active_key = self.begin_node();
        self.containers.push(ContainerState {
            kind: ContainerKind::Mapping { expect_key: true },
            key_context: active_key,
        });
    }

    fn enter_sequence(&mut self) {
        let active_key = self.begin_node();
        self.containers.push(ContainerState {
            kind: ContainerKind::Sequence,
            key_context: active_key,
        });
    }

    fn exit_container(&mut self) {
        if let Some(container) = self.containers.pop()
            && container.key_context
            && self.key_depth > 0
        {
            self.key_depth -= 1;
        }
    }

    const fn finish_scalar(&mut self, active_key: bool) {
        if active_key && self.key_depth > 0 {
            self.key_depth -= 1;
        }
    }

    fn is_bad_truthy(&mut self, value: &str) -> bool {
        if self.bad_truthy.is_none() {
            // A higher minor (`%YAML 1.3`) is processed as 1.2, so anything at 1.2 or
            // above uses the 1.2 set; 1.0/1.1 and the directive-less default use 1.1.
            let base = if self.current_version >= (1, 2) {
                &TRUTHY_VALUES_YAML_1_2[..]
            } else {
                &TRUTHY_VALUES_YAML_1_1[..]
            };
            let mut set: HashSet<String> = HashSet::new();
            for candidate in base {
                if !self.config.allows(candidate) {
                    set.insert((*candidate).to_string());
                }
            }
            self.bad_truthy = Some(set);
        }
        self.bad_truthy
            .as_ref()
            .expect("bad truthy set initialised")
            .contains(value)
    }

    fn handle_scalar(
        &mut self,
        style: ScalarStyle,
        value: &str,
        tagged: bool,
        span: Span,
        diagnostics: &mut Vec<Violation>,
    ) {
        let active_key = self.begin_node();

        if tagged {
            self.finish_scalar(active_key);
            return;
        }

        if !matches!(style, ScalarStyle::Plain) {
            self.finish_scalar(active_key);
            return;
        }

        if active_key && !self.config.check_keys {
            self.finish_scalar(active_key);
            return;
        }

        if self.is_bad_truthy(value) {
            diagnostics.push(Violation {
                line: span.start.line(),
                column: span.start.col() + 1,
                message: format!(
                    "truthy value should be one of {}",
                    self.config.allowed_display()
                ),
            });
        }

        self.finish_scalar(active_key);
    }
}

struct TruthyReceiver<'cfg> {
    state: TruthyState<'cfg>,
    diagnostics: Vec<Violation>,
}

#[allow(clippy::missing_const_for_fn)]
impl<'cfg> TruthyReceiver<'cfg> {
    fn new(cfg: &'cfg Config) -> Self {
        Self {
            state: TruthyState::new(cfg),
            diagnostics: Vec::new(),
        }
    }
}

impl SpannedEventReceiver<'_> for TruthyReceiver<'_> {
    fn on_event(&mut self, event: Event<'_>, span: Span) {
        match event {
            Event::StreamStart => {
                self.state.current_version = (1, 1);
                self.state.bad_truthy = None;
            }
            Event::DocumentStart(_, version) => {
                self.state.document_start(version.map(event_version));
            }
            Event::DocumentEnd => self.state.document_end(),
            Event::SequenceStart(_, _, _) => self.state.enter_sequence(),
            Event::SequenceEnd | Event::MappingEnd => self.state.exit_container(),
            Event::MappingStart(_, _, _) => self.state.enter_mapping(),
            Event::Scalar(value, style, _, tag) => {
                let tagged = tag.is_some();
                self.state.handle_scalar(
                    style,
                    value.as_ref(),
                    tagged,
                    span,
                    &mut self.diagnostics,
                );
            }
            _ => {}
        }
    }
}

#[must_use]
pub fn check(buffer: &str, cfg: &Config) -> Vec<Violation> {
    let mut parser = Parser::new_from_str(buffer);
    let mut receiver = TruthyReceiver::new(cfg);
    let _ = parser.load(&mut receiver, true);
    receiver.diagnostics
}
