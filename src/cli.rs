//! The command line (CLI.md): clap derive structs whose doc comments are the help text, turned
//! into a plain [`Config`] that tests can build directly.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::filter::Filters;
use crate::filter::pattern::Pattern;
use crate::fold::{FoldOptions, RunsMode};
use crate::input::{Format, ParseOptions, Source};
use crate::limits::{Budget, FailOn, Threshold, parse_budget, parse_fail_on, parse_threshold};
use crate::render::{OutputFormat, SvgOptions};
use crate::{Command, Config, defaults, project};

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
    /// `diff`, `check` or `run`; without one, renders a flame graph.
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
    /// Compare BEFORE with AFTER: a graph of both sides' stacks coloured by the change, and
    /// what appeared, disappeared, grew, shrank and moved.
    Diff(DiffArgs),
    /// CI gate: time budgets, forbidden modules, a baseline (exit 1 when a rule fails).
    Check(CheckArgs),
    /// Run COMMAND with import timing on (PYTHONPROFILEIMPORTTIME=1, child processes too),
    /// pass its output through, draw its imports; exits with COMMAND's status.
    #[command(
        override_usage = "importflame run [OPTIONS] [--] COMMAND...",
        mut_arg("output", |a| a
            .help("Write the graph to FILE (atomically); its extension picks the format [default: importflame.svg, named on stderr]"))
    )]
    Run(RunArgs),
}

/// `importflame run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Run COMMAND N times and combine the runs per stack (median unless --runs says otherwise).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Common options.
    #[command(flatten)]
    pub common: RenderArgs,
    /// The command and its arguments (after `--`, or from the first word that is not an
    /// importflame option on). For pytest (`pytest`, `py.test`, `python -m pytest`)
    /// `--capture=sys` is added unless a capture option is given, since pytest's default fd
    /// capture swallows the rows printed while it collects tests.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

/// `importflame diff`: only the options a comparison uses.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The profile before the change (several runs in it are combined, see --runs).
    pub before: PathBuf,
    /// The profile after the change.
    pub after: PathBuf,
    /// Exit 1 when AFTER's total is this much slower: regression=10% or regression=50ms;
    /// significant-regression=10% also needs the change to be larger than the run-to-run
    /// noise (several runs per side whose totals do not overlap).
    #[arg(long, value_name = "[significant-]regression=LIMIT", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    /// Write to FILE (atomically) instead of stdout; its extension picks the format. An SVG
    /// is never printed on a terminal: without -o it goes to diff.svg, named on stderr.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format: svg, folded, json, text or markdown: the comparison graph, both sides'
    /// stacks `STACK BEFORE AFTER`, or the full report [default: from the -o extension, else
    /// svg].
    #[arg(short, long, value_enum)]
    pub format: Option<DiffFormat>,
    /// Rows per list of the report (appeared, disappeared, grew, shrank, moved).
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub top: usize,
    /// Open the written graph in the default browser (writes diff.svg when there is no -o).
    #[arg(long)]
    pub open: bool,
    /// Graph options.
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Input options.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `importflame check`: only the options a gate uses.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Input files; `-` or nothing reads stdin. Their reports are the runs measured.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Budget NAME=LIMIT: `total=400ms` for the whole report, `numpy=80ms` for a module's
    /// cumulative time (pstats: its `<module>` frame), `main=1s` for a function's,
    /// `_is_prime=20%` for a share of the total; a name in no frame is an error; repeatable.
    #[arg(long = "budget", value_name = "NAME=LIMIT", value_parser = parse_budget)]
    pub budgets: Vec<Budget>,
    /// Fail when MODULE or any submodule is imported at all; repeatable.
    #[arg(long, value_name = "MODULE")]
    pub forbid: Vec<String>,
    /// Compare the total with this earlier profile (its runs combined the same way).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Largest allowed growth over --baseline: 10% or 50ms.
    #[arg(long, value_name = "LIMIT", value_parser = parse_threshold, default_value = "10%")]
    pub max_regression: Threshold,
    /// Write to FILE (atomically) instead of stdout; `.md` and `.json` pick the format.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format: text, markdown or json, of the verdict table [default: from the -o
    /// extension, else text].
    #[arg(short, long, value_enum)]
    pub format: Option<CheckFormat>,
    /// Input options.
    #[command(flatten)]
    pub input: InputArgs,
}

/// What `diff` writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// The comparison graph: both sides' stacks, coloured by the change.
    Svg,
    /// Both sides' stacks, `STACK BEFORE AFTER` per line.
    Folded,
    /// The full report as JSON.
    Json,
    /// The full report for the terminal.
    Text,
    /// The full report as GitHub-flavoured Markdown.
    Markdown,
}

