//! `python -X importtime` logs (FORMATS.md §1).
//!
//! A row is printed when its import *finishes*, so children come before their parent:
//!
//! ```text
//! import time: self [us] | cumulative | imported package
//! import time:        40 |         40 |     _codecs
//! import time:       250 |        290 |   codecs
//! import time:       600 |       1190 | encodings
//! ```
//!
//! The tree is rebuilt with a stack (§1.5): a row of depth `d` adopts every node on the stack
//! deeper than `d`. Every header starts a new report (a process or sub-interpreter, §1.7), which
//! becomes its own root (`python #1`, `python #2`, …). Weights are the `self` column, never
//! `cumulative − Σ children` (§1.5: on interleaved logs the difference invents time no process
//! spent); negative self times (threads, §1.7) are clamped to 0 and reported.
//!
//! Rows can sit anywhere in other output (pytest writes `collecting ... import time: …`, §1.8):
//! a row is parsed from the last `import time:` on its line.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read, Write};

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::{Category, FrameId, InputKind, Profile, Unit};
use crate::stdlib::is_stdlib_module;
use ahash::{HashMap, HashSet};

use super::ParseOptions;
use super::text::{self, find, rfind};

/// The marker every row and header carries.
const MARKER: &[u8] = b"import time:";

/// Label of the synthetic root holding rows whose parent never printed (§1.5).
pub const UNFINISHED: &str = "<unfinished>";

const NEGATIVE_SELF: IssueKind = IssueKind {
    id: "importtime.negative-self",
    one: "row with negative self time set to 0 (threads importing concurrently)",
    many: "rows with negative self time set to 0 (threads importing concurrently)",
};
const MID_LINE: IssueKind = IssueKind {
    id: "importtime.mid-line",
    one: "row found after other output on the same line",
    many: "rows found after other output on the same line",
};
const MALFORMED: IssueKind = IssueKind {
    id: "importtime.malformed",
    one: "line with \"import time:\" that is not a valid row, skipped",
    many: "lines with \"import time:\" that are not valid rows, skipped",
};
const UNFINISHED_ROWS: IssueKind = IssueKind {
    id: "importtime.unfinished",
    one: "row whose parent never printed, kept under <unfinished>",
    many: "rows whose parent never printed, kept under <unfinished>",
};
const MISSING_LEVEL: IssueKind = IssueKind {
    id: "importtime.missing-level",
    one: "row more than one level deeper than its parent (a line was lost), attached anyway",
    many: "rows more than one level deeper than their parent (lines were lost), attached anyway",
};
const MISMATCHED_CUMULATIVE: IssueKind = IssueKind {
    id: "importtime.mismatched-cumulative",
    one: "row whose cumulative time disagrees with its children (interleaved processes or threads)",
    many: "rows whose cumulative time disagrees with their children (interleaved processes or threads)",
};
const HEADER_MID_REPORT: IssueKind = IssueKind {
    id: "importtime.header-mid-report",
    one: "header that cut an unfinished report short (interleaved processes)",
    many: "headers that cut unfinished reports short (interleaved processes)",
};
const NO_HEADER: IssueKind = IssueKind {
    id: "importtime.no-header",
    one: "report with rows but no header (a forked child, or a log cut at the start)",
    many: "reports with rows but no header (forked children, or a log cut at the start)",
};
const RESTARTED: IssueKind = IssueKind {
    id: "importtime.restarted",
    one: "report that started again without a header (a 3.7-3.11 sub-interpreter), split into its own report",
    many: "reports that started again without a header (3.7-3.11 sub-interpreters), split into their own reports",
};
const IMPORTLIB_ORPHANS: IssueKind = IssueKind {
    id: "importtime.importlib-orphans",
    one: "row imported under an untimed parent (importlib.import_module), kept under <untimed PACKAGE>",
    many: "rows imported under an untimed parent (importlib.import_module), kept under <untimed PACKAGE>",
};
const FAILED: IssueKind = IssueKind {
    id: "importtime.failed",
    one: "failed import marked (failed) (a repeated row or a \"No module named\" message)",
    many: "failed imports marked (failed) (repeated rows or \"No module named\" messages)",
};
const REPEATS_NOT_MARKED: IssueKind = IssueKind {
    id: "importtime.repeats-not-marked",
    one: "repeated row in an interleaved report not marked as failed (another process may have printed it)",
    many: "repeated rows in interleaved reports not marked as failed (other processes may have printed them)",
};
const CACHED_SKIPPED: IssueKind = IssueKind {
    id: "importtime.cached-skipped",
    one: "cached row left out (-X importtime=2; --cached keeps it)",
    many: "cached rows left out (-X importtime=2; --cached keeps them)",
};
const CACHED_DEPTH_GUESSED: IssueKind = IssueKind {
    id: "importtime.cached-depth-guessed",
    one: "cached row whose depth cannot be read (name wider than its field), placed at the deepest possible level",
    many: "cached rows whose depth cannot be read (name wider than their field), placed at the deepest possible level",
};

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
    let at = if line.starts_with(MARKER) {
        // The common case; a second marker later on the line is still taken (§1.8).
        rfind(&line[MARKER.len()..], MARKER).map_or(0, |i| i + MARKER.len())
    } else {
        rfind(line, MARKER)?
    };
    let rest = &line[at + MARKER.len()..];
    Some((at, classify(rest)))
}

