//! `--tee`: the input's lines that are not importtime rows go on to a writer (stdout) while
//! the whole input is kept for parsing.
//!
//! The input comes through the same decoding layer as every other read ([`super::decode`]):
//! what passes through is the *decoded* text, so a `.gz` log shows as text and a UTF-16 log
//! as UTF-8, and the size limit and its message are the ones every input has. Lines are
//! taken from the decoded reader as they arrive, so the copy keeps up with a live pytest run;
//! a parser that takes lines one at a time could be fed from the same loop later.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::error::Result;
use crate::model::Profile;

use super::importtime::{Row, parse_row};
use super::{ParseOptions, Source, decode, text};

/// Reads `source`, copies its non-row lines to `tee` (see [`copy`]) and parses it as an
/// importtime log; errors name the input.
pub fn load(source: &Source, opts: &ParseOptions, tee: &mut dyn Write) -> Result<Profile> {
    let name = source.name();
    let data = copy(source.open()?, tee, opts.max_input_bytes).map_err(|e| e.in_input(&name))?;
    super::parse_bytes(&data, Some(super::Format::Importtime), opts).map_err(|e| e.in_input(&name))
}

/// Decodes `reader` ([`decode::decode`], at most `limit` bytes), copies every line of the
/// decoded text that is not an importtime row to `tee`, byte for byte and in order, and
/// returns the whole decoded text for parsing. A row that starts mid-line gives its prefix
/// to `tee`. `tee` is flushed whenever the reader has nothing buffered, so a live pytest run
/// shows its output as it comes. When `tee` is a closed pipe (`| head`), copying stops but
/// reading goes on: the writer upstream is not cut off and the graph is still drawn.
pub fn copy(reader: impl Read, tee: &mut dyn Write, limit: u64) -> Result<Vec<u8>> {
    let mut reader = BufReader::with_capacity(1 << 16, decode::decode(reader, limit)?);
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut teeing = true;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(decode::error)?;
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
            let mut copied = tee.write_all(&line[..keep]);
            if copied.is_ok() && reader.buffer().is_empty() {
                copied = tee.flush();
            }
            teeing = still_teeing(copied)?;
        }
        data.extend_from_slice(&line);
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let data = copy(&input[..], &mut out, u64::MAX).unwrap();
        assert_eq!(data, input);
        assert_eq!(out.got, b"one\ntwo\n");
    }

    #[test]
    fn tee_cuts_at_the_row_even_behind_colour_codes() {
        let input = b"x import time: junk \x1b[0mimport\x1b[1m time:        9 |          9 | d\n\x1b[1mok\x1b[0m import time:   1 |   1 | e\n";
        let mut out = Vec::new();
        copy(&input[..], &mut out, u64::MAX).unwrap();
        assert_eq!(out, b"x import time: junk \x1b[0m\x1b[1mok\x1b[0m ");
    }

    #[test]
    fn tee_keeps_everything_but_rows() {
        let input = b"hello\r\ncollecting ... import time:   1 |   1 | a\nimport time:   2 |   3 | b\n\xff\xfe bad\n";
        let mut out = Vec::new();
        let data = copy(&input[..], &mut out, u64::MAX).unwrap();
        assert_eq!(data, input);
        assert_eq!(out, b"hello\r\ncollecting ... \xff\xfe bad\n");
    }

    #[test]
    fn tee_passes_the_decoded_text_of_gzip_and_utf16_input() {
        let input = "pytest says hi\r\nimport time:   2 |   3 | b\nbye é\n";
        let teed = b"pytest says hi\r\nbye \xc3\xa9\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(input.as_bytes()).unwrap();
        let gzipped = gz.finish().unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(input.encode_utf16().flat_map(|u| u.to_le_bytes()));
        for encoded in [gzipped, utf16] {
            let mut out = Vec::new();
            let data = copy(&encoded[..], &mut out, u64::MAX).unwrap();
            assert_eq!(data, input.as_bytes());
            assert_eq!(out, teed);
        }
    }

    #[test]
    fn tee_has_the_size_limit_of_every_input() {
        let err = copy(&b"0123456789"[..], &mut Vec::new(), 9).unwrap_err();
        assert!(
            err.to_string()
                .contains("larger than 9 bytes (after decompression)"),
            "{err}"
        );
    }
}
