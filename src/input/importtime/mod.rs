//! `python -X importtime` logs (FORMATS.md §1).
//!
//! A row is printed when its import *finishes*, so children come before their parent:
//!
//! ```text
//! import time: self [us] | cumulative | imported package
//! import time:        40 |         40 |     _codecs
//! import time:       250 |        290 |   codecs
//! import time:       600 |       1190 | encodings
//! ```
//!
//! The tree is rebuilt with a stack (§1.5): a row of depth `d` adopts every node on the stack
//! deeper than `d`. Every header starts a new report (a process or sub-interpreter, §1.7), which
//! becomes its own root (`python #1`, `python #2`, …). Weights are the `self` column, never
//! `cumulative − Σ children` (§1.5: on interleaved logs the difference invents time no process
//! spent); negative self times (threads, §1.7) are clamped to 0 and reported.
//!
//! Rows can sit anywhere in other output (pytest writes `collecting ... import time: …`, §1.8):
//! a row is parsed from the last `import time:` on its line.

//!
//! One job per file: `row.rs` reads one line's grammar, `plain.rs` the usual row in one pass, `failures.rs` pre-scans the log for the
//! modules it says failed, `tree.rs` rebuilds each report's tree and emits its stacks. Copying
//! the rest of the log to stdout (`--tee`) is [`crate::input::tee`]'s job.

mod failures;
mod parallel;
mod plain;
mod prune;
mod row;
mod tree;
mod unwrap;

use std::io::Read;

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::Profile;
use ahash::HashSet;

use super::text::{self, find};
use super::{ParseOptions, decode};

use row::MARKER;
pub use row::{Row, parse_row};
pub use tree::UNFINISHED;

/// True when some line of `data` is an importtime header or row.
pub fn sniff(data: &[u8]) -> bool {
    let mut from = 0;
    let mut tried_wrap = false;
    while let Some(i) = find(&data[from..], MARKER) {
        let start = from + i;
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |j| start + j);
        let line = text::clean_line(&data[start..end]);
        match parse_row(&line) {
            Some((_, Row::Header | Row::Timed { .. } | Row::Cached { .. })) => return true,
            // A row broken at a narrow console's width: whole once joined to the next line.
            // Tried once, on the next 64 KiB, so a file of damaged lines stays linear.
            Some((_, Row::Malformed)) if !tried_wrap => {
                tried_wrap = true;
                let window = &data[start..data.len().min(start + (1 << 16))];
                if unwrap::scan(window).width.is_some() {
                    return true;
                }
            }
            _ => {}
        }
        from = end.min(data.len());
        if from >= data.len() {
            break;
        }
    }
    false
}

const REJOINED: IssueKind = IssueKind {
    id: "importtime.wrapped-rejoined",
    one: "row broken over several lines at the console width (Windows PowerShell) rejoined",
    many: "rows broken over several lines at the console width (Windows PowerShell) rejoined",
};
const WRAPPED: IssueKind = IssueKind {
    id: "importtime.wrapped",
    one: "row that looks broken at the console width (Windows PowerShell) but was not rejoined, \
          since the breaks are not all at one width",
    many: "rows that look broken at the console width (Windows PowerShell) but were not \
           rejoined, since the breaks are not all at one width",
};

