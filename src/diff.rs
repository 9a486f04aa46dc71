//! `importflame diff BEFORE AFTER`: what changed between two profiles of the same kind.
//!
//! Both sides are folded the same way (repeated runs combined as `--runs` says, the median
//! run by default). Then:
//!
//! 1. [`align`] gives a function the same name on both sides when only its line moved (an
//!    edit above it), matching by file and name, and drops memory addresses from built-ins;
//! 2. [`compare`] sums each frame's cumulative weight per side and sorts the frames into
//!    appeared, disappeared, grew, shrank and moved; a subtree that appeared or disappeared is
//!    one row with a count (in grew and shrank, the rows below that changed less than half as
//!    much), and a chain of callers whose change one callee carries is that callee's row;
//! 3. [`union_lines`] are the stacks of both sides for the graph, each as wide as the larger
//!    side, so code that disappeared is still drawn.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::check::Runs;
use crate::folded::{Folded, frame_totals};
use crate::identity::{parts, strip_addresses, without_line};
use crate::model::{Category, InputKind, Unit};
use crate::noise::Noise;

/// One frame name's cumulative weight on both sides, and what its row stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Frame label (module or function), as AFTER names it.
    pub name: String,
    /// Cumulative weight in BEFORE.
    pub before: u64,
    /// Cumulative weight in AFTER.
    pub after: u64,
    /// Frames of the same list below this one, folded into this row.
    pub below: usize,
    /// Callers (importers) whose change this frame carries, folded into this row.
    pub callers: usize,
}

impl Change {
    fn new(name: &str, before: u64, after: u64) -> Change {
        Change {
            name: name.to_string(),
            before,
            after,
            below: 0,
            callers: 0,
        }
    }

    /// AFTER minus BEFORE.
    pub fn delta(&self) -> i128 {
        self.after as i128 - self.before as i128
    }
}

/// A function whose line changed between the sides (matched by file and name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    /// Its label in BEFORE.
    pub before_name: String,
    /// Its label in AFTER (the name used everywhere else in the report and graph).
    pub after_name: String,
    /// Cumulative weight in BEFORE.
    pub before: u64,
    /// Cumulative weight in AFTER.
    pub after: u64,
}

/// The comparison of two folded profiles.
#[derive(Clone, Debug)]
pub struct DiffReport {
    /// Unit of all weights.
    pub unit: Unit,
    /// What the frames are: `module` (importtime) or `function`.
    pub noun: &'static str,
    /// Total of BEFORE (its combined runs).
    pub before_total: u64,
    /// Total of AFTER.
    pub after_total: u64,
    /// BEFORE's runs.
    pub before_runs: Runs,
    /// AFTER's runs.
    pub after_runs: Runs,
    /// Whether the change of the totals is larger than the run-to-run noise.
    pub noise: Noise,
    /// Frames only in AFTER, largest first, subtrees collapsed.
    pub appeared: Vec<Change>,
    /// Frames only in BEFORE, largest first, subtrees collapsed.
    pub disappeared: Vec<Change>,
    /// Frames in both that grew, largest growth first.
    pub grew: Vec<Change>,
    /// Frames in both that shrank, largest drop first.
    pub shrank: Vec<Change>,
    /// Functions that moved to another line, largest first.
    pub moved: Vec<Moved>,
}

impl DiffReport {
    /// AFTER's total minus BEFORE's.
    pub fn delta(&self) -> i128 {
        self.after_total as i128 - self.before_total as i128
    }

    /// The change in percent of BEFORE (0 when BEFORE is empty).
    pub fn delta_percent(&self) -> f64 {
        if self.before_total == 0 {
            0.0
        } else {
            self.delta() as f64 * 100.0 / self.before_total as f64
        }
    }

