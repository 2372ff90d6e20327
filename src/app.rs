//! The stages of a run: parse → validate (no I/O beyond reading inputs) → plan → run →
//! render → exit status. `main.rs` only maps the outcome to a process exit.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::check::{self, KINDS};
use clap::ValueEnum as _;

use crate::cli::{
    CheckArgs, Command, CompletionsArgs, ExplainArgs, ListArgs, ListFormat, ManArgs, SchemaKind,
};
use crate::config::{ConfigSource, ENV_VAR};
use crate::exit::Exit;
use crate::render::{self, Layout, Style};
use crate::report::Report;
use crate::settings::{ColorChoice, FailOn, Format, LayoutChoice};
use crate::suite::{self, plan};

/// An error that maps to exit status 2, printed as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Run a parsed command line; returns the exit status.
pub fn run(cli: crate::cli::Cli) -> Result<Exit> {
    match cli.command {
        None => check(&cli.check),
        Some(Command::Check(args)) => check(&args),
        Some(Command::List(args)) => list(&args),
        Some(Command::Explain(args)) => explain(&args),
        Some(Command::Demo(args)) => demo(&args),
        Some(Command::Compare(args)) => compare(&args),
        Some(Command::Schema(args)) => {
            let schema = match args.which {
                SchemaKind::Report => render::json::schema(),
                SchemaKind::Config => crate::config::model::json_schema(),
            };
            print_stdout(&format!("{}\n", serde_json::to_string_pretty(&schema)?))?;
            Ok(Exit::Ok)
        }
        Some(Command::Completions(args)) => completions(&args),
        Some(Command::Man(args)) => man(&args),
    }
}

/// `completions SHELL`: the completion script, generated from the same clap definitions
/// as the parser, so it can never miss a flag.
pub fn completions(args: &CompletionsArgs) -> Result<Exit> {
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "autoglm-doctor", &mut buf);
    let mut script = String::from_utf8_lossy(&buf).into_owned();
    if args.shell == clap_complete::Shell::Bash {
        script = fix_bash_states(&script);
    }
    print_stdout(&script)?;
    Ok(Exit::Ok)
}

/// clap_complete (up to 4.6.11 at least) spells the state of a subcommand of a hyphenated
/// binary one way in the bash script's dispatch loop (`autoglm__doctor__subcmd__check`) and
/// another in its case labels (`autoglm__subcmd__doctor__subcmd__check`), so no option of a
/// subcommand ever completes (clap-rs/clap#6421). Spell the labels as the loop does.
fn fix_bash_states(script: &str) -> String {
    script.replace("autoglm__subcmd__doctor", "autoglm__doctor")
}

/// `man`: the man page in roff, from the same clap definitions as the parser, with the
/// sections clap does not know about (exit status, environment, files, examples).
pub fn man(args: &ManArgs) -> Result<Exit> {
    let cmd = crate::cli::command()
        .disable_help_subcommand(true)
        .name("autoglm-doctor");
    let page = man_page(cmd.clone()).context("cannot render the man page")?;
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(cmd, dir))
            .and_then(|()| std::fs::write(dir.join("autoglm-doctor.1"), &page))
            .map_err(|e| UsageError(format!("cannot write man pages to {}: {e}", dir.display())))?;
        return Ok(Exit::Ok);
    }
    print_stdout(&String::from_utf8_lossy(&page))?;
    Ok(Exit::Ok)
}

