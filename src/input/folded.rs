//! Collapsed ("folded") stacks (FORMATS.md §4, py-spy's `record -f raw` in §3.3): one stack per
//! line, frames root first joined by `;`, then whitespace and a count, as flamegraph.pl,
//! inferno's collapsers, importtime-convert and py-spy write them:
//!
//! ```text
//! thread (5133): spinner;Thread._bootstrap (threading.py:1002);worker (busy.py:12) 94
//! process 19415:"python spy_multiproc.py 4";process 19422:"python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=6)";<module> (<string>:1) 3
//! ```
//!
//! Decisions:
//! - The count is the last whitespace-separated token, `digits[.digits]`. A fractional count is
//!   rounded to the nearest integer (weights are integers so sums do not depend on the parallel
//!   fold) and reported; one that rounds to 0 keeps no stack.
//! - A differential line (`stack BEFORE AFTER`, difffolded.pl) keeps the second count, the
//!   "after" profile whose shape a differential graph draws, and is reported.
//! - A line that is not `stack count` is skipped and reported, with a count and the first
//!   line number; so are comment lines (`# …`, `// …`). Detection wants two thirds of the
//!   first 50 lines that are not comments to be stacks. An input with no stack at all is an
//!   error. An empty frame (`a;;b`) is drawn as `<empty>` and reported.
//! - py-spy's raw line for a sample in which no Python frame was found has an empty stack
//!   (` 23`): it counts, as the root frame `<no Python frame>`, so the total is py-spy's.
//! - A frame in py-spy's form `name (file:line)` loses its line (`name (file)`): the line is the
//!   one executing when sampled, so a function sampled at two lines would be two frames side by
//!   side. `--keep-lines` ([`ParseOptions::keep_lines`]) keeps it.
//! - py-spy's `process PID:"CMDLINE"` frame is re-joined when the command line holds `;`, so it
//!   stays one frame (its `;` then become `:` in the label, see [`crate::model::clean_label`]).

use std::borrow::Cow;
use std::io::Read;

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::{Category, FrameId, InputKind, Profile, Unit};

use super::{ParseOptions, pyframe, stream, text};

/// A line that does not end in a count.
pub const MALFORMED: IssueKind = IssueKind {
    id: "folded.malformed",
    one: "line that is not `stack count` skipped",
    many: "lines that are not `stack count` skipped",
};

/// A fractional count, rounded.
pub const FRACTION: IssueKind = IssueKind {
    id: "folded.fraction",
    one: "fractional count rounded to an integer",
    many: "fractional counts rounded to integers",
};

/// A differential line with two counts.
pub const DIFFERENTIAL: IssueKind = IssueKind {
    id: "folded.differential",
    one: "differential line (two counts): kept the second count",
    many: "differential lines (two counts): kept the second count",
};

/// A comment line (`# …`, `// …`), as speedscope's and Austin's files have.
pub const COMMENT: IssueKind = IssueKind {
    id: "folded.comment",
    one: "comment line skipped",
    many: "comment lines skipped",
};

/// A frame with no text (`a;;b`), drawn as `<empty>`.
pub const EMPTY_FRAME: IssueKind = IssueKind {
    id: "folded.empty-frame",
    one: "empty frame (`;;`) drawn as `<empty>`",
    many: "empty frames (`;;`) drawn as `<empty>`",
};

/// The frame of a sample that holds no Python frame: py-spy's raw output writes such a
/// sample as a line with an empty stack, ` 23`.
pub const NO_PYTHON_FRAME: &str = "<no Python frame>";

/// A `process PID:"…` frame whose closing quote never came.
pub const UNCLOSED_PROCESS: IssueKind = IssueKind {
    id: "folded.unclosed-process",
    one: "process frame without its closing quote split at `;`",
    many: "process frames without their closing quote split at `;`",
};

/// A py-spy thread name holding `;`, re-joined.
pub const THREAD_NAME_JOINED: IssueKind = IssueKind {
    id: "folded.thread-name-joined",
    one: "thread name holding `;` re-joined (a guess: pieces before the first `name (file)` frame)",
    many: "thread names holding `;` re-joined (a guess: pieces before the first `name (file)` frame)",
};

