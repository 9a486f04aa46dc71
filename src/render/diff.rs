//! `importflame diff` output: the differential flame graph (SVG, with the change report on
//! stderr), the differential folded lines `STACK BEFORE AFTER`, or the change report itself as
//! text, Markdown or JSON.

use std::io::{self, Write};

use super::json::Str;
use super::verdicts::md;
use super::{OutputFormat, Sink, SvgOptions, column_width, markdown_table_start, svg};
use crate::diff::{Change, DiffReport, differential_lines};
use crate::error::Result;
use crate::folded::Folded;
use crate::limits::Threshold;
use crate::model::human;

/// What a diff shows.
pub struct DiffOutput<'a> {
    /// BEFORE, folded.
    pub before: &'a Folded,
    /// AFTER, folded.
    pub after: &'a Folded,
    /// What changed per frame.
    pub report: &'a DiffReport,
    /// `--fail-on` and whether it failed.
    pub fail_on: Option<(Threshold, bool)>,
    /// SVG look.
    pub svg: &'a SvgOptions,
    /// No change report on stderr beside an SVG, unless the gate failed.
    pub quiet: bool,
}

/// Writes the diff in `format` to `sink`.
pub fn write(diff: &DiffOutput<'_>, format: OutputFormat, sink: &Sink) -> Result<()> {
    let report = diff.report;
    match format {
        OutputFormat::Svg => {
            let lines = differential_lines(diff.before, diff.after);
            let title = format!(
                "Diff: {} → {} ({:+.1}%)",
                human(report.before_total, report.unit),
                human(report.after_total, report.unit),
                report.delta_percent()
            );
            sink.write_with(|out| {
                svg::write_differential(&lines, diff.after, diff.svg, title, out)
            })?;
            if !diff.quiet || diff.fail_on.is_some_and(|(_, f)| f) {
                let stderr = io::stderr();
                write_report(report, diff.fail_on, OutputFormat::Text, &mut stderr.lock())?;
            }
            Ok(())
        }
        OutputFormat::Folded => {
            let lines = differential_lines(diff.before, diff.after);
            sink.write_with(|out| {
                for (s, b, a) in &lines {
                    writeln!(out, "{s} {b} {a}")?;
                }
                Ok(())
            })
        }
        _ => sink.write_with(|out| write_report(report, diff.fail_on, format, out)),
    }
}

fn signed(delta: i128, report: &DiffReport) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", human(delta.unsigned_abs() as u64, report.unit))
}

fn headline(report: &DiffReport) -> String {
    format!(
        "total {} -> {} ({}, {:+.1}%)",
        human(report.before_total, report.unit),
        human(report.after_total, report.unit),
        signed(report.delta(), report),
        report.delta_percent()
    )
}

fn sections(report: &DiffReport) -> [(&'static str, &[Change]); 4] {
    [
        ("appeared", &report.appeared),
        ("disappeared", &report.disappeared),
        ("grew most", &report.grew),
        ("shrank most", &report.shrank),
    ]
}

/// Writes the change report of `diff`; `fail_on` and whether it failed are shown when given.
pub fn write_report(
    report: &DiffReport,
    fail_on: Option<(Threshold, bool)>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        OutputFormat::Json => write_diff_json(report, fail_on, out),
        OutputFormat::Markdown => {
            writeln!(out, "### importflame diff: {}", md(&headline(report)))?;
            if let Some((t, failed)) = fail_on {
                writeln!(out)?;
                writeln!(
                    out,
                    "Fail on a regression over {t}: {}",
                    if failed { "❌ FAILED" } else { "✅ passed" }
                )?;
            }
            for (title, list) in sections(report) {
                if list.is_empty() {
                    continue;
                }
                markdown_table_start(out, title, &["frame", "before", "after", "change"])?;
                for c in list {
                    writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        md(&c.name),
                        human(c.before, report.unit),
                        human(c.after, report.unit),
                        signed(c.delta(), report)
                    )?;
                }
            }
            Ok(())
        }
        _ => {
            writeln!(out, "importflame diff: {}", headline(report))?;
            if let Some((t, failed)) = fail_on {
                writeln!(
                    out,
                    "fail on a regression over {t}: {}",
                    if failed { "FAILED" } else { "passed" }
                )?;
            }
            for (title, list) in sections(report) {
                if list.is_empty() {
                    continue;
                }
                writeln!(out)?;
                writeln!(out, "{title}:")?;
                let width = column_width(list.iter().map(|c| c.name.as_str()), 0, 72);
                for c in list {
                    writeln!(
                        out,
                        "  {:<width$}  {:>10} -> {:>10}  {:>11}",
                        c.name,
                        human(c.before, report.unit),
                        human(c.after, report.unit),
                        signed(c.delta(), report)
                    )?;
                }
            }
            Ok(())
        }
    }
}

fn write_diff_json(
    report: &DiffReport,
    fail_on: Option<(Threshold, bool)>,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"unit\": {},", Str(report.unit.name()))?;
    writeln!(out, "  \"before_total\": {},", report.before_total)?;
    writeln!(out, "  \"after_total\": {},", report.after_total)?;
    writeln!(out, "  \"delta\": {},", report.delta())?;
    writeln!(out, "  \"delta_percent\": {:.3},", report.delta_percent())?;
    match fail_on {
        Some((t, failed)) => writeln!(
            out,
            "  \"fail_on\": {{\"threshold\": {}, \"failed\": {failed}}},",
            Str(&t.to_string())
        )?,
        None => writeln!(out, "  \"fail_on\": null,")?,
    }
    let sections = sections(report);
    for (i, (title, list)) in sections.iter().enumerate() {
        let key = title.replace(" most", "");
        let items: Vec<String> = list
            .iter()
            .map(|c| {
                format!(
                    "{{\"name\": {}, \"before\": {}, \"after\": {}, \"delta\": {}}}",
                    Str(&c.name),
                    c.before,
                    c.after,
                    c.delta()
                )
            })
            .collect();
        let comma = if i + 1 < sections.len() { "," } else { "" };
        writeln!(out, "  {}: [{}]{comma}", Str(&key), items.join(", "))?;
    }
    writeln!(out, "}}")?;
    Ok(())
}
