//! The tree builder (FORMATS.md §1.5): rows arrive in post-order, so a row adopts every
//! finished row deeper than itself; each report is closed into one root of stacks.

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::{Category, FrameId, InputKind, Mark, Profile, Unit};
use ahash::{HashMap, HashSet};

use super::super::ParseOptions;
use super::super::pyframe::module_category;
use super::plain;
use super::prune::{Cut, ReportTrie};
use super::row::{Row, parse_row};
use super::text;

/// Label of the synthetic root holding rows whose parent never printed (§1.5).
pub const UNFINISHED: &str = "<unfinished>";

const NEGATIVE_SELF: IssueKind = IssueKind {
    id: "importtime.negative-self",
    one: "row with negative self time set to 0 (threads importing concurrently)",
    many: "rows with negative self time set to 0 (threads importing concurrently)",
};
const MID_LINE: IssueKind = IssueKind {
    id: "importtime.mid-line",
    one: "row found after other output on the same line",
    many: "rows found after other output on the same line",
};
const MALFORMED: IssueKind = IssueKind {
    id: "importtime.malformed",
    one: "line with \"import time:\" that is not a valid row, skipped",
    many: "lines with \"import time:\" that are not valid rows, skipped",
};
const UNFINISHED_ROWS: IssueKind = IssueKind {
    id: "importtime.unfinished",
    one: "row whose parent never printed, kept under <unfinished>",
    many: "rows whose parent never printed, kept under <unfinished>",
};
const MISSING_LEVEL: IssueKind = IssueKind {
    id: "importtime.missing-level",
    one: "row more than one level deeper than its parent (a line was lost), attached anyway",
    many: "rows more than one level deeper than their parent (lines were lost), attached anyway",
};
const MISMATCHED_CUMULATIVE: IssueKind = IssueKind {
    id: "importtime.mismatched-cumulative",
    one: "row whose cumulative time disagrees with its children (interleaved processes or threads)",
    many: "rows whose cumulative time disagrees with their children (interleaved processes or threads)",
};
const HEADER_MID_REPORT: IssueKind = IssueKind {
    id: "importtime.header-mid-report",
    one: "header that cut an unfinished report short (interleaved processes)",
    many: "headers that cut unfinished reports short (interleaved processes)",
};
const NO_HEADER: IssueKind = IssueKind {
    id: "importtime.no-header",
    one: "report with rows but no header (a forked child, or a log cut at the start)",
    many: "reports with rows but no header (forked children, or a log cut at the start)",
};
const RESTARTED: IssueKind = IssueKind {
    id: "importtime.restarted",
    one: "report that started again without a header (a 3.7-3.11 sub-interpreter), split into its own report",
    many: "reports that started again without a header (3.7-3.11 sub-interpreters), split into their own reports",
};
const IMPORTLIB_ORPHANS: IssueKind = IssueKind {
    id: "importtime.importlib-orphans",
    one: "row imported under an untimed parent (importlib.import_module), kept under <untimed PACKAGE>",
    many: "rows imported under an untimed parent (importlib.import_module), kept under <untimed PACKAGE>",
};
const FAILED: IssueKind = IssueKind {
    id: "importtime.failed",
    one: "failed import marked (failed) (a repeated row or a \"No module named\" message)",
    many: "failed imports marked (failed) (repeated rows or \"No module named\" messages)",
};
const REPEATS_NOT_MARKED: IssueKind = IssueKind {
    id: "importtime.repeats-not-marked",
    one: "repeated row in an interleaved report not marked as failed (another process may have printed it)",
    many: "repeated rows in interleaved reports not marked as failed (other processes may have printed them)",
};
const CACHED_SKIPPED: IssueKind = IssueKind {
    id: "importtime.cached-skipped",
    one: "cached row left out (-X importtime=2; --cached keeps it)",
    many: "cached rows left out (-X importtime=2; --cached keeps them)",
};
const CACHED_DEPTH_GUESSED: IssueKind = IssueKind {
    id: "importtime.cached-depth-guessed",
    one: "cached row whose depth cannot be read (name wider than its field), placed at the deepest possible level",
    many: "cached rows whose depth cannot be read (name wider than their field), placed at the deepest possible level",
};

