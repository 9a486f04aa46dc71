//! Collapsed stacks, `frame;frame;frame WEIGHT` (FORMATS.md §4): integer weights, sorted, one
//! line per distinct stack, readable by flamegraph.pl, inferno, speedscope and importflame.

use std::io::Write;

use crate::error::Result;
use crate::fold::Folded;

/// Writes one line per stack.
pub fn write(folded: &Folded, out: &mut dyn Write) -> Result<()> {
    let mut buf = itoa_buffer();
    for (stack, weight) in &folded.lines {
        out.write_all(stack.as_bytes())?;
        out.write_all(b" ")?;
        out.write_all(format_u64(&mut buf, *weight))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

pub(crate) fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// Decimal digits of `n` without an allocation per line.
pub(crate) fn format_u64(buf: &mut [u8; 20], mut n: u64) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        let mut b = itoa_buffer();
        assert_eq!(format_u64(&mut b, 0), b"0");
        assert_eq!(format_u64(&mut b, u64::MAX), b"18446744073709551615");
    }
}
