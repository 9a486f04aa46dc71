//! Inputs other than importtime files read as a stream once their head has said what they
//! are: folded stacks (py-spy's raw recordings, 3.15's `--collapsed`), py-spy text dumps,
//! Austin, speedscope and Gecko JSON, from a file or from standard input; and importtime logs
//! on standard input, which a file's second read ([`super::importtime::Streamed::Again`])
//! would find gone: they are read through a [`Spool`], a copy of the raw bytes (compressed,
//! when they are) in a temporary file, read again only in that rare case. The other formats
//! are read whole, as before.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::rc::Rc;

use crate::error::{Error, Result};

use super::stream::rejoin;
use super::{
    Format, HEAD, Loaded, ParseOptions, austin, decode, detect, folded, importtime, pyspy,
};
use super::{speedscope, tachyon};

/// How much of a folded input its sniffer may look at ([`folded::sniff`]), plus one byte to
/// know whether more follows: when the first MiB does not settle it, this much is read first.
const FOLDED_HEAD: usize = 16 << 20;

/// Reads an input whose first bytes, `head` (the whole input when shorter than [`HEAD`]), are
/// read already and `rest` follows: parsed as a stream when its format allows, else read whole
/// (into a buffer sized once from `size_hint`, the file's length) and handed back. The format
/// is the one [`detect::detect`] gives the whole input.
pub(super) fn other(
    mut head: Vec<u8>,
    mut rest: impl Read,
    from: Option<Format>,
    opts: &ParseOptions,
    size_hint: u64,
) -> Result<Loaded> {
    let whole = |mut head: Vec<u8>, mut rest: Box<dyn Read + '_>| -> Result<Loaded> {
        // Growing a 31 MB buffer by doubling copied it twice over (see `read_all`).
        let room = size_hint.min(opts.max_input_bytes).saturating_add(1);
        let room = usize::try_from(room)
            .unwrap_or(0)
            .saturating_sub(head.len());
        head.reserve(room);
        rest.read_to_end(&mut head).map_err(decode::error)?;
        Ok(Loaded::Whole(head))
    };
    if head.len() < HEAD {
        return whole(head, Box::new(rest));
    }
    let format = match from {
        Some(f) => f,
        None => match detect::detect_head(&head) {
            Some(Ok(f)) => f,
            Some(Err(_)) => return whole(head, Box::new(rest)),
            None => {
                let more = (FOLDED_HEAD + 1 - head.len()) as u64;
                (&mut rest)
                    .take(more)
                    .read_to_end(&mut head)
                    .map_err(decode::error)?;
                match detect::detect(&head) {
                    Ok(f) if head.len() > FOLDED_HEAD => f,
                    _ => return whole(head, Box::new(rest)),
                }
            }
        },
    };
    if format == Format::Austin {
        let Some(header) = austin::head_header(&head) else {
            return whole(head, Box::new(rest));
        };
        let profile = austin::parse_reader(header, rejoin(head, rest), opts)?;
        return Ok(Loaded::Parsed(Box::new(profile)));
    }
    let reader = rejoin(head, rest);
    let profile = match format {
        Format::Folded => folded::parse_reader(reader, opts)?,
        Format::Pyspy => match pyspy::stream_kind(&reader.get_ref().0.get_ref()[..]) {
            pyspy::StreamKind::Dump => pyspy::parse_text_reader(reader, opts)?,
            pyspy::StreamKind::Folded => folded::parse_reader(reader, opts)?,
            pyspy::StreamKind::Speedscope => speedscope::parse_reader(reader, opts)?,
            pyspy::StreamKind::Whole => {
                let (head, rest) = reader.into_inner();
                return whole(head.into_inner(), Box::new(rest));
            }
        },
        Format::Speedscope => speedscope::parse_reader(reader, opts)?,
        Format::Gecko => tachyon::gecko::parse_reader(reader, opts)?,
        Format::TachyonCollapsed => tachyon::collapsed::parse_reader(reader, opts)?,
        _ => {
            let (head, rest) = reader.into_inner();
            return whole(head.into_inner(), Box::new(rest));
        }
    };
    Ok(Loaded::Parsed(Box::new(profile)))
}

