//! Reading inputs: a path or stdin, gunzipped when needed, UTF-16 turned into UTF-8 (one
//! layer, [`decode`], for every read, `--tee`'s included), the format detected from content
//! (`--from` overrides), then handed to one parser. Every error leaving this module names its
//! input.

pub mod austin;
pub mod decode;
pub mod detect;
pub mod folded;
pub mod importtime;
pub mod lenient;
pub mod pstats;
pub mod pyframe;
pub mod pyspy;
pub mod speedscope;
pub mod stream;
mod streaming;
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
    /// Set when the stacks feed only a sorted flame graph whose roots never merge (one per
    /// report and per input): its `--min-width`, in percent of the total. A streamed
    /// importtime log then cuts each closed report's subtrees that can never be drawn down to
    /// placeholders (same picture, memory for what is drawn). `None` keeps every stack.
    pub prune_below: Option<f64>,
    /// Set when the stacks' order is drawn (`--flamechart`): readers of sampled stacks then
    /// push every stack as read, instead of adding a stack met again to its first entry
    /// (which keeps memory to the distinct stacks, and changes nothing a sorted fold shows).
    pub keep_order: bool,
    /// Threads an importtime log's reports may be parsed on (`--jobs`; 0 = rayon's default). The
    /// result does not depend on it.
    pub jobs: usize,
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
            prune_below: None,
            keep_order: false,
            jobs: 0,
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
///
/// An input larger than [`HEAD`] whose first [`HEAD`] bytes are an importtime log (or that
/// `--from importtime` names one) is parsed as it is read ([`importtime::parse_stream`]), so
/// memory does not grow with the log; so are folded stacks (3.15's `--collapsed` too), py-spy
/// text dumps, Austin, speedscope and Gecko JSON (`streaming::other`). Standard input goes the same way (`streaming::stdin`
/// keeps a copy of an importtime log for the rare second read). The other formats are read
/// whole: they need all of it.
pub fn load(source: &Source, from: Option<Format>, opts: &ParseOptions) -> Result<Profile> {
    let name = source.name();
    let loaded = match source {
        Source::Path(_) => load_streaming(source, from, opts),
        Source::Stdin => streaming::stdin(from, opts),
    };
    let data = match loaded.map_err(|e| e.in_input(&name))? {
        Loaded::Parsed(profile) => return Ok(*profile),
        Loaded::Whole(data) => data,
    };
    if data.is_empty() {
        return Err(Error::no_data(
            "empty input, expected an importtime log, pstats file or py-spy output",
        )
        .in_input(&name));
    }
    parse_bytes(&data, from, opts).map_err(|e| e.in_input(&name))
}

/// How much of a file is read before deciding whether to parse it as a stream: more than any
/// format's sniffer looks at (py-spy's reads 64 KiB), so the choice is the one the whole file
/// would get.
pub const HEAD: usize = 1 << 20;

enum Loaded {
    Parsed(Box<Profile>),
    Whole(Vec<u8>),
}

/// The first [`HEAD`] bytes of `reader` (all of it, when shorter).
pub(super) fn read_head(reader: &mut impl Read) -> Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    reader
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(decode::error)?;
    Ok(head)
}

/// Whether an input that starts with `head` is parsed as an importtime log read as a stream:
/// a full [`HEAD`] that is one (or that `--from importtime` names one), with no rows broken
/// at the console width, whose rejoining needs the whole text.
pub(super) fn streams_as_importtime(head: &[u8], from: Option<Format>) -> bool {
    head.len() == HEAD
        && match from {
            Some(f) => f == Format::Importtime,
            None => detect::detect(head).is_ok_and(|f| f == Format::Importtime),
        }
        && !importtime::looks_wrapped(head)
}

