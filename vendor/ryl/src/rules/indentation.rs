//! `indentation`: block indentation width and whether block sequences are indented.
//! A port of yamllint's `indentation` rule: the same stack of parents (block and flow
//! mappings and sequences, entries, keys, values) driven by the same token stream, so the
//! same lines are reported with the same expected indentation. The tokens come from
//! granit's scanner with PyYAML's marks (see `support::pyyaml_tokens`). No safe `--fix`:
//! re-indenting moves the block-structure boundaries the grammar uses to delimit
//! mappings, sequences, and scalars, so any non-trivial rewrite risks changing the parsed
//! value.

use granit_parser::ScalarStyle;

use crate::config::YamlLintConfig;
use crate::rules::support::pyyaml_tokens::{self, Kind, Token};

pub const ID: &str = "indentation";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    spaces: SpacesSetting,
    indent_sequences: IndentSequencesSetting,
    check_multi_line_strings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpacesSetting {
    Fixed(usize),
    Consistent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndentSequencesSetting {
    True,
    False,
    Whatever,
    Consistent,
}

impl Config {
    #[must_use]
    pub fn resolve(cfg: &YamlLintConfig) -> Self {
        let spaces =
            cfg.rule_option(ID, "spaces")
                .map_or(SpacesSetting::Consistent, |node| {
                    node.as_integer()
                        .map_or(SpacesSetting::Consistent, |value| {
                            let non_negative = value.max(0);
                            let fixed =
                                usize::try_from(non_negative).unwrap_or(usize::MAX);
                            SpacesSetting::Fixed(fixed)
                        })
                });

        let indent_sequences = cfg.rule_option(ID, "indent-sequences").map_or(
            IndentSequencesSetting::True,
            |node| {
                if let Some(choice) = node.as_str() {
                    return if choice == "whatever" {
                        IndentSequencesSetting::Whatever
                    } else {
                        IndentSequencesSetting::Consistent
                    };
                }

                if node.as_bool() == Some(false) {
                    IndentSequencesSetting::False
                } else {
                    IndentSequencesSetting::True
                }
            },
        );

        let check_multi_line_strings = cfg
            .rule_option(ID, "check-multi-line-strings")
            .and_then(crate::yaml_dom::YamlOwned::as_bool)
            .unwrap_or(false);

        Self {
            spaces,
            indent_sequences,
            check_multi_line_strings,
        }
    }

    #[must_use]
    pub const fn new_for_tests(
        spaces: SpacesSetting,
        indent_sequences: IndentSequencesSetting,
        check_multi_line_strings: bool,
    ) -> Self {
        Self {
            spaces,
            indent_sequences,
            check_multi_line_strings,
        }
    }
}

/// The kinds of parent yamllint keeps on its stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParentKind {
    Root,
    BlockMap,
    FlowMap,
    BlockSeq,
    FlowSeq,
    BlockEntry,
    Key,
    Value,
}

#[derive(Debug, Clone, Copy)]
struct Parent {
    kind: ParentKind,
    /// Expected indentation of the parent's children; `-1` when still unknown.
    indent: i64,
    /// Flow collections: the indentation of the line they open on (for the closing bracket).
    line_indent: Option<i64>,
    explicit_key: bool,
    implicit_block_seq: bool,
}

impl Parent {
    const fn new(kind: ParentKind, indent: i64) -> Self {
        Self {
            kind,
            indent,
            line_indent: None,
            explicit_key: false,
            implicit_block_seq: false,
        }
    }
}

/// `indent-sequences` while linting: `consistent` settles on the first sequence seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndentSequences {
    True,
    False,
    Whatever,
    Consistent,
}

/// yamllint's `wrong indentation` message; a negative expectation reads "at least".
fn message(expected: i64, found: i64) -> String {
    if expected < 0 {
        format!("wrong indentation: expected at least {}", found + 1)
    } else {
        format!("wrong indentation: expected {expected} but found {found}")
    }
}

const fn col(token: &Token) -> i64 {
    token.start.column as i64
}

fn is(token: Option<&Token>, kinds: &[Kind]) -> bool {
    token.is_some_and(|t| kinds.contains(&t.kind))
}

