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

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod diff;
pub mod error;
pub mod fold;
pub mod folded;
pub mod input;
pub mod limits;
pub mod model;
pub mod render;
pub mod stdlib;
pub mod terminal;

use std::io::{self, Write};
use std::path::PathBuf;

use error::Result;
use fold::{FoldOptions, Named};
use input::{Format, ParseOptions, Source};
use model::Profile;
use render::{InputSummary, OutputFormat, Report, Sink, SvgOptions};

/// What to do.
#[derive(Clone, Debug)]
pub enum Command {
    /// Render one graph (or table) of all inputs.
    Render,
    /// Compare `inputs[0]` (before) with `inputs[1]` (after).
    Diff {
        /// `--fail-on regression=…`.
        fail_on: Option<limits::Threshold>,
    },
    /// Check rules against the inputs.
    Check {
        /// `--budget`.
        budgets: Vec<limits::Budget>,
        /// `--forbid`.
        forbid: Vec<String>,
        /// `--baseline`.
        baseline: Option<Source>,
        /// `--max-regression`.
        max_regression: limits::Threshold,
    },
}

/// Everything one run needs, checked and typed (built by [`cli::Cli::into_config`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// What to do.
    pub command: Command,
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

/// Runs the configured command.
pub fn run(config: &Config) -> Result<Outcome> {
    match &config.command {
        Command::Render => render_graph(config),
        Command::Diff { fail_on } => run_diff(config, *fail_on),
        Command::Check {
            budgets,
            forbid,
            baseline,
            max_regression,
        } => run_check(config, budgets, forbid, baseline.as_ref(), *max_regression),
    }
}

fn sink(config: &Config) -> Sink {
    match &config.output {
        Some(path) => Sink::File(path.clone()),
        None => Sink::Stdout,
    }
}

fn fold_named(profiles: &[(String, Profile)], config: &Config) -> Result<folded::Folded> {
    let named: Vec<Named<'_>> = profiles
        .iter()
        .map(|(name, profile)| Named {
            name: name.clone(),
            profile,
        })
        .collect();
    fold::fold(&named, &config.fold)
}

/// The render command: read, fold, write.
fn render_graph(config: &Config) -> Result<Outcome> {
    let profiles = load_all_with(config, &render_parse_options(config))?;
    if !config.quiet {
        print_diagnostics(&profiles);
    }
    let folded = fold_named(&profiles, config)?;
    let inputs = summaries(&profiles);
    let report = Report {
        folded: &folded,
        inputs: &inputs,
        svg: &config.svg,
        top: config.top,
    };
    sink(config).write_with(|out| render::render(&report, config.format, out))?;
    Ok(Outcome::Done)
}

fn run_diff(config: &Config, fail_on: Option<limits::Threshold>) -> Result<Outcome> {
    let profiles = load_all(config)?;
    if !config.quiet {
        print_diagnostics(&profiles);
    }
    let (before, after) = (&profiles[0], &profiles[1]);
    if before.1.kind != after.1.kind {
        return Err(error::Error::usage(format!(
            "diff compares inputs of the same kind: {} is a {}, {} is a {}",
            before.0,
            before.1.kind.name(),
            after.0,
            after.1.kind.name()
        )));
    }
    let folded_before = fold_named(std::slice::from_ref(before), config)?;
    let folded_after = fold_named(std::slice::from_ref(after), config)?;
    let report = diff::compare(&folded_before, &folded_after, config.top);
    let failed = match fail_on {
        Some(t) => Some((
            t,
            t.exceeded(report.before_total, report.after_total, report.unit)
                .map_err(error::Error::usage)?,
        )),
        None => None,
    };
    render::diff::write(
        &render::diff::DiffOutput {
            before: &folded_before,
            after: &folded_after,
            report: &report,
            fail_on: failed,
            svg: &config.svg,
            quiet: config.quiet,
        },
        config.format,
        &sink(config),
    )?;
    Ok(if failed.is_some_and(|(_, f)| f) {
        Outcome::GateFailed
    } else {
        Outcome::Done
    })
}

fn run_check(
    config: &Config,
    budgets: &[limits::Budget],
    forbid: &[String],
    baseline: Option<&Source>,
    max_regression: limits::Threshold,
) -> Result<Outcome> {
    let profiles = load_all(config)?;
    if !config.quiet {
        print_diagnostics(&profiles);
    }
    let kind = profiles[0].1.kind;
    let baseline = match baseline {
        Some(source) => {
            let name = source.name();
            let profile = input::load(source, config.from, &config.parse)?;
            if profile.kind != kind {
                return Err(error::Error::usage(format!(
                    "the baseline {name} is a {}, the input a {}",
                    profile.kind.name(),
                    kind.name()
                )));
            }
            Some((name, vec![profile], max_regression))
        }
        None => None,
    };
    let rules = check::Rules {
        budgets: budgets.to_vec(),
        forbid: forbid.to_vec(),
        baseline,
    };
    let profiles: Vec<Profile> = profiles.into_iter().map(|(_, p)| p).collect();
    let verdicts = check::evaluate(&profiles, &rules).map_err(error::Error::usage)?;
    let runs = check::run_count(&profiles);
    sink(config)
        .write_with(|out| render::verdicts::write_check(&verdicts, runs, config.format, out))?;
    Ok(if verdicts.iter().all(|v| v.pass) {
        Outcome::Done
    } else {
        Outcome::GateFailed
    })
}

/// The parse options of a render: when the only output is a sorted flame graph whose roots
/// never merge (no `--merge`, `--runs` or `--flamechart`, no two inputs of the same name),
/// parsers may cut what `--min-width` would never draw ([`ParseOptions::prune_below`]).
fn render_parse_options(config: &Config) -> ParseOptions {
    let mut parse = config.parse.clone();
    let sorted_svg = config.format == OutputFormat::Svg
        && !config.svg.flamechart
        && !config.fold.merge
        && config.fold.runs.is_none();
    let mut names: Vec<String> = config
        .inputs
        .iter()
        .map(|s| model::clean_label(&s.name()).into_owned())
        .collect();
    names.sort();
    let distinct = names.windows(2).all(|w| w[0] != w[1]);
    if sorted_svg && distinct {
        parse.prune_below = config.svg.min_width.filter(|m| *m > 0.0);
    }
    parse
}

/// Reads and parses every input, in order.
pub fn load_all(config: &Config) -> Result<Vec<(String, Profile)>> {
    load_all_with(config, &config.parse)
}

/// [`load_all`] with other parse options.
fn load_all_with(config: &Config, parse: &ParseOptions) -> Result<Vec<(String, Profile)>> {
    let mut profiles = Vec::with_capacity(config.inputs.len());
    for source in &config.inputs {
        let name = source.name();
        let profile = if config.tee {
            input::tee::load(source, parse, &mut io::stdout().lock())?
        } else {
            input::load(source, config.from, parse)?
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

/// One stderr line per kind of repair, `importflame: NAME: message`, cleaned of control
/// characters (the name is the user's file name, the message may quote the input).
pub fn print_diagnostics(profiles: &[(String, Profile)]) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for (name, profile) in profiles {
        for entry in profile.diagnostics.entries() {
            let line = format!("importflame: {name}: {}", entry.message());
            let _ = writeln!(err, "{}", terminal::clean(&line));
        }
    }
}
