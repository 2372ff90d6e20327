//! A YAML document tree that remembers where every node came from.
//!
//! The doctor needs `file:line:col` for every problem it reports in a node config or a
//! suite, so values keep their positions. The tree is built from the saphyr parser's event
//! stream by our own loader, which lets us refuse what would hurt us before it does:
//! duplicate keys (both locations reported), alias expansion beyond a node budget (the
//! "billion laughs" bomb) and nesting deeper than any real config needs.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 128;
/// Most nodes a document may expand to, aliases and the loader's copies of anchored nodes
/// included. A node config has hundreds; this bound keeps the loaded tree of any input,
/// and what the checks derive from it, within tens of megabytes.
pub const MAX_NODES: usize = 100_000;

/// A 1-based line and column in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl Pos {
    fn from_span(span: &Span) -> Self {
        Self {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// A scalar as written, with its style, so `"3600"` and `3600` stay apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub quoted: bool,
    /// The explicit tag suffix (`str`, `int`, ...) when one was written.
    pub tag: Option<String>,
}

/// One YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    /// Entries in document order; keys are unique (duplicates are a load error).
    Mapping(Vec<(Node, Node)>),
}

/// Why a YAML text could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("YAML syntax error at {pos}: {message}")]
    Syntax { pos: Pos, message: String },
    #[error("duplicate key `{key}` at {second}, first defined at {first}")]
    DuplicateKey {
        key: String,
        first: Pos,
        second: Pos,
    },
    #[error("nesting deeper than {MAX_DEPTH} levels at {pos}")]
    TooDeep { pos: Pos },
    #[error("document expands to more than {MAX_NODES} nodes (alias bomb?) at {pos}")]
    TooLarge { pos: Pos },
    #[error("alias at {pos} refers to an anchor that is not defined")]
    UnknownAlias { pos: Pos },
    #[error("the file holds {count} YAML documents; a single document is expected")]
    MultipleDocuments { count: usize, pos: Pos },
}

impl LoadError {
    /// Where the problem is.
    pub fn pos(&self) -> Pos {
        match self {
            Self::Syntax { pos, .. }
            | Self::TooDeep { pos }
            | Self::TooLarge { pos }
            | Self::UnknownAlias { pos }
            | Self::MultipleDocuments { pos, .. } => *pos,
            Self::DuplicateKey { second, .. } => *second,
        }
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        /// Scalar keys seen so far and where: duplicate detection in constant time per key
        /// (a search of `entries` made an 80,000-key mapping take half a minute).
        seen: HashMap<String, Pos>,
    },
}

/// An anchored node as the loader keeps it, with what an alias to it costs: its size in
/// nodes and its height (levels of nesting it adds where it is inserted).
struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

struct Loader {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    docs: Vec<Node>,
    nodes: usize,
}

impl Loader {
    fn count(&mut self, n: usize, pos: Pos) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(LoadError::TooLarge { pos });
        }
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        if anchor > 0 {
            // The copy kept for aliases is memory too: it counts against the budget.
            let size = size_of(&node);
            self.count(size, node.pos)?;
            let height = height_of(&node);
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    height,
                },
            );
        }
        self.push(node)
    }

    fn push(&mut self, node: Node) -> Result<(), LoadError> {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                seen,
                ..
            }) => match pending_key.take() {
                None => {
                    if let Some(text) = key_text(&node) {
                        if let Some(first) = seen.get(text) {
                            return Err(LoadError::DuplicateKey {
                                key: text.to_string(),
                                first: *first,
                                second: node.pos,
                            });
                        }
                        seen.insert(text.to_string(), node.pos);
                    }
                    *pending_key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

fn key_text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Scalar(s) => Some(s.text.as_str()),
        _ => None,
    }
}

fn size_of(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Sequence(items) => 1 + items.iter().map(size_of).sum::<usize>(),
        Value::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| size_of(k) + size_of(v))
                .sum::<usize>()
        }
    }
}

