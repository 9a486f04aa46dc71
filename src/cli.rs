//! The command line (CLI.md): clap derive structs whose doc comments are the help text, turned
//! into a plain [`Config`] that tests can build directly.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::{Error, Result};
use crate::fold::{FoldOptions, RunsMode};
use crate::input::{Format, ParseOptions, Source};
use crate::limits::{Budget, Threshold, parse_budget, parse_fail_on, parse_threshold};
use crate::render::{OutputFormat, SvgOptions};
use crate::{Command, Config};

/// Turn Python profiling output (-X importtime logs, pstats files, py-spy dumps and
/// recordings, folded stacks) into flame graphs.
#[derive(Parser, Debug)]
#[command(
    name = "importflame",
    version,
    about,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// `diff` or `check`; without one, renders a flame graph.
    #[command(subcommand)]
    pub command: Option<Sub>,

    /// Input files; `-` or nothing reads stdin. Gzip is read transparently.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Options of the default (render) command.
    #[command(flatten)]
    pub render: RenderArgs,
}

/// The CI commands.
#[derive(Subcommand, Debug)]
pub enum Sub {
    /// Differential flame graph of AFTER against BEFORE, and what changed.
    Diff(DiffArgs),
    /// CI gate: time budgets, forbidden modules, a baseline (exit 1 when a rule fails).
    Check(CheckArgs),
}

/// `importflame diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The profile before the change (several runs in it are combined, see --runs).
    pub before: PathBuf,
    /// The profile after the change.
    pub after: PathBuf,
    /// Exit 1 when AFTER's total is this much slower: regression=10% or regression=50ms.
    #[arg(long, value_name = "regression=LIMIT", value_parser = parse_fail_on)]
    pub fail_on: Option<Threshold>,
    /// Common options.
    #[command(flatten)]
    pub common: RenderArgs,
}

/// `importflame check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Input files; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Time budget NAME=TIME: `total=400ms` for the whole report, `numpy=80ms` for a module's
    /// cumulative time; repeatable.
    #[arg(long = "budget", value_name = "NAME=TIME", value_parser = parse_budget)]
    pub budgets: Vec<Budget>,
    /// Fail when MODULE or any submodule is imported at all; repeatable.
    #[arg(long, value_name = "MODULE")]
    pub forbid: Vec<String>,
    /// Compare the total with this earlier profile.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Largest allowed growth over --baseline: 10% or 50ms.
    #[arg(long, value_name = "LIMIT", value_parser = parse_threshold, default_value = "10%")]
    pub max_regression: Threshold,
    /// Common options.
    #[command(flatten)]
    pub common: RenderArgs,
}

/// Options of the render command.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Write to FILE (atomically) instead of stdout; its extension picks the format.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format [default: from the -o extension, else svg].
    #[arg(short, long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Input format, instead of detecting it from the content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,

    /// Copy every input line that is not an import-time row to stdout (needs -o).
    #[arg(long)]
    pub tee: bool,

    /// Silence warnings about skipped, repaired or guessed rows (errors still print).
    #[arg(short, long)]
    pub quiet: bool,

    /// Fold the reports of an importtime log together instead of one root per report.
    #[arg(long)]
    pub merge: bool,

    /// Treat the reports of a log as repeated runs and combine them per stack
    /// [default: none for graphs, median for diff and check].
    #[arg(long, value_enum, value_name = "HOW")]
    pub runs: Option<RunsMode>,

    /// Keep Python 3.14 `-X importtime=2` cached rows (with zero time).
    #[arg(long)]
    pub cached: bool,

    /// Keep idle threads of py-spy and CPython 3.15 `profiling.sampling` dumps.
    #[arg(long)]
    pub idle: bool,

    /// Keep file paths whole in frame names instead of shortening them.
    #[arg(long)]
    pub full_paths: bool,

    /// Sampled inputs (py-spy, Austin, speedscope, 3.15's profiler, sampled pstats): keep each
    /// executing line as its own frame instead of merging a function's lines into one.
    #[arg(long)]
    pub keep_lines: bool,

    /// pstats: most frames in one inferred stack; deeper ones end in `[deeper frames elided]`.
    #[arg(long, value_name = "N", default_value_t = crate::input::DEFAULT_MAX_DEPTH, value_parser = parse_depth)]
    pub max_depth: usize,

    /// Top-level package to colour as your own code; repeatable.
    #[arg(long, value_name = "PACKAGE")]
    pub first_party: Vec<String>,

    /// Flame chart: x is time in import order instead of merged and sorted by name.
    #[arg(long)]
    pub flamechart: bool,

    /// Icicle graph: roots at the top.
    #[arg(long)]
    pub inverted: bool,

    /// Title of the graph [default: what it shows, e.g. total import time].
    #[arg(long)]
    pub title: Option<String>,

    /// Subtitle of the graph [default: input names and a count of repairs].
    #[arg(long)]
    pub subtitle: Option<String>,

    /// Width of the SVG in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = 1200)]
    pub width: usize,

    /// Leave out frames narrower than this percent of the total width (inferno's minwidth).
    #[arg(long, value_name = "PERCENT", default_value_t = 0.1)]
    pub min_width: f64,

    /// Rows in the text and markdown tables.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub top: usize,

    /// Worker threads for folding [default: one per core, or RAYON_NUM_THREADS].
    #[arg(short, long = "jobs", visible_alias = "threads", value_name = "N")]
    pub jobs: Option<usize>,

    /// Largest input read, after decompression (e.g. 500M, 8G).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_input_size: u64,
}

