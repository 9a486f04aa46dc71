//! Rows hard-wrapped at a console's width, rejoined.
//!
//! Windows PowerShell 5 turns every stderr line of a native command into an error record and
//! `Out-File`, `Tee-Object` and `2>` write those records broken at the console's width (80 or
//! 120 columns): a long row comes out as
//!
//! ```text
//! import time:       508 |       1906 |           pandas.core.arrays.arrow.extension_t
//! ypes
//! ```
//!
//! A piece is joined to the line before it only where that is unambiguous: every broken line
//! of the log has one and the same length, the console's width `W`, no line is longer than `W`,
//! and the continuation only completes a row (it holds no marker, only the characters a row is
//! made of, and the joined line is a row; a continuation with a space must complete a line
//! that was no row at all, since a name holds no space). Otherwise nothing is joined and the
//! wrapping is reported with the width it seems to have.

use std::borrow::Cow;

use super::row::{MARKER, Row, parse_row};
use super::text;

/// What [`scan`] found in a log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wrapping {
    /// The console width when the rows can be rejoined.
    pub width: Option<usize>,
    /// The width most broken rows have, when they cannot be rejoined (the lengths differ, or a
    /// longer line shows the log is no wrapped capture).
    pub ambiguous: Option<usize>,
    /// The line number of the first broken row.
    pub first: u64,
    /// How many broken rows were seen.
    pub count: u64,
}

/// Characters a row's tail can hold: digits, `|`, spaces, a module name's characters (also
/// non-ASCII) and the header's `[us]`.
fn is_row_tail(piece: &[u8]) -> bool {
    !piece.is_empty()
        && piece.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || b >= 0x80
                || matches!(b, b'_' | b'.' | b'|' | b' ' | b'-' | b'[' | b']')
        })
}

/// A line's length as a console counts it: characters, not bytes.
fn columns(line: &[u8]) -> usize {
    line.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// Whether `next` completes `line` into a row: the join parses, and a piece with a space
/// (which a name cannot hold) completes a line that was no row yet.
fn completes(line: &[u8], next: &[u8]) -> bool {
    if text::find(next, MARKER).is_some() || !is_row_tail(next) {
        return false;
    }
    // The header reads as one as soon as `cumulative |` is there: whole only with its end.
    let was_row = match parse_row(line) {
        Some((_, Row::Timed { .. } | Row::Cached { .. })) => true,
        Some((_, Row::Header)) => line.ends_with(b"imported package"),
        _ => false,
    };
    if was_row && next.contains(&b' ') {
        return false;
    }
    let mut joined = line.to_vec();
    joined.extend_from_slice(next);
    matches!(
        parse_row(&joined),
        Some((_, Row::Header | Row::Timed { .. } | Row::Cached { .. }))
    )
}

/// Whether some line that starts with the marker is followed by one that does not: the cheap
/// test (one `memchr` per line) that spares a log of whole rows, the common case, the scan.
fn may_be_wrapped(data: &[u8]) -> bool {
    let mut previous_is_row = false;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len())) {
        let line = &data[start..end];
        start = end + 1;
        let is_row = line.starts_with(MARKER);
        if previous_is_row && !is_row && !line.trim_ascii().is_empty() {
            return true;
        }
        previous_is_row = is_row;
    }
    false
}

/// Looks for rows broken over two lines and decides whether they can be rejoined. Costs one
/// pass over the lines; a log whose rows are all whole gives the default (nothing found).
pub fn scan(data: &[u8]) -> Wrapping {
    if !may_be_wrapped(data) {
        return Wrapping::default();
    }
    let mut lengths: Vec<(u64, usize)> = Vec::new();
    // Raw lines, cleaned only where a row is followed by another line: most are rows.
    let body = data.strip_prefix(text::UTF8_BOM).unwrap_or(data);
    let mut previous: Option<&[u8]> = None;
    let mut start = 0;
    let mut number = 0u64;
    for end in memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len())) {
        let raw = &body[start..end];
        start = end + 1;
        number += 1;
        let is_row = raw.starts_with(MARKER);
        if let Some(prev) = previous.take()
            && !is_row
        {
            let (prev, line) = (text::clean_line(prev), text::clean_line(raw));
            if completes(&prev, &line) {
                lengths.push((number - 1, columns(&prev)));
            }
        }
        if is_row || text::find(raw, MARKER).is_some() {
            previous = Some(raw);
        }
    }
    // One broken row alone is no pattern: a row followed by a short word (`PASSED`) looks
    // the same.
    if lengths.len() < 2 {
        return Wrapping::default();
    }
    let first = lengths[0].0;
    let count = lengths.len() as u64;
    let mut widths: Vec<usize> = lengths.iter().map(|&(_, w)| w).collect();
    widths.sort_unstable();
    // The most common length, the larger one on a tie.
    let (mut common, mut best, mut run) = (widths[0], 0, 0);
    for (i, &w) in widths.iter().enumerate() {
        run = if i > 0 && widths[i - 1] == w {
            run + 1
        } else {
            1
        };
        if run >= best {
            (common, best) = (w, run);
        }
    }
    let one_width = widths.first() == widths.last();
    // A second pass, only when the breaks agree: no line of a wrapped capture is longer.
    let fits = || {
        text::lines(data)
            .map(|(_, line)| columns(&line))
            .all(|n| n <= common)
    };
    let (width, ambiguous) = if one_width && fits() {
        (Some(common), None)
    } else if best >= 2 && best * 2 >= widths.len() {
        (None, Some(common))
    } else {
        // Rows followed by short words of other output (`pandas` then `city`, a name then
        // `PASSED` in a pytest log), each at its own length: no console made these.
        return Wrapping::default();
    };
    Wrapping {
        width,
        ambiguous,
        first,
        count,
    }
}

