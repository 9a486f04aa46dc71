//! Austin's collapsed samples (the default output of `austin`, P403n1x87/austin README, "Normal
//! Mode", and austin-python's `format/collapsed_stack.py`): metadata lines, then one sample per
//! line, root first:
//!
//! ```text
//! # austin: 3.7.0
//! # interval: 100
//! # mode: wall
//! P8374;T0:8374;/usr/lib/python3.12/threading.py:Thread._bootstrap:1012;app.py:work:32 1090
//! P8374;T0:8374 1887
//! # duration: 891235
//! ```
//!
//! - Metadata: every line starting with `# ` (`austin`, `interval`, `mode`, `memory`,
//!   `multiprocess`, `python`, then `duration`, `sampling`, `saturation`, `errors`, `gc` at the
//!   end). They are never stacks; `mode` picks the unit.
//! - Head: `P<pid>;T<tid>` (Austin 3 before 3.6), `P<pid>;T<iid>:<tid>` (3.6 and later, and
//!   Austin 4; the tid is hexadecimal on Windows). Read as the roots `process (PID)` and
//!   `thread (TID)`, as py-spy's are; a thread of a sub-interpreter (IID not 0) is
//!   `thread (TID) "interpreter IID"`.
//! - Frames: `path:function:line`, split at the last two `:` (a Windows path holds one). Austin
//!   3 writes the bare function name, Austin 4 the qualified one (`Thread._bootstrap`); both
//!   read as py-spy frames, `function (file)` (or `function (file:line)` with
//!   [`ParseOptions::keep_lines`]). The "alternative format" of Austin before 3.5,
//!   `path:function;L<line>`, is read too, and so are Austin 2's `function (path);L<line>` and
//!   `function (path:line)` (with a hexadecimal tid).
//! - Metric, the last token: microseconds in `wall` and `cpu` mode; bytes in `memory` mode
//!   (the growth of resident memory since the previous sample; a negative one, memory given
//!   back, cannot be drawn and is left out and counted); `time,idle,memory` in `full` mode,
//!   of which the time is drawn. Without a `mode` line the metric is taken as microseconds.
//! - A sample without frames (the thread was running no Python code) weighs as
//!   `<no Python frame>` under its thread.

use std::borrow::Cow;

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::{Category, FrameId, InputKind, Profile, Unit};

use super::folded::NO_PYTHON_FRAME;
use super::{ParseOptions, folded, pyframe, text};

/// A line that is neither metadata nor a sample.
pub const MALFORMED: IssueKind = IssueKind {
    id: "austin.malformed",
    one: "line that is not an Austin sample skipped",
    many: "lines that are not Austin samples skipped",
};

/// A frame not in `path:function:line` form.
pub const RAW_FRAME: IssueKind = IssueKind {
    id: "austin.raw-frame",
    one: "frame not in `path:function:line` form kept as written",
    many: "frames not in `path:function:line` form kept as written",
};

/// A memory-mode sample whose memory went down.
pub const RELEASED: IssueKind = IssueKind {
    id: "austin.memory-released",
    one: "memory sample with a negative delta (memory given back) left out",
    many: "memory samples with a negative delta (memory given back) left out",
};

/// A mode this reader does not know.
pub const UNKNOWN_MODE: IssueKind = IssueKind {
    id: "austin.unknown-mode",
    one: "unknown `# mode:` line: metrics taken as microseconds",
    many: "unknown `# mode:` lines: metrics taken as microseconds",
};

/// Austin output: a `# austin: VERSION` line among the first lines, or a first sample line
/// `P<pid>;T…` with a metric.
pub fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    for (_, line) in text::lines(head).take(50) {
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(meta) = line.strip_prefix("# ") {
            if meta.starts_with("austin: ") {
                return true;
            }
            continue;
        }
        return parse_sample(line).is_some();
    }
    false
}

/// The unit and the way to read a metric, from `# mode:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Wall,
    Cpu,
    Memory,
    Full,
}

impl Mode {
    fn from_name(name: &str) -> Option<Mode> {
        match name {
            "wall" => Some(Mode::Wall),
            "cpu" => Some(Mode::Cpu),
            "memory" => Some(Mode::Memory),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }

    fn unit(self) -> Unit {
        match self {
            Mode::Memory => Unit::Bytes,
            _ => Unit::Microseconds,
        }
    }
}

/// Parses Austin's collapsed output.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let Header(mode, profile) = header(data, true).unwrap_or_else(Header::wall);
    let mut reader = Reader::new(mode, profile, opts);
    for (number, line) in text::lines(data) {
        reader.line(number, &line)?;
    }
    reader.finish()
}

/// What an input's header says: its mode, and the profile to read into (with the note of an
/// unknown mode).
pub struct Header(Mode, Profile);

