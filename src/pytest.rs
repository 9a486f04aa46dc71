//! The pytest trap: pytest's default capture (`--capture=fd`) points file descriptor 2 at a
//! temporary file while it collects and runs tests, so the `import time:` rows CPython writes
//! there in that time never reach the log. What is left is pytest's own start-up (a real run:
//! "250 ms in 311 modules" instead of "1.20 s in 1,345 modules" with `-s`), and nothing says
//! so. `--capture=sys` keeps pytest's capture of test output (it swaps `sys.stderr`, not the
//! descriptor) while the rows, written by C code straight to fd 2, pass.
//!
//! Two defences: `importflame run` adds `--capture=sys` to a pytest command that chose no
//! capture mode ([`add_capture_sys`]), and a log that shows pytest's session header but no
//! import from the test run gets a warning saying why and what to add ([`note_capture_trap`]).

use std::ffi::{OsStr, OsString};
use std::path::Path;

use crate::diagnostics::IssueKind;
use crate::error::Position;
use crate::input::importtime::{Row, parse_row};
use crate::input::text;
use crate::model::Profile;
use crate::stdlib::is_stdlib_module;

/// The warning for a log that fell into the trap.
pub const CAPTURE_TRAP: IssueKind = IssueKind {
    id: "importtime.pytest-capture",
    one: "pytest session with no imports from collecting its tests: pytest's default fd capture \
          swallows the rows printed while it collects; add --capture=sys (or -s) to pytest, or \
          use `importflame run -- python -m pytest`",
    many: "pytest sessions with no imports from collecting their tests: pytest's default fd \
           capture swallows the rows printed while it collects; add --capture=sys (or -s) to \
           pytest, or use `importflame run -- python -m pytest`",
};

/// The line pytest prints when a session starts (`===== test session starts =====`).
const SESSION_HEADER: &[u8] = b"test session starts";

/// What [`add_capture_sys`] did to a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFix {
    /// Not a pytest command: left alone.
    NotPytest,
    /// `--capture=sys` was added.
    Added,
    /// The user chose a mode that lets the rows through (`-s`, `--capture=sys|no|tee-sys`).
    UserChoseSafe,
    /// The user chose `--capture=fd` explicitly: collection rows will be missing.
    UserChoseFd,
}

/// Adds `--capture=sys` right after the pytest word of a pytest command (`pytest`, `py.test`,
/// `python -m pytest`, also behind `uv run`, `poetry run` and the like) unless the command
/// already picks a capture mode.
pub fn add_capture_sys(command: &[OsString]) -> (Vec<OsString>, CaptureFix) {
    let Some(at) = pytest_word(command) else {
        return (command.to_vec(), CaptureFix::NotPytest);
    };
    let args = &command[at + 1..];
    if let Some(mode) = chosen_capture(args) {
        let fix = if mode == "fd" {
            CaptureFix::UserChoseFd
        } else {
            CaptureFix::UserChoseSafe
        };
        return (command.to_vec(), fix);
    }
    let mut fixed = command[..=at].to_vec();
    fixed.push("--capture=sys".into());
    fixed.extend_from_slice(args);
    (fixed, CaptureFix::Added)
}

/// Index of the word after which pytest's own arguments start: the `pytest` program, or the
/// `pytest` of `-m pytest` given to a Python interpreter.
fn pytest_word(command: &[OsString]) -> Option<usize> {
    let base = |s: &OsStr| -> String {
        Path::new(s)
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let is_pytest_program = |s: &OsStr| {
        let b = base(s);
        let b = b.strip_suffix(".exe").unwrap_or(&b);
        b == "pytest" || b == "py.test"
    };
    let is_python = |s: &OsStr| base(s).starts_with("python");
    // Runners that start their next word as a program: `uv run pytest`, `poetry run pytest`.
    let mut start = 0;
    while start + 1 < command.len() && command[start + 1] == "run" {
        start += 2;
    }
    let program = command.get(start)?;
    if is_pytest_program(program) {
        return Some(start);
    }
    if is_python(program) {
        let mut i = start + 1;
        while let Some(arg) = command.get(i) {
            let arg = arg.to_string_lossy();
            if arg == "-m" {
                return (command.get(i + 1)? == "pytest").then_some(i + 1);
            }
            if arg == "-mpytest" {
                return Some(i);
            }
            // Interpreter options before -m (`-X importtime`, `-W error`, `-u`).
            if !arg.starts_with('-') {
                return None;
            }
            i += if arg == "-X" || arg == "-W" { 2 } else { 1 };
        }
    }
    None
}

/// The capture mode pytest's arguments pick: `-s` is `no`; `-p no:capture` turns capture off.
fn chosen_capture(args: &[OsString]) -> Option<String> {
    let mut mode = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--capture=") {
            mode = Some(value.to_string());
        } else if arg == "--capture" {
            mode = args.get(i + 1).map(|v| v.to_string_lossy().into_owned());
            i += 1;
        } else if is_flag_cluster_with_s(&arg)
            || (arg == "-p" && args.get(i + 1).is_some_and(|p| p == "no:capture"))
        {
            mode = Some("no".to_string());
        }
        i += 1;
    }
    mode
}