/// Parses a whole log into a profile with one report per header. Rows that a console broken
/// over several lines are rejoined first when that is unambiguous (the `unwrap` module).
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let failed_names = failures::failure_messages(data);
    let wrapping = unwrap::scan(data);
    let builder = match (wrapping.width, parallel::pool(opts)) {
        (Some(width), _) => {
            let mut builder = tree::Builder::new(opts, failed_names);
            unwrap::lines(data, width).for_each(|(n, line)| builder.line(&line, n));
            builder
        }
        // Every failure message is known before the first row, as for one builder.
        (None, Some(pool)) if data.len() >= PARALLEL_FROM => {
            let mut reports = parallel::Parallel::new(opts, pool, failed_names);
            reports.batch(data.strip_prefix(text::UTF8_BOM).unwrap_or(data));
            reports.finish()
        }
        (None, _) => {
            let mut builder = tree::Builder::new(opts, failed_names);
            builder.feed(data.strip_prefix(text::UTF8_BOM).unwrap_or(data), &mut 0);
            builder
        }
    };
    let first = Some(Position::Line(wrapping.first));
    match builder.finish() {
        Ok(mut profile) => {
            if let Some(width) = wrapping.width {
                profile
                    .diagnostics
                    .note_many(REJOINED, wrapping.count, first);
                profile.facts.insert("wrapped_at_columns", width as u64);
            } else if let Some(width) = wrapping.ambiguous {
                profile
                    .diagnostics
                    .note_many(WRAPPED, wrapping.count, first);
                profile.facts.insert("wrapped_at_columns", width as u64);
            }
            Ok(profile)
        }
        Err(_) if wrapping.ambiguous.is_some() => Err(Error::no_data(wrapped_advice(&wrapping))),
        Err(e) => Err(e),
    }
}

/// The message for a log with no whole row whose lines look wrapped.
fn wrapped_advice(wrapping: &unwrap::Wrapping) -> String {
    format!(
        "no whole \"import time:\" rows: the lines look wrapped at {} columns (Windows \
         PowerShell breaks redirected stderr at the console width), first at line {}, and the \
         breaks are not all at one width, so they were not rejoined; capture without \
         PowerShell's wrapping, e.g. `cmd /c \"python -X importtime ... 2> importtime.log\"`",
        wrapping.ambiguous.unwrap_or(0),
        wrapping.first
    )
}

/// Whether `head` looks like a capture whose rows were broken at the console width (Windows
/// PowerShell): such a log is parsed whole, where [`parse`] rejoins its rows.
pub fn looks_wrapped(head: &[u8]) -> bool {
    let wrapping = unwrap::scan(head);
    wrapping.width.is_some() || wrapping.ambiguous.is_some()
}

/// How much of a streamed log is read at a time.
pub const CHUNK: usize = 1 << 20;

/// What [`parse_stream`] ended with.
pub enum Streamed {
    /// The profile, the same one [`parse`] makes of the whole text.
    Done(Box<Profile>),
    /// A failure message came after a closed report that drew its module unmarked: read the
    /// log again with [`parse_stream_knowing`] and these names (every message of the log).
    Again(HashSet<String>),
}

/// Parses a log read from `reader` (already [`decode`]d text) `chunk` bytes at a time, so
/// memory holds one chunk, the open report and the stacks kept, never the whole log. The
/// result is [`parse`]'s on the same text: failure messages are scanned chunk by chunk ahead
/// of the rows of their chunk, and a message that comes too late for a report already closed
/// asks for a second read ([`Streamed::Again`]).
///
/// `expected` is about how long the text is (the file's size; 0 when unknown): the stacks'
/// room is made for that much up front, where growing it by doubling copied the stacks
/// several times over, into new pages each time (perf: a third of the page faults of
/// `-f folded` on the 31 MB benchmark log). Room never written is only address space.
pub fn parse_stream(
    reader: &mut dyn Read,
    opts: &ParseOptions,
    chunk: usize,
    expected: u64,
) -> Result<Streamed> {
    // At most what a quarter of a GiB of log needs: the room is reserved before anything is
    // known about the log, and a reservation larger than the machine's memory can be refused
    // (an abort); a longer log's room grows from there.
    let expected = usize::try_from(expected.min(RESERVE_AT_MOST)).unwrap_or(0);
    let mut builder = match parallel::pool(opts) {
        Some(pool) => {
            let mut reports = parallel::Parallel::new(opts, pool, HashSet::default());
            reports.reserve_for(expected);
            read_batches(reader, chunk, batch_size(chunk), |lines| {
                failures::scan(lines, reports.failed_names());
                reports.batch(lines);
            })?;
            reports.finish()
        }
        None => {
            let mut builder = tree::Builder::new(opts, HashSet::default());
            builder.reserve_for(expected);
            let mut number = 0u64;
            read_batches(reader, chunk, chunk, |lines| {
                failures::scan(lines, &mut builder.failed_names);
                builder.feed(lines, &mut number);
            })?;
            builder.close();
            builder
        }
    };
    if builder.late_failures() {
        return Ok(Streamed::Again(std::mem::take(&mut builder.failed_names)));
    }
    builder.finish().map(|p| Streamed::Done(Box::new(p)))
}