impl Header {
    /// No `# mode:` line: wall time.
    fn wall() -> Header {
        Header(
            Mode::Wall,
            Profile::new(InputKind::Austin, Mode::Wall.unit()),
        )
    }
}

/// The header of an input that starts with `head` and goes on; `None` when the head's lines
/// do not settle it (then the input is read whole).
pub fn head_header(head: &[u8]) -> Option<Header> {
    header(head, false)
}

/// [`parse`] of the text `reader` yields (the whole input, its head again first), read a
/// chunk at a time, with the `header` its head gave.
pub fn parse_reader(
    header: Header,
    reader: impl std::io::Read,
    opts: &ParseOptions,
) -> Result<Profile> {
    let Header(mode, profile) = header;
    let mut austin = Reader::new(mode, profile, opts);
    super::stream::each_line(reader, |number, line| austin.line(number, line))?;
    austin.finish()
}

/// The mode (and so the unit) from the `# mode:` line, which comes in the header before any
/// sample: looked for in the first 200 lines. With `complete` false, `data` is only the start
/// of the input, and `None` says its lines ran out before the header was settled.
fn header(data: &[u8], complete: bool) -> Option<Header> {
    let mut taken = 0;
    for (number, line) in text::lines(data).take(200) {
        if !complete && line.as_ptr_range().end == data.as_ptr_range().end {
            return None; // cut by the head's end
        }
        taken += 1;
        let line = String::from_utf8_lossy(&line);
        if let Some(name) = line.trim().strip_prefix("# mode: ") {
            return Some(match Mode::from_name(name.trim()) {
                Some(m) => Header(m, Profile::new(InputKind::Austin, m.unit())),
                None => {
                    let mut p = Profile::new(InputKind::Austin, Unit::Microseconds);
                    p.diagnostics.note(UNKNOWN_MODE, Position::Line(number));
                    Header(Mode::Wall, p)
                }
            });
        }
    }
    if !complete && taken < 200 {
        return None;
    }
    Some(Header::wall())
}

/// Austin's lines read one at a time. A line's stack (all but its metric) met again reuses
/// the frames found the first time and, unless the order is drawn
/// ([`ParseOptions::keep_order`]), adds its weight to the first entry: Austin writes a line
/// per sample, so memory then holds the distinct stacks, not the samples.
struct Reader<'o> {
    mode: Mode,
    profile: Profile,
    opts: &'o ParseOptions,
    samples: u64,
    ids: Vec<FrameId>,
    seen: ahash::HashMap<Box<str>, Seen>,
    seen_ids: Vec<FrameId>,
    merge: bool,
}

/// A stack taken apart: where its frames are, how many raw frames it noted, and its entry.
struct Seen {
    start: usize,
    len: usize,
    raw: u64,
    entry: Option<usize>,
}

impl<'o> Reader<'o> {
    fn new(mode: Mode, profile: Profile, opts: &'o ParseOptions) -> Self {
        Reader {
            mode,
            profile,
            opts,
            samples: 0,
            ids: Vec::new(),
            seen: ahash::HashMap::default(),
            seen_ids: Vec::new(),
            merge: !opts.keep_order,
        }
    }

