//! The grammar of one importtime line (FORMATS.md §1.2): header, timed row, 3.14 `cached` row,
//! or a damaged line that has the marker but not the grammar.

use super::plain;
use super::text::{self, rfind};

/// The marker every row and header carries.
pub const MARKER: &[u8] = b"import time:";

/// One line of the log, as far as importtime is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row<'a> {
    /// `import time: self [us] | cumulative | imported package`.
    Header,
    /// A timed import.
    Timed {
        /// The `self` column in µs (can be negative, §1.7).
        self_us: i64,
        /// The `cumulative` column in µs.
        cumulative_us: i64,
        /// Nesting level (indent / 2).
        depth: u32,
        /// The absolute module name.
        name: &'a str,
    },
    /// A 3.14 `-X importtime=2` row for an import that found the module loaded (§1.6).
    Cached {
        /// The module name.
        name: &'a str,
        /// Depth when the right-aligned field tells it; else the deepest it can be.
        depth: u32,
        /// Whether `depth` is exact.
        exact: bool,
    },
    /// Has the marker but not the grammar (a line cut by another writer).
    Malformed,
}

/// Finds the row in `line`, returning the marker's offset and the row. `None` when the line
/// has no marker at all (other output).
pub fn parse_row(line: &[u8]) -> Option<(usize, Row<'_>)> {
    let at = if let Some(rest) = line.strip_prefix(MARKER) {
        if let Some(row) = plain::row(rest) {
            return Some((0, row));
        }
        // A second marker later on the line is still taken (§1.8).
        rfind(&line[MARKER.len()..], MARKER).map_or(0, |i| i + MARKER.len())
    } else {
        let at = rfind(line, MARKER)?;
        if is_powershell_record(&line[..at]) {
            return None;
        }
        at
    };
    let rest = &line[at + MARKER.len()..];
    Some((at, classify(rest)))
}

/// Windows PowerShell 5 reports the first stderr line of a native command as an error record
/// (FORMATS.md §0): `python : import time: self [us] | …` (a header found mid-line, as usual),
/// then a block whose `    + CategoryInfo          : NotSpecified: (import time: se...ported
/// package:String) [], RemoteException` line quotes the row cut short. That quote is no row.
fn is_powershell_record(before_marker: &[u8]) -> bool {
    before_marker
        .trim_ascii_start()
        .starts_with(b"+ CategoryInfo")
}

/// The row in `rest`, a line after its marker, by the general grammar.
pub(super) fn classify(rest: &[u8]) -> Row<'_> {
    // CPython prints names as UTF-8: anything else is a damaged line.
    let Ok(rest) = std::str::from_utf8(rest) else {
        return Row::Malformed;
    };
    // This runs once per row: bytes and memchr rather than `splitn` and char-wise trims
    // (callgrind: a third of the parse). `|` and spaces are ASCII, so every cut is a char
    // boundary.
    let bytes = rest.as_bytes();
    let Some(bar1) = text::memchr(b'|', bytes) else {
        return Row::Malformed;
    };
    let Some(bar2) = text::memchr(b'|', &bytes[bar1 + 1..]).map(|i| bar1 + 1 + i) else {
        return Row::Malformed;
    };
    let (first, second) = (&rest[..bar1], &rest[bar1 + 1..bar2]);
    // Nearly every row: two space-padded integers, read in one pass. Anything else (the
    // header, `cached`, other white space) takes the general path below.
    let numbers = spaced_integer(first).zip(spaced_integer(second));
    let (first, second) = match numbers {
        Some(_) => ("", ""),
        None => (trim(first), trim(second)),
    };
    if first.starts_with("self [us]") && second == "cumulative" {
        return Row::Header;
    }
    let name_field = &rest[bar2 + 1..];
    if text::memchr(b'|', name_field.as_bytes()).is_some() {
        return Row::Malformed;
    }
    let Some(field) = name_field.strip_prefix(' ') else {
        return Row::Malformed;
    };
    let field = trim_end(field);
    if first == "cached" && second == "cached" {
        return classify_cached(field);
    }
    let (self_us, cumulative_us) = match numbers {
        Some(pair) => pair,
        None => match (first.parse::<i64>(), second.parse::<i64>()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Row::Malformed,
        },
    };
    let name = trim_start_spaces(field);
    let indent = field.len() - name.len();
    if name.is_empty() || indent % 2 == 1 {
        return Row::Malformed;
    }
    Row::Timed {
        self_us,
        cumulative_us,
        depth: (indent / 2) as u32,
        name,
    }
}

