//! No panics and no hangs on any input: a bounded mutation fuzzer. Every fixture, mutated
//! many times (deterministically, from a fixed seed), goes through the parsers a hostile
//! input can reach: the YAML loader and every config judge, the suite loader and planner,
//! the token decoder and judge, and the JSON report reader `compare` uses.
//!
//! The normal run has a fixed, small case budget. `AUTOGLM_DOCTOR_FUZZ_SECONDS=600` (see
//! `scripts/fuzz.sh`) runs each target for that long instead, from a seed of its own
//! (`AUTOGLM_DOCTOR_FUZZ_SEED`), and prints the figures recorded in docs/reliability.md.

use autoglm_doctor::check::{
    checkpoint, config_credentials, config_schema, config_syntax, log_scan, replication,
    sync_semantics,
};
use autoglm_doctor::config::ConfigSource;
use autoglm_doctor::lint::Linter;

use super::*;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPICE: &[&str] = &[
    "\t", ":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!str ", "\"", "'", "#", "\n", "---\n",
    "${", "}", "|\n", ">-\n", "? ", "\u{0}", "\u{feff}", "é", "\r\n", "<<: *a\n",
];

/// How long one case may take before it counts as a hang (a correctness bound: real cases
/// take milliseconds).
const HANG: std::time::Duration = std::time::Duration::from_secs(10);

/// The fuzzing budget: a fixed number of rounds, or a time from the environment.
struct Budget {
    rounds: usize,
    until: Option<std::time::Instant>,
    seed: u64,
}

impl Budget {
    fn new(rounds: usize, seed: u64) -> Self {
        let secs = std::env::var("AUTOGLM_DOCTOR_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok());
        let seed = std::env::var("AUTOGLM_DOCTOR_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map_or(seed, |s| s | 1);
        Self {
            rounds,
            until: secs.map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s)),
            seed,
        }
    }

    fn more(&self, round: usize) -> bool {
        match self.until {
            Some(t) => std::time::Instant::now() < t,
            None => round < self.rounds,
        }
    }
}

/// Run `case` on mutations of `inputs` until the budget is spent; returns the number of
/// cases and asserts none took [`HANG`] or longer.
fn fuzz(
    name: &str,
    inputs: &[String],
    rounds: usize,
    seed: u64,
    mut case: impl FnMut(&str),
) -> usize {
    let budget = Budget::new(rounds, seed);
    let mut rng = Rng(budget.seed);
    let mut cases = 0;
    let mut slowest = std::time::Duration::ZERO;
    let start = std::time::Instant::now();
    let mut round = 0;
    while budget.more(round) {
        for text in inputs {
            // Sometimes mutate a mutation: deeper changes, still reproducible.
            let mut mutated = mutate(text, &mut rng);
            for _ in 0..rng.below(3) {
                mutated = mutate(&mutated, &mut rng);
            }
            let t = std::time::Instant::now();
            case(&mutated);
            let took = t.elapsed();
            assert!(
                took < HANG,
                "{name}: one case took {took:?} (seed {}, round {round})",
                budget.seed
            );
            slowest = slowest.max(took);
            cases += 1;
        }
        round += 1;
    }
    if budget.until.is_some() {
        eprintln!(
            "fuzz {name}: {cases} cases in {:.0} s, 0 panics, slowest case {:.1} ms, seed {}",
            start.elapsed().as_secs_f64(),
            slowest.as_secs_f64() * 1000.0,
            budget.seed
        );
    }
    cases
}

