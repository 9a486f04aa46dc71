//! Repeated runs (`--runs`): what one profile made of N runs is, and the one definition every
//! command uses.
//!
//! The combined total is the median (or min, mean, sum) of the *run totals*, and the combined
//! stacks add up to exactly that total, so the title, the tables, JSON, `check` and `diff` all
//! print the same number. `median` and `min` draw one real run (the one with the median or the
//! smallest total): a sum of per-stack medians is lower than every real run when the slow spot
//! moves between runs, and drew a program that never ran. `mean` gives every stack its mean,
//! apportioned so the stacks add up to the mean total to the unit; `sum` adds all runs.

use crate::model::{FrameId, Profile};

/// How the reports of one input are combined when they are repeated runs (`--runs`). The doc
/// comments are the `--runs` help (clap's `ValueEnum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunsMode {
    /// The median run, drawn as it ran: the run whose total is the median (the lower middle
    /// one for an even count).
    Median,
    /// The fastest run, drawn as it ran.
    Min,
    /// Each stack's mean over the runs; the stacks add up to the mean of the run totals.
    Mean,
    /// All runs added up.
    Sum,
}

/// Which runs make the combined profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// One run, by its index in [`run_totals`].
    Run(usize),
    /// The mean of every run.
    Mean,
    /// Every run added up.
    Sum,
}

impl RunsMode {
    /// Name for titles and tables.
    pub fn name(self) -> &'static str {
        match self {
            RunsMode::Median => "median",
            RunsMode::Min => "min",
            RunsMode::Mean => "mean",
            RunsMode::Sum => "sum",
        }
    }

    /// The fact (`Profile::facts`, JSON `inputs[].facts`) saying that N runs were combined
    /// this way: the title counts one combined run, not N reports.
    pub fn fact(self) -> &'static str {
        match self {
            RunsMode::Median => "runs_median",
            RunsMode::Min => "runs_min",
            RunsMode::Mean => "runs_mean",
            RunsMode::Sum => "runs_sum",
        }
    }

    /// Which runs make the combined profile, given the run totals. Ties go to the earlier run.
    pub fn pick(self, totals: &[u64]) -> Pick {
        match self {
            RunsMode::Median => {
                let mut order: Vec<usize> = (0..totals.len()).collect();
                order.sort_by_key(|&i| (totals[i], i));
                Pick::Run(
                    order
                        .get(totals.len().saturating_sub(1) / 2)
                        .copied()
                        .unwrap_or(0),
                )
            }
            RunsMode::Min => Pick::Run(
                (0..totals.len())
                    .min_by_key(|&i| (totals[i], i))
                    .unwrap_or(0),
            ),
            RunsMode::Mean => Pick::Mean,
            RunsMode::Sum => Pick::Sum,
        }
    }

    /// The combined total of runs with these totals: what every command prints.
    pub fn total(self, totals: &[u64]) -> u64 {
        combine(self.pick(totals), totals)
    }
}

/// The combined value of per-run values under `pick` (the mean rounded down).
pub fn combine(pick: Pick, values: &[u64]) -> u64 {
    let sum = || values.iter().map(|&v| v as u128).sum::<u128>();
    match pick {
        Pick::Run(i) => values.get(i).copied().unwrap_or(0),
        Pick::Sum => u64::try_from(sum()).unwrap_or(u64::MAX),
        Pick::Mean if values.is_empty() => 0,
        Pick::Mean => (sum() / values.len() as u128) as u64,
    }
}

/// Every run of `profiles` in order, as `(profile, report)`: each report of each profile (a
/// profile without reports is one run).
pub fn runs(profiles: &[&Profile]) -> Vec<(usize, u32)> {
    profiles
        .iter()
        .enumerate()
        .flat_map(|(p, profile)| (0..profile.reports.len().max(1) as u32).map(move |r| (p, r)))
        .collect()
}

/// The total of every run, in the order of [`runs`].
pub fn run_totals(profiles: &[&Profile]) -> Vec<u64> {
    let mut totals = Vec::new();
    for profile in profiles {
        let mut own = vec![0u64; profile.reports.len().max(1)];
        for s in profile.stacks() {
            if let Some(t) = own.get_mut(s.report as usize) {
                *t = t.saturating_add(s.weight);
            }
        }
        totals.extend(own);
    }
    totals
}

