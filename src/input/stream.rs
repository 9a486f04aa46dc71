//! Text inputs read as a stream: lines handed to a parser one at a time, a chunk of the
//! decoded text in memory (plus the line that crosses the chunk's end), numbered and cleaned
//! exactly as [`text::lines`] numbers and cleans the whole text, so a parser gives the same
//! result, diagnostics and line numbers either way.

use std::io::{self, Read};

use crate::error::Result;

use super::{decode, text};

/// How much decoded text is read at a time.
pub const CHUNK: usize = 1 << 20;

/// A reader with `head` (already read) put back in front of `rest`.
pub type Rejoined<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Puts `head` back in front of `rest`.
pub fn rejoin<R: Read>(head: Vec<u8>, rest: R) -> Rejoined<R> {
    io::Cursor::new(head).chain(rest)
}

/// Calls `f` with every line of the text `reader` yields, as [`text::lines`] would give them
/// for the whole text: numbered from 1, a UTF-8 BOM dropped from the first, one trailing `\r`
/// and escape sequences removed. Read errors of a [`decode`]d reader keep their messages.
pub fn each_line(mut reader: impl Read, mut f: impl FnMut(u64, &[u8]) -> Result<()>) -> Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    let mut number = 0u64;
    let mut first = true;
    loop {
        let old = buf.len();
        let n = (&mut reader)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .map_err(decode::error)?;
        let eof = n == 0;
        if first {
            first = false;
            if buf.starts_with(text::UTF8_BOM) {
                buf.drain(..text::UTF8_BOM.len());
            }
        }
        let end = if eof {
            buf.len()
        } else {
            // Only whole lines now; the one that crosses the chunk's end waits for the rest.
            match memchr::memrchr(b'\n', &buf[old.min(buf.len())..]) {
                Some(i) => old.min(buf.len()) + i + 1,
                None => continue,
            }
        };
        for (at, line) in text::lines_after(&buf[..end], number) {
            number = at;
            f(at, &line)?;
        }
        if eof {
            return Ok(());
        }
        buf.drain(..end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decode::tests::Trickle;

    #[test]
    fn lines_read_as_a_stream_are_the_lines_of_the_whole_text() {
        // A BOM, CRLF, an escape sequence, empty lines, a line longer than a chunk, no final
        // newline.
        let long = "x".repeat(CHUNK + 17);
        let data = format!("\u{FEFF}a;b 1\r\n\n\x1b[1mc\x1b[0m 2\r\n{long} 3\n\n\nlast 4");
        let whole: Vec<(u64, Vec<u8>)> = text::lines(data.as_bytes())
            .map(|(n, l)| (n, l.into_owned()))
            .collect();
        for step in [1, 7, 4096, CHUNK, usize::MAX] {
            let mut got = Vec::new();
            let reader = Trickle {
                data: data.as_bytes(),
                step,
            };
            each_line(reader, |n, l| {
                got.push((n, l.to_vec()));
                Ok(())
            })
            .unwrap();
            assert_eq!(got, whole, "step {step}");
        }
    }
}