/// How many lines of a flow collection written left of its block's indentation are
/// re-indented before the error stands.
const MAX_FLOW_REINDENTS: usize = 64;

/// Levels of nesting in `node` (1 for a scalar). Bounded: every node the loader builds is
/// at most [`MAX_DEPTH`] levels deep, aliases included.
fn height_of(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Sequence(items) => 1 + items.iter().map(height_of).max().unwrap_or(0),
        Value::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| height_of(k).max(height_of(v)))
                .max()
                .unwrap_or(0)
        }
    }
}

/// Load every document of a YAML stream.
///
/// The parser refuses a line of a flow collection written left of the block it sits in
/// (`array: [` / `]` at column 0), which YAML allows and other parsers accept: such a line
/// is indented (white space inside a flow collection carries no meaning) and the stream
/// parsed again, and the columns on that line are given back in positions.
pub fn load_all(text: &str) -> Result<Vec<Node>, LoadError> {
    let mut owned: Option<String> = None;
    let mut shifts: Vec<(usize, usize)> = Vec::new();
    loop {
        let mut misindented = None;
        let current = owned.as_deref().unwrap_or(text);
        match load_stream(current, &mut misindented) {
            Ok(mut docs) => {
                for doc in &mut docs {
                    unshift(doc, &shifts);
                }
                return Ok(docs);
            }
            Err(mut e) => {
                let Some((line, needed)) =
                    misindented.filter(|_| shifts.len() < MAX_FLOW_REINDENTS)
                else {
                    if let LoadError::Syntax { pos, .. } = &mut e {
                        *pos = unshift_pos(*pos, &shifts);
                    }
                    return Err(e);
                };
                let Some(padded) = indent_line(current, line, needed) else {
                    return Err(e);
                };
                shifts.push((line, padded.1));
                owned = Some(padded.0);
            }
        }
    }
}

/// `text` with line `line` (1-based) indented to at least `needed` columns, and the
/// number of spaces added; `None` when it already is.
fn indent_line(text: &str, line: usize, needed: usize) -> Option<(String, usize)> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = text.get(start..)?;
    let indent = rest.len() - rest.trim_start_matches(' ').len();
    let add = needed.saturating_sub(indent).max(1);
    let mut out = String::with_capacity(text.len() + add);
    out.push_str(text.get(..start)?);
    out.extend(std::iter::repeat_n(' ', add));
    out.push_str(rest);
    Some((out, add))
}

fn unshift_pos(mut pos: Pos, shifts: &[(usize, usize)]) -> Pos {
    for &(line, add) in shifts {
        if pos.line == line {
            pos.column = pos.column.saturating_sub(add).max(1);
        }
    }
    pos
}

fn unshift(node: &mut Node, shifts: &[(usize, usize)]) {
    if shifts.is_empty() {
        return;
    }
    node.pos = unshift_pos(node.pos, shifts);
    match &mut node.value {
        Value::Scalar(_) => {}
        Value::Sequence(items) => items.iter_mut().for_each(|n| unshift(n, shifts)),
        Value::Mapping(entries) => entries.iter_mut().for_each(|(k, v)| {
            unshift(k, shifts);
            unshift(v, shifts);
        }),
    }
}

