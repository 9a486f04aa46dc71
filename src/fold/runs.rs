//! Repeated runs (`--runs`): one value per stack and run, combined by median, min, mean or
//! sum. `check` takes its medians from here too.

use rayon::prelude::*;

use crate::model::{FrameId, Profile};

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

/// Combines the reports of `profile` as runs: each distinct stack (in order of first
/// appearance) gets one value per report, combined by `mode`.
pub(super) fn combine_runs(profile: &Profile, mode: RunsMode) -> Vec<(&[FrameId], u64)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_modes_are_named_as_on_the_command_line() {
        use clap::ValueEnum;
        for mode in RunsMode::value_variants() {
            assert_eq!(mode.to_possible_value().unwrap().get_name(), mode.name());
        }
    }

    #[test]
    fn runs_combine_as_named() {
        for (mode, expected) in [
            (RunsMode::Median, 6),
            (RunsMode::Min, 1),
            (RunsMode::Mean, 5),
            (RunsMode::Sum, 22),
        ] {
            assert_eq!(mode.combine(&mut [9, 1, 5, 7]), expected, "{mode:?}");
        }
        assert_eq!(median(&mut [3, 1, 2]), 2);
        assert_eq!(median(&mut []), 0);
    }
}
