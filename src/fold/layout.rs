//! The text of the sorted stacks, one folded line `a;b;c WEIGHT\n` each: laid out in parallel
//! into one buffer for the renderers ([`Sorted::into_lines`]), or one piece at a time for
//! `-f folded` ([`Sorted::lay_out_stacks`], written by `write.rs` as the pieces are made). Both put
//! every line down with [`Sorted::put_line`], so the two are the same bytes.

#[cfg(test)]
use std::ops::Range;

use rayon::prelude::*;

use super::cut::Stack;
use crate::folded::{Lines, Span};

/// Sorted, merged stacks as rank lists (see `sort.rs`), with the element of every rank: all a
/// line's text needs. Owns its labels (a few thousand, copied once into one string), so it
/// can outlive the prefixes the fold made for it.
///
/// An inner rank's label is stored with the `;` that follows it in every line, so a frame is
/// one copy. A stack's last frame has a last rank (no `;`), except in the placeholders of the
/// SVG's cut (`cut.rs`), which end on a frame cut from inside a stack: its `;` is left out.
pub(super) struct Sorted {
    /// Each rank's label, one after another: rank `r` is `labels[bounds[r]..bounds[r + 1]]`.
    /// [`WIDE`] spare bytes at the end, so that every label can be copied `WIDE` bytes at once.
    labels: Vec<u8>,
    /// Per rank: where its label starts in `labels`, and its length (one lookup per frame
    /// written, where two arrays took two).
    spans: Vec<(usize, u32)>,
    /// The longest label, and [`WIDE`] if that is longer: a stack of `n` frames takes at most
    /// `n` times this, plus its weight, in the buffer it is written to.
    widest: usize,
    /// Per rank: whether its label ends in the `;` of an inner element.
    inner: Vec<bool>,
    /// The ranks of every stack, `stacks` pointing into them.
    ranks: Vec<u32>,
    /// Per stack: start in `ranks`, length, weight; in output order.
    stacks: Vec<Stack>,
}

impl Sorted {
    /// `labels` gives the element of each rank, in rank order, and whether that rank is the
    /// element as an inner one (followed by `;`) or as the last one.
    pub(super) fn new<'l>(
        labels: impl Iterator<Item = (&'l str, bool)>,
        ranks: Vec<u32>,
        stacks: Vec<Stack>,
    ) -> Sorted {
        let mut text = Vec::new();
        let mut spans = Vec::new();
        let mut inner = Vec::new();
        for (label, is_inner) in labels {
            let start = text.len();
            text.extend_from_slice(label.as_bytes());
            if is_inner {
                text.push(b';');
            }
            let len = u32::try_from(text.len() - start).expect("a short label");
            spans.push((start, len));
            inner.push(is_inner);
        }
        text.resize(text.len() + WIDE, b' ');
        let widest = spans
            .iter()
            .map(|&(_, len)| len as usize)
            .fold(WIDE, usize::max);
        Sorted {
            labels: text,
            spans,
            widest,
            inner,
            ranks,
            stacks,
        }
    }

    /// The rank lists every stack points into.
    pub(super) fn ranks(&self) -> &[u32] {
        &self.ranks
    }

    fn ranks_of(&self, s: &Stack) -> &[u32] {
        &self.ranks[s.0 as usize..][..s.1 as usize]
    }

    /// The length of a stack's label, and of its line without the newline.
    fn lengths(&self, s: &Stack) -> (usize, usize) {
        let ranks = self.ranks_of(s);
        let labels: usize = ranks
            .iter()
            .map(|&r| self.spans[r as usize].1 as usize)
            .sum();
        let stack = labels - usize::from(ranks.last().is_some_and(|&r| self.inner[r as usize]));
        (stack, stack + 1 + digits(s.2))
    }

    /// Writes the lines of `stacks` into `piece`, which is exactly as long as they are.
    fn put_lines(&self, stacks: &[Stack], piece: &mut [u8]) {
        let end = stacks.iter().fold(0, |at, s| self.put_line(s, piece, at));
        debug_assert_eq!(end, piece.len());
    }

    /// The most bytes [`put_line`](Self::put_line) may write for `s` (a `u64` has 20 digits).
    fn room(&self, s: &Stack) -> usize {
        s.1 as usize * self.widest + 22
    }

    /// Writes the line of `s` into `buf` from `at`; where it ends. Bytes past the end, up to
    /// [`room`](Self::room), may be written over too.
    fn put_line(&self, s: &Stack, buf: &mut [u8], mut at: usize) -> usize {
        let ranks = self.ranks_of(s);
        for &r in ranks {
            let (start, len) = self.spans[r as usize];
            let len = len as usize;
            // A short label is copied as `WIDE` bytes, one fixed-size move instead of a
            // `memcpy` call (callgrind: a third of the layout); the bytes past it are
            // written over by what follows, up to the buffer's end.
            if len <= WIDE && at + WIDE <= buf.len() {
                buf[at..at + WIDE].copy_from_slice(&self.labels[start..start + WIDE]);
            } else {
                buf[at..at + len].copy_from_slice(&self.labels[start..start + len]);
            }
            at += len;
        }
        // The last frame's `;`, when it has one, is where the weight's space goes.
        if ranks.last().is_some_and(|&r| self.inner[r as usize]) {
            at -= 1;
        }
        buf[at] = b' ';
        at += 1;
        let mut digits = itoa::Buffer::new();
        let w = digits.format(s.2).as_bytes();
        buf[at..at + w.len()].copy_from_slice(w);
        at += w.len();
        buf[at] = b'\n';
        at + 1
    }

