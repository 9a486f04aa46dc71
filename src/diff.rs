//! `importflame diff BEFORE AFTER`: what changed between two profiles of the same kind.
//!
//! Both sides are folded the same way (repeated runs combined, median by default), then matched
//! stack by stack for the differential graph, and frame by frame (cumulative weight per name)
//! for the report of what appeared, disappeared, grew and shrank.

use std::collections::{BTreeMap, BTreeSet};

use crate::folded::Folded;
use crate::folded::frame_totals;
use crate::model::{Category, Unit};

/// One frame name's cumulative weight on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Frame label (module or function).
    pub name: String,
    /// Cumulative weight in BEFORE.
    pub before: u64,
    /// Cumulative weight in AFTER.
    pub after: u64,
}

impl Change {
    /// AFTER minus BEFORE.
    pub fn delta(&self) -> i128 {
        self.after as i128 - self.before as i128
    }
}

/// The comparison of two folded profiles.
#[derive(Clone, Debug)]
pub struct DiffReport {
    /// Unit of all weights.
    pub unit: Unit,
    /// Total of BEFORE.
    pub before_total: u64,
    /// Total of AFTER.
    pub after_total: u64,
    /// Frames only in AFTER, largest first.
    pub appeared: Vec<Change>,
    /// Frames only in BEFORE, largest first.
    pub disappeared: Vec<Change>,
    /// Frames in both that grew, largest growth first.
    pub grew: Vec<Change>,
    /// Frames in both that shrank, largest drop first.
    pub shrank: Vec<Change>,
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
}

/// Compares per frame name; synthetic frames (roots importflame adds) are left out.
pub fn compare(before: &Folded, after: &Folded, top: usize) -> DiffReport {
    let side = |f: &Folded| -> BTreeMap<String, u64> {
        frame_totals(f)
            .into_iter()
            .filter(|t| {
                f.frames
                    .get(t.name)
                    .is_none_or(|i| i.category != Category::Synthetic)
            })
            .map(|t| (t.name.to_string(), t.total))
            .collect()
    };
    let (b, a) = (side(before), side(after));
    let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let mut report = DiffReport {
        unit: after.unit,
        before_total: before.total(),
        after_total: after.total(),
        appeared: Vec::new(),
        disappeared: Vec::new(),
        grew: Vec::new(),
        shrank: Vec::new(),
    };
    for name in names {
        let change = Change {
            name: name.clone(),
            before: b.get(name).copied().unwrap_or(0),
            after: a.get(name).copied().unwrap_or(0),
        };
        match (b.contains_key(name), a.contains_key(name)) {
            (false, true) => report.appeared.push(change),
            (true, false) => report.disappeared.push(change),
            _ if change.delta() > 0 => report.grew.push(change),
            _ if change.delta() < 0 => report.shrank.push(change),
            _ => {}
        }
    }
    let by_size = |c: &Change| std::cmp::Reverse(c.delta().unsigned_abs());
    for list in [
        &mut report.appeared,
        &mut report.disappeared,
        &mut report.grew,
        &mut report.shrank,
    ] {
        list.sort_by_key(by_size); // stable: ties stay in name order
        list.truncate(top);
    }
    report
}

/// The stacks of both sides, `(stack, before, after)`, sorted: the input of inferno's
/// differential flame graph (widths from AFTER, colour from the change).
pub fn differential_lines(before: &Folded, after: &Folded) -> Vec<(String, u64, u64)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(lines: &[(&str, u64)]) -> Folded {
        Folded {
            unit: Unit::Microseconds,
            lines: lines.iter().map(|(s, w)| (s.to_string(), *w)).collect(),
            frames: Default::default(),
        }
    }

    #[test]
    fn sorts_changes_into_appeared_disappeared_grew_and_shrank() {
        let before = folded(&[("a", 10), ("a;b", 5), ("c", 7), ("gone", 3)]);
        let after = folded(&[("a", 10), ("a;b", 9), ("c", 2), ("new", 4)]);
        let r = compare(&before, &after, 10);
        assert_eq!(r.appeared[0].name, "new");
        assert_eq!(r.disappeared[0].name, "gone");
        assert_eq!(
            r.grew.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(r.shrank[0].name, "c");
        assert_eq!(r.delta(), 0);
    }
}
