//! The interactive flame graph, drawn by inferno (zoom, search and tooltips work offline).
//!
//! importflame sets inferno's options and colours, then rewrites each tooltip: inferno prints
//! integer counts (`12,345 µs`), people read `12.3 ms`, and pstats frames add their call count.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use inferno::flamegraph::color::{Color, PaletteMap};
use inferno::flamegraph::{self, Direction, Options};

use ::svg::node::element::{Group, Rectangle, Text};

use super::{Report, SvgOptions, prune};
use crate::error::{Error, Result};
use crate::folded::Folded;
use crate::model::{Category, InputKind, Unit, unprintable};
use crate::model::{human, thousands};

/// inferno's `--min-width` when [`SvgOptions::min_width`](super::SvgOptions) is `None`, in
/// percent.
pub const DEFAULT_MIN_WIDTH: f64 = inferno::flamegraph::defaults::MIN_WIDTH;

/// Writes the SVG of `report`.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let folded = report.folded;
    if folded.total() == 0 {
        let names: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Error::no_data(
            "every stack has zero weight: nothing to draw (try -f folded or -f text)",
        )
        .in_input(&names.join(", ")));
    }
    let mut palette = palette(folded);
    let mut opts = options(
        report.svg,
        folded.unit,
        report.inputs.first().map(|i| i.kind),
    );
    opts.palette_map = Some(&mut palette);
    opts.title = report.svg.title.clone().unwrap_or_else(|| title(report));
    opts.subtitle = report.svg.subtitle.clone().or_else(|| subtitle(report));
    let lines: Vec<Cow<'_, str>> = if report.svg.flamechart || report.svg.reverse {
        // A flame chart keeps every stack in order, and --reverse has inferno turn each stack
        // leaf first, so root-first pruning would cut the wrong frames: all lines go.
        let mut lines: Vec<Cow<'_, str>> = folded
            .lines
            .lines_with_weights()
            .map(Cow::Borrowed)
            .collect();
        if report.svg.flamechart {
            // inferno draws the last line leftmost in flame-chart mode (jonhoo/inferno#236):
            // hand it the stacks backwards so the first import is on the left.
            lines.reverse();
        }
        lines
    } else if folded.drawn_at == Some(opts.min_width) {
        // The fold already kept only what will be drawn (see `fold::FoldOptions::drawable`).
        folded
            .lines
            .lines_with_weights()
            .map(Cow::Borrowed)
            .collect()
    } else {
        // Only what will be drawn, the same picture (see `prune`).
        prune::drawable(folded.lines.lines_with_weights(), opts.min_width)
    };
    // Each step copies the whole image: let go of the previous copy as soon as the next one
    // exists, so a large graph is held at most twice (a shadowed binding lives to the end).
    let drawn = draw(&mut opts, lines.iter().map(AsRef::as_ref))?;
    drop(lines);
    let root = root_label(folded, report.inputs.first().map(|i| i.kind));
    let titled = label_root(&rewrite_titles(&drawn, folded), &root);
    drop(drawn);
    let svg = add_legend(&titled, &categories(folded));
    drop(titled);
    out.write_all(svg.as_bytes())?;
    Ok(())
}

