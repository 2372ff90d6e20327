//! From a suite to a runnable plan: selection, references, specs, the dependency DAG.
//!
//! Everything that can be wrong with a suite is found here, before any check runs, and is a
//! `SuiteError` (exit status 2) naming the file, line and column. What depends on the node
//! config (a `${config.…}` value the config does not set) is not a suite error: that check
//! becomes a skip with its reason, because the config checks report the config's problems.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::check::{KindInfo, Prepared, kind_info};
use crate::report::{Finding, Location, SkipReason};
use crate::suite::refs::{self, Unresolved};
use crate::suite::{Entry, Suite, SuiteError, glob_match};
use crate::yaml::{Node, Pos, Value};

/// What the scheduler does with a planned check once its needs are done.
#[derive(Debug)]
pub enum Action {
    Run(Prepared),
    /// Decided at plan time (offline, unresolved reference).
    Skip(SkipReason, Finding),
}

/// One check of the plan.
#[derive(Debug)]
pub struct PlannedCheck {
    pub id: String,
    pub kind: &'static KindInfo,
    /// Indices into `Plan::checks` of the checks this one waits for.
    pub needs: Vec<usize>,
    /// Indices of checks this one starts after, whatever their outcome (`after:`).
    pub after: Vec<usize>,
    pub timeout: Duration,
    pub action: Action,
}

/// A suite ready to run; `checks` are in suite order (the scheduler follows `needs`).
#[derive(Debug)]
pub struct Plan {
    pub suite: String,
    pub file: String,
    pub checks: Vec<PlannedCheck>,
}

/// Inputs of planning that do not come from the suite.
pub struct PlanInput<'a> {
    pub only: &'a [String],
    pub skip: &'a [String],
    pub default_timeout: Option<Duration>,
    pub offline: bool,
    /// The node config as JSON, when it was read and parsed.
    pub config: Option<&'a serde_json::Value>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Build the plan. Also returns warnings (patterns that matched nothing).
