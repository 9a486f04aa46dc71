//! The data every parser produces and every renderer consumes.
//!
//! A [`Profile`] is a set of stacks (root first) with integer weights, over an interned
//! [`FrameTable`]. Weights are integers so that sums do not depend on how the parallel fold split
//! the work (FORMATS.md §4: microseconds for importtime and pstats, samples for py-spy).
//! [`FrameTable::intern`] is the one place where `;`, CR and LF leave frame labels, so folded
//! output can always be split on `;` again.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::error::Error;

/// What the weights count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Wall or CPU time in whole microseconds (importtime, pstats).
    Microseconds,
    /// Sample counts (py-spy, folded stacks, sampling profilers).
    Samples,
    /// Bytes of memory (Austin's memory mode: the growth of resident memory between samples).
    Bytes,
}

impl Unit {
    /// Short name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Microseconds => "us",
            Unit::Samples => "samples",
            Unit::Bytes => "bytes",
        }
    }
}

/// Formats a weight for people: `850 µs`, `12.3 ms`, `1.25 s`, or `1,234 samples`.
pub fn human(weight: u64, unit: Unit) -> String {
    match unit {
        Unit::Microseconds => human_us(weight),
        Unit::Samples if weight == 1 => "1 sample".to_string(),
        Unit::Samples => format!("{} samples", thousands(weight)),
        Unit::Bytes => human_bytes(weight),
    }
}

/// `850 B`, `12.3 KiB`, `4.50 MiB`, `1.25 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.2} MiB", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    }
}

/// `850 µs`, `12.3 ms`, `1.25 s`.
pub fn human_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Which parser produced a profile; `diff` compares only profiles of the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputKind {
    /// `python -X importtime` log.
    Importtime,
    /// pstats file from cProfile, profile or a sampling profiler.
    Pstats,
    /// py-spy dump text or JSON.
    PySpyDump,
    /// Collapsed stacks (py-spy raw, flamegraph.pl, inferno).
    Folded,
    /// speedscope JSON.
    Speedscope,
    /// CPython 3.15's `profiling.sampling` (collapsed, dump, gecko, flamegraph HTML).
    Tachyon,
    /// Austin's collapsed samples (`# austin: 3.7.0` header, `P<pid>;T<tid>;…` lines).
    Austin,
    /// A Firefox Profiler processed profile that CPython 3.15 did not write (Firefox itself,
    /// or a converter).
    FirefoxProfiler,
}

impl InputKind {
    /// Human-readable name for messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Importtime => "importtime log",
            InputKind::Pstats => "pstats profile",
            InputKind::PySpyDump => "py-spy dump",
            InputKind::Folded => "folded stacks",
            InputKind::Speedscope => "speedscope profile",
            InputKind::Tachyon => "CPython sampling profile",
            InputKind::Austin => "Austin profile",
            InputKind::FirefoxProfiler => "Firefox Profiler profile",
        }
    }

    /// The name with its article, for sentences: `an importtime log`, `folded stacks`.
    pub fn a_name(self) -> String {
        let name = self.name();
        match self {
            InputKind::Folded => name.to_string(),
            InputKind::Importtime => format!("an {name}"),
            _ => format!("a {name}"),
        }
    }
}

/// What a frame is, for colouring: the graph tells these apart at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Category {
    /// Python's standard library.
    Stdlib,
    /// Installed third-party code (site-packages, dist-packages).
    SitePackages,
    /// The user's own code.
    FirstParty,
    /// C functions and built-ins (`<built-in method builtins.len>`).
    Builtin,
    /// Native frames (shared libraries, addresses).
    Native,
    /// An import that failed.
    Failed,
    /// Frames importflame adds: report, process and thread roots, `<unfinished>`, elisions.
    Synthetic,
    /// Anything else.
    #[default]
    Other,
}

