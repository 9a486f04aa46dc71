//! Handing inferno only what it will draw: the SVG then costs what it draws, not what was read.
//!
//! inferno sorts the folded lines as text, merges each run of neighbouring lines that share a
//! frame into one rectangle, and drops every rectangle narrower than `--min-width` percent of
//! the total (`width < min_width / (100 / total)`, in `f64`), with everything above it.
//! Parsing, sorting and merging the lines it then drops was most of its time (432,800 lines
//! of the 31 MB benchmark log for 601 drawn frames).
//!
//! [`drawable`] walks the lines in inferno's order, finds each run's width, and cuts every
//! line after its first narrow frame `n`: `n`'s own line (`…;n w`) stays as it is, and all of
//! `n`'s children's lines become one placeholder `…;n;c sum` (`c` the first child). Both sort
//! exactly where the lines they stand for did: the text before them ends in `…;n ` or `…;n;`,
//! which every line outside `n`'s run differs from at or before that point. So every run
//! outside a cut keeps its place and its width, and the picture is the same, frame for frame.
//! (Merging the children into `n`'s own line instead, `…;n sum`, moves `n` next to lines that
//! sort between `…;n ` and `…;n;`, such as a sibling `n2`, and shifts them by the merged
//! width: the 0.001% drift issue 18 saw.) The total is the full one, so the threshold is the
//! one inferno computes on the full file.

use std::borrow::Cow;

/// True when inferno drops a rectangle `width` wide out of `total` at `min_width` percent.
fn narrow(width: u64, min_time: f64) -> bool {
    (width as f64) < min_time
}

/// The stack of a folded line `stack weight` (the weight is the text after the last space).
fn stack_of(line: &str) -> &str {
    line.rfind(' ').map_or(line, |i| &line[..i])
}

/// The weight of a folded line made by [`crate::folded::Lines`].
fn weight_of(line: &str) -> u64 {
    line.rfind(' ')
        .and_then(|i| line[i + 1..].parse().ok())
        .unwrap_or(0)
}

/// How many leading frames two stacks share (frames are split by `;`).
fn shared_frames(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let whole = a[..common].iter().filter(|&&c| c == b';').count();
    let at_end = |s: &[u8]| common == s.len() || s[common] == b';';
    whole + usize::from(at_end(a) && at_end(b))
}

/// The lines inferno needs to draw `lines` (folded `stack weight` lines, any order) as it
/// would draw all of them, sorted as inferno sorts them. `min_width` is inferno's option;
/// at 0 or below nothing is dropped and every line is kept.
pub fn drawable<'a>(lines: impl IntoIterator<Item = &'a str>, min_width: f64) -> Vec<Cow<'a, str>> {
    let mut sorted: Vec<&str> = lines.into_iter().collect();
    // Nearly sorted already (the fold sorts by label): pattern-defeating quicksort makes
    // this close to one pass; inferno's own sort of the result is then one pass too.
    sorted.sort_unstable();
    let total = sorted
        .iter()
        .fold(0u64, |t, l| t.saturating_add(weight_of(l)));
    if min_width <= 0.0 || total == 0 {
        return sorted.into_iter().map(Cow::Borrowed).collect();
    }
    let min_time = min_width / (100.0 / total as f64);
    let cut = cut_depths(&sorted, min_time);
    emit(&sorted, &cut)
}

/// Per line, the depth of its first frame whose run is narrow (`usize::MAX`: none).
fn cut_depths(sorted: &[&str], min_time: f64) -> Vec<usize> {
    let mut cut = vec![usize::MAX; sorted.len()];
    // The open runs, one per depth: (first line, weight so far).
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut previous = "";
    let close = |open: &mut Vec<(usize, u64)>, keep: usize, end: usize, cut: &mut [usize]| {
        while open.len() > keep {
            let depth = open.len() - 1;
            let (start, width) = open.pop().expect("len > keep");
            if narrow(width, min_time) {
                // Runs close deepest first: a narrow parent overwrites its children.
                for c in &mut cut[start..end] {
                    *c = depth;
                }
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = parent.1.saturating_add(width);
            }
        }
    };
    for (i, line) in sorted.iter().enumerate() {
        let stack = stack_of(line);
        let shared = if i == 0 {
            0
        } else {
            shared_frames(previous, stack)
        };
        close(&mut open, shared, i, &mut cut);
        let depth = stack.split(';').count();
        while open.len() < depth {
            open.push((i, 0));
        }
        // The line's weight belongs to its deepest frame; parents add it up as runs close.
        if let Some(last) = open.last_mut() {
            last.1 = last.1.saturating_add(weight_of(line));
        }
        previous = stack;
    }
    close(&mut open, 0, sorted.len(), &mut cut);
    cut
}

