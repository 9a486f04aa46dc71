//! `py-spy dump` output, as text and as `--json` (FORMATS.md §3.1, §3.2). A dump is one
//! snapshot of every thread, innermost frame first:
//!
//! ```text
//! Process 5091: /usr/local/bin/python3 /home/user/busy.py
//! Python v3.11.7 (/usr/local/bin/python3.11)
//!
//! Thread 5091 (active+gil): "MainThread"
//!     main_loop (busy.py:20)
//!     <module> (busy.py:21)
//! Thread 9302 (idle)
//!     bg (rawthread.py:4)
//! ```
//!
//! Each thread of each dump is one sample (weight 1), root first, under two synthetic roots:
//! `process (PID) "CMDLINE"` and `thread (TID) "NAME"` (`thread (TID)` for a thread with no
//! Python name; the parentheses keep a label from ending in digits, see
//! [`pyframe::thread_label`]). Dumps concatenated with `>>` (no separator) and `--subprocesses` blocks (after a line
//! of dashes, with a `Parent Process` line) are all read; so are several `--json` documents one
//! after another.
//!
//! Decisions:
//! - A function's executing line is dropped from its frame (`main_loop (busy.py)`), so a
//!   function sampled at several lines is one frame; `--keep-lines`
//!   ([`ParseOptions::keep_lines`]) keeps `main_loop (busy.py:20)`.
//! - Threads are keyed by process and thread id: a thread named in one dump and unnamed in
//!   another is one root, with the name.
//! - The thread's status is kept out of its frame, so the samples of one thread merge however
//!   its status changed between dumps; the frame's tooltip detail counts the statuses seen.
//! - Idle threads are left out unless `--idle` ([`ParseOptions::idle`]) and counted in a
//!   diagnostic. When every thread of the input is idle (a program waiting on I/O), they are
//!   kept and that is reported, since an empty graph helps nobody.
//! - `--locals` blocks (`Arguments:` / `Locals:` at 8 spaces) are skipped and counted.
//! - The JSON dump has no command line: its process root is `process (PID)`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::{Category, FrameId, InputKind, Profile, Unit};

use super::{ParseOptions, pyframe, text};

/// Idle threads left out.
pub const IDLE_SKIPPED: IssueKind = IssueKind {
    id: "pyspy.idle-skipped",
    one: "idle thread sample left out (use --idle to keep it)",
    many: "idle thread samples left out (use --idle to keep them)",
};

/// Every thread was idle, so idle threads were kept.
pub const ALL_IDLE: IssueKind = IssueKind {
    id: "pyspy.all-idle",
    one: "thread sample kept although idle: every thread in the input is idle",
    many: "thread samples kept although idle: every thread in the input is idle",
};

/// `--locals` blocks skipped.
pub const LOCALS_SKIPPED: IssueKind = IssueKind {
    id: "pyspy.locals-skipped",
    one: "--locals block skipped",
    many: "--locals blocks skipped",
};

/// Lines that belong to no known part of a dump.
pub const UNKNOWN_LINE: IssueKind = IssueKind {
    id: "pyspy.unknown-line",
    one: "line that is not part of a py-spy dump skipped",
    many: "lines that are not part of a py-spy dump skipped",
};

/// Frame lines before any `Thread` line.
pub const ORPHAN_FRAME: IssueKind = IssueKind {
    id: "pyspy.orphan-frame",
    one: "frame line outside a thread skipped",
    many: "frame lines outside a thread skipped",
};

/// JSON thread objects without a usable `frames` list.
pub const BAD_THREAD: IssueKind = IssueKind {
    id: "pyspy.bad-json-thread",
    one: "JSON thread object without a frames list skipped",
    many: "JSON thread objects without a frames list skipped",
};

/// JSON that stopped being valid part way.
pub const BAD_JSON: IssueKind = IssueKind {
    id: "pyspy.bad-json",
    one: "invalid JSON after the last complete dump: rest of input skipped",
    many: "invalid JSON after the last complete dump: rest of input skipped",
};

