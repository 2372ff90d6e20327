//! The command line (SPEC §2), defined once with clap derive.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::settings::{ColorChoice, FailOn, Format, LayoutChoice, Profile};

/// Diagnose why an Open-AutoGLM node cannot sync with its master.
///
/// Runs config, network, TLS, auth, time and API checks concurrently in causal order and
/// prints one report that names the root cause and the fix. `autoglm-doctor` alone runs
/// `check` with the default suite.
#[derive(Debug, Parser)]
#[command(
    name = "autoglm-doctor",
    version,
    args_conflicts_with_subcommands = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks of a suite and report (the default command).
    Check(CheckArgs),
    /// List the checks of a suite with their kinds and needs.
    List(ListArgs),
    /// Explain a code, a check kind or a check id: meaning and remediation.
    Explain(ExplainArgs),
    /// Print a JSON Schema: the report format or the node config.
    Schema(SchemaArgs),
    /// Start a simulated master and a matching node config, run the checks, clean up.
    Demo(DemoArgs),
    /// Compare JSON reports from many nodes: one row per fact, drift flagged.
    Compare(CompareArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum CompareFormat {
    #[default]
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Report files, directories of `*.json` reports, or `-` for reports on standard input.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Fit the table into N columns [default: the terminal's width; no limit in a pipe].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..=1000))]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// What goes wrong (healthy: nothing).
    #[arg(long, value_enum, default_value_t = crate::sim::scenario::Scenario::Healthy)]
    pub scenario: crate::sim::scenario::Scenario,
    /// Keep the generated node config and print where it is.
    #[arg(long)]
    pub keep: bool,
    #[command(flatten)]
    pub check: CheckArgs,
}

// Command-line switches are booleans by nature; an enum per switch would only rename them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Node config (default: $AUTOGLM_CONFIG, ./open-autoglm.yaml, /etc/open-autoglm/config.yaml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Embedded suite name (compute-node, master-node, ci-preflight) or a suite file.
    #[arg(long, value_name = "NAME|PATH", value_parser = Offer(suite_names), hide_possible_values = true)]
    pub suite: Option<String>,
    /// A copy of the master's config, to compare against.
    #[arg(long, value_name = "PATH")]
    pub master_config: Option<PathBuf>,
    /// Run only checks whose id or kind matches (glob, comma-separated); their needs come along.
    #[arg(long, value_name = "PATTERN,..", value_delimiter = ',', value_parser = Offer(check_names), hide_possible_values = true)]
    pub only: Vec<String>,
    /// Leave out checks whose id or kind matches (glob, comma-separated).
    #[arg(long, value_name = "PATTERN,..", value_delimiter = ',', value_parser = Offer(check_names), hide_possible_values = true)]
    pub skip: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// When --output names a symbolic link, write the file it points to (refused otherwise).
    #[arg(long, requires = "output")]
    pub output_follow_symlink: bool,
    /// Timeout of each check that sets none in the suite (e.g. 500ms, 3s, 1m; 1ms to 24h).
    #[arg(long, value_name = "DUR", value_parser = parse_limit)]
    pub timeout: Option<Duration>,
    /// Bound on the whole run (on each attempt with --retry-timeout; 1ms to 24h); checks still running then fail as timed out.
    #[arg(long, value_name = "DUR", value_parser = parse_limit, default_value = "60s")]
    pub deadline: Duration,
    /// Run failing checks (and what they block) again until all pass; no attempt starts after DUR (1ms to 24h).
    #[arg(long, value_name = "DUR", value_parser = parse_limit)]
    pub retry_timeout: Option<Duration>,
    /// Pause between attempts with --retry-timeout [default: 2s].
    #[arg(long, value_name = "DUR", value_parser = parse_duration, requires = "retry_timeout")]
    pub sleep: Option<Duration>,
    /// Most checks running at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Tolerance profile (clock skew: strict 10ms, default 1s, lenient 5s).
    #[arg(long, value_enum, default_value_t = Profile::Default)]
    pub profile: Profile,
    /// Run only checks that need no network.
    #[arg(long)]
    pub offline: bool,
    /// Exit 1 on failed checks only, or on warnings too.
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,
    /// Colour the table (NO_COLOR is honoured under auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Table layout: compact (failures in full, passes folded, root cause last) on a
    /// terminal, full (one row per check) in a pipe or file.
    #[arg(long, value_enum, default_value_t = LayoutChoice::Auto)]
    pub layout: LayoutChoice,
    /// Fit the table report into N columns [default: the terminal's width, else $COLUMNS,
    /// else 80; no limit in a pipe or file].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..=1000))]
    pub width: Option<u16>,
    /// List passing and skipped checks one by one in the compact layout.
    #[arg(long)]
    pub all: bool,
    /// Show every finding and evidence (implies --all).
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Show only root causes and the summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Embedded suite name or suite file.
    #[arg(long, value_name = "NAME|PATH", value_parser = Offer(suite_names), hide_possible_values = true)]
    pub suite: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Fit the table into N columns [default: the terminal's width; no limit in a pipe].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..=1000))]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// A code (config-schema.out-of-range, or a name it had before), a kind (config-schema)
    /// or a check id.
    #[arg(value_name = "CODE|CHECK-ID", value_parser = Offer(explainable), hide_possible_values = true)]
    pub what: String,
    /// `json` prints a code as {"code", "aliases", "status", "summary", "remediation"}.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Wrap the text at N columns [default: the terminal's width, else $COLUMNS, else 80;
    /// one line per paragraph in a pipe or file].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..=1000))]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The JSON report (`--format json`).
    Report,
    /// The Open-AutoGLM node config.
    Config,
}

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {
    #[arg(value_enum)]
    pub which: SchemaKind,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write autoglm-doctor.1 and one page per command (autoglm-doctor-check.1, ...) into DIR
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The command line as the binary parses it, documents it (man page) and completes it.
///
/// `demo` writes its own node config, so its inherited `--config` is hidden (given anyway,
/// it is refused with a message saying why).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommand("demo", |demo| {
        demo.mut_arg("config", |config| config.hide(true))
    })
}

