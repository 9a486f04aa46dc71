//! The folded profile: merged stacks with their weights, what each frame is, and the per-frame
//! totals that tables, JSON and `diff` read. Plain data, built by [`crate::fold`]; renderers
//! and comparisons read it without depending on each other.

use std::collections::HashMap;

use crate::model::{Category, Unit};

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
    pub lines: Lines,
    /// Category and detail per frame label.
    pub frames: HashMap<String, FrameInfo>,
    /// `Some(min_width)` when the fold kept only the lines an SVG drawn at that
    /// `--min-width` needs ([`crate::fold::FoldOptions::drawable`]): [`Folded::total`] is
    /// still the whole total, but per-frame sums of narrow frames are not.
    pub drawn_at: Option<f64>,
}

impl Folded {
    /// Sum of all weights.
    pub fn total(&self) -> u64 {
        self.lines.iter().map(|(_, w)| w).sum()
    }
}

/// Folded lines in one buffer, `STACK WEIGHT\n` each: the folded output exactly as written, and
/// inferno's input lines without a copy. A `String` per line cost 433,600 allocations and
/// 30% more memory on the 31 MB benchmark log, and the SVG step copied them all once more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    text: String,
    spans: Vec<Span>,
}

/// Where one line sits in [`Lines::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) stack_len: u32,
    /// Stack, space and weight, without the newline.
    pub(crate) line_len: u32,
    pub(crate) weight: u64,
}

impl Lines {
    /// Lines already laid out in `text` (the fold writes them in parallel).
    pub(crate) fn from_parts(text: String, spans: Vec<Span>) -> Lines {
        Lines { text, spans }
    }

    /// Appends `stack weight\n`.
    pub fn push(&mut self, stack: &str, weight: u64) {
        let start = self.text.len();
        self.text.push_str(stack);
        self.text.push(' ');
        self.text.push_str(itoa::Buffer::new().format(weight));
        let line_len = self.text.len() - start;
        self.text.push('\n');
        self.spans.push(Span {
            start,
            stack_len: u32::try_from(stack.len()).expect("a stack shorter than 4 GiB"),
            line_len: u32::try_from(line_len).expect("a line shorter than 4 GiB"),
            weight,
        });
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there is no line.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The stack and weight of every line, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &u64)> + DoubleEndedIterator + '_ {
        self.spans.iter().map(|s| {
            (
                &self.text[s.start..s.start + s.stack_len as usize],
                &s.weight,
            )
        })
    }

    /// Every line as `stack weight`, without the newline (inferno's input).
    pub fn lines_with_weights(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|s| &self.text[s.start..s.start + s.line_len as usize])
    }

    /// All lines, `stack weight\n` each: the folded output.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Owned pairs, for tests and small callers.
    pub fn to_vec(&self) -> Vec<(String, u64)> {
        self.iter().map(|(s, w)| (s.to_string(), *w)).collect()
    }
}

impl<'a> IntoIterator for &'a Lines {
    type Item = (&'a str, &'a u64);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a u64)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<S: AsRef<str>> FromIterator<(S, u64)> for Lines {
    fn from_iter<I: IntoIterator<Item = (S, u64)>>(iter: I) -> Self {
        let mut lines = Lines::default();
        for (stack, weight) in iter {
            lines.push(stack.as_ref(), weight);
        }
        lines
    }
}

/// Per-name sums over the folded stacks.
pub struct FrameTotal<'a> {
    /// The frame label.
    pub name: &'a str,
    /// Weight of stacks ending in this frame.
    pub self_weight: u64,
    /// Weight of stacks containing this frame (once per stack, so recursion is not counted
    /// twice).
    pub total: u64,
}

/// Totals per frame label, largest total first, ties by name.
pub fn frame_totals(folded: &Folded) -> Vec<FrameTotal<'_>> {
    let mut sums: HashMap<&str, (u64, u64)> = HashMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for (stack, weight) in &folded.lines {
        seen.clear();
        let mut last = None;
        for frame in stack.split(';') {
            if !seen.contains(&frame) {
                seen.push(frame);
                sums.entry(frame).or_default().1 += weight;
            }
            last = Some(frame);
        }
        if let Some(leaf) = last {
            sums.entry(leaf).or_default().0 += weight;
        }
    }
    let mut totals: Vec<FrameTotal<'_>> = sums
        .into_iter()
        .map(|(name, (self_weight, total))| FrameTotal {
            name,
            self_weight,
            total,
        })
        .collect();
    totals.sort_by(|a, b| b.total.cmp(&a.total).then(a.name.cmp(b.name)));
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_hold_the_folded_text() {
        let lines: Lines = [("a;b", 3), ("", 0), ("c", 12)].into_iter().collect();
        assert_eq!(lines.as_str(), "a;b 3\n 0\nc 12\n");
        assert_eq!(
            lines.lines_with_weights().collect::<Vec<_>>(),
            ["a;b 3", " 0", "c 12"]
        );
        assert_eq!(lines.iter().nth(2), Some(("c", &12)));
    }
}
