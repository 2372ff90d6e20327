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
    /// For a measurement published with an error bound (`X_ms` beside `X_error_ms`): the
    /// nodes whose intervals (value ± error) share a point, one group per such set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    /// Node id → the value its class is shown as, for the nodes whose own spelling differs
    /// (numbers equal by value share one).
    #[serde(skip)]
    pub canonical: BTreeMap<String, serde_json::Value>,
}

/// Nodes whose measurements agree within their error bounds: every interval
/// `value ± error` of the group contains one common point.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub nodes: Vec<String>,
    /// The smallest and the largest value measured in the group.
    pub low: f64,
    pub high: f64,
    /// The largest error bound in the group: the values agree within ±`within`.
    pub within: f64,
}

impl Group {
    /// `12.5 ±0.8`, or `11.9 to 13.2 (agree within ±0.8)`.
    fn text(&self) -> String {
        if self.low.to_bits() == self.high.to_bits() {
            format!("{} ±{}", num(self.low), num(self.within))
        } else {
            format!(
                "{} to {} (agree within ±{})",
                num(self.low),
                num(self.high),
                num(self.within)
            )
        }
    }
}

/// A measured number for people: at most three decimals, no trailing zeros.
fn num(x: f64) -> String {
    let t = format!("{x:.3}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" { "0".into() } else { t.to_string() }
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

fn integer(n: &serde_json::Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Whether two JSON values are the same value, as a JSON tool may re-encode it: numbers by
/// value (`1000`, `1000.0`, `1e3`, `1000.00`) — exactly when both are integers (so
/// 9007199254740993 and 9007199254740992 differ, beyond f64 precision), by their f64 value
/// otherwise —, mappings whatever the order of their keys, lists item by item.
#[allow(clippy::float_cmp)] // equality by value is the point
pub fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (integer(x), integer(y)) {
            (Some(whole_x), Some(whole_y)) => whole_x == whole_y,
            _ => x.as_f64().zip(y.as_f64()).is_some_and(|(fx, fy)| fx == fy),
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_value(v, w))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// A text equal for values that are [`same_value`] (numbers written by their f64 value,
/// keys sorted): values are bucketed by it before being compared pairwise.
fn loose_key(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    use std::fmt::Write as _;
    match v {
        J::Number(n) => match n.as_f64() {
            Some(0.0) => out.push('0'),
            Some(f) => {
                let _ = write!(out, "{f}");
            }
            None => out.push_str(&n.to_string()),
        },
        J::Array(items) => {
            out.push('[');
            for i in items {
                loose_key(i, out);
                out.push(',');
            }
            out.push(']');
        }
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(&serde_json::Value::from(k.as_str()).to_string());
                out.push(':');
                if let Some(x) = map.get(k) {
                    loose_key(x, out);
                }
                out.push(',');
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Values of one bucket compared pairwise at most against this many classes (a bucket
/// is larger only for integers beyond f64 precision that differ in their last digits).
const MAX_CLASSES_PER_BUCKET: usize = 64;

/// The class of each distinct value id of a fact: values that are [`same_value`] share
/// one, represented by its most common spelling. `counts` is value id → nodes.
fn classes(counts: &[(u32, usize)], values: &[serde_json::Value]) -> HashMap<u32, u32> {
    let mut class = HashMap::with_capacity(counts.len());
    if counts.len() < 2 {
        for &(v, _) in counts {
            class.insert(v, v);
        }
        return class;
    }
    let mut buckets: HashMap<String, Vec<(u32, usize)>> = HashMap::new();
    let mut key = String::new();
    for &(v, n) in counts {
        key.clear();
        loose_key(&values[v as usize], &mut key);
        buckets.entry(key.clone()).or_default().push((v, n));
    }
    for (_, mut bucket) in buckets {
        if let [(v, _)] = bucket[..] {
            class.insert(v, v);
            continue;
        }
        // The most common spelling first: it represents its class.
        bucket.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut reps: Vec<u32> = Vec::new();
        for (v, _) in bucket {
            let found = reps
                .iter()
                .take(MAX_CLASSES_PER_BUCKET)
                .find(|&&r| same_value(&values[r as usize], &values[v as usize]))
                .copied();
            class.insert(v, found.unwrap_or(v));
            if found.is_none() {
                reps.push(v);
            }
        }
    }
    class
}

/// The error bound published beside a measured fact: `time.offset_ms` → `time.offset_error_ms`.
fn error_key(key: &str) -> Option<String> {
    let stem = key.strip_suffix("_ms")?;
    (!stem.ends_with("_error")).then(|| format!("{stem}_error_ms"))
}

/// Groups of measurements `(node position, value, error)` whose intervals share a point:
/// sorted by upper end, each group takes the first upper end left and every interval that
/// starts at or before it. The fewest groups such that each has a common point; two
/// measurements land in different groups only when their intervals cannot both hold.
fn agreeing_groups(m: &[(u32, f64, f64)]) -> Vec<Vec<(u32, f64, f64)>> {
    let mut by_high: Vec<usize> = (0..m.len()).collect();
    by_high.sort_by(|&a, &b| {
        (m[a].1 + m[a].2)
            .total_cmp(&(m[b].1 + m[b].2))
            .then(a.cmp(&b))
    });
    let mut by_low: Vec<usize> = (0..m.len()).collect();
    by_low.sort_by(|&a, &b| {
        (m[a].1 - m[a].2)
            .total_cmp(&(m[b].1 - m[b].2))
            .then(a.cmp(&b))
    });
    let mut taken = vec![false; m.len()];
    let mut groups = Vec::new();
    let mut low = 0;
    for &first in &by_high {
        if taken[first] {
            continue;
        }
        let point = m[first].1 + m[first].2;
        let mut group = Vec::new();
        // Every interval not yet taken that starts at or before the point contains it
        // (its upper end is not below the point, as the smallest one left is the point).
        while let Some(&i) = by_low.get(low) {
            if m[i].1 - m[i].2 > point {
                break;
            }
            low += 1;
            if !taken[i] {
                taken[i] = true;
                group.push(m[i]);
            }
        }
        groups.push(group);
    }
    groups
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
    /// Value id → the value id its class is shown as, sorted, for the values that are
    /// another spelling of a more common one (few: kept apart from `values`).
    class: Vec<(u32, u32)>,
    /// Measurements with error bounds: groups of node positions that agree.
    groups: Option<Vec<GroupIds>>,
}

/// A group of agreeing measurements: node positions, lowest and highest value, largest
/// error bound.
type GroupIds = (Vec<u32>, f64, f64, f64);

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
            groups: r.groups.as_ref().map(|gs| {
                gs.iter()
                    .map(|(nodes, low, high, within)| Group {
                        nodes: nodes.iter().map(|&n| self.node_id(n)).collect(),
                        low: *low,
                        high: *high,
                        within: *within,
                    })
                    .collect()
            }),
            canonical: if r.class.is_empty() {
                BTreeMap::new()
            } else {
                r.values
                    .iter()
                    .filter_map(|&(n, v)| {
                        let i = r.class.binary_search_by_key(&v, |e| e.0).ok()?;
                        Some((self.node_id(n), self.value(r.class[i].1)))
                    })
                    .collect()
            },
        }
    }
}

/// Compare the nodes' facts.
pub fn compare(fleet: Fleet) -> Comparison {
    let Fleet {
        nodes,
        skipped,
        keys,
        key_ids,
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
    let entries_of = |k: usize| -> Vec<(u32, u32)> {
        let mut e: Vec<(u32, u32)> = by_key
            .get(k)
            .map(|e| e.iter().map(|&(n, v)| (position[n as usize], v)).collect())
            .unwrap_or_default();
        e.sort_unstable();
        e
    };
    let mut rows = Vec::with_capacity(keys.len());
    for k in key_order {
        let key = &keys[k];
        let entries = entries_of(k);
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for &(_, v) in &entries {
            *counts.entry(v).or_insert(0) += 1;
        }
        let mut counts: Vec<(u32, usize)> = counts.into_iter().collect();
        counts.sort_unstable();
        let class = classes(&counts, &values);
        let class_of = |v: u32| class.get(&v).copied().unwrap_or(v);
        let from_master = master.and_then(|m| entries.iter().find(|e| e.0 == m).map(|e| e.1));
        let (reference, reference_from) = if let Some(v) = from_master {
            (Some(v), "master")
        } else {
            let mut per_class: HashMap<u32, usize> = HashMap::new();
            for &(v, n) in &counts {
                *per_class.entry(class_of(v)).or_insert(0) += n;
            }
            let best = per_class.values().copied().max().unwrap_or(0);
            // Ties go to the smallest JSON text, so the choice does not depend on order.
            let reference = per_class
                .iter()
                .filter(|&(_, &c)| c == best)
                .map(|(&v, _)| (values[v as usize].to_string(), v))
                .min()
                .map(|(_, v)| v);
            (reference, "majority")
        };
        // A measurement with an error bound: each node's value ± its own error.
        let errors: Option<HashMap<u32, f64>> =
            error_key(key).and_then(|e| key_ids.get(&e)).map(|&e| {
                entries_of(e as usize)
                    .into_iter()
                    .filter_map(|(n, v)| as_number(&values[v as usize]).map(|x| (n, x.abs())))
                    .collect()
            });
        let is_offset = key.ends_with("offset_ms");
        let measured: Vec<(u32, f64, f64)> = entries
            .iter()
            .filter(|_| is_offset || errors.is_some())
            .filter_map(|&(n, v)| {
                let x = as_number(&values[v as usize])?;
                let e = errors
                    .as_ref()
                    .and_then(|m| m.get(&n))
                    .copied()
                    .unwrap_or(0.0);
                Some((n, x, e))
            })
            .collect();
        let groups = errors.is_some().then(|| agreeing_groups(&measured));
        let drift: Vec<u32> = if never_drifts(key) {
            Vec::new()
        } else if is_offset {
            // A measured offset drifts when it is outside the node's tolerance (from zero:
            // every clock should agree with the reference time, not with each other), by
            // more than its error bound.
            measured
                .iter()
                .filter(|&&(n, x, e)| x.abs() - e > nodes[n as usize].tolerance_ms)
                .map(|&(n, _, _)| n)
                .collect()
        } else if let Some(groups) = &groups {
            // Other measurements: the nodes outside the master's group (or the largest).
            let home = master
                .and_then(|m| groups.iter().position(|g| g.iter().any(|e| e.0 == m)))
                .or_else(|| {
                    groups
                        .iter()
                        .enumerate()
                        .max_by_key(|(i, g)| (g.len(), std::cmp::Reverse(*i)))
                        .map(|(i, _)| i)
                });
            let mut d: Vec<u32> = groups
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != home)
                .flat_map(|(_, g)| g.iter().map(|e| e.0))
                .collect();
            d.sort_by_key(|&n| id_rank[n as usize]);
            d
        } else {
            let mut d: Vec<u32> = entries
                .iter()
                .filter(|&&(_, v)| {
                    reference.is_some_and(|r| {
                        r != v && !same_value(&values[r as usize], &values[v as usize])
                    })
                })
                .map(|&(n, _)| n)
                .collect();
            d.sort_by_key(|&n| id_rank[n as usize]);
            d
        };
        let groups = groups.map(|gs| {
            gs.into_iter()
                .map(|g| {
                    let low = g.iter().map(|e| e.1).fold(f64::INFINITY, f64::min);
                    let high = g.iter().map(|e| e.1).fold(f64::NEG_INFINITY, f64::max);
                    let within = g.iter().map(|e| e.2).fold(0.0, f64::max);
                    let mut ns: Vec<u32> = g.into_iter().map(|e| e.0).collect();
                    ns.sort_unstable();
                    (ns, low, high, within)
                })
                .collect()
        });
        rows.push(RowIds {
            key: index(k),
            reference,
            reference_from,
            class: {
                let mut c: Vec<(u32, u32)> = class
                    .iter()
                    .filter(|(v, r)| v != r)
                    .map(|(&v, &r)| (v, r))
                    .collect();
                c.sort_unstable();
                c
            },
            values: entries,
            drift,
            groups,
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
        let mut by_value: Vec<(String, Vec<String>, bool)> = Vec::new();
        let mut slot: HashMap<(String, bool), usize> = HashMap::new();
        let mut put = |text: String, id: &str, drifts: bool| {
            let id = id.to_string();
            if let Some(&i) = slot.get(&(text.clone(), drifts)) {
                by_value[i].1.push(id);
            } else {
                slot.insert((text.clone(), drifts), by_value.len());
                by_value.push((text, vec![id], drifts));
            }
        };
        if let Some(groups) = &r.groups {
            // Measurements that agree within their error bounds are one value.
            for g in groups {
                let text = g.text();
                for id in &g.nodes {
                    put(text.clone(), id, drifting.contains(id.as_str()));
                }
            }
        } else {
            // Spellings of one value (1000 and 1000.0) are one value.
            for (id, v) in &r.values {
                let shown = r.canonical.get(id).unwrap_or(v);
                put(show(shown), id, drifting.contains(id.as_str()));
            }
        }
        by_value.sort_by_key(|e| std::cmp::Reverse(e.1.len()));
        for (text, ids, drifts) in by_value {
            let shown: Vec<&str> = ids.iter().take(6).map(String::as_str).collect();
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

    fn num_text(t: &str) -> serde_json::Value {
        serde_json::from_str(t).unwrap()
    }

    #[test]
    fn numbers_compare_by_value_and_big_integers_exactly() {
        let same = |a: &str, b: &str| same_value(&num_text(a), &num_text(b));
        for (a, b) in [
            ("1000", "1000.0"),
            ("1000", "1e3"),
            ("1000.00", "1E+3"),
            ("-0.0", "0"),
            ("[1, 2.0]", "[1.0, 2]"),
            ("{\"a\": 1, \"b\": 2}", "{\"b\": 2.0, \"a\": 1}"),
            // An integer beyond f64 precision against a float: by the float's value.
            ("9007199254740993", "9007199254740992.0"),
        ] {
            assert!(same(a, b), "{a} = {b}");
        }
        for (a, b) in [
            ("1000", "1001"),
            ("1000", "\"1000\""),
            ("0.1", "0.10000001"),
            // Two integers beyond f64 precision: exactly.
            ("9007199254740993", "9007199254740992"),
            ("18446744073709551615", "18446744073709551614"),
            ("[1, 2]", "[2, 1]"),
            ("{\"a\": 1}", "{\"a\": 1, \"b\": 2}"),
        ] {
            assert!(!same(a, b), "{a} ≠ {b}");
        }
    }

    #[test]
    fn respelled_numbers_are_not_drift_and_show_as_one_value() {
        let spell = [
            "1000", "1000.0", "1e3", "1000.00", "1000", "1000", "1000", "1000", "1E3",
        ];
        let mut nodes: Vec<LeanReport> = spell
            .iter()
            .enumerate()
            .map(|(i, t)| report(&format!("n{i}"), "compute", &[("ttl", num_text(t))]))
            .collect();
        nodes.push(report("n9", "compute", &[("ttl", num_text("999"))]));
        // Big integers that differ only beyond f64 precision are different values.
        for (i, big) in ["9007199254740993", "9007199254740993", "9007199254740992"]
            .iter()
            .enumerate()
        {
            nodes[i].facts.insert("big".into(), num_text(big));
        }
        let c = compare(fleet(nodes));
        let rows: Vec<Row> = c.rows().collect();
        let row = |f: &str| rows.iter().find(|r| r.fact == f).unwrap();
        assert_eq!(row("ttl").drift, ["n9"]);
        assert_eq!(row("ttl").reference, Some(num_text("1000")));
        assert_eq!(row("big").drift, ["n2"]);
        // More nodes than WIDE: a row per value.
        let text = render_table(&c, false, None);
        let ttl: Vec<&str> = text.lines().filter(|l| l.contains(" ttl ")).collect();
        assert_eq!(ttl.len(), 2, "{text}");
        assert!(
            ttl[0].contains(" 1000 ") && ttl[0].contains("(9)"),
            "{text}"
        );
    }

    #[test]
    fn offsets_within_their_error_bounds_are_one_group() {
        let node = |id: &str, off: f64, err: f64| {
            report(
                id,
                "compute",
                &[
                    ("time.offset_ms", serde_json::json!(off)),
                    ("time.offset_error_ms", serde_json::json!(err)),
                ],
            )
        };
        // a, b, c overlap at 1.0 to 1.5; d overlaps c only (c joins the first group);
        // e is 4 s ahead.
        let c = compare(fleet(vec![
            node("a", 0.5, 1.0),
            node("b", 2.0, 1.0),
            node("c", 1.2, 0.3),
            node("d", 2.9, 0.2),
            node("e", 4000.0, 2.0),
            node("f", 1000.5, 1.0),
            node("g", 0.7, 0.9),
            node("h", 0.9, 0.5),
            node("i", 1.0, 0.5),
        ]));
        let rows: Vec<Row> = c.rows().collect();
        let row = rows.iter().find(|r| r.fact == "time.offset_ms").unwrap();
        let groups = row.groups.as_ref().unwrap();
        let members: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.nodes.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            members,
            [
                vec!["a", "b", "c", "g", "h", "i"],
                vec!["d"],
                vec!["f"],
                vec!["e"]
            ]
        );
        assert_eq!(groups[0].text(), "0.5 to 2 (agree within ±1)");
        assert_eq!(groups[1].text(), "2.9 ±0.2");
        // 1000.5 ± 1 may be within the 1000 ms tolerance: not drift; 4000 ± 2 is.
        assert_eq!(row.drift, ["e"]);
        let text = render_table(&c, false, None);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(" time.offset_ms "))
            .collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].contains("agree within ±1") && lines[0].contains("(6)"),
            "{text}"
        );
        assert!(!text.contains("time.offset_error_ms"), "{text}");
    }

    #[test]
    fn agreeing_groups_need_a_common_point() {
        // A chain (each overlaps the next) is not one group: 0±1 and 3±1 cannot both hold.
        let g = agreeing_groups(&[(0, 0.0, 1.0), (1, 1.5, 1.0), (2, 3.0, 1.0)]);
        let ids: Vec<Vec<u32>> = g.iter().map(|g| g.iter().map(|e| e.0).collect()).collect();
        assert_eq!(ids, [vec![0, 1], vec![2]]);
        assert!(agreeing_groups(&[]).is_empty());
    }
}
