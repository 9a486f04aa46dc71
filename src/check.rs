//! `importflame check`: budgets, forbidden modules and a baseline, as verdicts for CI.
//!
//! Several reports in the input are repeated runs: every measurement is taken per run and the
//! median is compared with the limit (CLI.md "check").

use crate::fold::median;
use crate::limits::{Budget, Threshold};
use crate::model::{FrameId, Mark, Profile, Unit};

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    /// `--budget NAME=TIME`.
    pub budgets: Vec<Budget>,
    /// `--forbid MODULE`.
    pub forbid: Vec<String>,
    /// `--baseline FILE --max-regression PCT`: the baseline's name, its profiles, the limit.
    pub baseline: Option<(String, Vec<Profile>, Threshold)>,
}

/// One rule's outcome, as numbers in the profile's unit; renderers word and format them.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// What was checked and measured.
    pub finding: Finding,
    /// Unit of every weight in `finding`.
    pub unit: Unit,
    /// Whether it passed.
    pub pass: bool,
}

/// A rule with what it measured.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// `--budget TARGET=LIMIT`: the median weight of TARGET (`total`, a module, a function).
    Budget {
        /// `total`, or the module or function as the user wrote it.
        target: String,
        /// Median weight over runs.
        value: u64,
        /// The budget in the profile's unit.
        limit: u64,
    },
    /// `--forbid MODULE`: how many distinct MODULE frames were imported, and their weight.
    Forbid {
        /// The module as the user wrote it.
        module: String,
        /// Distinct frames of MODULE or its submodules (0: not imported).
        modules: usize,
        /// Median weight over runs of the stacks holding one of them.
        weight: u64,
    },
    /// `--baseline NAME --max-regression THRESHOLD`: the median totals before and after.
    Regression {
        /// The baseline's input name.
        baseline: String,
        /// Its median total.
        before: u64,
        /// The input's median total.
        after: u64,
        /// The largest allowed growth.
        threshold: Threshold,
    },
}

impl Verdict {
    /// The measured weight JSON reports as `value` (none for a forbidden module).
    pub fn value(&self) -> Option<u64> {
        match self.finding {
            Finding::Budget { value, .. } => Some(value),
            Finding::Forbid { .. } => None,
            Finding::Regression { after, .. } => Some(after),
        }
    }
}

/// The number of runs the measurements are the median of: every report of every input (an
/// input without reports is one run).
pub fn run_count(profiles: &[Profile]) -> usize {
    profiles.iter().map(|p| p.reports.len().max(1)).sum()
}

