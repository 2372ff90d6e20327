//! The `autoglm-doctor` binary: parse, run, map the outcome to an exit status.

use std::process::ExitCode;

use autoglm_doctor::app;
use autoglm_doctor::cli::Cli;
use autoglm_doctor::exit::Exit;

fn main() -> ExitCode {
    // First: from here on a signal is a request to stop, answered with a partial report.
    if let Err(e) = autoglm_doctor::interrupt::install() {
        eprintln!("warning: signals cannot be watched ({e}); Ctrl-C ends the run without a report");
    }
    let parsed = autoglm_doctor::cli::command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: what is wrong, clap's tip if it has one, where to look.
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
            let mut first = lines
                .next()
                .unwrap_or("error: invalid arguments")
                .to_string();
            // "the following required arguments were not provided:" lists them below.
            if first.ends_with(':') {
                let listed: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
                first.push(' ');
                first.push_str(&listed.join(", "));
            }
            let tips = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("tip:") || l.starts_with("[possible values"))
                .fold(String::new(), |mut acc, t| {
                    acc.push_str(" (");
                    acc.push_str(t);
                    acc.push(')');
                    acc
                });
            eprintln!("{first}{tips}; see --help");
            return ExitCode::from(Exit::Usage.code());
        }
    };
    match app::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // Every error that reaches here means the doctor could not do its job.
            eprintln!(
                "error: {}",
                autoglm_doctor::render::sanitize_block(&autoglm_doctor::secret::redact_message(
                    &format!("{e:#}")
                ))
            );
            ExitCode::from(Exit::Usage.code())
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
