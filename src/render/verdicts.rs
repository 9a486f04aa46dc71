//! The `check` verdict table, as text, Markdown or JSON.

use std::io::Write;

use super::json::Str;
use super::{OutputFormat, column_width};
use crate::check::{Checked, Finding, Runs, Verdict};
use crate::error::Result;
use crate::fold::RunsMode;
use crate::model::{Profile, human};

/// Escapes text for Markdown. Arrows are written as `→`: an entity-escaped `-&gt;` read badly
/// wherever the Markdown is shown raw (a terminal, a PR comment's source).
pub(super) fn md(s: &str) -> String {
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
            percent,
        } => Cells {
            rule: target.clone(),
            measured: show(*value),
            limit: match percent {
                Some(p) => format!("{p}% = {}", show(*limit)),
                None => show(*limit),
            },
        },
        Finding::Forbid {
            module,
            modules,
            weight,
            similar,
        } => Cells {
            rule: format!("forbid {module}"),
            measured: match (modules, similar) {
                (0, Some(other)) => format!("not imported ({other} is: a typo?)"),
                (0, None) => "not imported".to_string(),
                (n, _) => format!(
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

/// How a profile was made of its runs: `median of 3 runs (run 2; runs took 514.0 ms to
/// 759.0 ms)`, `1 run`. `check` and `diff` both print it.
pub(super) fn runs_phrase(runs: &Runs, unit: crate::model::Unit) -> String {
    let n = runs.totals.len();
    if n <= 1 {
        return "1 run".to_string();
    }
    let (lo, hi) = crate::noise::range(&runs.totals);
    let spread = if lo == hi {
        format!("every run took {}", human(lo, unit))
    } else {
        format!("runs took {} to {}", human(lo, unit), human(hi, unit))
    };
    let how = match runs.mode {
        RunsMode::Median => "median",
        RunsMode::Min => "fastest",
        RunsMode::Mean => "mean",
        RunsMode::Sum => "sum",
    };
    let pick = match runs.mode.pick(&runs.totals) {
        crate::fold::Pick::Run(i) => format!("run {}; ", i + 1),
        _ => String::new(),
    };
    format!("{how} of {n} runs ({pick}{spread})")
}

/// Writes the verdicts of `check`, with the runs the measurements come from; the JSON report
/// also carries what the frame filters did to each of the named `inputs`.
pub fn write_check<'a>(
    checked: &Checked,
    inputs: impl IntoIterator<Item = (&'a str, &'a Profile)>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let verdicts = &checked.verdicts;
    let unit = verdicts
        .first()
        .map_or(crate::model::Unit::Microseconds, |v| v.unit);
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let worded: Vec<Cells> = verdicts.iter().map(cells).collect();
    let summary = format!(
        "{} of {} rules passed, measured on {}{}",
        verdicts.len() - failed,
        verdicts.len(),
        if checked.runs.totals.len() > 1 {
            "the "
        } else {
            ""
        },
        runs_phrase(&checked.runs, unit)
    );
    let runs = checked.runs.totals.len();
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
                "{{\"passed\": {}, \"runs\": {runs}, \"runs_mode\": {}, \"run_totals\": [{}], \"total\": {}, \"rules\": [",
                failed == 0,
                Str(checked.runs.mode.name()),
                checked
                    .runs
                    .totals
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                checked.runs.combined
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
            match super::filters::json_inputs(inputs) {
                Some(filtered) => writeln!(out, "], {filtered}}}")?,
                None => writeln!(out, "]}}")?,
            }
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