/// Writes the comparison graph of `diff`: every stack of BEFORE or AFTER, each as wide as
/// its larger side (so code that disappeared is drawn, as a blue block), every frame coloured
/// by the change of its name's total (cumulative) time, with the colour scale and the width
/// rule in a legend. Tooltips give both sides' totals, the numbers of the report.
pub fn write_comparison(
    lines: &[(String, u64, u64)],
    changes: &HashMap<String, (u64, u64)>,
    totals: (u64, u64),
    after: &Folded,
    svg: &SvgOptions,
    default_title: String,
    out: &mut dyn Write,
) -> Result<()> {
    if lines.iter().all(|(_, b, a)| *b == 0 && *a == 0) {
        return Err(Error::no_data(
            "BEFORE and AFTER have no weight: nothing to draw",
        ));
    }
    let mut palette = PaletteMap::default();
    palette.insert("", change_color(totals.0, totals.1));
    for (name, &(b, a)) in changes {
        palette.insert(name, change_color(b, a));
    }
    let mut opts = options(svg, after.unit, None);
    opts.palette_map = Some(&mut palette);
    opts.title = svg.title.clone().unwrap_or(default_title);
    opts.subtitle = svg.subtitle.clone().or_else(|| {
        Some(
            "blue: faster in AFTER, red: slower, by each frame's total time; width: the larger side"
                .to_string(),
        )
    });
    let text: Vec<String> = lines
        .iter()
        .map(|(s, b, a)| format!("{s} {}", b.max(a)))
        .collect();
    let drawn = draw(&mut opts, text.iter().map(String::as_str))?;
    let root = format!("all: {}", change_text(totals.0, totals.1, after.unit));
    let labelled = label_root(&drawn, &root);
    drop(drawn);
    let titled = rewrite_change_titles(&labelled, changes, &root, after.unit);
    drop(labelled);
    out.write_all(add_change_legend(&titled).as_bytes())?;
    Ok(())
}

/// Where a change sits on the colour scale: −1 when the frame is gone, +1 when it is new,
/// −0.5 when it took half the time, +0.5 when twice the time: (after − before) / larger.
pub fn change_ratio(before: u64, after: u64) -> f64 {
    let larger = before.max(after);
    if larger == 0 {
        0.0
    } else {
        (after as f64 - before as f64) / larger as f64
    }
}

/// Neutral grey within ±5%, then towards blue (faster) or red (slower) with the ratio.
fn change_color(before: u64, after: u64) -> Color {
    ratio_color(change_ratio(before, after))
}

fn ratio_color(ratio: f64) -> Color {
    const NEUTRAL: (f64, f64, f64) = (225.0, 225.0, 218.0);
    const FASTER: (f64, f64, f64) = (40.0, 105.0, 225.0);
    const SLOWER: (f64, f64, f64) = (220.0, 45.0, 40.0);
    let strength = ((ratio.abs() - 0.05) / 0.95).clamp(0.0, 1.0);
    let end = if ratio < 0.0 { FASTER } else { SLOWER };
    let mix = |n: f64, e: f64| (n + (e - n) * strength).round() as u8;
    Color {
        r: mix(NEUTRAL.0, end.0),
        g: mix(NEUTRAL.1, end.1),
        b: mix(NEUTRAL.2, end.2),
    }
}

/// `1.28 s → 12.3 ms (-1.27 s, -99.0%)`: both sides' totals and the change.
fn change_text(before: u64, after: u64, unit: Unit) -> String {
    let delta = after as i128 - before as i128;
    let sign = if delta < 0 { "-" } else { "+" };
    let percent = if before == 0 {
        "new".to_string()
    } else {
        format!("{:+.1}%", delta as f64 * 100.0 / before as f64)
    };
    format!(
        "{} → {} ({sign}{}, {percent})",
        human(before, unit),
        human(after, unit),
        human(delta.unsigned_abs() as u64, unit)
    )
}

/// Rewrites inferno's `<title>name (12,345 µs, 1.00%)</title>` (the width, the larger side)
/// as `name: 1.28 s → 12.3 ms (-1.27 s, -99.0%)`, both sides' totals of the name; the bottom
/// bar, already labelled `root` by [`label_root`], keeps just that label.
fn rewrite_change_titles(
    svg: &str,
    changes: &HashMap<String, (u64, u64)>,
    root: &str,
    unit: Unit,
) -> String {
    let root = escape(root);
    let mut out = String::with_capacity(svg.len() + svg.len() / 8);
    let mut rest = svg;
    while let Some(start) = rest.find("<title>") {
        let body_start = start + "<title>".len();
        let Some(len) = rest[body_start..].find("</title>") else {
            break;
        };
        out.push_str(&rest[..body_start]);
        let body = &rest[body_start..body_start + len];
        let name = body.rfind(" (").map_or(body, |open| &body[..open]);
        if name == root {
            out.push_str(&root);
        } else if let Some(&(b, a)) = changes.get(unescape(name).as_ref()) {
            out.push_str(&format!("{name}: {}", change_text(b, a, unit)));
        } else {
            out.push_str(body);
        }
        rest = &rest[body_start + len..];
    }
    out.push_str(rest);
    out
}

