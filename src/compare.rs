//! `compare`: reports from many nodes (gathered by whatever already runs commands across
//! the fleet) turned into one drift table — one row per fact, one column per node, the
//! values that differ from the master's (or the majority's) flagged.
//!
//! The doctor never builds a fleet transport of its own; it only makes reports comparable.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::probe::report_file;
use crate::render::{json_escape_invisible, sanitize};

/// Facts that differ between nodes by nature: never drift.
const IDENTITY: &[&str] = &[
    "node.id",
    "node.role",
    "config.sha256",
    "http.date",
    "time.reference",
];

/// Facts that differ by nature (identity, per-run measurement uncertainty) are never drift.
fn never_drifts(key: &str) -> bool {
    IDENTITY.contains(&key) || key.starts_with("dns.addresses.") || key.ends_with("error_ms")
}

/// Above this many nodes, the table lists one row per (fact, value) with the nodes holding it.
pub const WIDE: usize = 8;

/// Largest report file (or report on standard input) read; a real one is tens of KiB.
pub const MAX_REPORT_BYTES: u64 = 16 * 1024 * 1024;
/// Most bytes of reports read from standard input in all.
pub const MAX_STDIN_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Most distinct facts across the fleet; a real report has about a hundred, the same on
/// every node.
pub const MAX_DISTINCT_FACTS: usize = 10_000;
/// Most facts one report may carry.
pub const MAX_FACTS_PER_REPORT: usize = 1_000;
/// Most reports compared at once.
pub const MAX_NODES: usize = 100_000;
/// Most (node, fact) values kept in all.
pub const MAX_VALUES: usize = 5_000_000;
/// A value whose JSON text is longer is compared by its fingerprint.
pub const MAX_VALUE_CHARS: usize = 512;
/// Most root causes kept per node, and the longest id, host or root cause kept.
const MAX_ROOT_CAUSES: usize = 32;
const MAX_NAME_CHARS: usize = 256;

/// Why `compare` cannot produce a comparison (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("cannot read report {path}: {source}")]
    Unreadable {
        path: String,
        source: report_file::ReportFileError,
    },
    #[error("cannot list {path}: {source}")]
    List {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{source_name}: schema_version {version} is not a report format this autoglm-doctor reads (it reads schema_version 1); compare it with the autoglm-doctor version that wrote it"
    )]
    SchemaVersion { source_name: String, version: u64 },
    #[error(
        "the reports carry more than {MAX_DISTINCT_FACTS} distinct facts (the {MAX_DISTINCT_FACTS}th new one was `{fact}` in {source_name}); compare reports of one kind of node, written by `check --format json`"
    )]
    TooManyFacts { fact: String, source_name: String },
    #[error(
        "{source_name} carries {count} facts, more than the {MAX_FACTS_PER_REPORT} a report may have"
    )]
    TooManyFactsInReport { source_name: String, count: usize },
    #[error("more than {MAX_NODES} reports; compare the fleet in parts")]
    TooManyNodes,
    #[error("more than {MAX_VALUES} fact values across the reports; compare the fleet in parts")]
    TooManyValues,
    #[error("cannot read reports from standard input: {0}")]
    Stdin(String),
}

/// One node's report, as far as comparison needs it.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: String,
    pub host: String,
    pub role: Option<String>,
    pub status: String,
    pub root_causes: Vec<String>,
    pub source: String,
    #[serde(skip)]
    pub tolerance_ms: f64,
}

/// One compared fact.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub fact: String,
    /// The master's value, or the most common one.
    pub reference: Option<serde_json::Value>,
    pub reference_from: &'static str,
    /// Node id → value (absent when the node did not report the fact).
    pub values: BTreeMap<String, serde_json::Value>,
    /// Nodes whose value differs from the reference.
    pub drift: Vec<String>,
}