/// One pass of the parser over `text`. When it stops on a line of an open flow collection
/// indented left of its block, `misindented` receives that line and the indentation that
/// would satisfy the parser (one more than the line the collection opens on).
fn load_stream(
    text: &str,
    misindented: &mut Option<(usize, usize)>,
) -> Result<Vec<Node>, LoadError> {
    let mut parser = Parser::new_from_str(text);
    let mut loader = Loader {
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
        nodes: 0,
    };
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let pos = Pos {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            };
            if e.info().contains("recursion limit") {
                return LoadError::TooDeep { pos };
            }
            // An unclosed `[` or `{` is detected lines later; point at the opener instead.
            let opener = loader.stack.iter().rev().find_map(|f| {
                let at = match f {
                    Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
                };
                let c = source_line(text, at.line)?
                    .chars()
                    .nth(at.column.checked_sub(1)?)?;
                (matches!(c, '[' | '{') && at.line < pos.line).then_some((at, c))
            });
            if let Some((at, _)) = opener
                && e.info().starts_with("invalid indentation")
            {
                let opener_indent = source_line(text, at.line)
                    .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
                *misindented = Some((pos.line, opener_indent + 1));
            }
            match opener {
                Some((at, c)) => LoadError::Syntax {
                    pos: at,
                    message: format!(
                        "the `{c}` opened here is not closed (the parser stopped at {pos}: {})",
                        e.info()
                    ),
                },
                None => LoadError::Syntax {
                    pos,
                    message: e.info().to_string(),
                },
            }
        })?;
        let pos = Pos::from_span(&span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                loader.count(1, pos)?;
                // The scanner reserves room ahead in every scalar it builds (over 100
                // bytes for `1`): give it back, or a config's scalars hold several times
                // their size for as long as the tree lives.
                let mut text = text.into_owned();
                text.shrink_to_fit();
                let node = Node {
                    pos,
                    value: Value::Scalar(Scalar {
                        text,
                        quoted: !matches!(style, ScalarStyle::Plain),
                        tag: tag.map(|t| t.suffix.clone()),
                    }),
                };
                loader.finish(node, anchor)?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                loader.count(1, pos)?;
                if loader.stack.len() >= MAX_DEPTH {
                    return Err(LoadError::TooDeep { pos });
                }
                loader
                    .stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            pos,
                            anchor,
                            items: Vec::new(),
                        }
                    } else {
                        Frame::Map {
                            pos,
                            anchor,
                            entries: Vec::new(),
                            pending_key: None,
                            seen: HashMap::new(),
                        }
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match loader.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => (
                        Node {
                            pos,
                            value: Value::Sequence(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            pos,
                            value: Value::Mapping(entries),
                        },
                        anchor,
                    ),
                    None => continue,
                };
                loader.finish(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(target) = loader.anchors.get(&id) else {
                    return Err(LoadError::UnknownAlias { pos });
                };
                // Nested anchors grow the tree in height as well as in size; both are
                // checked before the copy is made.
                if loader.stack.len() + target.height > MAX_DEPTH {
                    return Err(LoadError::TooDeep { pos });
                }
                let size = target.size;
                loader.count(size, pos)?;
                let value = loader
                    .anchors
                    .get(&id)
                    .map(|t| t.node.value.clone())
                    .ok_or(LoadError::UnknownAlias { pos })?;
                loader.push(Node { pos, value })?;
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }
    Ok(loader.docs)
}

/// Load a stream expected to hold one document. An empty stream is an empty mapping at 1:1.
pub fn load_one(text: &str) -> Result<Node, LoadError> {
    let mut docs = load_all(text)?;
    if docs.len() > 1 {
        let pos = docs[1].pos;
        return Err(LoadError::MultipleDocuments {
            count: docs.len(),
            pos,
        });
    }
    Ok(docs.pop().unwrap_or(Node {
        pos: Pos { line: 1, column: 1 },
        value: Value::Mapping(Vec::new()),
    }))
}

