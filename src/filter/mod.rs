//! Frame filters (`--drop`, `--focus`, `--exclude`, `--hide-importlib`, `--anonymize`), applied
//! once to each parsed [`Profile`], before folding, so the graph, every other output, `diff`
//! (both sides) and `check` (inputs and baseline) all see the same stacks.
//!
//! The filters run in a fixed order, each on what the one before left:
//!
//! 1. `--drop`: stacks through a matching frame are removed, and their weight is reported.
//! 2. `--focus`: only stacks through a matching frame stay, cut at the first match from the
//!    root; what was above it becomes one root frame naming the pattern. The total becomes the
//!    focused weight, and the outputs say of how much.
//! 3. `--exclude` and `--hide-importlib`: matching frames leave every stack; their callees move
//!    up to their caller, and the weight of stacks that ended in them now ends in the caller,
//!    so no weight is lost.
//! 4. `--anonymize`: matches in the names left are replaced by stable hashes ([`anonymize`]),
//!    last, so the other patterns can be written with the real names.
//!
//! Each pattern is tried once per distinct frame name, not once per stack frame. Weights are
//! moved, never split, so every total stays an exact integer; the sums reported saturate, since
//! weights come from the input and only the fold refuses totals past 2^64.

pub mod anonymize;
pub mod pattern;

use crate::model::{Category, FrameId, Profile};
use pattern::Pattern;

/// The filters of one run, checked (patterns compiled) by the command line.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// `--focus`.
    pub focus: Option<Pattern>,
    /// `--exclude`, in the order given.
    pub exclude: Vec<Pattern>,
    /// `--drop`, in the order given.
    pub drop: Vec<Pattern>,
    /// `--hide-importlib`.
    pub hide_importlib: bool,
    /// `--anonymize`, in the order given.
    pub anonymize: Vec<Pattern>,
}

/// Which filter a [`PatternUse`] reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `--drop`: `stacks` and `weight` were removed.
    Drop,
    /// `--focus`: `stacks` and `weight` were kept.
    Focus,
    /// `--exclude`: `stacks` lost a frame; `weight` is the own time handed to callers.
    Exclude,
    /// `--hide-importlib`, counted as `Exclude`.
    HideImportlib,
    /// `--anonymize`: `frames` names were hashed.
    Anonymize,
}

impl Action {
    /// The option, as typed.
    pub fn flag(self) -> &'static str {
        match self {
            Action::Drop => "--drop",
            Action::Focus => "--focus",
            Action::Exclude => "--exclude",
            Action::HideImportlib => "--hide-importlib",
            Action::Anonymize => "--anonymize",
        }
    }
}

/// What one pattern did to one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternUse {
    /// The filter.
    pub action: Action,
    /// The pattern as written (anonymized itself when `--anonymize` matches it, so a title
    /// does not give away the name it hides).
    pub pattern: String,
    /// Distinct frame names it matched in the input (0: the pattern matched nothing).
    pub frames: u64,
    /// Stacks it removed, kept or changed (see [`Action`]).
    pub stacks: u64,
    /// Weight it removed, kept or handed to callers (see [`Action`]).
    pub weight: u64,
}

/// What the filters did to one input, for titles, notes and JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The input's total before any filter.
    pub total_before: u64,
    /// One entry per pattern, in the order the filters ran.
    pub uses: Vec<PatternUse>,
}

impl Applied {
    /// The `--focus` entry, when there was one.
    pub fn focus(&self) -> Option<&PatternUse> {
        self.uses.iter().find(|u| u.action == Action::Focus)
    }
}

/// Per distinct frame of the input: what the filters make of it.
#[derive(Clone, Debug, Default)]
struct FrameVerdict {
    /// Index into `Filters::drop` of the first drop pattern that matches.
    drop: Option<usize>,
    /// `--focus` matches.
    focus: bool,
    /// Index of the first exclude rule that matches (`--hide-importlib` is the last rule).
    exclude: Option<usize>,
    /// Matches `--hide-importlib`'s glue pattern (excluded only right after a hidden frame).
    glue: bool,
}

