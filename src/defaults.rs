//! Defaults a person expects: what happens when an option is left out.
//!
//! - An SVG bound for a terminal is thousands of lines of XML nobody can read: it goes to a
//!   file named after the input (`stderr.log` → `stderr.svg`, stdin → `importflame.svg`),
//!   named on stderr.
//! - `--tee`, `run` and `--open` need the graph in a file: the same default name.
//! - A bare `importflame` with a terminal on stdin would wait for input nobody types: the
//!   usage is printed instead.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::input::Source;
use crate::render::OutputFormat;

/// The file name used when nothing better is known (stdin, `run`).
pub const STEM: &str = "importflame";

/// Whether standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether standard input is a terminal.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The extension a file of `format` gets (`svg`, `folded`, `speedscope.json`, ...).
pub fn extension(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Svg => "svg",
        OutputFormat::Html => "html",
        OutputFormat::Folded => "folded",
        OutputFormat::Json => "json",
        OutputFormat::Speedscope => "speedscope.json",
        OutputFormat::Text => "txt",
        OutputFormat::Markdown => "md",
    }
}

/// The default output file for `inputs` written as `format`, in the current directory: the
/// first input's file stem, or [`STEM`] for stdin and no input. Never one of the inputs
/// themselves (`graph.svg` rendered again goes to `graph.importflame.svg`).
pub fn output_for(inputs: &[Source], format: OutputFormat) -> PathBuf {
    let ext = extension(format);
    let stem = match inputs.first() {
        Some(Source::Path(p)) => p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| STEM.to_string()),
        _ => STEM.to_string(),
    };
    let plain = PathBuf::from(format!("{stem}.{ext}"));
    if inputs.iter().any(|s| is_same_file(s, &plain)) {
        PathBuf::from(format!("{stem}.{STEM}.{ext}"))
    } else {
        plain
    }
}

fn is_same_file(source: &Source, candidate: &Path) -> bool {
    match source {
        Source::Path(p) => match (p.canonicalize(), candidate.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => p == candidate,
        },
        Source::Stdin => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_is_named_after_the_first_input() {
        let log = Source::Path("logs/stderr.log".into());
        assert_eq!(
            output_for(std::slice::from_ref(&log), OutputFormat::Svg),
            Path::new("stderr.svg")
        );
        assert_eq!(
            output_for(&[log], OutputFormat::Text),
            Path::new("stderr.txt")
        );
        assert_eq!(
            output_for(&[Source::Stdin], OutputFormat::Svg),
            Path::new("importflame.svg")
        );
        assert_eq!(
            output_for(&[], OutputFormat::Speedscope),
            Path::new("importflame.speedscope.json")
        );
    }
}
