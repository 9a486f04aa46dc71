//! `-f folded`'s sorted stacks, sorted and merged a piece at a time as the pieces are laid out
//! and written (issue 18).
//!
//! The fold's sort (`sort.rs`) orders stacks by their first rank, then each group of one first
//! rank (one report of an importtime log: a few thousand stacks) on its own. For the
//! renderers every group is sorted and the equal stacks merged before any text is made. Here
//! that work moves into the pieces `write.rs` lays out: a piece is a run of whole groups,
//! sorted, merged and laid out by one worker, so with several threads the sort and the merge
//! run beside the writes instead of before them. Measured on the 31 MB benchmark log with two
//! threads, the writing thread was the one busy core while the text was written, and the
//! sort (~17 ms) and the serial merge of all 433,600 stacks (~10 ms) came before it. Groups
//! never mix (equal stacks share their first rank), so the lines are the ones
//! `Sorter::into_sorted` gives, in the same order, for any piece size and thread count. A
//! group too large for one piece is sorted (in parallel) and merged before, then cut into
//! pieces as a sorted run.

use std::io::{self, Write};

use super::cut::Stack;
use super::layout::Sorted;
use super::sort::{Packing, merge_equal, sort_group};
use super::write;

/// The stacks of every group, each group's stacks together and the groups in output order.
pub(super) struct Grouped {
    /// Labels and rank lists of the stacks (its own stacks unused).
    sorted: Sorted,
    stacks: Vec<Stack>,
    /// Where each group ends in `stacks`.
    ends: Vec<usize>,
    /// Per group: already sorted and merged (a large one); else left to its piece.
    presorted: Vec<bool>,
    packing: Packing,
}

/// One piece's work: its stacks, and the length of each group in them when they are still to
/// be sorted and merged (`None`: a run of a presorted group, laid out as it is).
struct Piece<'s> {
    stacks: &'s mut [Stack],
    groups: Option<Vec<usize>>,
}

impl Grouped {
    pub(super) fn new(
        sorted: Sorted,
        stacks: Vec<Stack>,
        ends: Vec<usize>,
        presorted: Vec<bool>,
        packing: Packing,
    ) -> Grouped {
        Grouped {
            sorted,
            stacks,
            ends,
            presorted,
            packing,
        }
    }

    /// Writes every line to `out`, in order, the pieces of about `piece_frames` frames sorted,
    /// merged and laid out on `pool` (see `write.rs`). Once: the groups are merged in place
    /// and their stacks are left out of order.
    pub(super) fn write(
        &mut self,
        pool: &rayon::ThreadPool,
        piece_frames: usize,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let pieces = self.pieces(piece_frames);
        let (sorted, packing) = (&self.sorted, &self.packing);
        let pieces = split(&mut self.stacks, pieces);
        write::write_pieces(pieces, pool, out, |piece, buf| {
            let codes = sorted.ranks();
            let kept = match piece.groups {
                None => piece.stacks.len(),
                Some(lens) => {
                    let (mut at, mut kept) = (0, 0);
                    for len in lens {
                        let group = &mut piece.stacks[at..at + len];
                        sort_group(group, codes, packing, false);
                        let k = merge_equal(group, codes);
                        piece.stacks.copy_within(at..at + k, kept);
                        (at, kept) = (at + len, kept + k);
                    }
                    kept
                }
            };
            sorted.lay_out_stacks(&piece.stacks[..kept], buf)
        })
    }

    /// The pieces, as (range of `stacks`, group lengths to sort): runs of whole groups of at
    /// least `frames` frames and lines together, a presorted group cut at that size.
    fn pieces(&self, frames: usize) -> Vec<(usize, Option<Vec<usize>>)> {
        let mut pieces = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut sum = 0;
        let mut start = 0;
        let weight = |s: &Stack| s.1 as usize + 1;
        for (&end, &presorted) in self.ends.iter().zip(&self.presorted) {
            if presorted {
                if !open.is_empty() {
                    pieces.push((open.iter().sum(), Some(std::mem::take(&mut open))));
                    sum = 0;
                }
                let mut run = 0;
                let mut from = start;
                for (i, s) in self.stacks[start..end].iter().enumerate() {
                    run += weight(s);
                    if run >= frames {
                        pieces.push((start + i + 1 - from, None));
                        (from, run) = (start + i + 1, 0);
                    }
                }
                if from < end {
                    pieces.push((end - from, None));
                }
            } else if end > start {
                open.push(end - start);
                sum += self.stacks[start..end].iter().map(weight).sum::<usize>();
                if sum >= frames {
                    pieces.push((open.iter().sum(), Some(std::mem::take(&mut open))));
                    sum = 0;
                }
            }
            start = end;
        }
        if !open.is_empty() {
            pieces.push((open.iter().sum(), Some(open)));
        }
        pieces
    }
}

/// `stacks` cut into consecutive pieces of the given lengths.
fn split(stacks: &mut [Stack], pieces: Vec<(usize, Option<Vec<usize>>)>) -> Vec<Piece<'_>> {
    let mut rest = stacks;
    pieces
        .into_iter()
        .map(|(len, groups)| {
            let (stacks, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            Piece { stacks, groups }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{FoldOptions, Named, Setup, fold};
    use crate::model::{Category, InputKind, Profile, Unit};

    /// 30 reports named so that their groups sort apart from their input order (`r10` before
    /// `r2`), of a few stacks each with repeats to merge and an empty one, and with `large` a
    /// last report of 20,000 stacks (a group sorted before the pieces are made); with `split`
    /// the first report's stacks come again at the end (its group in two runs).
    fn profile(large: bool, split: bool) -> Profile {
        let mut p = Profile::new(InputKind::Importtime, Unit::Microseconds);
        let names: Vec<_> = ["a", "b", "a.c", "d (failed)", "e"]
            .iter()
            .map(|n| p.frames.intern(n, Category::Other))
            .collect();
        let report = |p: &mut Profile, r: u32, n: usize| {
            for i in 0..n {
                let depth = 1 + (i * 7 + r as usize) % 4;
                let frames: Vec<_> = (0..depth).map(|d| names[(i + 3 * d) % 5]).collect();
                p.push_stack(&frames, (i % 13) as u64 + 1, r);
            }
            p.push_stack(&[], 2, r);
        };
        for r in 0..30 {
            p.reports.push(format!("r{r}"));
            report(&mut p, r, 40 + r as usize);
        }
        if large {
            p.reports.push("big".into());
            report(&mut p, 30, 20_000);
        }
        if split {
            report(&mut p, 0, 25);
        }
        p
    }

    #[test]
    fn groups_sorted_in_their_pieces_give_the_fold_s_lines() {
        for (large, split) in [(false, false), (true, false), (false, true)] {
            let p = profile(large, split);
            let named = [Named {
                name: "x.log".into(),
                profile: &p,
            }];
            let whole = fold(&named, &FoldOptions::default()).unwrap().lines;
            for jobs in [1, 2, 3] {
                let opts = FoldOptions {
                    jobs,
                    ..FoldOptions::default()
                };
                let setup = Setup::new(&named, &opts).unwrap();
                for frames in [1, 7, 100, 1 << 14] {
                    let sorter = setup.sorter(&named, &opts);
                    let mut grouped = setup.pool.install(|| sorter.into_groups());
                    let mut out = Vec::new();
                    grouped.write(&setup.pool, frames, &mut out).unwrap();
                    assert_eq!(
                        out,
                        whole.as_str().as_bytes(),
                        "large {large}, split {split}, {jobs} threads, pieces of {frames} frames"
                    );
                }
            }
        }
    }
}
