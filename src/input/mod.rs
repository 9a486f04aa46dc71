//! Reading inputs: a path or stdin, gunzipped when needed, UTF-16 turned into UTF-8 (one
//! layer, [`decode`], for every read, `--tee`'s included), the format detected from content
//! (`--from` overrides), then handed to one parser. Every error leaving this module names its
//! input.

pub mod austin;
pub mod decode;
pub mod detect;
pub mod folded;
pub mod importtime;
pub mod pstats;
pub mod pyframe;
pub mod pyspy;
pub mod speedscope;
pub mod tachyon;
pub mod tee;
pub mod text;

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::Profile;

pub use detect::Format;

/// Where an input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-` or no input at all).
    Stdin,
    /// A file.
    Path(PathBuf),
}

impl Source {
    /// The name used in messages and as the input's root frame: the path as given, or `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_string(),
            Source::Path(p) => p.display().to_string(),
        }
    }

    /// Opens the source for reading.
    pub fn open(&self) -> Result<Box<dyn Read>> {
        match self {
            Source::Stdin => Ok(Box::new(io::stdin().lock())),
            Source::Path(p) => {
                if p.is_dir() {
                    return Err(
                        Error::usage("is a directory, expected a file").in_input(&self.name())
                    );
                }
                let file = File::open(p).map_err(|e| Error::from(e).in_input(&self.name()))?;
                Ok(Box::new(file))
            }
        }
    }
}

/// Options that change how inputs are parsed.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// Keep 3.14 `-X importtime=2` `cached` rows (weight 0).
    pub cached: bool,
    /// Keep idle threads of py-spy dumps and sampling profilers.
    pub idle: bool,
    /// Keep file paths whole instead of shortening them.
    pub full_paths: bool,
    /// Top-level package names to colour as first-party code.
    pub first_party: Vec<String>,
    /// Largest input, after decompression, that is read (a gzip bomb stops here).
    pub max_input_bytes: u64,
    /// Sampled inputs (py-spy, Austin, speedscope, 3.15's outputs, sampled pstats): keep a
    /// function's executing lines as separate frames. Off by default, because samples carry
    /// the line that was executing, not the `def` line, so one function would show up as many
    /// frames side by side (145 of 801 in a real 3.15 pstats file).
    pub keep_lines: bool,
    /// pstats: most frames in one inferred stack; deeper stacks keep their top frames, then
    /// `[deeper frames elided]`, then their leaf function, so no time is lost. At least 3.
    pub max_depth: usize,
}

/// The default [`ParseOptions::max_depth`]: deeper than real Python stacks usually are, short
/// enough that a wandering inferred path through a 17,000-function graph stays readable.
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// The default limit on one input's size after decompression: 4 GiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 4 << 30;

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            cached: false,
            idle: false,
            full_paths: false,
            first_party: Vec::new(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            keep_lines: false,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// Reads the whole input into memory through [`decode`]: decompressed, UTF-16 converted, at
/// most `limit` bytes.
pub fn read_all(source: &Source, limit: u64) -> Result<Vec<u8>> {
    let name = source.name();
    let reader = source.open()?;
    // Sized once from the file's length: growing a 31 MB buffer by doubling copied it twice
    // over and faulted in twice the pages.
    let size_hint = match source {
        Source::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
        Source::Stdin => 0,
    };
    read_limited_sized(reader, limit, size_hint).map_err(|e| e.in_input(&name))
}

/// Reads `reader` to the end through [`decode`].
pub fn read_limited(reader: impl Read, limit: u64) -> Result<Vec<u8>> {
    read_limited_sized(reader, limit, 0)
}

/// [`read_limited`] into a buffer that starts with room for `size_hint` bytes.
fn read_limited_sized(reader: impl Read, limit: u64, size_hint: u64) -> Result<Vec<u8>> {
    let capacity = size_hint.min(limit).saturating_add(1);
    let mut data = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    decode::decode(reader, limit)?
        .read_to_end(&mut data)
        .map_err(decode::error)?;
    Ok(data)
}

/// Parses `data` as `format` (or the detected format) into a profile.
pub fn parse_bytes(data: &[u8], from: Option<Format>, opts: &ParseOptions) -> Result<Profile> {
    let format = match from {
        Some(f) => f,
        None => detect::detect(data)?,
    };
    let mut profile = format.parse(data, opts)?;
    if format == Format::Importtime {
        crate::pytest::note_capture_trap(data, &mut profile);
    }
    Ok(profile)
}

/// Reads and parses one input; errors name it.
pub fn load(source: &Source, from: Option<Format>, opts: &ParseOptions) -> Result<Profile> {
    let name = source.name();
    let data = read_all(source, opts.max_input_bytes)?;
    if data.is_empty() {
        return Err(Error::no_data(
            "empty input, expected an importtime log, pstats file or py-spy output",
        )
        .in_input(&name));
    }
    parse_bytes(&data, from, opts).map_err(|e| e.in_input(&name))
}
