//! `-f text` and `-f markdown`: the top frames by cumulative and by self weight, with their
//! share of the total. Synthetic frames (report, process and thread roots) are left out:
//! they would always top the list.

use std::io::Write;

use super::svg::title;
use super::{Report, column_width, markdown_table_start};
use crate::error::Result;
use crate::folded::{FrameTotal, frame_totals};
use crate::model::Category;
use crate::model::human;

struct Rows<'a> {
    by_total: Vec<FrameTotal<'a>>,
    by_self: Vec<FrameTotal<'a>>,
    grand_total: u64,
}

fn rows<'a>(report: &Report<'a>) -> Rows<'a> {
    let folded = report.folded;
    let real = |t: &FrameTotal<'_>| {
        folded
            .frames
            .get(t.name)
            .is_none_or(|f| f.category != Category::Synthetic)
    };
    let mut by_total: Vec<FrameTotal<'a>> = frame_totals(folded).into_iter().filter(real).collect();
    let mut by_self: Vec<FrameTotal<'a>> = frame_totals(folded).into_iter().filter(real).collect();
    by_self.sort_by(|a, b| b.self_weight.cmp(&a.self_weight).then(a.name.cmp(b.name)));
    by_total.truncate(report.top);
    by_self.truncate(report.top);
    Rows {
        by_total,
        by_self,
        grand_total: folded.total(),
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.0%".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The terminal table.
pub fn write_text(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let unit = report.folded.unit;
    let rows = rows(report);
    writeln!(out, "{}", title(report))?;
    for (heading, list) in [
        ("by cumulative", &rows.by_total),
        ("by self", &rows.by_self),
    ] {
        writeln!(out)?;
        let width = column_width(list.iter().map(|t| t.name), 4, 72);
        writeln!(
            out,
            "{:<width$}  {:>12} {:>6}  {:>12} {:>6}",
            format!("top {} {heading}", list.len()),
            "cumulative",
            "%",
            "self",
            "%"
        )?;
        for t in list {
            let name: String = if t.name.chars().count() > width {
                let cut: String = t.name.chars().take(width - 1).collect();
                format!("{cut}…")
            } else {
                t.name.to_string()
            };
            writeln!(
                out,
                "{:<width$}  {:>12} {:>6}  {:>12} {:>6}",
                name,
                human(t.total, unit),
                percent(t.total, rows.grand_total),
                human(t.self_weight, unit),
                percent(t.self_weight, rows.grand_total)
            )?;
        }
    }
    write_notes_text(report, out)
}

fn write_notes_text(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let mut first = true;
    for input in report.inputs {
        for e in input.diagnostics.entries() {
            if first {
                writeln!(out)?;
                first = false;
            }
            writeln!(out, "note: {}: {}", input.name, e.message())?;
        }
    }
    Ok(())
}

/// Escapes text for a Markdown table cell.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The GitHub-flavoured Markdown table, for `$GITHUB_STEP_SUMMARY` and PR comments.
pub fn write_markdown(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let unit = report.folded.unit;
    let rows = rows(report);
    writeln!(out, "### {}", md(&title(report)))?;
    for (heading, list) in [
        ("by cumulative", &rows.by_total),
        ("by self", &rows.by_self),
    ] {
        markdown_table_start(
            out,
            &format!("Top {} {heading}", list.len()),
            &["frame", "cumulative", "%", "self", "%"],
        )?;
        for t in list {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(t.name),
                human(t.total, unit),
                percent(t.total, rows.grand_total),
                human(t.self_weight, unit),
                percent(t.self_weight, rows.grand_total)
            )?;
        }
    }
    let notes: Vec<String> = report
        .inputs
        .iter()
        .flat_map(|i| {
            i.diagnostics
                .entries()
                .map(move |e| format!("- {}: {}", md(&i.name), md(&e.message())))
        })
        .collect();
    if !notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "<details><summary>Notes</summary>")?;
        writeln!(out)?;
        for n in notes {
            writeln!(out, "{n}")?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}