/// Adds the legend of the comparison graph: the colour scale and the width rule.
fn add_change_legend(svg: &str) -> String {
    append_legend(svg, 60, |y| {
        let mut group = Group::new().set("id", "legend").set("font-size", 12);
        let mut x = 10usize;
        for (ratio, label) in [
            (-1.0, "removed"),
            (-2.0 / 3.0, "÷3"),
            (-1.0 / 3.0, "÷1.5"),
            (0.0, "same"),
            (1.0 / 3.0, "×1.5"),
            (2.0 / 3.0, "×3"),
            (1.0, "new"),
        ] {
            let c = ratio_color(ratio);
            group = group
                .add(swatch(x, y, format!("rgb({},{},{})", c.r, c.g, c.b)))
                .add(Text::new(label).set("x", x + 16).set("y", y));
            x += 16 + label.chars().count() * 7 + 14;
        }
        for (i, line) in [
        "colour: the change of each frame's total (cumulative) time, AFTER against BEFORE",
        "width: every stack of either side, as wide as its larger side, so removed code stays visible",
    ]
    .into_iter()
    .enumerate()
    {
        group = group.add(Text::new(line).set("x", 10).set("y", y + 20 + 16 * i));
    }
        group
    })
}

/// What the bottom bar holds: `all imports: 1.25 s`, `all: 1,234 samples`.
fn root_label(folded: &Folded, kind: Option<InputKind>) -> String {
    let what = match kind {
        Some(InputKind::Importtime) => "all imports",
        _ => "all",
    };
    format!("{what}: {}", human(folded.total(), folded.unit))
}

/// Names inferno's bottom bar, which it leaves blank (its frame has an empty name) with the
/// tooltip `all (…, 100%)`: the bar gets `label` as its text and its tooltip's name, so
/// inferno's script keeps showing it after a zoom (it redraws a frame's text from its
/// tooltip).
fn label_root(svg: &str, label: &str) -> String {
    const OPEN: &str = "<title>all (";
    let mut from = 0;
    while let Some(i) = svg[from..].find(OPEN) {
        let start = from + i;
        let Some(len) = svg[start..].find("</title>") else {
            break;
        };
        let end = start + len;
        if !svg[..end].ends_with(", 100%)") {
            from = end;
            continue;
        }
        let Some(text_at) = svg[end..].find("</text>").map(|j| end + j) else {
            break;
        };
        let label = escape(label);
        let mut out = String::with_capacity(svg.len() + 2 * label.len());
        out.push_str(&svg[..start + "<title>".len()]);
        out.push_str(&label);
        out.push_str(&svg[start + "<title>all".len()..text_at]);
        out.push_str(&label);
        out.push_str(&svg[text_at..]);
        return out;
    }
    svg.to_string()
}

fn options<'a>(svg: &SvgOptions, unit: Unit, kind: Option<InputKind>) -> Options<'a> {
    let mut opts = Options::default();
    opts.deterministic = true;
    opts.count_name = match unit {
        Unit::Microseconds => "µs".to_string(),
        Unit::Samples => "samples".to_string(),
        Unit::Bytes => "bytes".to_string(),
    };
    opts.name_type = match kind {
        Some(InputKind::Importtime) => "Module:".to_string(),
        _ => "Function:".to_string(),
    };
    if let Some(width) = svg.width {
        opts.image_width = Some(width);
    }
    if let Some(min_width) = svg.min_width {
        opts.min_width = min_width;
    }
    opts.flame_chart = svg.flamechart;
    opts.reverse_stack_order = svg.reverse;
    if svg.inverted {
        opts.direction = Direction::Inverted;
    }
    opts
}

