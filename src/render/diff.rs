//! `importflame diff` output: the comparison graph (SVG, with a short summary on stderr), the
//! folded lines of both sides `STACK BEFORE AFTER`, or the full change report as text,
//! Markdown or JSON.

use std::io::{self, Write};

use super::json::Str;
use super::verdicts::{md, runs_phrase};
use super::{OutputFormat, Sink, SvgOptions, column_width, markdown_table_start, svg};
use crate::check::Runs;
use crate::diff::{Aligned, Change, DiffReport, frame_changes, union_lines};
use crate::error::Result;
use crate::limits::FailOn;
use crate::model::{Profile, Unit, human};
use crate::noise::Noise;

/// What a diff shows.
pub struct DiffOutput<'a> {
    /// Both sides, folded and aligned.
    pub aligned: &'a Aligned,
    /// What changed per frame.
    pub report: &'a DiffReport,
    /// `--fail-on` and whether it failed.
    pub fail_on: Option<(FailOn, bool)>,
    /// SVG look.
    pub svg: &'a SvgOptions,
    /// No summary on stderr beside an SVG, unless the gate failed.
    pub quiet: bool,
    /// BEFORE and AFTER as read, named: the filters they went through (`--focus` …).
    pub inputs: &'a [(String, Profile)],
}

/// Writes the diff in `format` to `sink`.
pub fn write(diff: &DiffOutput<'_>, format: OutputFormat, sink: &Sink) -> Result<()> {
    let report = diff.report;
    let (before, after) = (&diff.aligned.before, &diff.aligned.after);
    match format {
        OutputFormat::Svg => {
            let lines = union_lines(before, after);
            let changes = frame_changes(before, after);
            let mut title = format!(
                "Diff: {} → {} ({:+.1}%){}",
                human(report.before_total, report.unit),
                human(report.after_total, report.unit),
                report.delta_percent(),
                match report.noise {
                    Noise::Beyond { .. } => ", larger than the run-to-run noise",
                    Noise::Within { .. } => ", within the run-to-run noise",
                    Noise::Unknown => "",
                }
            );
            let focus = diff
                .inputs
                .first()
                .and_then(|(_, p)| p.filtered.as_ref()?.focus());
            if let Some(focus) = focus {
                title = format!("{title} under /{}/", focus.pattern);
            }
            let totals = (report.before_total, report.after_total);
            sink.write_with(|out| {
                svg::write_comparison(&lines, &changes, totals, after, diff.svg, title, out)
            })?;
            if !diff.quiet || diff.fail_on.is_some_and(|(_, f)| f) {
                let stderr = io::stderr();
                write_summary(report, diff.fail_on, &mut stderr.lock())?;
            }
            Ok(())
        }
        OutputFormat::Folded => {
            let lines = union_lines(before, after);
            sink.write_with(|out| {
                for (s, b, a) in &lines {
                    writeln!(out, "{s} {b} {a}")?;
                }
                Ok(())
            })
        }
        _ => sink.write_with(|out| {
            let sides = || diff.inputs.iter().map(|(n, p)| (n.as_str(), p));
            write_report(report, diff.fail_on, sides(), format, out)?;
            super::filters::write_notes(sides(), format, out)
        }),
    }
}

fn signed(delta: i128, unit: Unit) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", human(delta.unsigned_abs() as u64, unit))
}

fn headline(report: &DiffReport) -> String {
    format!(
        "total {} -> {} ({}, {:+.1}%)",
        human(report.before_total, report.unit),
        human(report.after_total, report.unit),
        signed(report.delta(), report.unit),
        report.delta_percent()
    )
}

/// Whether the change is larger than the noise, and by which rule.
fn noise_sentence(noise: &Noise) -> String {
    match noise {
        Noise::Unknown => {
            "noise unknown: one run on a side (append 3 or more runs to each log to know it)"
                .to_string()
        }
        Noise::Within { test } => format!(
            "within the run-to-run noise: the runs of the two sides overlap (Mann-Whitney U = {}, p = {:.2})",
            test.u, test.p
        ),
        Noise::Beyond { slower, test } => format!(
            "larger than the run-to-run noise: every AFTER run is {} than every BEFORE run (Mann-Whitney U = {}, p = {:.3})",
            if *slower { "slower" } else { "faster" },
            test.u,
            test.p
        ),
    }
}

