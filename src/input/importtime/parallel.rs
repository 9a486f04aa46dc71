//! Reports parsed on several threads (`--jobs`), with the result of one builder.
//!
//! Reports are independent until their stacks are emitted: every header closes the report
//! before it and starts a fresh one (FORMATS.md §1.7), so the text from one header line to the
//! next is a *segment* that a builder of its own can parse. A batch of whole lines is cut just
//! before a few header lines, its segments are parsed on the pool's threads, and each one's
//! reports, frames, counts and diagnostics are appended to the result in the order of the log
//! ([`Builder::absorb`]). Numbering, frame ids and every count are then those of one builder
//! reading the lines in order, so the output is byte-identical for every thread count.
//!
//! The first segment of a batch continues the report left open by the last one (the *carry*,
//! which may run on over many batches when a report is long), so memory stays one batch, the
//! stacks of the batch before it (absorbed while this one is parsed) and the open reports,
//! never the whole log. Failure messages are scanned by the caller for the
//! whole batch before its segments are parsed: a report may learn a name earlier than one
//! builder would have, which [`Builder::late_failures`] makes harmless (the log is then read
//! again with every name known, or nothing was drawn differently).
//!
//! Not used when a parse-time cut is asked for ([`ParseOptions::prune_below`]): it needs the
//! total of every report before the one it cuts.

use ahash::HashSet;
use rayon::prelude::*;

use super::super::ParseOptions;
use super::row::{Row, parse_row};
use super::text;
use super::tree::Builder;

/// The thread pool for `opts`, or `None` when the log is parsed by one builder: one thread
/// (`-j 1`, or one core), or a parse-time cut.
pub(super) fn pool(opts: &ParseOptions) -> Option<rayon::ThreadPool> {
    if opts.prune_below.is_some() || opts.jobs == 1 {
        return None;
    }
    // 0 is rayon's default, as for the fold: `RAYON_NUM_THREADS`, else one per core. A pool
    // that cannot start is no error: one builder gives the same result.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .ok()?;
    (pool.current_num_threads() > 1).then_some(pool)
}

/// The builders of a log read in batches: the result so far and the open segment.
pub(super) struct Parallel<'o> {
    opts: &'o ParseOptions,
    pool: rayon::ThreadPool,
    /// Every closed segment, appended in order; also holds every failure message read.
    merged: Builder<'o>,
    /// Lines of the log that `merged` holds.
    merged_lines: u64,
    /// The segment still open at the end of the last batch, and how many lines it has read.
    carry: Builder<'o>,
    carry_lines: u64,
    /// The closed segments of the last batch with their line counts, absorbed while the
    /// next batch is parsed (absorbing alone left one thread idle for a fifth of the parse).
    pending: Vec<(Builder<'o>, u64)>,
    /// Builders whose segments were absorbed, kept for their names and frames: a fresh one
    /// per segment interned and classified every module name again.
    spare: Vec<Builder<'o>>,
}

impl<'o> Parallel<'o> {
    pub(super) fn new(
        opts: &'o ParseOptions,
        pool: rayon::ThreadPool,
        known: HashSet<String>,
    ) -> Self {
        Parallel {
            opts,
            pool,
            merged: Builder::new(opts, known),
            merged_lines: 0,
            carry: Builder::new(opts, HashSet::default()),
            carry_lines: 0,
            pending: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Makes room in the result for the stacks of `bytes` bytes of log.
    pub(super) fn reserve_for(&mut self, bytes: usize) {
        self.merged.reserve_for(bytes);
    }

    /// The failure messages read so far; a batch's must be added before [`batch`](Self::batch).
    pub(super) fn failed_names(&mut self) -> &mut HashSet<String> {
        &mut self.merged.failed_names
    }

    /// Parses `text`, whole lines that follow the lines of the earlier batches.
    pub(super) fn batch(&mut self, text: &[u8]) {
        let threads = self.pool.current_num_threads();
        // One segment per thread. Each segment's builder keeps its own name table (a few
        // thousand names), so every segment more is one more table for the caches to hold:
        // two per thread, meant to even out reports of different lengths, took 6% more CPU at
        // `-j 2` on the x200 log and 16% more wall time on a log of five different reports
        // repeated (BENCHMARKS run 12). A batch holds about a dozen reports, so the longer
        // segment is longer by about one report.
        let cuts = header_cuts(text, threads);
        let known = &self.merged.failed_names;
        self.carry.failed_names.clone_from(known);
        if cuts.is_empty() {
            self.carry.feed(text, &mut self.carry_lines);
            return;
        }
        let opts = self.opts;
        let carry = std::mem::replace(&mut self.carry, Builder::new(opts, HashSet::default()));
        // (builder, lines it has read, its text, whether a header follows it)
        let mut jobs = vec![(carry, self.carry_lines, &text[..cuts[0]], true)];
        for (i, &start) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).copied();
            let segment = &text[start..end.unwrap_or(text.len())];
            let mut builder = self
                .spare
                .pop()
                .unwrap_or_else(|| Builder::new(opts, HashSet::default()));
            builder.failed_names.clone_from(known);
            jobs.push((builder, 0, segment, end.is_some()));
        }
        let pending = std::mem::take(&mut self.pending);
        let (merged, merged_lines) = (&mut self.merged, &mut self.merged_lines);
        let (absorbed, mut done) = self.pool.install(|| {
            rayon::join(
                || absorb_all(merged, merged_lines, pending),
                || {
                    jobs.into_par_iter()
                        .map(|(mut builder, mut lines, segment, closed)| {
                            builder.reserve_for(segment.len());
                            builder.feed(segment, &mut lines);
                            if closed {
                                builder.end_segment(lines + 1);
                            }
                            (builder, lines)
                        })
                        .collect::<Vec<_>>()
                },
            )
        });
        self.spare.extend(absorbed);
        let (open, open_lines) = done.pop().expect("the segment after the last cut");
        self.pending = done;
        self.carry = open;
        self.carry_lines = open_lines;
    }

