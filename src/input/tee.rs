//! `--tee`: the input's lines that are not importtime rows go on to stdout while the whole
//! input is kept for parsing.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::error::{Error, Result};

use super::importtime::{Row, parse_row};
use super::text;

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