/// The row's name with what it stands for: `sympy [+418 modules]`,
/// `_is_prime (pricing.py:12) [via 5 callers]`.
fn row_name(c: &Change, noun: &str) -> String {
    let mut notes = Vec::new();
    if c.below > 0 {
        notes.push(format!(
            "+{} {noun}{}",
            c.below,
            if c.below == 1 { "" } else { "s" }
        ));
    }
    if c.callers > 0 {
        let who = if noun == "module" {
            "importer"
        } else {
            "caller"
        };
        notes.push(format!(
            "via {} {who}{}",
            c.callers,
            if c.callers == 1 { "" } else { "s" }
        ));
    }
    if notes.is_empty() {
        c.name.clone()
    } else {
        format!("{} [{}]", c.name, notes.join(", "))
    }
}

fn fail_on_sentence(f: FailOn, failed: bool) -> String {
    format!(
        "fail on a {}regression over {}: {}",
        if f.significant { "significant " } else { "" },
        f.threshold,
        if failed { "FAILED" } else { "passed" }
    )
}

/// The few lines stderr gets beside a graph: the totals, the noise, the three largest rows.
pub fn write_summary(
    report: &DiffReport,
    fail_on: Option<(FailOn, bool)>,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "importflame diff: {}", headline(report))?;
    writeln!(out, "  {}", noise_sentence(&report.noise))?;
    if let Some((f, failed)) = fail_on {
        writeln!(out, "  {}", fail_on_sentence(f, failed))?;
    }
    let mut rows: Vec<(&str, &Change)> = report
        .sections()
        .into_iter()
        .flat_map(|(title, list)| list.iter().map(move |c| (title, c)))
        .collect();
    rows.sort_by_key(|(_, c)| std::cmp::Reverse(c.delta().unsigned_abs()));
    rows.truncate(3);
    let names: Vec<String> = rows.iter().map(|(_, c)| row_name(c, report.noun)).collect();
    let width = column_width(names.iter().map(String::as_str), 0, 60);
    for ((title, c), name) in rows.iter().zip(&names) {
        let title = title.trim_end_matches(" most");
        writeln!(
            out,
            "  {title:<11}  {name:<width$}  {:>10}",
            signed(c.delta(), report.unit)
        )?;
    }
    if !report.moved.is_empty() {
        writeln!(
            out,
            "  moved        {} function{} matched by file and name despite a new line",
            report.moved.len(),
            if report.moved.len() == 1 { "" } else { "s" }
        )?;
    }
    writeln!(out, "  full report: -f text, -f markdown or -f json")?;
    Ok(())
}

/// Writes the full change report; `fail_on` and whether it failed are shown when given. The
/// JSON report also carries what the frame filters did to each named side (`inputs`).
pub fn write_report<'a>(
    report: &DiffReport,
    fail_on: Option<(FailOn, bool)>,
    inputs: impl IntoIterator<Item = (&'a str, &'a Profile)>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let unit = report.unit;
    match format {
        OutputFormat::Json => write_diff_json(report, fail_on, inputs, out),
        OutputFormat::Markdown => {
            writeln!(out, "### importflame diff: {}", md(&headline(report)))?;
            writeln!(out)?;
            let noise = noise_sentence(&report.noise);
            let mut chars = noise.chars();
            let noise: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            writeln!(
                out,
                "BEFORE: {}; AFTER: {}.\n\n{}.",
                md(&runs_phrase(&report.before_runs, unit)),
                md(&runs_phrase(&report.after_runs, unit)),
                md(&noise)
            )?;
            if let Some((f, failed)) = fail_on {
                writeln!(out)?;
                let mark = if failed { "❌" } else { "✅" };
                writeln!(out, "{mark} {}", md(&fail_on_sentence(f, failed)))?;
            }
            for (title, list) in report.sections() {
                if list.is_empty() {
                    continue;
                }
                markdown_table_start(out, title, &["frame", "before", "after", "change"])?;
                for c in list {
                    writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        md(&row_name(c, report.noun)),
                        human(c.before, unit),
                        human(c.after, unit),
                        signed(c.delta(), unit)
                    )?;
                }
            }
            if !report.moved.is_empty() {
                markdown_table_start(out, "moved", &["before", "after", "change"])?;
                for m in &report.moved {
                    writeln!(
                        out,
                        "| {} | {} | {} |",
                        md(&m.before_name),
                        md(&m.after_name),
                        signed(m.after as i128 - m.before as i128, unit)
                    )?;
                }
            }
            Ok(())
        }
        _ => {
            writeln!(out, "importflame diff: {}", headline(report))?;
            writeln!(
                out,
                "BEFORE: {}\nAFTER:  {}",
                runs_phrase(&report.before_runs, unit),
                runs_phrase(&report.after_runs, unit)
            )?;
            writeln!(out, "{}", noise_sentence(&report.noise))?;
            if let Some((f, failed)) = fail_on {
                writeln!(out, "{}", fail_on_sentence(f, failed))?;
            }
            for (title, list) in report.sections() {
                if list.is_empty() {
                    continue;
                }
                writeln!(out)?;
                writeln!(out, "{title}:")?;
                let names: Vec<String> = list.iter().map(|c| row_name(c, report.noun)).collect();
                let width = column_width(names.iter().map(String::as_str), 0, 72);
                for (c, name) in list.iter().zip(&names) {
                    writeln!(
                        out,
                        "  {name:<width$}  {:>10} -> {:>10}  {:>11}",
                        human(c.before, unit),
                        human(c.after, unit),
                        signed(c.delta(), unit)
                    )?;
                }
            }
            if !report.moved.is_empty() {
                writeln!(out)?;
                writeln!(out, "moved (matched by file and name):")?;
                let width =
                    column_width(report.moved.iter().map(|m| m.before_name.as_str()), 0, 60);
                let after_width =
                    column_width(report.moved.iter().map(|m| m.after_name.as_str()), 0, 60);
                for m in &report.moved {
                    writeln!(
                        out,
                        "  {:<width$}  -> {:<after_width$}  {:>11}",
                        m.before_name,
                        m.after_name,
                        signed(m.after as i128 - m.before as i128, unit)
                    )?;
                }
            }
            Ok(())
        }
    }
}

