//! Text hygiene shared by every text format (FORMATS.md §0): split on `\n`, drop one trailing
//! `\r`, strip a UTF-8 BOM on the first line and terminal escape sequences (colours,
//! hyperlinks: every ECMA-48 kind, one walk that [`raw_offset`] shares). Lines are byte slices, so
//! invalid UTF-8 never stops a parser; each parser decodes the parts it keeps, lossily.

use std::borrow::Cow;

/// The UTF-8 byte order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Iterates over the lines of `data` as `(line number from 1, cleaned line)`.
pub fn lines(data: &[u8]) -> impl Iterator<Item = (u64, Cow<'_, [u8]>)> + '_ {
    lines_after(data.strip_prefix(UTF8_BOM).unwrap_or(data), 0)
}

/// [`lines`] of a chunk that follows `before` lines of the same text: numbered from
/// `before + 1`, and no BOM to strip (only the text's start can have one).
pub fn lines_after(data: &[u8], before: u64) -> impl Iterator<Item = (u64, Cow<'_, [u8]>)> + '_ {
    let mut rest = Some(data);
    let mut number = before;
    std::iter::from_fn(move || {
        let chunk = rest?;
        let (line, next) = match memchr(b'\n', chunk) {
            Some(i) => (&chunk[..i], Some(&chunk[i + 1..])),
            None if chunk.is_empty() => return None,
            None => (chunk, None),
        };
        rest = next.filter(|n| !n.is_empty());
        number += 1;
        Some((number, clean_line(line)))
    })
}

/// Drops one trailing `\r` and escape sequences; borrows when there is nothing to remove.
pub fn clean_line(line: &[u8]) -> Cow<'_, [u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if memchr(ESC, line).is_none() {
        Cow::Borrowed(line)
    } else {
        Cow::Owned(strip_ansi(line))
    }
}

/// Removes every ECMA-48 escape sequence (see [`escape_end`]): SGR colours, OSC 8 hyperlinks
/// that terminals, pytest plugins and rich write around file names, and the rest.
fn strip_ansi(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != ESC {
            out.push(line[i]);
            i += 1;
            continue;
        }
        i = escape_end(line, i);
    }
    out
}

const ESC: u8 = 0x1B;
const BEL: u8 = 0x07;

/// The index just past the escape sequence that starts with the `ESC` at `i`, by the kinds of
/// ECMA-48 (7-bit forms only: in UTF-8 text the 8-bit C1 bytes are parts of characters):
///
/// - CSI, `ESC [`, parameter bytes `0x30..=0x3F`, intermediates `0x20..=0x2F`, one final byte
///   `0x40..=0x7E` (colours: `ESC [ 1 ; 32 m`);
/// - control strings, ended by ST (`ESC \`): OSC `ESC ]` (also ended by BEL, as xterm and
///   every terminal accept: OSC 8 hyperlinks `ESC ] 8 ; ; URL ST text ESC ] 8 ; ; ST`), DCS
///   `ESC P`, SOS `ESC X`, PM `ESC ^`, APC `ESC _`;
/// - nF escapes, intermediates `0x20..=0x2F` then a final byte (`ESC ( B` selects a charset);
/// - any other `ESC x` pair (`ESC =`, `ESC 7`).
///
/// A sequence cut off by the end of the line ends there: a line holds no text after an
/// unterminated string, as a terminal would show none.
fn escape_end(line: &[u8], i: usize) -> usize {
    let end = line.len();
    let Some(&kind) = line.get(i + 1) else {
        return end;
    };
    let mut j = i + 2;
    match kind {
        b'[' => {
            while j < end && (0x20..=0x3F).contains(&line[j]) {
                j += 1;
            }
            // The final byte; a malformed sequence ends at the byte that broke it, kept.
            if j < end && (0x40..=0x7E).contains(&line[j]) {
                j += 1;
            }
            j
        }
        b']' | b'P' | b'X' | b'^' | b'_' => {
            while j < end {
                match line[j] {
                    BEL if kind == b']' => return j + 1,
                    ESC if line.get(j + 1) == Some(&b'\\') => return j + 2,
                    _ => j += 1,
                }
            }
            end
        }
        0x20..=0x2F => {
            while j < end && (0x20..=0x2F).contains(&line[j]) {
                j += 1;
            }
            (j + 1).min(end)
        }
        _ => j,
    }
}

