//! The `check` verdict table, as text, Markdown or JSON.

use std::io::Write;

use super::json::Str;
use super::{OutputFormat, column_width};
use crate::check::{Finding, Verdict};
use crate::error::Result;
use crate::model::human;

pub(super) fn md(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A verdict's rule, measurement and limit, worded for people.
struct Cells {
    rule: String,
    measured: String,
    limit: String,
}

fn cells(v: &Verdict) -> Cells {
    let show = |w: u64| human(w, v.unit);
    match &v.finding {
        Finding::Budget {
            target,
            value,
            limit,
        } => Cells {
            rule: target.clone(),
            measured: show(*value),
            limit: show(*limit),
        },
        Finding::Forbid {
            module,
            modules,
            weight,
        } => Cells {
            rule: format!("forbid {module}"),
            measured: match modules {
                0 => "not imported".to_string(),
                n => format!(
                    "imported: {n} module{} ({})",
                    if *n == 1 { "" } else { "s" },
                    show(*weight)
                ),
            },
            limit: "not imported".to_string(),
        },
        Finding::Regression {
            baseline,
            before,
            after,
            threshold,
        } => {
            let change = if *before == 0 {
                String::new()
            } else {
                format!(
                    " ({:+.1}%)",
                    (*after as f64 - *before as f64) * 100.0 / *before as f64
                )
            };
            Cells {
                rule: format!("regression vs {baseline}"),
                measured: format!("{} -> {}{change}", show(*before), show(*after)),
                limit: format!("at most +{threshold}"),
            }
        }
    }
}

/// Writes the verdicts of `check`; `runs` is how many runs each value is the median of.
pub fn write_check(
    verdicts: &[Verdict],
    runs: usize,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let worded: Vec<Cells> = verdicts.iter().map(cells).collect();
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
            for (v, c) in verdicts.iter().zip(&worded) {
                let verdict = if v.pass { "✅ pass" } else { "❌ FAIL" };
                writeln!(
                    out,
                    "| {} | {} | {} | {verdict} |",
                    md(&c.rule),
                    md(&c.measured),
                    md(&c.limit)
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
            for (i, (v, c)) in verdicts.iter().zip(&worded).enumerate() {
                let comma = if i + 1 < verdicts.len() { "," } else { "" };
                let value = v.value().map_or("null".to_string(), |x| x.to_string());
                writeln!(
                    out,
                    "  {{\"rule\": {}, \"measured\": {}, \"value\": {value}, \"limit\": {}, \"pass\": {}}}{comma}",
                    Str(&c.rule),
                    Str(&c.measured),
                    Str(&c.limit),
                    v.pass
                )?;
            }
            writeln!(out, "]}}")?;
        }
        _ => {
            let w0 = column_width(worded.iter().map(|c| c.rule.as_str()), 4, usize::MAX);
            let w1 = column_width(worded.iter().map(|c| c.measured.as_str()), 8, usize::MAX);
            let w2 = column_width(worded.iter().map(|c| c.limit.as_str()), 5, usize::MAX);
            writeln!(
                out,
                "{:<w0$}  {:>w1$}  {:>w2$}  verdict",
                "rule", "measured", "limit"
            )?;
            for (v, c) in verdicts.iter().zip(&worded) {
                let verdict = if v.pass { "pass" } else { "FAIL" };
                writeln!(
                    out,
                    "{:<w0$}  {:>w1$}  {:>w2$}  {verdict}",
                    c.rule, c.measured, c.limit
                )?;
            }
            writeln!(out)?;
            writeln!(out, "{summary}")?;
        }
    }
    Ok(())
}