/// The root that stands for everything above the first `--focus` match.
fn focus_root(pattern: &str) -> String {
    format!("[focus: {pattern}]")
}

/// The root a stack keeps when `--exclude` removed all its frames, so its weight stays drawn.
pub const EXCLUDED_ROOT: &str = "[excluded frames]";

impl Filters {
    /// True when no filter was asked for: [`apply`](Self::apply) would copy the profile as is.
    pub fn is_empty(&self) -> bool {
        self.focus.is_none()
            && self.exclude.is_empty()
            && self.drop.is_empty()
            && !self.hide_importlib
            && self.anonymize.is_empty()
    }

    /// `text` as the outputs may show it: with `--anonymize`, an input name or a pattern
    /// that contains a hidden name shows its stand-in instead.
    pub fn anonymized(&self, text: &str) -> String {
        anonymize::anonymize(&self.anonymize, text).unwrap_or_else(|| text.to_string())
    }

    /// The exclude rules: `--exclude` patterns, then `--hide-importlib`'s.
    fn exclude_rules(&self) -> Vec<(Action, Pattern)> {
        let mut rules: Vec<(Action, Pattern)> = self
            .exclude
            .iter()
            .map(|p| (Action::Exclude, p.clone()))
            .collect();
        if self.hide_importlib {
            let p = Pattern::new(pattern::IMPORTLIB).expect("the importlib pattern compiles");
            rules.push((Action::HideImportlib, p));
        }
        rules
    }

    /// The filtered copy of `profile`; its [`Profile::filtered`] says what changed. Report
    /// indices stay as they were, so `--runs` and `--merge` still see the runs of a log.
    pub fn apply(&self, profile: &Profile) -> Profile {
        let rules = self.exclude_rules();
        let glue = self
            .hide_importlib
            .then(|| Pattern::new(pattern::IMPORTLIB_GLUE).expect("the glue pattern compiles"));
        let verdicts: Vec<FrameVerdict> = (0..profile.frames.len())
            .map(|id| {
                let name = profile.frames.name(id as FrameId);
                FrameVerdict {
                    drop: self.drop.iter().position(|p| p.is_match(name)),
                    focus: self.focus.as_ref().is_some_and(|p| p.is_match(name)),
                    exclude: rules.iter().position(|(_, p)| p.is_match(name)),
                    glue: glue.as_ref().is_some_and(|p| p.is_match(name)),
                }
            })
            .collect();

        let mut uses: Vec<PatternUse> = Vec::new();
        let new_use = |action: Action, p: &Pattern, frames: u64| PatternUse {
            action,
            pattern: self.anonymized(p.source()),
            frames,
            stacks: 0,
            weight: 0,
        };
        let count = |pred: &dyn Fn(&FrameVerdict) -> bool| -> u64 {
            verdicts.iter().filter(|v| pred(v)).count() as u64
        };
        for (i, p) in self.drop.iter().enumerate() {
            uses.push(new_use(Action::Drop, p, count(&|v| v.drop == Some(i))));
        }
        let focus_at = uses.len();
        if let Some(p) = &self.focus {
            uses.push(new_use(Action::Focus, p, count(&|v| v.focus)));
        }
        let exclude_at = uses.len();
        for (i, (action, p)) in rules.iter().enumerate() {
            uses.push(new_use(*action, p, count(&|v| v.exclude == Some(i))));
        }

        let mut out = Profile::new(profile.kind, profile.unit);
        out.reports = profile.reports.iter().map(|r| self.anonymized(r)).collect();
        out.diagnostics = profile.diagnostics.clone();
        out.facts = profile.facts.clone();
        let mut ids: Vec<Option<FrameId>> = vec![None; profile.frames.len()];
        let focus_root_id = self.focus.as_ref().map(|p| {
            let label = self.anonymized(&focus_root(p.source()));
            out.frames.intern(&label, Category::Synthetic)
        });
        let mut excluded_root_id: Option<FrameId> = None;
        let mut frames: Vec<FrameId> = Vec::new();
        let mut kept: Vec<FrameId> = Vec::new();
        let mut touched: Vec<usize> = Vec::new();

        'stacks: for stack in profile.stacks() {
            let w = stack.weight;
            for &f in stack.frames {
                if let Some(i) = verdicts[f as usize].drop {
                    uses[i].stacks += 1;
                    uses[i].weight = uses[i].weight.saturating_add(w);
                    continue 'stacks;
                }
            }
            let mut path: &[FrameId] = stack.frames;
            if self.focus.is_some() {
                match path.iter().position(|&f| verdicts[f as usize].focus) {
                    Some(at) => {
                        uses[focus_at].stacks += 1;
                        uses[focus_at].weight = uses[focus_at].weight.saturating_add(w);
                        path = &path[at..];
                    }
                    None => continue 'stacks,
                }
            }
            kept.clear();
            touched.clear();
            let mut previous_hidden = false;
            let mut leaf_rule = None;
            for &f in path {
                let v = &verdicts[f as usize];
                let rule = v.exclude.or_else(|| {
                    // The glue belongs to the last rule (`--hide-importlib`).
                    (v.glue && previous_hidden).then(|| rules.len() - 1)
                });
                previous_hidden = rule.is_some_and(|r| rules[r].0 == Action::HideImportlib);
                leaf_rule = rule;
                match rule {
                    Some(r) => {
                        if !touched.contains(&r) {
                            touched.push(r);
                        }
                    }
                    None => kept.push(f),
                }
            }
            for &r in &touched {
                uses[exclude_at + r].stacks += 1;
            }
            if let Some(r) = leaf_rule {
                let u = &mut uses[exclude_at + r];
                u.weight = u.weight.saturating_add(w);
            }
            frames.clear();
            frames.extend(focus_root_id);
            for &f in &kept {
                let id = *ids[f as usize].get_or_insert_with(|| {
                    let name = profile.frames.name(f);
                    let label = anonymize::anonymize(&self.anonymize, name);
                    let label = label.as_deref().unwrap_or(name);
                    let id = out.frames.intern_with(label, || profile.frames.category(f));
                    if let Some(detail) = profile.frames.detail(f) {
                        out.frames.set_detail(id, self.anonymized(detail));
                    }
                    id
                });
                frames.push(id);
            }
            if frames.is_empty() {
                let id = *excluded_root_id
                    .get_or_insert_with(|| out.frames.intern(EXCLUDED_ROOT, Category::Synthetic));
                frames.push(id);
            }
            out.push_stack(&frames, w, stack.report);
        }

