//! `importflame check`: budgets, forbidden modules and a baseline, as verdicts for CI.
//!
//! Several reports in the inputs are repeated runs. They are combined once, as `--runs` says
//! ([`crate::fold::combined_stacks`]: by default the median run), and every rule is measured
//! on that one combined profile, so `check`, `diff` and the graph print the same numbers
//! (CLI.md "check"). A rule that cannot measure what it names fails loudly (exit 2) instead of
//! measuring 0 and passing.

use crate::fold::{RunsMode, combined_stacks, run_totals};
use crate::identity::{self, closest, edit_distance, module_matches};
use crate::limits::{Budget, Limit, Threshold};
use crate::model::{FrameId, Mark, Profile, Unit};

/// What to check.
#[derive(Clone, Debug)]
pub struct Rules {
    /// `--budget NAME=TIME`.
    pub budgets: Vec<Budget>,
    /// `--forbid MODULE`.
    pub forbid: Vec<String>,
    /// `--baseline FILE --max-regression PCT`: the baseline's name, its profiles, the limit.
    pub baseline: Option<(String, Vec<Profile>, Threshold)>,
    /// How repeated runs are combined (`--runs`; `--merge` is `sum`).
    pub runs: RunsMode,
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
    /// `--budget TARGET=LIMIT`: the weight of TARGET (`total`, a module, a function) in the
    /// combined profile.
    Budget {
        /// `total`, or the module or function as the user wrote it.
        target: String,
        /// Its weight in the combined profile.
        value: u64,
        /// The budget in the profile's unit.
        limit: u64,
        /// The budget as written, when it is a share of the total (`20%`).
        percent: Option<f64>,
    },
    /// `--forbid MODULE`: how many distinct MODULE frames were imported, and their weight.
    Forbid {
        /// The module as the user wrote it.
        module: String,
        /// Distinct frames of MODULE or its submodules (0: not imported).
        modules: usize,
        /// Weight in the combined profile of the stacks holding one of them.
        weight: u64,
        /// When MODULE was not imported: an imported module one edit away (a typo?).
        similar: Option<String>,
    },
    /// `--baseline NAME --max-regression THRESHOLD`: the combined totals before and after.
    Regression {
        /// The baseline's input name.
        baseline: String,
        /// Its combined total.
        before: u64,
        /// The input's combined total.
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

/// The runs the measurements come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runs {
    /// How they were combined.
    pub mode: RunsMode,
    /// Every run's total, in input order.
    pub totals: Vec<u64>,
    /// The combined total.
    pub combined: u64,
}

impl Runs {
    /// The runs of `profiles`, combined by `mode`.
    pub fn of(profiles: &[&Profile], mode: RunsMode) -> Runs {
        let totals = run_totals(profiles);
        let combined = mode.total(&totals);
        Runs {
            mode,
            totals,
            combined,
        }
    }
}

/// Everything `check` found.
#[derive(Clone, Debug)]
pub struct Checked {
    /// One verdict per rule, in the order budgets, forbidden modules, baseline.
    pub verdicts: Vec<Verdict>,
    /// The input's runs.
    pub runs: Runs,
}

/// A frame as the rules see it: its label and its importtime mark, with the module marked.
type Frame<'a> = (&'a str, Option<(Mark, &'a str)>);

/// The combined profile of some inputs, with the weight of every stack that takes part.
struct Combined<'a> {
    profiles: Vec<&'a Profile>,
    stacks: Vec<(usize, usize, u64)>,
}

impl<'a> Combined<'a> {
    fn new(profiles: &'a [Profile], mode: RunsMode) -> Self {
        let profiles: Vec<&Profile> = profiles.iter().collect();
        let stacks = combined_stacks(&profiles, mode);
        Combined { profiles, stacks }
    }