    /// Closes the open segment and hands over the builder that holds everything.
    pub(super) fn finish(mut self) -> Builder<'o> {
        let pending = std::mem::take(&mut self.pending);
        absorb_all(&mut self.merged, &mut self.merged_lines, pending);
        self.carry.close();
        self.merged.absorb(&mut self.carry, self.merged_lines);
        // Freeing the segments' builders took 5-10 ms (perf, x200 log) at a point where
        // nothing else runs: a thread of its own frees them while the fold starts.
        let heavy: Vec<_> = self
            .spare
            .drain(..)
            .chain([self.carry])
            .map(Builder::into_heavy)
            .collect();
        // When no thread can start, the closure and what it holds are freed here instead.
        let _ = std::thread::Builder::new().spawn(move || drop(heavy));
        self.merged
    }
}

/// Absorbs `parts` into `merged` in order, `lines` counting the log's lines it holds; gives
/// the emptied builders back.
fn absorb_all<'o>(
    merged: &mut Builder<'o>,
    lines: &mut u64,
    parts: Vec<(Builder<'o>, u64)>,
) -> Vec<Builder<'o>> {
    parts
        .into_iter()
        .map(|(mut part, part_lines)| {
            merged.absorb(&mut part, *lines);
            *lines += part_lines;
            part
        })
        .collect()
}

/// Offsets of header lines that cut `text` into about `pieces` segments: for each
/// `len × j / pieces` with `j` from 1, the start of the first header line from there on.
/// Every offset is the start of a line the builder reads as [`Row::Header`] (a header it
/// misses only makes a segment longer), in increasing order.
///
/// The first piece, up to the first cut, goes to the builder of the report left open by the
/// batch before, which reads on into the reports after it: a cut at the batch's first header
/// too made one builder more per batch for a few lines (8% more CPU at `-j 2` on the x200
/// log, the same bytes).
fn header_cuts(text: &[u8], pieces: usize) -> Vec<usize> {
    let finder = memchr::memmem::Finder::new(b"self [us]");
    let mut cuts: Vec<usize> = Vec::new();
    let mut from = 0;
    for j in 1..pieces.max(1) {
        let target = text.len() / pieces.max(1) * j;
        if target < from {
            continue;
        }
        let Some(cut) = next_header(text, target, &finder) else {
            break;
        };
        cuts.push(cut);
        from = cut + 1;
    }
    cuts
}

/// The start of the first header line that starts at or after `from`.
fn next_header(text: &[u8], from: usize, finder: &memchr::memmem::Finder<'_>) -> Option<usize> {
    let mut at = from;
    loop {
        let hit = at + finder.find(&text[at..])?;
        let start = memchr::memrchr(b'\n', &text[..hit]).map_or(0, |i| i + 1);
        let end = text::memchr(b'\n', &text[hit..]).map_or(text.len(), |i| hit + i);
        if start >= from
            && matches!(
                parse_row(&text::clean_line(&text[start..end])),
                Some((_, Row::Header))
            )
        {
            return Some(start);
        }
        at = hit + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_on_header_lines_only() {
        let log = b"import time:  3 |  3 | z\n\
                    x self [us] y\n\
                    import time: self [us] | cumulative | imported package\n\
                    import time:  1 |  1 | a\n\
                    pytest import time: self [us] | cumulative | imported package\n\
                    import time:  2 |  2 | b\n";
        let cuts = header_cuts(log, 8);
        let lines: Vec<&[u8]> = cuts
            .iter()
            .map(|&c| log[c..].split(|&b| b == b'\n').next().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                &b"import time: self [us] | cumulative | imported package"[..],
                &b"pytest import time: self [us] | cumulative | imported package"[..],
            ]
        );
        assert!(header_cuts(b"import time:  1 |  1 | a\n", 4).is_empty());
        // The first piece is the open report's: no cut at the start, even on a header.
        let head = b"import time: self [us] | cumulative | imported package\n\
                     import time:  1 |  1 | a\n";
        assert!(header_cuts(head, 2).is_empty());
    }
}