/// The shortest row there is, `import time: 1 | 1 | a` and its line break: room for one
/// stack per this many bytes is room for every stack of a segment ([`Builder::reserve_for`]).
const MIN_ROW_BYTES: usize = 24;

/// Frames per stack reserved with [`MIN_ROW_BYTES`]: for rows of a typical length (about 70
/// bytes) room for stacks about 8 frames deep; deeper ones grow the arena.
const FRAMES_PER_ROW: usize = 3;

/// The frame importflame puts above a root that is not a report's own top-level import.
enum Above {
    /// Its parent never printed (§1.5).
    Unfinished,
    /// Imported under this package, which has no row of its own (`importlib.import_module`).
    Untimed(String),
}

/// The module names of the log, each stored once: rows refer to them by number, so the
/// builder borrows nothing from the input and a streamed log can let go of each chunk once its
/// lines are read (no allocation per row either, only per distinct name).
#[derive(Default)]
struct Names {
    /// By the name's bytes: plain rows ([`plain::Plain`]) have their names as bytes.
    ids: HashMap<Box<[u8]>, u32>,
    list: Vec<Box<str>>,
    /// The unmarked frame of each name, once interned: the common case needs no second lookup.
    frame: Vec<Option<FrameId>>,
    /// Whether a closed report drew the name without a `(failed)` mark: a failure message read
    /// later about such a name means the log must be read again (see [`Builder::late_failures`]).
    plain: Vec<bool>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        self.id_of_bytes(name.as_bytes())
    }

    /// [`id`](Self::id) of the name whose UTF-8 bytes are `name`.
    fn id_of_bytes(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.list.len()).expect("fewer than 2^32 module names");
        self.ids.insert(name.into(), id);
        // Exact for UTF-8, which every caller's bytes are.
        self.list.push(String::from_utf8_lossy(name).into());
        self.frame.push(None);
        self.plain.push(false);
        id
    }

    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name.as_bytes()).copied()
    }

    fn name(&self, id: u32) -> &str {
        &self.list[id as usize]
    }
}

/// A row of the current report; its name is a number in [`Names`].
#[derive(Debug)]
struct Node {
    name: u32,
    self_us: i64,
    cumulative_us: i64,
    depth: u32,
    line: u64,
    /// Index of the first row of this row's subtree: rows print in post-order, so a subtree
    /// is the contiguous run `first..=index`.
    first: u32,
    /// Where this row's children are in [`Builder::kids`]: one buffer for the report, not a
    /// `Vec` per row (a `malloc` and a `free` for every row with children).
    kids_start: u32,
    kids_len: u32,
    cached: bool,
    failed: bool,
}

/// Builds the profile line by line; one report at a time is kept in memory.
pub(super) struct Builder<'o> {
    opts: &'o ParseOptions,
    profile: Profile,
    /// Modules the log's messages name as failed (grows as a streamed log is read).
    pub(super) failed_names: HashSet<String>,
    names: Names,
    /// Rows of the open report, in print order.
    nodes: Vec<Node>,
    /// Finished rows whose parent has not printed yet (§1.5).
    open: Vec<u32>,
    /// The children of every row of the open report, each row's in a run ([`Node::kids_start`]).
    kids: Vec<u32>,
    /// Per module name, scratch for closing a report, all zero between reports: indexed by
    /// name where maps sized for each report were filled and dropped (perf: a sixth of
    /// closing a report). [`mark_failures`](Self::mark_failures): 1 + the row of the name's
    /// last leaf; the importlib-orphan check: 1 when a row of the name printed before.
    by_name: Vec<u32>,
    /// The pre-order walk of [`emit_tree`](Self::emit_tree): (row, level).
    todo: Vec<(u32, usize)>,
    /// How many of `open` are nested (depth > 0): asked on every row, so counted, not scanned
    /// (a scan made 50,000 pending roots and 50,000 rows take 33 s).
    open_nested: usize,
    /// Whether a report is open, and whether it began with a header.
    report_open: bool,
    had_header: bool,
    report_start: u64,
    /// Rows of the open report whose cumulative time disagrees with their children: a sign
    /// that several processes or threads write into it.
    report_mismatches: u64,
    rows: u64,
    path: Vec<FrameId>,
    /// Sum of the weights of the reports closed so far, the open one included at its close: a
    /// lower bound of the graph's total, which is all that pruning needs ([`Cut`]).
    total: u64,
    /// The open report's stacks merged by path, when a narrow subtree may be cut.
    trie: ReportTrie,
    /// The id each frame of this builder's table has in the builder that absorbs it (one
    /// per parse), `FrameId::MAX` until first absorbed.
    absorbed_as: Vec<FrameId>,
    /// The same for the names of [`Names`], `u32::MAX` until first absorbed.
    names_absorbed_as: Vec<u32>,
}

