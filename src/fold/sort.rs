//! The parallel sort of the fold: stacks ordered as their folded labels would sort, without
//! building the labels first, and handed to `layout.rs` for their text.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::groups::Grouped;
use super::layout::Sorted;
use super::{StackKey, cut};
use crate::model::{FrameId, Profile};

/// Sorts stacks by their folded label without building the labels first, and adds up equal
/// ones; this is the parallel part of the fold (rayon's parallel sort: sorted chunks, merged).
///
/// Every label is `e1;e2;…;ek` with `;`-free, non-empty elements ([`crate::model::clean_label`]).
/// Comparing two labels byte by byte comes down to comparing, at the first differing element,
/// `e + ";"` (an inner element) or `e` followed by the end (the last one). So each distinct element
/// gets two ranks, one as inner and one as last element, from sorting those few thousand strings
/// once; a stack becomes a list of ranks, and comparing rank lists gives the same order as
/// comparing labels (equal lists are equal labels). Callgrind: sorting 433,600 labels of the 31 MB
/// benchmark log was a third of all instructions.
#[derive(Default)]
pub(super) struct Sorter<'a> {
    /// Distinct elements: frame labels of every input and the prefix labels.
    names: Vec<&'a str>,
    ids: ahash::HashMap<&'a str, u32>,
    /// Per stack: `code = 2 * element + is_last`, turned into ranks by `into_sorted`.
    codes: Vec<u32>,
    /// Per stack: start in `codes`, length, weight.
    stacks: Vec<(u32, u32, u64)>,
}

impl<'a> Sorter<'a> {
    fn id(&mut self, name: &'a str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^31 distinct labels");
        self.names.push(name);
        self.ids.insert(name, id);
        id
    }