impl Node {
    /// The value at `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node at `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| key_text(k) == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// Follow a JSON pointer (`/auth/token_ttl`, `/sync/ports/0`) to a node.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for raw in pointer.split('/').skip(1) {
            let part = raw.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                Value::Mapping(_) => node.get(&part)?,
                Value::Sequence(items) => items.get(part.parse::<usize>().ok()?)?,
                Value::Scalar(_) => return None,
            };
        }
        Some(node)
    }

    /// Follow a JSON pointer and return the key node of the last step when it names a mapping
    /// key, else the value node: pointing at `token_ttl:` reads better than at its value.
    pub fn pointer_key(&self, pointer: &str) -> Option<&Node> {
        let (parent, last) = pointer.rsplit_once('/')?;
        let parent = self.pointer(parent)?;
        let last = last.replace("~1", "/").replace("~0", "~");
        match parent.entry(&last) {
            Some((k, _)) => Some(k),
            None => parent.pointer(&format!("/{last}")),
        }
    }

    /// Convert to JSON with YAML 1.2 core-schema typing of plain scalars (`yes` stays a
    /// string; `0755` stays a string-like int per 1.2; `~`/`null`/empty are null).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar(s) => scalar_to_json(s),
            Value::Sequence(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Mapping(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match &k.value {
                            Value::Scalar(s) => s.text.clone(),
                            _ => k.to_json().to_string(),
                        };
                        (key, v.to_json())
                    })
                    .collect(),
            ),
        }
    }
}

fn scalar_to_json(s: &Scalar) -> serde_json::Value {
    use serde_json::Value as J;
    match s.tag.as_deref() {
        Some("str") => return J::String(s.text.clone()),
        Some("null") => return J::Null,
        _ => {}
    }
    if s.quoted {
        return J::String(s.text.clone());
    }
    let t = s.text.as_str();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return J::Null,
        "true" | "True" | "TRUE" => return J::Bool(true),
        "false" | "False" | "FALSE" => return J::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return J::String(t.to_string()),
        _ => {}
    }
    if let Some(i) = parse_int(t) {
        return J::from(i);
    }
    if looks_like_float(t)
        && let Ok(f) = t.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return J::Number(n);
    }
    J::String(t.to_string())
}

fn parse_int(t: &str) -> Option<i64> {
    if let Some(hex) = t.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn looks_like_float(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut saw_digit = false;
    for (i, b) in body.bytes().enumerate() {
        match b {
            b'0'..=b'9' => saw_digit = true,
            b'.' => {}
            b'e' | b'E' => {
                return saw_digit && {
                    let exp = &body[i + 1..];
                    let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
                    !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit())
                };
            }
            _ => return false,
        }
    }
    saw_digit && body.contains('.')
}