impl<'o> Builder<'o> {
    pub(super) fn new(opts: &'o ParseOptions, failed_names: HashSet<String>) -> Self {
        Builder {
            opts,
            profile: Profile::new(InputKind::Importtime, Unit::Microseconds),
            failed_names,
            names: Names::default(),
            nodes: Vec::new(),
            open: Vec::new(),
            kids: Vec::new(),
            by_name: Vec::new(),
            todo: Vec::new(),
            open_nested: 0,
            report_open: false,
            had_header: false,
            report_start: 0,
            report_mismatches: 0,
            rows: 0,
            path: Vec::new(),
            total: 0,
            trie: ReportTrie::default(),
            absorbed_as: Vec::new(),
            names_absorbed_as: Vec::new(),
        }
    }

    /// Reads the lines of `text` (whole lines of a log), numbered after the `number` read
    /// before; `number` ends as the last one's. A plain row is read with its line break in one
    /// pass ([`plain::line`]); any other line goes through the general path.
    pub(super) fn feed(&mut self, text: &[u8], number: &mut u64) {
        let mut at = 0;
        while at < text.len() {
            *number += 1;
            if let Some((row, len)) = plain::line(&text[at..]) {
                self.rows += 1;
                let name = self.names.id_of_bytes(row.name);
                self.push(
                    name,
                    row.self_us,
                    row.cumulative_us,
                    row.depth,
                    *number,
                    false,
                );
                at += len;
                continue;
            }
            let end = text::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
            self.line(&text::clean_line(&text[at..end]), *number);
            at = end + 1;
        }
    }

    /// Handles one (cleaned) line.
    pub(super) fn line(&mut self, line: &[u8], number: u64) {
        let Some((at, row)) = parse_row(line) else {
            return;
        };
        if at > 0 && row != Row::Malformed {
            self.profile
                .diagnostics
                .note(MID_LINE, Position::Line(number));
        }
        self.row(row, number);
    }

    /// Handles the row of line `number`.
    fn row(&mut self, row: Row<'_>, number: u64) {
        let at_line = Position::Line(number);
        match row {
            Row::Header => {
                if self.open_nested > 0 {
                    self.profile.diagnostics.note(HEADER_MID_REPORT, at_line);
                }
                self.close_report();
                self.report_open = true;
                self.had_header = true;
                self.report_start = number;
            }
            Row::Malformed => self.profile.diagnostics.note(MALFORMED, at_line),
            Row::Timed {
                self_us,
                cumulative_us,
                depth,
                name,
            } => {
                self.rows += 1;
                let name = self.names.id(name);
                self.push(name, self_us, cumulative_us, depth, number, false);
            }
            Row::Cached { name, depth, exact } => {
                if !self.opts.cached {
                    self.profile.diagnostics.note(CACHED_SKIPPED, at_line);
                    return;
                }
                if !exact {
                    self.profile.diagnostics.note(CACHED_DEPTH_GUESSED, at_line);
                }
                let name = self.names.id(name);
                self.push(name, 0, 0, depth, number, true);
            }
        }
    }