impl From<DiffFormat> for OutputFormat {
    fn from(f: DiffFormat) -> OutputFormat {
        match f {
            DiffFormat::Svg => OutputFormat::Svg,
            DiffFormat::Folded => OutputFormat::Folded,
            DiffFormat::Json => OutputFormat::Json,
            DiffFormat::Text => OutputFormat::Text,
            DiffFormat::Markdown => OutputFormat::Markdown,
        }
    }
}

/// What `check` writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// The verdict table for the terminal.
    Text,
    /// The verdict table as GitHub-flavoured Markdown.
    Markdown,
    /// The verdicts as JSON.
    Json,
}

impl From<CheckFormat> for OutputFormat {
    fn from(f: CheckFormat) -> OutputFormat {
        match f {
            CheckFormat::Text => OutputFormat::Text,
            CheckFormat::Markdown => OutputFormat::Markdown,
            CheckFormat::Json => OutputFormat::Json,
        }
    }
}

/// Options of the render command.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Write to FILE (atomically) instead of stdout; its extension picks the format (.svg,
    /// .html, .folded, .txt, .json, .speedscope.json, .md). An SVG is never printed on a
    /// terminal: without -o it goes to INPUT-STEM.svg, named on stderr.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Output format [default: from the -o extension, else svg].
    #[arg(short, long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Copy every input line that is not an import-time row to stdout; the graph goes to -o
    /// or importflame.svg.
    #[arg(long)]
    pub tee: bool,

    /// Open the written graph in the default browser (writes importflame.svg or
    /// INPUT-STEM.svg when there is no -o).
    #[arg(long)]
    pub open: bool,

    /// Bottom-up graph (svg, html): leaf functions at the base, their callers above (inferno's
    /// reversed stack order); for which functions cost most, and who calls them.
    #[arg(long)]
    pub reverse: bool,

    /// Flame chart: x is time in import order instead of merged and sorted by name.
    #[arg(long)]
    pub flamechart: bool,

    /// Rows in the text and markdown tables.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub top: usize,

    /// Graph options.
    #[command(flatten)]
    pub graph: GraphArgs,

    /// Input options.
    #[command(flatten)]
    pub input: InputArgs,
}

/// How a graph looks (render and diff).
#[derive(Args, Debug)]
pub struct GraphArgs {
    /// Icicle graph: roots at the top.
    #[arg(long)]
    pub inverted: bool,

    /// Title of the graph [default: what it shows, e.g. total import time].
    #[arg(long)]
    pub title: Option<String>,

    /// Subtitle of the graph [default: input names and a count of repairs; diff: how to read
    /// it].
    #[arg(long)]
    pub subtitle: Option<String>,

    /// Width of the SVG in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = 1200)]
    pub width: usize,

    /// Leave out frames narrower than this percent of the total width (inferno's minwidth).
    #[arg(long, value_name = "PERCENT", default_value_t = 0.1)]
    pub min_width: f64,
}

impl Default for GraphArgs {
    /// The defaults of the options (for `check`, which draws no graph).
    fn default() -> Self {
        GraphArgs {
            inverted: false,
            title: None,
            subtitle: None,
            width: 1200,
            min_width: 0.1,
        }
    }
}

/// How inputs are read, filtered and combined (every command).
#[derive(Args, Debug)]
pub struct InputArgs {
    /// Input format, instead of detecting it from the content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<Format>,

    /// Silence warnings about skipped, repaired or guessed rows (errors still print).
    #[arg(short, long)]
    pub quiet: bool,

    /// Fold the reports of an importtime log together instead of one root per report.
    #[arg(long)]
    pub merge: bool,

    /// Treat the reports of a log as repeated runs and combine them; the total is then the
    /// median (min, mean, sum) of the run totals [default: none for graphs, median for diff
    /// and check].
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

    /// Top-level package to colour as your own code; repeatable [default: the project in the
    /// current directory: pyproject.toml's name, packages in src/ and next to it].
    #[arg(long, value_name = "PACKAGE")]
    pub first_party: Vec<String>,

    /// Do not read the current directory's project for first-party packages.
    #[arg(long)]
    pub no_project: bool,

    /// Worker threads for parsing importtime reports and for folding [default: one per core,
    /// or RAYON_NUM_THREADS]. The output is the same for every N.
    #[arg(short, long = "jobs", visible_alias = "threads", value_name = "N")]
    pub jobs: Option<usize>,

    /// Largest input read, after decompression (e.g. 500M, 8G).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_input_size: u64,

    /// Frame filters.
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// Frame filters, the same for every command (src/filter): regular expressions matched
/// anywhere in a frame's name as the graph shows it.
#[derive(Args, Debug)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Keep only stacks through a frame matching REGEX, cut at the first match; the total
    /// becomes the focused time.
    #[arg(long, value_name = "REGEX", value_parser = parse_pattern)]
    pub focus: Option<Pattern>,