/// A py-spy dump, text or JSON. Text: a `Process N: …` line followed by `Python v…`, or a
/// `Thread N (status)` line followed by an indented frame. JSON: an array whose first object
/// has py-spy's thread keys.
pub fn sniff(data: &[u8]) -> bool {
    sniff_text(data) || sniff_json(data)
}

fn sniff_json(data: &[u8]) -> bool {
    let head = &data[..data.len().min(4096)];
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'[')
        && text::find(head, b"\"thread_id\"").is_some()
        && text::find(head, b"\"frames\"").is_some()
}

fn sniff_text(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    let mut previous: Option<Vec<u8>> = None;
    for (_, line) in text::lines(head).take(200) {
        if let Some(prev) = &previous {
            if parse_process(&String::from_utf8_lossy(prev)).is_some()
                && line.starts_with(b"Python v")
            {
                return true;
            }
            if parse_thread(&String::from_utf8_lossy(prev)).is_some()
                && line.starts_with(b"    ")
                && line.get(4).is_some_and(|b| *b != b' ')
            {
                return true;
            }
        }
        previous = Some(line.into_owned());
    }
    false
}

/// Parses a py-spy dump (text or `--json`). With `--from pyspy`, `record -f raw` output (folded
/// stacks) and `-f speedscope` output are read too, by their own readers.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    if !sniff(data) {
        if super::speedscope::sniff(data) {
            return super::speedscope::parse(data, opts);
        }
        if super::folded::sniff(data) {
            return super::folded::parse(data, opts);
        }
    }
    let mut profile = Profile::new(InputKind::PySpyDump, Unit::Samples);
    let mut samples = Samples::new(opts);
    if sniff_json(data) {
        read_json(data, opts, &mut samples, &mut profile)?;
    } else {
        let mut reader = TextReader::default();
        for (number, line) in text::lines(data) {
            reader.line(number, &line, &mut samples, &mut profile);
        }
        reader.finish(&mut samples);
    }
    finish(samples, opts, profile)
}

/// Which reader `--from pyspy` takes for an input that starts with `head` and goes on, as
/// [`parse`] would choose from the whole input.
pub enum StreamKind {
    /// A text dump: [`parse_text_reader`].
    Dump,
    /// `record -f raw`: folded stacks.
    Folded,
    /// `record -f speedscope`.
    Speedscope,
    /// A JSON dump, or a head that does not settle it: read whole.
    Whole,
}

/// The reader [`parse`] would take for an input starting with `head` (more following).
pub fn stream_kind(head: &[u8]) -> StreamKind {
    if !sniff(head) {
        if super::speedscope::sniff(head) {
            return StreamKind::Speedscope;
        }
        return match super::folded::sniff_head(head) {
            Some(true) => StreamKind::Folded,
            Some(false) => StreamKind::Dump,
            None => StreamKind::Whole,
        };
    }
    if sniff_json(head) {
        StreamKind::Whole
    } else {
        StreamKind::Dump
    }
}

/// [`parse`] of a text dump read a chunk at a time from `reader`: memory holds each distinct
/// thread sample once, with its count.
pub fn parse_text_reader(reader: impl std::io::Read, opts: &ParseOptions) -> Result<Profile> {
    let mut profile = Profile::new(InputKind::PySpyDump, Unit::Samples);
    let mut samples = Samples::new(opts);
    let mut text_reader = TextReader::default();
    super::stream::each_line(reader, |number, line| {
        text_reader.line(number, line, &mut samples, &mut profile);
        Ok(())
    })?;
    text_reader.finish(&mut samples);
    finish(samples, opts, profile)
}

/// The end of every dump read: no thread is an error; else the stacks.
fn finish(samples: Samples, opts: &ParseOptions, mut profile: Profile) -> Result<Profile> {
    if samples.list.is_empty() {
        return Err(Error::no_data(
            "no py-spy dump threads found (expected `Thread TID (STATUS)` lines with frames, or \
             py-spy dump --json output)",
        ));
    }
    emit(samples.list, opts, &mut profile);
    Ok(profile)
}

