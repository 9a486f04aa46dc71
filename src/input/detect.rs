//! Which parser reads an input, decided from its content (FORMATS.md; CLI.md "Commands").
//! Each format has a cheap `sniff`; they are tried in a fixed order: binary first (pstats),
//! then JSON documents (speedscope, Gecko, 3.15 `--jsonl`, py-spy `dump --json`), HTML, the
//! text formats with distinctive headers (py-spy dump, 3.15 dump), importtime rows, and last
//! the forgiving folded stacks (3.15 `--collapsed`, then any). Files of formats we do not read
//! (py-spy's chrometrace, SVG images, other HTML and JSON) are named in the error.

use crate::error::{Error, Result};
use crate::model::Profile;

use super::{ParseOptions, austin, folded, importtime, pstats, pyspy, speedscope, tachyon, text};

/// An input format, as named by `--from`. The doc comments are the `--from` help (clap's
/// `ValueEnum`), so the variants, their names and their help are written once, here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `python -X importtime` log (rows anywhere in other output).
    Importtime,
    /// pstats file (cProfile, profile, CPython 3.15 `profiling.sampling --pstats`).
    Pstats,
    /// py-spy dump, text or --json.
    Pyspy,
    /// Collapsed stacks (py-spy record -f raw, flamegraph.pl, inferno).
    Folded,
    /// speedscope JSON.
    Speedscope,
    /// CPython 3.15 `profiling.sampling --collapsed`.
    TachyonCollapsed,
    /// Austin's collapsed samples: `# austin:` metadata, `P<pid>;T<tid>;path:function:line`.
    Austin,
    /// CPython 3.15 `profiling.sampling dump`.
    TachyonDump,
    /// Firefox Profiler processed JSON (`profiling.sampling --gecko`).
    Gecko,
    /// CPython 3.15 `profiling.sampling --jsonl` (holds no stacks: explains what to record).
    TachyonJsonl,
    /// CPython 3.15 `profiling.sampling --flamegraph` HTML page.
    TachyonFlamegraph,
}

impl Format {
    /// Every format with its `--from` name, in the order detection tries them (pstats first).
    pub const ALL: [(Format, &'static str); 11] = [
        (Format::Pstats, "pstats"),
        (Format::Speedscope, "speedscope"),
        (Format::Gecko, "gecko"),
        (Format::TachyonJsonl, "tachyon-jsonl"),
        (Format::TachyonFlamegraph, "tachyon-flamegraph"),
        (Format::Pyspy, "pyspy"),
        (Format::TachyonDump, "tachyon-dump"),
        (Format::Importtime, "importtime"),
        (Format::Austin, "austin"),
        (Format::TachyonCollapsed, "tachyon-collapsed"),
        (Format::Folded, "folded"),
    ];

    /// The `--from` name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }

    /// The format a `--from` name stands for.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }

    /// Runs this format's parser.
    pub fn parse(self, data: &[u8], opts: &ParseOptions) -> Result<Profile> {
        match self {
            Format::Importtime => importtime::parse(data, opts),
            Format::Pstats => pstats::parse(data, opts),
            Format::Pyspy => pyspy::parse(data, opts),
            Format::Folded => folded::parse(data, opts),
            Format::Speedscope => speedscope::parse(data, opts),
            Format::TachyonCollapsed => tachyon::collapsed::parse(data, opts),
            Format::Austin => austin::parse(data, opts),
            Format::TachyonDump => tachyon::dump::parse(data, opts),
            Format::Gecko => tachyon::gecko::parse(data, opts),
            Format::TachyonJsonl => tachyon::jsonl::parse(data, opts),
            Format::TachyonFlamegraph => tachyon::html::parse(data, opts),
        }
    }

    /// This format's sniffer.
    fn sniff(self, data: &[u8]) -> bool {
        match self {
            Format::Importtime => importtime::sniff(data),
            Format::Pstats => pstats::sniff(data),
            Format::Pyspy => pyspy::sniff(data),
            Format::Folded => folded::sniff(data),
            Format::Speedscope => speedscope::sniff(data),
            Format::TachyonCollapsed => tachyon::collapsed::sniff(data),
            Format::Austin => austin::sniff(data),
            Format::TachyonDump => tachyon::dump::sniff(data),
            Format::Gecko => tachyon::gecko::sniff(data),
            Format::TachyonJsonl => tachyon::jsonl::sniff(data),
            Format::TachyonFlamegraph => tachyon::html::sniff(data),
        }
    }
}

/// Picks the format of `data`, or explains what it looked like.
pub fn detect(data: &[u8]) -> Result<Format> {
    for (format, _) in Format::ALL {
        if format.sniff(data) {
            return Ok(format);
        }
    }
    Err(unknown(data))
}

/// [`detect`] of an input that starts with `head` and goes on, for reading the rest as a
/// stream: every sniffer but the folded one looks at less than its first MiB, so sees what
/// it would see of the whole input; `None` when the folded sniffer's lines run to the head's
/// end, and a longer head is needed ([`folded::sniff_head`]).
pub fn detect_head(head: &[u8]) -> Option<Result<Format>> {
    for (format, _) in Format::ALL {
        let hit = match format {
            Format::Folded => folded::sniff_head(head)?,
            _ => format.sniff(head),
        };
        if hit {
            return Some(Ok(format));
        }
    }
    Some(Err(unknown(head)))
}

/// The error for data of no known format.
fn unknown(data: &[u8]) -> Error {
    let tried: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
    Error::no_data(format!(
        "no \"import time:\" rows, pstats or py-spy data found (the input looks like {}; \
         tried {})",
        describe(data),
        tried.join(", ")
    ))
}

/// A few words on what unrecognised input looks like, naming the formats of other tools that
/// users are likely to feed in by mistake.
fn describe(data: &[u8]) -> &'static str {
    let head = &data[..data.len().min(4096)];
    let text_start = head.strip_prefix(text::UTF8_BOM).unwrap_or(head);
    let first = text_start.iter().position(|b| !b.is_ascii_whitespace());
    let trimmed = first.map_or(&[][..], |i| &text_start[i..]);
    let lower: Vec<u8> = trimmed
        .iter()
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    if head.is_empty() {
        return "nothing";
    }
    if trimmed.starts_with(b"[")
        && text::find(head, b"\"ph\"").is_some()
        && (text::find(head, b"\"B\"").is_some() || text::find(head, b"\"E\"").is_some())
    {
        return "py-spy chrometrace JSON (a list of B/E trace events), which is not read: \
                record with py-spy --format raw or --format speedscope instead";
    }
    if lower.starts_with(b"<svg")
        || (lower.starts_with(b"<?xml") && text::find(&lower, b"<svg").is_some())
    {
        return "an SVG image (a rendered flame graph?), which holds no profile to read: \
                use the profiler's raw output instead";
    }
    if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        return "an HTML page that is not a CPython 3.15 --flamegraph page (no EMBEDDED_DATA)";
    }
    if trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        return "JSON of an unknown kind (not speedscope, Gecko, py-spy dump --json or 3.15 --jsonl)";
    }
    if let Some(kind) = binary_profile(head) {
        return kind;
    }
    if looks_binary(head) {
        "binary data that is not a pstats file (pstats starts with a marshalled dict, byte 0x7B)"
    } else {
        "text"
    }
}

