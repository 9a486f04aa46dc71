//! The one decoding layer every input goes through, whole-file reads and `--tee` alike: gunzip
//! when the bytes start with the gzip magic, stop past the size limit (counted after
//! decompression, so a gzip bomb stops there), and turn UTF-16 after a byte-order mark (`FF FE`
//! little-endian, `FE FF` big-endian) into UTF-8 (FORMATS.md §0). It is a [`Read`], so a caller can take the text in chunks as it comes
//! (`--tee` does, line by line) or all at once ([`super::read_all`]).

use std::fmt;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// Why decoding stopped, carried inside the `io::Error` that [`Read`] must return and turned
/// back into a message by [`error`].
#[derive(Debug)]
enum Fault {
    TooLarge(u64),
    Gzip(io::Error),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::TooLarge(limit) => write!(
                f,
                "input is larger than {limit} bytes (after decompression); raise the limit with --max-input-size"
            ),
            Fault::Gzip(e) => write!(f, "not a valid gzip stream ({e})"),
        }
    }
}

impl std::error::Error for Fault {}

/// The crate error for an `io::Error` read from a [`decode`]d reader: the size and gzip faults
/// become their messages, any other I/O error stays one.
pub fn error(err: io::Error) -> Error {
    match err.get_ref().and_then(|e| e.downcast_ref::<Fault>()) {
        Some(fault) => Error::invalid(fault.to_string()),
        None => Error::from(err),
    }
}

/// Wraps `reader` so that what comes out is UTF-8 text (or whatever bytes the input holds, for
/// the binary formats), gunzipped, at most `limit` bytes after decompression. Reads the first
/// bytes now to choose the layers.
pub fn decode<'r>(reader: impl Read + 'r, limit: u64) -> Result<Box<dyn Read + 'r>> {
    let (head, reader) = peek2(reader).map_err(error)?;
    let decompressed: Box<dyn Read + 'r> = if head == [0x1F, 0x8B] {
        Box::new(GzipFaults(MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    };
    let limited = Limited {
        inner: decompressed,
        left: limit.saturating_add(1),
        limit,
    };
    let (head, limited) = peek2(limited).map_err(error)?;
    let order = match head[..] {
        [0xFF, 0xFE] => Some(ByteOrder::Little),
        [0xFE, 0xFF] => Some(ByteOrder::Big),
        _ => None,
    };
    Ok(match order {
        Some(order) => {
            let mut utf16 = Utf16::new(limited, order);
            // The mark itself is not text.
            utf16.skip = 2;
            Box::new(utf16)
        }
        None => Box::new(limited),
    })
}

/// A reader with its first bytes put back in front.
type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads up to two bytes and gives them back, with a reader that still yields them first.
fn peek2<R: Read>(mut reader: R) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = head[..got].to_vec();
    Ok((head.clone(), io::Cursor::new(head).chain(reader)))
}

/// Any error from the gzip decoder means the stream is not valid gzip.
struct GzipFaults<R>(R);

impl<R: Read> Read for GzipFaults<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, Fault::Gzip(e)))
    }
}

/// Fails once more than `limit` bytes came through; `left` counts down from `limit + 1`.
struct Limited<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let too_large = || io::Error::new(io::ErrorKind::InvalidData, Fault::TooLarge(self.limit));
        if self.left == 0 {
            return Err(too_large());
        }
        let room = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        if self.left == 0 {
            return Err(too_large());
        }
        Ok(n)
    }
}

/// Which end of a UTF-16 code unit comes first, as the byte-order mark said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ByteOrder {
    /// `FF FE`: what Windows PowerShell 5 writes for redirected stderr (FORMATS.md §0).
    Little,
    /// `FE FF`: `Out-File -Encoding BigEndianUnicode`, or an editor's "UTF-16 BE" save.
    Big,
}

impl ByteOrder {
    /// The unit's high byte within a two-byte pair: where a surrogate shows itself.
    fn high(self) -> usize {
        match self {
            ByteOrder::Little => 1,
            ByteOrder::Big => 0,
        }
    }

    fn unit(self, pair: &[u8]) -> u16 {
        match self {
            ByteOrder::Little => u16::from_le_bytes([pair[0], pair[1]]),
            ByteOrder::Big => u16::from_be_bytes([pair[0], pair[1]]),
        }
    }
}