/// The offset in `line` of the byte that [`clean_line`] puts at `cleaned`: the escape
/// sequences before it are counted back in (`--tee` cuts the raw line there). `line.len()` when the cleaned line is shorter.
pub fn raw_offset(line: &[u8], cleaned: usize) -> usize {
    let mut kept = 0;
    let mut i = 0;
    while i < line.len() {
        if line[i] != ESC {
            if kept == cleaned {
                return i;
            }
            kept += 1;
            i += 1;
            continue;
        }
        i = escape_end(line, i);
    }
    line.len()
}

/// Position of the first `needle` byte (SIMD, from the `memchr` crate).
pub fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

/// Position of the last occurrence of `needle` in `haystack`. Called once per line on short
/// lines, where building a `memmem` searcher costs more than the search: candidates are the
/// needle's last byte (`:` of `import time:` is rare in a row), found with `memrchr`.
pub fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&last, _) = needle.split_last()?;
    let n = needle.len();
    memchr::memrchr_iter(last, haystack)
        .filter(|&end| end + 1 >= n)
        .map(|end| end + 1 - n)
        .find(|&start| &haystack[start..start + n] == needle)
}

/// Position of the first occurrence of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
        lines(data).map(|(n, l)| (n, l.into_owned())).collect()
    }

    #[test]
    fn splits_lines_and_drops_crlf_bom_and_colours() {
        let data = b"\xEF\xBB\xBFone\r\n\x1b[1;32mtwo\x1b[0m\nthree";
        assert_eq!(
            collect(data),
            vec![
                (1, b"one".to_vec()),
                (2, b"two".to_vec()),
                (3, b"three".to_vec())
            ]
        );
    }

    #[test]
    fn a_final_newline_makes_no_extra_line() {
        assert_eq!(collect(b"a\n\nb\n").len(), 3);
        assert!(collect(b"").is_empty());
    }

    #[test]
    fn cleaned_offsets_map_back_past_colour_codes() {
        let line = b"\x1b[1mab\x1b[0mcd\x1b=e";
        assert_eq!(clean_line(line).as_ref(), b"abcde");
        for (cleaned, raw) in [(0, 4), (1, 5), (2, 10), (3, 11), (4, 14), (5, 15)] {
            assert_eq!(raw_offset(line, cleaned), raw, "{cleaned}");
        }
        assert_eq!(raw_offset(b"plain", 3), 3);
    }

    /// OSC 8 hyperlinks leaked into frames as `8;<empty>;file:///a.py` once the `ESC ]` pair was
    /// dropped: the whole string goes, ended by ST or BEL.
    #[test]
    fn osc_hyperlinks_are_stripped_whole() {
        let st = b"at \x1b]8;;file:///a.py\x1b\\a.py\x1b]8;;\x1b\\:3";
        assert_eq!(clean_line(st).as_ref(), b"at a.py:3");
        let bel = b"at \x1b]8;id=1;file:///a.py\x07a.py\x1b]8;;\x07:3";
        assert_eq!(clean_line(bel).as_ref(), b"at a.py:3");
        // The `a` of `a.py` is cleaned byte 3; raw, it comes after the whole opening string.
        assert_eq!(raw_offset(st, 3), 22);
        assert_eq!(raw_offset(bel, 3), 25);
        assert_eq!(raw_offset(st, 7), st.len() - 2);
    }

    #[test]
    fn every_ecma48_escape_kind_is_stripped() {
        for (raw, clean) in [
            (&b"a\x1bP1$r0m\x1b\\b"[..], &b"ab"[..]), // DCS
            (b"a\x1b_apc\x07still\x1b\\b", b"ab"),    // APC: BEL does not end it
            (b"a\x1b^pm\x1b\\b", b"ab"),              // PM
            (b"a\x1bXsos\x1b\\b", b"ab"),             // SOS
            (b"a\x1b(Bb\x1b)0c", b"abc"),             // nF: charset selection
            (b"a\x1b7b\x1b8c\x1b=d", b"abcd"),        // two-byte escapes
            (b"a\x1b[?25lb\x1b[2 qc", b"abc"),        // private CSI, with an intermediate
            (b"a\x1b[12\xC3\xA9", b"a\xC3\xA9"),      // a broken CSI keeps what broke it
            (b"a\x1b]8;;file:///cut", b"a"),          // unterminated: to the line's end
            (b"a\x1b", b"a"),
            (b"a\x1b[", b"a"),
            (b"a\x1b(", b"a"),
        ] {
            assert_eq!(
                clean_line(raw).as_ref(),
                clean,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn finds_substrings() {
        assert_eq!(
            rfind(b"x import time: a import time: b", b"import time:"),
            Some(17)
        );
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert_eq!(rfind(b"ab", b"abc"), None);
    }
}