/// The second read of [`Streamed::Again`]: every failure message (`known`) is known before
/// the first row, as in [`parse`].
pub fn parse_stream_knowing(
    reader: &mut dyn Read,
    opts: &ParseOptions,
    known: HashSet<String>,
    chunk: usize,
) -> Result<Profile> {
    let builder = match parallel::pool(opts) {
        Some(pool) => {
            let mut reports = parallel::Parallel::new(opts, pool, known);
            read_batches(reader, chunk, batch_size(chunk), |lines| {
                reports.batch(lines)
            })?;
            reports.finish()
        }
        None => {
            let mut builder = tree::Builder::new(opts, known);
            let mut number = 0u64;
            read_batches(reader, chunk, chunk, |lines| {
                builder.feed(lines, &mut number)
            })?;
            builder
        }
    };
    builder.finish()
}

/// The longest log [`parse_stream`] makes room for up front.
const RESERVE_AT_MOST: u64 = 256 << 20;

/// A whole log at least this long is parsed on several threads when `--jobs` allows: below
/// it, starting the threads costs more than they save.
const PARALLEL_FROM: usize = 256 << 10;

/// How much text a parallel read hands to the threads at a time: two chunks, so each thread
/// has a few reports (13 of the x200 log's), and memory stays a few chunks. Eight chunks
/// made the same instructions but a 9 MiB read buffer: 3,400 more page faults at `-j 2`.
fn batch_size(chunk: usize) -> usize {
    chunk.saturating_mul(2)
}