impl Category {
    /// Name used in JSON output and the legend.
    pub fn name(self) -> &'static str {
        match self {
            Category::Stdlib => "stdlib",
            Category::SitePackages => "site-packages",
            Category::FirstParty => "first-party",
            Category::Builtin => "built-in",
            Category::Native => "native",
            Category::Failed => "failed",
            Category::Synthetic => "synthetic",
            Category::Other => "other",
        }
    }
}

/// What an importtime frame says beyond its module's name. The parser sets it and `check` reads
/// it, so no one parses a label back; the label shown is [`Mark::label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// The import failed: `numpy (failed)`.
    Failed,
    /// A 3.14 `-X importtime=2` row for a module already loaded: `sys (cached)`.
    Cached,
    /// Rows imported under a package that has no row of its own: `<untimed numpy>`.
    Untimed,
}

impl Mark {
    /// The label shown for `module` with this mark.
    pub fn label(self, module: &str) -> String {
        match self {
            Mark::Failed => format!("{module} (failed)"),
            Mark::Cached => format!("{module} (cached)"),
            Mark::Untimed => format!("<untimed {module}>"),
        }
    }
}

/// Index of a frame in its profile's [`FrameTable`].
pub type FrameId = u32;

/// Interned frame labels with their category and an optional tooltip detail.
#[derive(Clone, Debug, Default)]
pub struct FrameTable {
    names: Vec<String>,
    categories: Vec<Category>,
    details: Vec<Option<String>>,
    /// ahash, keyed per process: labels come from input that may be crafted to collide.
    index: ahash::HashMap<String, FrameId>,
    /// The few marked frames, with the module each one marks.
    marks: ahash::HashMap<FrameId, (Mark, String)>,
}

impl FrameTable {
    /// Returns the id of `label` (cleaned by [`clean_label`]), adding it on first use. The
    /// category of the first use wins.
    pub fn intern(&mut self, label: &str, category: Category) -> FrameId {
        self.intern_with(label, || category)
    }

    /// Like [`intern`](Self::intern), but works out the category only for a new label: a
    /// parser that sees the same module thousands of times classifies it once.
    pub fn intern_with(&mut self, label: &str, category: impl FnOnce() -> Category) -> FrameId {
        let label = clean_label(label);
        if let Some(&id) = self.index.get(label.as_ref()) {
            return id;
        }
        let category = category();
        let id = FrameId::try_from(self.names.len()).expect("fewer than 2^32 distinct frames");
        let label = label.into_owned();
        self.index.insert(label.clone(), id);
        self.names.push(label);
        self.categories.push(category);
        self.details.push(None);
        id
    }

    /// Returns the id of `module` with `mark` (labelled by [`Mark::label`]), adding it on first
    /// use as [`intern`](Self::intern) does.
    pub fn intern_marked(&mut self, module: &str, mark: Mark, category: Category) -> FrameId {
        let id = self.intern(&mark.label(module), category);
        self.marks
            .entry(id)
            .or_insert_with(|| (mark, module.to_string()));
        id
    }

    /// The mark of `id` and the module it marks; `None` for an unmarked frame.
    pub fn mark(&self, id: FrameId) -> Option<(Mark, &str)> {
        self.marks.get(&id).map(|(m, module)| (*m, module.as_str()))
    }

    /// The label of `id`.
    pub fn name(&self, id: FrameId) -> &str {
        &self.names[id as usize]
    }

    /// The category of `id`.
    pub fn category(&self, id: FrameId) -> Category {
        self.categories[id as usize]
    }

    /// Changes the category of `id` (a later row can show that an import failed).
    pub fn set_category(&mut self, id: FrameId, category: Category) {
        self.categories[id as usize] = category;
    }

    /// Extra tooltip text for `id` (`12 calls`).
    pub fn detail(&self, id: FrameId) -> Option<&str> {
        self.details[id as usize].as_deref()
    }