/// `-s`, or `-s` among pytest's other one-letter switches (`-vs`, `-xsv`).
fn is_flag_cluster_with_s(arg: &str) -> bool {
    let Some(letters) = arg.strip_prefix('-') else {
        return false;
    };
    !letters.is_empty()
        && !letters.starts_with('-')
        && letters.contains('s')
        && letters.chars().all(|c| "svqxl".contains(c))
}

/// Notes [`CAPTURE_TRAP`] when `data` holds pytest's session header and no import after it
/// names anything but the standard library (pytest itself imports a few stdlib modules while
/// it reports; test modules and what they import are never only stdlib in a real project).
pub fn note_capture_trap(data: &[u8], profile: &mut Profile) {
    let mut header: Option<u64> = None;
    for (number, line) in text::lines(data) {
        if header.is_none() {
            if text::find(&line, SESSION_HEADER).is_some() {
                header = Some(number);
            }
            continue;
        }
        let cleaned = text::clean_line(&line);
        if let Some((_, Row::Timed { name, .. })) = parse_row(&cleaned) {
            let top = name.split('.').next().unwrap_or(name);
            if !is_stdlib_module(top) {
                return;
            }
        }
    }
    if let Some(line) = header {
        profile.diagnostics.note(CAPTURE_TRAP, Position::Line(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    fn fixed(s: &str) -> (String, CaptureFix) {
        let (cmd, fix) = add_capture_sys(&words(s));
        let shown: Vec<String> = cmd.iter().map(|w| w.to_string_lossy().into()).collect();
        (shown.join(" "), fix)
    }

    #[test]
    fn pytest_commands_get_capture_sys_after_the_pytest_word() {
        for (given, expected) in [
            ("pytest -x tests", "pytest --capture=sys -x tests"),
            ("py.test", "py.test --capture=sys"),
            (".venv/bin/pytest -q", ".venv/bin/pytest --capture=sys -q"),
            (
                "python -m pytest -x tests/",
                "python -m pytest --capture=sys -x tests/",
            ),
            (
                "python3.12 -X dev -m pytest",
                "python3.12 -X dev -m pytest --capture=sys",
            ),
            (
                "uv run pytest -k slow",
                "uv run pytest --capture=sys -k slow",
            ),
            (
                "poetry run python -m pytest",
                "poetry run python -m pytest --capture=sys",
            ),
        ] {
            assert_eq!(
                fixed(given),
                (expected.to_string(), CaptureFix::Added),
                "{given}"
            );
        }
    }

    #[test]
    fn other_commands_and_chosen_capture_modes_are_left_alone() {
        for (given, fix) in [
            ("python app.py pytest", CaptureFix::NotPytest),
            ("python -m unittest", CaptureFix::NotPytest),
            ("make test", CaptureFix::NotPytest),
            ("pytest -s", CaptureFix::UserChoseSafe),
            ("pytest -xvs tests", CaptureFix::UserChoseSafe),
            ("pytest --capture=tee-sys", CaptureFix::UserChoseSafe),
            ("pytest --capture no", CaptureFix::UserChoseSafe),
            ("pytest -p no:capture", CaptureFix::UserChoseSafe),
            ("python -m pytest --capture=fd", CaptureFix::UserChoseFd),
        ] {
            assert_eq!(fixed(given), (given.to_string(), fix), "{given}");
        }
        // `-k slow` holds an s, but -k takes a value: not a capture switch.
        assert_eq!(fixed("pytest -kslow").1, CaptureFix::Added);
    }

    #[test]
    fn a_session_with_only_stdlib_rows_after_its_header_is_the_trap() {
        let trapped = b"import time: self [us] | cumulative | imported package\n\
import time:       100 |        100 | _pytest\n\
============================= test session starts ==============================\n\
import time:        50 |         50 |   email.feedparser\n\
import time:        40 |         90 | email.parser\n\
1 passed in 0.01s\n";
        let mut profile = crate::input::importtime::parse(trapped, &Default::default()).unwrap();
        note_capture_trap(trapped, &mut profile);
        assert_eq!(profile.diagnostics.count(CAPTURE_TRAP), 1);
        let entry = profile
            .diagnostics
            .entries()
            .find(|e| e.kind == CAPTURE_TRAP)
            .unwrap();
        assert_eq!(entry.first, Some(Position::Line(3)));

        let fine = b"import time: self [us] | cumulative | imported package\n\
============================= test session starts ==============================\n\
collecting ... import time:        50 |         50 | weatherkit\n";
        let mut profile = crate::input::importtime::parse(fine, &Default::default()).unwrap();
        note_capture_trap(fine, &mut profile);
        assert_eq!(profile.diagnostics.count(CAPTURE_TRAP), 0);
    }
}
