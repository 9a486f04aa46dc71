//! Reports of the CI commands: the `check` verdict table and the `diff` change report, as
//! text, Markdown or JSON.

use std::io::Write;

use super::{OutputFormat, human};
use crate::check::Verdict;
use crate::diff::{Change, DiffReport};
use crate::error::Result;
use crate::limits::Threshold;

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Escapes text for Markdown. Arrows are written as `→`: an entity-escaped `-&gt;` read badly
/// wherever the Markdown is shown raw (a terminal, a PR comment's source).
fn md(s: &str) -> String {
    let s = s.replace("->", "→");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes the verdicts of `check`; `runs` is how many runs each value is the median of.
pub fn write_check(
    verdicts: &[Verdict],
    runs: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let summary = format!(
        "{} of {} rules passed (median of {runs} run{})",
        verdicts.len() - failed,
        verdicts.len(),
        if runs == 1 { "" } else { "s" }
    );
    match format {
        OutputFormat::Markdown => {
            writeln!(
                out,
                "### importflame check: {}",
                if failed == 0 { "passed" } else { "failed" }
            )?;
            writeln!(out)?;
            writeln!(out, "| rule | measured | limit | verdict |")?;
            writeln!(out, "| --- | ---: | ---: | :---: |")?;
            for v in verdicts {
                let verdict = if v.pass { "✅ pass" } else { "❌ FAIL" };
                writeln!(
                    out,
                    "| {} | {} | {} | {verdict} |",
                    md(&v.rule),
                    md(&v.measured),
                    md(&v.limit)
                )?;
            }
            writeln!(out)?;
            writeln!(out, "{summary}")?;
        }
        OutputFormat::Json => {
            writeln!(
                out,
                "{{\"passed\": {}, \"runs\": {runs}, \"rules\": [",
                failed == 0
            )?;
            for (i, v) in verdicts.iter().enumerate() {
                let comma = if i + 1 < verdicts.len() { "," } else { "" };
                let value = v.value.map_or("null".to_string(), |x| x.to_string());
                writeln!(
                    out,
                    "  {{\"rule\": {}, \"measured\": {}, \"value\": {value}, \"limit\": {}, \"pass\": {}}}{comma}",
                    q(&v.rule),
                    q(&v.measured),
                    q(&v.limit),
                    v.pass
                )?;
            }
            writeln!(out, "]}}")?;
        }
        _ => {
            let w0 = verdicts
                .iter()
                .map(|v| v.rule.chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            let w1 = verdicts
                .iter()
                .map(|v| v.measured.chars().count())
                .max()
                .unwrap_or(8)
                .max(8);
            let w2 = verdicts
                .iter()
                .map(|v| v.limit.chars().count())
                .max()
                .unwrap_or(5)
                .max(5);
            writeln!(
                out,
                "{:<w0$}  {:>w1$}  {:>w2$}  verdict",
                "rule", "measured", "limit"
            )?;
            for v in verdicts {
                let verdict = if v.pass { "pass" } else { "FAIL" };
                writeln!(
                    out,
                    "{:<w0$}  {:>w1$}  {:>w2$}  {verdict}",
                    v.rule, v.measured, v.limit
                )?;
            }
            writeln!(out)?;
            writeln!(out, "{summary}")?;
        }
    }
    Ok(())
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
pub fn write_diff(
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
                writeln!(out)?;
                writeln!(out, "**{title}**")?;
                writeln!(out)?;
                writeln!(out, "| frame | before | after | change |")?;
                writeln!(out, "| --- | ---: | ---: | ---: |")?;
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
                let width = list
                    .iter()
                    .map(|c| c.name.chars().count())
                    .max()
                    .unwrap_or(4)
                    .min(72);
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
    writeln!(out, "  \"unit\": {},", q(report.unit.name()))?;
    writeln!(out, "  \"before_total\": {},", report.before_total)?;
    writeln!(out, "  \"after_total\": {},", report.after_total)?;
    writeln!(out, "  \"delta\": {},", report.delta())?;
    writeln!(out, "  \"delta_percent\": {:.3},", report.delta_percent())?;
    match fail_on {
        Some((t, failed)) => writeln!(
            out,
            "  \"fail_on\": {{\"threshold\": {}, \"failed\": {failed}}},",
            q(&t.to_string())
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
                    q(&c.name),
                    c.before,
                    c.after,
                    c.delta()
                )
            })
            .collect();
        let comma = if i + 1 < sections.len() { "," } else { "" };
        writeln!(out, "  {}: [{}]{comma}", q(&key), items.join(", "))?;
    }
    writeln!(out, "}}")?;
    Ok(())
}