fn classify(rest: &[u8]) -> Row<'_> {
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

/// True when some line of `data` is an importtime header or row.
pub fn sniff(data: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = find(&data[from..], MARKER) {
        let start = from + i;
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |j| start + j);
        let line = text::clean_line(&data[start..end]);
        if matches!(
            parse_row(&line),
            Some((_, Row::Header | Row::Timed { .. } | Row::Cached { .. }))
        ) {
            return true;
        }
        from = end.min(data.len());
        if from >= data.len() {
            break;
        }
    }
    false
}

/// Parses a whole log into a profile with one report per header.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let failed_names = failure_messages(data);
    let mut builder = Builder::new(opts, failed_names);
    for (number, line) in text::lines(data) {
        builder.line(line, number);
    }
    builder.finish()
}

/// Copies every line of `reader` that is not an importtime row to `tee`, byte for byte and in
/// order, and returns the whole input for parsing. A row that starts mid-line gives its prefix
/// to `tee`. `tee` is flushed whenever the reader has nothing buffered, so a live pytest run
/// shows its output as it comes. When `tee` is a closed pipe (`| head`), copying stops but
/// reading goes on: the writer upstream is not cut off and the graph is still drawn.
pub fn tee_copy(reader: impl Read, tee: &mut dyn Write, limit: u64) -> Result<Vec<u8>> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut teeing = true;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let keep = match parse_row(&text::clean_line(content)) {
            Some((_, Row::Malformed)) | None => line.len(),
            // The marker offset is in the cleaned line; ANSI codes before it make the raw
            // offset larger (and one inside an earlier marker would fool a raw search).
            Some((at, _)) => text::raw_offset(content, at),
        };
        if teeing {
            let mut copy = tee.write_all(&line[..keep]);
            if copy.is_ok() && reader.buffer().is_empty() {
                copy = tee.flush();
            }
            teeing = still_teeing(copy)?;
        }
        data.extend_from_slice(&line);
        if data.len() as u64 > limit {
            return Err(Error::invalid(format!(
                "input is larger than {limit} bytes; raise the limit with --max-input-size"
            )));
        }
    }
    if teeing {
        still_teeing(tee.flush())?;
    }
    Ok(data)
}

/// Whether to go on copying after a write: not once the reader closed the pipe; any other
/// write error is an error.
fn still_teeing(written: io::Result<()>) -> Result<bool> {
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Module names that the log itself says failed to import: `No module named 'x'` and
/// `cannot import name 'y' from 'x'` (which also tried the submodule `x.y`).
fn failure_messages(data: &[u8]) -> HashSet<String> {
    let mut names = HashSet::default();
    for (needle, submodule) in [
        (&b"No module named '"[..], false),
        (&b"cannot import name '"[..], true),
    ] {
        let mut from = 0;
        while let Some(i) = find(&data[from..], needle) {
            let start = from + i + needle.len();
            from = start;
            let Some(name) = quoted(&data[start..]) else {
                continue;
            };
            if !submodule {
                names.insert(name.to_string());
                continue;
            }
            // `cannot import name 'y' from 'x' (...)`
            let after = &data[start + name.len() + 1..];
            if let Some(rest) = after.strip_prefix(b" from '")
                && let Some(module) = quoted(rest)
            {
                names.insert(format!("{module}.{name}"));
            }
        }
    }
    names
}

/// The text up to the next `'` on the same line, when it looks like a module name.
fn quoted(data: &[u8]) -> Option<&str> {
    let end = data
        .iter()
        .take(512)
        .position(|&b| b == b'\'' || b == b'\n')?;
    if data[end] != b'\'' || end == 0 {
        return None;
    }
    std::str::from_utf8(&data[..end])
        .ok()
        .filter(|s| !s.contains(char::is_whitespace))
}

/// A row of the current report. The name borrows from the input unless the line had to be
/// cleaned (ANSI colours): no allocation per row.
#[derive(Debug)]
struct Node<'a> {
    name: Cow<'a, str>,
    self_us: i64,
    cumulative_us: i64,
    depth: u32,
    line: u64,
    /// Index of the first row of this row's subtree: rows print in post-order, so a subtree
    /// is the contiguous run `first..=index`.
    first: u32,
    children: Vec<u32>,
    cached: bool,
    failed: bool,
}

