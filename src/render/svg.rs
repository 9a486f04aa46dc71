//! The interactive flame graph, drawn by inferno (zoom, search and tooltips work offline).
//!
//! importflame sets inferno's options and colours, then rewrites each tooltip: inferno prints
//! integer counts (`12,345 µs`), people read `12.3 ms`, and pstats frames add their call count.

use std::io::Write;

use inferno::flamegraph::color::{Color, PaletteMap};
use inferno::flamegraph::{self, Direction, Options};

use super::{Report, human, thousands};
use crate::error::{Error, Result};
use crate::fold::Folded;
use crate::model::{Category, InputKind, Unit};

/// Writes the SVG of `report`.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let folded = report.folded;
    if folded.total() == 0 {
        return Err(Error::no_data(
            "every stack has zero weight: nothing to draw (try -f folded or -f text)",
        ));
    }
    let mut palette = palette(folded);
    let mut opts = Options::default();
    opts.deterministic = true;
    opts.palette_map = Some(&mut palette);
    opts.title = report.svg.title.clone().unwrap_or_else(|| title(report));
    opts.subtitle = report.svg.subtitle.clone().or_else(|| subtitle(report));
    opts.count_name = match folded.unit {
        Unit::Microseconds => "µs".to_string(),
        Unit::Samples => "samples".to_string(),
    };
    opts.name_type = match report.inputs.first().map(|i| i.kind) {
        Some(InputKind::Importtime) => "Module:".to_string(),
        _ => "Function:".to_string(),
    };
    if let Some(width) = report.svg.width {
        opts.image_width = Some(width);
    }
    if let Some(min_width) = report.svg.min_width {
        opts.min_width = min_width;
    }
    opts.flame_chart = report.svg.flamechart;
    if report.svg.inverted {
        opts.direction = Direction::Inverted;
    }
    let mut lines: Vec<String> = folded
        .lines
        .iter()
        .map(|(stack, w)| format!("{stack} {w}"))
        .collect();
    if report.svg.flamechart {
        // inferno draws the last line leftmost in flame-chart mode (jonhoo/inferno#236):
        // hand it the stacks backwards so the first import is on the left.
        lines.reverse();
    }
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), &mut svg)
        .map_err(|e| Error::invalid(format!("cannot draw the flame graph: {e}")))?;
    let svg = String::from_utf8(svg).map_err(|_| Error::invalid("inferno wrote invalid UTF-8"))?;
    out.write_all(rewrite_titles(&svg, folded).as_bytes())?;
    Ok(())
}

/// What the graph shows, in one line: `Import time: 1.25 s in 842 modules (2 reports)`.
pub fn title(report: &Report<'_>) -> String {
    let folded = report.folded;
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
        Some(InputKind::Importtime) if kinds.iter().all(|k| *k == InputKind::Importtime) => {
            let reports = fact("reports");
            format!(
                "Import time: {total} in {} modules ({} report{})",
                thousands(fact("modules")),
                reports,
                if reports == 1 { "" } else { "s" }
            )
        }
        Some(InputKind::Pstats) => format!(
            "Profile: {total} in {} functions (stacks inferred from the call graph)",
            thousands(fact("functions"))
        ),
        _ => format!("Flame graph: {total}"),
    }
}

/// One line on what was repaired or guessed, pointing to stderr for details.
fn subtitle(report: &Report<'_>) -> Option<String> {
    let notes: u64 = report
        .inputs
        .iter()
        .flat_map(|i| i.diagnostics.entries())
        .map(|e| e.count)
        .sum();
    let names: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
    let source = names.join(", ");
    if notes == 0 {
        Some(source)
    } else {
        Some(format!(
            "{source} · {notes} rows skipped, repaired or guessed (see stderr or -f json)"
        ))
    }
}

/// A colour per frame: the hue says what the frame is, a small shift by name keeps
/// neighbours apart. Same name, same colour, on every run.
fn palette(folded: &Folded) -> PaletteMap {
    let mut map = PaletteMap::default();
    for (name, info) in &folded.frames {
        map.insert(name, category_color(info.category, name));
    }
    // Roots the fold added (input names, report labels) and anything else unknown.
    for (stack, _) in &folded.lines {
        for frame in stack.split(';') {
            if map.get(frame).is_none() {
                map.insert(frame, category_color(Category::Other, frame));
            }
        }
    }
    map
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
        .get(&unescape(name))
        .and_then(|i| i.detail.as_deref())
        .map(|d| format!(", {}", escape(d)))
        .unwrap_or_default();
    format!("{name} ({}, {rest}{detail})", human(weight, folded.unit))
}

fn unescape(s: &str) -> String {
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
