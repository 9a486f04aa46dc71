//! importflame turns Python profiling output into flame graphs.
//!
//! The pipeline (see README.md for the user's view):
//!
//! 1. [`input`] reads each input (path, stdin, gzip), detects its format from the content and
//!    parses it into a [`model::Profile`]: stacks root first, integer weights, and
//!    [`diagnostics::Diagnostics`] for everything skipped, repaired or guessed.
//!    [`filter`] then applies `--drop`, `--focus`, `--exclude`, `--hide-importlib` and
//!    `--anonymize` to each profile, once, for every command.
//! 2. [`fold`] merges the stacks of all inputs in parallel and sorts them, so the output is
//!    the same bytes for any thread count.
//! 3. [`render`] writes SVG (through inferno), folded stacks, JSON or a table, to stdout or
//!    atomically to a file.
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod defaults;
pub mod diagnostics;
pub mod diff;
pub mod error;
pub mod filter;
pub mod fold;
pub mod folded;
pub mod identity;
pub mod input;
pub mod limits;
pub mod model;
pub mod noise;
pub mod open;
pub mod project;
pub mod pytest;
pub mod render;
pub mod run;
pub mod stdlib;
pub mod terminal;

use std::ffi::OsString;
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
        fail_on: Option<limits::FailOn>,
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
    /// Run a command with import timing on and render its rows.
    Run {
        /// The program and its arguments.
        command: Vec<OsString>,
        /// How many times to run it (`--repeat`).
        repeat: u32,
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
    /// Frame filters, applied to every input (and `check`'s baseline) right after parsing.
    pub filters: filter::Filters,
    /// The output file was chosen by importflame, not given: name it on stderr.
    pub announce_output: bool,
    /// Open the written file in the default browser (`--open`).
    pub open: bool,
}

/// How a successful run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All done.
    Done,
    /// A `check` or `diff --fail-on` condition failed (exit 1).
    GateFailed,
    /// `run`: the command exited with this (non-zero) status, passed on.
    Exited(u8),
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
        Command::Run { command, repeat } => run::execute(config, command, *repeat),
    }
}

fn sink(config: &Config) -> Sink {
    match &config.output {
        Some(path) => Sink::File(path.clone()),
        None => Sink::Stdout,
    }
}

fn named(profiles: &[(String, Profile)]) -> Vec<Named<'_>> {
    profiles
        .iter()
        .map(|(name, profile)| Named {
            name: name.clone(),
            profile,
        })
        .collect()
}

fn fold_named(profiles: &[(String, Profile)], opts: &fold::FoldOptions) -> Result<folded::Folded> {
    fold::fold(&named(profiles), opts)
}

/// The fold options of a render: a sorted flame graph (SVG or HTML, no `--flamechart`, no
/// `--reverse`) reads nothing but the lines it draws, so the fold writes only those
/// ([`fold::FoldOptions::drawable`]). Not with `--runs`: the title of combined runs counts
/// the modules of every line.
fn render_fold_options(config: &Config) -> fold::FoldOptions {
    let mut opts = config.fold.clone();
    let sorted_svg = matches!(config.format, OutputFormat::Svg | OutputFormat::Html)
        && !config.svg.flamechart
        && !config.svg.reverse
        && config.fold.runs.is_none();
    if sorted_svg {
        opts.drawable = Some(
            config
                .svg
                .min_width
                .unwrap_or(render::svg::DEFAULT_MIN_WIDTH),
        );
    }
    opts
}

/// The render command: read, fold, write.
fn render_graph(config: &Config) -> Result<Outcome> {
    render_profiles(
        config,
        load_all_with(config, &render_parse_options(config))?,
    )?;
    Ok(Outcome::Done)
}