fn runs_json(runs: &Runs) -> String {
    let totals: Vec<String> = runs.totals.iter().map(u64::to_string).collect();
    format!(
        "{{\"mode\": {}, \"totals\": [{}], \"combined\": {}}}",
        Str(runs.mode.name()),
        totals.join(", "),
        runs.combined
    )
}

fn noise_json(noise: &Noise) -> String {
    match noise {
        Noise::Unknown => "{\"verdict\": \"unknown\"}".to_string(),
        Noise::Within { test } => format!(
            "{{\"verdict\": \"within\", \"rule\": \"ranges overlap\", \"u\": {}, \"p\": {:.4}}}",
            test.u, test.p
        ),
        Noise::Beyond { slower, test } => format!(
            "{{\"verdict\": \"beyond\", \"rule\": \"ranges do not overlap\", \"slower\": {slower}, \"u\": {}, \"p\": {:.4}}}",
            test.u, test.p
        ),
    }
}

fn write_diff_json<'a>(
    report: &DiffReport,
    fail_on: Option<(FailOn, bool)>,
    inputs: impl IntoIterator<Item = (&'a str, &'a Profile)>,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"unit\": {},", Str(report.unit.name()))?;
    writeln!(out, "  \"before_total\": {},", report.before_total)?;
    writeln!(out, "  \"after_total\": {},", report.after_total)?;
    writeln!(out, "  \"delta\": {},", report.delta())?;
    writeln!(out, "  \"delta_percent\": {:.3},", report.delta_percent())?;
    writeln!(
        out,
        "  \"before_runs\": {},",
        runs_json(&report.before_runs)
    )?;
    writeln!(out, "  \"after_runs\": {},", runs_json(&report.after_runs))?;
    writeln!(out, "  \"noise\": {},", noise_json(&report.noise))?;
    match fail_on {
        Some((f, failed)) => writeln!(
            out,
            "  \"fail_on\": {{\"threshold\": {}, \"significant\": {}, \"failed\": {failed}}},",
            Str(&f.threshold.to_string()),
            f.significant
        )?,
        None => writeln!(out, "  \"fail_on\": null,")?,
    }
    for (title, list) in report.sections() {
        let key = title.replace(" most", "");
        let items: Vec<String> = list
            .iter()
            .map(|c| {
                format!(
                    "{{\"name\": {}, \"before\": {}, \"after\": {}, \"delta\": {}, \"below\": {}, \"callers\": {}}}",
                    Str(&c.name),
                    c.before,
                    c.after,
                    c.delta(),
                    c.below,
                    c.callers
                )
            })
            .collect();
        writeln!(out, "  {}: [{}],", Str(&key), items.join(", "))?;
    }
    let moved: Vec<String> = report
        .moved
        .iter()
        .map(|m| {
            format!(
                "{{\"before_name\": {}, \"after_name\": {}, \"before\": {}, \"after\": {}}}",
                Str(&m.before_name),
                Str(&m.after_name),
                m.before,
                m.after
            )
        })
        .collect();
    match super::filters::json_inputs(inputs) {
        Some(filtered) => {
            writeln!(out, "  \"moved\": [{}],", moved.join(", "))?;
            writeln!(out, "  {filtered}")?;
        }
        None => writeln!(out, "  \"moved\": [{}]", moved.join(", "))?,
    }
    writeln!(out, "}}")?;
    Ok(())
}