/// Builds the profile line by line; one report at a time is kept in memory.
struct Builder<'a, 'o> {
    opts: &'o ParseOptions,
    profile: Profile,
    failed_names: HashSet<String>,
    /// Rows of the open report, in print order.
    nodes: Vec<Node<'a>>,
    /// Finished rows whose parent has not printed yet (§1.5).
    open: Vec<u32>,
    /// How many of `open` are nested (depth > 0): asked on every row, so counted, not scanned
    /// (a scan made 50,000 pending roots and 50,000 rows take 33 s).
    open_nested: usize,
    /// Whether a report is open, and whether it began with a header.
    report_open: bool,
    had_header: bool,
    report_start: u64,
    /// Rows of the open report whose cumulative time disagrees with their children: a sign
    /// that several processes or threads write into it.
    report_mismatches: u64,
    rows: u64,
    path: Vec<FrameId>,
}

impl<'a, 'o> Builder<'a, 'o> {
    fn new(opts: &'o ParseOptions, failed_names: HashSet<String>) -> Self {
        Builder {
            opts,
            profile: Profile::new(InputKind::Importtime, Unit::Microseconds),
            failed_names,
            nodes: Vec::new(),
            open: Vec::new(),
            open_nested: 0,
            report_open: false,
            had_header: false,
            report_start: 0,
            report_mismatches: 0,
            rows: 0,
            path: Vec::new(),
        }
    }

    fn line(&mut self, line: Cow<'a, [u8]>, number: u64) {
        match line {
            Cow::Borrowed(line) => self.row(line, number, Cow::Borrowed),
            Cow::Owned(line) => self.row(&line, number, |name| Cow::Owned(name.to_string())),
        }
    }

    /// Handles one line; `keep` turns a name borrowed from `line` into one the node can hold.
    fn row<'l>(&mut self, line: &'l [u8], number: u64, keep: impl Fn(&'l str) -> Cow<'a, str>) {
        let Some((at, row)) = parse_row(line) else {
            return;
        };
        let at_line = Position::Line(number);
        if at > 0 && row != Row::Malformed {
            self.profile.diagnostics.note(MID_LINE, at_line);
        }
        match row {
            Row::Header => {
                if self.open_nested > 0 {
                    self.profile.diagnostics.note(HEADER_MID_REPORT, at_line);
                }
                self.close_report();
                self.report_open = true;
                self.had_header = true;
                self.report_start = number;
            }
            Row::Malformed => self.profile.diagnostics.note(MALFORMED, at_line),
            Row::Timed {
                self_us,
                cumulative_us,
                depth,
                name,
            } => {
                self.rows += 1;
                self.push(keep(name), self_us, cumulative_us, depth, number, false);
            }
            Row::Cached { name, depth, exact } => {
                if !self.opts.cached {
                    self.profile.diagnostics.note(CACHED_SKIPPED, at_line);
                    return;
                }
                if !exact {
                    self.profile.diagnostics.note(CACHED_DEPTH_GUESSED, at_line);
                }
                self.push(keep(name), 0, 0, depth, number, true);
            }
        }
    }

