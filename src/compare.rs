//! `compare`: reports from many nodes (gathered by whatever already runs commands across
//! the fleet) turned into one drift table — one row per fact, one column per node, the
//! values that differ from the master's (or the majority's) flagged.
//!
//! The doctor never builds a fleet transport of its own; it only makes reports comparable.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::render::json::ReportV1;
use crate::render::sanitize;

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
    pub facts: BTreeMap<String, serde_json::Value>,
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

/// The comparison of a fleet.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub nodes: Vec<Node>,
    pub rows: Vec<Row>,
    pub drifting_facts: usize,
    /// Inputs that could not be read as reports.
    pub skipped: Vec<String>,
}

fn profile_tolerance_ms(profile: &str) -> f64 {
    match profile {
        "strict" => 10.0,
        "lenient" => 5000.0,
        _ => 1000.0,
    }
}

fn node_of(r: ReportV1, source: String) -> Node {
    let id = r
        .facts
        .get("node.id")
        .and_then(|v| v.as_str())
        .map_or_else(|| r.host.hostname.clone(), str::to_string);
    let tolerance_ms = r
        .facts
        .get("time.tolerance_ms")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| profile_tolerance_ms(&r.profile));
    Node {
        id,
        host: r.host.hostname.clone(),
        role: r
            .facts
            .get("node.role")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        status: serde_json::to_value(r.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        root_causes: r.root_causes.clone(),
        source,
        facts: r.facts,
        tolerance_ms,
    }
}

/// Read reports from files, directories (their `*.json`) and `-` (a stream of reports on
/// standard input, concatenated or one per line). Unreadable inputs are listed, not fatal.
// The command-line edge: the reports `compare` is given on its command line.
#[allow(clippy::disallowed_methods)]
pub fn load(inputs: &[PathBuf]) -> Result<(Vec<Node>, Vec<String>)> {
    let mut nodes = Vec::new();
    let mut skipped = Vec::new();
    let parse_stream =
        |text: &str, source: &str, nodes: &mut Vec<Node>, skipped: &mut Vec<String>| {
            let mut n = 0;
            for (i, item) in serde_json::Deserializer::from_str(text)
                .into_iter::<ReportV1>()
                .enumerate()
            {
                match item {
                    Ok(r) => {
                        n += 1;
                        nodes.push(node_of(
                            r,
                            if source == "-" {
                                format!("stdin #{}", i + 1)
                            } else {
                                source.to_string()
                            },
                        ));
                    }
                    Err(e) => {
                        skipped.push(format!(
                            "{source}: not an autoglm-doctor report (schema_version 1): {e}"
                        ));
                        break;
                    }
                }
            }
            if n == 0 && !skipped.iter().any(|s| s.starts_with(&format!("{source}:"))) {
                skipped.push(format!("{source}: empty"));
            }
        };
    for input in inputs {
        if input.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read reports from standard input")?;
            parse_stream(&text, "-", &mut nodes, &mut skipped);
            continue;
        }
        let files: Vec<PathBuf> = if input.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("cannot list {}", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            v.sort();
            v
        } else {
            vec![input.clone()]
        };
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => parse_stream(&text, &f.display().to_string(), &mut nodes, &mut skipped),
                Err(e) => skipped.push(format!("{}: {e}", f.display())),
            }
        }
    }
    Ok((nodes, skipped))
}