/// Prints the diagnostics of `profiles`, folds them and writes the configured output.
pub(crate) fn render_profiles(config: &Config, profiles: Vec<(String, Profile)>) -> Result<()> {
    if !config.quiet && !diagnostics_in_output(config) {
        print_diagnostics(&profiles);
    }
    warn_unmatched(config, profiles.iter().map(|(_, p)| p));
    if config.format == OutputFormat::Folded {
        // Written as it is laid out, never held whole (issue 18); the same bytes as
        // `render::folded` writes from a fold.
        write_folded(config, profiles)?;
        written(config);
        return Ok(());
    }
    let folded = fold_named(&profiles, &render_fold_options(config))?;
    let mut inputs = summaries(&profiles);
    if let Some(mode) = config.fold.runs {
        // The title counts what is drawn: one combined run of N, not N reports (issue 15).
        for (summary, (_, p)) in inputs.iter_mut().zip(&profiles) {
            if p.reports.len() > 1 {
                summary.facts.insert(mode.fact(), p.reports.len() as u64);
            }
        }
    }
    let report = Report {
        folded: &folded,
        inputs: &inputs,
        svg: &config.svg,
        top: config.top,
    };
    sink(config).write_with(|out| render::render(&report, config.format, out))?;
    written(config);
    Ok(())
}

/// `-f folded`: the stacks folded, then written as they are laid out, never held whole
/// (issue 18); the same bytes as `render::folded` writes from a fold.
///
/// With several `--jobs`, the profiles and the fold's stacks (about 40 MB for the 31 MB
/// benchmark log) are freed on a thread of their own once the last line is written, beside the
/// output file's `fsync` and rename: freed in line, they were 10–15 ms at the end of a
/// `-j 2` run that nothing else ran beside (perf). With one job everything stays on one thread.
fn write_folded(config: &Config, profiles: Vec<(String, Profile)>) -> Result<()> {
    let mut output = fold::fold_for_output(&named(&profiles), &config.fold)?;
    let beside = output.threads() > 1;
    let mut freeing = None;
    sink(config).write_with(|out| {
        output.write(out)?;
        if beside {
            // Without a thread (none to be had), they are freed here, as with one job.
            freeing = std::thread::Builder::new()
                .spawn(move || drop((output, profiles)))
                .ok();
        }
        Ok(())
    })?;
    if let Some(thread) = freeing {
        // Only memory is freed there: a panic would have nothing to report.
        let _ = thread.join();
    }
    Ok(())
}

/// The text and Markdown tables end with the notes: when the table is printed on a terminal,
/// the same notes on stderr would show each one twice. Into a file or a pipe (`>>
/// $GITHUB_STEP_SUMMARY`) the table's notes are not seen, so stderr has them too.
fn diagnostics_in_output(config: &Config) -> bool {
    matches!(config.format, OutputFormat::Text | OutputFormat::Markdown)
        && config.output.is_none()
        && !config.tee
        && defaults::stdout_is_terminal()
}

/// After a file was written: name it when importflame chose it, and open it for `--open`.
fn written(config: &Config) {
    let Some(path) = &config.output else {
        return;
    };
    if config.announce_output {
        eprintln!("importflame: wrote {}", path.display());
    }
    if config.open
        && let Err(e) = open::open(path)
    {
        eprintln!("importflame: {e}");
    }
}