    fn push(&mut self, name: u32, self_us: i64, cum: i64, depth: u32, line: u64, cached: bool) {
        if self.restarts_report(name, cached) {
            self.close_report();
            self.profile
                .diagnostics
                .note(RESTARTED, Position::Line(line));
            self.report_open = true;
            self.had_header = true;
            self.report_start = line;
        }
        if !self.report_open {
            self.report_open = true;
            self.had_header = false;
            self.report_start = line;
        }
        let first_child = self
            .open
            .iter()
            .rposition(|&i| self.nodes[i as usize].depth <= depth)
            .map_or(0, |p| p + 1);
        let kids_start = self.kids.len();
        self.kids.extend(self.open.drain(first_child..));
        let children = &self.kids[kids_start..];
        let mut children_cum = 0i64;
        for &c in children {
            let child = &self.nodes[c as usize];
            self.open_nested -= usize::from(child.depth > 0);
            children_cum = children_cum.saturating_add(child.cumulative_us);
            if child.depth > depth + 1 {
                self.profile
                    .diagnostics
                    .note(MISSING_LEVEL, Position::Line(child.line));
            }
        }
        if self_us < 0 {
            self.profile
                .diagnostics
                .note(NEGATIVE_SELF, Position::Line(line));
            let clamped = self.profile.facts.entry("clamped_us").or_default();
            *clamped = clamped.saturating_add(self_us.unsigned_abs());
        } else if !cached {
            // Each column is rounded up separately: on clean logs the gap is in
            // [-(children + 1), 0] µs (§1.5).
            let gap = cum.saturating_sub(self_us).saturating_sub(children_cum);
            let slack = children.len() as i64 + 1;
            if gap > 0 || gap < -slack {
                self.report_mismatches += 1;
                self.profile
                    .diagnostics
                    .note(MISMATCHED_CUMULATIVE, Position::Line(line));
            }
        }
        let index = self.nodes.len() as u32;
        let first = children
            .first()
            .map_or(index, |&c| self.nodes[c as usize].first);
        let kids_len = children.len() as u32;
        self.nodes.push(Node {
            name,
            self_us,
            cumulative_us: cum,
            depth,
            line,
            first,
            kids_start: kids_start as u32,
            kids_len,
            cached,
            failed: false,
        });
        self.open.push(index);
        self.open_nested += usize::from(depth > 0);
    }

    /// Python 3.7–3.11 sub-interpreters share the header of the main interpreter (§1.7): the
    /// first module of the report imported again, at a point where no import is in flight,
    /// means a new interpreter started.
    fn restarts_report(&self, name: u32, cached: bool) -> bool {
        !cached
            && self.report_open
            && self.nodes.first().is_some_and(|n| n.name == name)
            && self.open_nested == 0
    }