    /// The four lists of changes, titled.
    pub fn sections(&self) -> [(&'static str, &[Change]); 4] {
        [
            ("appeared", &self.appeared),
            ("disappeared", &self.disappeared),
            ("grew most", &self.grew),
            ("shrank most", &self.shrank),
        ]
    }
}

/// The two sides ready to compare: BEFORE renamed to AFTER's names where a function only
/// moved, and the moves found.
pub struct Aligned {
    /// BEFORE with AFTER's names.
    pub before: Folded,
    /// AFTER, without memory addresses in names.
    pub after: Folded,
    /// `(BEFORE label, AFTER label)` of every function that moved.
    pub moved: Vec<(String, String)>,
}

/// The identity of a frame across edits: its name and file, no line, no memory address.
fn identity_key(label: &str) -> String {
    strip_addresses(&without_line(label)).into_owned()
}

/// Gives the functions of BEFORE their AFTER names when they match by file and name: an
/// identical label matches itself; of the rest, a function name that is once in a file on
/// each side matches, and several same-named functions of one file (methods of different
/// classes) match in line order when both sides have as many.
pub fn align(before: &Folded, after: &Folded) -> Aligned {
    let labels = |f: &Folded| -> Vec<String> {
        let mut v: Vec<String> = frame_totals(f).iter().map(|t| t.name.to_string()).collect();
        v.sort_unstable();
        v
    };
    let (b_labels, a_labels) = (labels(before), labels(after));
    let mut groups: BTreeMap<String, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    for l in &b_labels {
        groups.entry(identity_key(l)).or_default().0.push(l);
    }
    for l in &a_labels {
        groups.entry(identity_key(l)).or_default().1.push(l);
    }
    let mut rename_before: HashMap<String, String> = HashMap::new();
    let mut rename_after: HashMap<String, String> = HashMap::new();
    let mut moved = Vec::new();
    for l in &b_labels {
        if let std::borrow::Cow::Owned(clean) = strip_addresses(l) {
            rename_before.insert(l.clone(), clean);
        }
    }
    for l in &a_labels {
        if let std::borrow::Cow::Owned(clean) = strip_addresses(l) {
            rename_after.insert(l.clone(), clean);
        }
    }
    for (mut b, mut a) in groups.into_values() {
        if b.is_empty() || a.is_empty() {
            continue;
        }
        let exact: HashSet<&str> = b.iter().copied().filter(|l| a.contains(l)).collect();
        b.retain(|l| !exact.contains(l));
        a.retain(|l| !exact.contains(l));
        if b.is_empty() || b.len() != a.len() {
            continue;
        }
        let line = |l: &&str| parts(l).line.unwrap_or(0);
        b.sort_by_key(line);
        a.sort_by_key(line);
        for (old, new) in b.iter().zip(&a) {
            let new_clean = strip_addresses(new).into_owned();
            rename_before.insert(old.to_string(), new_clean.clone());
            if strip_addresses(old) != strip_addresses(new) {
                moved.push((strip_addresses(old).into_owned(), new_clean));
            }
        }
    }
    Aligned {
        before: relabel(before, &rename_before),
        after: relabel(after, &rename_after),
        moved,
    }
}

/// `folded` with frames renamed; the stacks that become equal are added up.
fn relabel(folded: &Folded, rename: &HashMap<String, String>) -> Folded {
    if rename.is_empty() {
        return folded.clone();
    }
    let mut lines: BTreeMap<String, u64> = BTreeMap::new();
    for (stack, w) in &folded.lines {
        let renamed: Vec<&str> = stack
            .split(';')
            .map(|f| rename.get(f).map_or(f, String::as_str))
            .collect();
        *lines.entry(renamed.join(";")).or_default() += w;
    }
    let frames = folded
        .frames
        .iter()
        .map(|(name, info)| (rename.get(name).unwrap_or(name).clone(), info.clone()))
        .collect();
    Folded {
        unit: folded.unit,
        lines: lines.into_iter().collect(),
        frames,
        drawn_at: None,
    }
}

/// Cumulative weight per frame name, without the synthetic frames importflame adds.
fn totals(f: &Folded) -> BTreeMap<String, u64> {
    frame_totals(f)
        .into_iter()
        .filter(|t| {
            f.frames
                .get(t.name)
                .is_none_or(|i| i.category != Category::Synthetic)
        })
        .map(|t| (t.name.to_string(), t.total))
        .collect()
}

/// Compares aligned sides per frame name; at most `top` rows per list.
pub fn compare(aligned: &Aligned, kind: InputKind, runs: (Runs, Runs), top: usize) -> DiffReport {
    let (before, after) = (&aligned.before, &aligned.after);
    let (b, a) = (totals(before), totals(after));
    let mut appeared = Vec::new();
    let mut disappeared = Vec::new();
    let mut grew = Vec::new();
    let mut shrank = Vec::new();
    let names: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for name in names {
        let (bw, aw) = (b.get(name), a.get(name));
        let change = Change::new(name, bw.copied().unwrap_or(0), aw.copied().unwrap_or(0));
        match (bw, aw) {
            (None, Some(_)) => appeared.push(change),
            (Some(_), None) => disappeared.push(change),
            _ if change.delta() > 0 => grew.push(change),
            _ if change.delta() < 0 => shrank.push(change),
            _ => {}
        }
    }
    let both = [before, after];
    let appeared = collapse_subtrees(appeared, &[after], |_, _| true);
    let disappeared = collapse_subtrees(disappeared, &[before], |_, _| true);
    let grew = collapse_subtrees(carry_chains(grew, &both), &both, absorbs_small);
    let shrank = collapse_subtrees(carry_chains(shrank, &both), &both, absorbs_small);
    let mut moved: Vec<Moved> = aligned
        .moved
        .iter()
        .map(|(old, new)| Moved {
            before_name: old.clone(),
            after_name: new.clone(),
            before: b.get(new).copied().unwrap_or(0),
            after: a.get(new).copied().unwrap_or(0),
        })
        .collect();
    moved.sort_by(|x, y| {
        y.before
            .max(y.after)
            .cmp(&x.before.max(x.after))
            .then(x.after_name.cmp(&y.after_name))
    });
    moved.truncate(top);
    let mut lists = [appeared, disappeared, grew, shrank];
    for list in &mut lists {
        list.sort_by_key(|c| std::cmp::Reverse(c.delta().unsigned_abs())); // stable: names
        list.truncate(top);
    }
    let [appeared, disappeared, grew, shrank] = lists;
    let (before_runs, after_runs) = runs;
    DiffReport {
        unit: after.unit,
        noun: if kind == InputKind::Importtime {
            "module"
        } else {
            "function"
        },
        before_total: before.total(),
        after_total: after.total(),
        noise: Noise::of(&before_runs.totals, &after_runs.totals),
        before_runs,
        after_runs,
        appeared,
        disappeared,
        grew,
        shrank,
        moved,
    }
}

/// Folds each row into the nearest row of the same list above it that `absorbs` it, when
/// every stack holding it (on `sides`) has that same row above it; chains fold to their top:
/// `sympy` and its 506 submodules are one row.
fn collapse_subtrees(
    list: Vec<Change>,
    sides: &[&Folded],
    absorbs: impl Fn(&Change, &Change) -> bool,
) -> Vec<Change> {
    let listed: HashMap<&str, usize> = list
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    // For each row: None = not seen yet, Some(Some(j)) = under row j in every stack so far,
    // Some(None) = under no single row.
    let mut under: Vec<Option<Option<usize>>> = vec![None; list.len()];
    let mut seen: Vec<usize> = Vec::new();
    for side in sides {
        for (stack, _) in &side.lines {
            seen.clear();
            for frame in stack.split(';') {
                let Some(&i) = listed.get(frame) else {
                    continue;
                };
                if seen.contains(&i) {
                    continue; // recursion: the first occurrence decides
                }
                let here = seen
                    .iter()
                    .rev()
                    .copied()
                    .find(|&a| absorbs(&list[a], &list[i]));
                under[i] = match under[i] {
                    None => Some(here),
                    Some(prev) if prev == here => Some(prev),
                    Some(_) => Some(None),
                };
                seen.push(i);
            }
        }
    }
    let parent: Vec<Option<usize>> = under.iter().map(|u| u.flatten()).collect();
    let top = |start: usize| -> usize {
        let mut at = start;
        let mut steps = 0;
        while let Some(p) = parent[at] {
            at = p;
            steps += 1;
            if at == start || steps > parent.len() {
                return start; // a cycle: every member keeps its own row
            }
        }
        at
    };
    let tops: Vec<usize> = (0..list.len()).map(top).collect();
    keep_representatives(list, &tops, |c, n| c.below += n)
}

/// Keeps the rows that represent themselves (`rep[i] == i`) and, with `absorb`, adds to each
/// how many other rows it represents.
fn keep_representatives(
    list: Vec<Change>,
    rep: &[usize],
    absorb: impl Fn(&mut Change, usize),
) -> Vec<Change> {
    let mut absorbed = vec![0usize; list.len()];
    for (i, &r) in rep.iter().enumerate() {
        if r != i {
            absorbed[r] += 1;
        }
    }
    list.into_iter()
        .enumerate()
        .filter(|(i, _)| rep[*i] == *i)
        .map(|(i, mut c)| {
            absorb(&mut c, absorbed[i]);
            c
        })
        .collect()
}

/// For grew and shrank: a row absorbs the rows below it whose change is less than half of
/// its own, so a uniform slowdown of a package is one row, while a frame below it that carries
/// much of the change keeps its own row (the place to look).
fn absorbs_small(row: &Change, below: &Change) -> bool {
    below.delta().unsigned_abs() * 2 < row.delta().unsigned_abs()
}

/// Drops a row whose change one child of the same list carries (at least 90% of it, same
/// direction): the caller chain `exec > <module> > main > count_primes` of a faster
/// `_is_prime` is the row `_is_prime`, with its callers counted.
fn carry_chains(list: Vec<Change>, sides: &[&Folded]) -> Vec<Change> {
    let index: HashMap<&str, usize> = list
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut children: Vec<HashSet<usize>> = vec![HashSet::new(); list.len()];
    for side in sides {
        for (stack, _) in &side.lines {
            let mut previous: Option<usize> = None;
            for frame in stack.split(';') {
                let here = index.get(frame).copied();
                if let (Some(p), Some(c)) = (previous, here)
                    && p != c
                {
                    children[p].insert(c);
                }
                previous = here;
            }
        }
    }
    // The child carrying each row's change, if one does.
    let carrier: Vec<Option<usize>> = (0..list.len())
        .map(|p| {
            let d = list[p].delta().unsigned_abs();
            let mut best: Vec<usize> = children[p]
                .iter()
                .copied()
                .filter(|&c| list[c].delta().unsigned_abs() * 10 >= d * 9)
                .collect();
            best.sort_by_key(|&c| (std::cmp::Reverse(list[c].delta().unsigned_abs()), c));
            best.first().copied()
        })
        .collect();
    // Where each row's chain of carriers ends: a row no child carries, or, for a cycle of
    // carriers (recursion), the cycle's first row.
    let end = |start: usize| -> usize {
        let mut path = vec![start];
        let mut at = start;
        while let Some(next) = carrier[at] {
            if let Some(i) = path.iter().position(|&p| p == next) {
                return path[i..].iter().copied().min().unwrap_or(next);
            }
            path.push(next);
            at = next;
        }
        at
    };
    let ends: Vec<usize> = (0..list.len()).map(end).collect();
    keep_representatives(list, &ends, |c, n| c.callers += n)
}

/// The stacks of both sides, `(stack, before, after)`, sorted: every stack of either side,
/// so the graph can draw each as wide as its larger side.
pub fn union_lines(before: &Folded, after: &Folded) -> Vec<(String, u64, u64)> {
    let mut map: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (s, w) in &before.lines {
        map.entry(s).or_default().0 += w;
    }
    for (s, w) in &after.lines {
        map.entry(s).or_default().1 += w;
    }
    map.into_iter()
        .map(|(s, (b, a))| (s.to_string(), b, a))
        .collect()
}

/// Each frame name's cumulative weight on both sides, for the graph's colours and tooltips.
pub fn frame_changes(before: &Folded, after: &Folded) -> HashMap<String, (u64, u64)> {
    let mut map: HashMap<String, (u64, u64)> = HashMap::new();
    for t in frame_totals(before) {
        map.entry(t.name.to_string()).or_default().0 = t.total;
    }
    for t in frame_totals(after) {
        map.entry(t.name.to_string()).or_default().1 = t.total;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::RunsMode;

    fn folded(lines: &[(&str, u64)]) -> Folded {
        Folded {
            unit: Unit::Microseconds,
            lines: lines.iter().map(|(s, w)| (s.to_string(), *w)).collect(),
            frames: Default::default(),
            drawn_at: None,
        }
    }

    fn one_run(total: u64) -> Runs {
        Runs {
            mode: RunsMode::Median,
            totals: vec![total],
            combined: total,
        }
    }

    fn report(before: &Folded, after: &Folded) -> DiffReport {
        let aligned = align(before, after);
        let runs = (one_run(before.total()), one_run(after.total()));
        compare(&aligned, InputKind::Pstats, runs, 10)
    }

    fn names(list: &[Change]) -> Vec<&str> {
        list.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn sorts_changes_into_appeared_disappeared_grew_and_shrank() {
        let before = folded(&[("a", 10), ("a;b", 5), ("c", 7), ("gone", 3)]);
        let after = folded(&[("a", 10), ("a;b", 9), ("c", 2), ("new", 4)]);
        let r = report(&before, &after);
        assert_eq!(names(&r.appeared), ["new"]);
        assert_eq!(names(&r.disappeared), ["gone"]);
        // `a` grew by exactly what `b` grew: `b` carries it.
        assert_eq!(names(&r.grew), ["b"]);
        assert_eq!(r.grew[0].callers, 1);
        assert_eq!(names(&r.shrank), ["c"]);
        assert_eq!(r.delta(), 0);
    }

    #[test]
    fn a_recursive_pair_carrying_each_other_is_one_row() {
        let before = folded(&[("a;b;a;b", 10), ("c", 5)]);
        let after = folded(&[("a;b;a;b", 2), ("c", 5)]);
        let r = report(&before, &after);
        assert_eq!(names(&r.shrank), ["a"]);
        assert_eq!(r.shrank[0].callers, 1);
    }

    #[test]
    fn a_grown_row_absorbs_small_changes_below_it_but_not_the_large_one() {
        let before = folded(&[("pkg;small", 10), ("pkg;big", 10), ("pkg;other", 100)]);
        let after = folded(&[("pkg;small", 11), ("pkg;big", 50), ("pkg;other", 130)]);
        let r = report(&before, &after);
        // pkg +71: `small` (+1) and `other` (+30) are folded into it, `big` (+40) keeps its
        // own row.
        assert_eq!(names(&r.grew), ["pkg", "big"]);
        assert_eq!(r.grew[0].below, 2);
    }

    #[test]
    fn a_removed_subtree_is_one_row_with_a_count() {
        let before = folded(&[
            ("app;sympy", 5),
            ("app;sympy;sympy.core", 20),
            ("app;sympy;sympy.core;sympy.core.expr", 30),
            ("app;json", 4),
        ]);
        let after = folded(&[("app", 1), ("app;json", 4)]);
        let r = report(&before, &after);
        assert_eq!(names(&r.disappeared), ["sympy"]);
        assert_eq!(r.disappeared[0].below, 2);
        assert_eq!(r.disappeared[0].before, 55);
    }

    #[test]
    fn a_function_that_moved_is_matched_by_file_and_name() {
        let before = folded(&[
            ("main (p.py:21);count_primes (p.py:13)", 1200),
            ("main (p.py:21);checksum (p.py:17)", 140),
        ]);
        let after = folded(&[
            ("main (p.py:29);count_primes (p.py:21)", 50),
            ("main (p.py:29);checksum (p.py:25)", 146),
        ]);
        let r = report(&before, &after);
        assert!(r.appeared.is_empty(), "{:?}", r.appeared);
        assert!(r.disappeared.is_empty(), "{:?}", r.disappeared);
        assert_eq!(r.moved.len(), 3);
        assert_eq!(r.moved[0].before_name, "main (p.py:21)");
        assert_eq!(r.moved[0].after_name, "main (p.py:29)");
        assert_eq!(names(&r.shrank), ["count_primes (p.py:21)"]);
        assert_eq!(names(&r.grew), ["checksum (p.py:25)"]);
    }

    #[test]
    fn same_named_methods_of_one_file_match_in_line_order() {
        let before = folded(&[("__init__ (m.py:3)", 5), ("__init__ (m.py:30)", 7)]);
        let after = folded(&[("__init__ (m.py:5)", 5), ("__init__ (m.py:32)", 7)]);
        let r = report(&before, &after);
        assert!(r.grew.is_empty() && r.shrank.is_empty() && r.appeared.is_empty());
        assert_eq!(r.moved.len(), 2);
    }

    #[test]
    fn memory_addresses_do_not_take_part_in_matching() {
        let before = folded(&[(
            "<built-in method __new__ of type object at 0x7f45a1b2c3d0>",
            5,
        )]);
        let after = folded(&[(
            "<built-in method __new__ of type object at 0x7f99ffee0011>",
            7,
        )]);
        let r = report(&before, &after);
        assert_eq!(names(&r.grew), ["<built-in method __new__ of type object>"]);
        assert!(r.moved.is_empty() && r.appeared.is_empty());
    }
}
