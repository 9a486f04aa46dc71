//! The render-side cut ([`crate::render::prune`]) done on the fold's rank lists, before any
//! text exists: for an SVG, only the lines inferno will draw are written.
//!
//! A pstats file yields tens of thousands of deep stacks (73 MB of folded text for
//! `workload.prof`, 110 MB for a pytest-profiling `combined.prof`) of which a few thousand
//! lines are drawn. Writing all of them, then finding every line's frames again in the text
//! to cut it, was a third of the SVG's instructions and almost all of its memory. Here each
//! stack is a list of element ranks (see `sort.rs`), so the frames two neighbours share are
//! the ranks they share, compared four bytes a frame instead of the whole label.
//!
//! The cut is the same as `prune::drawable`'s, line for line (a test compares them on every
//! sample): the same runs, widths, narrow frames and placeholders, in the same order. That
//! needs the rank order to be the order inferno sorts the *lines* in (`stack weight`), which
//! holds unless some label continues another with a byte at or below a space (`a` and
//! `a (failed)`): then `a 5` and `a (failed) 3` sort by the weight's digits. [`order_matches`]
//! finds such labels and the fold then leaves the cut to the renderer.

/// Whether sorting stacks by their labels sorts their folded lines (`stack weight`) the
/// same way. Stack `s` before `t` puts line `s w` after `t v` only when `s` is a prefix of
/// `t` followed by a byte at or below `' '`, which in a label means an element of `t`
/// continues the element of `s` at the same place with such a byte. `sorted_names` are the
/// distinct elements in byte order: a name continued that way is followed by such a name
/// (they sort right after it), so neighbours tell.
pub(super) fn order_matches(sorted_names: &[&str]) -> bool {
    sorted_names.windows(2).all(|w| {
        let (a, b) = (w[0].as_bytes(), w[1].as_bytes());
        !(b.len() > a.len() && b.starts_with(a) && b[a.len()] <= b' ')
    })
}

/// One sorted, merged stack: where its ranks start in the codes, how many, its weight.
pub(super) type Stack = (u32, u32, u64);

/// The stacks inferno needs to draw `stacks` at `min_time` (its `min_width / (100 / total)`),
/// as `prune::drawable` makes them: every stack outside a narrow run as it is, and per run of
/// a narrow frame's children one placeholder, the first child's stack through that child,
/// weighing all of them. `stacks` are sorted, merged and non-empty; `element` maps a rank to
/// its element, so the last frame of one stack (a rank of its own) matches the same name
/// inside another.
pub(super) fn drawable(
    stacks: &[Stack],
    codes: &[u32],
    element: &[u32],
    min_time: f64,
) -> Vec<Stack> {
    let ranks = |s: &Stack| &codes[s.0 as usize..][..s.1 as usize];
    let cut = cut_depths(stacks, &ranks, element, min_time);
    let mut out: Vec<Stack> = Vec::with_capacity(stacks.len().min(1 << 16));
    // The open placeholder: its stack (through the first child) and its weight so far.
    let mut pending: Option<Stack> = None;
    for (s, &depth) in stacks.iter().zip(&cut) {
        // Kept whole: outside every narrow run, or the narrow frame's own line.
        if depth == usize::MAX || s.1 as usize <= depth + 1 {
            out.extend(pending.take());
            out.push(*s);
            continue;
        }
        match &mut pending {
            Some(p) if p.1 as usize > depth + 1 && ranks(p)[..=depth] == ranks(s)[..=depth] => {
                p.2 = p.2.saturating_add(s.2);
            }
            _ => {
                out.extend(pending.take());
                pending = Some((s.0, depth as u32 + 2, s.2));
            }
        }
    }
    out.extend(pending);
    out
}

/// How many leading frames two stacks share. Ranks differ between a frame that ends a stack
/// and the same name inside another, so where the ranks first differ the elements decide.
fn shared_frames(a: &[u32], b: &[u32], element: &[u32]) -> usize {
    let n = a.len().min(b.len());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if same < n && element[a[same] as usize] == element[b[same] as usize] {
        same + 1
    } else {
        same
    }
}

/// Per stack, the depth of its first frame whose run is narrow (`usize::MAX`: none).
fn cut_depths<'c>(
    stacks: &[Stack],
    ranks: &impl Fn(&Stack) -> &'c [u32],
    element: &[u32],
    min_time: f64,
) -> Vec<usize> {
    // Open runs, one per depth: (first stack, weight so far).
    let mut open: Vec<(usize, u64)> = Vec::new();
    // Closed narrow runs (first stack, end, depth), outermost ones only: a run's children
    // are no wider than it, so a narrow run's narrow children are dropped when it closes.
    let mut narrow: Vec<(usize, usize, usize)> = Vec::new();
    let close = |open: &mut Vec<(usize, u64)>,
                 narrow: &mut Vec<(usize, usize, usize)>,
                 keep: usize,
                 end: usize| {
        while open.len() > keep {
            let depth = open.len() - 1;
            let (start, width) = open.pop().expect("len > keep");
            if (width as f64) < min_time {
                while narrow.last().is_some_and(|r| r.0 >= start) {
                    narrow.pop();
                }
                narrow.push((start, end, depth));
            }
            if let Some(parent) = open.last_mut() {
                parent.1 = parent.1.saturating_add(width);
            }
        }
    };
    let mut previous: &[u32] = &[];
    for (i, s) in stacks.iter().enumerate() {
        let now = ranks(s);
        let shared = shared_frames(previous, now, element);
        close(&mut open, &mut narrow, shared, i);
        while open.len() < now.len() {
            open.push((i, 0));
        }
        // The weight belongs to the deepest frame; parents add it up as runs close.
        if let Some(last) = open.last_mut() {
            last.1 = last.1.saturating_add(s.2);
        }
        previous = now;
    }
    close(&mut open, &mut narrow, 0, stacks.len());
    let mut cut = vec![usize::MAX; stacks.len()];
    for (start, end, depth) in narrow {
        cut[start..end].fill(depth);
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_continued_by_a_space_make_the_line_order_differ() {
        assert!(order_matches(&["a", "a!", "ab", "b"]));
        assert!(!order_matches(&["a", "a (failed)", "b"]));
        assert!(!order_matches(&["f (x.py:1)", "f (x.py:1) y"]));
        assert!(order_matches(&["f (x.py:1)", "f (x.py:10)"]));
    }
}