    /// Ends the open report: marks failures and importlib orphans, then emits one stack per
    /// row in import (pre-)order.
    fn close_report(&mut self) {
        if !self.report_open {
            return;
        }
        self.report_open = false;
        if self.nodes.is_empty() {
            return;
        }
        if !self.had_header {
            self.profile
                .diagnostics
                .note(NO_HEADER, Position::Line(self.report_start));
        }
        let report = self.profile.reports.len() as u32;
        self.profile.reports.push(format!("python #{}", report + 1));
        self.mark_failures();
        self.report_mismatches = 0;

        let open = std::mem::take(&mut self.open);
        self.open_nested = 0;
        let (roots, unfinished): (Vec<u32>, Vec<u32>) = open
            .into_iter()
            .partition(|&i| self.nodes[i as usize].depth == 0);
        // Roots come back in print order, each with the synthetic frame it sits under.
        let mut top: Vec<(Option<Above>, u32)> = Vec::new();
        // The names printed so far, marked in `by_name` (all zero again below).
        self.by_name.resize(self.names.list.len(), 0);
        let mut order: Vec<(u32, Option<Above>)> = roots
            .iter()
            .map(|&r| (r, None))
            .chain(unfinished.iter().map(|&u| (u, Some(Above::Unfinished))))
            .collect();
        order.sort_by_key(|(i, _)| *i);
        let mut orphan_count = 0u64;
        let mut orphan_first = None;
        let mut unfinished_count = 0u64;
        let mut unfinished_first = None;
        let mut seen_up_to = 0;
        for (i, synthetic) in order {
            // Rows printed before root i, its own subtree included (a package imported while
            // importing `xml.not_there` is timed), are the ones it can build on.
            let lower = i as usize;
            for node in &self.nodes[seen_up_to..lower.max(seen_up_to)] {
                self.by_name[node.name as usize] = 1;
            }
            seen_up_to = seen_up_to.max(lower);
            let node = &self.nodes[i as usize];
            let synthetic = match synthetic {
                Some(s) => {
                    unfinished_count += self.subtree_len(i) as u64;
                    unfinished_first.get_or_insert(node.line);
                    Some(s)
                }
                None => match self.names.name(node.name).split_once('.') {
                    Some((package, _))
                        if self
                            .names
                            .get(package)
                            .is_none_or(|p| self.by_name[p as usize] != 1) =>
                    {
                        orphan_count += 1;
                        orphan_first.get_or_insert(node.line);
                        Some(Above::Untimed(package.to_string()))
                    }
                    _ => None,
                },
            };
            top.push((synthetic, i));
        }
        for node in &self.nodes[..seen_up_to] {
            self.by_name[node.name as usize] = 0;
        }
        if let Some(first) = orphan_first {
            self.profile.diagnostics.note_many(
                IMPORTLIB_ORPHANS,
                orphan_count,
                Some(Position::Line(first)),
            );
        }
        if let Some(first) = unfinished_first {
            self.profile.diagnostics.note_many(
                UNFINISHED_ROWS,
                unfinished_count,
                Some(Position::Line(first)),
            );
        }
        let report_total = self
            .nodes
            .iter()
            .fold(0u64, |t, n| t.saturating_add(n.self_us.max(0) as u64));
        self.total = self.total.saturating_add(report_total);
        let cut = self.opts.prune_below.map(|m| Cut::new(m, self.total));
        for (synthetic, root) in top {
            self.emit_tree(report, synthetic, root, cut.is_some());
        }
        if let Some(cut) = cut {
            self.trie.emit(&mut self.profile, report, cut);
        }
        *self.profile.facts.entry("modules").or_default() +=
            self.nodes.iter().filter(|n| !n.cached).count() as u64;
        self.nodes.clear();
        self.kids.clear();
    }

    fn subtree_len(&self, root: u32) -> usize {
        (root - self.nodes[root as usize].first) as usize + 1
    }