/// Reads standard input: an importtime log (the first MiB says so, or `--from importtime`) as
/// a file is read ([`importtime::parse_stream`]), with a [`Spool`] for the rare second read;
/// every other format through [`other`].
pub(super) fn stdin(from: Option<Format>, opts: &ParseOptions) -> Result<Loaded> {
    let spool = Spool::new(io::stdin().lock());
    let copy = Rc::clone(&spool.copy);
    let mut reader = decode::decode(spool, opts.max_input_bytes)?;
    let head = super::read_head(&mut reader)?;
    if !super::streams_as_importtime(&head, from) {
        // No second read: stop copying.
        copy.borrow_mut().take();
        return other(head, reader, from, opts, 0);
    }
    let mut stream = rejoin(head, reader);
    let known = match importtime::parse_stream(&mut stream, opts, importtime::CHUNK, 0)? {
        importtime::Streamed::Done(profile) => return Ok(Loaded::Parsed(profile)),
        importtime::Streamed::Again(known) => known,
    };
    // The first read went to the end; the copy holds the whole input.
    io::copy(&mut stream, &mut io::sink()).map_err(decode::error)?;
    drop(stream);
    let kept = copy.borrow_mut().take();
    let kept = kept
        .ok_or_else(|| Error::invalid("standard input was not kept for its second read"))?
        .reread()?;
    let mut again = decode::decode(kept, opts.max_input_bytes)?;
    importtime::parse_stream_knowing(&mut again, opts, known, importtime::CHUNK)
        .map(|p| Loaded::Parsed(Box::new(p)))
}

/// A reader that copies every byte it reads into a [`Kept`] copy, until the copy is taken
/// away: standard input cannot be read twice.
struct Spool<R> {
    inner: R,
    copy: Rc<RefCell<Option<Kept>>>,
}

/// The copy of what a [`Spool`] read: an unnamed temporary file (removed when closed), or,
/// where none can be made (a read-only system), memory; a copy whose file could not be
/// written is lost, which matters only if it is read again.
enum Kept {
    File(BufWriter<File>),
    Memory(Vec<u8>),
    Lost(io::Error),
}

impl Kept {
    fn new() -> Kept {
        match tempfile::tempfile() {
            Ok(file) => Kept::File(BufWriter::with_capacity(1 << 16, file)),
            Err(_) => Kept::Memory(Vec::new()),
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        let written = match self {
            Kept::File(file) => file.write_all(bytes),
            Kept::Memory(data) => {
                data.extend_from_slice(bytes);
                Ok(())
            }
            Kept::Lost(_) => Ok(()),
        };
        if let Err(e) = written {
            *self = Kept::Lost(e);
        }
    }

    /// The copy, from its start.
    fn reread(self) -> Result<Box<dyn Read>> {
        let lost = |e: io::Error| {
            Error::invalid(format!(
                "the temporary copy of standard input for its second read failed ({e})"
            ))
        };
        match self {
            Kept::File(file) => {
                let mut file = file.into_inner().map_err(|e| lost(e.into_error()))?;
                file.rewind().map_err(lost)?;
                Ok(Box::new(file))
            }
            Kept::Memory(data) => Ok(Box::new(io::Cursor::new(data))),
            Kept::Lost(e) => Err(lost(e)),
        }
    }
}

impl<R: Read> Spool<R> {
    fn new(inner: R) -> Self {
        Spool {
            inner,
            copy: Rc::new(RefCell::new(Some(Kept::new()))),
        }
    }
}

impl<R: Read> Read for Spool<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(copy) = self.copy.borrow_mut().as_mut() {
            copy.keep(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_keeps_what_was_read_until_its_copy_is_taken() {
        let mut spool = Spool::new(&b"abcdef"[..]);
        let mut got = [0u8; 4];
        spool.read_exact(&mut got).unwrap();
        let copy = spool.copy.borrow_mut().take().unwrap();
        let mut rest = Vec::new();
        spool.read_to_end(&mut rest).unwrap();
        let mut kept = Vec::new();
        copy.reread().unwrap().read_to_end(&mut kept).unwrap();
        assert_eq!(
            (&got[..], &rest[..], &kept[..]),
            (&b"abcd"[..], &b"ef"[..], &b"abcd"[..])
        );
    }
}