/// How many non-empty lines `sniff` looks at.
const SNIFF_LINES: usize = 50;

/// Folded stacks: most of the first non-empty lines end in a count and hold a frame before it.
/// This is the most forgiving format, so detection tries it last.
///
/// Lines are read whole (within the first 16 MiB) but judged by their last 4 KiB, where the
/// count is: a 200,000-frame stack is one line of megabytes, and cutting it at a fixed head
/// size would hide its count.
pub fn sniff(data: &[u8]) -> bool {
    judge(data, false).0
}

/// [`sniff`] of an input of which `head` is the start and more follows, or `None` when its
/// verdict could change with what follows (the lines it judges run to the head's end).
pub fn sniff_head(head: &[u8]) -> Option<bool> {
    match judge(head, true) {
        (verdict, true) => Some(verdict),
        (_, false) => None,
    }
}

/// The verdict of [`sniff`], and whether it was reached before the end of the lines in view
/// (with `more`, `data` is only the start of the input).
fn judge(data: &[u8], more: bool) -> (bool, bool) {
    const HEAD: usize = 16 << 20;
    const TAIL: usize = 4 << 10;
    let head = &data[..data.len().min(HEAD)];
    // Binary files (a gperftools profile) can hold a "line" ending in digits.
    if super::detect::looks_binary(&head[..head.len().min(4096)]) {
        return (false, true);
    }
    let cut = more || data.len() > head.len();
    let mut good = 0;
    let mut seen = 0;
    let mut taken = 0;
    let mut decided = false;
    for (_, line) in text::lines(head).take(SNIFF_LINES * 4) {
        if cut && line.as_ptr_range().end == head.as_ptr_range().end {
            break; // cut by the head limit: its count is not in view
        }
        taken += 1;
        let line = String::from_utf8_lossy(&line[line.len().saturating_sub(TAIL)..]);
        if line.trim().is_empty() {
            continue;
        }
        if is_comment(&line) {
            continue;
        }
        seen += 1;
        if split_count(&line).is_some() {
            good += 1;
        }
        if seen == SNIFF_LINES {
            decided = true;
            break;
        }
    }
    decided |= taken == SNIFF_LINES * 4 && seen < SNIFF_LINES;
    // Most, not all: inferno's and speedscope's own fixtures hold a bad line or two, which
    // the reader skips and reports.
    (good > 0 && good * 3 >= seen * 2, decided)
}

/// `# …` and `// …` lines: comments in speedscope's and Austin's folded files, invalid lines
/// to flamegraph.pl, never stacks.
fn is_comment(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with('#') || line.starts_with("//")
}

/// py-spy's raw line for a sample without a Python frame: an empty stack, then the count
/// (` 23`).
fn empty_stack_count(line: &str) -> Option<u64> {
    let count = line.strip_prefix([' ', '\t'])?.trim();
    parse_count(count).map(|(n, _)| n)
}

/// Parses folded stacks; frames get py-spy's categories when they look like py-spy frames.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let mut profile = Profile::new(InputKind::Folded, Unit::Samples);
    let mut mapper = pyspy_frames(opts);
    let mut folder = Folder::new(&mut mapper, true, opts);
    for (number, line) in text::lines(data) {
        folder.line(&mut profile, number, &line)?;
    }
    folder.finish(&mut profile)?;
    Ok(profile)
}

/// [`parse`] of the text `reader` yields, a chunk at a time ([`stream::each_line`]): memory
/// holds the distinct stacks, not the lines.
pub fn parse_reader(reader: impl Read, opts: &ParseOptions) -> Result<Profile> {
    let mut profile = Profile::new(InputKind::Folded, Unit::Samples);
    let mut mapper = pyspy_frames(opts);
    let mut folder = Folder::new(&mut mapper, true, opts);
    stream::each_line(reader, |number, line| {
        folder.line(&mut profile, number, line)
    })?;
    folder.finish(&mut profile)?;
    Ok(profile)
}

