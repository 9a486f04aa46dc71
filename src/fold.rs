//! Folding profiles into sorted, merged stacks: the only code that runs in parallel.
//!
//! Weights are integers, so the sums do not depend on how rayon split the work, and the lines
//! are sorted before they leave, so the output is byte-identical for every `--jobs`. The flame
//! chart keeps input (import) order instead and runs sequentially.

use std::cmp::Ordering;
use std::collections::HashMap;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::folded::{Folded, FrameInfo, Lines, Span};
use crate::model::{Category, FrameId, Profile, Unit, clean_label};

/// How the reports of one input are combined when they are repeated runs (`--runs`). The doc
/// comments are the `--runs` help (clap's `ValueEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunsMode {
    /// The median run, per stack (a stack missing from a run counts as 0 there).
    Median,
    /// The fastest run, per stack.
    Min,
    /// The mean, per stack, rounded down to whole units.
    Mean,
    /// All runs added up, per stack.
    Sum,
}

impl RunsMode {
    /// Combines one stack's weights, one per run.
    pub fn combine(self, values: &mut [u64]) -> u64 {
        if values.is_empty() {
            return 0;
        }
        match self {
            RunsMode::Sum => values.iter().sum(),
            RunsMode::Min => values.iter().copied().min().unwrap_or(0),
            RunsMode::Mean => {
                let sum: u128 = values.iter().map(|&v| v as u128).sum();
                (sum / values.len() as u128) as u64
            }
            RunsMode::Median => median(values),
        }
    }

    /// Name for titles and tables.
    pub fn name(self) -> &'static str {
        match self {
            RunsMode::Median => "median",
            RunsMode::Min => "min",
            RunsMode::Mean => "mean",
            RunsMode::Sum => "sum",
        }
    }
}

/// The median; for an even count, the mean of the two middle values, rounded down.
pub fn median(values: &mut [u64]) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        ((values[mid - 1] as u128 + values[mid] as u128) / 2) as u64
    }
}

/// How profiles are folded.
#[derive(Clone, Debug, Default)]
pub struct FoldOptions {
    /// Treat the reports of each input as repeated runs and combine them (`--runs`).
    pub runs: Option<RunsMode>,
    /// Worker threads (0 = one per core).
    pub jobs: usize,
    /// Drop report roots so identical stacks of all reports add up (`--merge`).
    pub merge: bool,
    /// Keep stacks in input order, merging only neighbours (`--flamechart`).
    pub keep_order: bool,
}

/// One input to fold, with the name used as its root when several are combined.
pub struct Named<'a> {
    /// Input name (path or `<stdin>`).
    pub name: String,
    /// Its parsed profile.
    pub profile: &'a Profile,
}

/// Folds every input into one set of stacks. Several inputs each keep their own root (their
/// name); within an input, reports keep theirs unless `merge`.
pub fn fold(inputs: &[Named<'_>], opts: &FoldOptions) -> Result<Folded> {
    let unit = inputs
        .first()
        .map_or(Unit::Microseconds, |n| n.profile.unit);
    if inputs.iter().any(|n| n.profile.unit != unit) {
        return Err(Error::usage(
            "inputs mix time (importtime, pstats) and samples (py-spy): fold them separately",
        ));
    }
    // Weights come from the input: once the grand total fits in 64 bits, every sum below
    // (per stack, per run, per frame) does too.
    let mut grand = 0u64;
    for input in inputs {
        grand = input
            .profile
            .checked_total()
            .and_then(|t| grand.checked_add(t))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "weights add up to more than 2^64 {}",
                    input.profile.unit.name()
                ))
                .in_input(&input.name)
            })?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| Error::usage(format!("cannot start worker threads: {e}")))?;
    let with_input_root = inputs.len() > 1;
    let merge = opts.merge || opts.runs.is_some();
    let mut frames = HashMap::new();
    let prefixes: Vec<Vec<Vec<String>>> = inputs
        .iter()
        .map(|input| prefixes(input, with_input_root, merge))
        .collect();
    for (input, prefix) in inputs.iter().zip(&prefixes) {
        collect_frame_info(&mut frames, input, prefix);
    }
    let lines = if opts.keep_order {
        let mut lines: Vec<(String, u64)> = Vec::new();
        for (input, prefix) in inputs.iter().zip(&prefixes) {
            let prefix: Vec<String> = prefix.iter().map(|p| joined(p)).collect();
            if let Some(mode) = opts.runs.filter(|_| input.profile.reports.len() > 1) {
                let runs = pool.install(|| combine_runs(input.profile, mode));
                lines.extend(
                    runs.into_iter()
                        .map(|(f, w)| (label(input.profile, &prefix, 0, f), w)),
                );
            } else {
                append_in_order(&mut lines, input.profile, &prefix);
            }
        }
        lines.into_iter().collect()
    } else {
        let mut sorter = Sorter::default();
        for (input, prefix) in inputs.iter().zip(&prefixes) {
            if let Some(mode) = opts.runs.filter(|_| input.profile.reports.len() > 1) {
                let runs = pool.install(|| combine_runs(input.profile, mode));
                sorter.add(
                    input.profile,
                    prefix,
                    runs.into_iter().map(|(f, w)| ((0, f), w)),
                );
            } else {
                // Identical stacks need no map: they sort next to each other and `into_lines`
                // adds them up.
                let one_prefix = prefix.len() == 1;
                let stacks = input.profile.stacks().map(|s| {
                    let report = if one_prefix { 0 } else { s.report };
                    ((report, s.frames), s.weight)
                });
                sorter.add(input.profile, prefix, stacks);
            }
        }
        pool.install(|| sorter.into_lines())
    };
    Ok(Folded {
        unit,
        lines,
        frames,
    })
}