/// Sections of the main man page that clap cannot generate, in roff.
const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
No check failed (warnings allowed unless \fB\-\-fail\-on warn\fR).
.TP
\fB1\fR
At least one check failed (or warned, with \fB\-\-fail\-on warn\fR); for \fBcompare\fR, a fact drifts.
.TP
\fB2\fR
The doctor could not do its job: bad flags, an invalid suite, an unwritable output file.
.TP
\fB130\fR, \fB143\fR, \fB129\fR
Interrupted (SIGINT or Ctrl\-C, SIGTERM, SIGHUP: 128 plus the signal's number); the partial report is still written.
.SH ENVIRONMENT
.TP
\fBAUTOGLM_CONFIG\fR
The node config to read when \fB\-\-config\fR is not given.
.TP
\fBNO_COLOR\fR
When set and not empty, \fB\-\-color auto\fR does not colour the table. Colour never changes the layout or the width.
.TP
\fBCOLUMNS\fR
The width of the table report when the terminal reports none (a pseudo\-terminal of 0 columns); 80 when unset.
.TP
\fBHTTPS_PROXY\fR, \fBHTTP_PROXY\fR, \fBALL_PROXY\fR, \fBNO_PROXY\fR (either case), \fBgrpc_proxy\fR, \fBno_grpc_proxy\fR
Read by the \fBproxy\fR check to tell whether the node's traffic to the master goes through a proxy.
.TP
\fBAWS_ACCESS_KEY_ID\fR, \fBAWS_SECRET_ACCESS_KEY\fR, \fBAWS_SESSION_TOKEN\fR, \fBAWS_PROFILE\fR, \fBAWS_SHARED_CREDENTIALS_FILE\fR, \fBAWS_CONFIG_FILE\fR, \fBAWS_WEB_IDENTITY_TOKEN_FILE\fR, \fBAWS_ROLE_ARN\fR, \fBAWS_CONTAINER_CREDENTIALS_FULL_URI\fR, \fBAWS_CONTAINER_CREDENTIALS_RELATIVE_URI\fR
Where the \fBcheckpoint\-store\fR check looks for S3 credentials, as the AWS SDKs do: it names the source it found, never a value.
.TP
\fBAWS_ENDPOINT_URL_S3\fR, \fBAWS_ENDPOINT_URL\fR, \fBAWS_REGION\fR, \fBAWS_DEFAULT_REGION\fR, \fBAWS_CA_BUNDLE\fR
The S3 endpoint, region and CA bundle of the \fBcheckpoint\-store\fR check when the node config names none.
.TP
\fBSSL_CERT_FILE\fR
The CA bundle the TLS and HTTP checks trust when the node config names none (else the distribution's bundle).
.TP
\fBTZ\fR
The node's time zone for the \fBtimezone\fR check (else /etc/localtime, then /etc/timezone).
.TP
\fBHOSTNAME\fR
The host name in the report when /proc/sys/kernel/hostname cannot be read.
.TP
\fBAUTOGLM_DOCTOR_LOOPBACK_ONLY\fR
When set and neither empty nor 0, the doctor sends no traffic to any address outside 127.0.0.0/8 and ::1 (used by tests and examples).
.SH FILES
.TP
\fI./open\-autoglm.yaml\fR, \fI/etc/open\-autoglm/config.yaml\fR
The node config, looked for in this order after \fB\-\-config\fR and \fB$AUTOGLM_CONFIG\fR.
.TP
\fI/var/log/open\-autoglm/\fR
The Open\-AutoGLM logs whose recent tail the \fBlog\-scan\fR check reads.
.SH EXAMPLES
.TP
\fBautoglm\-doctor\fR
Run the default suite (compute\-node) against the node config found in the usual places.
.TP
\fBautoglm\-doctor demo \-\-scenario expired\-cert\fR
Start a simulated master on loopback with an expired certificate and show the report.
.TP
\fBautoglm\-doctor check \-\-format json \-\-output report.json\fR
Write the full report for a script or a ticket.
.TP
\fBautoglm\-doctor check \-\-fail\-on warn \-q\fR
A CI preflight step: exit 1 on warnings too, printing only what made it fail.
.TP
\fBautoglm\-doctor explain tls.expired\fR
What a code means and how to fix it.
.TP
\fBautoglm\-doctor compare reports/\fR
Compare the JSON reports of a fleet and flag the facts that differ.
"#;

fn man_page(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    buf.extend_from_slice(MAN_EXTRA.as_bytes());
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

fn print_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .context("cannot write to standard output")?;
    out.flush().context("cannot write to standard output")?;
    Ok(())
}

fn hostname(env: &crate::probe::env::Env) -> String {
    crate::probe::fs::read_bounded_now(std::path::Path::new("/proc/sys/kernel/hostname"), 4096)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| env.var("HOSTNAME"))
        .unwrap_or_else(|| "unknown".into())
}

// The command-line edge: NO_COLOR is about the terminal, not about a check.
#[allow(clippy::disallowed_methods)]
fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The human formats' options. The width comes from the terminal whatever the colour
/// setting; a pipe or a file gets today's full table unless `--layout`/`--width` say otherwise.
fn table_style(args: &CheckArgs, to_terminal: bool) -> Style {
    let compact = match args.layout {
        LayoutChoice::Compact => true,
        LayoutChoice::Full => false,
        LayoutChoice::Auto => to_terminal,
    };
    let layout = if compact {
        Layout::Compact
    } else {
        Layout::Full
    };
    let width = args
        .width
        .map(usize::from)
        .or_else(|| to_terminal.then(crate::progress::terminal_width))
        .or((layout == Layout::Compact).then_some(80))
        .map(|w| u16::try_from(w.clamp(20, 1000)).unwrap_or(80));
    Style {
        color: args.format == Format::Table && use_color(args.color, to_terminal),
        verbose: args.verbose,
        quiet: args.quiet,
        width,
        layout,
        all: args.all || args.verbose > 0,
        warnings_fail: args.fail_on == FailOn::Warn,
    }
}

/// Pause between attempts when `--retry-timeout` is given without `--sleep`.
pub const DEFAULT_SLEEP: std::time::Duration = std::time::Duration::from_secs(2);

/// `check`: the doctor's main job.
pub fn check(args: &CheckArgs) -> Result<Exit> {
    check_in(args, crate::probe::env::Env::capture())
}

/// `check` with the environment the checks see (`demo` gives its scenario's).
fn check_in(args: &CheckArgs, vars: crate::probe::env::Env) -> Result<Exit> {
    use std::io::IsTerminal;
    let started_at = chrono::Utc::now();
    let start = Instant::now();

    // From here on a signal asks for the partial report instead of ending the process.
    crate::interrupt::handle();
    // The environment as the run started: checks see this copy, never the process's.
    let vars = Arc::new(vars);
    // The last resort for the deadline: whatever stage is running when the run should
    // long have ended (the deadline, the retries, one grace period), the process ends.
    let bound = args.deadline.saturating_add(
        args.retry_timeout
            .map_or(std::time::Duration::ZERO, |until| {
                until.saturating_add(args.sleep.unwrap_or(DEFAULT_SLEEP))
            }),
    );
    watchdog(bound.saturating_add(crate::interrupt::GRACE));

    // Validate: suite and config are read; nothing else happens yet.
    let suite = suite::load(args.suite.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let env_config = vars.var(ENV_VAR);
    // Read (bounded, a FIFO refused) and parse once, before anything else uses it.
    let limit = config_limit(&suite);
    let config = Arc::new(ConfigSource::discover_within(
        args.config.as_deref(),
        env_config.as_deref(),
        &cwd,
        limit,
    ));
    let _ = config.document();
    let master_config = args.master_config.as_deref().map(|m| {
        let m = Arc::new(ConfigSource::discover_within(Some(m), None, &cwd, limit));
        let _ = m.document();
        m
    });
    if let Some(m) = &args.master_config
        && !suite
            .entries
            .iter()
            .any(|e| check::kind_info(&e.kind).is_some_and(|k| k.uses_master_config))
    {
        eprintln!(
            "warning: --master-config {} given, but no check in suite {} compares against the master's config",
            m.display(),
            suite.name
        );
    }

    let needs_config_values = suite.entries.iter().any(|e| {
        e.with
            .as_ref()
            .is_some_and(|w| format!("{w:?}").contains("${config."))
    });
    let config_json = if needs_config_values {
        config.tree().map(crate::yaml::Node::to_json)
    } else {
        None
    };
    let env = |name: &str| vars.var(name);
    let input = plan::PlanInput {
        only: &args.only,
        skip: &args.skip,
        default_timeout: args.timeout,
        offline: args.offline,
        config: config_json.as_ref(),
        env: &env,
    };
    let (plan, warnings) = plan::plan(&suite, &input).map_err(|e| UsageError(e.to_string()))?;
    // The config as JSON served the plan only; the run does not need this copy.
    drop(config_json);
    for w in warnings {
        eprintln!("warning: {}", crate::secret::redact_message(&w));
    }
    if let Some(f) = plan::unresolved_env(&plan) {
        let at = f
            .location
            .as_ref()
            .map(|l| format!(":{}:{}", l.line, l.column))
            .unwrap_or_default();
        let reference = f
            .evidence
            .get("reference")
            .and_then(|r| r.as_str())
            .unwrap_or("?");
        return Err(UsageError(format!(
            "suite {}{at}: {reference} names an environment variable that is not set; export it or give a fallback like ${{env.NAME:-value}}",
            suite.file
        ))
        .into());
    }
    if plan.checks.is_empty() {
        return Err(UsageError(format!(
            "no check of suite {} is selected by --only/--skip",
            suite.name
        ))
        .into());
    }

    if let Some(path) = &args.output {
        crate::output::check_target(path, args.output_follow_symlink)
            .map_err(|e| UsageError(e.to_string()))?;
    }

    // Run. The scheduler runs on this thread and the checks on two workers, so a check
    // that blocks its thread (a bug) cannot keep the scheduler from its deadline or from a
    // signal.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let plan = Arc::new(plan);
    let limits = crate::run::Limits {
        concurrency: usize::from(args.concurrency),
        deadline: args.deadline,
        spent: start.elapsed(),
        retry: args.retry_timeout.map(|until| crate::run::Retry {
            until,
            sleep: args.sleep.unwrap_or(DEFAULT_SLEEP),
            warnings: args.fail_on == FailOn::Warn,
        }),
    };
    // Progress on standard error, only for a person watching a terminal.
    let progress = std::io::stderr().is_terminal().then(|| {
        Arc::new(crate::progress::Progress::new(
            &plan.checks.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            crate::progress::terminal_width(),
        ))
    });
    let (observer, ticker) = match &progress {
        Some(p) => {
            let shown = Arc::clone(p);
            let observer: crate::run::Observer = Arc::new(move |e: crate::run::Event| {
                let now = std::time::Instant::now();
                shown.observe(&e, now);
                shown.draw(&mut std::io::stderr().lock(), now);
            });
            let ticking = Arc::clone(p);
            let ticker = runtime.spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_millis(200));
                loop {
                    every.tick().await;
                    ticking.draw(&mut std::io::stderr().lock(), std::time::Instant::now());
                }
            });
            (observer, Some(ticker))
        }
        None => (crate::run::unobserved(), None),
    };
    // Stops that need no timer of the runtime: a signal (woken by the signal thread) and
    // the deadline measured by a thread of its own, shortly after the scheduler's own.
    let late = bound
        .saturating_sub(start.elapsed())
        .saturating_add(std::time::Duration::from_millis(250));
    let (deadline_tx, deadline_rx) = tokio::sync::oneshot::channel::<()>();
    let _ = std::thread::Builder::new()
        .name("deadline".into())
        .spawn(move || {
            std::thread::sleep(late);
            let _ = deadline_tx.send(());
        });
    let stop = async move {
        tokio::select! {
            _ = crate::interrupt::wait() => crate::run::Ending::Interrupted,
            Ok(()) = deadline_rx => crate::run::Ending::DeadlineReached,
        }
    };
    let (results, ending) = runtime.block_on(crate::run::execute(
        Arc::clone(&plan),
        crate::run::Sources {
            config: Arc::clone(&config),
            master_config,
            offline: args.offline,
            env: Arc::clone(&vars),
        },
        args.profile,
        limits,
        crate::run::live(),
        stop,
        observer,
    ));
    if let Some(t) = ticker {
        t.abort();
    }
    runtime.shutdown_background();
    // Plugins of checks the run gave up on go now, not when their futures are dropped.
    crate::check::exec::kill_all_groups();
    if progress.is_some() {
        crate::progress::Progress::clear(&mut std::io::stderr().lock());
    }

    // One redaction policy where values enter the report: every format, `compare` and
    // anything else reading it see the same redacted text.
    let mut results = results;
    for r in &mut results {
        crate::secret::redact_result(r);
    }
    let facts = {
        let mut f = facts(&config);
        for r in &results {
            f.extend(r.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for v in f.values_mut() {
            crate::secret::redact_json(v);
        }
        f
    };
    let report = Report {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        hostname: hostname(&vars),
        started_at,
        // The real wall time, reading and parsing the inputs included.
        duration: start.elapsed(),
        config_path: config.path.as_ref().map(|p| p.display().to_string()),
        config_sha256: config.sha256.clone(),
        suite: plan.suite.clone(),
        profile: args.profile.as_str().to_string(),
        interrupted: ending == crate::run::Ending::Interrupted,
        facts,
        results,
    };

    // Render and write.
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let style = table_style(args, to_terminal);
    let text = render::render(&report, args.format, style);
    match &args.output {
        Some(path) => {
            crate::output::write_report(path, text.as_bytes(), args.output_follow_symlink)
                .map_err(|e| UsageError(e.to_string()))?;
        }
        None => print_stdout(&text)?,
    }
    if ending == crate::run::Ending::DeadlineReached {
        eprintln!(
            "warning: the run's --deadline of {} was reached; unfinished checks are reported as timed out or not run",
            crate::duration::format(args.deadline)
        );
    }
    if report.interrupted {
        return Ok(Exit::Interrupted(
            crate::interrupt::received().map_or(130, crate::interrupt::exit_code),
        ));
    }
    Ok(Exit::of(&report, args.fail_on))
}

/// End the process if it is still running `after` from now, whatever it is doing: the
/// bound the README promises holds even against a bug that blocks every thread.
fn watchdog(after: std::time::Duration) {
    let _ = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            std::thread::sleep(after);
            eprintln!(
                "error: the run did not end within its --deadline (plus {} s to write the report); stopped",
                crate::interrupt::GRACE.as_secs()
            );
            crate::check::exec::kill_all_groups();
            std::process::exit(i32::from(Exit::Failed.code()));
        });
}