    fn push(
        &mut self,
        name: Cow<'a, str>,
        self_us: i64,
        cum: i64,
        depth: u32,
        line: u64,
        cached: bool,
    ) {
        if self.restarts_report(&name, cached) {
            self.close_report();
            self.profile
                .diagnostics
                .note(RESTARTED, Position::Line(line));
            self.report_open = true;
            self.had_header = true;
            self.report_start = line;
        }
        if !self.report_open {
            self.report_open = true;
            self.had_header = false;
            self.report_start = line;
        }
        let first_child = self
            .open
            .iter()
            .rposition(|&i| self.nodes[i as usize].depth <= depth)
            .map_or(0, |p| p + 1);
        let children: Vec<u32> = self.open.drain(first_child..).collect();
        let mut children_cum = 0i64;
        for &c in &children {
            let child = &self.nodes[c as usize];
            self.open_nested -= usize::from(child.depth > 0);
            children_cum = children_cum.saturating_add(child.cumulative_us);
            if child.depth > depth + 1 {
                self.profile
                    .diagnostics
                    .note(MISSING_LEVEL, Position::Line(child.line));
            }
        }
        if self_us < 0 {
            self.profile
                .diagnostics
                .note(NEGATIVE_SELF, Position::Line(line));
            let clamped = self.profile.facts.entry("clamped_us").or_default();
            *clamped = clamped.saturating_add(self_us.unsigned_abs());
        } else if !cached {
            // Each column is rounded up separately: on clean logs the gap is in
            // [-(children + 1), 0] µs (§1.5).
            let gap = cum.saturating_sub(self_us).saturating_sub(children_cum);
            let slack = children.len() as i64 + 1;
            if gap > 0 || gap < -slack {
                self.report_mismatches += 1;
                self.profile
                    .diagnostics
                    .note(MISMATCHED_CUMULATIVE, Position::Line(line));
            }
        }
        let index = self.nodes.len() as u32;
        let first = children
            .first()
            .map_or(index, |&c| self.nodes[c as usize].first);
        self.nodes.push(Node {
            name,
            self_us,
            cumulative_us: cum,
            depth,
            line,
            first,
            children,
            cached,
            failed: false,
        });
        self.open.push(index);
        self.open_nested += usize::from(depth > 0);
    }

    /// Python 3.7–3.11 sub-interpreters share the header of the main interpreter (§1.7): the
    /// first module of the report imported again, at a point where no import is in flight,
    /// means a new interpreter started.
    fn restarts_report(&self, name: &str, cached: bool) -> bool {
        !cached
            && self.report_open
            && self.nodes.first().is_some_and(|n| n.name.as_ref() == name)
            && self.open_nested == 0
    }

    /// Ends the open report: marks failures and importlib orphans, then emits one stack per
    /// row in import (pre-)order.
    fn close_report(&mut self) {
        if !self.report_open {
            return;
        }
        self.report_open = false;
        if self.nodes.is_empty() {
            return;
        }
        if !self.had_header {
            self.profile
                .diagnostics
                .note(NO_HEADER, Position::Line(self.report_start));
        }
        let report = self.profile.reports.len() as u32;
        self.profile.reports.push(format!("python #{}", report + 1));
        self.mark_failures();
        self.report_mismatches = 0;

        let open = std::mem::take(&mut self.open);
        self.open_nested = 0;
        let (roots, unfinished): (Vec<u32>, Vec<u32>) = open
            .into_iter()
            .partition(|&i| self.nodes[i as usize].depth == 0);
        // Roots come back in print order, each with the synthetic frame it sits under.
        let mut top: Vec<(Option<String>, u32)> = Vec::new();
        // Sized for the report up front: growing these maps row by row rehashed them ~10
        // times per report (callgrind: 3% of the parse).
        let mut seen_names: HashSet<&str> =
            HashSet::with_capacity_and_hasher(self.nodes.len(), Default::default());
        let mut order: Vec<(u32, Option<String>)> = roots
            .iter()
            .map(|&r| (r, None))
            .chain(
                unfinished
                    .iter()
                    .map(|&u| (u, Some(UNFINISHED.to_string()))),
            )
            .collect();
        order.sort_by_key(|(i, _)| *i);
        let mut orphan_count = 0u64;
        let mut orphan_first = None;
        let mut unfinished_count = 0u64;
        let mut unfinished_first = None;
        let mut seen_up_to = 0;
        for (i, synthetic) in order {
            // Rows printed before root i, its own subtree included (a package imported while
            // importing `xml.not_there` is timed), are the ones it can build on.
            let lower = i as usize;
            for node in &self.nodes[seen_up_to..lower.max(seen_up_to)] {
                seen_names.insert(node.name.as_ref());
            }
            seen_up_to = seen_up_to.max(lower);
            let node = &self.nodes[i as usize];
            let synthetic = match synthetic {
                Some(s) => {
                    unfinished_count += self.subtree_len(i) as u64;
                    unfinished_first.get_or_insert(node.line);
                    Some(s)
                }
                None => match node.name.split_once('.') {
                    Some((package, _)) if !seen_names.contains(package) => {
                        orphan_count += 1;
                        orphan_first.get_or_insert(node.line);
                        Some(format!("<untimed {package}>"))
                    }
                    _ => None,
                },
            };
            top.push((synthetic, i));
        }
        if let Some(first) = orphan_first {
            self.profile.diagnostics.note_many(
                IMPORTLIB_ORPHANS,
                orphan_count,
                Some(Position::Line(first)),
            );
        }
        if let Some(first) = unfinished_first {
            self.profile.diagnostics.note_many(
                UNFINISHED_ROWS,
                unfinished_count,
                Some(Position::Line(first)),
            );
        }
        for (synthetic, root) in top {
            self.emit_tree(report, synthetic.as_deref(), root);
        }
        *self.profile.facts.entry("modules").or_default() +=
            self.nodes.iter().filter(|n| !n.cached).count() as u64;
        self.nodes.clear();
    }

