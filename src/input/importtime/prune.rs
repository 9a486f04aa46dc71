//! Cutting a closed report's narrow subtrees before they are stored, so that a long log held
//! for a flame graph takes memory for what can be drawn, not for every row it had.
//!
//! The SVG drops every frame narrower than `--min-width` percent of the total (inferno's
//! rule: `width < min_width / (100 / total)`, in `f64`). A report's stacks never merge with
//! another report's (each has its own `python #N` root), so once it is closed its widths are
//! final, and the total read so far is a lower bound of the graph's total: a subtree narrower
//! than the threshold at that bound is narrower at the real total too, and is never drawn.
//!
//! Such a subtree is not removed but kept as a placeholder, so that its siblings keep their
//! places: the first narrow frame `n` on a path keeps its own line (`…;n self`), and everything
//! below it becomes one line `…;n;c rest` (`c` its first child). inferno sorts lines as text
//! and draws one frame per run of neighbouring lines, so a frame can be split in two (its own
//! line and its children's lines may have a sibling such as `n2` between them); both
//! placeholder lines sort exactly where the lines they replace did (`…;n ` and `…;n;` stay the
//! prefixes), so every run outside the cut keeps its start and its width. Merging the narrow
//! lines into their parent instead would move them, and the siblings with them.

use crate::model::{FrameId, Profile};
use ahash::HashMap;

/// inferno's width threshold at a lower bound of the total.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cut {
    min_time: f64,
}

impl Cut {
    /// The threshold for `min_width` percent of `total`, computed as inferno computes it.
    pub(super) fn new(min_width: f64, total: u64) -> Self {
        let width_per_time = 100.0 / total as f64;
        Cut {
            min_time: min_width / width_per_time,
        }
    }

    /// True when a frame this wide is never drawn.
    fn narrow(self, width: u64) -> bool {
        (width as f64) < self.min_time
    }
}

#[derive(Debug)]
struct TrieNode {
    frame: FrameId,
    parent: u32,
    /// Sum of the weights of the rows with exactly this path.
    weight: u64,
    /// `weight` plus every descendant's, filled in by [`ReportTrie::emit`].
    total: u64,
    /// Whether some row has this path (synthetic frames such as `<unfinished>` have none).
    has_line: bool,
    children: Vec<u32>,
}

/// One report's stacks merged by path (node 0 is the report's root), built while its rows are
/// emitted and emptied by [`emit`](Self::emit).
#[derive(Debug, Default)]
pub(super) struct ReportTrie {
    nodes: Vec<TrieNode>,
    index: HashMap<(u32, FrameId), u32>,
    /// The node of each level of the path being emitted.
    cursor: Vec<u32>,
}

impl ReportTrie {
    fn root(&mut self) -> u32 {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode {
                frame: 0,
                parent: 0,
                weight: 0,
                total: 0,
                has_line: false,
                children: Vec::new(),
            });
        }
        0
    }

    fn child(&mut self, parent: u32, frame: FrameId) -> u32 {
        if let Some(&id) = self.index.get(&(parent, frame)) {
            return id;
        }
        let id = u32::try_from(self.nodes.len()).expect("fewer than 2^32 rows in a report");
        self.nodes.push(TrieNode {
            frame,
            parent,
            weight: 0,
            total: 0,
            has_line: false,
            children: Vec::new(),
        });
        self.nodes[parent as usize].children.push(id);
        self.index.insert((parent, frame), id);
        id
    }

    /// Starts a tree of the report below `prefix` (its synthetic frames, often none).
    pub(super) fn enter(&mut self, prefix: &[FrameId]) {
        let root = self.root();
        self.cursor.clear();
        self.cursor.push(root);
        for &frame in prefix {
            let parent = *self.cursor.last().expect("the root is on the cursor");
            let node = self.child(parent, frame);
            self.cursor.push(node);
        }
    }

    /// Adds the row whose path is the cursor's first `level` frames, then `frame`.
    pub(super) fn line(&mut self, level: usize, frame: FrameId, weight: u64) {
        self.cursor.truncate(level + 1);
        let parent = self.cursor[level];
        let node = self.child(parent, frame);
        let n = &mut self.nodes[node as usize];
        n.weight = n.weight.saturating_add(weight);
        n.has_line = true;
        self.cursor.push(node);
    }

    /// Pushes the report's stacks into `profile`, each subtree narrower than `cut` kept as its
    /// placeholder lines (see the module docs), and empties the trie.
    pub(super) fn emit(&mut self, profile: &mut Profile, report: u32, cut: Cut) {
        if self.nodes.is_empty() {
            return;
        }
        // Children come after their parent: one backward pass adds up the subtrees (`total`
        // holds the children's sum when a node's turn comes).
        for i in (1..self.nodes.len()).rev() {
            let node = &mut self.nodes[i];
            node.total = node.total.saturating_add(node.weight);
            let (total, parent) = (node.total, node.parent);
            let parent = &mut self.nodes[parent as usize];
            parent.total = parent.total.saturating_add(total);
        }
        let mut path: Vec<FrameId> = Vec::new();
        // (node, depth of its frame in `path`); the root has no frame.
        let mut todo: Vec<(u32, usize)> = Vec::new();
        let root = &self.nodes[0];
        if cut.narrow(root.total) {
            if let Some(&first) = root.children.first() {
                profile.push_stack(&[self.nodes[first as usize].frame], root.total, report);
            }
        } else {
            todo.extend(root.children.iter().rev().map(|&c| (c, 0)));
        }
        while let Some((i, depth)) = todo.pop() {
            let node = &self.nodes[i as usize];
            path.truncate(depth);
            path.push(node.frame);
            if node.has_line {
                profile.push_stack(&path, node.weight, report);
            }
            if cut.narrow(node.total) {
                if let Some(&first) = node.children.first() {
                    path.push(self.nodes[first as usize].frame);
                    profile.push_stack(&path, node.total - node.weight, report);
                }
                continue;
            }
            todo.extend(node.children.iter().rev().map(|&c| (c, depth + 1)));
        }
        self.nodes.clear();
        self.index.clear();
        self.cursor.clear();
    }
}
