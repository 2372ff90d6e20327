//! The `autoglm-doctor` binary: parse, run, map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;

use autoglm_doctor::app;
use autoglm_doctor::cli::Cli;
use autoglm_doctor::exit::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { Exit::Usage.code() } else { 0 });
        }
    };
    match app::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // Every error that reaches here means the doctor could not do its job.
            eprintln!("error: {e:#}");
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
