//! No panics on any input: every fixture, mutated many times (deterministically), goes
//! through the YAML loader and every config judge.

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
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inputs = Vec::new();
    for sub in ["config/valid", "config/invalid", "lint"] {
        for e in std::fs::read_dir(root().join("fixtures").join(sub)).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            inputs.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let checkpoint_spec: checkpoint::Spec = serde_json::from_str("{}").unwrap();
    let replication_spec: replication::Spec = serde_json::from_str("{}").unwrap();
    let clock = sync_semantics::Clock {
        offset_ms: Some(4200.0),
        synchronised: Some(false),
        ..sync_semantics::Clock::default()
    };
    let mut runs = 0;
    for text in &inputs {
        for _ in 0..40 {
            let mutated = mutate(text, &mut rng);
            let src = ConfigSource::from_text("/nonexistent/mutated.yaml", &mutated);
            let _ = config_syntax::judge(&src);
            let _ = config_schema::judge(&src);
            let _ = config_credentials::judge(&src, &no_env);
            let _ = linter.lint(&mutated, Path::new("mutated.yaml"));
            if let Ok(settings) = checkpoint::settings(&src, &no_env) {
                let _ = checkpoint::judge(&checkpoint_spec, &src, &settings, None);
            }
            let _ = replication::judge(&replication_spec, &src);
            let _ = sync_semantics::judge(&src, &clock, std::time::Duration::from_secs(1));
            runs += 1;
        }
    }
    assert!(runs > 900, "only {runs} mutated inputs");
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