/// A stack depth of at least 3 (root, elision marker, leaf).
fn parse_depth(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 3 => Ok(n),
        _ => Err(format!("expected a depth of 3 or more, got {s:?}")),
    }
}

/// `4096`, `500K`, `500M`, `8G` (powers of 1024).
fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    let (digits, shift) = match s.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&s[..i], 10),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&s[..i], 20),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&s[..i], 30),
        _ => (s, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected a size such as 500M or 8G, got {s:?}"))?;
    n.checked_shl(shift)
        .filter(|v| v >> shift == n)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

fn sources(paths: &[PathBuf]) -> Vec<Source> {
    let mut inputs: Vec<Source> = paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Source::Stdin
            } else {
                Source::Path(p.clone())
            }
        })
        .collect();
    if inputs.is_empty() {
        inputs.push(Source::Stdin);
    }
    inputs
}

impl Cli {
    /// Checks option combinations and builds the run's configuration.
    pub fn into_config(self) -> Result<Config> {
        match self.command {
            None => build(Command::Render, sources(&self.inputs), self.render, None),
            Some(Sub::Diff(d)) => {
                let inputs = sources(&[d.before, d.after]);
                let config = build(
                    Command::Diff { fail_on: d.fail_on },
                    inputs,
                    d.common,
                    Some(RunsMode::Median),
                )?;
                if config.format == OutputFormat::Speedscope {
                    return Err(Error::usage(
                        "diff writes svg, folded, json, text or markdown",
                    ));
                }
                Ok(config)
            }
            Some(Sub::Check(c)) => {
                let command = Command::Check {
                    budgets: c.budgets,
                    forbid: c.forbid,
                    baseline: c.baseline.map(|p| sources(&[p]).remove(0)),
                    max_regression: c.max_regression,
                };
                let mut common = c.common;
                if common.format.is_none()
                    && common
                        .output
                        .as_deref()
                        .and_then(OutputFormat::from_extension)
                        .is_none()
                {
                    common.format = Some(OutputFormat::Text);
                }
                let config = build(command, sources(&c.inputs), common, Some(RunsMode::Median))?;
                if !matches!(
                    config.format,
                    OutputFormat::Text | OutputFormat::Markdown | OutputFormat::Json
                ) {
                    return Err(Error::usage("check writes text, markdown or json"));
                }
                if let Command::Check {
                    budgets,
                    forbid,
                    baseline,
                    ..
                } = &config.command
                    && budgets.is_empty()
                    && forbid.is_empty()
                    && baseline.is_none()
                {
                    return Err(Error::usage(
                        "check needs at least one rule: --budget, --forbid or --baseline",
                    ));
                }
                Ok(config)
            }
        }
    }
}

fn build(
    command: Command,
    inputs: Vec<Source>,
    r: RenderArgs,
    default_runs: Option<RunsMode>,
) -> Result<Config> {
    if inputs.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        return Err(Error::usage("stdin (-) can be read only once"));
    }
    let format = match (r.format, &r.output) {
        (Some(f), _) => f,
        (None, Some(path)) => OutputFormat::from_extension(path).unwrap_or(OutputFormat::Svg),
        (None, None) => OutputFormat::Svg,
    };
    if r.tee {
        if r.output.is_none() {
            return Err(Error::usage(
                "--tee copies the input to stdout, so the graph needs -o FILE",
            ));
        }
        if inputs.len() != 1 {
            return Err(Error::usage("--tee reads exactly one input"));
        }
        if r.from.is_some_and(|f| f != Format::Importtime) {
            return Err(Error::usage("--tee works only on importtime logs"));
        }
    }
    if r.jobs.is_some_and(|j| j > 1024) {
        return Err(Error::usage("--jobs takes at most 1024 threads"));
    }
    if r.width == 0 {
        return Err(Error::usage("--width must be at least 1 pixel"));
    }
    if !(r.min_width >= 0.0 && r.min_width.is_finite()) {
        return Err(Error::usage(
            "--min-width must be a percentage of the width, 0 or more",
        ));
    }
    if r.merge && r.runs.is_some() {
        return Err(Error::usage(
            "--merge and --runs both combine reports: pick one",
        ));
    }
    let runs = match (r.runs, r.merge) {
        (Some(runs), _) => Some(runs),
        (None, true) => None,
        (None, false) => default_runs,
    };
    Ok(Config {
        command,
        inputs,
        from: if r.tee {
            Some(Format::Importtime)
        } else {
            r.from
        },
        parse: ParseOptions {
            cached: r.cached,
            idle: r.idle,
            full_paths: r.full_paths,
            first_party: r.first_party,
            max_input_bytes: r.max_input_size,
            keep_lines: r.keep_lines,
            max_depth: r.max_depth,
            prune_below: None,
        },
        fold: FoldOptions {
            runs,
            jobs: r.jobs.unwrap_or(0),
            merge: r.merge,
            keep_order: r.flamechart,
        },
        format,
        output: r.output,
        tee: r.tee,
        quiet: r.quiet,
        svg: SvgOptions {
            title: r.title,
            subtitle: r.subtitle,
            width: Some(r.width),
            min_width: Some(r.min_width),
            flamechart: r.flamechart,
            inverted: r.inverted,
        },
        top: r.top.max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("500K"), Ok(500 << 10));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }

    #[test]
    fn tee_needs_an_output_file() {
        let cli = Cli::parse_from(["importflame", "--tee"]);
        assert!(cli.into_config().is_err());
    }
}