/// The thread samples read so far, each distinct one once (in the order first seen) with how
/// often it was seen, unless the order is drawn ([`ParseOptions::keep_order`]).
struct Samples {
    list: Vec<(ThreadSample, u64)>,
    index: Option<ahash::HashMap<SampleKey, usize>>,
}

/// What makes two thread samples the same: all but the line they were read at.
#[derive(Hash, PartialEq, Eq)]
struct SampleKey {
    process: String,
    tid: String,
    name: Option<String>,
    status: String,
    frames: Vec<String>,
}

impl Samples {
    fn new(opts: &ParseOptions) -> Self {
        Samples {
            list: Vec::new(),
            index: (!opts.keep_order).then(Default::default),
        }
    }

    fn push(&mut self, s: ThreadSample) {
        let Some(index) = self.index.as_mut() else {
            self.list.push((s, 1));
            return;
        };
        let key = SampleKey {
            process: s.process,
            tid: s.tid,
            name: s.name,
            status: s.status,
            frames: s.frames,
        };
        if let Some(&i) = index.get(&key) {
            self.list[i].1 += 1;
            return;
        }
        let sample = ThreadSample {
            process: key.process.clone(),
            tid: key.tid.clone(),
            name: key.name.clone(),
            status: key.status.clone(),
            idle: s.idle,
            frames: key.frames.clone(),
            line: s.line,
        };
        index.insert(key, self.list.len());
        self.list.push((sample, 1));
    }
}

impl Extend<ThreadSample> for Samples {
    fn extend<I: IntoIterator<Item = ThreadSample>>(&mut self, iter: I) {
        for s in iter {
            self.push(s);
        }
    }
}

/// One thread of one dump.
#[derive(Debug)]
struct ThreadSample {
    process: String,
    /// The thread id as printed (decimal, or `0x` hex on macOS).
    tid: String,
    /// The thread's Python name, when the dump shows one.
    name: Option<String>,
    status: String,
    idle: bool,
    /// Innermost first, as printed.
    frames: Vec<String>,
    line: Position,
}

/// Turns the collected thread samples (each with how often it was seen) into stacks,
/// applying the idle rule.
fn emit(samples: Vec<(ThreadSample, u64)>, opts: &ParseOptions, profile: &mut Profile) {
    let all_idle = samples.iter().all(|(s, _)| s.idle);
    let keep_idle = opts.idle || all_idle;
    let mut statuses: BTreeMap<FrameId, BTreeMap<String, u64>> = BTreeMap::new();
    // Threads are keyed by process and id: a thread has no name in one dump (not started
    // through `threading`, or before it was named) and a name in the next, and is still one
    // thread. Its root takes the first name seen.
    let mut names: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for (s, _) in &samples {
        if let Some(name) = s.name.as_deref().filter(|n| !n.is_empty()) {
            names.entry((&s.process, &s.tid)).or_insert(name);
        }
    }
    let labels: Vec<String> = samples
        .iter()
        .map(|(s, _)| {
            let name = names.get(&(s.process.as_str(), s.tid.as_str())).copied();
            pyframe::thread_label(&s.tid, name)
        })
        .collect();
    let mut ids = Vec::new();
    for ((s, count), label) in samples.into_iter().zip(labels) {
        // Each distinct sample comes at the first line it was seen: the first noted line of
        // each kind is the one a sample-by-sample pass notes first.
        if s.idle && !keep_idle {
            profile
                .diagnostics
                .note_many(IDLE_SKIPPED, count, Some(s.line));
            continue;
        }
        if s.idle && !opts.idle {
            profile.diagnostics.note_many(ALL_IDLE, count, Some(s.line));
        }
        ids.clear();
        ids.push(profile.frames.intern(&s.process, Category::Synthetic));
        let thread = profile.frames.intern(&label, Category::Synthetic);
        ids.push(thread);
        *statuses
            .entry(thread)
            .or_default()
            .entry(s.status)
            .or_default() += count;
        for f in s.frames.iter().rev() {
            let f = pyframe::merge_line(f, opts);
            let category = pyframe::category_of_label(&f, opts);
            ids.push(profile.frames.intern(&f, category));
        }
        profile.push_stack(&ids, count, 0);
    }
    for (thread, counts) in statuses {
        let detail: Vec<String> = counts.iter().map(|(s, n)| format!("{s} ×{n}")).collect();
        profile.frames.set_detail(thread, detail.join(", "));
    }
    let total = profile.total();
    profile.facts.insert("samples", total);
}