/// The root labels put before each report's stacks (`file.log`, `python #2`), one list per
/// report (a single list when reports are merged or there are none).
fn prefixes(input: &Named<'_>, with_input_root: bool, merge: bool) -> Vec<Vec<String>> {
    let mut base = Vec::new();
    if with_input_root {
        base.push(clean_label(&input.name).into_owned());
    }
    let reports = &input.profile.reports;
    if merge || reports.is_empty() {
        return vec![base];
    }
    reports
        .iter()
        .map(|r| {
            let mut p = base.clone();
            p.push(clean_label(r).into_owned());
            p
        })
        .collect()
}

/// `a;b;` for the labels `a`, `b`.
fn joined(prefix: &[String]) -> String {
    prefix.iter().map(|p| format!("{p};")).collect()
}

fn label(profile: &Profile, prefix: &[String], report: u32, frames: &[FrameId]) -> String {
    let head = prefix.get(report as usize).unwrap_or(&prefix[0]);
    let mut s = String::with_capacity(head.len() + frames.len() * 16);
    s.push_str(head);
    for (i, &f) in frames.iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        s.push_str(profile.frames.name(f));
    }
    if frames.is_empty() && s.ends_with(';') {
        s.pop();
    }
    s
}

/// A stack as the fold sees it: its prefix (report) index and its frames.
type StackKey<'p> = (u32, &'p [FrameId]);

/// Combines the reports of `profile` as runs: each distinct stack (in order of first
/// appearance) gets one value per report, combined by `mode`.
fn combine_runs(profile: &Profile, mode: RunsMode) -> Vec<(&[FrameId], u64)> {
    let runs = profile.reports.len();
    let mut index: ahash::HashMap<&[FrameId], usize> = ahash::HashMap::default();
    let mut values: Vec<(&[FrameId], Vec<u64>)> = Vec::new();
    for s in profile.stacks() {
        let slot = *index.entry(s.frames).or_insert_with(|| {
            values.push((s.frames, vec![0; runs]));
            values.len() - 1
        });
        if let Some(v) = values[slot].1.get_mut(s.report as usize) {
            *v += s.weight;
        }
    }
    values
        .into_par_iter()
        .map(|(frames, mut per_run)| (frames, mode.combine(&mut per_run)))
        .collect()
}

/// Flame-chart order: stacks as they came, neighbours with the same label merged.
fn append_in_order(lines: &mut Vec<(String, u64)>, profile: &Profile, prefix: &[String]) {
    for s in profile.stacks() {
        let report = if prefix.len() == 1 { 0 } else { s.report };
        let l = label(profile, prefix, report, s.frames);
        match lines.last_mut() {
            Some((last, w)) if *last == l => *w += s.weight,
            _ => lines.push((l, s.weight)),
        }
    }
}