    /// Sets the extra tooltip text for `id`; [`unprintable`] characters become spaces, as in
    /// labels (a py-spy thread status comes from the input).
    pub fn set_detail(&mut self, id: FrameId, detail: String) {
        let detail = if detail.chars().any(unprintable) {
            detail
                .chars()
                .map(|c| if unprintable(c) { ' ' } else { c })
                .collect()
        } else {
            detail
        };
        self.details[id as usize] = Some(detail);
    }

    /// Number of distinct frames.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no frame was interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Makes a label safe for folded output and SVG: `;` becomes `:` (the stackcollapse
/// convention), line breaks and other [`unprintable`] characters become spaces, and a label ending in
/// ` <digits>` gets a `_` so it is never read back as a differential count (FORMATS.md §4).
pub fn clean_label(label: &str) -> Cow<'_, str> {
    // Fast path, one pass: printable ASCII without `;` that does not end in a digit.
    let b = label.as_bytes();
    if b.last().is_some_and(|c| !c.is_ascii_digit()) && is_plain(b) {
        return Cow::Borrowed(label);
    }
    let needs_char_fix = if label.is_ascii() {
        // The common case, byte by byte: ASCII controls are C0 and DEL.
        label.bytes().any(|b| b == b';' || b < 0x20 || b == 0x7F)
    } else {
        label.chars().any(|c| c == ';' || unprintable(c))
    };
    let ends_in_number = {
        let trimmed = label.trim_end_matches(|c: char| c.is_ascii_digit());
        trimmed.len() < label.len() && trimmed.ends_with(char::is_whitespace)
    };
    if !needs_char_fix && !ends_in_number && !label.is_empty() {
        return Cow::Borrowed(label);
    }
    let mut out: String = label
        .chars()
        .map(|c| match c {
            ';' => ':',
            c if unprintable(c) => ' ',
            c => c,
        })
        .collect();
    if ends_in_number {
        out.push('_');
    }
    if out.is_empty() {
        out.push_str("<empty>");
    }
    Cow::Owned(out)
}

/// Characters no label keeps: control characters, and U+FFFE and U+FFFF, which XML 1.0 does
/// not allow either (an SVG holding one does not open in a browser).
pub fn unprintable(c: char) -> bool {
    c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// True when every byte is printable ASCII other than `;` (0x20..=0x7E). Runs once per
/// importtime row: 8 bytes per step with the classic "has a byte less than / more than / equal
/// to" word tricks (each exact for these constants), the rest byte by byte.
fn is_plain(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above_tilde = (x.wrapping_add(ONES) | x) & HIGH; // a byte > 0x7E
        let semicolons = x ^ (ONES * u64::from(b';'));
        let semicolon = semicolons.wrapping_sub(ONES) & !semicolons & HIGH;
        if below_space | above_tilde | semicolon != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&c| (0x20..0x7F).contains(&c) && c != b';')
}

/// One stack of a profile, borrowed from its arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackRef<'a> {
    /// Frames, root first.
    pub frames: &'a [FrameId],
    /// Weight in the profile's unit.
    pub weight: u64,
    /// Index into [`Profile::reports`] (0 when the profile has no reports).
    pub report: u32,
}

#[derive(Clone, Copy, Debug)]
struct StackEntry {
    start: u32,
    len: u32,
    weight: u64,
    report: u32,
}

/// Everything one input yields.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Which parser produced it.
    pub kind: InputKind,
    /// What the weights count.
    pub unit: Unit,
    /// Interned frame labels.
    pub frames: FrameTable,
    /// Labels of the reports (importtime: `python #1`, `python #2`; repeated runs), in input
    /// order. Empty when the input has no such structure; then no report root is drawn.
    pub reports: Vec<String>,
    /// What was skipped, repaired or guessed.
    pub diagnostics: Diagnostics,
    /// Named facts for titles and JSON (`modules`, `exact_us`, `apportioned_us`, `samples`).
    pub facts: BTreeMap<&'static str, u64>,
    /// What `--focus`, `--drop` and the other filters did; `None` when none was given.
    pub filtered: Option<crate::filter::Applied>,
    arena: Vec<FrameId>,
    stacks: Vec<StackEntry>,
}