fn as_number(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Compare the nodes' facts.
pub fn compare(mut nodes: Vec<Node>, skipped: Vec<String>) -> Comparison {
    // Master first, then by id.
    nodes.sort_by(|a, b| {
        (a.role.as_deref() != Some("master"), &a.id)
            .cmp(&(b.role.as_deref() != Some("master"), &b.id))
    });
    // Node ids must be unique columns: suffix duplicates with their source.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for n in &mut nodes {
        let count = seen.entry(n.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            n.id = format!("{} ({})", n.id, n.source);
        }
    }
    let master = nodes
        .iter()
        .find(|n| n.role.as_deref() == Some("master"))
        .map(|n| n.id.clone());
    let mut keys: Vec<String> = nodes.iter().flat_map(|n| n.facts.keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    let mut rows = Vec::new();
    for key in keys {
        let values: BTreeMap<String, serde_json::Value> = nodes
            .iter()
            .filter_map(|n| n.facts.get(&key).map(|v| (n.id.clone(), v.clone())))
            .collect();
        // Measurement uncertainties differ from run to run; they are context, not drift.
        let identity = never_drifts(&key);
        let from_master = master.as_ref().and_then(|m| values.get(m)).cloned();
        let (reference, reference_from) = if let Some(v) = from_master {
            (Some(v), "master")
        } else {
            {
                let mut counts: Vec<(String, usize, serde_json::Value)> = Vec::new();
                for v in values.values() {
                    let text = v.to_string();
                    match counts.iter_mut().find(|(t, _, _)| *t == text) {
                        Some(c) => c.1 += 1,
                        None => counts.push((text, 1, v.clone())),
                    }
                }
                counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                (counts.into_iter().next().map(|(_, _, v)| v), "majority")
            }
        };
        let measured = key.ends_with("offset_ms");
        let drift: Vec<String> = if identity {
            Vec::new()
        } else if measured {
            // A measured offset drifts when it is outside the node's tolerance (from zero:
            // every clock should agree with the reference time, not with each other).
            nodes
                .iter()
                .filter(|n| {
                    values
                        .get(&n.id)
                        .and_then(as_number)
                        .is_some_and(|v| v.abs() > n.tolerance_ms)
                })
                .map(|n| n.id.clone())
                .collect()
        } else {
            values
                .iter()
                .filter(|(_, v)| reference.as_ref().is_some_and(|r| r != *v))
                .map(|(id, _)| id.clone())
                .collect()
        };
        rows.push(Row {
            fact: key,
            reference,
            reference_from,
            values,
            drift,
        });
    }
    let drifting_facts = rows.iter().filter(|r| !r.drift.is_empty()).count();
    Comparison {
        nodes,
        rows,
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
            n.status,
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

/// The JSON form.
pub fn render_json(c: &Comparison) -> String {
    let mut s =
        serde_json::to_string_pretty(c).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
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
    for r in &c.rows {
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
    for r in c.rows.iter().filter(|r| !never_drifts(&r.fact)) {
        let mut by_value: Vec<(String, Vec<&str>, bool)> = Vec::new();
        for (id, v) in &r.values {
            let text = show(v);
            let drifts = r.drift.contains(id);
            match by_value
                .iter_mut()
                .find(|(t, _, d)| *t == text && *d == drifts)
            {
                Some(e) => e.1.push(id),
                None => by_value.push((text, vec![id], drifts)),
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

    fn node(id: &str, role: &str, facts: &[(&str, serde_json::Value)]) -> Node {
        Node {
            id: id.into(),
            host: id.into(),
            role: Some(role.into()),
            status: "pass".into(),
            root_causes: vec![],
            source: id.into(),
            facts: facts
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
            tolerance_ms: 1000.0,
        }
    }

    #[test]
    fn drift_against_the_master_and_tolerance_for_offsets() {
        let nodes = vec![
            node(
                "c2",
                "compute",
                &[
                    ("auth.token_ttl", serde_json::json!(1800)),
                    ("time.offset_ms", serde_json::json!(12.0)),
                    ("node.id", serde_json::json!("c2")),
                ],
            ),
            node(
                "m",
                "master",
                &[
                    ("auth.token_ttl", serde_json::json!(3600)),
                    ("time.offset_ms", serde_json::json!(0.5)),
                    ("node.id", serde_json::json!("m")),
                ],
            ),
            node(
                "c1",
                "compute",
                &[
                    ("auth.token_ttl", serde_json::json!(3600)),
                    ("time.offset_ms", serde_json::json!(4000.0)),
                    ("node.id", serde_json::json!("c1")),
                ],
            ),
        ];
        let c = compare(nodes, vec![]);
        assert_eq!(c.nodes[0].id, "m", "master first");
        let row = |f: &str| c.rows.iter().find(|r| r.fact == f).unwrap();
        assert_eq!(row("auth.token_ttl").drift, ["c2"]);
        assert_eq!(row("auth.token_ttl").reference_from, "master");
        assert_eq!(row("time.offset_ms").drift, ["c1"]);
        assert!(row("node.id").drift.is_empty());
        assert_eq!(c.drifting_facts, 2);
    }

    #[test]
    fn majority_without_a_master_and_wide_layout() {
        let nodes: Vec<Node> = (0..12)
            .map(|i| {
                node(
                    &format!("n{i:02}"),
                    "compute",
                    &[(
                        "api.version",
                        serde_json::json!(if i == 5 { "2.5" } else { "3.1" }),
                    )],
                )
            })
            .collect();
        let c = compare(nodes, vec![]);
        let r = &c.rows[0];
        assert_eq!(r.reference, Some(serde_json::json!("3.1")));
        assert_eq!(r.drift, ["n05"]);
        let text = render_table(&c, false, None);
        assert!(text.contains("n05 (1)"), "{text}");
        assert!(text.contains("… +5"), "{text}");
    }

    #[test]
    fn a_table_wider_than_the_terminal_switches_to_a_row_per_value() {
        let sha = |c: char| serde_json::json!(format!("sha256:{}", c.to_string().repeat(64)));
        let nodes: Vec<Node> = ["m", "compute-01", "compute-02", "compute-03", "compute-04"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                node(
                    id,
                    if i == 0 { "master" } else { "compute" },
                    &[
                        ("tls.leaf.sha256", sha(if i == 3 { 'b' } else { 'a' })),
                        ("auth.token_ttl", serde_json::json!(3600)),
                    ],
                )
            })
            .collect();
        let c = compare(nodes, vec![]);
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
}
