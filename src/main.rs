//! The `importflame` binary: parse the command line, run, print one error, pick the exit code
//! (0 success, 1 a gate failed, 2 usage or input error; CLI.md).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use importflame::{Outcome, cli::Cli, terminal};

fn main() -> ExitCode {
    let cli = Cli::parse(); // clap prints usage errors itself and exits 2
    if cli.wants_usage() {
        eprintln!(
            "importflame: nothing to read: give a file, pipe a log in, or use `importflame run -- COMMAND`\n"
        );
        eprint!("{}", Cli::command().render_help());
        return ExitCode::from(2);
    }
    match cli
        .into_config()
        .and_then(|config| importflame::run(&config))
    {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::GateFailed) => ExitCode::from(1),
        Ok(Outcome::Exited(code)) => ExitCode::from(code),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("importflame: {}", terminal::clean(&err.to_string()));
            ExitCode::from(2)
        }
    }
}