fn draw<'a>(opts: &mut Options<'_>, lines: impl IntoIterator<Item = &'a str>) -> Result<String> {
    // Titles hold input names and --title text: inferno escapes markup, but characters XML
    // cannot hold at all (controls, U+FFFF) would make the file fail to open.
    for text in std::iter::once(&mut opts.title).chain(opts.subtitle.as_mut()) {
        if text.chars().any(unprintable) {
            *text = text
                .chars()
                .map(|c| if unprintable(c) { ' ' } else { c })
                .collect();
        }
    }
    let mut svg = Vec::new();
    flamegraph::from_lines(opts, lines, &mut svg)
        .map_err(|e| Error::invalid(format!("cannot draw the flame graph: {e}")))?;
    String::from_utf8(svg).map_err(|_| Error::invalid("inferno wrote invalid UTF-8"))
}

/// The categories present in the graph, in legend order.
fn categories(folded: &Folded) -> Vec<Category> {
    let mut present: Vec<Category> = folded.frames.values().map(|f| f.category).collect();
    present.sort();
    present.dedup();
    present
}

/// Adds a colour legend below the frames, drawn with the `svg` crate (inferno has none).
fn add_legend(svg: &str, categories: &[Category]) -> String {
    append_legend(svg, 24, |y| {
        let mut group = Group::new().set("id", "legend").set("font-size", 12);
        let mut x = 10usize;
        for &c in categories {
            let (r, g, b) = base_color(c);
            let (label, meaning) = legend_entry(c);
            // Each entry is a group with a tooltip saying what the colour stands for.
            group = group.add(
                Group::new()
                    .add(::svg::node::element::Title::new(meaning))
                    .add(swatch(x, y, format!("rgb({r},{g},{b})")))
                    .add(Text::new(label).set("x", x + 16).set("y", y)),
            );
            x += 16 + label.chars().count() * 7 + 16;
        }
        group
    })
}

/// Appends the legend `build` makes (given the baseline of its first row) below the frames
/// and makes the image `extra` pixels taller; an SVG without a root height is left as it is.
fn append_legend(svg: &str, extra: usize, build: impl FnOnce(usize) -> Group) -> String {
    let Some(end) = svg.rfind("</svg>") else {
        return svg.to_string();
    };
    let Some(height) = root_height(svg) else {
        return svg.to_string();
    };
    let group = build(height + 16);
    let new_height = height + extra;
    // The root element and the background rectangle both carry the old height.
    let head = svg[..end]
        .replace(
            &format!("height=\"{height}\""),
            &format!("height=\"{new_height}\""),
        )
        .replacen(&format!(" {height}\""), &format!(" {new_height}\""), 1);
    format!("{head}{group}\n</svg>{}", &svg[end + 6..])
}

/// A legend's 12-pixel colour square, its bottom on baseline `y` + 2.
fn swatch(x: usize, y: usize, fill: String) -> Rectangle {
    Rectangle::new()
        .set("x", x)
        .set("y", y - 10)
        .set("width", 12)
        .set("height", 12)
        .set("fill", fill)
}

/// A legend entry's label and its tooltip. `other` alone said nothing: it is code whose file
/// tells nothing about where it comes from (`<string>`, `<stdin>`, stacks without paths).
fn legend_entry(category: Category) -> (&'static str, &'static str) {
    match category {
        Category::Stdlib => ("stdlib", "Python's standard library"),
        Category::SitePackages => ("site-packages", "installed third-party packages"),
        Category::FirstParty => (
            "first-party",
            "your own code: the project in the current directory, --first-party, tests",
        ),
        Category::Builtin => ("built-in", "C functions and built-ins"),
        Category::Native => ("native", "native frames: shared libraries, addresses"),
        Category::Failed => ("failed", "imports that failed"),
        Category::Synthetic => (
            "added by importflame",
            "frames importflame adds: report, process and thread roots, <unfinished>, elisions",
        ),
        Category::Other => (
            "origin unknown",
            "frames with no file to tell their origin: <string>, <stdin>, stacks without paths",
        ),
    }
}

