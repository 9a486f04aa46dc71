//! `-o report.html`: a page holding the interactive flame graph.
//!
//! The SVG is placed inline, whole, after dropping its XML prolog (`<?xml …?>` and the SVG
//! doctype, which HTML has no use for). Inline, inferno's script runs in the page itself, so
//! zoom, search and tooltips work as in the `.svg`: HTML parses the script's CDATA section and
//! fires the `onload` that starts it. Embedding the file as a `data:` URL in an `<object>`
//! instead made it a document of another origin, where Chromium blocks the `prompt()` that
//! inferno's search asks with. The page needs nothing else and works offline, as the SVG does.

use std::io::Write;

use super::{Report, svg};
use crate::error::{Error, Result};

/// Writes an HTML page embedding the SVG of `report`.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let mut image = Vec::new();
    svg::write(report, &mut image)?;
    let start = memchr::memmem::find(&image, b"<svg ")
        .ok_or_else(|| Error::invalid("the flame graph has no <svg> element"))?;
    let title = svg::escape(
        &report
            .svg
            .title
            .clone()
            .unwrap_or_else(|| svg::title(report)),
    );
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>{title}</title>\n<style>body{{margin:0}}</style>\n</head>\n<body>\n"
    )?;
    out.write_all(&image[start..])?;
    writeln!(out, "\n</body>\n</html>")?;
    Ok(())
}