/// Sorts stacks by their folded label without building the labels first, and adds up equal
/// ones; this is the parallel part of the fold (rayon's parallel sort: sorted chunks, merged).
///
/// Every label is `e1;e2;…;ek` with `;`-free, non-empty elements ([`clean_label`]). Comparing
/// two labels byte by byte comes down to comparing, at the first differing element, `e + ";"`
/// (an inner element) or `e` followed by the end (the last one). So each distinct element gets
/// two ranks, one as inner and one as last element, from sorting those few thousand strings
/// once; a stack becomes a list of ranks, and comparing rank lists gives the same order as
/// comparing labels (equal lists are equal labels). Callgrind: sorting 433,600 labels of the
/// 31 MB benchmark log was a third of all instructions.
#[derive(Default)]
struct Sorter<'a> {
    /// Distinct elements: frame labels of every input and the prefix labels.
    names: Vec<&'a str>,
    ids: ahash::HashMap<&'a str, u32>,
    /// Per stack: `code = 2 * element + is_last`, turned into ranks by `into_lines`.
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

    fn add(
        &mut self,
        profile: &'a Profile,
        prefixes: &'a [Vec<String>],
        stacks: impl ExactSizeIterator<Item = (StackKey<'a>, u64)>,
    ) {
        let frame_ids: Vec<u32> = (0..profile.frames.len() as FrameId)
            .map(|f| self.id(profile.frames.name(f)))
            .collect();
        let prefix_ids: Vec<Vec<u32>> = prefixes
            .iter()
            .map(|p| p.iter().map(|e| self.id(e)).collect())
            .collect();
        self.stacks.reserve(stacks.len());
        for ((report, frames), weight) in stacks {
            let start = self.codes.len();
            let head = prefix_ids.get(report as usize).unwrap_or(&prefix_ids[0]);
            self.codes.extend(head.iter().map(|&e| 2 * e));
            self.codes
                .extend(frames.iter().map(|&f| 2 * frame_ids[f as usize]));
            if let Some(last) = self.codes[start..].last_mut() {
                *last += 1;
            }
            let len = self.codes.len() - start;
            let start = u32::try_from(start).expect("fewer than 2^32 frames in stacks");
            self.stacks.push((start, len as u32, weight));
        }
    }

    /// Sorted, merged lines. Runs inside the fold's thread pool.
    fn into_lines(mut self) -> Lines {
        // rank[code] for both forms of every element, and the element of each rank.
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
        let codes = &self.codes;
        let key = |&(start, len, _): &(u32, u32, u64)| &codes[start as usize..][..len as usize];
        self.stacks.par_sort_unstable_by(|a, b| key(a).cmp(key(b)));
        self.stacks.dedup_by(|next, kept| {
            if key(next) == key(kept) {
                kept.2 += next.2;
                true
            } else {
                false
            }
        });
        let element = |r: u32| names[(order[r as usize] / 2) as usize];
        // Each line's length first, then its place in one buffer, then the text, written in
        // parallel into disjoint pieces of that buffer.
        let spans: Vec<Span> = {
            let lengths: Vec<(u32, u32)> = self
                .stacks
                .par_iter()
                .with_min_len(1 << 12)
                .map(|s| {
                    let ranks = key(s);
                    let stack: usize = ranks.iter().map(|&r| element(r).len()).sum::<usize>()
                        + ranks.len().saturating_sub(1);
                    let line = stack + 1 + digits(s.2);
                    let fit = |n: usize| u32::try_from(n).expect("a line shorter than 4 GiB");
                    (fit(stack), fit(line))
                })
                .collect();
            let mut start = 0;
            lengths
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
                .collect()
        };
        let total = spans
            .last()
            .map_or(0, |s| s.start + s.line_len as usize + 1);
        let mut buffer = vec![0u8; total];
        let chunk = (spans.len() / (8 * rayon::current_num_threads())).max(1 << 12);
        let mut pieces = Vec::new();
        let mut rest = buffer.as_mut_slice();
        for (i, group) in spans.chunks(chunk).enumerate() {
            let end = group
                .last()
                .map_or(0, |s| s.start + s.line_len as usize + 1);
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - group[0].start);
            rest = tail;
            pieces.push((
                piece,
                group,
                &self.stacks[i * chunk..i * chunk + group.len()],
            ));
        }
        pieces.into_par_iter().for_each(|(piece, group, stacks)| {
            let mut at = 0;
            for (span, s) in group.iter().zip(stacks) {
                for (i, &r) in key(s).iter().enumerate() {
                    if i > 0 {
                        piece[at] = b';';
                        at += 1;
                    }
                    let name = element(r).as_bytes();
                    piece[at..at + name.len()].copy_from_slice(name);
                    at += name.len();
                }
                piece[at] = b' ';
                at += 1;
                let mut buf = itoa::Buffer::new();
                let w = buf.format(span.weight).as_bytes();
                piece[at..at + w.len()].copy_from_slice(w);
                at += w.len();
                piece[at] = b'\n';
                at += 1;
            }
        });
        let text = String::from_utf8(buffer).expect("labels are UTF-8");
        Lines::from_parts(text, spans)
    }
}