/// The `height` attribute of the root `<svg>` element.
fn root_height(svg: &str) -> Option<usize> {
    let start = svg.find("<svg ")?;
    let tag_end = start + svg[start..].find('>')?;
    let tag = &svg[start..tag_end];
    let at = tag.find(" height=\"")? + " height=\"".len();
    let len = tag[at..].find('"')?;
    tag[at..at + len].parse().ok()
}

/// What the graph shows, in one line: `Import time: 1.25 s in 842 modules (2 reports)`. Every
/// count in it has the thousands separator (`494,000 modules (2,000 reports)`), one style.
pub fn title(report: &Report<'_>) -> String {
    let folded = report.folded;
    if let Some(focus) = super::filters::focus_title(report.inputs, folded.unit) {
        return focus;
    }
    let total = human(folded.total(), folded.unit);
    let fact = |name: &str| -> u64 {
        report
            .inputs
            .iter()
            .map(|i| i.facts.get(name).copied().unwrap_or(0))
            .sum()
    };
    let kinds: Vec<InputKind> = report.inputs.iter().map(|i| i.kind).collect();
    match kinds.first() {
        Some(InputKind::Importtime)
            if kinds.iter().all(|k| *k == InputKind::Importtime)
                && runs_title(report).is_some() =>
        {
            let (mode, runs) = runs_title(report).unwrap_or(("median", 0));
            // The drawn profile is one combined run: count its modules, not every run's.
            let modules = crate::folded::frame_totals(folded)
                .iter()
                .filter(|t| {
                    folded
                        .frames
                        .get(t.name)
                        .is_some_and(|i| i.category != Category::Synthetic)
                })
                .count();
            format!(
                "Import time: {total} in {} modules ({mode} of {} runs)",
                thousands(modules as u64),
                thousands(runs)
            )
        }
        Some(InputKind::Importtime) if kinds.iter().all(|k| *k == InputKind::Importtime) => {
            let reports = fact("reports");
            format!(
                "Import time: {total} in {} modules ({} report{})",
                thousands(fact("modules")),
                thousands(reports),
                if reports == 1 { "" } else { "s" }
            )
        }
        Some(InputKind::Pstats) if fact("samples") > 0 => format!(
            "Sampled profile: {}, {total} in {} functions (stacks inferred from the call graph)",
            human(fact("samples"), Unit::Samples),
            thousands(fact("functions"))
        ),
        Some(InputKind::Pstats) => format!(
            "Profile: {total} in {} functions (stacks inferred from the call graph)",
            thousands(fact("functions"))
        ),
        Some(kind) => {
            // "py-spy" keeps its own spelling; other kinds start with a capital.
            let name = kind.name();
            let mut chars = name.chars();
            let first: String = match chars.next() {
                Some(c) if !name.starts_with("py-spy") => c.to_uppercase().collect(),
                Some(c) => c.to_string(),
                None => String::new(),
            };
            format!("{first}{}: {total}", chars.as_str())
        }
        None => format!("Flame graph: {total}"),
    }
}

/// How the runs of the inputs were combined (`--runs`), and how many there were.
fn runs_title(report: &Report<'_>) -> Option<(&'static str, u64)> {
    use crate::fold::RunsMode;
    [
        RunsMode::Median,
        RunsMode::Min,
        RunsMode::Mean,
        RunsMode::Sum,
    ]
    .into_iter()
    .find_map(|mode| {
        let runs: u64 = report
            .inputs
            .iter()
            .filter_map(|i| i.facts.get(mode.fact()))
            .sum();
        (runs > 1).then_some((mode.name(), runs))
    })
}