    /// Weight of the combined stacks holding a frame that `matches` accepts (every stack
    /// when `None`); `matches` is asked once per distinct frame, not per frame of every stack.
    fn weight(&self, matches: Option<&dyn Fn(Frame<'_>) -> bool>) -> u64 {
        let hits: Option<Vec<Vec<bool>>> = matches.map(|m| {
            self.profiles
                .iter()
                .map(|p| {
                    (0..p.frames.len() as FrameId)
                        .map(|f| m((p.frames.name(f), p.frames.mark(f))))
                        .collect()
                })
                .collect()
        });
        let mut sum = 0u64;
        for &(p, k, w) in &self.stacks {
            if let Some(hits) = &hits {
                let hit = &hits[p];
                if !self.profiles[p]
                    .stack(k)
                    .frames
                    .iter()
                    .any(|&f| hit[f as usize])
                {
                    continue;
                }
            }
            sum = sum.saturating_add(w);
        }
        sum
    }

    /// Every distinct frame of every run (not only the combined one's).
    fn frames(&self) -> impl Iterator<Item = Frame<'a>> + '_ {
        self.profiles.iter().flat_map(|p| {
            (0..p.frames.len() as FrameId).map(move |f| (p.frames.name(f), p.frames.mark(f)))
        })
    }
}

/// The module a frame stands for: an importtime module row, or (pstats, py-spy) the module
/// whose top-level code a `<module> (file)` frame runs.
fn module_frame<'a>((label, mark): Frame<'a>) -> Option<std::borrow::Cow<'a, str>> {
    if mark.is_some() {
        return None;
    }
    let parts = identity::parts(label);
    match parts.file {
        None => Some(label.into()),
        Some(file) if parts.name == "<module>" => identity::module_of_file(file).map(Into::into),
        Some(_) => None,
    }
}

/// True when `frame` is the frame of `target`: the module itself (an importtime row, or the
/// `<module>` frame of its file in pstats and py-spy), or a function `target (file:line)`. No
/// marked frame is: failed and cached rows took no time of the module's, and an untimed group
/// is not the module's row.
fn is_target(frame: Frame<'_>, target: &str) -> bool {
    let (label, mark) = frame;
    if mark.is_some() {
        return false;
    }
    if label == target
        || label
            .strip_prefix(target)
            .is_some_and(|rest| rest.starts_with(" ("))
    {
        return true;
    }
    identity::parts(label).file.is_some()
        && module_frame(frame).is_some_and(|m| module_matches(&m, target))
}

/// The module a frame shows imported: an importtime row (a `<untimed module>` group counts,
/// failed and cached rows do not), or the module of a pstats or py-spy frame's file.
fn imported_module<'a>((label, mark): Frame<'a>) -> Option<std::borrow::Cow<'a, str>> {
    match mark {
        Some((Mark::Failed | Mark::Cached, _)) => None,
        Some((Mark::Untimed, package)) => Some(package.into()),
        None => match identity::parts(label).file {
            None => Some(label.into()),
            Some(file) => identity::module_of_file(file).map(Into::into),
        },
    }
}

/// True when `frame` shows that `module` or one of its submodules was imported.
fn is_import_of(frame: Frame<'_>, module: &str) -> bool {
    imported_module(frame).is_some_and(|name| {
        name == module
            || name
                .strip_prefix(module)
                .is_some_and(|r| r.starts_with('.'))
    })
}