/// How much of the node config may be read: the `max_bytes` of the suite's `config.file`
/// check (the largest, if several), else the default; never more than the hard limit.
fn config_limit(suite: &suite::Suite) -> u64 {
    suite
        .entries
        .iter()
        .filter(|e| e.kind == "config.file")
        .filter_map(|e| e.with.as_ref()?.to_json().get("max_bytes")?.as_u64())
        .max()
        .unwrap_or(crate::config::DEFAULT_LIMIT)
        .clamp(crate::config::DEFAULT_LIMIT, crate::config::HARD_LIMIT)
}

fn facts(config: &ConfigSource) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut facts = std::collections::BTreeMap::new();
    if let Some(sha) = &config.sha256 {
        facts.insert("config.sha256".into(), sha.clone().into());
    }
    if let Some(tree) = config.tree() {
        // Each kind names the config values it publishes for the fleet view. Only the few
        // values looked up are converted, not the whole tree.
        for &(fact, pointer) in KINDS.iter().flat_map(|k| k.config_facts) {
            if let Some(v) = tree
                .pointer(pointer)
                .map(crate::yaml::Node::to_json)
                .filter(|v| v.is_string() || v.is_number())
            {
                facts.insert(fact.into(), v);
            }
        }
    }
    facts.insert("doctor.version".into(), env!("CARGO_PKG_VERSION").into());
    facts
}