    fn subtree_len(&self, root: u32) -> usize {
        (root - self.nodes[root as usize].first) as usize + 1
    }

    /// A row is a failed import when the log says so (`No module named`), or when the same
    /// name is imported again later in the same report: a module that loaded stays in
    /// `sys.modules` and never gets a second row (§1.3).
    fn mark_failures(&mut self) {
        let mut last_leaf: HashMap<&str, usize> =
            HashMap::with_capacity_and_hasher(self.nodes.len(), Default::default());
        let mut repeated: Vec<usize> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.cached {
                continue;
            }
            // An earlier leaf inside this row's own subtree is a circular import of a module
            // still initialising (pandas.core.ops.common does it), not a failure.
            if let Some(prev) = last_leaf.insert(node.name.as_ref(), i)
                && prev < node.first as usize
            {
                repeated.push(prev);
            }
            if !node.children.is_empty() {
                last_leaf.remove(node.name.as_ref());
            }
        }
        // Where several processes write into one report, their rows repeat each other's
        // names without anything failing: trust only the log's own error messages there.
        if self.report_mismatches > 0 {
            if !repeated.is_empty() {
                self.profile.diagnostics.note_many(
                    REPEATS_NOT_MARKED,
                    repeated.len() as u64,
                    Some(Position::Line(self.nodes[repeated[0]].line)),
                );
            }
            repeated.clear();
        }
        for i in repeated {
            self.nodes[i].failed = true;
        }
        for node in &mut self.nodes {
            if !node.cached && self.failed_names.contains(node.name.as_ref()) {
                node.failed = true;
            }
        }
        let failed: Vec<u64> = self
            .nodes
            .iter()
            .filter(|n| n.failed)
            .map(|n| n.line)
            .collect();
        if let Some(&first) = failed.iter().min() {
            self.profile.diagnostics.note_many(
                FAILED,
                failed.len() as u64,
                Some(Position::Line(first)),
            );
        }
    }

    /// Emits `root` and its subtree in pre-order (import start order), with an explicit stack.
    fn emit_tree(&mut self, report: u32, synthetic: Option<&str>, root: u32) {
        self.path.clear();
        if let Some(label) = synthetic {
            let id = self.profile.frames.intern(label, Category::Synthetic);
            self.path.push(id);
        }
        let base = self.path.len();
        let mut todo: Vec<(u32, usize)> = vec![(root, base)];
        while let Some((i, level)) = todo.pop() {
            let frame = self.frame_for(i);
            self.path.truncate(level);
            self.path.push(frame);
            let node = &self.nodes[i as usize];
            let node_weight = node.self_us.max(0) as u64;
            self.profile.push_stack(&self.path, node_weight, report);
            todo.extend(node.children.iter().rev().map(|&c| (c, level + 1)));
        }
    }

    fn frame_for(&mut self, i: u32) -> FrameId {
        let node = &self.nodes[i as usize];
        let first_party = &self.opts.first_party;
        let label = if node.failed {
            format!("{} (failed)", node.name)
        } else if node.cached {
            format!("{} (cached)", node.name)
        } else {
            // The common case: no label to build, and the category only for a new name.
            return self
                .profile
                .frames
                .intern_with(&node.name, || module_category(&node.name, first_party));
        };
        let category = if node.failed {
            Category::Failed
        } else {
            module_category(&node.name, first_party)
        };
        self.profile.frames.intern(&label, category)
    }

    fn finish(mut self) -> Result<Profile> {
        self.close_report();
        if self.profile.reports.is_empty() {
            return Err(Error::no_data(
                "no \"import time:\" rows found (run Python with -X importtime and capture stderr)",
            ));
        }
        self.profile
            .facts
            .insert("reports", self.profile.reports.len() as u64);
        self.profile.facts.insert("rows", self.rows);
        Ok(self.profile)
    }
}