pub fn plan(suite: &Suite, input: &PlanInput<'_>) -> Result<(Plan, Vec<String>), SuiteError> {
    let err = |pos: Pos, message: String| SuiteError {
        file: suite.file.clone(),
        pos: Some(pos),
        message,
    };
    let mut warnings = Vec::new();

    // Ids unique, kinds known, needs exist.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, e) in suite.entries.iter().enumerate() {
        if let Some(&first) = index.get(e.id.as_str()) {
            return Err(err(
                e.pos,
                format!(
                    "duplicate check id `{}` (first defined at line {})",
                    e.id, suite.entries[first].pos.line
                ),
            ));
        }
        index.insert(&e.id, i);
        if kind_info(&e.kind).is_none() {
            return Err(err(
                e.kind_pos,
                format!(
                    "unknown check kind `{}` (known kinds: {})",
                    e.kind,
                    crate::check::KINDS
                        .iter()
                        .map(|k| k.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let mut needs: Vec<Vec<usize>> = Vec::with_capacity(suite.entries.len());
    for e in &suite.entries {
        let mut mine = Vec::new();
        for (n, pos) in &e.needs {
            match index.get(n.as_str()) {
                Some(&j) if e.id == *n => {
                    let _ = j;
                    return Err(err(*pos, format!("check `{}` needs itself", e.id)));
                }
                Some(&j) => mine.push(j),
                None => {
                    return Err(err(
                        *pos,
                        format!("check `{}` needs `{n}`, which is not in the suite", e.id),
                    ));
                }
            }
        }
        needs.push(mine);
    }
    // Implicit needs, as the kinds declare them: anything that reads the config waits for
    // the check that parses it (unless that check waits for it), and a kind waits for the
    // kinds it names in `implicit_needs`.
    let kinds: Vec<&'static KindInfo> = suite
        .entries
        .iter()
        .filter_map(|e| kind_info(&e.kind))
        .collect();
    for (i, e) in suite.entries.iter().enumerate() {
        let Some(&kind) = kinds.get(i) else {
            continue;
        };
        let reads = kind.reads_config || e.with.as_ref().is_some_and(mentions_config);
        for (j, other) in kinds.iter().enumerate() {
            let gate = reads
                && other.gates_config
                && !kind.gates_config
                && !other.implicit_needs.contains(&kind.name);
            let implied = gate || kind.implicit_needs.contains(&other.name);
            if implied && i != j && !needs[i].contains(&j) {
                needs[i].push(j);
            }
        }
    }
    let mut after: Vec<Vec<usize>> = Vec::with_capacity(suite.entries.len());
    for e in &suite.entries {
        let mut mine = Vec::new();
        for (n, pos) in &e.after {
            match index.get(n.as_str()) {
                Some(_) if e.id == *n => {
                    return Err(err(*pos, format!("check `{}` runs after itself", e.id)));
                }
                Some(&j) => mine.push(j),
                None => {
                    return Err(err(
                        *pos,
                        format!(
                            "check `{}` runs after `{n}`, which is not in the suite",
                            e.id
                        ),
                    ));
                }
            }
        }
        after.push(mine);
    }
    // Ordering cycles count whether they go through `needs` or `after`.
    let order: Vec<Vec<usize>> = needs
        .iter()
        .zip(&after)
        .map(|(n, a)| n.iter().chain(a).copied().collect())
        .collect();
    check_cycles(suite, &order)?;

    // Selection.
    // A kind matches by its name or by the name it had before.
    let matches = |p: &str, e: &Entry| {
        glob_match(p, &e.id)
            || glob_match(p, &e.kind)
            || kind_info(&e.kind).is_some_and(|k| glob_match(p, k.name))
    };
    for p in input.only.iter().chain(input.skip) {
        if !suite.entries.iter().any(|e| matches(p, e)) {
            warnings.push(format!(
                "pattern `{p}` matches no check in suite {}",
                suite.name
            ));
        }
    }
    let mut selected: Vec<bool> = suite
        .entries
        .iter()
        .map(|e| input.only.is_empty() || input.only.iter().any(|p| matches(p, e)))
        .collect();
    if !input.only.is_empty() {
        // Keep the run causally sound: a selected check brings what it needs.
        let mut stack: Vec<usize> = (0..selected.len()).filter(|&i| selected[i]).collect();
        while let Some(i) = stack.pop() {
            for &j in &needs[i] {
                if !selected[j] {
                    selected[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    for (i, e) in suite.entries.iter().enumerate() {
        if input.skip.iter().any(|p| matches(p, e)) {
            selected[i] = false;
        }
    }

    // Build checks in suite order with remapped indices.
    let mut new_index = vec![usize::MAX; suite.entries.len()];
    let mut n = 0;
    for (i, s) in selected.iter().enumerate() {
        if *s {
            new_index[i] = n;
            n += 1;
        }
    }
    let mut checks = Vec::with_capacity(n);
    for (i, e) in suite.entries.iter().enumerate() {
        if !selected[i] {
            continue;
        }
        let Some(kind) = kind_info(&e.kind) else {
            continue;
        };
        let timeout = e
            .timeout
            .or(input.default_timeout)
            .unwrap_or(kind.default_timeout);
        let action = match prepare(suite, e, kind, input)? {
            Action::Run(p) if input.offline && p.network() => Action::Skip(
                SkipReason::Offline,
                Finding::new(
                    &kind.generated.not_probed,
                    "not run: --offline and this check needs the network",
                    "run without --offline to include it",
                ),
            ),
            other => other,
        };
        checks.push(PlannedCheck {
            id: e.id.clone(),
            kind,
            needs: needs[i]
                .iter()
                .filter(|&&j| selected[j])
                .map(|&j| new_index[j])
                .collect(),
            after: after[i]
                .iter()
                .filter(|&&j| selected[j])
                .map(|&j| new_index[j])
                .collect(),
            timeout,
            action,
        });
    }
    Ok((
        Plan {
            suite: suite.name.clone(),
            file: suite.file.clone(),
            checks,
        },
        warnings,
    ))
}

fn mentions_config(node: &Node) -> bool {
    match &node.value {
        Value::Scalar(s) => s.text.contains("${config."),
        Value::Sequence(items) => items.iter().any(mentions_config),
        Value::Mapping(entries) => entries
            .iter()
            .any(|(k, v)| mentions_config(k) || mentions_config(v)),
    }
}

fn visit(
    i: usize,
    needs: &[Vec<usize>],
    state: &mut [u8],
    path: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    state[i] = 1;
    path.push(i);
    for &j in &needs[i] {
        if state[j] == 1 {
            let start = path.iter().position(|&p| p == j).unwrap_or(0);
            let mut cycle = path[start..].to_vec();
            cycle.push(j);
            return Some(cycle);
        }
        if state[j] == 0
            && let Some(c) = visit(j, needs, state, path)
        {
            return Some(c);
        }
    }
    path.pop();
    state[i] = 2;
    None
}

fn check_cycles(suite: &Suite, needs: &[Vec<usize>]) -> Result<(), SuiteError> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; needs.len()];
    let mut path = Vec::new();
    for i in 0..needs.len() {
        if state[i] == 0
            && let Some(cycle) = visit(i, needs, &mut state, &mut path)
        {
            let names: Vec<&str> = cycle
                .iter()
                .map(|&c| suite.entries[c].id.as_str())
                .collect();
            let first = cycle.first().copied().unwrap_or(i);
            return Err(SuiteError {
                file: suite.file.clone(),
                pos: Some(suite.entries[first].pos),
                message: format!("dependency cycle: {}", names.join(" -> ")),
            });
        }
    }
    Ok(())
}

/// Resolve references in `with:` and deserialize it into the kind's spec.
fn prepare(
    suite: &Suite,
    e: &Entry,
    kind: &'static KindInfo,
    input: &PlanInput<'_>,
) -> Result<Action, SuiteError> {
    let err = |pos: Pos, message: String| SuiteError {
        file: suite.file.clone(),
        pos: Some(pos),
        message,
    };
    let mut from_config: Vec<String> = Vec::new();
    let with = match &e.with {
        None => serde_json::Value::Object(serde_json::Map::new()),
        Some(node) => {
            match substitute_tree(node, "", input, &mut from_config).map_err(|(p, m)| err(p, m))? {
                Ok(v) => v,
                Err((pos, why)) => {
                    let (raw, reason, fix) = describe_unresolved(&why);
                    let location = Location {
                        path: suite.file.clone(),
                        line: pos.line,
                        column: pos.column,
                        snippet: None,
                    };
                    let env = raw.starts_with("${env.");
                    return Ok(Action::Skip(
                        SkipReason::Unresolved { env },
                        Finding::new(
                            &kind.generated.unresolved,
                            format!("not run: {raw} ({}:{pos}) {reason}", suite.file),
                            fix,
                        )
                        .at(location)
                        .with("reference", raw),
                    ));
                }
            }
        }
    };
    if e.with.is_some() && !with.is_object() {
        let pos = e.with.as_ref().map_or(e.pos, |w| w.pos);
        return Err(err(
            pos,
            format!("`with:` of check `{}` must be a mapping", e.id),
        ));
    }
    let with_value = with.clone();
    match Prepared::from_json(kind.name, with) {
        None => Err(err(e.kind_pos, format!("unknown check kind `{}`", e.kind))),
        Some(Ok(prepared)) => Ok(Action::Run(prepared)),
        Some(Err(de)) => {
            let path = de.path().to_string();
            let pointer = path_to_pointer(&path);
            let pos = e
                .with
                .as_ref()
                .and_then(|w| w.pointer_key(&pointer).or_else(|| w.pointer(&pointer)))
                .map_or_else(|| e.with.as_ref().map_or(e.pos, |w| w.pos), |n| n.pos);
            // A parameter name the kind does not have is the suite's mistake, whatever its
            // value: only a value taken from the node config is the config's problem.
            let unknown_field = de.inner().to_string().starts_with("unknown field");
            if !unknown_field && from_config.iter().any(|p| pointer.starts_with(p.as_str())) {
                // Say why, unless the reason repeats the value (which may be a secret).
                let inner = de.inner().to_string();
                let value = with_value
                    .pointer(&pointer)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default();
                let why = if inner.contains("invalid type")
                    || (!value.is_empty() && inner.contains(value))
                {
                    "has the wrong type".to_string()
                } else {
                    format!("is not valid: {inner}")
                };
                return Ok(Action::Skip(
                    SkipReason::Unresolved { env: false },
                    Finding::new(
                        &kind.generated.unresolved,
                        format!(
                            "not run: the node config value used for `{path}` ({}:{pos}) {why}",
                            suite.file
                        ),
                        "fix the value in the node config (see the config.schema check)",
                    ),
                ));
            }
            let inner = de.inner().to_string();
            let what = if path == "." || inner.contains("unknown field") {
                String::new()
            } else {
                format!("`{path}`: ")
            };
            Err(err(
                pos,
                format!(
                    "invalid parameters for check `{}` (kind {}): {what}{}",
                    e.id, kind.name, inner
                ),
            ))
        }
    }
}

type Substituted = Result<serde_json::Value, (Pos, Unresolved)>;

fn substitute_tree(
    node: &Node,
    pointer: &str,
    input: &PlanInput<'_>,
    from_config: &mut Vec<String>,
) -> Result<Substituted, (Pos, String)> {
    Ok(Ok(match &node.value {
        Value::Scalar(s) if !s.quoted || s.text.contains("${") => {
            if s.text.contains('$') {
                if s.text.contains("${config.") {
                    from_config.push(pointer.to_string());
                }
                match refs::substitute(&s.text, input.config, input.env) {
                    Err(m) => return Err((node.pos, m)),
                    Ok(Err(u)) => return Ok(Err((node.pos, u))),
                    Ok(Ok(v)) => v,
                }
            } else {
                node.to_json()
            }
        }
        Value::Scalar(_) => node.to_json(),
        Value::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match substitute_tree(item, &format!("{pointer}/{i}"), input, from_config)? {
                    Ok(v) => out.push(v),
                    Err(u) => return Ok(Err(u)),
                }
            }
            serde_json::Value::Array(out)
        }
        Value::Mapping(entries) => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                let key = k.as_str().unwrap_or_default().to_string();
                let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                match substitute_tree(v, &child, input, from_config)? {
                    Ok(val) => {
                        out.insert(key, val);
                    }
                    Err(u) => return Ok(Err(u)),
                }
            }
            serde_json::Value::Object(out)
        }
    }))
}

fn describe_unresolved(u: &Unresolved) -> (String, String, String) {
    match u {
        Unresolved::EnvUnset { raw } => (
            raw.clone(),
            "names an environment variable that is not set".into(),
            "set the variable, or give a fallback with `${env.NAME:-value}`".into(),
        ),
        Unresolved::NoConfig { raw } => (
            raw.clone(),
            "cannot be resolved: the node config could not be read".into(),
            "fix the node config (see the config checks)".into(),
        ),
        Unresolved::ConfigMissing { raw } => (
            raw.clone(),
            "is not set in the node config".into(),
            format!(
                "set `{}` in the node config, or remove the check from the suite",
                raw.trim_start_matches("${config.").trim_end_matches('}')
            ),
        ),
        Unresolved::ConfigEnvUnset { raw, var } => (
            raw.clone(),
            format!("refers to ${{{var}}} in the node config, which is not set"),
            format!("export {var} in the service environment"),
        ),
        Unresolved::NotScalar { raw } => (
            raw.clone(),
            "is a list or mapping and cannot be part of a longer string".into(),
            "use the reference as the whole value".into(),
        ),
    }
}

/// `foo.bar[0]` (serde_path_to_error) to `/foo/bar/0`.
fn path_to_pointer(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    let mut out = String::new();
    for seg in path.split('.') {
        let mut rest = seg;
        let name_end = rest.find('[').unwrap_or(rest.len());
        if name_end > 0 {
            out.push('/');
            out.push_str(&rest[..name_end]);
        }
        rest = &rest[name_end..];
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']').unwrap_or(stripped.len());
            out.push('/');
            out.push_str(&stripped[..close]);
            rest = stripped.get(close + 1..).unwrap_or("");
        }
    }
    out
}

/// Refuse a plan with env references that do not resolve: that is the suite's fault.
pub fn unresolved_env(plan: &Plan) -> Option<&Finding> {
    plan.checks.iter().find_map(|c| match &c.action {
        Action::Skip(SkipReason::Unresolved { env: true }, f) => Some(f),
        _ => None,
    })
}

/// Ids planned, for tests and `list`.
pub fn ids(plan: &Plan) -> HashSet<&str> {
    plan.checks.iter().map(|c| c.id.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::parse;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn input<'a>(only: &'a [String], skip: &'a [String]) -> PlanInput<'a> {
        PlanInput {
            only,
            skip,
            default_timeout: None,
            offline: false,
            config: None,
            env: &no_env,
        }
    }

    const SUITE: &str = "checks:
  - id: a
    kind: exec
    with: {command: [\"true\"]}
  - id: b
    kind: exec
    needs: [a]
    with: {command: [\"true\"]}
  - id: c
    kind: exec
    needs: [b]
    with: {command: [\"true\"]}
  - id: d
    kind: exec
    with: {command: [\"true\"]}
";

    #[test]
    fn cycle_is_reported_with_its_path() {
        let text = "checks:\n  - id: a\n    kind: exec\n    needs: [b]\n    with: {command: [x]}\n  - id: b\n    kind: exec\n    needs: [a]\n    with: {command: [x]}\n";
        let suite = parse("s", "s.yaml", text).unwrap();
        let e = plan(&suite, &input(&[], &[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "suite s.yaml:2:9: dependency cycle: a -> b -> a"
        );
    }

    #[test]
    fn unknown_need_and_kind_are_located() {
        let text = "checks:\n  - id: a\n    kind: exec\n    needs: [zz]\n";
        let suite = parse("s", "s.yaml", text).unwrap();
        let e = plan(&suite, &input(&[], &[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "suite s.yaml:4:13: check `a` needs `zz`, which is not in the suite"
        );
        let suite = parse("s", "s.yaml", "checks:\n  - id: a\n    kind: tpc\n").unwrap();
        let e = plan(&suite, &input(&[], &[])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("suite s.yaml:3:11: unknown check kind `tpc`"),
            "{e}"
        );
    }

    #[test]
    fn only_brings_needs_and_skip_drops_them() {
        let suite = parse("s", "s.yaml", SUITE).unwrap();
        let only = vec!["c".to_string()];
        let (p, w) = plan(&suite, &input(&only, &[])).unwrap();
        assert!(w.is_empty());
        assert_eq!(ids(&p), ["a", "b", "c"].into_iter().collect());
        let skip = vec!["b".to_string()];
        let (p, _) = plan(&suite, &input(&[], &skip)).unwrap();
        assert_eq!(ids(&p), ["a", "c", "d"].into_iter().collect());
        let c = p.checks.iter().find(|c| c.id == "c").unwrap();
        assert!(c.needs.is_empty());
        let none = vec!["zzz*".to_string()];
        let (_, w) = plan(&suite, &input(&[], &none)).unwrap();
        assert_eq!(w, ["pattern `zzz*` matches no check in suite s"]);
    }

    #[test]
    fn bad_parameters_are_located() {
        let text = "checks:\n  - id: a\n    kind: exec\n    with:\n      command: [x]\n      colour: red\n";
        let suite = parse("s", "s.yaml", text).unwrap();
        let e = plan(&suite, &input(&[], &[])).unwrap_err();
        assert!(e.to_string().starts_with("suite s.yaml:6:7: invalid parameters for check `a` (kind exec): unknown field `colour`"), "{e}");
    }

    #[test]
    fn unresolved_config_reference_is_a_skip_not_an_error() {
        let text = "checks:\n  - id: a\n    kind: exec\n    with:\n      command: [\"${config.nope.x}\"]\n";
        let suite = parse("s", "s.yaml", text).unwrap();
        let cfg = serde_json::json!({"endpoint": "http://x"});
        let mut inp = input(&[], &[]);
        inp.config = Some(&cfg);
        let (p, _) = plan(&suite, &inp).unwrap();
        let Action::Skip(SkipReason::Unresolved { env: false }, f) = &p.checks[0].action else {
            panic!("expected skip")
        };
        assert_eq!(f.code_name(), Some("exec.unresolved-reference"));
        assert_eq!(
            f.message,
            "not run: ${config.nope.x} (s.yaml:5:17) is not set in the node config"
        );
    }

    #[test]
    fn pointer_conversion() {
        assert_eq!(path_to_pointer("a.b[0].c"), "/a/b/0/c");
        assert_eq!(path_to_pointer("."), "");
        assert_eq!(path_to_pointer("x"), "/x");
    }
}