/// `demo`: the simulated master, a matching node config, the default suite.
pub fn demo(args: &crate::cli::DemoArgs) -> Result<Exit> {
    if args.check.config.is_some() {
        return Err(UsageError(
            "demo writes its own node config; drop --config (or use `check --config`)".into(),
        )
        .into());
    }
    crate::probe::confine_to_loopback();
    let demo =
        crate::sim::scenario::start(args.scenario).context("cannot start the simulated master")?;
    eprintln!(
        "demo: scenario {} — simulated master on 127.0.0.1 (HTTPS {}), node config {}",
        args.scenario
            .to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string()),
        demo.sim.addrs.https.port(),
        demo.config.display()
    );
    let mut check_args = args.check.clone();
    check_args.config = Some(demo.config.clone());
    // The simulated master cannot simulate this machine's time daemon.
    check_args.skip.push("time.kernel".to_string());
    // The checks see this machine's environment, proxy variables included (a proxy that
    // captures localhost shows in any scenario); a proxy scenario replaces them with its own.
    let mut vars = crate::probe::env::Env::capture();
    if !demo.proxy_env.is_empty() {
        for name in crate::check::proxy::VARIABLES {
            vars.remove(name);
        }
    }
    for (name, value) in &demo.proxy_env {
        eprintln!(
            "demo: the node's service runs with {name}={}",
            crate::secret::redact_url(value)
        );
        vars.set(name.clone(), value.clone());
    }
    let exit = check_in(&check_args, vars);
    if args.keep {
        let kept = demo.dir.keep();
        eprintln!("demo: kept {}", kept.display());
    }
    exit
}

