//! Text hygiene shared by every text format (FORMATS.md §0): split on `\n`, drop one trailing
//! `\r`, strip a UTF-8 BOM on the first line and ANSI SGR escapes. Lines are byte slices, so
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

/// Drops one trailing `\r` and ANSI escapes; borrows when there is nothing to remove.
pub fn clean_line(line: &[u8]) -> Cow<'_, [u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if memchr(0x1B, line).is_none() {
        Cow::Borrowed(line)
    } else {
        Cow::Owned(strip_ansi(line))
    }
}

/// Removes CSI escape sequences (`ESC [ params final`), of which SGR colours are the common
/// case, and any other lone `ESC x` pair.
fn strip_ansi(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != 0x1B {
            out.push(line[i]);
            i += 1;
            continue;
        }
        i = escape_end(line, i);
    }
    out
}

/// The index just past the escape sequence that starts with the `ESC` at `i`: a CSI sequence
/// (`ESC [ params final`) or any other `ESC x` pair.
fn escape_end(line: &[u8], mut i: usize) -> usize {
    i += 1;
    if line.get(i) == Some(&b'[') {
        i += 1;
        while i < line.len() && !(0x40..=0x7E).contains(&line[i]) {
            i += 1;
        }
    }
    i + 1 // the final byte of the sequence
}

/// The offset in `line` of the byte that [`clean_line`] puts at `cleaned`: the ANSI escapes
/// before it are counted back in. `line.len()` when the cleaned line is shorter.
pub fn raw_offset(line: &[u8], cleaned: usize) -> usize {
    let mut kept = 0;
    let mut i = 0;
    while i < line.len() {
        if line[i] != 0x1B {
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
        let line = b"\x1b[1mab\x1b[0mcd\x1bXe";
        assert_eq!(clean_line(line).as_ref(), b"abcde");
        for (cleaned, raw) in [(0, 4), (1, 5), (2, 10), (3, 11), (4, 14), (5, 15)] {
            assert_eq!(raw_offset(line, cleaned), raw, "{cleaned}");
        }
        assert_eq!(raw_offset(b"plain", 3), 3);
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