/// The names a budget could have meant: modules and function names.
fn budget_names(combined: &Combined<'_>) -> Vec<String> {
    let mut names: Vec<String> = combined
        .frames()
        .filter(|(_, mark)| mark.is_none())
        .flat_map(|frame| {
            let function = identity::parts(frame.0);
            let function = function.file.map(|_| function.name.to_string());
            module_frame(frame)
                .map(|m| m.into_owned())
                .into_iter()
                .chain(function)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Evaluates every rule, in the order budgets, forbidden modules, baseline. An error is a
/// usage error (exit 2): a budget naming nothing in the input, a bare number on a time
/// profile.
pub fn evaluate(profiles: &[Profile], rules: &Rules) -> Result<Checked, String> {
    let unit = profiles.first().map_or(Unit::Microseconds, |p| p.unit);
    let combined = Combined::new(profiles, rules.runs);
    let refs: Vec<&Profile> = profiles.iter().collect();
    let runs = Runs::of(&refs, rules.runs);
    let total = combined.weight(None);
    debug_assert_eq!(total, runs.combined);
    let mut verdicts = Vec::new();
    for budget in &rules.budgets {
        let limit = budget
            .limit
            .in_unit(unit, total)
            .map_err(|e| format!("--budget {}={}: {e}", budget.target, budget.limit))?;
        let target = budget.target.as_str();
        let value = if target == "total" {
            total
        } else {
            if !combined.frames().any(|frame| is_target(frame, target)) {
                let names = budget_names(&combined);
                let offered = closest(target, names.iter().map(String::as_str), 3);
                let hint = if offered.is_empty() {
                    String::new()
                } else {
                    format!("; closest: {}", offered.join(", "))
                };
                return Err(format!(
                    "--budget {target}: no module or function of that name in the input{hint}"
                ));
            }
            combined.weight(Some(&|frame| is_target(frame, target)))
        };
        verdicts.push(Verdict {
            finding: Finding::Budget {
                target: budget.target.clone(),
                value,
                limit,
                percent: match budget.limit {
                    Limit::Percent(p) => Some(p),
                    Limit::Amount(_) => None,
                },
            },
            unit,
            pass: value <= limit,
        });
    }
    for module in &rules.forbid {
        let mut names: Vec<String> = combined
            .frames()
            .filter(|&frame| is_import_of(frame, module))
            .map(|(label, _)| label.to_string())
            .collect();
        names.sort_unstable();
        names.dedup();
        let weight = combined.weight(Some(&|frame| is_import_of(frame, module)));
        let similar = if names.is_empty() {
            near_miss(&combined, module)
        } else {
            None
        };
        verdicts.push(Verdict {
            finding: Finding::Forbid {
                module: module.clone(),
                modules: names.len(),
                weight,
                similar,
            },
            unit,
            pass: names.is_empty(),
        });
    }
    if let Some((name, baseline, threshold)) = &rules.baseline {
        let before = Combined::new(baseline, rules.runs).weight(None);
        let exceeded = threshold.exceeded(before, total, unit)?;
        verdicts.push(Verdict {
            finding: Finding::Regression {
                baseline: name.clone(),
                before,
                after: total,
                threshold: *threshold,
            },
            unit,
            pass: !exceeded,
        });
    }
    Ok(Checked { verdicts, runs })
}

/// An imported module (or its top-level package) one edit away from `module`: `sympy` for
/// `--forbid sypmy`.
fn near_miss(combined: &Combined<'_>, module: &str) -> Option<String> {
    let mut found: Vec<String> = combined
        .frames()
        .filter_map(imported_module)
        .flat_map(|m| {
            let top = m.split('.').next().unwrap_or(&m).to_string();
            [m.into_owned(), top]
        })
        .filter(|m| edit_distance(m, module) == 1)
        .collect();
    found.sort_unstable();
    found.into_iter().next()
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
    fn a_module_budget_on_pstats_measures_the_module_frame_of_its_file() {
        assert!(is_target(
            ("<module> (shop/report.py:1)", None),
            "shop.report"
        ));
        assert!(is_target(("<module> (shop/__init__.py:1)", None), "shop"));
        assert!(!is_target(
            ("render (shop/report.py:12)", None),
            "shop.report"
        ));
        assert!(!is_target(("<module> (shop/report.py:1)", None), "shop"));
    }

    #[test]
    fn forbidding_a_module_covers_its_submodules() {
        assert!(is_import_of(("pandas", None), "pandas"));
        assert!(is_import_of(("pandas.core.frame", None), "pandas"));
        assert!(is_import_of(
            ("concat (pandas/core/reshape/concat.py:9)", None),
            "pandas"
        ));
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