/// The kept lines and one placeholder per narrow run's children.
fn emit<'a>(sorted: &[&'a str], cut: &[usize]) -> Vec<Cow<'a, str>> {
    let mut out: Vec<Cow<'a, str>> = Vec::new();
    // The open placeholder: the text of its stack (through the first child) and its weight.
    let mut pending: Option<(&'a str, usize, u64)> = None;
    let flush = |out: &mut Vec<Cow<'a, str>>, pending: &mut Option<(&'a str, usize, u64)>| {
        if let Some((line, end, weight)) = pending.take() {
            out.push(Cow::Owned(format!("{} {weight}", &line[..end])));
        }
    };
    for (&line, &depth) in sorted.iter().zip(cut) {
        if depth == usize::MAX {
            flush(&mut out, &mut pending);
            out.push(Cow::Borrowed(line));
            continue;
        }
        let stack = stack_of(line);
        // Byte offsets of the ends of frames `depth` (the narrow one) and `depth + 1`.
        let mut ends = stack
            .match_indices(';')
            .map(|(i, _)| i)
            .chain(std::iter::once(stack.len()));
        let narrow_end = ends.nth(depth).unwrap_or(stack.len());
        let Some(child_end) = ends.next() else {
            // The narrow frame's own line stays as it is.
            flush(&mut out, &mut pending);
            out.push(Cow::Borrowed(line));
            continue;
        };
        let weight = weight_of(line);
        match &mut pending {
            Some((first, _, sum))
                if first.len() > narrow_end
                    && first.as_bytes()[narrow_end] == b';'
                    && first[..narrow_end] == stack[..narrow_end] =>
            {
                *sum = sum.saturating_add(weight);
            }
            _ => {
                flush(&mut out, &mut pending);
                pending = Some((line, child_end, weight));
            }
        }
    }
    flush(&mut out, &mut pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(lines: &[&'static str], min_width: f64) -> Vec<String> {
        drawable(lines.iter().copied(), min_width)
            .into_iter()
            .map(Cow::into_owned)
            .collect()
    }

    #[test]
    fn narrow_children_become_one_placeholder_after_the_frames_own_line() {
        // total 1000: at 1%, a run narrower than 10 is dropped.
        let lines = [
            "a 500",
            "a;n 4",
            "a;n;x 2",
            "a;n;y 1",
            "a;n;y;z 1",
            "a;n2 492",
        ];
        assert_eq!(
            kept(&lines, 1.0),
            ["a 500", "a;n 4", "a;n2 492", "a;n;x 4"],
            "n is split by n2 in text order; its children sort after n2, as before"
        );
    }

    #[test]
    fn wide_frames_keep_every_line_and_zero_width_keeps_all() {
        let lines = ["a;b 50", "a;c 50"];
        assert_eq!(kept(&lines, 1.0), ["a;b 50", "a;c 50"]);
        let lines = ["a 999", "a;b;c 1", "a;b;d 0"];
        assert_eq!(kept(&lines, 0.0), ["a 999", "a;b;c 1", "a;b;d 0"]);
        assert_eq!(kept(&lines, 1.0), ["a 999", "a;b;c 1"]);
    }

    #[test]
    fn neighbouring_narrow_siblings_keep_separate_placeholders() {
        let lines = ["r 990", "r;p;x 2", "r;p;y 2", "r;q;x 3", "r;q;z 3"];
        assert_eq!(kept(&lines, 1.0), ["r 990", "r;p;x 4", "r;q;x 6"]);
    }

    #[test]
    fn shared_frames_count_whole_frames_only() {
        assert_eq!(shared_frames("a;b", "a;bc"), 1);
        assert_eq!(shared_frames("a;b", "a;b;c"), 2);
        assert_eq!(shared_frames("a;b", "a;b"), 2);
        assert_eq!(shared_frames("ab", "a"), 0);
    }
}