/// The lines of `data` as [`text::lines`] gives them, with the rows broken at `width` columns
/// joined back into one line. The pieces after the first become empty lines, so every later
/// line keeps its number.
pub fn lines(data: &[u8], width: usize) -> impl Iterator<Item = (u64, Cow<'_, [u8]>)> + '_ {
    let mut lines = text::lines(data).peekable();
    let mut blanks = 0u64;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if blanks > 0 {
            blanks -= 1;
            number += 1;
            return Some((number, Cow::Borrowed(&b""[..])));
        }
        let (n, mut line) = lines.next()?;
        number = n;
        if text::find(&line, MARKER).is_some() {
            let mut last = columns(&line);
            while last == width
                && let Some((_, next)) = lines.peek()
                && completes(&line, next)
            {
                last = columns(next);
                let (_, next) = lines.next().expect("peeked");
                line.to_mut().extend_from_slice(&next);
                blanks += 1;
            }
        }
        Some((n, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(log: &str, width: usize) -> String {
        let mut out = String::new();
        for line in log.lines() {
            let chars: Vec<char> = line.chars().collect();
            for piece in chars.chunks(width) {
                out.extend(piece);
                out.push('\n');
            }
        }
        out
    }

    const LOG: &str = "import time: self [us] | cumulative | imported package\n\
        import time:        40 |         40 |     _codecs_long_module_name.with.parts\n\
        import time:       250 |        290 |   codecs\n\
        import time:       600 |       1190 | encodings\n";

    fn joined(data: &str, width: usize) -> Vec<(u64, String)> {
        lines(data.as_bytes(), width)
            .map(|(n, l)| (n, String::from_utf8(l.into_owned()).unwrap()))
            .collect()
    }

    #[test]
    fn rows_broken_at_one_width_are_rejoined_and_keep_line_numbers() {
        for width in [30, 41, 50] {
            let wrapped = wrap(LOG, width);
            let scan = scan(wrapped.as_bytes());
            assert_eq!(scan.width, Some(width), "{width}: {scan:?}");
            let got = joined(&wrapped, width);
            let rows: Vec<&str> = got
                .iter()
                .map(|(_, l)| l.as_str())
                .filter(|l| !l.is_empty())
                .collect();
            assert_eq!(rows, LOG.lines().collect::<Vec<_>>(), "{width}");
            let numbers: Vec<u64> = got.iter().map(|(n, _)| *n).collect();
            assert_eq!(numbers, (1..=got.len() as u64).collect::<Vec<_>>());
        }
    }

    #[test]
    fn whole_rows_and_other_output_are_no_wrapping() {
        assert_eq!(scan(LOG.as_bytes()), Wrapping::default());
        let mixed = "import time:       181 |        181 |   numpy.version\nPASSED\n\
                     import time:        10 |         10 | x\nTraceback (most recent call last):\n";
        // `PASSED` could end a name: one such row alone is no wrapping. The traceback line
        // after the other row is no row's tail at all.
        assert_eq!(scan(mixed.as_bytes()), Wrapping::default());
    }

    /// From `pytest_combined.log`: two rows each followed by a word of pytest's output, at
    /// lengths 44 and 57, were reported as wrapped.
    #[test]
    fn rows_followed_by_words_of_other_output_are_no_wrapping() {
        let log = "import time:       763 |     283384 | pandas\ncity\nLima    19.0\n\
                   import time:       132 |     102307 | sympy.physics.units\nPASSED\n";
        assert_eq!(scan(log.as_bytes()), Wrapping::default());
    }

    #[test]
    fn breaks_at_different_widths_are_reported_not_joined() {
        let mut wrapped = wrap(LOG, 50);
        wrapped.push_str(&wrap(
            "import time:        70 |         70 |     another_long_module_name.inner\n",
            60,
        ));
        let found = scan(wrapped.as_bytes());
        assert_eq!(found.width, None);
        assert!(found.ambiguous.is_some(), "{found:?}");
        assert_eq!(found.count, 3);
        assert_eq!(found.first, 1);
    }
}