/// True when more than a tenth of `head` is control bytes other than whitespace and ESC.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    let binary = head
        .iter()
        .filter(|&&b| b < 0x09 || (0x0E..0x20).contains(&b) && b != 0x1B)
        .count();
    binary * 10 > head.len()
}

/// Other profilers' binary files, by their magic numbers, with what to do instead.
fn binary_profile(head: &[u8]) -> Option<&'static str> {
    // perf.data: `PERFILE2`, byte-swapped on big-endian machines (tools/perf/util/header.c).
    if head.starts_with(b"PERFILE2") || head.starts_with(b"2ELIFREP") {
        return Some(
            "a Linux perf.data file, which is not read: fold it with `perf script | \
             inferno-collapse-perf` (or stackcollapse-perf.pl) and read the folded stacks",
        );
    }
    // gperftools' CPU profile: a header of words 0, 3 (header size), 0 (version), then the
    // sampling period and 0, in 64-bit or 32-bit native words (docs/cpuprofile-fileformat).
    let words = |size: usize| -> Option<Vec<u64>> {
        (head.len() >= 5 * size).then(|| {
            head.chunks_exact(size)
                .take(5)
                .map(|w| w.iter().rev().fold(0u64, |n, &b| n << 8 | u64::from(b)))
                .collect()
        })
    };
    let gperftools = [8, 4]
        .into_iter()
        .filter_map(words)
        .any(|w| w[0] == 0 && w[1] == 3 && w[2] == 0 && w[3] > 0 && w[4] == 0);
    if gperftools {
        return Some(
            "a gperftools CPU profile (binary), which is not read: fold it with `pprof \
             --collapsed PROGRAM FILE` and read the folded stacks",
        );
    }
    // pprof's profile.proto, gunzipped already: field 1 (sample_type, a message) first, and
    // the usual strings of its string table.
    if head.first() == Some(&0x0A)
        && looks_binary(head)
        && (text::find(head, b"samples").is_some() || text::find(head, b"nanoseconds").is_some())
    {
        return Some(
            "a pprof profile (gzipped protobuf), which is not read: draw it with `pprof -http=: \
             FILE`, or fold it into `frame;frame COUNT` lines first",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (format, name) in Format::ALL {
            assert_eq!(Format::from_name(name), Some(format));
            assert_eq!(format.name(), name);
        }
    }

    #[test]
    fn detection_tries_every_format_under_its_from_name() {
        use clap::ValueEnum;
        let from: Vec<String> = Format::value_variants()
            .iter()
            .map(|f| f.to_possible_value().unwrap().get_name().to_string())
            .collect();
        let mut tried: Vec<String> = Format::ALL.iter().map(|(_, n)| n.to_string()).collect();
        assert_eq!(tried.len(), from.len());
        for (format, name) in Format::ALL {
            assert_eq!(from[format as usize], name);
        }
        tried.sort();
        let mut from = from;
        from.sort();
        assert_eq!(tried, from);
    }

    #[test]
    fn other_tools_formats_are_named() {
        for (input, expected) in [
            (
                &br#"[{"name":"f","ph":"B","ts":1},{"ph":"E","ts":2}]"#[..],
                "chrometrace",
            ),
            (b"<?xml version=\"1.0\"?>\n<svg version=\"1.1\">", "SVG"),
            (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML page"),
            (b"{\"a\": 1}", "JSON of an unknown kind"),
            (b"just some words\n", "text"),
            (b"PERFILE2\x68\0\0\0\0\0\0\0", "perf.data"),
            (
                b"\0\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\
                  \x10\x27\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
                "gperftools CPU profile",
            ),
            (
                b"\x0a\x04\x08\x01\x10\x02\x32\x00\x32\x07samples\x32\x05count",
                "pprof profile",
            ),
            (
                &[0u8, 1, 2, 3, 4, 5, 6, 7][..],
                "binary data that is not a pstats file",
            ),
        ] {
            let err = detect(input).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