/// UTF-16 (either byte order) to UTF-8, chunk by chunk; unpaired surrogates become U+FFFD and a
/// lone last byte is dropped. A unit split between chunks, or a surrogate pair, waits for the
/// next chunk.
struct Utf16<R> {
    inner: R,
    order: ByteOrder,
    /// Bytes of the input still to drop (the `FF FE` mark).
    skip: usize,
    /// Input bytes not decoded yet: an odd byte or a high surrogate at a chunk's end.
    carry: Vec<u8>,
    /// The chunk read from the input, kept to be read into again.
    chunk: Vec<u8>,
    /// Decoded UTF-8 not handed out yet, from `out_at`.
    out: Vec<u8>,
    out_at: usize,
    done: bool,
}

impl<R: Read> Utf16<R> {
    fn new(inner: R, order: ByteOrder) -> Self {
        Utf16 {
            inner,
            order,
            skip: 0,
            carry: Vec::new(),
            chunk: vec![0; 1 << 16],
            out: Vec::new(),
            out_at: 0,
            done: false,
        }
    }

    /// Decodes the next chunk into `out`; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        let n = loop {
            match self.inner.read(&mut self.chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        let eof = n == 0;
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(&self.chunk[..n]);
        let skipped = self.skip.min(bytes.len());
        self.skip -= skipped;
        let bytes = &bytes[skipped..];
        let mut whole = bytes.len() / 2 * 2;
        if !eof {
            // Keep a trailing high surrogate for its partner in the next chunk.
            if whole >= 2 && (0xD8..=0xDB).contains(&bytes[whole - 2 + self.order.high()]) {
                whole -= 2;
            }
            self.carry = bytes[whole..].to_vec();
        }
        let order = self.order;
        let units = bytes[..whole].chunks_exact(2).map(|c| order.unit(c));
        self.out.clear();
        self.out_at = 0;
        let mut utf8 = [0u8; 4];
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            self.out
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        Ok(!eof)
    }
}

impl<R: Read> Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.done = !self.fill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_at);
        buf[..n].copy_from_slice(&self.out[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hands out its bytes `step` at a time, to split units and pairs (and, for the other
    /// streamed readers, lines) between chunks.
    pub(crate) struct Trickle<'a> {
        pub(crate) data: &'a [u8],
        pub(crate) step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn decoded(reader: impl Read, limit: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        decode(reader, limit)?
            .read_to_end(&mut out)
            .map_err(error)?;
        Ok(out)
    }

    #[test]
    fn utf16_split_anywhere_decodes_as_a_whole() {
        let text = "a😀é\u{FFFD}z\n";
        let mut data = vec![0xFF, 0xFE];
        data.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        // An unpaired high surrogate in the middle, and a lone last byte.
        data.extend([0x00, 0xD8, b'q', 0x00, b'!']);
        let whole = "a😀é\u{FFFD}z\n\u{FFFD}q".as_bytes();
        for step in 1..=7 {
            let got = decoded(Trickle { data: &data, step }, u64::MAX).unwrap();
            assert_eq!(got, whole, "step {step}");
        }
    }

    #[test]
    fn utf16_big_endian_split_anywhere_decodes_as_a_whole() {
        let text = "a😀é\u{FFFD}z\n";
        let mut data = vec![0xFE, 0xFF];
        data.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        // An unpaired high surrogate in the middle, and a lone last byte.
        data.extend([0xD8, 0x00, 0x00, b'q', b'!']);
        let whole = "a😀é\u{FFFD}z\n\u{FFFD}q".as_bytes();
        for step in 1..=7 {
            let got = decoded(Trickle { data: &data, step }, u64::MAX).unwrap();
            assert_eq!(got, whole, "step {step}");
        }
    }

    #[test]
    fn gzip_is_unpacked_and_limited_after_decompression() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&[b'x'; 100]).unwrap();
        let packed = gz.finish().unwrap();
        assert_eq!(decoded(&packed[..], 100).unwrap(), [b'x'; 100]);
        let err = decoded(&packed[..], 99).unwrap_err().to_string();
        assert!(err.contains("larger than 99 bytes"), "{err}");
        let err = decoded(&packed[..20], 100).unwrap_err().to_string();
        assert!(err.contains("not a valid gzip stream"), "{err}");
    }

    #[test]
    fn plain_bytes_pass_unchanged_up_to_the_limit() {
        assert_eq!(decoded(&b"abc"[..], 3).unwrap(), b"abc");
        assert_eq!(decoded(&b""[..], 0).unwrap(), b"");
        assert!(decoded(&b"abcd"[..], 3).is_err());
    }
}