fn run_diff(config: &Config, fail_on: Option<limits::FailOn>) -> Result<Outcome> {
    let profiles = load_all(config)?;
    if !config.quiet {
        print_diagnostics(&profiles);
    }
    warn_unmatched(config, profiles.iter().map(|(_, p)| p));
    let (before, after) = (&profiles[0], &profiles[1]);
    if before.1.kind != after.1.kind {
        return Err(error::Error::usage(format!(
            "diff compares inputs of the same kind: {} is {}, {} is {}",
            before.0,
            before.1.kind.a_name(),
            after.0,
            after.1.kind.a_name()
        )));
    }
    let folded_before = fold_named(std::slice::from_ref(before), &config.fold)?;
    let folded_after = fold_named(std::slice::from_ref(after), &config.fold)?;
    let mode = config.fold.runs.unwrap_or(fold::RunsMode::Sum);
    let runs = (
        check::Runs::of(&[&before.1], mode),
        check::Runs::of(&[&after.1], mode),
    );
    let aligned = diff::align(&folded_before, &folded_after);
    let report = diff::compare(&aligned, after.1.kind, runs, config.top);
    let failed = match fail_on {
        Some(f) => {
            if f.significant && matches!(report.noise, noise::Noise::Unknown) {
                return Err(error::Error::usage(format!(
                    "--fail-on {f} needs several runs on each side to know the noise \
                     ({} has {}, {} has {}): append 3 or more runs to each log",
                    before.0,
                    report.before_runs.totals.len(),
                    after.0,
                    report.after_runs.totals.len()
                )));
            }
            let exceeded = f
                .threshold
                .exceeded(report.before_total, report.after_total, report.unit)
                .map_err(|e| error::Error::usage(format!("--fail-on {f}: {e}")))?;
            Some((
                f,
                exceeded && (!f.significant || report.noise.slower_beyond()),
            ))
        }
        None => None,
    };
    render::diff::write(
        &render::diff::DiffOutput {
            aligned: &aligned,
            report: &report,
            fail_on: failed,
            svg: &config.svg,
            quiet: config.quiet,
            inputs: &profiles,
        },
        config.format,
        &sink(config),
    )?;
    written(config);
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
            let (name, profile) = filter_input(
                config,
                source.name(),
                input::load(source, config.from, &config.parse)?,
            );
            if !config.quiet {
                print_filter_notes(&name, &profile);
            }
            if profile.kind != kind {
                return Err(error::Error::usage(format!(
                    "the baseline {name} is {}, the input {}",
                    profile.kind.a_name(),
                    kind.a_name()
                )));
            }
            Some((name, vec![profile], max_regression))
        }
        None => None,
    };
    warn_unmatched(
        config,
        profiles
            .iter()
            .map(|(_, p)| p)
            .chain(baseline.as_ref().and_then(|(_, b, _)| b.first())),
    );
    let rules = check::Rules {
        budgets: budgets.to_vec(),
        forbid: forbid.to_vec(),
        baseline,
        runs: config.fold.runs.unwrap_or(fold::RunsMode::Sum),
    };
    let (names, profiles): (Vec<String>, Vec<Profile>) = profiles.into_iter().unzip();
    let checked = check::evaluate(&profiles, &rules).map_err(error::Error::usage)?;
    if !config.quiet {
        for v in &checked.verdicts {
            if let check::Finding::Forbid {
                module,
                similar: Some(other),
                ..
            } = &v.finding
            {
                eprintln!(
                    "importflame: --forbid {}: not imported, but {} is (a typo?)",
                    terminal::clean(module),
                    terminal::clean(other)
                );
            }
        }
    }
    sink(config).write_with(|out| {
        let inputs = || names.iter().map(String::as_str).zip(&profiles);
        render::verdicts::write_check(&checked, inputs(), config.format, out)?;
        render::filters::write_notes(inputs(), config.format, out)
    })?;
    written(config);
    Ok(if checked.verdicts.iter().all(|v| v.pass) {
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
    // Frames narrow against the running total are cut while the log is read; that is the
    // picture only when the drawn total is the read total and stacks are drawn root first:
    // no filter (--focus and --drop shrink the total, --exclude moves time), no --reverse.
    let sorted_svg = config.format == OutputFormat::Svg
        && !config.svg.flamechart
        && !config.svg.reverse
        && config.filters.is_empty()
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
        profiles.push(filter_input(config, name, profile));
    }
    Ok(profiles)
}

/// The one place the frame filters run: every input of every command, and `check`'s
/// baseline, right after parsing. An anonymized name hides the input's name too.
fn filter_input(config: &Config, name: String, profile: Profile) -> (String, Profile) {
    if config.filters.is_empty() {
        return (name, profile);
    }
    (
        config.filters.anonymized(&name),
        config.filters.apply(&profile),
    )
}

/// What the filters did to one input, a line each: `importflame: NAME: --drop /x/ removed …`.
fn print_filter_notes(name: &str, profile: &Profile) {
    if let Some(applied) = &profile.filtered {
        let stderr = io::stderr();
        let mut err = stderr.lock();
        for note in render::filters::notes(applied, profile.unit) {
            let _ = writeln!(err, "importflame: {name}: {note}");
        }
    }
}

/// One warning per filter pattern that matched no frame of any input.
fn warn_unmatched<'a>(config: &Config, profiles: impl IntoIterator<Item = &'a Profile>) {
    if config.quiet {
        return;
    }
    let applied = profiles.into_iter().filter_map(|p| p.filtered.as_ref());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for warning in filter::unmatched(applied) {
        let _ = writeln!(err, "importflame: warning: {warning}");
    }
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
            filtered: p.filtered.clone(),
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
        // The stderr lock is reentrant: the notes keep their place after the diagnostics.
        print_filter_notes(name, profile);
    }
}