/// `Process 5091: /usr/local/bin/python3 /home/user/busy.py` -> (pid, cmdline).
fn parse_process(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("Process ")?;
    let (pid, cmd) = rest.split_once(':')?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some((pid, cmd.trim()))
}

/// `Thread 5091 (active+gil): "MainThread"` -> (tid, status, name). The TID is decimal, or
/// `0x` hex on macOS.
fn parse_thread(line: &str) -> Option<(&str, &str, Option<&str>)> {
    let rest = line.strip_prefix("Thread ")?;
    let (tid, rest) = rest.split_once(" (")?;
    let tid_ok = !tid.is_empty()
        && (tid.bytes().all(|b| b.is_ascii_digit())
            || tid
                .strip_prefix("0x")
                .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())));
    if !tid_ok {
        return None;
    }
    let (status, rest) = rest.split_once(')')?;
    let name = match rest.strip_prefix(": ") {
        Some(n) => Some(
            n.strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .unwrap_or(n),
        ),
        None if rest.trim().is_empty() => None,
        None => return None,
    };
    Some((tid, status, name))
}

/// A text dump read line by line.
#[derive(Default)]
struct TextReader {
    /// The root of the dump's process, once a `Process` line named it.
    process: Option<String>,
    current: Option<ThreadSample>,
    in_locals: bool,
}

impl TextReader {
    fn line(&mut self, number: u64, line: &[u8], samples: &mut Samples, profile: &mut Profile) {
        let at = Position::Line(number);
        let line = String::from_utf8_lossy(line);
        let line = line.as_ref();
        if let Some(frame) = line.strip_prefix("    ")
            && !frame.starts_with(' ')
            && !frame.is_empty()
        {
            self.in_locals = false;
            match self.current.as_mut() {
                Some(t) => t.frames.push(frame.trim_end().to_string()),
                None => profile.diagnostics.note(ORPHAN_FRAME, at),
            }
            return;
        }
        if line.starts_with("        ") {
            let body = line.trim();
            if body == "Arguments:" || body == "Locals:" {
                if !self.in_locals {
                    profile.diagnostics.note(LOCALS_SKIPPED, at);
                }
                self.in_locals = true;
            } else if !self.in_locals {
                profile.diagnostics.note(UNKNOWN_LINE, at);
            }
            return;
        }
        self.in_locals = false;
        if let Some((tid, status, name)) = parse_thread(line) {
            samples.extend(self.current.take());
            self.current = Some(ThreadSample {
                process: self
                    .process
                    .clone()
                    .unwrap_or_else(|| pyframe::process_label("?", None)),
                tid: tid.to_string(),
                name: name.map(str::to_string),
                status: status.to_string(),
                idle: status == "idle",
                frames: Vec::new(),
                line: at,
            });
            return;
        }
        if let Some((pid, cmd)) = parse_process(line) {
            samples.extend(self.current.take());
            self.process = Some(pyframe::process_label(pid, Some(cmd)));
            return;
        }
        let trimmed = line.trim();
        let known = trimmed.is_empty()
            || line.starts_with("Python v")
            || line.starts_with("Parent Process ")
            || (trimmed.len() >= 10 && trimmed.bytes().all(|b| b == b'-'));
        if !known {
            profile.diagnostics.note(UNKNOWN_LINE, at);
        }
    }

    /// The end of the input: the last thread is complete.
    fn finish(&mut self, samples: &mut Samples) {
        samples.extend(self.current.take());
    }
}