/// What `compare` reads of a report: the rest (results, evidence) is skipped unparsed.
#[derive(Debug, Deserialize)]
struct LeanReport {
    schema_version: u64,
    tool: LeanTool,
    host: LeanHost,
    #[serde(default)]
    profile: String,
    status: String,
    #[serde(default)]
    root_causes: Vec<String>,
    #[serde(default)]
    facts: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct LeanTool {
    name: String,
}

#[derive(Debug, Deserialize)]
struct LeanHost {
    hostname: String,
}

/// The facts of many nodes, kept compact: fact names and values are stored once, each node
/// keeps only ids, so memory grows with the number of (node, fact) pairs and nothing else.
#[derive(Debug, Default)]
pub struct Fleet {
    pub nodes: Vec<Node>,
    /// Inputs that could not be read as reports.
    pub skipped: Vec<String>,
    keys: Vec<String>,
    key_ids: HashMap<String, u32>,
    values: Vec<serde_json::Value>,
    value_ids: HashMap<String, u32>,
    /// Per fact: (node index, value id), in the order the nodes were read.
    by_key: Vec<Vec<(u32, u32)>>,
    stored: usize,
}

fn profile_tolerance_ms(profile: &str) -> f64 {
    match profile {
        "strict" => 10.0,
        "lenient" => 5000.0,
        _ => 1000.0,
    }
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_NAME_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Fleet {
    /// Add one report read from `source`.
    fn add(&mut self, r: LeanReport, source: String) -> Result<(), CompareError> {
        if r.schema_version != 1 {
            return Err(CompareError::SchemaVersion {
                source_name: source,
                version: r.schema_version,
            });
        }
        if r.facts.len() > MAX_FACTS_PER_REPORT {
            return Err(CompareError::TooManyFactsInReport {
                source_name: source,
                count: r.facts.len(),
            });
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(CompareError::TooManyNodes);
        }
        if self.stored + r.facts.len() > MAX_VALUES {
            return Err(CompareError::TooManyValues);
        }
        let text = |k: &str| r.facts.get(k).and_then(|v| v.as_str()).map(clip);
        let id = text("node.id").unwrap_or_else(|| clip(&r.host.hostname));
        let role = text("node.role");
        let tolerance_ms = r
            .facts
            .get("time.tolerance_ms")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or_else(|| profile_tolerance_ms(&r.profile));
        let node = index(self.nodes.len());
        for (key, mut value) in r.facts {
            let k = if let Some(&k) = self.key_ids.get(&key) {
                k
            } else {
                if self.keys.len() >= MAX_DISTINCT_FACTS {
                    return Err(CompareError::TooManyFacts {
                        fact: clip(&key),
                        source_name: source,
                    });
                }
                let k = index(self.keys.len());
                self.keys.push(key.clone());
                self.key_ids.insert(key, k);
                self.by_key.push(Vec::new());
                k
            };
            // Reports of older versions may hold what is now redacted.
            crate::secret::redact_json(&mut value);
            let mut t = value.to_string();
            if t.chars().count() > MAX_VALUE_CHARS {
                let fp = crate::secret::fingerprint(&t);
                value = format!("{fp} ({} bytes)", t.len()).into();
                t = value.to_string();
            }
            let v = if let Some(&v) = self.value_ids.get(&t) {
                v
            } else {
                let v = index(self.values.len());
                self.values.push(value);
                self.value_ids.insert(t, v);
                v
            };
            if let Some(list) = self.by_key.get_mut(k as usize) {
                list.push((node, v));
                self.stored += 1;
            }
        }
        self.nodes.push(Node {
            id,
            host: clip(&r.host.hostname),
            role,
            status: clip(&r.status),
            root_causes: r
                .root_causes
                .iter()
                .take(MAX_ROOT_CAUSES)
                .map(|c| clip(c))
                .collect(),
            source,
            tolerance_ms,
        });
        Ok(())
    }

    /// Parse a stream of reports (concatenated or one per line) from `text`.
    fn add_stream<'de, R: serde_json::de::Read<'de>>(
        &mut self,
        stream: serde_json::StreamDeserializer<'de, R, LeanReport>,
        source: &str,
        mut before_next: impl FnMut(),
    ) -> Result<(), CompareError> {
        let mut n = 0;
        let mut stream = stream;
        loop {
            before_next();
            let Some(item) = stream.next() else { break };
            match item {
                Ok(r) if r.tool.name == "autoglm-doctor" => {
                    n += 1;
                    let name = if source == "-" {
                        format!("stdin #{n}")
                    } else {
                        source.to_string()
                    };
                    self.add(r, name)?;
                }
                Ok(_) => {
                    self.skipped.push(format!(
                        "{source}: not an autoglm-doctor report (its tool is not autoglm-doctor)"
                    ));
                    return Ok(());
                }
                Err(e) if e.is_io() => {
                    return Err(CompareError::Stdin(std::io::Error::from(e).to_string()));
                }
                Err(e) => {
                    self.skipped.push(format!(
                        "{source}: not an autoglm-doctor report (schema_version 1): {e}"
                    ));
                    return Ok(());
                }
            }
        }
        if n == 0 {
            self.skipped.push(format!("{source}: empty"));
        }
        Ok(())
    }
}

/// Read reports from files, directories (their `*.json`) and `-` (a stream of reports on
/// standard input, concatenated or one per line), one at a time: only each node's facts
/// and status are kept. A file named on the command line that is not a regular file or is
/// too large is an error; in a directory such entries are listed as skipped, as are files
/// that are not reports.
pub fn load(inputs: &[PathBuf]) -> Result<Fleet, CompareError> {
    let mut fleet = Fleet::default();
    let mut buf = Vec::new();
    for input in inputs {
        if is_stdin(input) {
            let reader = report_file::Shared(std::rc::Rc::new(std::cell::RefCell::new(
                report_file::CappedReader::new(
                    std::io::BufReader::new(std::io::stdin().lock()),
                    MAX_REPORT_BYTES,
                    MAX_STDIN_BYTES,
                ),
            )));
            let marker = reader.clone();
            let stream = serde_json::Deserializer::from_reader(reader).into_iter::<LeanReport>();
            fleet.add_stream(stream, "-", || marker.mark())?;
            continue;
        }
        let shown = input.display().to_string();
        if report_file::is_dir(input) {
            let (files, others) =
                report_file::json_entries(input).map_err(|source| CompareError::List {
                    path: shown.clone(),
                    source,
                })?;
            for (p, what) in others {
                fleet
                    .skipped
                    .push(format!("{}: it is {what}, not a regular file", p.display()));
            }
            for f in files {
                let name = f.display().to_string();
                match report_file::read_capped(&f, MAX_REPORT_BYTES, &mut buf) {
                    Ok(()) => fleet.add_stream(
                        serde_json::Deserializer::from_slice(&buf).into_iter(),
                        &name,
                        || {},
                    )?,
                    Err(e) => fleet.skipped.push(format!("{name}: {e}")),
                }
            }
            continue;
        }
        report_file::read_capped(input, MAX_REPORT_BYTES, &mut buf).map_err(|source| {
            CompareError::Unreadable {
                path: shown.clone(),
                source,
            }
        })?;
        fleet.add_stream(
            serde_json::Deserializer::from_slice(&buf).into_iter(),
            &shown,
            || {},
        )?;
    }
    Ok(fleet)
}

fn as_number(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// One compared fact, in ids: rows are materialised one at a time when rendered.
#[derive(Debug, Clone)]
struct RowIds {
    key: u32,
    reference: Option<u32>,
    reference_from: &'static str,
    /// (node position, value id), in node order.
    values: Vec<(u32, u32)>,
    /// Node positions, in the order they are reported.
    drift: Vec<u32>,
}

/// The comparison of a fleet.
#[derive(Debug)]
pub struct Comparison {
    pub nodes: Vec<Node>,
    rows: Vec<RowIds>,
    keys: Vec<String>,
    values: Vec<serde_json::Value>,
    pub drifting_facts: usize,
    /// Inputs that could not be read as reports.
    pub skipped: Vec<String>,
}

impl Comparison {
    /// How many facts are compared.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no fact is compared.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The compared facts, in name order, each materialised on demand.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        self.rows.iter().map(|r| self.row(r))
    }

    fn value(&self, id: u32) -> serde_json::Value {
        self.values
            .get(id as usize)
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    }

    fn node_id(&self, pos: u32) -> String {
        self.nodes
            .get(pos as usize)
            .map(|n| n.id.clone())
            .unwrap_or_default()
    }

    fn row(&self, r: &RowIds) -> Row {
        Row {
            fact: self.keys.get(r.key as usize).cloned().unwrap_or_default(),
            reference: r.reference.map(|v| self.value(v)),
            reference_from: r.reference_from,
            values: r
                .values
                .iter()
                .map(|&(n, v)| (self.node_id(n), self.value(v)))
                .collect(),
            drift: r.drift.iter().map(|&n| self.node_id(n)).collect(),
        }
    }
}

/// Compare the nodes' facts.
pub fn compare(fleet: Fleet) -> Comparison {
    let Fleet {
        nodes,
        skipped,
        keys,
        values,
        by_key,
        ..
    } = fleet;
    // Master first, then by id.
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&nodes[a], &nodes[b]);
        (a.role.as_deref() != Some("master"), &a.id)
            .cmp(&(b.role.as_deref() != Some("master"), &b.id))
    });
    let mut position = vec![0u32; nodes.len()];
    for (pos, &old) in order.iter().enumerate() {
        position[old] = index(pos);
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let mut nodes: Vec<Node> = order.iter().filter_map(|&i| slots[i].take()).collect();
    // Node ids must be unique columns: suffix duplicates with their source.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in &mut nodes {
        let count = seen.entry(n.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            n.id = format!("{} ({})", n.id, n.source);
        }
    }
    let master = nodes
        .first()
        .filter(|n| n.role.as_deref() == Some("master"))
        .map(|_| 0u32);
    // Node positions sorted by id (drift lists are reported in id order).
    let mut by_id: Vec<u32> = (0..index(nodes.len())).collect();
    by_id.sort_by(|&a, &b| nodes[a as usize].id.cmp(&nodes[b as usize].id));
    let mut id_rank = vec![0u32; nodes.len()];
    for (rank, &pos) in by_id.iter().enumerate() {
        id_rank[pos as usize] = index(rank);
    }

    let mut key_order: Vec<usize> = (0..keys.len()).collect();
    key_order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut rows = Vec::with_capacity(keys.len());
    for k in key_order {
        let key = &keys[k];
        let mut entries: Vec<(u32, u32)> = by_key
            .get(k)
            .map(|e| e.iter().map(|&(n, v)| (position[n as usize], v)).collect())
            .unwrap_or_default();
        entries.sort_unstable();
        let from_master = master.and_then(|m| entries.iter().find(|e| e.0 == m).map(|e| e.1));
        let (reference, reference_from) = if let Some(v) = from_master {
            (Some(v), "master")
        } else {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for &(_, v) in &entries {
                *counts.entry(v).or_insert(0) += 1;
            }
            let best = counts.values().copied().max().unwrap_or(0);
            // Ties go to the smallest JSON text, so the choice does not depend on order.
            let reference = counts
                .iter()
                .filter(|&(_, &c)| c == best)
                .map(|(&v, _)| (values[v as usize].to_string(), v))
                .min()
                .map(|(_, v)| v);
            (reference, "majority")
        };
        let drift: Vec<u32> = if never_drifts(key) {
            Vec::new()
        } else if key.ends_with("offset_ms") {
            // A measured offset drifts when it is outside the node's tolerance (from zero:
            // every clock should agree with the reference time, not with each other).
            entries
                .iter()
                .filter(|&&(n, v)| {
                    as_number(&values[v as usize])
                        .is_some_and(|x| x.abs() > nodes[n as usize].tolerance_ms)
                })
                .map(|&(n, _)| n)
                .collect()
        } else {
            let mut d: Vec<u32> = entries
                .iter()
                .filter(|&&(_, v)| reference.is_some_and(|r| r != v))
                .map(|&(n, _)| n)
                .collect();
            d.sort_by_key(|&n| id_rank[n as usize]);
            d
        };
        rows.push(RowIds {
            key: index(k),
            reference,
            reference_from,
            values: entries,
            drift,
        });
    }
    let drifting_facts = rows.iter().filter(|r| !r.drift.is_empty()).count();
    Comparison {
        nodes,
        rows,
        keys,
        values,
        drifting_facts,
        skipped,
    }
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The human table: one column per node, or one row per distinct value for large fleets.
///
/// With a `width` (a terminal), the table fits it: a node-per-column table wider than the
/// width switches to the value-per-row layout, and cells wrap.
pub fn render_table(c: &Comparison, markdown: bool, width: Option<u16>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let master = c
        .nodes
        .iter()
        .find(|n| n.role.as_deref() == Some("master"))
        .map(|n| n.id.clone());
    let _ = writeln!(
        out,
        "{}fleet of {} node{} · reference: {} · {} drifting fact{}\n",
        if markdown { "## " } else { "" },
        c.nodes.len(),
        if c.nodes.len() == 1 { "" } else { "s" },
        master.map_or_else(
            || "the majority (no master report)".to_string(),
            |m| format!("master {m}")
        ),
        c.drifting_facts,
        if c.drifting_facts == 1 { "" } else { "s" }
    );
    let esc = |s: &str| {
        if markdown {
            sanitize(s).replace('|', "\\|")
        } else {
            sanitize(s)
        }
    };
    let (mut header, mut lines) = (Vec::new(), Vec::new());
    if c.nodes.len() <= WIDE {
        (header, lines) = wide_rows(c, &esc);
    }
    let too_wide = |header: &[String], lines: &[Vec<String>]| {
        width.is_some_and(|w| {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                .force_no_tty();
            t.set_header(header.to_vec());
            for l in lines {
                t.add_row(l.clone());
            }
            t.lines()
                .any(|l| crate::render::wrap::visible_width(&l) > usize::from(w))
        })
    };
    if c.nodes.len() > WIDE || (!markdown && too_wide(&header, &lines)) {
        (header, lines) = long_rows(c, &esc);
    }
    if markdown {
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(
            out,
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for l in &lines {
            let _ = writeln!(out, "| {} |", l.join(" | "));
        }
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
            .force_no_tty();
        if let Some(w) = width {
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(w);
        }
        t.set_header(header);
        for l in lines {
            t.add_row(l);
        }
        let _ = writeln!(out, "{t}");
    }
    out.push('\n');
    for n in &c.nodes {
        let roots = if n.root_causes.is_empty() {
            String::new()
        } else {
            format!(" — root cause: {}", n.root_causes.join(", "))
        };
        let line = format!(
            "{}{}: {}{}",
            if markdown { "- " } else { "" },
            esc(&n.id),
            esc(&n.status),
            esc(&roots)
        );
        for l in
            crate::render::wrap::wrap("", &line, 2, width.filter(|_| !markdown).map(usize::from))
        {
            let _ = writeln!(out, "{l}");
        }
    }
    for s in &c.skipped {
        let _ = writeln!(
            out,
            "{}skipped {}",
            if markdown { "- " } else { "" },
            esc(s)
        );
    }
    out
}

/// The JSON form, written as it is produced (a row at a time): `{nodes, rows,
/// drifting_facts, skipped}`, pretty-printed.
pub fn render_json(c: &Comparison, out: &mut dyn Write) -> std::io::Result<()> {
    let indent = |text: String| json_escape_invisible(&text).replace('\n', "\n    ");
    out.write_all(b"{\n  \"nodes\": ")?;
    out.write_all(
        json_escape_invisible(&serde_json::to_string_pretty(&c.nodes)?)
            .replace('\n', "\n  ")
            .as_bytes(),
    )?;
    out.write_all(b",\n  \"rows\": [")?;
    for (i, row) in c.rows().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        out.write_all(indent(serde_json::to_string_pretty(&row)?).as_bytes())?;
    }
    out.write_all(if c.is_empty() { b"]" } else { b"\n  ]" })?;
    write!(
        out,
        ",\n  \"drifting_facts\": {},\n  \"skipped\": {}\n}}\n",
        c.drifting_facts,
        json_escape_invisible(&serde_json::to_string_pretty(&c.skipped)?).replace('\n', "\n  ")
    )
}