/// The frame mapper of plain folded stacks: py-spy's categories and root frames.
fn pyspy_frames(opts: &ParseOptions) -> impl FnMut(&str, usize) -> (Cow<'_, str>, Category) + '_ {
    move |frame, _| {
        let category = if is_root_frame(frame) {
            Category::Synthetic
        } else {
            pyframe::category_of_label(frame, opts)
        };
        // py-spy's raw frames carry the executing line; one function is one frame.
        (pyframe::merge_line(frame, opts), category)
    }
}

/// py-spy's pseudo-frames: `process PID:"CMDLINE"` and `thread (TID): NAME`.
pub(crate) fn is_root_frame(frame: &str) -> bool {
    process_prefix_len(frame).is_some()
        || frame
            .strip_prefix("thread (")
            .and_then(|r| r.split_once(')'))
            .is_some_and(|(tid, _)| !tid.is_empty() && tid.bytes().all(|b| b.is_ascii_digit()))
}

/// Length of `process DIGITS:"` at the start of `frame`.
fn process_prefix_len(frame: &str) -> Option<usize> {
    let rest = frame.strip_prefix("process ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && rest[digits..].starts_with(":\"")).then_some(8 + digits + 2)
}

/// Turns a frame's text (and its index from the root) into a label and a category.
pub(crate) type FrameMapper<'f> = dyn FnMut(&str, usize) -> (Cow<'_, str>, Category) + 'f;

/// Folded lines read one at a time into a profile, whole text or stream alike, each frame
/// text turned into a label and category by `frame` (called with the frame and its index from
/// the root). Shared with CPython 3.15's `--collapsed` reader, which renames its frames.
///
/// With `pure` (the mapper depends on its arguments only), a stack text met again reuses the
/// frames found the first time: a py-spy recording repeats its stacks thousands of times, and
/// taking each line apart again was most of the parse. Unless the order is drawn
/// ([`ParseOptions::keep_order`]), its weight is also added to the stack's first entry, so
/// memory holds one entry per distinct stack text, not one per line.
pub(crate) struct Folder<'m, 'f> {
    frame: &'m mut FrameMapper<'f>,
    ids: Vec<FrameId>,
    repeats: Option<ahash::HashMap<Box<str>, Seen>>,
    repeat_ids: Vec<FrameId>,
    merge: bool,
    /// The entry of the empty-stack line (` 23`), when merged.
    no_frame: Option<usize>,
}

impl<'m, 'f> Folder<'m, 'f> {
    pub(crate) fn new(frame: &'m mut FrameMapper<'f>, pure: bool, opts: &ParseOptions) -> Self {
        Folder {
            frame,
            ids: Vec::new(),
            repeats: pure.then(Default::default),
            repeat_ids: Vec::new(),
            merge: pure && !opts.keep_order,
            no_frame: None,
        }
    }

    /// Reads line `number` (cleaned as [`text::lines`] cleans it).
    pub(crate) fn line(&mut self, profile: &mut Profile, number: u64, line: &[u8]) -> Result<()> {
        let at = Position::Line(number);
        let line = String::from_utf8_lossy(line);
        if line.trim().is_empty() {
            return Ok(());
        }
        let Some(parsed) = split_count(&line) else {
            if is_comment(&line) {
                profile.diagnostics.note(COMMENT, at);
            } else if let Some(count) = empty_stack_count(&line) {
                let id = profile.frames.intern(NO_PYTHON_FRAME, Category::Synthetic);
                if count > 0 {
                    let entry = push_or_add(profile, self.no_frame, &[id], count)?;
                    if self.merge {
                        self.no_frame = Some(entry);
                    }
                }
            } else {
                profile.diagnostics.note(MALFORMED, at);
            }
            return Ok(());
        };
        if parsed.differential {
            profile.diagnostics.note(DIFFERENTIAL, at);
        }
        if parsed.fractional {
            profile.diagnostics.note(FRACTION, at);
        }
        if parsed.count == 0 {
            return Ok(());
        }
        if let Some(known) = self.repeats.as_ref().and_then(|r| r.get(parsed.stack)) {
            // A stack seen before: its frames and notes again, without taking it apart.
            known.note(&mut profile.diagnostics, at);
            let frames = &self.repeat_ids[known.start..known.start + known.len];
            push_or_add(profile, known.entry, frames, parsed.count)?;
            return Ok(());
        }
        let mut pieces: Vec<Cow<'_, str>> = Vec::new();
        let mut seen = Seen {
            start: self.repeat_ids.len(),
            len: 0,
            unclosed: !split_frames(parsed.stack, &mut pieces),
            joined: join_thread_name(&mut pieces),
            empty: 0,
            entry: None,
        };
        self.ids.clear();
        for (i, piece) in pieces.iter().enumerate() {
            let (label, category) = (self.frame)(piece, i);
            seen.empty += u32::from(label.is_empty());
            self.ids.push(profile.frames.intern(&label, category));
        }
        seen.note(&mut profile.diagnostics, at);
        profile.push_stack(&self.ids, parsed.count, 0);
        if let Some(repeats) = self.repeats.as_mut() {
            seen.len = self.ids.len();
            seen.entry = self.merge.then(|| profile.stack_count() - 1);
            self.repeat_ids.extend_from_slice(&self.ids);
            repeats.insert(parsed.stack.into(), seen);
        }
        Ok(())
    }