    /// Adds `count` stacks, the `i`th given by `stack(i)`, with the root labels of their
    /// reports. Runs inside the fold's thread pool: each stack's place in `codes` first, then
    /// its codes, written in parallel (done in one thread, it was a tenth of the fold of the
    /// 31 MB benchmark log, with every page of `codes` touched there first).
    pub(super) fn add(
        &mut self,
        profile: &'a Profile,
        prefixes: &'a [Vec<String>],
        count: usize,
        stack: impl Fn(usize) -> (StackKey<'a>, u64) + Sync,
    ) {
        let frame_ids: Vec<u32> = (0..profile.frames.len() as FrameId)
            .map(|f| self.id(profile.frames.name(f)))
            .collect();
        let prefix_ids: Vec<Vec<u32>> = prefixes
            .iter()
            .map(|p| p.iter().map(|e| self.id(e)).collect())
            .collect();
        let head = |report: u32| prefix_ids.get(report as usize).unwrap_or(&prefix_ids[0]);
        let base = self.codes.len();
        // Each stack's length and weight, then its start: the sums of the lengths before it,
        // chunk by chunk (done in one thread, this pass was a serial 5–10% of `-j 2`'s fold
        // of the 31 MB benchmark log, most of it faulting in the 7 MB of `stacks`).
        let first = self.stacks.len();
        let chunk = 1 << 12;
        self.stacks
            .par_extend((0..count).into_par_iter().with_min_len(chunk).map(|i| {
                let ((report, frames), weight) = stack(i);
                (0, (head(report).len() + frames.len()) as u32, weight)
            }));
        let added = &mut self.stacks[first..];
        let sums: Vec<usize> = added
            .par_chunks(chunk)
            .map(|c| c.iter().map(|s| s.1 as usize).sum())
            .collect();
        let mut end = base;
        let starts: Vec<usize> = sums
            .iter()
            .map(|&sum| {
                let start = end;
                end += sum;
                start
            })
            .collect();
        u32::try_from(end).expect("fewer than 2^32 frames in stacks");
        added
            .par_chunks_mut(chunk)
            .zip(starts)
            .for_each(|(c, mut at)| {
                for s in c {
                    s.0 = at as u32;
                    at += s.1 as usize;
                }
            });
        // A fresh buffer comes zeroed from the system, its pages first touched by the threads
        // that fill them.
        if self.codes.is_empty() {
            self.codes = vec![0; end];
        } else {
            self.codes.resize(end, 0);
        }
        let added = &self.stacks[self.stacks.len() - count..];
        let chunk = 1 << 12;
        let mut pieces = Vec::new();
        let mut rest = &mut self.codes[base..];
        for (n, stacks) in added.chunks(chunk).enumerate() {
            let len: usize = stacks.iter().map(|s| s.1 as usize).sum();
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            pieces.push((n * chunk, stacks, piece));
        }
        pieces.into_par_iter().for_each(|(first, stacks, piece)| {
            let mut at = 0;
            for (i, s) in (first..).zip(stacks) {
                let ((report, frames), _) = stack(i);
                let codes = &mut piece[at..at + s.1 as usize];
                let h = head(report);
                for (c, &e) in codes.iter_mut().zip(h) {
                    *c = 2 * e;
                }
                for (c, &f) in codes[h.len()..].iter_mut().zip(frames) {
                    *c = 2 * frame_ids[f as usize];
                }
                if let Some(last) = codes.last_mut() {
                    *last += 1;
                }
                at += s.1 as usize;
            }
        });
    }

    /// The stacks sorted and merged, with each rank's element: what the lines' text is made
    /// from (`layout.rs`). Runs inside the fold's thread pool. With `drawable` (inferno's
    /// `--min-width` percent), only the stacks an SVG drawn at that width needs are kept (see
    /// `cut.rs`); the flag returned says whether they were cut.
    pub(super) fn into_sorted(mut self, drawable: Option<f64>) -> (Sorted, bool) {
        let order = self.rank();
        let codes = &self.codes;
        let key = |&(start, len, _): &(u32, u32, u64)| &codes[start as usize..][..len as usize];
        sort_by_first_then_rest(&mut self.stacks, codes, order.len());
        self.stacks.dedup_by(|next, kept| {
            if key(next) == key(kept) {
                kept.2 += next.2;
                true
            } else {
                false
            }
        });
        let mut was_cut = false;
        if let Some(kept) = drawable.and_then(|min_width| self.drawable(&order, min_width)) {
            self.stacks = kept;
            was_cut = true;
        }
        let labels = order
            .iter()
            .map(|&code| (self.names[(code / 2) as usize], code % 2 == 0));
        (Sorted::new(labels, self.codes, self.stacks), was_cut)
    }

    /// Ranks every code (see the type's doc): sorts both forms of every element, rewrites
    /// `codes` as ranks in place, and returns the code of each rank.
    fn rank(&mut self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..2 * self.names.len() as u32).collect();
        let names = &self.names;
        order.par_sort_unstable_by(|&a, &b| {
            compare_elements(
                names[(a / 2) as usize],
                a % 2 == 1,
                names[(b / 2) as usize],
                b % 2 == 1,
            )
        });
        let mut rank = vec![0u32; order.len()];
        for (r, &code) in order.iter().enumerate() {
            rank[code as usize] = r as u32;
        }
        self.codes
            .par_iter_mut()
            .with_min_len(1 << 14)
            .for_each(|c| *c = rank[*c as usize]);
        order
    }

    /// The stacks for `-f folded`: ranked and grouped by their first rank, each group left to
    /// be sorted and merged as its piece is laid out (`groups.rs`), except the groups too
    /// large for one piece, sorted (in parallel) and merged here. Runs inside the fold's pool.
    pub(super) fn into_groups(mut self) -> Grouped {
        let order = self.rank();
        let (mut stacks, bounds) = group_by_first(&self.stacks, &self.codes, order.len());
        drop(std::mem::take(&mut self.stacks));
        let packing = Packing::new(order.len());
        let large = large_group(stacks.len());
        let codes = &self.codes;
        // Each large group sorted and merged, its stacks moved up to close the gap left by
        // the merged ones; `merged[g]` is where group `g` ends after that (in `stacks`).
        let mut kept = Vec::with_capacity(bounds.len());
        let mut at = 0;
        let mut sorted = Vec::with_capacity(bounds.len());
        for w in bounds.windows(2) {
            let len = w[1] - w[0];
            stacks.copy_within(w[0]..w[1], at);
            let group = &mut stacks[at..at + len];
            let presorted = len > large;
            let len = if presorted {
                sort_group(group, codes, &packing, true);
                merge_equal(group, codes)
            } else {
                len
            };
            sorted.push(presorted);
            at += len;
            kept.push(at);
        }
        stacks.truncate(at);
        let labels = order
            .iter()
            .map(|&code| (self.names[(code / 2) as usize], code % 2 == 0));
        Grouped::new(
            Sorted::new(labels, self.codes, Vec::new()),
            stacks,
            kept,
            sorted,
            packing,
        )
    }