    /// All lines in one buffer, for the renderers, which read them as [`Lines`]. Runs inside
    /// the fold's thread pool: each line's length first, then its place in the buffer, then
    /// the text, written in parallel into disjoint pieces of it.
    pub(super) fn into_lines(self) -> Lines {
        let lengths: Vec<(u32, u32)> = self
            .stacks
            .par_iter()
            .with_min_len(1 << 12)
            .map(|s| {
                let (stack, line) = self.lengths(s);
                let fit = |n: usize| u32::try_from(n).expect("a line shorter than 4 GiB");
                (fit(stack), fit(line))
            })
            .collect();
        let mut start = 0;
        let spans: Vec<Span> = lengths
            .iter()
            .zip(&self.stacks)
            .map(|(&(stack_len, line_len), s)| {
                let span = Span {
                    start,
                    stack_len,
                    line_len,
                    weight: s.2,
                };
                start += line_len as usize + 1;
                span
            })
            .collect();
        let mut buffer = vec![0u8; start];
        let chunk = (spans.len() / (8 * rayon::current_num_threads())).max(1 << 12);
        let mut pieces = Vec::new();
        let mut rest = buffer.as_mut_slice();
        for (group, stacks) in spans.chunks(chunk).zip(self.stacks.chunks(chunk)) {
            let end = group
                .last()
                .map_or(0, |s| s.start + s.line_len as usize + 1);
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - group[0].start);
            rest = tail;
            pieces.push((piece, stacks));
        }
        pieces
            .into_par_iter()
            .for_each(|(piece, stacks)| self.put_lines(stacks, piece));
        let text = String::from_utf8(buffer).expect("labels are UTF-8");
        Lines::from_parts(text, spans)
    }

    /// The stacks cut into consecutive pieces of at least `frames` frames and lines together
    /// (the last may have fewer; a line counts, so empty stacks make pieces too). For the
    /// tests: `-f folded` cuts its pieces from groups (`groups.rs`).
    #[cfg(test)]
    pub(super) fn pieces(&self, frames: usize) -> Vec<Range<usize>> {
        let mut pieces = Vec::new();
        let (mut start, mut sum) = (0, 0);
        for (i, s) in self.stacks.iter().enumerate() {
            sum += s.1 as usize + 1;
            if sum >= frames {
                pieces.push(start..i + 1);
                (start, sum) = (i + 1, 0);
            }
        }
        if start < self.stacks.len() {
            pieces.push(start..self.stacks.len());
        }
        pieces
    }

    /// [`lay_out_stacks`](Self::lay_out_stacks) of `stacks[range]`. For the tests.
    #[cfg(test)]
    pub(super) fn lay_out(&self, range: Range<usize>, buf: &mut Vec<u8>) -> usize {
        self.lay_out_stacks(&self.stacks[range], buf)
    }

    /// The lines of `stacks` (pointing into this value's ranks) at the start of `buf`,
    /// replacing what it held; their length. The buffer keeps its length (room for the lines
    /// and some spare bytes), so a buffer used again costs no new memory and is not zeroed
    /// again. The room is made as the lines are written, from a bound on each one: adding up
    /// the exact lengths first was another pass over every frame, a third of the layout
    /// (callgrind).
    pub(super) fn lay_out_stacks(&self, stacks: &[Stack], buf: &mut Vec<u8>) -> usize {
        let mut at = 0;
        for s in stacks {
            let room = at + self.room(s);
            if buf.len() < room {
                buf.resize(room.max(2 * buf.len()), 0);
            }
            at = self.put_line(s, buf, at);
        }
        at
    }
}

/// Bytes copied at once for a label no longer than this (most module and function names).
const WIDE: usize = 32;

/// Number of decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_counts_match_the_written_numbers() {
        for n in [0, 9, 10, 99, 100, 12345, u64::MAX] {
            assert_eq!(digits(n), n.to_string().len());
        }
    }

    /// `a`, `a;b`, `b` weighing 1, 20 and 300, and a placeholder `b;a` cut from inside a
    /// stack (its last rank an inner one), ranks 0–3 naming a, b (inner) and a, b (last).
    fn sorted() -> Sorted {
        let ranks = vec![2, 0, 3, 3, 1, 0];
        let stacks = vec![(0, 1, 1), (1, 2, 20), (3, 1, 300), (4, 2, 4000)];
        let labels = [("a", true), ("b", true), ("a", false), ("b", false)];
        Sorted::new(labels.into_iter(), ranks, stacks)
    }

    #[test]
    fn pieces_laid_out_one_after_another_are_the_one_buffer() {
        let whole = sorted().into_lines();
        assert_eq!(whole.as_str(), "a 1\na;b 20\nb 300\nb;a 4000\n");
        for frames in [1, 2, 3, 4, 100] {
            let s = sorted();
            let pieces = s.pieces(frames);
            assert!(pieces.iter().all(|p| !p.is_empty()), "{frames}: {pieces:?}");
            let mut text = Vec::new();
            let mut buf = b"left over".to_vec();
            for piece in pieces {
                let len = s.lay_out(piece, &mut buf);
                text.extend_from_slice(&buf[..len]);
            }
            assert_eq!(text, whole.as_str().as_bytes(), "pieces of {frames} frames");
        }
    }
}
