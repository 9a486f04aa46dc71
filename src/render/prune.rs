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
#[cfg(test)]
fn shared_frames(a: &str, b: &str) -> usize {
    let mut frames = Frames::default();
    frames.next(a);
    frames.next(b)
}

/// Length of the longest common byte prefix of `a` and `b`, sixteen bytes at a time: the
/// sorted stacks of a deep profile share hundreds of bytes with their neighbour, and a
/// byte-by-byte walk over them was most of the cut's instructions (callgrind, issue 18).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const WORD: usize = 16;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let words = a.chunks_exact(WORD).zip(b.chunks_exact(WORD));
    for (i, (x, y)) in words.enumerate() {
        let word = |s: &[u8]| u128::from_le_bytes(s.try_into().expect("a whole word"));
        let diff = word(x) ^ word(y);
        if diff != 0 {
            return i * WORD + (diff.trailing_zeros() / 8) as usize;
        }
    }
    let done = n / WORD * WORD;
    done + a[done..]
        .iter()
        .zip(&b[done..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The frames of each stack of a sorted walk, found from the previous stack's: the bytes the
/// two share are not scanned again, so a walk reads each line's new tail, not the whole line.
#[derive(Default)]
struct Frames<'a> {
    /// The stack last given to [`Frames::next`], and whether there was one.
    stack: &'a str,
    started: bool,
    /// Byte offsets of its `;` separators: frame `d` ends at `ends[d]` (the last at the end).
    ends: Vec<usize>,
}

impl<'a> Frames<'a> {
    /// Moves to `stack` and returns how many leading frames it shares with the previous one.
    fn next(&mut self, stack: &'a str) -> usize {
        let common = common_prefix(self.stack.as_bytes(), stack.as_bytes());
        // Separators before `common` are the same bytes in both stacks.
        let kept = self.ends.partition_point(|&e| e < common);
        let at_end = |s: &str| common == s.len() || s.as_bytes()[common] == b';';
        let shared = kept + usize::from(at_end(self.stack) && at_end(stack));
        // The first stack shares nothing.
        let shared = if self.started { shared } else { 0 };
        self.started = true;
        self.ends.truncate(kept);
        self.ends
            .extend(memchr::memchr_iter(b';', &stack.as_bytes()[common..]).map(|i| common + i));
        self.stack = stack;
        shared
    }

    /// How many frames the current stack has.
    fn depth(&self) -> usize {
        self.ends.len() + 1
    }

    /// The byte offset where frame `d` (from 0) of the current stack ends, if it has one.
    fn end(&self, d: usize) -> Option<usize> {
        match d.cmp(&self.ends.len()) {
            std::cmp::Ordering::Less => Some(self.ends[d]),
            std::cmp::Ordering::Equal => Some(self.stack.len()),
            std::cmp::Ordering::Greater => None,
        }
    }
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
    let mut frames = Frames::default();
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
        let shared = frames.next(stack_of(line));
        close(&mut open, shared, i, &mut cut);
        let depth = frames.depth();
        while open.len() < depth {
            open.push((i, 0));
        }
        // The line's weight belongs to its deepest frame; parents add it up as runs close.
        if let Some(last) = open.last_mut() {
            last.1 = last.1.saturating_add(weight_of(line));
        }
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
    let mut frames = Frames::default();
    for (&line, &depth) in sorted.iter().zip(cut) {
        let stack = stack_of(line);
        frames.next(stack);
        if depth == usize::MAX {
            flush(&mut out, &mut pending);
            out.push(Cow::Borrowed(line));
            continue;
        }
        // Byte offsets of the ends of frames `depth` (the narrow one) and `depth + 1`.
        let narrow_end = frames.end(depth).unwrap_or(stack.len());
        let Some(child_end) = frames.end(depth + 1) else {
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

    /// The byte-by-byte count the word-at-a-time walk replaced.
    fn shared_frames_by_bytes(a: &str, b: &str) -> usize {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let whole = a[..common].iter().filter(|&&c| c == b';').count();
        let at_end = |s: &[u8]| common == s.len() || s[common] == b';';
        whole + usize::from(at_end(a) && at_end(b))
    }

    #[test]
    fn frames_found_from_the_previous_stack_match_a_scan_of_the_whole_stack() {
        // Long shared prefixes (past several 8-byte words), differences inside a word and at
        // its edges, empty frames, a stack that is a prefix of the next.
        let long = "module.with.a.long.name;another.module.name;x";
        for cut in 0..long.len() {
            let other = format!("{}#{}", &long[..cut], &long[cut..]);
            assert_eq!(common_prefix(long.as_bytes(), other.as_bytes()), cut);
        }
        let stacks = [
            long.to_string(),
            format!("{long};y"),
            format!("{long}y;z"),
            format!("{long};;"),
            "module.with.a.long.name;another.module.name".to_string(),
            "module.with.a.long.name;another.module.nam;e".to_string(),
            "module.with.a.long.name".to_string(),
            "module.with.a.long.name;".to_string(),
            "abcdefgh;ijklmnop".to_string(),
            "abcdefgh;ijklmnoq;r".to_string(),
            "abcdefgi".to_string(),
            String::new(),
            ";a".to_string(),
            "nt (failed);x".to_string(),
            "nt".to_string(),
        ];
        let mut frames = Frames::default();
        let mut previous: Option<&str> = None;
        for stack in &stacks {
            let shared = frames.next(stack);
            let expected = previous.map_or(0, |p| shared_frames_by_bytes(p, stack));
            assert_eq!(shared, expected, "{previous:?} then {stack:?}");
            let ends: Vec<usize> = stack.match_indices(';').map(|(i, _)| i).collect();
            assert_eq!(frames.ends, ends, "{stack:?}");
            assert_eq!(frames.depth(), stack.split(';').count());
            assert_eq!(frames.end(ends.len()), Some(stack.len()));
            assert_eq!(frames.end(ends.len() + 1), None);
            previous = Some(stack);
        }
    }
}