    /// The stacks an SVG at `min_width` percent draws from, cut on their ranks (`order`: the
    /// code of each rank), or `None` when the cut must be left to the renderer: nothing is
    /// cut at 0, a total of 0 draws nothing, an empty stack is a frame of its own there, and
    /// some labels sort lines apart from stacks ([`cut::order_matches`]).
    fn drawable(&self, order: &[u32], min_width: f64) -> Option<Vec<cut::Stack>> {
        let total = self.stacks.iter().fold(0u64, |t, s| t.saturating_add(s.2));
        if min_width <= 0.0 || total == 0 || self.stacks.iter().any(|s| s.1 == 0) {
            return None;
        }
        let sorted_names: Vec<&str> = order
            .iter()
            .filter(|&&code| code % 2 == 1)
            .map(|&code| self.names[(code / 2) as usize])
            .collect();
        if !cut::order_matches(&sorted_names) {
            return None;
        }
        let element: Vec<u32> = order.iter().map(|&code| code / 2).collect();
        // inferno's threshold, computed as it does: `min_width / (100 / total)`.
        let min_time = min_width / (100.0 / total as f64);
        Some(cut::drawable(&self.stacks, &self.codes, &element, min_time))
    }
}

/// Sorts `stacks` by their rank lists in `codes`: first by the first rank (a counting sort,
/// the empty stack first), then each group of one first rank on its own, the groups in
/// parallel. An importtime log's reports each have their own root, so a group is one report:
/// a few thousand stacks that stay in cache, where one sort of all 433,600 stacks of the
/// 31 MB benchmark log compared them across the whole array (perf: a quarter of the fold).
/// Equal rank lists are equal labels and are added up afterwards, so the order among them
/// does not matter.
fn sort_by_first_then_rest(stacks: &mut Vec<(u32, u32, u64)>, codes: &[u32], ranks: usize) {
    let (mut grouped, bounds) = group_by_first(stacks, codes, ranks);
    let mut groups: Vec<&mut [(u32, u32, u64)]> = Vec::new();
    let mut rest = grouped.as_mut_slice();
    for w in bounds.windows(2) {
        let (group, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
        rest = tail;
        if group.len() > 1 {
            groups.push(group);
        }
    }
    let large = large_group(stacks.len());
    let packing = Packing::new(ranks);
    groups
        .into_par_iter()
        .for_each(|group| sort_group(group, codes, &packing, group.len() > large));
    *stacks = grouped;
}

/// `stacks` ordered by their first rank (a counting sort, the empty stacks first), and where
/// each group of one first rank starts, with the end last: `bounds.windows(2)` are the groups,
/// in order, the empty ones included.
pub(super) fn group_by_first(
    stacks: &[Entry],
    codes: &[u32],
    ranks: usize,
) -> (Vec<Entry>, Vec<usize>) {
    let first = |&(start, len, _): &Entry| {
        if len == 0 {
            0
        } else {
            codes[start as usize] as usize + 1
        }
    };
    group_runs(stacks, &first, ranks).unwrap_or_else(|| group_counting(stacks, first, ranks))
}

/// [`group_by_first`] by a counting sort on `first`: any order of the stacks.
fn group_counting(
    stacks: &[Entry],
    first: impl Fn(&Entry) -> usize,
    ranks: usize,
) -> (Vec<Entry>, Vec<usize>) {
    let mut starts = vec![0usize; ranks + 2];
    for s in stacks {
        starts[first(s) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let bounds = starts.clone();
    let mut grouped = vec![(0u32, 0u32, 0u64); stacks.len()];
    for s in stacks {
        let at = &mut starts[first(s)];
        grouped[*at] = *s;
        *at += 1;
    }
    (grouped, bounds)
}

/// [`group_by_first`] when every group is one run of neighbours in `stacks` (an importtime
/// log: its reports one after another, each with its own root): the runs found in parallel
/// and copied in their order, in parallel, instead of every stack scattered to its group by
/// one thread (perf: 5–10% of `-j 2`'s fold of the 31 MB benchmark log, serial). The same
/// result as the counting sort, which is stable. `None` when some group is in several runs.
fn group_runs(
    stacks: &[Entry],
    first: &(impl Fn(&Entry) -> usize + Sync),
    ranks: usize,
) -> Option<(Vec<Entry>, Vec<usize>)> {
    let mut starts: Vec<usize> = (1..stacks.len())
        .into_par_iter()
        .with_min_len(1 << 12)
        .filter(|&i| first(&stacks[i]) != first(&stacks[i - 1]))
        .collect();
    if starts.len() > ranks + 1 {
        return None;
    }
    starts.insert(0, 0);
    // Runs as (first rank, start, end), in rank order.
    let mut runs: Vec<(usize, usize, usize)> = starts
        .iter()
        .zip(starts.iter().skip(1).chain([&stacks.len()]))
        .filter(|(start, end)| start < end)
        .map(|(&start, &end)| (first(&stacks[start]), start, end))
        .collect();
    runs.sort_unstable();
    if runs.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    let mut bounds = vec![0usize; ranks + 2];
    for &(f, start, end) in &runs {
        bounds[f + 1] = end - start;
    }
    for i in 1..bounds.len() {
        bounds[i] += bounds[i - 1];
    }
    let mut grouped = vec![(0u32, 0u32, 0u64); stacks.len()];
    let mut pieces = Vec::with_capacity(runs.len());
    let mut rest = grouped.as_mut_slice();
    for &(_, start, end) in &runs {
        let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - start);
        rest = tail;
        pieces.push((piece, &stacks[start..end]));
    }
    pieces
        .into_par_iter()
        .for_each(|(piece, run)| piece.copy_from_slice(run));
    Some((grouped, bounds))
}

/// A group of more stacks than this (one root and no reports: most of them) is sorted in
/// parallel itself, not beside the others.
pub(super) fn large_group(stacks: usize) -> usize {
    (stacks / 4).max(1 << 14)
}

/// Sorts one group of stacks sharing their first rank by the rest of their rank lists, in
/// parallel when `parallel` (it must then run inside the pool).
pub(super) fn sort_group(group: &mut [Entry], codes: &[u32], packing: &Packing, parallel: bool) {
    if group.len() < 2 {
        return;
    }
    let key = |&(start, len, _): &Entry| &codes[start as usize..][..len as usize];
    let mut keyed: Vec<(u64, Entry)> = group.iter().map(|s| (packing.key(key(s)), *s)).collect();
    // Stacks with equal keys agree on every rank the key holds: the rest decides.
    let rest = |s: &Entry| {
        let ranks = key(s);
        &ranks[packing.tail.min(ranks.len())..]
    };
    let order =
        |a: &(u64, Entry), b: &(u64, Entry)| a.0.cmp(&b.0).then_with(|| rest(&a.1).cmp(rest(&b.1)));
    if parallel {
        keyed.par_sort_unstable_by(order);
    } else {
        keyed.sort_unstable_by(order);
    }
    for (slot, (_, s)) in group.iter_mut().zip(keyed) {
        *slot = s;
    }
}

/// Adds up neighbours with equal rank lists in sorted `stacks`, the first of each run kept
/// with the sum, moved to the front; how many are kept (`Vec::dedup_by` on a slice).
pub(super) fn merge_equal(stacks: &mut [Entry], codes: &[u32]) -> usize {
    let key = |&(start, len, _): &Entry| &codes[start as usize..][..len as usize];
    let mut kept = 0;
    for i in 0..stacks.len() {
        if kept > 0 && key(&stacks[i]) == key(&stacks[kept - 1]) {
            stacks[kept - 1].2 += stacks[i].2;
        } else {
            stacks[kept] = stacks[i];
            kept += 1;
        }
    }
    kept
}

/// A sorted stack: start of its ranks in `codes`, their number, its weight.
type Entry = (u32, u32, u64);

/// How the ranks after a group's shared first one are packed into a `u64` sort key: each rank
/// plus one (0: the list has ended, which sorts first, as a shorter list does), in `bits` bits,
/// the first highest, so comparing keys compares those ranks as comparing the lists would.
/// perf: comparing whole rank lists, slice against slice, was a fifth of the CPU of
/// `-f folded` on the 31 MB benchmark log, and most comparisons are settled in a few ranks.
pub(super) struct Packing {
    bits: u32,
    /// Where the ranks not in the key start: after the first and the key's.
    tail: usize,
}

impl Packing {
    /// For rank lists whose ranks are below `ranks`.
    fn new(ranks: usize) -> Self {
        let bits = (usize::BITS - ranks.leading_zeros()).max(1);
        // Ranks are `u32`: at least two fit.
        let count = (u64::BITS / bits) as usize;
        Packing {
            bits,
            tail: 1 + count,
        }
    }

    fn key(&self, ranks: &[u32]) -> u64 {
        (1..self.tail).fold(0u64, |k, i| {
            (k << self.bits) | ranks.get(i).map_or(0, |&r| u64::from(r) + 1)
        })
    }
}

/// Byte order of `a` and `b` as label elements: an inner element is followed by `;`, the last
/// one by the end of the label (which sorts before any byte).
fn compare_elements(a: &str, a_last: bool, b: &str, b_last: bool) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then_with(|| {
        let next = |s: &[u8], last: bool| match s.get(common) {
            Some(&byte) => Some(byte),
            None if last => None,
            None => Some(b';'),
        };
        next(a, a_last).cmp(&next(b, b_last))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stacks of one frame each (`codes` holds their first ranks, 0–3), in the given order.
    fn stacks(firsts: &[u32]) -> (Vec<Entry>, Vec<u32>) {
        let codes = firsts.to_vec();
        let stacks = (0..firsts.len() as u32)
            .map(|i| (i, 1, u64::from(i)))
            .collect();
        (stacks, codes)
    }

    #[test]
    fn groups_found_as_runs_are_the_counting_sorts_groups() {
        let (mut s, mut codes) = stacks(&[2, 2, 2, 0, 0, 3, 1, 1, 1, 1]);
        // An empty stack makes a group of its own, before every other.
        s.push((0, 0, 99));
        codes.push(0);
        let first = |&(start, len, _): &Entry| {
            if len == 0 {
                0
            } else {
                codes[start as usize] as usize + 1
            }
        };
        let runs = group_runs(&s, &first, 4).expect("each group is one run");
        assert_eq!(runs, group_counting(&s, first, 4));
        let (grouped, bounds) = runs;
        assert_eq!(bounds, [0, 1, 3, 7, 10, 11]);
        let weights: Vec<u64> = grouped.iter().map(|e| e.2).collect();
        assert_eq!(weights, [99, 3, 4, 6, 7, 8, 9, 0, 1, 2, 5]);
    }

    #[test]
    fn a_group_in_two_runs_is_left_to_the_counting_sort() {
        let (s, codes) = stacks(&[1, 0, 1]);
        let first = |&(start, _, _): &Entry| codes[start as usize] as usize + 1;
        assert_eq!(group_runs(&s, &first, 2), None);
        let (grouped, bounds) = group_by_first(&s, &codes, 2);
        assert_eq!(bounds, [0, 0, 1, 3]);
        assert_eq!(grouped, [(1, 1, 1), (0, 1, 0), (2, 1, 2)]);
    }
}