/// A free-form string argument whose usual values are offered by shell completion (clap's
/// completion scripts list an argument's possible values) without restricting it: `--suite`
/// also takes a file, `--only` a glob, `explain` a check id.
#[derive(Clone, Copy)]
struct Offer(fn() -> Vec<String>);

impl clap::builder::TypedValueParser for Offer {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.0)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// The embedded suites' names.
fn suite_names() -> Vec<String> {
    crate::suite::EMBEDDED
        .iter()
        .map(|(name, _, _)| (*name).to_string())
        .collect()
}

/// Check kinds and the check ids of the embedded suites (what `--only`/`--skip` match).
fn check_names() -> Vec<String> {
    let mut names: Vec<String> = crate::check::KINDS
        .iter()
        .map(|k| k.name.to_string())
        .collect();
    for (name, file, text) in crate::suite::EMBEDDED {
        if let Ok(suite) = crate::suite::parse(name, file, text) {
            names.extend(suite.entries.into_iter().map(|e| e.id));
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Everything `explain` knows: codes, kinds and check ids.
fn explainable() -> Vec<String> {
    let mut names: Vec<String> = crate::check::all_codes()
        .into_iter()
        .map(|c| c.code.name.to_string())
        .collect();
    names.extend(check_names());
    names.sort();
    names.dedup();
    names
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse_within(s, Duration::ZERO, crate::duration::LIMIT_MAX)
        .map_err(|e| e.to_string())
}

/// `--timeout`, `--deadline`, `--retry-timeout`: from 1ms to 24h, so no clock arithmetic on
/// them can overflow and a zero limit cannot end a run before it starts.
fn parse_limit(s: &str) -> Result<Duration, String> {
    crate::duration::parse_limit(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn completion_values_are_offered_but_not_required() {
        let cmd = command();
        let check = cmd.find_subcommand("check").unwrap();
        let offered = |cmd: &clap::Command, arg: &str| -> Vec<String> {
            cmd.get_arguments()
                .find(|a| a.get_id() == arg)
                .unwrap()
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect()
        };
        assert_eq!(
            offered(check, "suite"),
            ["compute-node", "master-node", "ci-preflight"]
        );
        assert!(offered(check, "only").contains(&"tls".to_string()));
        let explain = cmd.find_subcommand("explain").unwrap();
        let codes = offered(explain, "what");
        assert!(codes.iter().any(|c| c == "tls.expired"), "{codes:?}");
        // Any value is still accepted.
        let cli = Cli::try_parse_from(["autoglm-doctor", "--suite", "./mine.yaml"]).unwrap();
        assert_eq!(cli.check.suite.as_deref(), Some("./mine.yaml"));
    }

    #[test]
    fn demo_help_does_not_offer_config() {
        let mut cmd = command();
        let help = cmd
            .find_subcommand_mut("demo")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(!help.contains("--config"), "{help}");
        assert!(help.contains("--scenario"), "{help}");
    }

    #[test]
    fn bare_flags_run_check() {
        let cli =
            Cli::try_parse_from(["autoglm-doctor", "--config", "x.yaml", "--timeout", "500ms"])
                .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.check.timeout, Some(Duration::from_millis(500)));
    }

    #[test]
    fn bad_duration_is_refused() {
        let err =
            Cli::try_parse_from(["autoglm-doctor", "check", "--timeout", "banana"]).unwrap_err();
        assert!(
            err.to_string().contains("invalid duration `banana`"),
            "{err}"
        );
    }

    #[test]
    fn sleep_needs_retry_timeout() {
        let err = Cli::try_parse_from(["autoglm-doctor", "check", "--sleep", "1s"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let cli = Cli::try_parse_from([
            "autoglm-doctor",
            "--retry-timeout",
            "1m",
            "--sleep",
            "500ms",
        ])
        .unwrap();
        assert_eq!(cli.check.retry_timeout, Some(Duration::from_secs(60)));
        assert_eq!(cli.check.sleep, Some(Duration::from_millis(500)));
    }

    #[test]
    fn only_splits_on_commas() {
        let cli =
            Cli::try_parse_from(["autoglm-doctor", "check", "--only", "config.*,exec"]).unwrap();
        let Some(Command::Check(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.only, ["config.*", "exec"]);
    }
}