    /// Ends the input: an error when it held no stack; else the `samples` fact.
    pub(crate) fn finish(self, profile: &mut Profile) -> Result<()> {
        if profile.stack_count() == 0 {
            return Err(Error::no_data(
                "no folded stacks found (expected lines of `frame;frame;frame COUNT`)",
            ));
        }
        let total = checked_total(profile)?;
        profile.facts.insert("samples", total);
        Ok(())
    }
}

/// Pushes `ids` with `count`, or adds `count` to the entry `merged` when there is one (a
/// stack met again, merged into its first entry); the entry either way. Shared by the sampled
/// readers that merge repeated stacks as they read.
pub(crate) fn push_or_add(
    profile: &mut Profile,
    merged: Option<usize>,
    ids: &[FrameId],
    count: u64,
) -> Result<usize> {
    match merged {
        Some(i) => {
            profile.add_weight(i, count).ok_or_else(too_many)?;
            Ok(i)
        }
        None => {
            profile.push_stack(ids, count, 0);
            Ok(profile.stack_count() - 1)
        }
    }
}

/// The error of weights that do not fit in 64 bits.
pub(crate) fn too_many() -> Error {
    Error::invalid("sample counts add up to more than 2^64")
}

/// A stack text already taken apart: where its frames are, and what it noted.
struct Seen {
    start: usize,
    len: usize,
    unclosed: bool,
    joined: bool,
    empty: u32,
    /// Its entry in the profile, when stacks met again are merged into it.
    entry: Option<usize>,
}

impl Seen {
    fn note(&self, diagnostics: &mut crate::diagnostics::Diagnostics, at: Position) {
        if self.unclosed {
            diagnostics.note(UNCLOSED_PROCESS, at);
        }
        if self.joined {
            diagnostics.note(THREAD_NAME_JOINED, at);
        }
        for _ in 0..self.empty {
            diagnostics.note(EMPTY_FRAME, at);
        }
    }
}

/// The sum of all weights, or an error when it does not fit in 64 bits: counts come from the
/// input, and [`Profile::total`] adds them unchecked. Every sampled reader ends with this.
pub(crate) fn checked_total(profile: &Profile) -> Result<u64> {
    profile
        .stacks()
        .try_fold(0u64, |t, s| t.checked_add(s.weight))
        .ok_or_else(too_many)
}

/// A line taken apart.
#[derive(Debug, PartialEq)]
struct Line<'a> {
    stack: &'a str,
    count: u64,
    fractional: bool,
    differential: bool,
}

/// Splits `stack COUNT` (or `stack BEFORE AFTER`) at the last whitespace.
fn split_count(line: &str) -> Option<Line<'_>> {
    let line = line.trim_end();
    let (rest, last) = split_last_token(line)?;
    let (count, fractional) = parse_count(last)?;
    let mut stack = rest;
    let mut differential = false;
    if let Some((before_rest, before)) = split_last_token(rest)
        && parse_count(before).is_some()
        && !before_rest.is_empty()
    {
        stack = before_rest;
        differential = true;
    }
    if stack.is_empty() {
        return None;
    }
    Some(Line {
        stack,
        count,
        fractional,
        differential,
    })
}

