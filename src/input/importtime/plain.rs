//! The row nearly every line of a log is, `import time:       123 |       4567 |     json.decoder`,
//! read in one forward pass, line break included.
//!
//! Two space-padded integers (an optional `-`, at most 18 digits, so no overflow check), one
//! space, an even indent, then a name of printable ASCII other than space and `|`, then the
//! line break. Anything else is `None`, and the general path (`text::clean_line`, then
//! [`parse_row`](super::row::parse_row)) reads the line; on what this accepts, the two agree
//! (the tests below). The general path made eight passes over each line (the line break,
//! escape sequences, a later marker, the UTF-8 check, three `|`, two trims), each a `memchr`
//! call or a loop: perf put most of the parse there, 375 ns a row.
//!
//! Why skipping the general path's checks is sound: `import time:` has a space and letters,
//! and such a line has no letter before its name and no space in it, so it holds no later
//! marker; it has no escape byte; its `\r`, if any, is the one `clean_line` drops; and ASCII is
//! UTF-8. Runs of spaces and of name bytes are scanned eight bytes at a time (SWAR: a `u64`'s
//! bytes tested at once), as `memchr` does but without a call per field.

use super::row::{MARKER, Row};

/// A plain row: a [`Row::Timed`] whose name is left as the ASCII bytes it is, so that the
/// builder looks it up as bytes (checking them as UTF-8 was another pass, a sixth of this
/// module's time).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Plain<'a> {
    pub(super) self_us: i64,
    pub(super) cumulative_us: i64,
    pub(super) depth: u32,
    /// Printable ASCII, not empty.
    pub(super) name: &'a [u8],
}

/// The plain row that starts `text` (the rest of a log from the start of a line), and the
/// length of its line with the line break (`\n`, `\r\n`, or the end of `text`).
pub(super) fn line(text: &[u8]) -> Option<(Plain<'_>, usize)> {
    let rest = text.strip_prefix(MARKER)?;
    let (row, len) = row_in(rest)?;
    let line_break = match &rest[len..] {
        [] | [b'\r'] => rest.len() - len,
        [b'\n', ..] => 1,
        [b'\r', b'\n', ..] => 2,
        _ => return None,
    };
    Some((row, MARKER.len() + len + line_break))
}

/// The plain row that is all of `rest` (a clean line after its marker).
pub(super) fn row(rest: &[u8]) -> Option<Row<'_>> {
    let (plain, _) = row_in(rest).filter(|&(_, len)| len == rest.len())?;
    Some(Row::Timed {
        self_us: plain.self_us,
        cumulative_us: plain.cumulative_us,
        depth: plain.depth,
        name: std::str::from_utf8(plain.name).ok()?,
    })
}

/// The plain row that starts `rest`, and where its name ends.
fn row_in(rest: &[u8]) -> Option<(Plain<'_>, usize)> {
    let mut at = 0;
    let self_us = padded_integer(rest, &mut at)?;
    let cumulative_us = padded_integer(rest, &mut at)?;
    if rest.get(at) != Some(&b' ') {
        return None;
    }
    at += 1;
    let indent = spaces(&rest[at..]);
    at += indent;
    let name_len = name_bytes(&rest[at..]);
    if name_len == 0 || indent % 2 == 1 {
        return None;
    }
    let row = Plain {
        self_us,
        cumulative_us,
        depth: (indent / 2) as u32,
        name: &rest[at..at + name_len],
    };
    Some((row, at + name_len))
}

/// Reads ` *-?[0-9]{1,18} *\|` from `at` and moves `at` past the `|`.
fn padded_integer(b: &[u8], at: &mut usize) -> Option<i64> {
    let mut i = *at + spaces(&b[*at..]);
    let negative = b.get(i) == Some(&b'-');
    i += usize::from(negative);
    let digits = i;
    let mut value: i64 = 0;
    while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        if i - digits == 18 {
            return None;
        }
        value = value * 10 + i64::from(c - b'0');
        i += 1;
    }
    if i == digits {
        return None;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i) != Some(&b'|') {
        return None;
    }
    *at = i + 1;
    Some(if negative { -value } else { value })
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// The eight bytes of `b` from `at`, the first in the lowest bits, if there are eight.
fn word(b: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// The high bit of every byte of `x` below `n` (at most 0x80). Bytes past the first such byte
/// may be flagged too (a borrow), so only the lowest flag is exact; it is all the scans need.
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH
}