/// Colour class of a module: the standard library, the user's own packages, or installed.
pub fn module_category(name: &str, first_party: &[String]) -> Category {
    let top = name.split('.').next().unwrap_or(name);
    if first_party.iter().any(|p| p == top) {
        Category::FirstParty
    } else if is_stdlib_module(top) {
        Category::Stdlib
    } else if top == "conftest" || top == "tests" || top == "test" || top.starts_with("test_") {
        Category::FirstParty
    } else {
        Category::SitePackages
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

    #[test]
    fn children_are_adopted_by_the_next_shallower_row() {
        let log = "import time: self [us] | cumulative | imported package\n\
                   import time:        40 |         40 |     _codecs\n\
                   import time:       250 |        290 |   codecs\n\
                   import time:       300 |        300 |   encodings.aliases\n\
                   import time:       600 |       1190 | encodings\n\
                   import time:       200 |        200 | encodings.utf_8\n";
        let profile = parse(log.as_bytes(), &ParseOptions::default()).unwrap();
        let lines: Vec<String> = profile
            .folded_lines()
            .into_iter()
            .map(|(s, w)| format!("{s} {w}"))
            .collect();
        assert_eq!(
            lines,
            [
                "python #1;encodings 600",
                "python #1;encodings.utf_8 200",
                "python #1;encodings;codecs 250",
                "python #1;encodings;codecs;_codecs 40",
                "python #1;encodings;encodings.aliases 300",
            ]
        );
        assert!(profile.diagnostics.is_empty(), "{:?}", profile.diagnostics);
    }

    #[test]
    fn failure_messages_name_the_modules() {
        let names = failure_messages(
            b"ModuleNotFoundError: No module named 'not_a_module'\n\
              ImportError: cannot import name 'not_there' from 'numpy' (/x/numpy/__init__.py)\n",
        );
        assert!(names.contains("not_a_module"));
        assert!(names.contains("numpy.not_there"));
    }

    /// A pipe whose reader left after `open` bytes.
    struct ClosedAfter {
        open: usize,
        got: Vec<u8>,
    }

    impl Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() >= self.open {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.got.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn tee_into_a_closed_pipe_stops_copying_but_reads_everything() {
        let input = b"one\nimport time:   2 |   3 | b\ntwo\nthree\n";
        let mut out = ClosedAfter {
            open: 5,
            got: Vec::new(),
        };
        let data = tee_copy(&input[..], &mut out, u64::MAX).unwrap();
        assert_eq!(data, input);
        assert_eq!(out.got, b"one\ntwo\n");
    }

    #[test]
    fn tee_cuts_at_the_row_even_behind_colour_codes() {
        let input = b"x import time: junk \x1b[0mimport\x1b[1m time:        9 |          9 | d\n\x1b[1mok\x1b[0m import time:   1 |   1 | e\n";
        let mut out = Vec::new();
        tee_copy(&input[..], &mut out, u64::MAX).unwrap();
        assert_eq!(out, b"x import time: junk \x1b[0m\x1b[1mok\x1b[0m ");
    }

    #[test]
    fn tee_keeps_everything_but_rows() {
        let input = b"hello\r\ncollecting ... import time:   1 |   1 | a\nimport time:   2 |   3 | b\n\xff\xfe bad\n";
        let mut out = Vec::new();
        let data = tee_copy(&input[..], &mut out, u64::MAX).unwrap();
        assert_eq!(data, input);
        assert_eq!(out, b"hello\r\ncollecting ... \xff\xfe bad\n");
    }
}