/// The stacks of the combined profile of all runs of `profiles`, as `(profile, stack index,
/// weight)`: the picked run's own stacks (zero-weight ones included), or for `mean` and `sum`
/// one entry per distinct stack of each profile (on its first occurrence). Their weights add up
/// to [`RunsMode::total`] of the run totals exactly.
pub fn combined_stacks(profiles: &[&Profile], mode: RunsMode) -> Vec<(usize, usize, u64)> {
    let all = runs(profiles);
    let totals = run_totals(profiles);
    let pick = mode.pick(&totals);
    let mut out = Vec::new();
    if let Pick::Run(i) = pick {
        let (p, report) = all.get(i).copied().unwrap_or((0, 0));
        if let Some(profile) = profiles.get(p) {
            for (k, s) in profile.stacks().enumerate() {
                if s.report == report || profile.reports.len() <= 1 {
                    out.push((p, k, s.weight));
                }
            }
        }
        return out;
    }
    // Sum per distinct stack (per profile), in order of first appearance.
    let mut sums: Vec<(usize, usize, u128)> = Vec::new();
    for (p, profile) in profiles.iter().enumerate() {
        let mut index: ahash::HashMap<&[FrameId], usize> = ahash::HashMap::default();
        for (k, s) in profile.stacks().enumerate() {
            let slot = *index.entry(s.frames).or_insert_with(|| {
                sums.push((p, k, 0));
                sums.len() - 1
            });
            sums[slot].2 += s.weight as u128;
        }
    }
    let n = all.len().max(1) as u128;
    if pick == Pick::Sum {
        return sums
            .into_iter()
            .map(|(p, k, s)| (p, k, u64::try_from(s).unwrap_or(u64::MAX)))
            .collect();
    }
    // Mean: each stack's sum / n rounded down, then the units lost to rounding (fewer than n
    // per stack, and together less than the total's own rounding allows) go one each to the
    // stacks with the largest remainders, earlier stacks first on ties.
    let target = combine(Pick::Mean, &totals) as u128;
    let floor: u128 = sums.iter().map(|&(_, _, s)| s / n).sum();
    let mut extra = target.saturating_sub(floor) as usize;
    let mut by_remainder: Vec<usize> = (0..sums.len()).collect();
    by_remainder.sort_by_key(|&i| (std::cmp::Reverse(sums[i].2 % n), i));
    let mut bonus = vec![0u64; sums.len()];
    for &i in &by_remainder {
        if extra == 0 {
            break;
        }
        if !sums[i].2.is_multiple_of(n) {
            bonus[i] = 1;
            extra -= 1;
        }
    }
    sums.into_iter()
        .zip(bonus)
        .map(|((p, k, s), b)| (p, k, (s / n) as u64 + b))
        .collect()
}

/// Combines the reports of `profile` as runs: each distinct stack of the combined profile (in
/// order of first appearance) with its weight.
pub(super) fn combine_runs(profile: &Profile, mode: RunsMode) -> Vec<(&[FrameId], u64)> {
    let mut index: ahash::HashMap<&[FrameId], usize> = ahash::HashMap::default();
    let mut values: Vec<(&[FrameId], u64)> = Vec::new();
    for (_, k, w) in combined_stacks(&[profile], mode) {
        let frames = profile.stack(k).frames;
        let slot = *index.entry(frames).or_insert_with(|| {
            values.push((frames, 0));
            values.len() - 1
        });
        values[slot].1 += w;
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, InputKind, Unit};

    #[test]
    fn runs_modes_are_named_as_on_the_command_line() {
        use clap::ValueEnum;
        for mode in RunsMode::value_variants() {
            assert_eq!(mode.to_possible_value().unwrap().get_name(), mode.name());
        }
    }

    #[test]
    fn the_median_is_a_real_run_the_lower_middle_one_for_an_even_count() {
        assert_eq!(RunsMode::Median.pick(&[9, 1, 5]), Pick::Run(2));
        assert_eq!(RunsMode::Median.pick(&[9, 1, 5, 7]), Pick::Run(2));
        assert_eq!(RunsMode::Min.pick(&[9, 1, 5, 1]), Pick::Run(1));
        assert_eq!(RunsMode::Median.total(&[9, 1, 5, 7]), 5);
        assert_eq!(RunsMode::Mean.total(&[9, 1, 5, 7]), 5);
        assert_eq!(RunsMode::Sum.total(&[9, 1, 5, 7]), 22);
    }

    /// Three runs whose slow spot moves: a per-stack median would be 1+1+1 = 3, less than
    /// every run (each took 7).
    fn moving_slow_spot() -> Profile {
        let mut p = Profile::new(InputKind::Importtime, Unit::Microseconds);
        let ids: Vec<FrameId> = ["a", "b", "c"]
            .iter()
            .map(|n| p.frames.intern(n, Category::Other))
            .collect();
        for run in 0..3u32 {
            p.reports.push(format!("python #{}", run + 1));
            for (i, &f) in ids.iter().enumerate() {
                let w = if i as u32 == run { 5 } else { 1 };
                p.push_stack(&[f], w, run);
            }
        }
        p
    }

    #[test]
    fn combined_stacks_add_up_to_the_combined_run_total() {
        let p = moving_slow_spot();
        for mode in [
            RunsMode::Median,
            RunsMode::Min,
            RunsMode::Mean,
            RunsMode::Sum,
        ] {
            let total: u64 = combine_runs(&p, mode).iter().map(|(_, w)| w).sum();
            assert_eq!(total, mode.total(&run_totals(&[&p])), "{mode:?}");
        }
        assert_eq!(run_totals(&[&p]), [7, 7, 7]);
        let median: Vec<u64> = combine_runs(&p, RunsMode::Median)
            .iter()
            .map(|(_, w)| *w)
            .collect();
        assert_eq!(
            median,
            [1, 5, 1],
            "the middle run of three equal totals, as it ran"
        );
    }

    #[test]
    fn the_mean_apportions_rounding_to_the_largest_remainders() {
        let p = moving_slow_spot();
        // Each stack sums to 7 over 3 runs: 2.33 each, 7 in all: one stack gets the extra unit.
        let mean: Vec<u64> = combine_runs(&p, RunsMode::Mean)
            .iter()
            .map(|(_, w)| *w)
            .collect();
        assert_eq!(mean, [3, 2, 2]);
    }
}
