//! Collapsed stacks, `frame;frame;frame WEIGHT` (FORMATS.md §4): integer weights, sorted, one
//! line per distinct stack, readable by flamegraph.pl, inferno, speedscope and importflame.

use std::io::Write;

use crate::error::Result;
use crate::folded::Folded;

/// Writes one line per stack: the fold already laid them out as `stack weight\n`. The CLI's
/// `-f folded` goes through [`crate::fold::fold_for_output`] instead, which writes the same
/// bytes without ever holding them all.
pub fn write(folded: &Folded, out: &mut dyn Write) -> Result<()> {
    out.write_all(folded.lines.as_str().as_bytes())?;
    Ok(())
}