fn fixtures(subs: &[&str]) -> Vec<String> {
    let mut inputs = Vec::new();
    for sub in subs {
        let mut paths: Vec<_> = std::fs::read_dir(root().join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for p in paths {
            inputs.push(String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned());
        }
    }
    inputs
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 if !chars.is_empty() => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let spice = SPICE[rng.below(SPICE.len())];
                for (i, c) in spice.chars().enumerate() {
                    chars.insert((at + i).min(chars.len()), c);
                }
            }
            _ => {
                if let Some(c) = chars.get_mut(at) {
                    *c = SPICE[rng.below(SPICE.len())].chars().next().unwrap_or(' ');
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_configs_never_panic_any_judge() {
    let linter = Linter::new("relaxed", None).unwrap();
    let no_env = |_: &str| None;
    let inputs = fixtures(&[
        "fixtures/config/valid",
        "fixtures/config/invalid",
        "fixtures/lint",
    ]);
    let checkpoint_spec: checkpoint::Spec = serde_json::from_str("{}").unwrap();
    let replication_spec: replication::Spec = serde_json::from_str("{}").unwrap();
    let clock = sync_semantics::Clock {
        offset_ms: Some(4200.0),
        synchronised: Some(false),
        ..sync_semantics::Clock::default()
    };
    let runs = fuzz("config", &inputs, 40, 0x9E37_79B9_7F4A_7C15, |mutated| {
        let src = ConfigSource::from_text("/nonexistent/mutated.yaml", mutated);
        let _ = config_syntax::judge(&src);
        let _ = config_schema::judge(&src);
        let _ = config_credentials::judge(&src, &no_env);
        let _ = linter.lint(mutated, Path::new("mutated.yaml"));
        if let Ok(settings) = checkpoint::settings(&src, &no_env) {
            let _ = checkpoint::judge(&checkpoint_spec, &src, &settings, None);
        }
        let _ = replication::judge(&replication_spec, &src);
        let _ = sync_semantics::judge(&src, &clock, std::time::Duration::from_secs(1));
    });
    assert!(runs > 900, "only {runs} mutated inputs");
}

#[test]
fn mutated_suites_never_panic_the_loader_or_the_planner() {
    let inputs = fixtures(&["checks"]);
    let config = serde_json::json!({
        "endpoint": "https://127.0.0.1:8443",
        "api": {"version": "2.5"},
        "auth": {"ca_certificate": {"path": "ca.pem"}},
        "sync": {"ports": {"http": 8080}},
    });
    let env = |_: &str| Some("x".to_string());
    let runs = fuzz("suite", &inputs, 60, 0x6A09_E667_F3BC_C908, |mutated| {
        if let Ok(suite) = autoglm_doctor::suite::parse("fuzz", "fuzz.yaml", mutated) {
            let input = autoglm_doctor::suite::plan::PlanInput {
                only: &[],
                skip: &[],
                default_timeout: None,
                offline: false,
                config: Some(&config),
                env: &env,
            };
            let _ = autoglm_doctor::suite::plan::plan(&suite, &input);
        }
    });
    assert!(runs >= 180, "only {runs} mutated suites");
}

#[test]
fn mutated_tokens_never_panic_the_decoder_or_the_judge() {
    use autoglm_doctor::check::auth_token::{Input, judge};
    // Real tokens, and their decoded parts, so mutations reach the claims too.
    let key = autoglm_doctor::sim::signing_key("k1").unwrap();
    let mut inputs =
        vec![std::fs::read_to_string(root().join("fixtures/files/node.token")).unwrap()];
    for claims in [
        serde_json::json!({"iat": 1_800_000_000, "exp": 1_800_003_600, "nbf": 1_800_000_000, "aud": ["a", "b"]}),
        serde_json::json!({"iat": 1e300, "exp": -1e300, "sub": "x"}),
    ] {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": "k1"});
        inputs.push(autoglm_doctor::jwt::sign_es256(&header, &claims, &key.private_pem).unwrap());
        inputs.push(format!("{header}.{claims}.sig"));
    }
    let runs = fuzz("token", &inputs, 300, 0xBB67_AE85_84CA_A73B, |mutated| {
        let _ = autoglm_doctor::jwt::parse(mutated);
        let _ = judge(&Input {
            raw: Ok(mutated.to_string()),
            algorithm: Some("ES256".into()),
            key: None,
            jwks: Some(vec![key.jwk.clone()]),
            master_ttl: Some(3600),
            issuer: Some(("https://m".into(), "the master's")),
            audience: Some(("open-autoglm".into(), "the master's")),
            node_ttl: None,
            offset_ms: Some(-1.5e12),
            now: 1_800_000_100,
        });
    });
    assert!(runs >= 1500, "only {runs} mutated tokens");
}

#[test]
fn mutated_reports_never_panic_the_report_reader() {
    use autoglm_doctor::render::json::ReportV1;
    let dir = tempfile::tempdir().unwrap();
    let report = json_report(
        &doctor(dir.path())
            .args(["check", "--format", "json", "--config"])
            .arg(root().join("fixtures/config/valid/healthy.yaml"))
            .args(["--offline", "--only", "config.syntax,config.schema"])
            .output()
            .unwrap(),
    );
    let inputs = vec![
        serde_json::to_string_pretty(&report).unwrap(),
        serde_json::to_string(&report).unwrap(),
    ];
    let path = dir.path().join("r.json");
    let runs = fuzz("report", &inputs, 150, 0x3C6E_F372_FE94_F82B, |mutated| {
        let _ = serde_json::from_str::<ReportV1>(mutated);
        std::fs::write(&path, mutated).unwrap();
        if let Ok(fleet) = autoglm_doctor::compare::load(std::slice::from_ref(&path)) {
            let c = autoglm_doctor::compare::compare(fleet);
            let _ = autoglm_doctor::compare::render_table(&c, false, None);
            let _ = autoglm_doctor::compare::render_json(&c, &mut Vec::new());
        }
    });
    assert!(runs >= 300, "only {runs} mutated reports");
}

#[test]
fn mutated_log_lines_never_panic_the_scanner_or_the_redactor() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let local = |naive: chrono::NaiveDateTime| Some(naive.and_utc());
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let window = log_scan::Window::new(as_of, std::time::Duration::from_secs(3600), &local);
    let mut runs = 0;
    for e in std::fs::read_dir(root().join("fixtures/recovery/logs")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for _ in 0..200 {
            let mutated = mutate(&text, &mut rng);
            for line in mutated.lines() {
                let _ = autoglm_doctor::secret::redact_text(line);
                let _ = log_scan::target(line);
                let _ = log_scan::line_time(line, &window);
            }
            let mut hits = std::collections::BTreeMap::new();
            let _ =
                log_scan::scan_text(mutated.as_bytes(), "m.log", None, &window, &mut hits, None);
            runs += 1;
        }
    }
    assert!(runs >= 600, "only {runs} mutated logs");
}