/// A frame as the rules see it: its label and its importtime mark, with the module marked.
type Frame<'a> = (&'a str, Option<(Mark, &'a str)>);

/// The median over runs of the weight of the stacks holding a frame that `matches` accepts
/// (every stack when `matches` is `None`). One pass over each profile's stacks, and `matches`
/// is asked once per distinct frame, not once per frame of every stack.
fn median_over_runs(profiles: &[Profile], matches: Option<&dyn Fn(Frame<'_>) -> bool>) -> u64 {
    let mut sums: Vec<u64> = Vec::with_capacity(run_count(profiles));
    for p in profiles {
        let mut own = vec![0u64; p.reports.len().max(1)];
        let hit: Option<Vec<bool>> = matches.map(|m| {
            (0..p.frames.len() as FrameId)
                .map(|f| m((p.frames.name(f), p.frames.mark(f))))
                .collect()
        });
        for s in p.stacks() {
            if let Some(hit) = &hit
                && !s.frames.iter().any(|&f| hit[f as usize])
            {
                continue;
            }
            if let Some(sum) = own.get_mut(s.report as usize) {
                *sum = sum.saturating_add(s.weight);
            }
        }
        sums.extend(own);
    }
    median(&mut sums)
}

/// True when `frame` is the frame of `target`: the module itself (importtime), or a function
/// `target (file:line)` (pstats, py-spy). No marked frame is: failed and cached rows took no
/// time of the module's, and an untimed group is not the module's row.
fn is_target((label, mark): Frame<'_>, target: &str) -> bool {
    mark.is_none()
        && (label == target
            || label
                .strip_prefix(target)
                .is_some_and(|rest| rest.starts_with(" (")))
}

/// True when `frame` shows that `module` or one of its submodules was imported (failed and
/// cached rows do not count; a `<untimed module>` group does).
fn is_import_of((label, mark): Frame<'_>, module: &str) -> bool {
    let name = match mark {
        Some((Mark::Failed | Mark::Cached, _)) => return false,
        Some((Mark::Untimed, package)) => package,
        None => label,
    };
    name == module
        || name
            .strip_prefix(module)
            .is_some_and(|r| r.starts_with('.'))
}

/// Evaluates every rule, in the order budgets, forbidden modules, baseline.
pub fn evaluate(profiles: &[Profile], rules: &Rules) -> Result<Vec<Verdict>, String> {
    let unit = profiles.first().map_or(Unit::Microseconds, |p| p.unit);
    let mut verdicts = Vec::new();
    for budget in &rules.budgets {
        let limit = budget.limit.in_unit(unit)?;
        let value = if budget.target == "total" {
            median_over_runs(profiles, None)
        } else {
            let target = budget.target.as_str();
            median_over_runs(profiles, Some(&|frame| is_target(frame, target)))
        };
        verdicts.push(Verdict {
            finding: Finding::Budget {
                target: budget.target.clone(),
                value,
                limit,
            },
            unit,
            pass: value <= limit,
        });
    }
    for module in &rules.forbid {
        let mut names: Vec<&str> = profiles
            .iter()
            .flat_map(|p| {
                (0..p.frames.len() as u32).map(move |f| (p.frames.name(f), p.frames.mark(f)))
            })
            .filter(|&frame| is_import_of(frame, module))
            .map(|(label, _)| label)
            .collect();
        names.sort_unstable();
        names.dedup();
        let weight = median_over_runs(profiles, Some(&|frame| is_import_of(frame, module)));
        verdicts.push(Verdict {
            finding: Finding::Forbid {
                module: module.clone(),
                modules: names.len(),
                weight,
            },
            unit,
            pass: names.is_empty(),
        });
    }
    if let Some((name, baseline, threshold)) = &rules.baseline {
        let before = median_over_runs(baseline, None);
        let after = median_over_runs(profiles, None);
        let exceeded = threshold.exceeded(before, after, unit)?;
        verdicts.push(Verdict {
            finding: Finding::Regression {
                baseline: name.clone(),
                before,
                after,
                threshold: *threshold,
            },
            unit,
            pass: !exceeded,
        });
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame of `module` with `mark`, labelled as the importtime parser labels it.
    fn marked(mark: Mark, module: &str) -> (String, Mark, &str) {
        (mark.label(module), mark, module)
    }

    #[test]
    fn targets_match_modules_and_functions_but_not_failures() {
        assert!(is_target(("numpy", None), "numpy"));
        assert!(is_target(("main (app.py:3)", None), "main"));
        assert!(!is_target(("numpy.core", None), "numpy"));
        for (label, mark, module) in [marked(Mark::Failed, "numpy"), marked(Mark::Cached, "numpy")]
        {
            assert!(
                !is_target((&label, Some((mark, module))), "numpy"),
                "{label}"
            );
        }
    }

    #[test]
    fn forbidding_a_module_covers_its_submodules() {
        assert!(is_import_of(("pandas", None), "pandas"));
        assert!(is_import_of(("pandas.core.frame", None), "pandas"));
        let (label, mark, module) = marked(Mark::Untimed, "pandas");
        assert!(is_import_of((&label, Some((mark, module))), "pandas"));
        assert!(!is_import_of(("pandasx", None), "pandas"));
        for (label, mark, module) in [
            marked(Mark::Failed, "pandas"),
            marked(Mark::Cached, "pandas"),
        ] {
            assert!(
                !is_import_of((&label, Some((mark, module))), "pandas"),
                "{label}"
            );
        }
    }
}