    fn line(&mut self, number: u64, line: &[u8]) -> Result<()> {
        let (mode, opts) = (self.mode, self.opts);
        let profile = &mut self.profile;
        let at = Position::Line(number);
        let line = String::from_utf8_lossy(line);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let Some(sample) = parse_sample(line) else {
            profile.diagnostics.note(MALFORMED, at);
            return Ok(());
        };
        self.samples += 1;
        let weight = match (mode, sample.metric) {
            (Mode::Full, Metric::Full { time, .. }) => time,
            (Mode::Memory, Metric::One(m)) if m < 0 => {
                profile.diagnostics.note(RELEASED, at);
                return Ok(());
            }
            (Mode::Memory, Metric::Full { memory, .. }) if memory < 0 => {
                profile.diagnostics.note(RELEASED, at);
                return Ok(());
            }
            (Mode::Memory, Metric::Full { memory, .. }) => memory.unsigned_abs(),
            (_, Metric::One(m)) if m < 0 => {
                profile.diagnostics.note(MALFORMED, at);
                return Ok(());
            }
            (_, Metric::One(m)) => m.unsigned_abs(),
            (_, Metric::Full { time, .. }) => time,
        };
        let key = line.rsplit_once(' ').map_or(line, |(stack, _)| stack);
        if let Some(seen) = self.seen.get_mut(key) {
            profile.diagnostics.note_many(RAW_FRAME, seen.raw, Some(at));
            if weight == 0 {
                return Ok(());
            }
            let ids = &self.seen_ids[seen.start..seen.start + seen.len];
            let entry = folded::push_or_add(profile, seen.entry, ids, weight)?;
            if self.merge {
                seen.entry = Some(entry);
            }
            return Ok(());
        }
        let ids = &mut self.ids;
        let mut raw = 0u64;
        ids.clear();
        ids.push(profile.frames.intern(
            &pyframe::process_label(sample.pid, None),
            Category::Synthetic,
        ));
        let thread_name = sample
            .iid
            .filter(|i| *i != "0")
            .map(|i| format!("interpreter {i}"));
        ids.push(profile.frames.intern(
            &pyframe::thread_label(sample.tid, thread_name.as_deref()),
            Category::Synthetic,
        ));
        let frames = frames(sample.frames);
        if frames.is_empty() {
            ids.push(profile.frames.intern(NO_PYTHON_FRAME, Category::Synthetic));
        }
        for piece in &frames {
            let id = match split_frame(piece) {
                Some((file, function, line)) => {
                    let short = pyframe::short_path(file, opts);
                    let label = pyframe::sampled_label(function, Some(short), Some(line), opts);
                    profile
                        .frames
                        .intern_with(&label, || pyframe::category(function, Some(file), opts))
                }
                // Austin 2 wrote py-spy's own form, `function (path:line)`.
                None if pyframe::split_label(piece).1.is_some() => {
                    let label = pyframe::merge_line(piece, opts);
                    profile
                        .frames
                        .intern_with(&label, || pyframe::category_of_label(piece, opts))
                }
                None => {
                    raw += 1;
                    profile.frames.intern(piece, Category::Other)
                }
            };
            ids.push(id);
        }
        profile.diagnostics.note_many(RAW_FRAME, raw, Some(at));
        let mut entry = None;
        if weight > 0 {
            profile.push_stack(ids, weight, 0);
            if self.merge {
                entry = Some(profile.stack_count() - 1);
            }
        }
        let start = self.seen_ids.len();
        self.seen_ids.extend_from_slice(ids);
        let seen = Seen {
            start,
            len: ids.len(),
            raw,
            entry,
        };
        self.seen.insert(key.into(), seen);
        Ok(())
    }

    fn finish(self) -> Result<Profile> {
        let (mode, mut profile, samples) = (self.mode, self.profile, self.samples);
        if profile.stack_count() == 0 {
            return Err(Error::no_data(
                "Austin output without samples (expected lines of `P<pid>;T<tid>;path:function:line \
                 METRIC` after the `# austin:` header)",
            ));
        }
        let total = folded::checked_total(&profile)?;
        let key = if mode == Mode::Memory {
            "bytes"
        } else {
            "exact_us"
        };
        profile.facts.insert(key, total);
        profile.facts.insert("samples", samples);
        Ok(profile)
    }
}

/// A sample's metric: one number, or full mode's `time,idle,memory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Metric {
    One(i64),
    Full { time: u64, memory: i64 },
}

/// A sample line taken apart.
#[derive(Debug, PartialEq, Eq)]
struct Sample<'a> {
    pid: &'a str,
    iid: Option<&'a str>,
    tid: &'a str,
    /// The frames, `;`-joined, root first (empty when there are none).
    frames: &'a str,
    metric: Metric,
}

/// `P<pid>;T[<iid>:]<tid>[;frames] METRIC`.
fn parse_sample(line: &str) -> Option<Sample<'_>> {
    let (head, metric) = line.rsplit_once(' ')?;
    let metric = parse_metric(metric)?;
    let rest = head.strip_prefix('P')?;
    let (pid, rest) = rest.split_once(';')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = rest.strip_prefix('T')?;
    let (thread, frames) = rest.split_once(';').unwrap_or((rest, ""));
    let (iid, tid) = match thread.split_once(':') {
        Some((iid, tid)) => (Some(iid), tid),
        None => (None, thread),
    };
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !token(tid) || iid.is_some_and(|i| !token(i)) {
        return None;
    }
    Some(Sample {
        pid,
        iid,
        tid,
        frames,
        metric,
    })
}

/// `1090`, `-4096`, or `time,idle,memory`.
fn parse_metric(token: &str) -> Option<Metric> {
    let int = |s: &str| -> Option<i64> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let parts: Vec<&str> = token.split(',').collect();
    match parts.as_slice() {
        [one] => int(one).map(Metric::One),
        [time, idle, memory] => {
            let time = u64::try_from(int(time)?).ok()?;
            int(idle)?;
            Some(Metric::Full {
                time,
                memory: int(memory)?,
            })
        }
        _ => None,
    }
}