/// One line on what was repaired or guessed, pointing to stderr for details, and for pstats
/// input the share of the time on exact stacks. Diagnostics that are amounts of time (µs)
/// are not counted with the ones that count rows or functions.
fn subtitle(report: &Report<'_>) -> Option<String> {
    let notes = counted_notes(
        report
            .inputs
            .iter()
            .flat_map(|i| i.diagnostics.entries())
            .filter(|e| !e.kind.is_amount())
            .map(|e| (e.kind, e.count)),
    );
    let names: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
    let mut line = names.join(", ");
    if let Some(filters) = super::filters::subtitle_part(report.inputs, report.folded.unit) {
        line = format!("{line} · {filters}");
    }
    let fact = |name: &str| -> u64 {
        report
            .inputs
            .iter()
            .map(|i| i.facts.get(name).copied().unwrap_or(0))
            .sum()
    };
    let (exact, inferred) = (fact("exact_us"), fact("apportioned_us"));
    if exact + inferred > 0 {
        let share = exact as f64 * 100.0 / (exact + inferred) as f64;
        // A share too small for one decimal is not shown as none: 2.7 ms of a 21.8 s
        // pytest profile read "0.0%".
        let share = match share {
            s if s == 0.0 || s >= 0.05 => format!("{s:.1}%"),
            s if s >= 0.005 => format!("{s:.2}%"),
            _ => "under 0.01%".to_string(),
        };
        line += &format!(" · {share} of the time on exact stacks, the rest inferred");
    }
    if !notes.is_empty() {
        // Diagnostics are counted per input, not per stack: once --focus or --drop keeps
        // only part of the input, say that the count is the whole input's.
        let whole = if super::filters::drew_part(report.inputs) {
            " in the whole input"
        } else {
            ""
        };
        line += &format!(" · {notes} skipped, repaired or guessed{whole} (see stderr or -f json)");
    }
    Some(line)
}

