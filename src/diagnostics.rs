//! Everything a parser skipped, repaired or guessed, counted per kind with its first position.
//!
//! Each parser declares its kinds as `const`s next to the code that notes them, so the wording
//! lives in one place; this type only counts. Memory stays bounded (one entry per kind) however
//! bad the input is, and the order is stable (sorted by the kind's id).

use std::collections::BTreeMap;

use crate::error::Position;

/// One kind of thing a parser can skip, repair or guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssueKind {
    /// Stable identifier, used in `-f json` and for ordering (`importtime.negative-self`).
    pub id: &'static str,
    /// Wording for a count of one (`row with negative self time set to 0`).
    pub one: &'static str,
    /// Wording for larger counts (`rows with negative self time set to 0`).
    pub many: &'static str,
}

impl IssueKind {
    /// True for kinds whose count is an amount of time in µs, not a number of rows or
    /// functions (their wording starts with `µs`): summaries must not add them to counts.
    pub fn is_amount(&self) -> bool {
        self.one.starts_with("µs ")
    }

    /// What the count counts, as the wording names it, for `count` of them: its words up to
    /// the first of its first three that is a plain plural (`rows`, `functions`, `failed
    /// imports`, `idle thread samples`), singular for a count of one. `None` when the wording
    /// names none. Summaries add counts of one such thing only, never rows to functions.
    pub fn counted(&self, count: u64) -> Option<&'static str> {
        let plural =
            |w: &str| w.len() > 1 && w.ends_with('s') && w.chars().all(|c| c.is_ascii_lowercase());
        let at = self.many.split(' ').take(3).position(plural)?;
        let words = |text: &'static str| -> Option<&'static str> {
            let end: usize = text
                .split(' ')
                .take(at + 1)
                .map(|w| w.len() + 1)
                .sum::<usize>()
                - 1;
            text.get(..end)
        };
        if count == 1 {
            words(self.one).or_else(|| words(self.many))
        } else {
            words(self.many)
        }
    }
}

/// A counted kind with where it was first seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What happened.
    pub kind: IssueKind,
    /// How often.
    pub count: u64,
    /// The first place it happened, when the input has positions.
    pub first: Option<Position>,
}

impl Entry {
    /// `3 rows with negative self time set to 0 (first at line 812)`.
    pub fn message(&self) -> String {
        let what = if self.count == 1 {
            self.kind.one
        } else {
            self.kind.many
        };
        match self.first {
            Some(at) => format!("{} {} (first at {})", self.count, what, at),
            None => format!("{} {}", self.count, what),
        }
    }
}

/// The counted issues of one input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(BTreeMap<&'static str, Entry>);

impl Diagnostics {
    /// Counts one occurrence of `kind` at `at`.
    pub fn note(&mut self, kind: IssueKind, at: Position) {
        self.note_many(kind, 1, Some(at));
    }

    /// Counts `count` occurrences of `kind`, the first at `first`.
    pub fn note_many(&mut self, kind: IssueKind, count: u64, first: Option<Position>) {
        if count == 0 {
            return;
        }
        self.0
            .entry(kind.id)
            .and_modify(|e| {
                e.count += count;
                if e.first.is_none() || (first.is_some() && first < e.first) {
                    e.first = first.or(e.first);
                }
            })
            .or_insert(Entry { kind, count, first });
    }

    /// The entries, in stable order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.0.values()
    }

    /// How often `kind` was noted.
    pub fn count(&self, kind: IssueKind) -> u64 {
        self.0.get(kind.id).map_or(0, |e| e.count)
    }

    /// True when nothing was noted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every entry of `other` to this one.
    pub fn extend(&mut self, other: &Diagnostics) {
        for e in other.entries() {
            self.note_many(e.kind, e.count, e.first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEG: IssueKind = IssueKind {
        id: "t.neg",
        one: "row with negative self time set to 0",
        many: "rows with negative self time set to 0",
    };

    #[test]
    fn a_kind_names_what_it_counts_singular_for_one() {
        assert_eq!(NEG.counted(3), Some("rows"));
        assert_eq!(NEG.counted(1), Some("row"));
        let idle = IssueKind {
            id: "t.idle",
            one: "idle thread sample left out",
            many: "idle thread samples left out",
        };
        assert_eq!(idle.counted(2), Some("idle thread samples"));
        assert_eq!(idle.counted(1), Some("idle thread sample"));
        let locals = IssueKind {
            id: "t.locals",
            one: "--locals block skipped",
            many: "--locals blocks skipped",
        };
        assert_eq!(locals.counted(2), Some("--locals blocks"));
        let invalid = IssueKind {
            id: "t.json",
            one: "invalid JSON after the last complete dump",
            many: "invalid JSON after the last complete dump",
        };
        assert_eq!(invalid.counted(2), None);
    }

    #[test]
    fn counts_and_keeps_the_first_position() {
        let mut d = Diagnostics::default();
        d.note(NEG, Position::Line(812));
        d.note(NEG, Position::Line(900));
        d.note(NEG, Position::Line(1000));
        let e = d.entries().next().unwrap();
        assert_eq!(
            e.message(),
            "3 rows with negative self time set to 0 (first at line 812)"
        );
    }

    #[test]
    fn a_single_occurrence_reads_singular() {
        let mut d = Diagnostics::default();
        d.note(NEG, Position::Line(2));
        assert_eq!(
            d.entries().next().unwrap().message(),
            "1 row with negative self time set to 0 (first at line 2)"
        );
    }
}