    /// Remove frames matching REGEX from every stack; their time goes to the caller, so the
    /// total is unchanged. Repeatable.
    #[arg(long, value_name = "REGEX", value_parser = parse_pattern)]
    pub exclude: Vec<Pattern>,

    /// Remove whole stacks through a frame matching REGEX; the time removed is reported.
    /// Repeatable.
    #[arg(long, value_name = "REGEX", value_parser = parse_pattern)]
    pub drop: Vec<Pattern>,

    /// Hide the `<frozen importlib._bootstrap>` frames between an importer and the module it
    /// runs (pstats, py-spy): --exclude with the import system's pattern.
    #[arg(long)]
    pub hide_importlib: bool,

    /// Replace every match of REGEX in frame and input names by a stable short hash, to share
    /// a graph without its names. Repeatable.
    #[arg(long, value_name = "REGEX", value_parser = parse_pattern)]
    pub anonymize: Vec<Pattern>,
}

impl From<FilterArgs> for Filters {
    fn from(f: FilterArgs) -> Self {
        Filters {
            focus: f.focus,
            exclude: f.exclude,
            drop: f.drop,
            hide_importlib: f.hide_importlib,
            anonymize: f.anonymize,
        }
    }
}

/// A regular expression, compiled once; clap prints the error (exit 2) with the option's name.
fn parse_pattern(s: &str) -> std::result::Result<Pattern, String> {
    Pattern::new(s)
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
                let render = RenderArgs {
                    output: d.output,
                    format: d.format.map(OutputFormat::from),
                    tee: false,
                    open: d.open,
                    reverse: false,
                    flamechart: false,
                    top: d.top,
                    graph: d.graph,
                    input: d.input,
                };
                let config = build(
                    Command::Diff { fail_on: d.fail_on },
                    inputs,
                    render,
                    Some(RunsMode::Median),
                )?;
                if matches!(config.format, OutputFormat::Speedscope | OutputFormat::Html) {
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
                let mut format = c.format.map(OutputFormat::from);
                if format.is_none()
                    && c.output
                        .as_deref()
                        .and_then(OutputFormat::from_extension)
                        .is_none()
                {
                    format = Some(OutputFormat::Text);
                }
                let render = RenderArgs {
                    output: c.output,
                    format,
                    tee: false,
                    open: false,
                    reverse: false,
                    flamechart: false,
                    top: 25,
                    graph: GraphArgs::default(),
                    input: c.input,
                };
                let config = build(command, sources(&c.inputs), render, Some(RunsMode::Median))?;
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
            Some(Sub::Run(r)) => {
                if r.common.tee {
                    return Err(Error::usage(
                        "run passes the command's output through already: drop --tee",
                    ));
                }
                let default_runs = (r.repeat > 1).then_some(RunsMode::Median);
                let command = Command::Run {
                    command: r.command,
                    repeat: r.repeat,
                };
                build(command, Vec::new(), r.common, default_runs)
            }
        }
    }

    /// A bare `importflame` with a terminal on stdin: nothing to read, and waiting would look
    /// like a hang. `main` prints the usage instead.
    pub fn wants_usage(&self) -> bool {
        self.command.is_none() && self.inputs.is_empty() && defaults::stdin_is_terminal()
    }
}

