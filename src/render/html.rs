//! `-o report.html`: a page holding the interactive flame graph.
//!
//! The SVG is embedded whole as a `data:` URL in an `<object>`, so it stays its own document:
//! inferno's script (zoom, search, tooltips) runs as it does when the `.svg` is opened, which
//! an SVG pasted inline into HTML does not promise (its `onload` and CDATA script are XML
//! features). The page needs nothing else and works offline, as the SVG does.

use std::io::Write;

use super::{Report, svg};
use crate::error::Result;

/// Writes an HTML page embedding the SVG of `report`.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let mut image = Vec::new();
    svg::write(report, &mut image)?;
    let title = svg::escape(
        &report
            .svg
            .title
            .clone()
            .unwrap_or_else(|| svg::title(report)),
    );
    // The object gets the image's own size: a `data:` document is of another origin, so the
    // page could not measure it afterwards, and an unsized object is 150 pixels tall.
    let (width, height) = size(&image).unwrap_or((1200, 600));
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>{title}</title>\n<style>body{{margin:0}}object{{display:block;border:0}}</style>\n\
</head>\n<body>\n<object id=\"flamegraph\" type=\"image/svg+xml\" width=\"{width}\" \
height=\"{height}\" data=\"data:image/svg+xml;base64,"
    )?;
    out.write_all(base64(&image).as_bytes())?;
    writeln!(out, "\">{title}</object>\n</body>\n</html>")?;
    Ok(())
}

/// The `width` and `height` attributes of the root `<svg>` element, in pixels.
fn size(svg: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(&svg[..svg.len().min(64 << 10)]).ok()?;
    let start = text.find("<svg ")?;
    let tag = &text[start..start + text[start..].find('>')?];
    let attribute = |name: &str| -> Option<u64> {
        let key = format!(" {name}=\"");
        let at = tag.find(&key)? + key.len();
        tag[at..at + tag[at..].find('"')?].parse().ok()
    };
    Some((attribute("width")?, attribute("height")?))
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_sizes_the_graph_from_its_root_element() {
        let svg = br#"<?xml version="1.0"?><svg version="1.1" width="1200" height="342" onload="init(evt)"><svg width="9"/>"#;
        assert_eq!(size(svg), Some((1200, 342)));
        assert_eq!(size(b"<svg>"), None);
    }

    #[test]
    fn base64_matches_the_rfc_test_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