/// Number of decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
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

fn collect_frame_info(
    frames: &mut HashMap<String, FrameInfo>,
    input: &Named<'_>,
    prefix: &[Vec<String>],
) {
    let table = &input.profile.frames;
    for id in 0..table.len() as FrameId {
        frames
            .entry(table.name(id).to_string())
            .or_insert_with(|| FrameInfo {
                category: table.category(id),
                detail: table.detail(id).map(str::to_string),
            });
    }
    for p in prefix {
        for root in p {
            frames.entry(root.to_string()).or_insert(FrameInfo {
                category: Category::Synthetic,
                detail: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InputKind;

    fn profile() -> Profile {
        let mut p = Profile::new(InputKind::Importtime, Unit::Microseconds);
        p.reports = vec!["python #1".into(), "python #2".into()];
        let a = p.frames.intern("a", Category::Stdlib);
        let b = p.frames.intern("b", Category::Stdlib);
        p.push_stack(&[a], 5, 0);
        p.push_stack(&[a, b], 3, 0);
        p.push_stack(&[a], 7, 1);
        p
    }

    #[test]
    fn runs_modes_are_named_as_on_the_command_line() {
        use clap::ValueEnum;
        for mode in RunsMode::value_variants() {
            assert_eq!(mode.to_possible_value().unwrap().get_name(), mode.name());
        }
    }

    #[test]
    fn reports_keep_their_roots_unless_merged() {
        let p = profile();
        let named = [Named {
            name: "x.log".into(),
            profile: &p,
        }];
        let folded = fold(&named, &FoldOptions::default()).unwrap();
        assert_eq!(
            folded.lines.to_vec(),
            vec![
                ("python #1;a".to_string(), 5),
                ("python #1;a;b".to_string(), 3),
                ("python #2;a".to_string(), 7)
            ]
        );
        let merged = fold(
            &named,
            &FoldOptions {
                merge: true,
                ..FoldOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            merged.lines.to_vec(),
            vec![("a".to_string(), 12), ("a;b".to_string(), 3)]
        );
    }

    #[test]
    fn rank_sort_gives_the_byte_order_of_the_labels() {
        // Names that are prefixes of each other, with bytes below and above `;` after the
        // shared part, stacks that are prefixes of other stacks, and an empty stack.
        let mut p = Profile::new(InputKind::Importtime, Unit::Microseconds);
        p.reports = vec!["python #1".into(), "python #10".into(), "python #1 ".into()];
        let names = [
            "a",
            "a.b",
            "a (failed)",
            "a<",
            "ab",
            "b",
            "a:x",
            "é",
            "a\u{7f}z",
        ];
        let ids: Vec<FrameId> = names
            .iter()
            .map(|n| p.frames.intern(n, Category::Other))
            .collect();
        let mut weight = 1;
        for report in 0..3 {
            p.push_stack(&[], weight, report);
            for &x in &ids {
                weight += 1;
                p.push_stack(&[x], weight, report);
                for &y in &ids {
                    weight += 1;
                    p.push_stack(&[x, y], weight, report);
                    p.push_stack(&[x, y, x], weight, report);
                }
            }
        }
        let named = [Named {
            name: "x.log".into(),
            profile: &p,
        }];
        for jobs in [1, 2] {
            let opts = FoldOptions {
                jobs,
                ..FoldOptions::default()
            };
            assert_eq!(
                fold(&named, &opts).unwrap().lines.to_vec(),
                p.folded_lines()
            );
        }
    }

    #[test]
    fn digit_counts_match_the_written_numbers() {
        for n in [0, 9, 10, 99, 100, 12345, u64::MAX] {
            assert_eq!(digits(n), n.to_string().len());
        }
    }

    #[test]
    fn several_inputs_get_their_names_as_roots() {
        let p = profile();
        let named = [
            Named {
                name: "one.log".into(),
                profile: &p,
            },
            Named {
                name: "two.log".into(),
                profile: &p,
            },
        ];
        let folded = fold(&named, &FoldOptions::default()).unwrap();
        assert_eq!(folded.lines.len(), 6);
        assert_eq!(folded.lines.iter().next().unwrap().0, "one.log;python #1;a");
        assert_eq!(folded.total(), 30);
    }
}
