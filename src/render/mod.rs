//! Output: the formats of `-f` and the `-o` extension rule, one module per format, and the
//! [`Sink`] they write to.

pub mod diff;
pub mod filters;
pub mod folded;
pub mod html;
pub mod json;
pub mod prune;
pub mod speedscope;
pub mod svg;
pub mod table;
pub mod verdicts;

#[cfg(unix)]
mod interrupt;
mod sink;
mod writeback;

pub use sink::{Sink, replace_file};

use std::io::Write;
use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::error::Result;
use crate::folded::Folded;
use crate::model::InputKind;

/// The output formats of `-f`. The doc comments are the `-f` help (clap's `ValueEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Interactive flame graph (zoom, search, tooltips) that works offline.
    Svg,
    /// An HTML page holding the interactive flame graph.
    Html,
    /// Collapsed stacks `frame;frame WEIGHT`, sorted.
    Folded,
    /// Tree, per-frame table and diagnostics as JSON.
    Json,
    /// A file speedscope.app opens.
    Speedscope,
    /// Top-N table for the terminal.
    Text,
    /// Top-N table as GitHub-flavoured Markdown.
    Markdown,
}

impl OutputFormat {
    /// The extensions [`from_extension`](Self::from_extension) knows, for messages.
    pub const EXTENSIONS: &'static str =
        ".svg, .html, .folded, .txt (text table), .json, .speedscope.json, .md";

    /// The format an output file name implies (`.svg`, `.html`, `.folded`, `.txt` for the
    /// text table, `.json`, `.speedscope.json`, `.md`).
    pub fn from_extension(path: &Path) -> Option<OutputFormat> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".speedscope.json") {
            return Some(OutputFormat::Speedscope);
        }
        let ext = name.rsplit('.').next()?;
        match ext {
            "svg" => Some(OutputFormat::Svg),
            "html" | "htm" => Some(OutputFormat::Html),
            "folded" => Some(OutputFormat::Folded),
            "txt" => Some(OutputFormat::Text),
            "json" => Some(OutputFormat::Json),
            "md" | "markdown" => Some(OutputFormat::Markdown),
            _ => None,
        }
    }
}

/// What one input contributed, for titles, JSON and diagnostics.
#[derive(Clone, Debug)]
pub struct InputSummary {
    /// Input name as given.
    pub name: String,
    /// Which parser read it.
    pub kind: InputKind,
    /// Named facts (`modules`, `reports`, ...).
    pub facts: std::collections::BTreeMap<&'static str, u64>,
    /// What was skipped, repaired or guessed.
    pub diagnostics: Diagnostics,
    /// What the frame filters did (`None`: no filter given).
    pub filtered: Option<crate::filter::Applied>,
}

/// How the SVG looks.
#[derive(Clone, Debug, Default)]
pub struct SvgOptions {
    /// Title; a descriptive one is made when `None`.
    pub title: Option<String>,
    /// Subtitle; a summary of the diagnostics when `None`.
    pub subtitle: Option<String>,
    /// Image width in pixels (default 1200).
    pub width: Option<usize>,
    /// Frames narrower than this percent of the width are left out (default 0.1).
    pub min_width: Option<f64>,
    /// Time in input order instead of merged by name.
    pub flamechart: bool,
    /// Icicle: roots at the top.
    pub inverted: bool,
    /// Bottom-up: each stack drawn leaf first (inferno's reversed stack order).
    pub reverse: bool,
}

/// Everything a renderer may show.
pub struct Report<'a> {
    /// The stacks.
    pub folded: &'a Folded,
    /// Per-input summaries, in input order.
    pub inputs: &'a [InputSummary],
    /// SVG look.
    pub svg: &'a SvgOptions,
    /// Rows in tables.
    pub top: usize,
}

/// The width of a text column: its widest cell in characters, at least `min`, at most `max`.
pub(crate) fn column_width<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    min: usize,
    max: usize,
) -> usize {
    cells
        .into_iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(min)
        .clamp(min, max)
}

/// A bold title and the head of a Markdown table whose first column is text and the others
/// numbers (right-aligned), after a blank line.
pub(crate) fn markdown_table_start(
    out: &mut dyn Write,
    title: &str,
    columns: &[&str],
) -> Result<()> {
    writeln!(out)?;
    writeln!(out, "**{title}**")?;
    writeln!(out)?;
    writeln!(out, "| {} |", columns.join(" | "))?;
    let align: Vec<&str> = (0..columns.len())
        .map(|i| if i == 0 { "---" } else { "---:" })
        .collect();
    writeln!(out, "| {} |", align.join(" | "))?;
    Ok(())
}

/// Writes `report` in `format`.
pub fn render(report: &Report<'_>, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        OutputFormat::Svg => svg::write(report, out),
        OutputFormat::Html => html::write(report, out),
        OutputFormat::Folded => folded::write(report.folded, out),
        OutputFormat::Json => json::write(report, out),
        OutputFormat::Speedscope => speedscope::write(report, out),
        OutputFormat::Text => table::write_text(report, out),
        OutputFormat::Markdown => table::write_markdown(report, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_extension_picks_the_format() {
        for (name, expected) in [
            ("a.svg", Some(OutputFormat::Svg)),
            ("a.folded", Some(OutputFormat::Folded)),
            ("a.txt", Some(OutputFormat::Text)),
            ("a.html", Some(OutputFormat::Html)),
            ("a.json", Some(OutputFormat::Json)),
            ("a.speedscope.json", Some(OutputFormat::Speedscope)),
            ("a.md", Some(OutputFormat::Markdown)),
            ("a", None),
        ] {
            assert_eq!(OutputFormat::from_extension(Path::new(name)), expected);
        }
    }
}
