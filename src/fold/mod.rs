//! Folding profiles into sorted, merged stacks: the only code that runs in parallel.
//!
//! Weights are integers, so the sums do not depend on how rayon split the work, and the lines
//! are sorted before they leave, so the output is byte-identical for every `--jobs`. The flame
//! chart keeps input (import) order instead and runs sequentially.

mod cut;
mod groups;
mod layout;
mod runs;
mod sort;
mod write;

use std::collections::HashMap;
use std::io::Write;

use groups::Grouped;
use layout::Sorted;
use runs::combine_runs;
pub use runs::{Pick, RunsMode, combine, combined_stacks, run_totals, runs};
use sort::Sorter;

use crate::error::{Error, Result};
use crate::folded::{Folded, FrameInfo, Lines};
use crate::model::{Category, FrameId, Profile, Unit, clean_label};

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
    /// For a sorted SVG drawn at this `--min-width` percent: write only the lines it draws
    /// from (`render::prune`'s cut, done on the stacks before their text exists), not all of
    /// them. Ignored with `keep_order`.
    pub drawable: Option<f64>,
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
    let setup = Setup::new(inputs, opts)?;
    let mut frames = HashMap::new();
    for (input, prefix) in inputs.iter().zip(&setup.prefixes) {
        collect_frame_info(&mut frames, input, prefix);
    }
    let mut drawn_at = None;
    let lines = if opts.keep_order {
        setup.in_order(inputs, opts)
    } else {
        let (sorted, was_cut) = setup.sorted(inputs, opts, opts.drawable);
        drawn_at = opts.drawable.filter(|_| was_cut);
        setup.pool.install(|| sorted.into_lines())
    };
    Ok(Folded {
        unit: setup.unit,
        lines,
        frames,
        drawn_at,
    })
}

/// The folded output (`-f folded`) of some inputs: their stacks folded as [`fold`] folds
/// them, the text not laid out yet. [`FoldedOutput::write`] lays it out and writes it a
/// piece at a time, so the whole text (58 MiB for the 31 MB benchmark log) is never held,
/// and with several threads the writing overlaps the layout. Same bytes as [`fold`]'s lines.
pub struct FoldedOutput {
    pool: rayon::ThreadPool,
    stacks: Stacks,
}

enum Stacks {
    /// A flame chart's lines, in input order (laid out whole: they are not sorted in parallel).
    InOrder(Lines),
    /// Grouped by first rank, each group sorted and merged as its piece is laid out.
    Grouped(Grouped),
}

/// Folds `inputs` for [`FoldedOutput::write`]: every stack is kept (`opts.drawable`, an SVG's
/// cut, does not apply to folded output).
pub fn fold_for_output(inputs: &[Named<'_>], opts: &FoldOptions) -> Result<FoldedOutput> {
    let setup = Setup::new(inputs, opts)?;
    let stacks = if opts.keep_order {
        Stacks::InOrder(setup.in_order(inputs, opts))
    } else {
        let sorter = setup.sorter(inputs, opts);
        Stacks::Grouped(setup.pool.install(|| sorter.into_groups()))
    };
    Ok(FoldedOutput {
        pool: setup.pool,
        stacks,
    })
}

impl FoldedOutput {
    /// Writes every line, `stack weight\n`, to `out`. Once, but for `--flamechart`.
    pub fn write(&mut self, out: &mut dyn Write) -> Result<()> {
        match &mut self.stacks {
            Stacks::InOrder(lines) => out.write_all(lines.as_str().as_bytes())?,
            Stacks::Grouped(grouped) => grouped.write(&self.pool, write::PIECE_FRAMES, out)?,
        }
        Ok(())
    }

    /// The fold's worker threads (`--jobs`, 0 resolved).
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }
}

/// What both ways of folding start from: the inputs' one unit, their weights checked to add
/// up in 64 bits, the thread pool and every input's root labels.
struct Setup {
    unit: Unit,
    pool: rayon::ThreadPool,
    prefixes: Vec<Vec<Vec<String>>>,
}