    /// A row is a failed import when the log says so (`No module named`), or when the same
    /// name is imported again later in the same report: a module that loaded stays in
    /// `sys.modules` and never gets a second row (§1.3).
    fn mark_failures(&mut self) {
        // 1 + the row of each name's last leaf so far, 0 for none.
        let last_leaf = &mut self.by_name;
        last_leaf.resize(self.names.list.len(), 0);
        let mut repeated: Vec<usize> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if node.cached {
                continue;
            }
            // An earlier leaf inside this row's own subtree is a circular import of a module
            // still initialising (pandas.core.ops.common does it), not a failure.
            let slot = &mut last_leaf[node.name as usize];
            if let Some(prev) = slot.checked_sub(1)
                && (prev as usize) < node.first as usize
            {
                repeated.push(prev as usize);
            }
            *slot = if node.kids_len > 0 { 0 } else { i as u32 + 1 };
        }
        for node in &self.nodes {
            last_leaf[node.name as usize] = 0;
        }
        // Where several processes write into one report, their rows repeat each other's
        // names without anything failing: trust only the log's own error messages there.
        if self.report_mismatches > 0 {
            if !repeated.is_empty() {
                self.profile.diagnostics.note_many(
                    REPEATS_NOT_MARKED,
                    repeated.len() as u64,
                    Some(Position::Line(self.nodes[repeated[0]].line)),
                );
            }
            repeated.clear();
        }
        for i in repeated {
            self.nodes[i].failed = true;
        }
        if !self.failed_names.is_empty() {
            for node in &mut self.nodes {
                if !node.cached && self.failed_names.contains(self.names.name(node.name)) {
                    node.failed = true;
                }
            }
        }
        let failed: Vec<u64> = self
            .nodes
            .iter()
            .filter(|n| n.failed)
            .map(|n| n.line)
            .collect();
        if let Some(&first) = failed.iter().min() {
            self.profile.diagnostics.note_many(
                FAILED,
                failed.len() as u64,
                Some(Position::Line(first)),
            );
        }
    }

    /// Emits `root` and its subtree in pre-order (import start order), with an explicit stack:
    /// into the profile, or into the report's trie when narrow subtrees may be cut.
    fn emit_tree(&mut self, report: u32, above: Option<Above>, root: u32, into_trie: bool) {
        self.path.clear();
        let frames = &mut self.profile.frames;
        match above {
            Some(Above::Unfinished) => self
                .path
                .push(frames.intern(UNFINISHED, Category::Synthetic)),
            Some(Above::Untimed(package)) => {
                self.path
                    .push(frames.intern_marked(&package, Mark::Untimed, Category::Synthetic))
            }
            None => {}
        }
        let base = self.path.len();
        if into_trie {
            self.trie.enter(&self.path);
        }
        let mut todo = std::mem::take(&mut self.todo);
        todo.push((root, base));
        while let Some((i, level)) = todo.pop() {
            let frame = self.frame_for(i);
            self.path.truncate(level);
            self.path.push(frame);
            let node = &self.nodes[i as usize];
            let node_weight = node.self_us.max(0) as u64;
            if into_trie {
                self.trie.line(level, frame, node_weight);
            } else {
                self.profile.push_stack(&self.path, node_weight, report);
            }
            let kids = &self.kids[node.kids_start as usize..][..node.kids_len as usize];
            todo.extend(kids.iter().rev().map(|&c| (c, level + 1)));
        }
        self.todo = todo;
    }

    fn frame_for(&mut self, i: u32) -> FrameId {
        let node = &self.nodes[i as usize];
        let (id, failed, cached) = (node.name, node.failed, node.cached);
        let first_party = &self.opts.first_party;
        if !failed && !cached {
            // The common case: no label to build, and the category only for a new name.
            self.names.plain[id as usize] = true;
            if let Some(frame) = self.names.frame[id as usize] {
                return frame;
            }
            let name = self.names.name(id);
            let frame = self
                .profile
                .frames
                .intern_with(name, || module_category(name, first_party));
            self.names.frame[id as usize] = Some(frame);
            return frame;
        }
        let name = self.names.name(id);
        let (mark, category) = if failed {
            (Mark::Failed, Category::Failed)
        } else {
            (Mark::Cached, module_category(name, first_party))
        };
        self.profile.frames.intern_marked(name, mark, category)
    }

    /// Whether a failure message was read only after a report that drew the module it names
    /// without its `(failed)` mark had been closed: then the log must be read again with every
    /// message known up front (a whole-buffer read scans them all first).
    pub(super) fn late_failures(&self) -> bool {
        self.failed_names.iter().any(|name| {
            self.names
                .get(name)
                .is_some_and(|id| self.names.plain[id as usize])
        })
    }

    /// Closes the last report; [`finish`](Self::finish) then hands the profile over.
    pub(super) fn close(&mut self) {
        self.close_report();
    }

    /// Makes room for the stacks of `bytes` more bytes of log: one stack per row and a row
    /// takes at least [`MIN_ROW_BYTES`], so about one growth at most, where a builder growing
    /// from nothing copied and faulted in its stacks about twice over (the room is only
    /// address space until it is written). Not when narrow subtrees are cut: then few of
    /// the rows' stacks are kept.
    pub(super) fn reserve_for(&mut self, bytes: usize) {
        if self.opts.prune_below.is_some() {
            return;
        }
        let rows = bytes / MIN_ROW_BYTES;
        self.profile.reserve_stacks(rows, rows * FRAMES_PER_ROW);
    }

    /// Ends a segment of the log cut just before a header line (line `header` of the numbering
    /// this builder was fed): what that header does to the report it interrupts, without
    /// reading it (the next segment starts with it).
    pub(super) fn end_segment(&mut self, header: u64) {
        if self.open_nested > 0 {
            self.profile
                .diagnostics
                .note(HEADER_MID_REPORT, Position::Line(header));
        }
        self.close_report();
    }

    /// Moves what `part` built from the next segment of the log, whose line 1 is line
    /// `lines_before + 1` here, to the end of this builder: its reports after this one's
    /// (renumbered), its frames interned here in their order of first use in its stacks (the
    /// order one builder interns them, so ids are the same), its counts, facts and
    /// diagnostics added, and the names it drew unmarked kept for
    /// [`late_failures`](Self::late_failures). `part` must have no report open; it keeps its
    /// names and frame table (the next segment it reads needs the same ones) and the room of
    /// its stacks (refilled, not grown and faulted in again), the rest starts over. A part is
    /// absorbed by one builder only: it remembers the ids its frames got here.
    pub(super) fn absorb(&mut self, part: &mut Builder<'_>, lines_before: u64) {
        let first_report = self.profile.reports.len() as u32;
        // A part keeps its frame table from segment to segment, so the ids its frames got here
        // stay right: each is interned here once per part, not once per segment.
        let here = &mut part.absorbed_as;
        here.resize(part.profile.frames.len(), FrameId::MAX);
        self.profile
            .append_stacks(&mut part.profile, first_report, |frames, table, f| {
                let id = &mut here[f as usize];
                if *id == FrameId::MAX {
                    *id = match table.mark(f) {
                        Some((mark, module)) => {
                            frames.intern_marked(module, mark, table.category(f))
                        }
                        None => frames.intern(table.name(f), table.category(f)),
                    };
                }
                *id
            });
        for _ in part.profile.reports.drain(..) {
            let n = self.profile.reports.len() + 1;
            self.profile.reports.push(format!("python #{n}"));
        }
        let shift = |at: Position| match at {
            Position::Line(n) => Position::Line(n + lines_before),
            other => other,
        };
        for e in std::mem::take(&mut part.profile.diagnostics).entries() {
            self.profile
                .diagnostics
                .note_many(e.kind, e.count, e.first.map(shift));
        }
        for (&fact, &value) in &std::mem::take(&mut part.profile.facts) {
            let sum = self.profile.facts.entry(fact).or_default();
            *sum = sum.saturating_add(value);
        }
        let names = &mut part.names;
        let names_here = &mut part.names_absorbed_as;
        names_here.resize(names.list.len(), u32::MAX);
        for (id, plain) in names.plain.iter_mut().enumerate() {
            if std::mem::take(plain) {
                let here = &mut names_here[id];
                if *here == u32::MAX {
                    *here = self.names.id(&names.list[id]);
                }
                self.names.plain[*here as usize] = true;
            }
        }
        self.rows += std::mem::take(&mut part.rows);
        self.total = self.total.saturating_add(std::mem::take(&mut part.total));
    }

    /// What this builder holds that takes long to free (a few thousand names, its tables and
    /// its stacks' room), without the borrow of the options, so another thread can free it.
    pub(super) fn into_heavy(self) -> impl Send + 'static {
        (
            self.profile,
            self.names,
            self.failed_names,
            self.nodes,
            self.trie,
        )
    }

    pub(super) fn finish(mut self) -> Result<Profile> {
        self.close_report();
        if self.profile.reports.is_empty() {
            return Err(Error::no_data(
                "no \"import time:\" rows found (run Python with -X importtime and capture stderr)",
            ));
        }
        self.profile
            .facts
            .insert("reports", self.profile.reports.len() as u64);
        self.profile.facts.insert("rows", self.rows);
        Ok(self.profile)
    }
}
