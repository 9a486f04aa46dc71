//! Folding profiles into sorted, merged stacks: the only code that runs in parallel.
//!
//! Weights are integers, so the sums do not depend on how rayon split the work, and the lines
//! are sorted before they leave, so the output is byte-identical for every `--jobs`. The flame
//! chart keeps input (import) order instead and runs sequentially.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::{Category, FrameId, Profile, Unit, clean_label};

/// How the reports of one input are combined when they are repeated runs (`--runs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsMode {
    /// Per stack, the median over runs (a stack missing from a run counts as 0 there).
    Median,
    /// Per stack, the smallest value over runs.
    Min,
    /// Per stack, the mean over runs, rounded down to whole units.
    Mean,
    /// Per stack, the sum over runs.
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

/// Colour class and tooltip detail of a frame label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// What the frame is.
    pub category: Category,
    /// Extra tooltip text (`3/1 calls`).
    pub detail: Option<String>,
}

/// Folded stacks: `a;b;c` with a weight, sorted (or in input order for a flame chart).
#[derive(Clone, Debug)]
pub struct Folded {
    /// What the weights count.
    pub unit: Unit,
    /// One line per distinct stack.
    pub lines: Vec<(String, u64)>,
    /// Category and detail per frame label.
    pub frames: HashMap<String, FrameInfo>,
}

impl Folded {
    /// Sum of all weights.
    pub fn total(&self) -> u64 {
        self.lines.iter().map(|(_, w)| w).sum()
    }
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
    let mut lines: Vec<(String, u64)> = Vec::new();
    let mut frames = HashMap::new();
    for input in inputs {
        let merge = opts.merge || opts.runs.is_some();
        let prefix = prefixes(input, with_input_root, merge);
        if let Some(mode) = opts.runs.filter(|_| input.profile.reports.len() > 1) {
            let runs = pool.install(|| combine_runs(input.profile, &prefix, mode, opts.keep_order));
            lines.extend(runs);
        } else if opts.keep_order {
            append_in_order(&mut lines, input.profile, &prefix);
        } else {
            let sums = pool.install(|| sum_stacks(input.profile, &prefix));
            lines.extend(sums);
        }
        collect_frame_info(&mut frames, input, &prefix);
    }
    if !opts.keep_order {
        lines.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        lines.dedup_by(|next, kept| {
            if next.0 == kept.0 {
                kept.1 += next.1;
                true
            } else {
                false
            }
        });
    }
    Ok(Folded {
        unit,
        lines,
        frames,
    })
}

/// The root labels put before each report's stacks (`file.log;python #2;`).
fn prefixes(input: &Named<'_>, with_input_root: bool, merge: bool) -> Vec<String> {
    let mut base = String::new();
    if with_input_root {
        base.push_str(&clean_label(&input.name));
        base.push(';');
    }
    let reports = &input.profile.reports;
    if merge || reports.is_empty() {
        return vec![base];
    }
    reports
        .iter()
        .map(|r| format!("{base}{};", clean_label(r)))
        .collect()
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

/// Adds up identical stacks in parallel: each rayon job fills its own map keyed by the frame
/// ids (cheap to hash), the maps are merged, and only distinct stacks become strings.
fn sum_stacks(profile: &Profile, prefix: &[String]) -> Vec<(String, u64)> {
    let report_of = |report: u32| {
        if prefix.len() == 1 { 0 } else { report }
    };
    let sums: HashMap<(u32, &[FrameId]), u64> = (0..profile.stack_count())
        .into_par_iter()
        .with_min_len(4096)
        .fold(HashMap::new, |mut map, i| {
            let s = profile.stack(i);
            *map.entry((report_of(s.report), s.frames)).or_insert(0) += s.weight;
            map
        })
        .reduce(HashMap::new, |mut a, b| {
            if a.len() < b.len() {
                return merge_into(b, a);
            }
            for (k, v) in b {
                *a.entry(k).or_insert(0) += v;
            }
            a
        });
    sums.into_par_iter()
        .map(|((report, frames), w)| (label(profile, prefix, report, frames), w))
        .collect()
}

fn merge_into<'a>(
    mut big: HashMap<(u32, &'a [FrameId]), u64>,
    small: HashMap<(u32, &'a [FrameId]), u64>,
) -> HashMap<(u32, &'a [FrameId]), u64> {
    for (k, v) in small {
        *big.entry(k).or_insert(0) += v;
    }
    big
}

/// Combines the reports of `profile` as runs: each distinct stack gets one value per report,
/// combined by `mode`. Stacks whose combined value is 0 are kept only if they were seen with
/// weight somewhere (so `min` does not invent stacks).
fn combine_runs(
    profile: &Profile,
    prefix: &[String],
    mode: RunsMode,
    keep_order: bool,
) -> Vec<(String, u64)> {
    let runs = profile.reports.len();
    let mut index: HashMap<&[FrameId], usize> = HashMap::new();
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
    let mut out: Vec<(String, u64)> = values
        .into_par_iter()
        .map(|(frames, mut per_run)| {
            (
                label(profile, prefix, 0, frames),
                mode.combine(&mut per_run),
            )
        })
        .collect();
    if !keep_order {
        out.sort_unstable();
    }
    out
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

fn collect_frame_info(
    frames: &mut HashMap<String, FrameInfo>,
    input: &Named<'_>,
    prefix: &[String],
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
        for root in p.split(';').filter(|r| !r.is_empty()) {
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
            folded.lines,
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
            merged.lines,
            vec![("a".to_string(), 12), ("a;b".to_string(), 3)]
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
        assert_eq!(folded.lines[0].0, "one.log;python #1;a");
        assert_eq!(folded.total(), 30);
    }
}