/// The high bit of every byte of `x` above 0x7E, exact up to the first one as in [`below`].
fn above_tilde(x: u64) -> u64 {
    (x.wrapping_add(ONES) | x) & HIGH
}

/// The number of spaces `b` starts with.
fn spaces(b: &[u8]) -> usize {
    let mut n = 0;
    while let Some(x) = word(b, n) {
        let other = x ^ (ONES * u64::from(b' '));
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + b[n..].iter().take_while(|&&c| c == b' ').count()
}

/// Whether `c` can be in a plain row's name: printable ASCII but space and `|`.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_graphic() && c != b'|'
}

/// The number of name bytes ([`is_name_byte`]) `b` starts with.
fn name_bytes(b: &[u8]) -> usize {
    let mut n = 0;
    while let Some(x) = word(b, n) {
        let stop = below(x, b'!') | above_tilde(x) | below(x ^ (ONES * u64::from(b'|')), 1);
        if stop != 0 {
            return n + (stop.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + b[n..].iter().take_while(|&&c| is_name_byte(c)).count()
}

#[cfg(test)]
mod tests {
    use super::super::row::parse_row;
    use super::super::text;
    use super::*;

    #[test]
    fn plain_rows_read_as_the_general_path_reads_them() {
        let fields = [
            "1",
            "  40 ",
            "0",
            "-0",
            "-69751",
            "           123456789012345678   ",
            "1234567890123456789",
            "9999999999999999999",
            "-99999999999999999999",
            "+7",
            " - 1",
            "",
            " ",
            "1 2",
            "\t5",
            "12a",
            "cached",
            "self [us]",
            "-",
        ];
        let names = [
            " a",
            " json.decoder",
            "   x",
            "           _frozen_importlib_external.very_long.name",
            "    _frozen_importlib",
            "",
            " ",
            "  a b",
            " a|b",
            " abcdefghij|",
            " a ",
            " é",
            " abcdefghijé",
            " a\t",
            "  ",
            " a\u{7f}",
            " abcdefgh\u{7f}",
            " ~!",
            " a\u{1b}[0m",
            "a",
        ];
        let breaks = [
            "",
            "\n",
            "\r\n",
            "\r",
            "\r\r\n",
            "\nimport time: 1 | 1 | next\n",
        ];
        let mut accepted = 0;
        for first in fields {
            for second in fields {
                for name in names {
                    for line_break in breaks {
                        let text = format!("import time:{first}|{second}|{name}{line_break}");
                        let text = text.as_bytes();
                        let Some((plain, len)) = line(text) else {
                            continue;
                        };
                        let row = Row::Timed {
                            self_us: plain.self_us,
                            cumulative_us: plain.cumulative_us,
                            depth: plain.depth,
                            name: std::str::from_utf8(plain.name).unwrap(),
                        };
                        accepted += 1;
                        let end = text::memchr(b'\n', text).map_or(text.len(), |i| i + 1);
                        assert_eq!(len, end, "{text:?}");
                        let bare = text[..end].strip_suffix(b"\n").unwrap_or(&text[..end]);
                        let cleaned = text::clean_line(bare);
                        assert_eq!(Some((0, row)), parse_row(&cleaned), "{text:?}");
                    }
                }
            }
        }
        // Integers with spaces and signs, even indents and plain names, four line breaks.
        assert_eq!(accepted, 6 * 6 * 5 * 5);
        assert_eq!(
            row(b"       -5 |         40 |     a.b"),
            Some(Row::Timed {
                self_us: -5,
                cumulative_us: 40,
                depth: 2,
                name: "a.b"
            })
        );
        // A later marker on the line is the general path's: it holds a space.
        assert_eq!(row(b" 1 | 1 | a import time: 2 | 2 | b"), None);
    }

    #[test]
    fn word_scans_stop_where_byte_scans_stop() {
        // Every byte value at every place of a run of 0 to 20 bytes, with a long tail.
        for value in 0..=255u8 {
            for place in 0..20 {
                let mut name = vec![b'a'; 24];
                name[place] = value;
                let bytewise = name.iter().take_while(|&&c| is_name_byte(c)).count();
                assert_eq!(name_bytes(&name), bytewise, "{value:#x} at {place}");
                let mut blank = vec![b' '; 24];
                blank[place] = value;
                let bytewise = blank.iter().take_while(|&&c| c == b' ').count();
                assert_eq!(spaces(&blank), bytewise, "{value:#x} at {place}");
                assert_eq!(spaces(&blank[..place]), place);
                assert_eq!(name_bytes(&name[..place]), place);
            }
        }
    }
}