impl Profile {
    /// An empty profile.
    pub fn new(kind: InputKind, unit: Unit) -> Self {
        Profile {
            kind,
            unit,
            frames: FrameTable::default(),
            reports: Vec::new(),
            diagnostics: Diagnostics::default(),
            facts: BTreeMap::new(),
            filtered: None,
            arena: Vec::new(),
            stacks: Vec::new(),
        }
    }

    /// Adds a stack (root first). Stacks may repeat; the fold adds them up.
    pub fn push_stack(&mut self, frames: &[FrameId], weight: u64, report: u32) {
        let start = u32::try_from(self.arena.len()).expect("fewer than 2^32 frames in stacks");
        self.arena.extend_from_slice(frames);
        self.stacks.push(StackEntry {
            start,
            len: frames.len() as u32,
            weight,
            report,
        });
    }

    /// Moves every stack of `other` to the end of this profile's, in order, as if each had
    /// been pushed here: frame id `f` becomes `frame(&mut self.frames, &other.frames, f)`,
    /// called on the frames in the order they were pushed (so interning on first use interns
    /// in the order of use), and report `r` becomes `first_report + r`. One bulk copy instead
    /// of a push per stack, and `other` keeps its room: a parallel parser refills it segment
    /// after segment, where a fresh profile per segment grew, and faulted in, its buffers again.
    pub fn append_stacks(
        &mut self,
        other: &mut Profile,
        first_report: u32,
        mut frame: impl FnMut(&mut FrameTable, &FrameTable, FrameId) -> FrameId,
    ) {
        u32::try_from(self.arena.len() + other.arena.len())
            .expect("fewer than 2^32 frames in stacks");
        let base = self.arena.len() as u32;
        self.grow(other.arena.len(), other.stacks.len());
        let (frames, theirs) = (&mut self.frames, &other.frames);
        self.arena
            .extend(other.arena.drain(..).map(|f| frame(frames, theirs, f)));
        self.stacks
            .extend(other.stacks.drain(..).map(|e| StackEntry {
                start: e.start + base,
                report: e.report + first_report,
                ..e
            }));
    }

    /// Makes room for `stacks` more stacks of `frames` frames in all, so that a parser that
    /// knows about how many it will push grows its buffers once (room never written to is
    /// never faulted in).
    pub fn reserve_stacks(&mut self, stacks: usize, frames: usize) {
        self.grow(frames, stacks);
    }

    /// Room for `frames` more frames and `stacks` more stacks (doubling, as `Vec` grows).
    fn grow(&mut self, frames: usize, stacks: usize) {
        self.arena.reserve(frames);
        self.stacks.reserve(stacks);
    }

    /// Adds `weight` to the `i`th stack pushed, for a parser that meets a stack again and
    /// keeps one entry per distinct stack (memory for what is drawn, not for what is read);
    /// `None` when its weight would pass 2^64.
    pub fn add_weight(&mut self, i: usize, weight: u64) -> Option<()> {
        let entry = &mut self.stacks[i];
        entry.weight = entry.weight.checked_add(weight)?;
        Some(())
    }

    /// Number of stacks pushed.
    pub fn stack_count(&self) -> usize {
        self.stacks.len()
    }

    /// The stacks, in the order they were pushed.
    pub fn stacks(&self) -> impl ExactSizeIterator<Item = StackRef<'_>> + '_ {
        self.stacks.iter().map(|e| self.stack_ref(e))
    }