/// `s.trim().parse::<i64>()` when `s` is spaces, an optional sign, digits, spaces; `None`
/// for anything else (then the caller trims and parses the usual way).
fn spaced_integer(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = b.iter().position(|&c| c != b' ')?;
    let negative = b[i] == b'-';
    if matches!(b[i], b'-' | b'+') {
        i += 1;
    }
    let digits_start = i;
    let mut value: i64 = 0;
    while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        let d = i64::from(c - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(d)?
        } else {
            value.checked_add(d)?
        };
        i += 1;
    }
    if i == digits_start || b[i..].iter().any(|&c| c != b' ') {
        return None;
    }
    Some(value)
}

/// ASCII white space as `char::is_whitespace` sees it (U+0009..U+000D and U+0020).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// `str::trim`, byte by byte for the ASCII that rows are made of. A non-ASCII byte at either
/// end could belong to Unicode white space: then `str::trim` decides.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |i| i + 1);
    if b.get(start).is_some_and(|&c| !c.is_ascii()) || (end > start && !b[end - 1].is_ascii()) {
        return s.trim();
    }
    &s[start..end]
}

/// `str::trim_end`, as [`trim`].
fn trim_end(s: &str) -> &str {
    let b = s.as_bytes();
    let end = b.iter().rposition(|&c| !is_space(c)).map_or(0, |i| i + 1);
    if end > 0 && !b[end - 1].is_ascii() {
        return s.trim_end();
    }
    &s[..end]
}

/// `s.trim_start_matches(' ')`.
fn trim_start_spaces(s: &str) -> &str {
    let skip = s.bytes().position(|c| c != b' ').unwrap_or(s.len());
    &s[skip..]
}

/// The name of a cached row is right-aligned in a field 2×depth wide (§1.6).
fn classify_cached(field: &str) -> Row<'_> {
    let name = trim_start_spaces(field);
    if name.is_empty() {
        return Row::Malformed;
    }
    let spaces = field.len() - name.len();
    if spaces > 0 {
        Row::Cached {
            name,
            depth: ((spaces + name.len()) / 2) as u32,
            exact: true,
        }
    } else {
        Row::Cached {
            name,
            depth: (name.len() / 2) as u32,
            exact: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(self_us: i64, cumulative_us: i64, depth: u32, name: &str) -> Row<'_> {
        Row::Timed {
            self_us,
            cumulative_us,
            depth,
            name,
        }
    }

    #[test]
    fn rows_are_read_by_fields_not_columns() {
        let cases: Vec<(&str, Option<(usize, Row<'_>)>)> = vec![
            (
                "import time: self [us] | cumulative | imported package",
                Some((0, Row::Header)),
            ),
            (
                "import time:       123 |       4567 |     json.decoder",
                Some((0, timed(123, 4567, 2, "json.decoder"))),
            ),
            (
                "import time: 1234567890 | 12345678901 | big",
                Some((0, timed(1234567890, 12345678901, 0, "big"))),
            ),
            (
                "import time:    -69751 |      1000 |   slow1",
                Some((0, timed(-69751, 1000, 1, "slow1"))),
            ),
            (
                "collecting ... import time:       181 |        181 |   numpy.version",
                Some((15, timed(181, 181, 1, "numpy.version"))),
            ),
            (
                "import time: cached    | cached     |    sys",
                Some((
                    0,
                    Row::Cached {
                        name: "sys",
                        depth: 3,
                        exact: true,
                    },
                )),
            ),
            (
                "import time: cached    | cached     | _frozen_importlib_external",
                Some((
                    0,
                    Row::Cached {
                        name: "_frozen_importlib_external",
                        depth: 13,
                        exact: false,
                    },
                )),
            ),
            ("import time:       12 |   ", Some((0, Row::Malformed))),
            (
                "import time:       12 |  3 |    odd",
                Some((0, Row::Malformed)),
            ),
            ("import time:   x |  3 | name", Some((0, Row::Malformed))),
            ("an ordinary line", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse_row(line.as_bytes()), expected, "{line}");
        }
    }

    #[test]
    fn spaced_integers_agree_with_trim_and_parse() {
        for s in [
            "",
            " ",
            "  40 ",
            "-12",
            " +7 ",
            "+",
            "-",
            " 1 2",
            "\t5",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "12a",
            "0",
        ] {
            if let Some(v) = spaced_integer(s) {
                assert_eq!(Ok(v), s.trim().parse::<i64>(), "{s:?}");
            }
        }
        assert_eq!(spaced_integer("       123 "), Some(123));
        assert_eq!(spaced_integer("    -69751 "), Some(-69751));
        assert_eq!(spaced_integer("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(spaced_integer("9223372036854775808"), None);
    }

    #[test]
    fn byte_trims_agree_with_str_trims() {
        for s in [
            "",
            " ",
            "  40 ",
            "\t-12\x0b",
            "x",
            " \u{a0}7\u{a0} ",
            "é ",
            " ü",
            "\u{2003}",
            "a b",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(trim_end(s), s.trim_end(), "{s:?}");
            assert_eq!(trim_start_spaces(s), s.trim_start_matches(' '), "{s:?}");
        }
    }
}