        for p in &self.anonymize {
            let frames = (0..profile.frames.len())
                .filter(|&id| p.is_match(profile.frames.name(id as FrameId)))
                .count() as u64;
            uses.push(new_use(Action::Anonymize, p, frames));
        }
        out.filtered = Some(Applied {
            total_before: profile.total(),
            uses,
        });
        out
    }
}

/// The patterns that matched no frame of any input, one warning each:
/// `--exclude /numpyy/ matches no frame`.
pub fn unmatched<'a>(applied: impl IntoIterator<Item = &'a Applied>) -> Vec<String> {
    let mut seen: Vec<(Action, &str, u64)> = Vec::new();
    for a in applied {
        for (i, u) in a.uses.iter().enumerate() {
            match seen.get_mut(i) {
                Some(entry) => entry.2 += u.frames,
                None => seen.push((u.action, &u.pattern, u.frames)),
            }
        }
    }
    seen.into_iter()
        .filter(|&(_, _, frames)| frames == 0)
        .map(|(action, pattern, _)| match action {
            Action::HideImportlib => {
                "--hide-importlib found no import-machinery frames (importtime logs have none)"
                    .to_string()
            }
            _ => format!("{} /{pattern}/ matches no frame", action.flag()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{InputKind, Unit};

    /// A profile from `(stack, weight)` pairs written as folded lines.
    fn profile(stacks: &[(&str, u64)]) -> Profile {
        let mut p = Profile::new(InputKind::Folded, Unit::Samples);
        for (stack, weight) in stacks {
            let ids: Vec<FrameId> = stack
                .split(';')
                .map(|f| p.frames.intern(f, Category::Other))
                .collect();
            p.push_stack(&ids, *weight, 0);
        }
        p
    }

    fn folded(p: &Profile) -> Vec<(String, u64)> {
        p.folded_lines()
    }

    fn owned(lines: &[(&str, u64)]) -> Vec<(String, u64)> {
        lines.iter().map(|(s, w)| (s.to_string(), *w)).collect()
    }

    const FIND: &str = "_find_and_load (<frozen importlib._bootstrap>:1165)";
    const CALL: &str = "_call_with_frames_removed (<frozen importlib._bootstrap>:233)";
    const IMPORT: &str = "<built-in method builtins.__import__>";
    const EXEC: &str = "<built-in method builtins.exec>";

    #[test]
    fn exclude_hands_own_time_to_the_caller_and_callees_up() {
        let p = profile(&[("a;b;c", 3), ("a;b", 2), ("a", 1), ("a;c", 4)]);
        let f = Filters {
            exclude: vec![Pattern::new("^b$").unwrap()],
            ..Filters::default()
        };
        let out = f.apply(&p);
        assert_eq!(folded(&out), owned(&[("a", 3), ("a;c", 7)]));
        let u = &out.filtered.as_ref().unwrap().uses[0];
        assert_eq!((u.frames, u.stacks, u.weight), (1, 2, 2));
    }

    #[test]
    fn importlib_glue_goes_only_right_below_the_machinery() {
        let chain =
            format!("{EXEC};<module> (a.py:1);{FIND};{CALL};{IMPORT};{FIND};<module> (b.py:1)");
        let user = format!("{EXEC};<module> (a.py:1);{IMPORT};<module> (c.py:1)");
        let p = profile(&[(&chain, 5), (&user, 2), (EXEC, 1)]);
        let f = Filters {
            hide_importlib: true,
            ..Filters::default()
        };
        let out = f.apply(&p);
        assert_eq!(
            folded(&out),
            vec![
                (EXEC.to_string(), 1),
                (user.clone(), 2),
                (format!("{EXEC};<module> (a.py:1);<module> (b.py:1)"), 5),
            ]
        );
        let u = &out.filtered.as_ref().unwrap().uses[0];
        assert_eq!(
            (u.action, u.frames, u.stacks, u.weight),
            (Action::HideImportlib, 2, 1, 0)
        );
    }

    #[test]
    fn focus_names_the_pattern_in_its_root_and_anonymize_hides_it_there_too() {
        let p = profile(&[("main;acme.db;sql", 3), ("main;other", 2)]);
        let f = Filters {
            focus: Some(Pattern::new(r"^acme\.db$").unwrap()),
            anonymize: vec![Pattern::new(r"acme[\w.]*").unwrap()],
            ..Filters::default()
        };
        let out = f.apply(&p);
        let hidden = anonymize::stand_in("acme.db");
        // The pattern's own text is anonymized as any name: `acme` (the `\.` stops the match).
        let root = format!("[focus: ^{}\\.db$]", anonymize::stand_in("acme"));
        assert_eq!(folded(&out), vec![(format!("{root};{hidden};sql"), 3)]);
        let applied = out.filtered.as_ref().unwrap();
        assert!(applied.uses.iter().all(|u| !u.pattern.contains("acme")));
        assert_eq!(applied.focus().unwrap().weight, 3);
        assert_eq!(applied.total_before, 5);
    }

    #[test]
    fn unmatched_patterns_are_those_no_input_matched() {
        let f = Filters {
            exclude: vec![Pattern::new("^b$").unwrap(), Pattern::new("^z$").unwrap()],
            ..Filters::default()
        };
        let one = f.apply(&profile(&[("a;b", 1)]));
        let other = f.apply(&profile(&[("a;c", 1)]));
        let warnings = unmatched([&one, &other].map(|p| p.filtered.as_ref().unwrap()));
        assert_eq!(
            warnings,
            vec!["--exclude /^z$/ matches no frame".to_string()]
        );
    }
}