/// Reads [`HEAD`] bytes of `source`: a large importtime log is parsed chunk by chunk (read
/// twice in the rare case that a failure message follows its closed report); any other file
/// goes on to [`streaming::other`], which streams the formats it can and reads the rest whole.
fn load_streaming(source: &Source, from: Option<Format>, opts: &ParseOptions) -> Result<Loaded> {
    let limit = opts.max_input_bytes;
    let mut reader = read_ahead(source, limit)?;
    let head = read_head(&mut reader)?;
    if !streams_as_importtime(&head, from) {
        let size_hint = match source {
            Source::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Source::Stdin => 0,
        };
        return streaming::other(head, reader, from, opts, size_hint);
    }
    let chunk = importtime::CHUNK;
    // The size on disk: the text's for a plain log, less for a gzip one (room then grows).
    let size = match source {
        Source::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
        Source::Stdin => 0,
    };
    let mut stream = io::Cursor::new(head).chain(reader);
    let known = match importtime::parse_stream(&mut stream, opts, chunk, size)? {
        importtime::Streamed::Done(profile) => return Ok(Loaded::Parsed(profile)),
        importtime::Streamed::Again(known) => known,
    };
    drop(stream);
    let mut again = read_ahead(source, limit)?;
    importtime::parse_stream_knowing(&mut again, opts, known, chunk)
        .map(|p| Loaded::Parsed(Box::new(p)))
}

/// The decoded text of a file, decoded (gunzipped, UTF-16 converted) on a second thread a few
/// chunks ahead of the parser: inflating was a third of a gzip log's time, and the parse
/// cannot be split (a row's parent comes after it). The order is the file's, so the result
/// does not depend on the threads.
///
/// The chunks the parser has read come back to be filled again, so a log is read through a
/// few buffers, each zeroed once: a fresh `Vec` per chunk filled by `read_to_end` zeroed
/// every chunk before reading into it (31 MB of stores on the x200 log) and faulted in new
/// pages for many of them.
fn read_ahead(source: &Source, limit: u64) -> Result<ReadAhead> {
    // Opened here first for the usual errors (a directory, a missing file) with their names.
    drop(source.open()?);
    let Source::Path(path) = source else {
        return Err(Error::usage("only a file is read ahead"));
    };
    let path = path.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<Result<()>>(1);
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Filled>>(2);
    let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let decoded = File::open(&path)
            .map_err(Error::from)
            .and_then(|file| decode::decode(file, limit));
        let mut reader = match decoded {
            Ok(reader) => {
                let _ = ready_tx.send(Ok(()));
                reader
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        loop {
            let mut chunk = spare_rx
                .try_recv()
                .unwrap_or_else(|_| vec![0; importtime::CHUNK]);
            match fill(&mut reader, &mut chunk) {
                // The end, said with an empty chunk: a thread that vanished is an error.
                Ok(0) => {
                    let _ = tx.send(Ok((Vec::new(), 0)));
                    return;
                }
                // A closed channel: the parser stopped (an error), so stop reading.
                Ok(filled) => {
                    if tx.send(Ok((chunk, filled))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    ready_rx
        .recv()
        .map_err(|_| Error::invalid("the reading thread stopped"))??;
    Ok(ReadAhead {
        chunks: rx,
        spare: spare_tx,
        chunk: Vec::new(),
        filled: 0,
        at: 0,
        done: false,
    })
}

/// A chunk of [`read_ahead`] and how many of its bytes were read.
type Filled = (Vec<u8>, usize);

/// Reads from `reader` until `buf` is full or the input ends; the bytes read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The reading end of [`read_ahead`].
struct ReadAhead {
    chunks: std::sync::mpsc::Receiver<io::Result<Filled>>,
    /// Where read chunks go back to the reading thread (which may have ended: then they go).
    spare: std::sync::mpsc::Sender<Vec<u8>>,
    chunk: Vec<u8>,
    filled: usize,
    at: usize,
    done: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.filled {
            if self.done {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok((chunk, filled))) => {
                    self.done = filled == 0;
                    let read = std::mem::replace(&mut self.chunk, chunk);
                    if !read.is_empty() {
                        let _ = self.spare.send(read);
                    }
                    self.filled = filled;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("the reading thread stopped")),
            }
        }
        let n = buf.len().min(self.filled - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