/// The text of line `line` (1-based) of `source`, without its line break.
pub fn source_line(source: &str, line: usize) -> Option<&str> {
    source
        .lines()
        .nth(line.checked_sub(1)?)
        .map(|l| l.trim_end_matches('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn flow_collection_closed_left_of_its_block_is_accepted() {
        // `]` at column 0 after a blank line, as YAML (and PyYAML) allow.
        let doc = load_one("array: [\n\n]\nnext: 1\n").unwrap();
        assert!(
            matches!(&doc.pointer("/array").unwrap().value, Value::Sequence(v) if v.is_empty())
        );
        // Entries written left of the key, nested in a sequence: positions stay those of
        // the file, not of the re-indented text.
        let doc = load_one("a:\n  - key: [\n  x,\n y ]\nb: 2\n").unwrap();
        let y = doc.pointer("/a/0/key/1").unwrap();
        assert_eq!(y.pos, Pos { line: 4, column: 2 });
        assert_eq!(doc.pointer("/b").unwrap().pos, Pos { line: 5, column: 4 });
    }

    #[test]
    fn unclosed_flow_collection_is_still_an_error_at_its_opener() {
        let e = load_one("a: [\n]\nb: [\n  c\n").unwrap_err();
        assert_eq!(e.pos(), Pos { line: 3, column: 4 }, "{e}");
    }

    #[test]
    fn forty_thousand_flat_keys_load_and_a_duplicate_among_them_is_found() {
        let mut text = String::new();
        for i in 0..40_000 {
            let _ = writeln!(text, "key{i}: {i}");
        }
        let doc = load_one(&text).unwrap();
        assert!(matches!(&doc.value, Value::Mapping(m) if m.len() == 40_000));
        text.push_str("key20000: again\n");
        let e = load_one(&text).unwrap_err();
        assert_eq!(
            e,
            LoadError::DuplicateKey {
                key: "key20000".into(),
                first: Pos {
                    line: 20_001,
                    column: 1
                },
                second: Pos {
                    line: 40_001,
                    column: 1
                },
            }
        );
    }

    #[test]
    fn nested_anchors_count_their_copies_against_the_budget() {
        // Doubling at each level: 2^40 if expanded; refused long before.
        let mut text = String::from("l0: &l0 [x, y]\n");
        for i in 1..=40 {
            let _ = writeln!(text, "l{i}: &l{i} [*l{}, *l{}]", i - 1, i - 1);
        }
        assert!(matches!(load_one(&text), Err(LoadError::TooLarge { .. })));
        // The anchored copy counts: an anchored node of half the budget and one alias to it
        // is over budget, though the tree alone would hold one copy and the alias.
        let half = MAX_NODES / 2;
        let mut big = String::from("a: &a [");
        big.push_str(&"x, ".repeat(half));
        big.push_str("x]\nb: *a\n");
        assert!(matches!(load_one(&big), Err(LoadError::TooLarge { .. })));
    }

    #[test]
    fn aliases_cannot_nest_deeper_than_the_limit() {
        let mut text = String::from("l0: &l0 x\n");
        for i in 1..=1000 {
            let _ = writeln!(text, "l{i}: &l{i} [*l{}]", i - 1);
        }
        assert!(matches!(load_one(&text), Err(LoadError::TooDeep { .. })));
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let doc = load_one("a: 1\nauth:\n  token_ttl: 3600\n").unwrap();
        let ttl = doc.pointer("/auth/token_ttl").unwrap();
        assert_eq!(
            ttl.pos,
            Pos {
                line: 3,
                column: 14
            }
        );
        let key = doc.pointer_key("/auth/token_ttl").unwrap();
        assert_eq!(key.pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn duplicate_key_reports_both_locations() {
        let err = load_one("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            err,
            LoadError::DuplicateKey {
                key: "a".into(),
                first: Pos { line: 1, column: 1 },
                second: Pos { line: 3, column: 1 }
            }
        );
    }

    #[test]
    fn syntax_error_has_position() {
        let err = load_one("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(matches!(err, LoadError::Syntax { .. }), "{err:?}");
        assert!(err.pos().line >= 1);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            let _ = writeln!(text, "{c}: &{c} [{refs}]");
            prev = c;
        }
        let err = load_one(&text).unwrap_err();
        assert!(matches!(err, LoadError::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = load_one(&text).unwrap_err();
        assert!(matches!(err, LoadError::TooDeep { .. }), "{err:?}");
    }

    #[test]
    fn core_schema_typing() {
        let doc = load_one(
            "a: yes\nb: 3600\nc: \"3600\"\nd: ~\ne: 1.5\nf: true\ng: -3\nh: 0x1f\ni: 1e3x\n",
        )
        .unwrap();
        let j = doc.to_json();
        assert_eq!(j["a"], "yes");
        assert_eq!(j["b"], 3600);
        assert_eq!(j["c"], "3600");
        assert!(j["d"].is_null());
        assert_eq!(j["e"], 1.5);
        assert_eq!(j["f"], true);
        assert_eq!(j["g"], -3);
        assert_eq!(j["h"], 31);
        assert_eq!(j["i"], "1e3x");
    }

    #[test]
    fn multiple_documents_are_refused_by_load_one() {
        let err = load_one("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(matches!(err, LoadError::MultipleDocuments { count: 2, .. }));
    }

    #[test]
    fn empty_text_is_empty_mapping() {
        let doc = load_one("").unwrap();
        assert_eq!(doc.value, Value::Mapping(Vec::new()));
    }

    #[test]
    fn unknown_alias_is_an_error_not_a_panic() {
        assert!(load_one("a: *nope\n").is_err());
    }
}