/// `compare`: the fleet drift table. Exit 1 when any fact drifts.
pub fn compare(args: &crate::cli::CompareArgs) -> Result<Exit> {
    let fleet = crate::compare::load(&args.reports).map_err(|e| UsageError(e.to_string()))?;
    for s in &fleet.skipped {
        eprintln!("warning: skipped {}", crate::render::sanitize(s));
    }
    if fleet.nodes.is_empty() {
        return Err(UsageError("no autoglm-doctor report among the inputs (write them with `check --format json --output FILE`)".into()).into());
    }
    let c = crate::compare::compare(fleet);
    match args.format {
        crate::cli::CompareFormat::Table => print_stdout(&crate::compare::render_table(
            &c,
            false,
            output_width(args.width),
        ))?,
        crate::cli::CompareFormat::Markdown => {
            print_stdout(&crate::compare::render_table(&c, true, None))?;
        }
        crate::cli::CompareFormat::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            crate::compare::render_json(&c, &mut out)
                .and_then(|()| out.flush())
                .context("cannot write to standard output")?;
        }
    }
    Ok(if c.drifting_facts > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

/// The width a table on standard output must fit: `--width`, else the terminal's (its
/// reported size, `$COLUMNS`, 80), else none (a pipe or a file gets the whole table).
fn output_width(flag: Option<u16>) -> Option<u16> {
    use std::io::IsTerminal;
    flag.or_else(|| {
        std::io::stdout()
            .is_terminal()
            .then(|| u16::try_from(crate::progress::terminal_width().clamp(20, 1000)).unwrap_or(80))
    })
}

/// `list`: the checks of a suite.
pub fn list(args: &ListArgs) -> Result<Exit> {
    let suite = suite::load(args.suite.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    // Parameters are typed here as for `check`: a bad value is the same exit-2 error. An
    // `${env.…}` reference is checked with the variable's value when it is set.
    let vars = crate::probe::env::Env::capture();
    let env = |name: &str| vars.var(name);
    let input = plan::PlanInput {
        only: &[],
        skip: &[],
        default_timeout: None,
        offline: false,
        config: None,
        env: &env,
    };
    let (plan, _) = plan::plan(&suite, &input).map_err(|e| UsageError(e.to_string()))?;
    let rows: Vec<serde_json::Value> = plan
        .checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "kind": c.kind.name,
                "category": c.kind.category,
                "needs": c.needs.iter().map(|&j| plan.checks[j].id.clone()).collect::<Vec<_>>(),
                "timeout_ms": u64::try_from(c.timeout.as_millis()).unwrap_or(u64::MAX),
                "network": match &c.action { plan::Action::Run(p) => p.network(), plan::Action::Skip(..) => c.kind.network },
                "summary": c.kind.summary,
            })
        })
        .collect();
    let text = match args.format {
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::json!({"suite": plan.suite, "file": plan.file, "checks": rows})
            )?
        ),
        ListFormat::Table => {
            let width = output_width(args.width);
            let rows: Vec<[String; 5]> = plan
                .checks
                .iter()
                .map(|c| {
                    let needs: Vec<&str> = c
                        .needs
                        .iter()
                        .map(|&j| plan.checks[j].id.as_str())
                        .collect();
                    [
                        c.id.clone(),
                        c.kind.name.to_string(),
                        if needs.is_empty() {
                            "-".into()
                        } else {
                            needs.join(", ")
                        },
                        crate::duration::format(c.timeout),
                        c.kind.summary.to_string(),
                    ]
                })
                .collect();
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                .force_no_tty();
            table.set_header(vec!["CHECK", "KIND", "NEEDS", "TIMEOUT", "WHAT IT CHECKS"]);
            for row in &rows {
                table.add_row(row.to_vec());
            }
            let fits = width.is_none_or(|w| {
                table
                    .lines()
                    .all(|l| crate::render::wrap::visible_width(&l) <= usize::from(w))
            });
            let w = width.map(usize::from);
            let mut text = crate::render::wrap::wrap(
                "",
                &format!("suite {} ({})", plan.suite, plan.file),
                2,
                w,
            )
            .join("\n");
            text.push('\n');
            if fits {
                let _ = writeln!(text, "{table}");
            } else {
                // Narrower than the table: one short block per check.
                for [id, kind, needs, timeout, summary] in &rows {
                    text.push('\n');
                    for line in crate::render::wrap::wrap(
                        "",
                        &format!(
                            "{id} ({kind}, timeout {timeout}, needs {})",
                            if needs == "-" { "nothing" } else { needs }
                        ),
                        2,
                        w,
                    ) {
                        let _ = writeln!(text, "{line}");
                    }
                    for line in crate::render::wrap::wrap("  ", summary, 2, w) {
                        let _ = writeln!(text, "{line}");
                    }
                }
            }
            text
        }
    };
    print_stdout(&text)?;
    Ok(Exit::Ok)
}