fn build(
    command: Command,
    inputs: Vec<Source>,
    render: RenderArgs,
    default_runs: Option<RunsMode>,
) -> Result<Config> {
    let RenderArgs {
        output,
        format,
        tee,
        open,
        reverse,
        flamechart,
        top,
        graph: g,
        input: r,
    } = render;
    if inputs.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        return Err(Error::usage("stdin (-) can be read only once"));
    }
    // `-o -` is stdout, as `-` is stdin among the inputs (it used to write a file named `-`),
    // even on a terminal: the user asked for it. Where stdout carries something else it is
    // refused.
    let is_run = matches!(command, Command::Run { .. });
    let to_stdout = output.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if to_stdout && (tee || is_run || open) {
        return Err(Error::usage(
            "-o - (stdout) cannot go with --tee, run or --open: give -o FILE",
        ));
    }
    let output = output.filter(|_| !to_stdout);
    let format = match (format, &output) {
        (Some(f), _) => f,
        (None, Some(path)) => match OutputFormat::from_extension(path) {
            Some(format) => format,
            // No extension at all (`-o graph`) is an SVG; an unknown one is refused, not
            // silently written as SVG.
            None if path.extension().is_none() => OutputFormat::Svg,
            None => {
                return Err(Error::usage(format!(
                    "{}: unknown output extension; known: {} (or give -f)",
                    path.display(),
                    OutputFormat::EXTENSIONS
                )));
            }
        },
        (None, None) => OutputFormat::Svg,
    };
    // Where the output goes when -o is left out: a file importflame names when stdout is
    // taken (--tee, run), wanted as a file (--open), or a terminal an SVG would flood.
    let needs_file = output.is_none()
        && !to_stdout
        && (tee
            || is_run
            || open
            || (matches!(format, OutputFormat::Svg | OutputFormat::Html)
                && !matches!(command, Command::Check { .. })
                && defaults::stdout_is_terminal()));
    let (output, announce_output) = if needs_file {
        let path = match &command {
            Command::Diff { .. } => format!("diff.{}", defaults::extension(format)).into(),
            _ => defaults::output_for(&inputs, format),
        };
        (Some(path), true)
    } else {
        (output, false)
    };
    if tee {
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
    if g.width == 0 {
        return Err(Error::usage("--width must be at least 1 pixel"));
    }
    if !(g.min_width >= 0.0 && g.min_width.is_finite()) {
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
    let mut first_party = r.first_party;
    if !r.no_project
        && let Ok(dir) = std::env::current_dir()
    {
        first_party.extend(project::first_party_packages(&dir));
    }
    Ok(Config {
        command,
        inputs,
        from: if tee {
            Some(Format::Importtime)
        } else {
            r.from
        },
        parse: ParseOptions {
            cached: r.cached,
            idle: r.idle,
            full_paths: r.full_paths,
            first_party,
            max_input_bytes: r.max_input_size,
            keep_lines: r.keep_lines,
            max_depth: r.max_depth,
            prune_below: None,
            keep_order: flamechart,
            jobs: r.jobs.unwrap_or(0),
        },
        fold: FoldOptions {
            runs,
            jobs: r.jobs.unwrap_or(0),
            merge: r.merge,
            keep_order: flamechart,
            drawable: None,
        },
        format,
        output,
        tee,
        quiet: r.quiet,
        svg: SvgOptions {
            title: g.title,
            subtitle: g.subtitle,
            width: Some(g.width),
            min_width: Some(g.min_width),
            flamechart,
            inverted: g.inverted,
            reverse,
        },
        top: top.max(1),
        filters: r.filters.into(),
        announce_output,
        open,
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
    fn tee_without_an_output_file_writes_a_named_default() {
        let cli = Cli::parse_from(["importflame", "--tee", "-"]);
        let config = cli.into_config().unwrap();
        assert_eq!(
            config.output.as_deref(),
            Some(std::path::Path::new("importflame.svg"))
        );
        assert!(config.announce_output);
    }

    #[test]
    fn dash_as_the_output_is_stdout_not_a_file_named_dash() {
        let config = Cli::parse_from(["importflame", "x.log", "-o", "-"])
            .into_config()
            .unwrap();
        assert_eq!(config.output, None);
        assert_eq!(config.format, OutputFormat::Svg);
        let config = Cli::parse_from(["importflame", "x.log", "-f", "folded", "-o", "-"])
            .into_config()
            .unwrap();
        assert_eq!((config.output, config.format), (None, OutputFormat::Folded));
        let err = Cli::parse_from(["importflame", "--tee", "x.log", "-o", "-"])
            .into_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("-o - (stdout)"), "{err}");
    }

    #[test]
    fn an_unknown_output_extension_is_refused_with_the_known_ones() {
        let cli = Cli::parse_from(["importflame", "x.log", "-o", "graph.png"]);
        let err = cli.into_config().unwrap_err().to_string();
        assert!(err.contains("graph.png: unknown output extension"), "{err}");
        assert!(err.contains(".html"), "{err}");
    }

    #[test]
    fn run_takes_the_command_from_its_first_word_with_the_options_that_follow() {
        let cli = Cli::parse_from(["importflame", "run", "-q", "python", "-m", "pytest", "-q"]);
        let config = cli.into_config().unwrap();
        match &config.command {
            Command::Run { command, .. } => assert_eq!(command, &["python", "-m", "pytest", "-q"]),
            other => panic!("{other:?}"),
        }
        assert!(config.quiet, "-q before the command is importflame's");
    }

    #[test]
    fn run_takes_the_command_after_the_double_dash_and_repeat_defaults_to_median() {
        let cli = Cli::parse_from([
            "importflame",
            "run",
            "--repeat",
            "3",
            "-o",
            "g.svg",
            "--",
            "python",
            "-c",
            "pass",
        ]);
        let config = cli.into_config().unwrap();
        match &config.command {
            Command::Run { command, repeat } => {
                assert_eq!(command, &["python", "-c", "pass"]);
                assert_eq!(*repeat, 3);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(config.fold.runs, Some(RunsMode::Median));
        assert!(!config.announce_output);
    }
}
