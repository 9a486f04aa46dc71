//! `importflame run -- COMMAND...`: run a command with import timing on and draw its imports.
//!
//! The command runs with `PYTHONPROFILEIMPORTTIME=1`, which every Python process it starts
//! inherits (subprocesses, multiprocessing workers, pytest-xdist workers), so each one's rows
//! become a report of their own. Its stdin and stdout are the terminal's; its stderr goes
//! through [`tee::copy`], which passes everything but the import-time rows through as it
//! arrives. importflame exits with the command's status, so `run` can stand in for the
//! command in CI scripts and `make` targets.
//!
//! While the command runs, Ctrl-C (SIGINT, SIGQUIT) is left to it: pytest prints its summary
//! on Ctrl-C and exits, and the graph of what was imported until then is still written.

use std::ffi::OsString;
use std::io;
use std::process::{Command as Process, ExitStatus, Stdio};

use crate::error::{Error, ErrorKind, Result};
use crate::input::tee;
use crate::input::{self, Format};
use crate::pytest::{self, CaptureFix};
use crate::{Config, Outcome};

/// Runs `command` `repeat` times, then renders what all runs imported with `config`.
pub fn execute(config: &Config, command: &[OsString], repeat: u32) -> Result<Outcome> {
    let (command, fix) = pytest::add_capture_sys(command);
    if !config.quiet {
        match fix {
            CaptureFix::Added => eprintln!(
                "importflame: added --capture=sys to the pytest command: its default fd capture \
                 swallows the import rows printed while it collects tests (give -s or --capture \
                 to choose yourself)"
            ),
            CaptureFix::UserChoseFd => eprintln!(
                "importflame: --capture=fd swallows the import rows printed while pytest \
                 collects tests; the graph will miss them (use --capture=sys)"
            ),
            CaptureFix::NotPytest | CaptureFix::UserChoseSafe => {}
        }
    }
    let shown = shown(&command);
    let mut data = Vec::new();
    let mut status: Option<ExitStatus> = None;
    for _ in 0..repeat {
        let (this, interrupted) = run_once(&command, &shown, config, &mut data)?;
        if status.is_none_or(|s| s.success()) {
            status = Some(this);
        }
        if interrupted {
            break;
        }
    }
    let exit = status.map_or(0, exit_code);
    let profile = match input::parse_bytes(&data, Some(Format::Importtime), &config.parse) {
        Ok(profile) => profile,
        Err(e) => {
            let e = match e.kind() {
                ErrorKind::NoData(_) => Error::no_data(
                    "printed no \"import time:\" rows: no graph written (is it a Python \
                     program, 3.7 or later? does it clear PYTHONPROFILEIMPORTTIME?)",
                ),
                _ => e,
            }
            .in_input(&shown);
            if exit == 0 {
                return Err(e);
            }
            // The command's own failure is the news; its status is passed on.
            eprintln!("importflame: {e}");
            return Ok(Outcome::Exited(exit));
        }
    };
    let reports = profile.reports.len();
    if repeat > 1 && reports != repeat as usize && !config.quiet && config.fold.runs.is_some() {
        eprintln!(
            "importflame: {repeat} runs printed {reports} reports (child processes print their \
             own): --runs combines reports, so each process counts as a run"
        );
    }
    crate::render_profiles(config, vec![(shown, profile)])?;
    Ok(if exit == 0 {
        Outcome::Done
    } else {
        Outcome::Exited(exit)
    })
}

/// One run: the command's stderr, minus the rows, goes to ours; all of it is appended to
/// `data`. Returns the exit status and whether the command died of an interrupt.
fn run_once(
    command: &[OsString],
    shown: &str,
    config: &Config,
    data: &mut Vec<u8>,
) -> Result<(ExitStatus, bool)> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Error::usage("run needs a command after --"))?;
    let mut child = Process::new(program)
        .args(args)
        .env("PYTHONPROFILEIMPORTTIME", "1")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let what = if e.kind() == io::ErrorKind::NotFound {
                "command not found".to_string()
            } else {
                e.to_string()
            };
            Error::usage(format!("cannot run {shown}: {what}"))
        })?;
    // Only after the spawn: an ignored signal stays ignored across exec.
    let _guard = signals::LeaveToChild::new();
    let pipe = child.stderr.take().expect("stderr is piped");
    let limit = config
        .parse
        .max_input_bytes
        .saturating_sub(data.len() as u64);
    let copied = tee::copy(pipe, &mut io::stderr(), limit);
    // Wait even when copying failed, so no zombie is left.
    let status = child.wait()?;
    data.extend_from_slice(&copied?);
    Ok((status, signals::was_interrupted(status)))
}

/// The command as a person would type it, for messages and the graph's subtitle.
fn shown(command: &[OsString]) -> String {
    let words: Vec<String> = command
        .iter()
        .map(|w| {
            let w = w.to_string_lossy();
            if w.is_empty()
                || w.contains(|c: char| c.is_whitespace() || "'\"\\$`;&|<>()*?".contains(c))
            {
                format!("'{}'", w.replace('\'', "'\\''"))
            } else {
                w.into_owned()
            }
        })
        .collect();
    words.join(" ")
}

/// The status importflame exits with: the command's, or 128 + the signal that killed it, as a
/// shell reports it.
fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1).max(u8::from(code != 0));
    }
    signals::signal_of(status).map_or(1, |s| 128u8.saturating_add(s as u8))
}

#[cfg(unix)]
mod signals {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    const LEFT: [libc::c_int; 2] = [libc::SIGINT, libc::SIGQUIT];

    /// While alive, SIGINT and SIGQUIT are ignored here: the terminal sends them to the whole
    /// process group, and the command decides what they mean.
    pub struct LeaveToChild([libc::sighandler_t; 2]);

    impl LeaveToChild {
        pub fn new() -> Self {
            // SAFETY: setting a signal to be ignored, and restoring it on drop.
            let old = LEFT.map(|s| unsafe { libc::signal(s, libc::SIG_IGN) });
            LeaveToChild(old)
        }
    }

    impl Drop for LeaveToChild {
        fn drop(&mut self) {
            for (signal, old) in LEFT.iter().zip(self.0) {
                // SAFETY: restoring the disposition saved in `new`.
                unsafe {
                    libc::signal(*signal, old);
                }
            }
        }
    }

    pub fn signal_of(status: ExitStatus) -> Option<i32> {
        status.signal()
    }

    pub fn was_interrupted(status: ExitStatus) -> bool {
        matches!(status.signal(), Some(libc::SIGINT | libc::SIGQUIT)) || status.code() == Some(130)
    }
}

#[cfg(not(unix))]
mod signals {
    use std::process::ExitStatus;

    pub struct LeaveToChild;

    impl LeaveToChild {
        pub fn new() -> Self {
            LeaveToChild
        }
    }

    pub fn signal_of(_status: ExitStatus) -> Option<i32> {
        None
    }

    pub fn was_interrupted(status: ExitStatus) -> bool {
        status.code() == Some(130)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_is_shown_as_typed_with_quotes_where_needed() {
        let command: Vec<OsString> = ["python", "-c", "print('x')", ""]
            .into_iter()
            .map(OsString::from)
            .collect();
        assert_eq!(shown(&command), r"python -c 'print('\''x'\'')' ''");
    }
}