/// `explain`: a code (or a name it had before), a kind, or a check id of a shipped suite.
pub fn explain(args: &ExplainArgs) -> Result<Exit> {
    let what = args.what.trim();
    let json = args.format == ListFormat::Json;
    if let Some(resolved) = check::resolve_code(what) {
        let text = match resolved {
            check::Resolved::Code { doc, renamed_from } => {
                if json {
                    explain_json(doc.code.name, &doc.aliases, doc.code)?
                } else {
                    let mut text = String::new();
                    if let Some(old) = renamed_from {
                        let _ = writeln!(text, "`{old}` was renamed to `{}`.\n", doc.code.name);
                    }
                    let _ = write!(
                        text,
                        "{} ({} when reported)\n\n{}\n\nHow to fix: {}\n",
                        doc.code.name,
                        doc.code.status.as_str(),
                        doc.code.summary,
                        doc.code.remediation
                    );
                    if !doc.aliases.is_empty() {
                        let _ = writeln!(text, "\nEarlier names: {}", doc.aliases.join(", "));
                    }
                    let _ = write!(
                        text,
                        "\nReported by the `{}` check kind:\n\n{}\n",
                        doc.kind.name, doc.kind.explain
                    );
                    text
                }
            }
            check::Resolved::Generated {
                old,
                condition,
                example,
            } => {
                let name = format!("<kind>.{condition}");
                if json {
                    explain_json(&name, &[old.to_string()], example.code)?
                } else {
                    format!(
                        "`{old}` was renamed: every kind now reports it under its own name, `{name}` (e.g. `{}`).\n\n{name} ({} when reported)\n\n{}\n\nHow to fix: {}\n",
                        example.code.name,
                        example.code.status.as_str(),
                        example.code.summary,
                        example.code.remediation
                    )
                }
            }
        };
        print_stdout(&if json {
            text
        } else {
            fit_paragraphs(&text, output_width(args.width))
        })?;
        return Ok(Exit::Ok);
    }
    let kind = check::kind_info(what).or_else(|| {
        suite::EMBEDDED
            .iter()
            .filter_map(|(n, f, t)| suite::parse(n, f, t).ok())
            .flat_map(|s| s.entries)
            .find(|e| e.id == what)
            .and_then(|e| check::kind_info(&e.kind))
    });
    if let Some(k) = kind {
        if json {
            return Err(UsageError(format!(
                "`{what}` is a check kind or check id, not a code; --format json explains codes"
            ))
            .into());
        }
        let width = output_width(args.width);
        let mut text = fit_paragraphs(
            &format!("{} — {}\n\n{}\n\nCodes:\n", k.name, k.summary, k.explain),
            width,
        );
        // One row per code; a summary that does not fit wraps under the summary column.
        let name_width = k
            .all_codes()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0)
            .max(36);
        // Narrower than the columns and 20 for the text: the summary goes under the code.
        let narrow = width.is_some_and(|w| usize::from(w) < name_width + 9 + 20);
        for c in k.all_codes() {
            let (prefix, indent) = if narrow {
                for line in crate::render::wrap::wrap(
                    "  ",
                    &format!("{} {}", c.name, c.status.as_str()),
                    4,
                    width.map(usize::from),
                ) {
                    let _ = writeln!(text, "{line}");
                }
                ("    ".to_string(), 4)
            } else {
                let prefix = format!("  {:<name_width$} {:<5} ", c.name, c.status.as_str());
                let indent = prefix.len();
                (prefix, indent)
            };
            for line in
                crate::render::wrap::wrap(&prefix, c.summary, indent, width.map(usize::from))
            {
                let _ = writeln!(text, "{line}");
            }
        }
        print_stdout(&text)?;
        return Ok(Exit::Ok);
    }
    let codes = check::all_codes();
    let mut known: Vec<&str> = codes
        .iter()
        .map(|c| c.code.name)
        .chain(KINDS.iter().map(|k| k.name))
        .collect();
    known.sort_by_key(|k| strsim(k, what));
    Err(UsageError(format!(
        "unknown code or check `{what}` (closest: {}); `autoglm-doctor list` shows the checks, docs/codes.md every code",
        known.iter().take(3).copied().collect::<Vec<_>>().join(", ")
    ))
    .into())
}

/// Wrap each line of `text` (a paragraph, or an item of a list) at `width` columns, with
/// continuation lines indented like the line's text; without a width, the text as it is.
fn fit_paragraphs(text: &str, width: Option<u16>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let lead = body.len() - body.trim_start().len();
        let (prefix, rest) = body.split_at(lead);
        // A list item's continuation lines start under its text.
        let indent = lead + if rest.starts_with("- ") { 2 } else { 0 };
        for wrapped in crate::render::wrap::wrap(prefix, rest, indent, Some(usize::from(width))) {
            out.push_str(&wrapped);
            out.push('\n');
        }
        if !line.ends_with('\n') {
            out.pop();
        }
    }
    out
}

fn explain_json(name: &str, aliases: &[String], code: &crate::report::Code) -> Result<String> {
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&serde_json::json!({
            "code": name,
            "aliases": aliases,
            "status": code.status.as_str(),
            "summary": code.summary,
            "remediation": code.remediation,
        }))?
    ))
}

/// A cheap distance for suggestions: shared-prefix length counts most.
fn strsim(a: &str, b: &str) -> usize {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.len().max(b.len()) - common
}