/// Reads `reader` `chunk` bytes at a time and hands `take` the text in pieces of whole lines
/// of at least `batch` bytes (the last one shorter), in order, the BOM off the first.
///
/// The buffer is zeroed once and read into by hand: `read_to_end` zeroed the spare room
/// before every read (the reader has no `read_buf`), 31 MB of stores on the x200 log.
fn read_batches(
    reader: &mut dyn Read,
    chunk: usize,
    batch: usize,
    mut take: impl FnMut(&[u8]),
) -> Result<()> {
    let mut buf: Vec<u8> = vec![0; batch.saturating_add(chunk)];
    let mut filled = 0;
    let mut first = true;
    loop {
        let want = filled + chunk;
        if buf.len() < want {
            // A line longer than a batch: room for one more chunk.
            buf.resize(want, 0);
        }
        let mut eof = false;
        while filled < want {
            match reader.read(&mut buf[filled..want]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(decode::error(e)),
            }
        }
        if !eof && filled < batch {
            continue;
        }
        let end = if eof {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                // A line longer than a batch: read on.
                None => continue,
            }
        };
        let mut lines = &buf[..end];
        if first {
            lines = lines.strip_prefix(text::UTF8_BOM).unwrap_or(lines);
            first = false;
        }
        take(lines);
        buf.copy_within(end..filled, 0);
        filled -= end;
        if eof {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `log` as a stream, `chunk` bytes at a time, reading it a second time when asked.
    fn streamed(log: &[u8], chunk: usize) -> Profile {
        streamed_on(log, chunk, 1)
    }

    /// [`streamed`] with reports parsed on `jobs` threads.
    fn streamed_on(log: &[u8], chunk: usize, jobs: usize) -> Profile {
        let opts = ParseOptions {
            jobs,
            ..ParseOptions::default()
        };
        match parse_stream(&mut &log[..], &opts, chunk, log.len() as u64).unwrap() {
            Streamed::Done(p) => *p,
            Streamed::Again(known) => {
                parse_stream_knowing(&mut &log[..], &opts, known, chunk).unwrap()
            }
        }
    }

    /// Frames, one line each, and stacks as (frame ids, weight, report).
    type Tables = (Vec<String>, Vec<(Vec<u32>, u64, u32)>);

    /// Everything a profile says, frame ids and their order included.
    fn everything(p: &Profile) -> (Summary, Tables) {
        let frames = (0..p.frames.len() as u32)
            .map(|f| {
                format!(
                    "{} {:?} {:?}",
                    p.frames.name(f),
                    p.frames.category(f),
                    p.frames.mark(f)
                )
            })
            .collect();
        let stacks = p
            .stacks()
            .map(|s| (s.frames.to_vec(), s.weight, s.report))
            .collect();
        (summary(p), (frames, stacks))
    }

    /// Logs with every repair a report can need: failures (repeated rows, messages before and
    /// after their rows, one after its report closed), negative self times, rows mid-line,
    /// unfinished rows, importlib orphans, sub-interpreters restarting without a header, a
    /// header cutting a report short, rows before the first header.
    fn repaired_logs() -> Vec<u8> {
        let mut log = b"\xEF\xBB\xBFimport time:  5 |  5 | before_any_header\n".to_vec();
        let dir = format!("{}/samples/importtime", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = Vec::new();
        for sub in ["single", "pytest", "edge", "multiproc"] {
            let Ok(entries) = std::fs::read_dir(format!("{dir}/{sub}")) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "log") {
                    names.push(path.display().to_string());
                }
            }
        }
        names.sort();
        for name in names {
            let text = std::fs::read(&name).unwrap();
            // Whole-buffer parses of wrapped captures rejoin rows; streams never see them.
            if looks_wrapped(&text) {
                continue;
            }
            log.extend(text);
            if !log.ends_with(b"\n") {
                log.push(b'\n');
            }
        }
        log.extend(
            b"import time: self [us] | cumulative | imported package\n\
              import time:        40 |         40 |     deep_child\n\
              import time: self [us] | cumulative | imported package\n\
              import time:        40 |         40 | late_failure\n\
              import time:        10 |         10 | os\n\
              import time:        20 |         20 | os\n\
              ModuleNotFoundError: No module named 'late_failure'\n",
        );
        log
    }

    #[test]
    fn reports_parsed_on_several_threads_give_what_one_builder_gives() {
        let log = repaired_logs();
        let one = ParseOptions {
            jobs: 1,
            ..ParseOptions::default()
        };
        let whole = everything(&parse(&log, &one).unwrap());
        assert!(
            whole.0.1.len() >= 5,
            "the logs need repairs: {:?}",
            whole.0.1
        );
        for chunk in [7, 64, 4096, CHUNK] {
            for jobs in [1, 2, 3] {
                let got = everything(&streamed_on(&log, chunk, jobs));
                assert_eq!(got, whole, "chunk {chunk}, {jobs} threads");
            }
        }
        for jobs in [2, 3] {
            let opts = ParseOptions {
                jobs,
                ..ParseOptions::default()
            };
            let got = everything(&parse(&log, &opts).unwrap());
            assert_eq!(got, whole, "whole text, {jobs} threads");
        }
    }

    type Summary = (Vec<(String, u64)>, Vec<String>, Vec<(String, u64)>);

    fn summary(p: &Profile) -> Summary {
        let notes = p
            .diagnostics
            .entries()
            .map(|e| format!("{} {:?}", e.message(), e.first))
            .collect();
        let facts = p.facts.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        (p.folded_lines(), notes, facts)
    }

    #[test]
    fn a_log_read_in_chunks_parses_as_the_whole_text_does() {
        let mut log = b"\xEF\xBB\xBFpytest says hi\r\n".to_vec();
        for name in [
            "py311_failed_imports",
            "py311_json",
            "py314_json_importtime2",
        ] {
            let path = format!(
                "{}/samples/importtime/single/{name}.log",
                env!("CARGO_MANIFEST_DIR")
            );
            log.extend(std::fs::read(path).unwrap());
        }
        log.extend(b"\x1b[1mcollecting\x1b[0m import time:  7 |  7 | last_without_newline");
        let whole = summary(&parse(&log, &ParseOptions::default()).unwrap());
        for chunk in [1, 7, 64, 4096, CHUNK] {
            assert_eq!(summary(&streamed(&log, chunk)), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn a_failure_message_after_its_closed_report_marks_it_on_a_second_read() {
        let log = b"import time: self [us] | cumulative | imported package\n\
                    import time:        40 |         40 | not_there\n\
                    import time: self [us] | cumulative | imported package\n\
                    import time:        10 |         10 | os\n\
                    ModuleNotFoundError: No module named 'not_there'\n";
        let first = parse_stream(&mut &log[..], &ParseOptions::default(), 16, 0).unwrap();
        let Streamed::Again(known) = first else {
            panic!("the late message needs a second read");
        };
        assert!(known.contains("not_there"));
        let lines = streamed(log, 16).folded_lines();
        assert_eq!(
            lines,
            parse(log, &ParseOptions::default()).unwrap().folded_lines()
        );
        assert_eq!(lines[0], ("python #1;not_there (failed)".to_string(), 40));
    }

    #[test]
    fn children_are_adopted_by_the_next_shallower_row() {
        let log = "import time: self [us] | cumulative | imported package\n\
                   import time:        40 |         40 |     _codecs\n\
                   import time:       250 |        290 |   codecs\n\
                   import time:       300 |        300 |   encodings.aliases\n\
                   import time:       600 |       1190 | encodings\n\
                   import time:       200 |        200 | encodings.utf_8\n";
        let profile = parse(log.as_bytes(), &ParseOptions::default()).unwrap();
        let lines: Vec<String> = profile
            .folded_lines()
            .into_iter()
            .map(|(s, w)| format!("{s} {w}"))
            .collect();
        assert_eq!(
            lines,
            [
                "python #1;encodings 600",
                "python #1;encodings.utf_8 200",
                "python #1;encodings;codecs 250",
                "python #1;encodings;codecs;_codecs 40",
                "python #1;encodings;encodings.aliases 300",
            ]
        );
        assert!(profile.diagnostics.is_empty(), "{:?}", profile.diagnostics);
    }

    #[test]
    fn failed_and_untimed_frames_carry_a_typed_mark_under_their_usual_label() {
        let log = "import time: self [us] | cumulative | imported package\n\
                   import time:        40 |         40 |   nt\n\
                   import time:        30 |         30 |   nt\n\
                   import time:        50 |        120 | os\n\
                   import time:        20 |         20 | numpy.version\n";
        let profile = parse(log.as_bytes(), &ParseOptions::default()).unwrap();
        let marks: Vec<(String, Option<(crate::model::Mark, String)>)> = (0..profile.frames.len()
            as u32)
            .map(|f| {
                let mark = profile
                    .frames
                    .mark(f)
                    .map(|(m, module)| (m, module.to_string()));
                (profile.frames.name(f).to_string(), mark)
            })
            .filter(|(_, mark)| mark.is_some())
            .collect();
        use crate::model::Mark;
        assert_eq!(
            marks,
            [
                (
                    "nt (failed)".to_string(),
                    Some((Mark::Failed, "nt".to_string()))
                ),
                (
                    "<untimed numpy>".to_string(),
                    Some((Mark::Untimed, "numpy".to_string()))
                ),
            ]
        );
    }
}