    /// The `i`th stack.
    pub fn stack(&self, i: usize) -> StackRef<'_> {
        self.stack_ref(&self.stacks[i])
    }

    fn stack_ref(&self, e: &StackEntry) -> StackRef<'_> {
        StackRef {
            frames: &self.arena[e.start as usize..(e.start + e.len) as usize],
            weight: e.weight,
            report: e.report,
        }
    }

    /// Sum of all weights, saturating: weights come from the input, and [`crate::fold::fold`]
    /// refuses inputs whose weights do not fit in 64 bits.
    pub fn total(&self) -> u64 {
        self.stacks
            .iter()
            .fold(0u64, |t, e| t.saturating_add(e.weight))
    }

    /// Sum of all weights, or `None` when it does not fit in 64 bits.
    pub fn checked_total(&self) -> Option<u64> {
        self.stacks
            .iter()
            .try_fold(0u64, |t, e| t.checked_add(e.weight))
    }

    /// Label of the stack's path: frames joined by `;`, with the report root (when the
    /// profile has reports) first.
    pub fn stack_label(&self, stack: StackRef<'_>) -> String {
        let mut label = String::new();
        if let Some(report) = self.reports.get(stack.report as usize) {
            label.push_str(&clean_label(report));
        }
        for &f in stack.frames {
            if !label.is_empty() {
                label.push(';');
            }
            label.push_str(self.frames.name(f));
        }
        label
    }

    /// The folded stacks, one per distinct path, sorted; a plain sequential reference for the
    /// parallel `fold` and for tests.
    pub fn folded_lines(&self) -> Vec<(String, u64)> {
        let mut sums: BTreeMap<String, u64> = BTreeMap::new();
        for stack in self.stacks() {
            *sums.entry(self.stack_label(stack)).or_default() += stack.weight;
        }
        sums.into_iter().collect()
    }
}

/// A cap on the memory that the stacks of one input may take up, for the formats whose
/// stacks share their prefixes in the input (Gecko's stack table, speedscope's evented
/// profiles, d3-flamegraph trees): there, a chain of N nested frames, each sampled once, takes
/// O(N) bytes but makes O(N²) frames of stacks. 258 KB of Gecko JSON used to make 1.2 GB and a
/// minute of work; the cap keeps memory within a small multiple of the input. Linear formats
/// (folded, py-spy dumps, importtime) cannot exceed it and do not check.
#[derive(Clone, Copy, Debug)]
pub struct ExpansionBudget {
    left: u64,
    limit: u64,
}

impl ExpansionBudget {
    /// 8 bytes of folded text per input byte, plus 64 MiB: far above real profiles (a 3.15
    /// Gecko file makes about 1 byte per byte), far below what would exhaust memory.
    pub fn for_input(input_len: usize) -> Self {
        let limit = (input_len as u64)
            .saturating_mul(8)
            .saturating_add(64 << 20);
        ExpansionBudget { left: limit, limit }
    }