/// The linting state: yamllint's `context`.
struct State<'a> {
    buffer: &'a str,
    cfg: &'a Config,
    stack: Vec<Parent>,
    /// 1-based line of the last visible token's end; `-1` before the first.
    cur_line: i64,
    cur_line_indent: i64,
    /// `None` while `spaces: consistent` has not been settled.
    spaces: Option<i64>,
    indent_sequences: IndentSequences,
    out: Vec<Violation>,
}

/// A violated expectation of the algorithm: yamllint reports "cannot infer indentation".
struct Unexpected;

impl State<'_> {
    fn top(&self) -> Parent {
        self.stack
            .last()
            .copied()
            .unwrap_or(Parent::new(ParentKind::Root, 0))
    }

    fn below_top(&self) -> Option<Parent> {
        self.stack
            .len()
            .checked_sub(2)
            .and_then(|i| self.stack.get(i))
            .copied()
    }

    fn detect_indent(&mut self, base: i64, found: i64) -> i64 {
        let spaces = *self.spaces.get_or_insert(found - base);
        base + spaces
    }

    fn push(&mut self, line: usize, column: i64, message: String) {
        self.out.push(Violation {
            line,
            column: usize::try_from(column + 1).unwrap_or(0),
            message,
        });
    }

    /// yamllint's `check` for one token, with its neighbours.
    fn token(
        &mut self,
        token: &Token,
        prev: Option<&Token>,
        next: Option<&Token>,
        nextnext: Option<&Token>,
    ) {
        if self.step(token, prev, next, nextnext).is_err() {
            self.push(
                token.start.line + 1,
                col(token),
                "cannot infer indentation: unexpected token".to_string(),
            );
        }
    }

    fn step(
        &mut self,
        token: &Token,
        prev: Option<&Token>,
        next: Option<&Token>,
        nextnext: Option<&Token>,
    ) -> Result<(), Unexpected> {
        // Step 1: lint the first token of each line.
        let visible = !matches!(
            token.kind,
            Kind::StreamStart | Kind::StreamEnd | Kind::BlockEnd
        ) && !(token.kind == Kind::Scalar && token.empty);
        let line = i64::try_from(token.start.line).unwrap_or(i64::MAX);
        let first_in_line = visible && line + 1 > self.cur_line;
        let found = col(token);
        if first_in_line {
            let top = self.top();
            let mut expected = Some(top.indent);
            if matches!(token.kind, Kind::FlowMappingEnd | Kind::FlowSequenceEnd) {
                expected = top.line_indent;
            } else if top.kind == ParentKind::Key
                && top.explicit_key
                && token.kind != Kind::Value
            {
                expected = Some(self.detect_indent(top.indent, found));
            }
            if let Some(expected) = expected
                && found != expected
            {
                self.push(token.start.line + 1, found, message(expected, found));
            }
        }

        if token.kind == Kind::Scalar && self.cfg.check_multi_line_strings {
            self.scalar(token)?;
        }

        // Step 2.a
        if visible {
            self.cur_line =
                i64::try_from(pyyaml_tokens::real_end_line(self.buffer, token))
                    .unwrap_or(i64::MAX);
            if first_in_line {
                self.cur_line_indent = found;
            }
        }

        // Step 2.b: update the stack.
        let same_line = |a: Option<&Token>, b: &Token| {
            a.is_some_and(|a| a.start.line == b.start.line)
        };
        match token.kind {
            Kind::BlockMappingStart => {
                if !(is(next, &[Kind::Key]) && same_line(next, token)) {
                    return Err(Unexpected);
                }
                self.stack.push(Parent::new(ParentKind::BlockMap, found));
            }
            Kind::FlowMappingStart | Kind::FlowSequenceStart => {
                let Some(n) = next else {
                    return Err(Unexpected);
                };
                let indent = if n.start.line == token.start.line {
                    col(n)
                } else {
                    self.detect_indent(self.cur_line_indent, col(n))
                };
                let kind = if token.kind == Kind::FlowMappingStart {
                    ParentKind::FlowMap
                } else {
                    ParentKind::FlowSeq
                };
                let mut parent = Parent::new(kind, indent);
                parent.line_indent = Some(self.cur_line_indent);
                self.stack.push(parent);
            }
            Kind::BlockSequenceStart => {
                if !(is(next, &[Kind::BlockEntry]) && same_line(next, token)) {
                    return Err(Unexpected);
                }
                self.stack.push(Parent::new(ParentKind::BlockSeq, found));
            }
            Kind::BlockEntry if !is(next, &[Kind::BlockEntry, Kind::BlockEnd]) => {
                let Some(n) = next else {
                    return Err(Unexpected);
                };
                // PyYAML issues no BlockSequenceStart for a sequence that is not indented.
                if self.top().kind != ParentKind::BlockSeq {
                    let mut parent = Parent::new(ParentKind::BlockSeq, found);
                    parent.implicit_block_seq = true;
                    self.stack.push(parent);
                }
                let indent = if n.start.line == token.end.line || col(n) == found {
                    col(n)
                } else {
                    self.detect_indent(found, col(n))
                };
                self.stack.push(Parent::new(ParentKind::BlockEntry, indent));
            }
            Kind::Key => {
                let mut parent = Parent::new(ParentKind::Key, self.top().indent);
                parent.explicit_key = pyyaml_tokens::is_explicit_key(self.buffer, token);
                self.stack.push(parent);
            }
            Kind::Value => self.value(prev, next, nextnext)?,
            _ => {}
        }

        self.pop(token, next)
    }

    fn value(
        &mut self,
        prev: Option<&Token>,
        next: Option<&Token>,
        nextnext: Option<&Token>,
    ) -> Result<(), Unexpected> {
        let top = self.top();
        if top.kind != ParentKind::Key {
            return Err(Unexpected);
        }
        // `key: &anchor` or `key: !!tag` with the value on the next line: the value is
        // what is indented.
        let mut next = next;
        if let (Some(n), Some(p), Some(nn)) = (next, prev, nextnext)
            && matches!(n.kind, Kind::Anchor | Kind::Tag)
            && n.start.line == p.start.line
            && n.start.line < nn.start.line
        {
            next = Some(nn);
        }
        let Some(n) = next else {
            return Ok(());
        };
        if matches!(
            n.kind,
            Kind::BlockEnd | Kind::FlowMappingEnd | Kind::FlowSequenceEnd | Kind::Key
        ) {
            return Ok(());
        }
        let indent = if top.explicit_key {
            self.detect_indent(top.indent, col(n))
        } else if prev.is_some_and(|p| p.start.line == n.start.line) {
            col(n)
        } else if matches!(n.kind, Kind::BlockSequenceStart | Kind::BlockEntry) {
            match self.indent_sequences {
                IndentSequences::False => top.indent,
                IndentSequences::True => {
                    if self.spaces.is_none() && col(n) - top.indent == 0 {
                        // Not indented, and the width is not known yet: expect "more".
                        -1
                    } else {
                        self.detect_indent(top.indent, col(n))
                    }
                }
                IndentSequences::Whatever | IndentSequences::Consistent => {
                    if col(n) == top.indent {
                        if self.indent_sequences == IndentSequences::Consistent {
                            self.indent_sequences = IndentSequences::False;
                        }
                        top.indent
                    } else {
                        if self.indent_sequences == IndentSequences::Consistent {
                            self.indent_sequences = IndentSequences::True;
                        }
                        self.detect_indent(top.indent, col(n))
                    }
                }
            }
        } else {
            self.detect_indent(top.indent, col(n))
        };
        self.stack.push(Parent::new(ParentKind::Value, indent));
        Ok(())
    }

    /// Close the parents the token ends.
    fn pop(&mut self, token: &Token, next: Option<&Token>) -> Result<(), Unexpected> {
        let mut consumed = false;
        loop {
            let top = self.top();
            let below = self.below_top();
            if top.kind == ParentKind::FlowSeq
                && token.kind == Kind::FlowSequenceEnd
                && !consumed
                || top.kind == ParentKind::FlowMap
                    && token.kind == Kind::FlowMappingEnd
                    && !consumed
                || matches!(top.kind, ParentKind::BlockMap | ParentKind::BlockSeq)
                    && token.kind == Kind::BlockEnd
                    && !top.implicit_block_seq
                    && !consumed
            {
                self.stack.pop();
                consumed = true;
            } else if top.kind == ParentKind::BlockEntry
                && token.kind != Kind::BlockEntry
                && below.is_some_and(|b| b.implicit_block_seq)
                && !matches!(token.kind, Kind::Anchor | Kind::Tag)
                && !is(next, &[Kind::BlockEntry])
            {
                self.stack.pop();
                self.stack.pop();
            } else if top.kind == ParentKind::BlockEntry
                && is(next, &[Kind::BlockEntry, Kind::BlockEnd])
            {
                self.stack.pop();
            } else if top.kind == ParentKind::Value
                && !matches!(token.kind, Kind::Value | Kind::Anchor | Kind::Tag)
            {
                if below.map(|b| b.kind) != Some(ParentKind::Key) {
                    return Err(Unexpected);
                }
                self.stack.pop();
                self.stack.pop();
            } else if top.kind == ParentKind::Key
                && is(
                    next,
                    &[
                        Kind::BlockEnd,
                        Kind::FlowMappingEnd,
                        Kind::FlowSequenceEnd,
                        Kind::Key,
                    ],
                )
            {
                // A key without a value (part of a set): make room for the next one.
                self.stack.pop();
            } else {
                return Ok(());
            }
        }
    }

    /// yamllint's `check_scalar_indentation` (`check-multi-line-strings: true`).
    fn scalar(&mut self, token: &Token) -> Result<(), Unexpected> {
        if token.start.line == token.end.line {
            return Ok(());
        }
        let bytes = self.buffer.as_bytes();
        let limit = token.end.byte.saturating_sub(1).min(bytes.len());
        let mut expected: Option<i64> = None;
        let mut line_no = token.start.line + 1;
        let mut line_start = token.start.byte;
        loop {
            let Some(nl) = bytes
                .get(line_start..limit)
                .and_then(|s| s.iter().position(|&b| b == b'\n'))
            else {
                break;
            };
            line_start += nl + 1;
            line_no += 1;
            let indent = bytes
                .get(line_start..)
                .map_or(0, |s| s.iter().take_while(|&&b| b == b' ').count());
            match bytes.get(line_start + indent) {
                Some(b'\n') => continue,
                None => break,
                Some(_) => {}
            }
            let found = i64::try_from(indent).unwrap_or(i64::MAX);
            let want = match expected {
                Some(want) => want,
                None => {
                    let want = self.scalar_expected(token, found)?;
                    expected = Some(want);
                    want
                }
            };
            if found != want {
                self.push(
                    line_no,
                    found,
                    format!("wrong indentation: expected {want} but found {found}"),
                );
            }
        }
        Ok(())
    }

    fn scalar_expected(&mut self, token: &Token, found: i64) -> Result<i64, Unexpected> {
        let start = col(token);
        let top = self.top();
        Ok(match token.style {
            Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) => start + 1,
            Some(ScalarStyle::Literal | ScalarStyle::Folded) => match top.kind {
                ParentKind::BlockEntry => self.detect_indent(start, found),
                ParentKind::Key => {
                    if !top.explicit_key {
                        return Err(Unexpected);
                    }
                    self.detect_indent(start, found)
                }
                ParentKind::Value => {
                    let line = i64::try_from(token.start.line).unwrap_or(i64::MAX);
                    let below = self.below_top().ok_or(Unexpected)?;
                    if line + 1 > self.cur_line {
                        self.detect_indent(top.indent, found)
                    } else if below.explicit_key {
                        self.detect_indent(start, found)
                    } else {
                        self.detect_indent(below.indent, found)
                    }
                }
                _ => self.detect_indent(top.indent, found),
            },
            _ => start,
        })
    }
}

#[must_use]
pub fn check(buffer: &str, cfg: &Config) -> Vec<Violation> {
    // Token by token: the rule looks at most one token back and two ahead, so the token
    // stream is never held whole.
    let state = pyyaml_tokens::each_linted(
        buffer,
        || State {
            buffer,
            cfg,
            stack: vec![Parent::new(ParentKind::Root, 0)],
            cur_line: -1,
            cur_line_indent: 0,
            spaces: match cfg.spaces {
                SpacesSetting::Fixed(n) => Some(i64::try_from(n).unwrap_or(i64::MAX)),
                SpacesSetting::Consistent => None,
            },
            indent_sequences: match cfg.indent_sequences {
                IndentSequencesSetting::True => IndentSequences::True,
                IndentSequencesSetting::False => IndentSequences::False,
                IndentSequencesSetting::Whatever => IndentSequences::Whatever,
                IndentSequencesSetting::Consistent => IndentSequences::Consistent,
            },
            out: Vec::new(),
        },
        |state, prev, token, next, nextnext| state.token(token, prev, next, nextnext),
    );
    state.out
}