/// The frames of a sample, with the old alternative format's `;L<line>` pieces joined back to
/// the frame before them (`a.py:f;L12` is `a.py:f:12`).
fn frames(joined: &str) -> Vec<Cow<'_, str>> {
    let mut out: Vec<Cow<'_, str>> = Vec::new();
    if joined.is_empty() {
        return out;
    }
    for piece in joined.split(';') {
        let line = piece
            .strip_prefix('L')
            .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
        match (line, out.last_mut()) {
            (Some(line), Some(last)) if split_frame(last).is_none() => {
                // Austin 2's `function (path);L12` reads as py-spy's `function (path:12)`.
                *last = match last.strip_suffix(')') {
                    Some(open) if open.contains(" (") => Cow::Owned(format!("{open}:{line})")),
                    _ => Cow::Owned(format!("{last}:{line}")),
                };
            }
            _ => out.push(Cow::Borrowed(piece)),
        }
    }
    out
}

/// `path:function:line` -> its parts; the line may be negative or empty (unknown, 0).
fn split_frame(frame: &str) -> Option<(&str, &str, i64)> {
    let (rest, line) = frame.rsplit_once(':')?;
    let (file, function) = rest.rsplit_once(':')?;
    let digits = line.strip_prefix('-').unwrap_or(line);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || function.is_empty() {
        return None;
    }
    let line = if line.is_empty() {
        0
    } else {
        line.parse().ok()?
    };
    Some((file, function, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_lines_of_austin_3_and_4() {
        let s = parse_sample("P38365;T38365;a.py:f:3 100").unwrap();
        assert_eq!(
            (s.pid, s.iid, s.tid, s.frames),
            ("38365", None, "38365", "a.py:f:3")
        );
        let s = parse_sample("P1155;T0:6148403200;/x/t.py:Thread.run:12;b.py:g:1 24").unwrap();
        assert_eq!((s.iid, s.tid), (Some("0"), "6148403200"));
        let s = parse_sample("P8374;T8374 1887").unwrap();
        assert_eq!((s.frames, s.metric), ("", Metric::One(1887)));
        let s = parse_sample("P1;T0:7ffe;a.py:f:1 10,1,-4096").unwrap();
        assert_eq!(
            s.metric,
            Metric::Full {
                time: 10,
                memory: -4096
            }
        );
        for bad in ["a;b 3", "P;T1 3", "P1;X1 3", "P1;T1;a.py:f:1", "P1;T1 1,2"] {
            assert_eq!(parse_sample(bad), None, "{bad}");
        }
    }

    #[test]
    fn frames_split_at_the_last_two_colons() {
        assert_eq!(
            split_frame("C:\\app\\main.py:main:7"),
            Some(("C:\\app\\main.py", "main", 7))
        );
        assert_eq!(
            split_frame("<frozen importlib._bootstrap>:_find_and_load:1027"),
            Some(("<frozen importlib._bootstrap>", "_find_and_load", 1027))
        );
        assert_eq!(split_frame("just text"), None);
        let joined = frames("a.py:f;L12;b.py:g:3");
        assert_eq!(joined, vec!["a.py:f:12", "b.py:g:3"]);
        let austin2 = frames("<module> (app.py);L3;work (/srv/lib.py);L8");
        assert_eq!(austin2, vec!["<module> (app.py:3)", "work (/srv/lib.py:8)"]);
    }

    #[test]
    fn austin_2_frames_read_like_py_spy_frames() {
        let data =
            b"P7;T7f3a;<module> (app.py);L3;work (app.py);L8 120\nP7;T7f3a;<module> (app.py:3) 5\n";
        assert!(sniff(data));
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(
            p.folded_lines(),
            vec![
                ("process (7);thread (7f3a);<module> (app.py)".to_string(), 5),
                (
                    "process (7);thread (7f3a);<module> (app.py);work (app.py)".to_string(),
                    120
                ),
            ]
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn metadata_lines_are_not_stacks() {
        let data = b"# austin: 3.4.1\n# interval: 1000\n# mode: wall\n\
            P1;T1;a.py:main:3;a.py:work:8 700\nP1;T1;a.py:main:3;a.py:work:9 300\nP1;T2 50\n\
            # duration: 891235\n# count: 3\n";
        assert!(sniff(data));
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.unit, Unit::Microseconds);
        assert_eq!(
            p.folded_lines(),
            vec![
                (
                    "process (1);thread (1);main (a.py);work (a.py)".to_string(),
                    1000
                ),
                ("process (1);thread (2);<no Python frame>".to_string(), 50),
            ]
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn memory_mode_counts_bytes_and_leaves_out_releases() {
        let data =
            b"# austin: 4.0.0\n# mode: memory\nP1;T0:1;a.py:f:1 4096\nP1;T0:1;a.py:g:2 -100\n";
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.unit, Unit::Bytes);
        assert_eq!(p.total(), 4096);
        assert_eq!(p.diagnostics.count(RELEASED), 1);
    }
}