    /// Charges what `frames` will cost: its folded text (names and separators) and its place in
    /// the stack arena; an error once the cap is passed.
    pub fn spend(&mut self, table: &FrameTable, frames: &[FrameId]) -> Result<(), Error> {
        const STORED: u64 = 1 + size_of::<FrameId>() as u64;
        let cost = frames
            .iter()
            .map(|&f| table.name(f).len() as u64 + STORED)
            .sum::<u64>();
        self.left = self.left.checked_sub(cost).ok_or_else(|| {
            Error::invalid(format!(
                "its stacks expand to more than {} MiB (8 times the input plus 64 MiB): a deep \
                 stack table whose every level is sampled, too large to draw",
                self.limit >> 20
            ))
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_read_as_people_write_them() {
        for (us, expected) in [
            (0, "0 µs"),
            (850, "850 µs"),
            (12_345, "12.3 ms"),
            (1_250_000, "1.25 s"),
        ] {
            assert_eq!(human_us(us), expected);
        }
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }

    #[test]
    fn the_expansion_budget_stops_quadratic_stacks() {
        let mut p = Profile::new(InputKind::Folded, Unit::Samples);
        let a = p.frames.intern("ab", Category::Other);
        let mut budget = ExpansionBudget::for_input(0);
        let path = vec![a; 1 << 20];
        assert!(budget.spend(&p.frames, &path).is_ok(), "7 MiB of 64");
        let err = (0..30).try_for_each(|_| budget.spend(&p.frames, &path));
        assert!(err.unwrap_err().to_string().contains("more than 64 MiB"));
    }

    #[test]
    fn labels_lose_semicolons_and_line_breaks() {
        for (input, expected) in [
            ("numpy", "numpy"),
            ("a;b", "a:b"),
            ("a\r\nb", "a  b"),
            ("frame 42", "frame 42_"),
            ("py311", "py311"),
            ("", "<empty>"),
            ("tab\there", "tab here"),
            ("not\u{FFFF}xml\u{FFFE}", "not xml "),
        ] {
            assert_eq!(clean_label(input), expected, "{input:?}");
        }
    }

    #[test]
    fn the_word_check_agrees_with_the_byte_check() {
        let plain = |b: &[u8]| b.iter().all(|&c| (0x20..0x7F).contains(&c) && c != b';');
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for bad in [0x00u8, 0x1F, 0x20, 0x3A, 0x3B, 0x3C, 0x7E, 0x7F, 0x80, 0xFF] {
            for at in 0..17 {
                let mut v = b"numpy.core.multiarray".to_vec();
                v[at] = bad;
                cases.push(v);
            }
        }
        cases.push(b"".to_vec());
        cases.push(b"abcdefgh".to_vec());
        for case in cases {
            assert_eq!(is_plain(&case), plain(&case), "{case:?}");
        }
    }

    #[test]
    fn interning_returns_the_same_id_for_the_same_label() {
        let mut t = FrameTable::default();
        let a = t.intern("a;b", Category::Stdlib);
        let b = t.intern("a:b", Category::Failed);
        assert_eq!(a, b);
        assert_eq!(t.category(a), Category::Stdlib);
    }

    #[test]
    fn stacks_are_stored_in_order() {
        let mut p = Profile::new(InputKind::Folded, Unit::Samples);
        let a = p.frames.intern("a", Category::Other);
        let b = p.frames.intern("b", Category::Other);
        p.push_stack(&[a, b], 3, 0);
        p.push_stack(&[a], 2, 0);
        assert_eq!(p.stack(0).frames, &[a, b]);
        assert_eq!(p.total(), 5);
    }

    #[test]
    fn appended_stacks_follow_in_order_with_frames_interned_in_order_of_use() {
        let mut p = Profile::new(InputKind::Importtime, Unit::Microseconds);
        let x = p.frames.intern("x", Category::Other);
        p.push_stack(&[x], 1, 0);
        let mut part = Profile::new(InputKind::Importtime, Unit::Microseconds);
        // Interned b first, but a is used first: a must get the lower id here.
        let b = part.frames.intern("b", Category::Stdlib);
        let a = part.frames.intern("a", Category::Other);
        part.push_stack(&[a, b], 3, 0);
        part.push_stack(&[a], 2, 1);
        p.append_stacks(&mut part, 1, |frames, theirs, f| {
            frames.intern(theirs.name(f), theirs.category(f))
        });
        let stacks: Vec<(Vec<&str>, u64, u32)> = p
            .stacks()
            .map(|s| {
                let names = s.frames.iter().map(|&f| p.frames.name(f)).collect();
                (names, s.weight, s.report)
            })
            .collect();
        assert_eq!(
            stacks,
            [(vec!["x"], 1, 0), (vec!["a", "b"], 3, 1), (vec!["a"], 2, 2)]
        );
        assert_eq!((p.frames.name(1), p.frames.name(2)), ("a", "b"));
        assert_eq!(p.frames.category(2), Category::Stdlib);
        // The part is emptied but keeps its frames for the next segment it reads.
        assert_eq!((part.stack_count(), part.total()), (0, 0));
        assert_eq!(part.frames.len(), 2);
        part.push_stack(&[b], 4, 0);
        assert_eq!(part.stack(0).frames, &[b]);
    }
}