/// The counts of what was skipped, repaired or guessed, one per thing counted, in order of
/// first appearance: `7211 functions, 6618 stacks`, not their sum (issue 14: a pstats
/// subtitle read "13829 skipped, repaired or guessed" for functions attached under a
/// caller and stacks shortened). Kinds whose wording names nothing counted are notes.
fn counted_notes(entries: impl Iterator<Item = (crate::diagnostics::IssueKind, u64)>) -> String {
    let mut sums: Vec<(&'static str, u64, crate::diagnostics::IssueKind)> = Vec::new();
    for (kind, count) in entries.filter(|&(_, c)| c > 0) {
        let noun = kind.counted(2).unwrap_or("notes");
        match sums.iter_mut().find(|(n, _, _)| *n == noun) {
            Some(sum) => sum.1 += count,
            None => sums.push((noun, count, kind)),
        }
    }
    sums.iter()
        .map(|&(noun, count, kind)| {
            let noun = match (count, noun) {
                (1, "notes") => "note",
                (1, _) => kind.counted(1).unwrap_or(noun),
                _ => noun,
            };
            format!("{count} {noun}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A colour per frame: the hue says what the frame is, a small shift by name keeps
/// neighbours apart. Same name, same colour, on every run.
fn palette(folded: &Folded) -> PaletteMap {
    let mut map = PaletteMap::default();
    // inferno's bottom bar ("all") has an empty name.
    map.insert("", category_color(Category::Synthetic, ""));
    for (name, info) in &folded.frames {
        map.insert(name, category_color(info.category, name));
    }
    // Roots the fold added (input names, report labels) and anything else unknown. Sorted
    // lines start like the one before: only the frames past the shared part can be new.
    // `checked` (ahash) answers faster than the palette's own SipHash map.
    let mut checked: ahash::HashSet<&str> = ahash::HashSet::default();
    let mut previous: &[u8] = b"";
    for (stack, _) in &folded.lines {
        let bytes = stack.as_bytes();
        let common = common_prefix(bytes, previous);
        let start = bytes[..common]
            .iter()
            .rposition(|&b| b == b';')
            .map_or(0, |i| i + 1);
        for frame in stack[start..].split(';') {
            if checked.insert(frame) && map.get(frame).is_none() {
                map.insert(frame, category_color(Category::Other, frame));
            }
        }
        previous = bytes;
    }
    map
}

/// Length of the longest common prefix, 8 bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= len && a[i..i + 8] == b[i..i + 8] {
        i += 8;
    }
    while i < len && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Base colours of the legend, one per category.
pub fn base_color(category: Category) -> (u8, u8, u8) {
    match category {
        Category::Stdlib => (95, 150, 225),
        Category::SitePackages => (235, 150, 50),
        Category::FirstParty => (95, 190, 95),
        Category::Builtin => (175, 130, 210),
        Category::Native => (160, 140, 120),
        Category::Failed => (225, 45, 45),
        Category::Synthetic => (190, 190, 190),
        Category::Other => (230, 180, 60),
    }
}

fn category_color(category: Category, name: &str) -> Color {
    let (r, g, b) = base_color(category);
    let shift = (fnv1a(name) % 31) as i16 - 15;
    let adjust = |c: u8| (c as i16 + shift).clamp(0, 255) as u8;
    Color {
        r: adjust(r),
        g: adjust(g),
        b: adjust(b),
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Rewrites `<title>name (12,345 µs, 1.00%)</title>` as `name (12.3 ms, 1.00%)` and appends
/// a frame's detail (`3/1 calls`).
fn rewrite_titles(svg: &str, folded: &Folded) -> String {
    let mut out = String::with_capacity(svg.len() + svg.len() / 16);
    let mut rest = svg;
    while let Some(start) = rest.find("<title>") {
        let body_start = start + "<title>".len();
        let Some(len) = rest[body_start..].find("</title>") else {
            break;
        };
        out.push_str(&rest[..body_start]);
        let body = &rest[body_start..body_start + len];
        out.push_str(&rewrite_title(body, folded));
        rest = &rest[body_start + len..];
    }
    out.push_str(rest);
    out
}

fn rewrite_title(body: &str, folded: &Folded) -> String {
    let Some(open) = body.rfind(" (") else {
        return body.to_string();
    };
    let (name, info) = (&body[..open], &body[open + 2..]);
    let Some((count, rest)) = info.split_once(' ') else {
        return body.to_string();
    };
    let Ok(weight) = count.replace(',', "").parse::<u64>() else {
        return body.to_string();
    };
    let Some(rest) = rest.split_once(", ").and_then(|(_, r)| r.strip_suffix(')')) else {
        return body.to_string();
    };
    let detail = folded
        .frames
        .get(unescape(name).as_ref())
        .and_then(|i| i.detail.as_deref())
        .map(|d| format!(", {}", escape(d)))
        .unwrap_or_default();
    format!("{name} ({}, {rest}{detail})", human(weight, folded.unit))
}

fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        // Most names: no entity, no five `replace` passes (a third of rewrite_titles).
        return Cow::Borrowed(s);
    }
    Cow::Owned(unescape_entities(s))
}

fn unescape_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Escapes text for XML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::counted_notes;
    use crate::diagnostics::IssueKind;

    const fn kind(one: &'static str, many: &'static str) -> IssueKind {
        IssueKind { id: "t", one, many }
    }

    #[test]
    fn a_pstats_subtitle_counts_functions_and_stacks_apart() {
        // The pytest profile's subtitle read "13829 skipped, repaired or guessed": 7211
        // functions attached under a caller plus 6618 stacks shortened.
        let attached = kind("function reached only by …", "functions reached only by …");
        let elided = kind(
            "stack deeper than the limit",
            "stacks deeper than the limit",
        );
        let no_root = kind(
            "function reached by no root",
            "functions reached by no root",
        );
        let notes = counted_notes([(attached, 7211), (elided, 6618), (no_root, 4)].into_iter());
        assert_eq!(notes, "7215 functions, 6618 stacks");
    }

    #[test]
    fn one_of_a_kind_is_singular_and_unnamed_kinds_are_notes() {
        let rows = kind(
            "row with negative self time",
            "rows with negative self time",
        );
        let odd = kind("invalid JSON after the dump", "invalid JSON after the dump");
        assert_eq!(
            counted_notes([(rows, 1), (odd, 1)].into_iter()),
            "1 row, 1 note"
        );
        assert_eq!(counted_notes([(rows, 0), (odd, 2)].into_iter()), "2 notes");
        assert_eq!(counted_notes(std::iter::empty()), "");
    }
}