impl Setup {
    fn new(inputs: &[Named<'_>], opts: &FoldOptions) -> Result<Setup> {
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
        let prefixes = inputs
            .iter()
            .map(|input| prefixes(input, with_input_root, merge))
            .collect();
        Ok(Setup {
            unit,
            pool,
            prefixes,
        })
    }

    /// Flame-chart lines: stacks in input order (`--flamechart`).
    fn in_order(&self, inputs: &[Named<'_>], opts: &FoldOptions) -> Lines {
        let mut lines: Vec<(String, u64)> = Vec::new();
        for (input, prefix) in inputs.iter().zip(&self.prefixes) {
            let prefix: Vec<String> = prefix.iter().map(|p| joined(p)).collect();
            if let Some(mode) = opts.runs.filter(|_| input.profile.reports.len() > 1) {
                let runs = self.pool.install(|| combine_runs(input.profile, mode));
                lines.extend(
                    runs.into_iter()
                        .map(|(f, w)| (label(input.profile, &prefix, 0, f), w)),
                );
            } else {
                append_in_order(&mut lines, input.profile, &prefix);
            }
        }
        lines.into_iter().collect()
    }

    /// Every stack sorted by its label and merged, cut for an SVG at `drawable` (the flag:
    /// whether it was cut).
    fn sorted(
        &self,
        inputs: &[Named<'_>],
        opts: &FoldOptions,
        drawable: Option<f64>,
    ) -> (Sorted, bool) {
        let sorter = self.sorter(inputs, opts);
        self.pool.install(|| sorter.into_sorted(drawable))
    }

    /// Every stack of every input added to a [`Sorter`], with its root labels.
    fn sorter<'a>(&'a self, inputs: &[Named<'a>], opts: &FoldOptions) -> Sorter<'a> {
        let mut sorter = Sorter::default();
        for (input, prefix) in inputs.iter().zip(&self.prefixes) {
            let profile = input.profile;
            if let Some(mode) = opts.runs.filter(|_| profile.reports.len() > 1) {
                let runs = self.pool.install(|| combine_runs(profile, mode));
                let stack = |i: usize| ((0, runs[i].0), runs[i].1);
                self.pool
                    .install(|| sorter.add(profile, prefix, runs.len(), stack));
            } else {
                // Identical stacks need no map: they sort next to each other and
                // `into_sorted` adds them up.
                let one_prefix = prefix.len() == 1;
                let stack = |i: usize| {
                    let s = profile.stack(i);
                    let report = if one_prefix { 0 } else { s.report };
                    ((report, s.frames), s.weight)
                };
                self.pool
                    .install(|| sorter.add(profile, prefix, profile.stack_count(), stack));
            }
        }
        sorter
    }
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
pub(super) type StackKey<'p> = (u32, &'p [FrameId]);

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
    fn the_drawable_cut_is_left_to_the_renderer_when_lines_sort_apart_from_stacks() {
        // `a 5` sorts after `a (failed) 3` as a line but before it as a stack.
        let mut p = Profile::new(InputKind::Importtime, Unit::Microseconds);
        let a = p.frames.intern("a", Category::Stdlib);
        let failed = p.frames.intern("a (failed)", Category::Stdlib);
        let b = p.frames.intern("b", Category::Stdlib);
        p.push_stack(&[a], 5, 0);
        p.push_stack(&[failed], 3, 0);
        p.push_stack(&[b], 10_000, 0);
        p.push_stack(&[b, a], 1, 0);
        let named = [Named {
            name: "x.log".into(),
            profile: &p,
        }];
        let opts = FoldOptions {
            drawable: Some(0.1),
            ..FoldOptions::default()
        };
        let folded = fold(&named, &opts).unwrap();
        assert_eq!(folded.drawn_at, None);
        assert_eq!(folded.lines.len(), 4);
        // Without such labels the narrow stacks are cut: b;a (1 of 10,009) is not drawn.
        let mut q = Profile::new(InputKind::Importtime, Unit::Microseconds);
        let a = q.frames.intern("a", Category::Stdlib);
        let b = q.frames.intern("b", Category::Stdlib);
        let c = q.frames.intern("c", Category::Stdlib);
        q.push_stack(&[b], 10_000, 0);
        q.push_stack(&[b, a], 1, 0);
        q.push_stack(&[b, a, c], 1, 0);
        q.push_stack(&[b, a, c, b], 1, 0);
        let named = [Named {
            name: "x.log".into(),
            profile: &q,
        }];
        let folded = fold(&named, &opts).unwrap();
        assert_eq!(folded.drawn_at, Some(0.1));
        assert_eq!(
            folded.lines.to_vec(),
            [
                ("b".to_string(), 10_000),
                ("b;a".to_string(), 1),
                ("b;a;c".to_string(), 2)
            ]
        );
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
