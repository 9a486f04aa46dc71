//! What the frame filters did, in words: the `--focus` title, a subtitle part, and one note per
//! pattern for stderr, the tables and JSON. The numbers come from [`crate::filter::Applied`].

use std::io::Write;

use super::json::Str;
use super::{InputSummary, OutputFormat};
use crate::error::Result;
use crate::filter::{Action, Applied, PatternUse};
use crate::model::human;
use crate::model::{Profile, Unit};

/// One sentence per pattern that matched something:
/// `--drop /test_/ removed 12 stacks, 3.4 ms (0.3% of 1.25 s)`.
pub fn notes(applied: &Applied, unit: Unit) -> Vec<String> {
    applied
        .uses
        .iter()
        .filter(|u| u.frames > 0)
        .map(|u| note(u, applied.total_before, unit))
        .collect()
}

fn note(u: &PatternUse, before: u64, unit: Unit) -> String {
    let stacks = |n: u64| format!("{n} stack{}", if n == 1 { "" } else { "s" });
    let share = format!(
        "{} ({} of {})",
        human(u.weight, unit),
        percent(u.weight, before),
        human(before, unit)
    );
    let names = |n: u64| format!("{n} frame name{}", if n == 1 { "" } else { "s" });
    match u.action {
        Action::Drop => format!(
            "--drop /{}/ removed {}, {share}",
            u.pattern,
            stacks(u.stacks)
        ),
        Action::Focus => format!("--focus /{}/ kept {}, {share}", u.pattern, stacks(u.stacks)),
        Action::Exclude => format!(
            "--exclude /{}/ removed {} from {}, their own {} moved to the callers (total unchanged)",
            u.pattern,
            names(u.frames),
            stacks(u.stacks),
            human(u.weight, unit)
        ),
        Action::HideImportlib => format!(
            "--hide-importlib removed {} of the import system from {}, their own {} moved to the importers (total unchanged)",
            names(u.frames),
            stacks(u.stacks),
            human(u.weight, unit)
        ),
        Action::Anonymize => format!(
            "--anonymize /{}/ replaced {} by hashes",
            u.pattern,
            names(u.frames)
        ),
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.0%".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// `Focus /numpy/: 120.3 ms of 1.25 s (9.6%) · importtime log`, when `--focus` was given:
/// the total drawn is then the focused part, and the title says of what.
pub fn focus_title(inputs: &[InputSummary], unit: Unit) -> Option<String> {
    let applied: Vec<&Applied> = inputs.iter().filter_map(|i| i.filtered.as_ref()).collect();
    let pattern = applied.iter().find_map(|a| a.focus())?.pattern.clone();
    // Saturating: weights come from the input (the fold refuses totals past 2^64 later).
    let kept = applied
        .iter()
        .filter_map(|a| a.focus())
        .fold(0u64, |t, u| t.saturating_add(u.weight));
    let before = applied
        .iter()
        .fold(0u64, |t, a| t.saturating_add(a.total_before));
    let kind = inputs.first().map_or("", |i| i.kind.name());
    Some(format!(
        "Focus /{pattern}/: {} of {} ({}) · {kind}",
        human(kept, unit),
        human(before, unit),
        percent(kept, before)
    ))
}

/// The short form for the SVG subtitle: `dropped /test_/ (3.4 ms) · excluded /x/ ·
/// import system hidden · names anonymized`; `None` when no filter changed anything.
/// Whether `--focus` or `--drop` removed part of some input from the picture, so that counts
/// taken over the whole input (diagnostics) are not the drawn part's.
pub fn drew_part(inputs: &[InputSummary]) -> bool {
    inputs
        .iter()
        .filter_map(|i| i.filtered.as_ref())
        .flat_map(|a| a.uses.iter())
        .any(|u| matches!(u.action, Action::Focus | Action::Drop) && u.frames > 0)
}

/// The subtitle's words for the filters that changed the picture (focus is in the title).
pub fn subtitle_part(inputs: &[InputSummary], unit: Unit) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let uses = inputs
        .iter()
        .filter_map(|i| i.filtered.as_ref())
        .flat_map(|a| a.uses.iter().enumerate());
    let mut seen: Vec<(usize, Action, &str, u64, u64)> = Vec::new();
    for (i, u) in uses {
        match seen.iter_mut().find(|s| s.0 == i) {
            Some(s) => {
                s.3 += u.frames;
                s.4 = s.4.saturating_add(u.weight);
            }
            None => seen.push((i, u.action, &u.pattern, u.frames, u.weight)),
        }
    }
    for (_, action, pattern, frames, weight) in seen {
        if frames == 0 {
            continue;
        }
        parts.push(match action {
            Action::Drop => format!("dropped /{pattern}/ ({})", human(weight, unit)),
            Action::Focus => continue,
            Action::Exclude => format!("excluded /{pattern}/"),
            Action::HideImportlib => "import system hidden".to_string(),
            Action::Anonymize => "names anonymized".to_string(),
        });
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// `"inputs": [{"name": "a.log", "total_before": 1250000, "filters": […]}]` for the `check` and
/// `diff` JSON reports, the same entries the render command's `inputs[]` carry: a gate measured
/// on filtered stacks says so, with exact numbers, where a machine reads it. `None` when no
/// input went through a filter, so unfiltered reports keep their shape.
pub fn json_inputs<'a>(inputs: impl IntoIterator<Item = (&'a str, &'a Profile)>) -> Option<String> {
    let entries: Vec<String> = inputs
        .into_iter()
        .filter_map(|(name, p)| {
            let applied = p.filtered.as_ref()?;
            Some(format!(
                "{{\"name\": {}{}}}",
                Str(name),
                super::json::filters_json(applied, p.unit)
            ))
        })
        .collect();
    (!entries.is_empty()).then(|| format!("\"inputs\": [{}]", entries.join(", ")))
}

/// The notes under a `check` or `diff` report in text or Markdown (JSON has them in
/// [`json_inputs`], and stderr has them too): a gate measured on filtered stacks must say so where it is read.
pub fn write_notes<'a>(
    inputs: impl IntoIterator<Item = (&'a str, &'a Profile)>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let lines: Vec<String> = inputs
        .into_iter()
        .filter_map(|(name, p)| p.filtered.as_ref().map(|a| (name, notes(a, p.unit))))
        .flat_map(|(name, notes)| notes.into_iter().map(move |n| (name, n)))
        .map(|(name, note)| match format {
            OutputFormat::Markdown => format!("- {}: `{}`", name, note.replace('`', "'")),
            _ => format!("note: {name}: {note}"),
        })
        .collect();
    if lines.is_empty() || !matches!(format, OutputFormat::Text | OutputFormat::Markdown) {
        return Ok(());
    }
    writeln!(out)?;
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
