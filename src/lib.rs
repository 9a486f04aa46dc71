//! importflame turns Python profiling output into flame graphs.
//!
//! The pipeline (see README.md for the user's view):
//!
//! 1. [`input`] reads each input (path, stdin, gzip), detects its format from the content and
//!    parses it into a [`model::Profile`]: stacks root first, integer weights, and
//!    [`diagnostics::Diagnostics`] for everything skipped, repaired or guessed.
//! 2. [`fold`] merges the stacks of all inputs in parallel and sorts them, so the output is
//!    the same bytes for any thread count.
//! 3. [`render`] writes SVG (through inferno), folded stacks, JSON or a table, to stdout or
//!    atomically to a file.
#![warn(missing_docs)]

pub mod cli;
pub mod diagnostics;
pub mod error;
pub mod fold;
pub mod input;
pub mod model;
pub mod render;
pub mod stdlib;

use std::io::{self, Write};
use std::path::PathBuf;

use error::Result;
use fold::{FoldOptions, Named};
use input::{Format, ParseOptions, Source};
use model::Profile;
use render::{InputSummary, OutputFormat, Report, Sink, SvgOptions};

/// Everything one run needs, checked and typed (built by [`cli::Cli::into_config`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// Inputs in order.
    pub inputs: Vec<Source>,
    /// Input format override.
    pub from: Option<Format>,
    /// Parser options.
    pub parse: ParseOptions,
    /// Fold options.
    pub fold: FoldOptions,
    /// Output format.
    pub format: OutputFormat,
    /// Output file, or stdout.
    pub output: Option<PathBuf>,
    /// Copy non-row input lines to stdout.
    pub tee: bool,
    /// No warnings.
    pub quiet: bool,
    /// SVG look.
    pub svg: SvgOptions,
    /// Rows in tables.
    pub top: usize,
}

/// How a successful run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All done.
    Done,
    /// A `check` or `diff --fail-on` condition failed (exit 1).
    GateFailed,
}

/// Runs the render command: read, fold, write.
pub fn run(config: &Config) -> Result<Outcome> {
    let profiles = load_all(config)?;
    if !config.quiet {
        print_diagnostics(&profiles);
    }
    let named: Vec<Named<'_>> = profiles
        .iter()
        .map(|(name, profile)| Named {
            name: name.clone(),
            profile,
        })
        .collect();
    let folded = fold::fold(&named, &config.fold)?;
    let inputs = summaries(&profiles);
    let report = Report {
        folded: &folded,
        inputs: &inputs,
        svg: &config.svg,
        top: config.top,
    };
    let sink = match &config.output {
        Some(path) => Sink::File(path.clone()),
        None => Sink::Stdout,
    };
    sink.write_with(|out| render::render(&report, config.format, out))?;
    Ok(Outcome::Done)
}

/// Reads and parses every input, in order.
pub fn load_all(config: &Config) -> Result<Vec<(String, Profile)>> {
    let mut profiles = Vec::with_capacity(config.inputs.len());
    for source in &config.inputs {
        let name = source.name();
        let profile = if config.tee {
            let data = {
                let reader = source.open()?;
                let stdout = io::stdout();
                let mut out = stdout.lock();
                let data =
                    input::importtime::tee_copy(reader, &mut out, config.parse.max_input_bytes)
                        .map_err(|e| e.in_input(&name))?;
                out.flush()?;
                data
            };
            input::importtime::parse(&data, &config.parse).map_err(|e| e.in_input(&name))?
        } else {
            input::load(source, config.from, &config.parse)?
        };
        profiles.push((name, profile));
    }
    Ok(profiles)
}

/// Per-input summaries for renderers.
pub fn summaries(profiles: &[(String, Profile)]) -> Vec<InputSummary> {
    profiles
        .iter()
        .map(|(name, p)| InputSummary {
            name: name.clone(),
            kind: p.kind,
            facts: p.facts.clone(),
            diagnostics: p.diagnostics.clone(),
        })
        .collect()
}

/// One stderr line per kind of repair, `importflame: NAME: message`.
pub fn print_diagnostics(profiles: &[(String, Profile)]) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for (name, profile) in profiles {
        for entry in profile.diagnostics.entries() {
            let _ = writeln!(err, "importflame: {name}: {}", entry.message());
        }
    }
}