fn read_json(
    data: &[u8],
    opts: &ParseOptions,
    samples: &mut Samples,
    profile: &mut Profile,
) -> Result<()> {
    let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<Value>();
    let mut index = 0usize;
    // The line where each document starts, for diagnostics, counted incrementally.
    let (mut line, mut counted) = (1u64, 0usize);
    loop {
        let start = stream.byte_offset();
        let skipped = data[start..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let upto = start + skipped;
        line += data[counted..upto].iter().filter(|&&b| b == b'\n').count() as u64;
        counted = upto;
        let Some(doc) = stream.next() else { break };
        index += 1;
        let doc = match doc {
            Ok(doc) => doc,
            Err(e) if index == 1 => {
                return Err(Error::invalid(format!("py-spy dump --json: {e}"))
                    .at(Position::Line(e.line() as u64)));
            }
            Err(e) => {
                profile
                    .diagnostics
                    .note(BAD_JSON, Position::Line(e.line() as u64));
                break;
            }
        };
        let threads = match &doc {
            Value::Array(a) => a.as_slice(),
            other => std::slice::from_ref(other),
        };
        for t in threads {
            match json_thread(t, opts, Position::Line(line)) {
                Some(s) => samples.push(s),
                None => profile.diagnostics.note(BAD_THREAD, Position::Line(line)),
            }
        }
    }
    Ok(())
}

/// One thread object of `py-spy dump --json`.
fn json_thread(t: &Value, opts: &ParseOptions, line: Position) -> Option<ThreadSample> {
    let frames = t.get("frames")?.as_array()?;
    let id = |v: Option<&Value>| v.and_then(|v| v.as_u64()).map(|n| n.to_string());
    let pid = id(t.get("pid")).unwrap_or_else(|| "?".to_string());
    let tid = id(t.get("os_thread_id"))
        .or_else(|| id(t.get("thread_id")))
        .unwrap_or_else(|| "?".to_string());
    let name = t.get("thread_name").and_then(Value::as_str);
    let active = t.get("active").and_then(Value::as_bool).unwrap_or(true);
    let gil = t.get("owns_gil").and_then(Value::as_bool).unwrap_or(false);
    let status = match (active, gil) {
        (false, _) => "idle",
        (true, true) => "active+gil",
        (true, false) => "active",
    };
    let labels = frames
        .iter()
        .map(|f| {
            let name = f.get("name").and_then(Value::as_str).unwrap_or("<unknown>");
            let full = f.get("filename").and_then(Value::as_str);
            let short = f.get("short_filename").and_then(Value::as_str);
            let file = if opts.full_paths {
                full.or(short)
            } else {
                short.or(full.map(|p| pyframe::short_path(p, opts)))
            };
            let line = f.get("line").and_then(Value::as_i64);
            pyframe::sampled_label(name, file, line, opts)
        })
        .collect();
    Some(ThreadSample {
        process: pyframe::process_label(&pid, None),
        tid,
        name: name.map(str::to_string),
        status: status.to_string(),
        idle: !active,
        frames: labels,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_lines() {
        for (input, expected) in [
            (
                "Thread 5091 (active+gil): \"MainThread\"",
                Some(("5091", "active+gil", Some("MainThread"))),
            ),
            ("Thread 9302 (idle)", Some(("9302", "idle", None))),
            (
                "Thread 0x7FF8 (active): \"a (b)\"",
                Some(("0x7FF8", "active", Some("a (b)"))),
            ),
            ("Thread x (idle)", None),
            ("Thread 1 (idle) junk", None),
        ] {
            assert_eq!(parse_thread(input), expected, "{input}");
        }
    }

    #[test]
    fn process_lines() {
        for (input, expected) in [
            (
                "Process 5091: /usr/bin/python3 a.py",
                Some(("5091", "/usr/bin/python3 a.py")),
            ),
            ("Process x: y", None),
            ("Parent Process 1: y", None),
        ] {
            assert_eq!(parse_process(input), expected, "{input}");
        }
    }

    #[test]
    fn sniffs_text_and_json_dumps() {
        for (input, expected) in [
            (&b"Process 1: python a.py\nPython v3.11.7 (x)\n"[..], true),
            (b"Thread 1 (idle)\n    f (a.py:1)\n", true),
            (b"[\n {\"pid\": 1, \"thread_id\": 2, \"frames\": []}]", true),
            (b"Process 1: python a.py\n", false),
            (b"a;b 1\n", false),
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