/// Whether a path names standard input.
pub fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

type Rows = (Vec<String>, Vec<Vec<String>>);

/// A column per node: the layout for a handful of nodes.
fn wide_rows(c: &Comparison, esc: &dyn Fn(&str) -> String) -> Rows {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let header: Vec<String> = std::iter::once("FACT".to_string())
        .chain(c.nodes.iter().map(|n| esc(&n.id)))
        .chain(["DRIFT".to_string()])
        .collect();
    for r in c.rows() {
        let mut line = vec![esc(&r.fact)];
        for n in &c.nodes {
            let v = r.values.get(&n.id).map_or_else(|| "–".to_string(), show);
            line.push(if r.drift.contains(&n.id) {
                format!("{} ≠", esc(&v))
            } else {
                esc(&v)
            });
        }
        line.push(if r.drift.is_empty() {
            String::new()
        } else {
            format!(
                "{} node{}",
                r.drift.len(),
                if r.drift.len() == 1 { "" } else { "s" }
            )
        });
        lines.push(line);
    }
    (header, lines)
}

/// A row per distinct value of a fact, with the nodes that have it: the layout for many
/// nodes or a narrow terminal.
fn long_rows(c: &Comparison, esc: &dyn Fn(&str) -> String) -> Rows {
    let mut lines: Vec<Vec<String>> = Vec::new();
    let header: Vec<String> = vec![
        "FACT".into(),
        "VALUE".into(),
        "NODES".into(),
        "DRIFT".into(),
    ];
    // Facts that differ by nature (node id, config hash) would give a row per node.
    for r in c.rows().filter(|r| !never_drifts(&r.fact)) {
        let drifting: std::collections::HashSet<&str> =
            r.drift.iter().map(String::as_str).collect();
        let mut by_value: Vec<(String, Vec<&str>, bool)> = Vec::new();
        let mut slot: HashMap<(String, bool), usize> = HashMap::new();
        for (id, v) in &r.values {
            let text = show(v);
            let drifts = drifting.contains(id.as_str());
            if let Some(&i) = slot.get(&(text.clone(), drifts)) {
                by_value[i].1.push(id);
            } else {
                slot.insert((text.clone(), drifts), by_value.len());
                by_value.push((text, vec![id], drifts));
            }
        }
        by_value.sort_by_key(|e| std::cmp::Reverse(e.1.len()));
        for (text, ids, drifts) in by_value {
            let shown: Vec<&str> = ids.iter().take(6).copied().collect();
            let more = if ids.len() > 6 {
                format!(" … +{}", ids.len() - 6)
            } else {
                String::new()
            };
            lines.push(vec![
                esc(&r.fact),
                esc(&text),
                format!("{} ({}){more}", esc(&shown.join(", ")), ids.len()),
                if drifts {
                    "drift".into()
                } else {
                    String::new()
                },
            ]);
        }
    }
    (header, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, role: &str, facts: &[(&str, serde_json::Value)]) -> LeanReport {
        let mut f: BTreeMap<String, serde_json::Value> = facts
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        f.insert("node.id".into(), id.into());
        f.insert("node.role".into(), role.into());
        LeanReport {
            schema_version: 1,
            tool: LeanTool {
                name: "autoglm-doctor".into(),
            },
            host: LeanHost {
                hostname: id.into(),
            },
            profile: "default".into(),
            status: "pass".into(),
            root_causes: vec![],
            facts: f,
        }
    }

    fn fleet(reports: Vec<LeanReport>) -> Fleet {
        let mut f = Fleet::default();
        for (i, r) in reports.into_iter().enumerate() {
            f.add(r, format!("r{i}")).unwrap();
        }
        f
    }

    #[test]
    fn drift_against_the_master_and_tolerance_for_offsets() {
        let f = fleet(vec![
            report(
                "c2",
                "compute",
                &[
                    ("auth.token_ttl", serde_json::json!(1800)),
                    ("time.offset_ms", serde_json::json!(12.0)),
                ],
            ),
            report(
                "m",
                "master",
                &[
                    ("auth.token_ttl", serde_json::json!(3600)),
                    ("time.offset_ms", serde_json::json!(0.5)),
                ],
            ),
            report(
                "c1",
                "compute",
                &[
                    ("auth.token_ttl", serde_json::json!(3600)),
                    ("time.offset_ms", serde_json::json!(4000.0)),
                ],
            ),
        ]);
        let c = compare(f);
        assert_eq!(c.nodes[0].id, "m", "master first");
        let rows: Vec<Row> = c.rows().collect();
        let row = |f: &str| rows.iter().find(|r| r.fact == f).unwrap();
        assert_eq!(row("auth.token_ttl").drift, ["c2"]);
        assert_eq!(row("auth.token_ttl").reference_from, "master");
        assert_eq!(row("time.offset_ms").drift, ["c1"]);
        assert!(row("node.id").drift.is_empty());
        assert_eq!(c.drifting_facts, 2);
    }

    #[test]
    fn majority_without_a_master_and_wide_layout() {
        let f = fleet(
            (0..12)
                .map(|i| {
                    report(
                        &format!("n{i:02}"),
                        "compute",
                        &[(
                            "api.version",
                            serde_json::json!(if i == 5 { "2.5" } else { "3.1" }),
                        )],
                    )
                })
                .collect(),
        );
        let c = compare(f);
        let r = c.rows().next().unwrap();
        assert_eq!(r.fact, "api.version");
        assert_eq!(r.reference, Some(serde_json::json!("3.1")));
        assert_eq!(r.drift, ["n05"]);
        let text = render_table(&c, false, None);
        assert!(text.contains("n05 (1)"), "{text}");
        assert!(text.contains("… +5"), "{text}");
    }

    #[test]
    fn a_table_wider_than_the_terminal_switches_to_a_row_per_value() {
        let sha = |c: char| serde_json::json!(format!("sha256:{}", c.to_string().repeat(64)));
        let nodes: Vec<_> = ["m", "compute-01", "compute-02", "compute-03", "compute-04"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                report(
                    id,
                    if i == 0 { "master" } else { "compute" },
                    &[
                        ("tls.leaf.sha256", sha(if i == 3 { 'b' } else { 'a' })),
                        ("auth.token_ttl", serde_json::json!(3600)),
                    ],
                )
            })
            .collect();
        let c = compare(fleet(nodes));
        let wide = render_table(&c, false, None);
        assert!(wide.lines().any(|l| l.chars().count() > 80), "{wide}");
        let narrow = render_table(&c, false, Some(80));
        for line in narrow.lines() {
            assert!(line.chars().count() <= 80, "{line}\n{narrow}");
        }
        assert!(
            narrow.contains("VALUE") && narrow.contains("NODES"),
            "{narrow}"
        );
        assert!(narrow.contains("compute-03 (1)"), "{narrow}");
    }

    #[test]
    fn json_is_written_a_row_at_a_time_in_the_pretty_form() {
        let c = compare(fleet(vec![
            report("a", "compute", &[("x", serde_json::json!(1))]),
            report("b", "compute", &[("x", serde_json::json!(2))]),
        ]));
        let mut out = Vec::new();
        render_json(&c, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let mut want = serde_json::json!({
            "nodes": c.nodes,
            "rows": c.rows().collect::<Vec<_>>(),
            "drifting_facts": 1,
            "skipped": [],
        });
        assert_eq!(v, want);
        want["skipped"] = serde_json::json!([]);
        let pretty = format!("{}\n", serde_json::to_string_pretty(&want).unwrap());
        assert_eq!(String::from_utf8(out).unwrap(), pretty);
    }

    #[test]
    fn unknown_schema_versions_and_too_many_facts_are_refused() {
        let mut f = Fleet::default();
        let mut r = report("a", "compute", &[]);
        r.schema_version = 2;
        let err = f.add(r, "a.json".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.json: schema_version 2 is not a report format this autoglm-doctor reads (it reads schema_version 1); compare it with the autoglm-doctor version that wrote it"
        );
        let mut f = Fleet::default();
        let mut err = None;
        for i in 0..200 {
            let facts: Vec<(String, serde_json::Value)> = (0..100)
                .map(|j| (format!("own.{i}.{j}"), serde_json::json!(j)))
                .collect();
            let facts: Vec<(&str, serde_json::Value)> =
                facts.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            if let Err(e) = f.add(
                report(&format!("n{i}"), "compute", &facts),
                format!("n{i}.json"),
            ) {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("the cap is reached");
        assert!(matches!(err, CompareError::TooManyFacts { .. }), "{err}");
        assert!(f.keys.len() <= MAX_DISTINCT_FACTS);
    }

    #[test]
    fn long_values_are_compared_by_fingerprint() {
        let long = "x".repeat(MAX_VALUE_CHARS * 2);
        let c = compare(fleet(vec![
            report("a", "compute", &[("blob", serde_json::json!(long))]),
            report("b", "compute", &[("blob", serde_json::json!(long))]),
        ]));
        let r = c.rows().next().unwrap();
        let shown = r.reference.unwrap();
        assert!(shown.as_str().unwrap().starts_with("sha256:"), "{shown}");
        assert!(r.drift.is_empty());
    }
}
