//! Which parser reads an input, decided from its content (FORMATS.md; CLI.md "Commands").
//! Each format has a cheap `sniff`; they are tried in a fixed order, binary and JSON formats
//! first, since text formats are more forgiving.

use crate::error::{Error, Result};
use crate::model::Profile;

use super::{ParseOptions, folded, importtime, pstats, pyspy, speedscope};

/// An input format, as named by `--from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `python -X importtime` stderr, rows anywhere in other output.
    Importtime,
    /// pstats file (`cProfile`, `profile`), marshal.
    Pstats,
    /// `py-spy dump` text or `--json`.
    Pyspy,
    /// Collapsed stacks (`py-spy record -f raw`, flamegraph.pl, inferno).
    Folded,
    /// speedscope JSON.
    Speedscope,
}

impl Format {
    /// Runs this format's parser.
    pub fn parse(self, data: &[u8], opts: &ParseOptions) -> Result<Profile> {
        match self {
            Format::Importtime => importtime::parse(data, opts),
            Format::Pstats => pstats::parse(data, opts),
            Format::Pyspy => pyspy::parse(data, opts),
            Format::Folded => folded::parse(data, opts),
            Format::Speedscope => speedscope::parse(data, opts),
        }
    }
}

/// Picks the format of `data`, or explains what it looked like.
pub fn detect(data: &[u8]) -> Result<Format> {
    if pstats::sniff(data) {
        return Ok(Format::Pstats);
    }
    if speedscope::sniff(data) {
        return Ok(Format::Speedscope);
    }
    if pyspy::sniff(data) {
        return Ok(Format::Pyspy);
    }
    if importtime::sniff(data) {
        return Ok(Format::Importtime);
    }
    if folded::sniff(data) {
        return Ok(Format::Folded);
    }
    Err(Error::no_data(format!(
        "no \"import time:\" rows, pstats or py-spy data found (the input looks like {}; \
         tried importtime, pstats, py-spy dump, folded stacks and speedscope)",
        describe(data)
    )))
}

/// A few words on what unrecognised input looks like.
fn describe(data: &[u8]) -> &'static str {
    let head = &data[..data.len().min(4096)];
    if head.is_empty() {
        return "nothing";
    }
    let binary = head
        .iter()
        .filter(|&&b| b < 0x09 || (0x0E..0x20).contains(&b))
        .count();
    if binary * 10 > head.len() {
        "binary data"
    } else {
        "text"
    }
}