/// `(everything before the last whitespace run, the last token)`.
fn split_last_token(line: &str) -> Option<(&str, &str)> {
    let i = line.rfind([' ', '\t'])?;
    let token = &line[i + 1..];
    let rest = line[..i].trim_end_matches([' ', '\t']);
    (!token.is_empty()).then_some((rest, token))
}

/// `12`, `12.`, `12.5` (FORMATS.md §4): the integer, rounded half up, and whether it had a
/// non-zero fraction.
fn parse_count(token: &str) -> Option<(u64, bool)> {
    let (int, frac) = match token.split_once('.') {
        Some((i, f)) => (i, f),
        None => (token, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = int.parse().ok()?;
    let fractional = frac.bytes().any(|b| b != b'0');
    let round_up = frac.as_bytes().first().is_some_and(|&b| b >= b'5');
    Some((whole.checked_add(u64::from(round_up))?, fractional))
}

/// Splits a stack at `;`, re-joining py-spy's `process PID:"CMDLINE"` frames whose command
/// line holds `;` (FORMATS.md §3.3). Returns false when such a frame never closed (then it is
/// split like any other).
fn split_frames<'a>(stack: &'a str, out: &mut Vec<Cow<'a, str>>) -> bool {
    let mut closed = true;
    let mut parts = stack.split(';').peekable();
    while let Some(part) = parts.next() {
        let opens =
            process_prefix_len(part).is_some_and(|n| part.len() == n || !part.ends_with('"'));
        if !opens {
            out.push(Cow::Borrowed(part));
            continue;
        }
        // Look ahead for the piece that ends the quoted command line.
        let mut joined = part.to_string();
        let mut taken = Vec::new();
        let mut found = false;
        while let Some(&next) = parts.peek() {
            joined.push(';');
            joined.push_str(next);
            taken.push(next);
            parts.next();
            if next.ends_with('"') {
                found = true;
                break;
            }
        }
        if found {
            out.push(Cow::Owned(joined));
        } else {
            closed = false;
            out.push(Cow::Borrowed(part));
            out.extend(taken.into_iter().map(Cow::Borrowed));
        }
    }
    closed
}

/// py-spy's `thread (TID): NAME` frame does not escape `;` in NAME either
/// (`thread (23506): sleeper;semi;0x7fac47d278ec (libc.so.6)`, seen with a real capture).
/// Pieces right after it that do not end in `)` are joined back to it, but only when a later
/// piece does end in `)`: py-spy frames read `name (file:line)`, so those pieces cannot be
/// frames of this stack. Returns true when something was joined.
fn join_thread_name(pieces: &mut Vec<Cow<'_, str>>) -> bool {
    let Some(i) = pieces.iter().position(|p| {
        p.strip_prefix("thread (")
            .and_then(|r| r.split_once("): "))
            .is_some_and(|(tid, _)| !tid.is_empty() && tid.bytes().all(|b| b.is_ascii_digit()))
    }) else {
        return false;
    };
    let Some(first_frame) = pieces[i + 1..].iter().position(|p| p.ends_with(')')) else {
        return false;
    };
    if first_frame == 0 {
        return false;
    }
    let joined = pieces[i..=i + first_frame].join(";");
    pieces.splice(i..=i + first_frame, [Cow::Owned(joined)]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_the_last_token() {
        for (input, expected) in [
            ("a;b 3", Some(("a;b", 3, false, false))),
            ("a b;c\t7", Some(("a b;c", 7, false, false))),
            ("a;b 1.5", Some(("a;b", 2, true, false))),
            ("a;b 1.4", Some(("a;b", 1, true, false))),
            ("a;b 12.", Some(("a;b", 12, false, false))),
            ("a;b 3 5", Some(("a;b", 5, false, true))),
            ("frame 42 7", Some(("frame", 7, false, true))),
            ("a;b 1e3", None),
            ("a;b .5", None),
            ("a;b -3", None),
            ("a;b", None),
            ("17", None),
            ("a;b 99999999999999999999999", None),
        ] {
            let got = split_count(input).map(|l| (l.stack, l.count, l.fractional, l.differential));
            assert_eq!(got, expected, "{input}");
        }
    }

    #[test]
    fn process_frames_with_semicolons_stay_whole() {
        for (input, expected) in [
            ("a;b", vec!["a", "b"]),
            (
                "process 1:\"python -c import a; a.main()\";main (a.py:3)",
                vec![
                    "process 1:\"python -c import a; a.main()\"",
                    "main (a.py:3)",
                ],
            ),
            (
                "process 1:\"x\";process 2:\"y;z;w\";f",
                vec!["process 1:\"x\"", "process 2:\"y;z;w\"", "f"],
            ),
            ("process 1:\"open;f;g", vec!["process 1:\"open", "f", "g"]),
            ("process 1:\";\";f", vec!["process 1:\";\"", "f"]),
        ] {
            let mut out = Vec::new();
            split_frames(input, &mut out);
            assert_eq!(out, expected, "{input}");
        }
    }

    #[test]
    fn thread_names_with_semicolons_are_joined_when_frames_follow() {
        for (input, expected, joined) in [
            (
                "thread (5): a;b;f (x.py:1)",
                vec!["thread (5): a;b", "f (x.py:1)"],
                true,
            ),
            (
                "thread (5): a;f (x.py:1)",
                vec!["thread (5): a", "f (x.py:1)"],
                false,
            ),
            ("thread (5): a;b", vec!["thread (5): a", "b"], false),
            (
                "process 1:\"p\";thread (5): a;b;c;0x1 (libc.so.6)",
                vec!["process 1:\"p\"", "thread (5): a;b;c", "0x1 (libc.so.6)"],
                true,
            ),
        ] {
            let mut out = Vec::new();
            split_frames(input, &mut out);
            assert_eq!(join_thread_name(&mut out), joined, "{input}");
            assert_eq!(out, expected, "{input}");
        }
    }

    #[test]
    fn a_stack_longer_than_any_fixed_head_is_still_detected() {
        let deep = format!("{} 5\n", vec!["frame"; 100_000].join(";"));
        assert!(sniff(deep.as_bytes()));
        // Without its end in view there is no count to see.
        assert!(!sniff(&deep.as_bytes()[..1 << 16]));
    }

    #[test]
    fn comments_and_a_few_bad_lines_do_not_hide_the_stacks() {
        // speedscope's sample/profiles/stackcollapse/simple-with-invalids.txt
        let data = b"# comment that gives extra info about the samples\n// some other comment\n\
            a;b;c 1\na;b;c 1\na;b;d 4\na;b;c 3\na;b 5\ninvalid line";
        assert!(sniff(data));
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.total(), 14);
        let notes: Vec<String> = p.diagnostics.entries().map(|e| e.message()).collect();
        assert_eq!(
            notes,
            [
                "2 comment lines skipped (first at line 1)",
                "1 line that is not `stack count` skipped (first at line 8)"
            ]
        );
    }

    #[test]
    fn an_empty_py_spy_stack_counts_as_no_python_frame() {
        let p = parse(b"main (a.py:3) 364\n 23\n", &ParseOptions::default()).unwrap();
        assert_eq!(p.total(), 387);
        assert_eq!(
            p.folded_lines(),
            vec![
                ("<no Python frame>".to_string(), 23),
                ("main (a.py)".to_string(), 364)
            ]
        );
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn empty_frames_are_reported() {
        let p = parse(b"a;;b 3\n", &ParseOptions::default()).unwrap();
        assert_eq!(p.folded_lines(), vec![("a;<empty>;b".to_string(), 3)]);
        assert_eq!(p.diagnostics.count(EMPTY_FRAME), 1);
    }

    #[test]
    fn sniff_wants_mostly_counted_lines() {
        for (input, expected) in [
            (&b"a;b 3\nc 4\n"[..], true),
            (b"hello world\nfoo bar\n", false),
            (b"", false),
            (b"main (a.py:3) 5\r\n", true),
        ] {
            assert_eq!(
                sniff(input),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
