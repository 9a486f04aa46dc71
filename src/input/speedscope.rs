//! speedscope JSON (FORMATS.md §3.4), as `py-spy record -f speedscope` writes it, one line:
//!
//! ```text
//! {"$schema":"https://www.speedscope.app/file-format-schema.json","profiles":[{"type":"sampled",
//!  "name":"Thread 5091 \"MainThread\"","unit":"seconds","startValue":0.0,"endValue":1.29,
//!  "samples":[[8,7],…],"weights":[0.01,…]}],"shared":{"frames":[{"name":"spin",
//!  "file":"/home/user/busy.py","line":6,"col":null},…]},…}
//! ```
//!
//! Each profile (a thread, for py-spy) becomes one root. py-spy's profile names are turned into
//! the roots the dump reader uses (`Thread 5091 "MainThread"` becomes `thread (5091)
//! "MainThread"`, an empty name is dropped, `Process P Thread T …` gives a process root too);
//! other names are kept as they are. With `--threads` or `--subprocesses` py-spy already puts
//! its own `process PID:"CMDLINE"` / `thread (TID): NAME` frames at the root of each sample;
//! those samples keep them and get no second root.
//!
//! Units (decided here), so that the totals are the ones speedscope itself shows:
//! - A sampled profile weighs its `weights`, in its `unit`: a time unit makes the file
//!   microseconds (`[1, 1, 4, 3, 5]` seconds is 14 s), `none` makes it samples, `bytes` bytes.
//!   Rounding is done on the running sum, so per-profile totals stay exact to the unit.
//! - py-spy's own files (`exporter` `py-spy@…`) count samples: its weights are all `1/rate`
//!   seconds, so the count says the same, in the unit of py-spy's raw and dump outputs.
//! - Any evented profile (`O`/`C` events): the whole file is in microseconds, and each stretch
//!   between two events weighs its duration, converted from the profile's unit. Frames still
//!   open after the last event are closed at the profile's `endValue`, and that is reported.
//! - A file with any timed profile is in microseconds; a profile whose unit does not fit the
//!   file's (a `none` profile in a timed file, `bytes` next to `none`) has its values taken as
//!   they are, and that is reported.

mod doc;

use std::collections::HashMap;
use std::io::Read;

use doc::{Doc, ProfileDoc};

use crate::diagnostics::IssueKind;
use crate::error::{Error, Result};
use crate::model::{Category, ExpansionBudget, FrameId, InputKind, Profile, Unit};

use super::{ParseOptions, folded, pyframe, text};

/// A sample or event naming a frame that is not in `shared.frames`.
pub const BAD_FRAME: IssueKind = IssueKind {
    id: "speedscope.bad-frame",
    one: "sample or event with an unknown frame index skipped",
    many: "samples or events with an unknown frame index skipped",
};

/// A close event that does not match the open frame.
pub const UNBALANCED: IssueKind = IssueKind {
    id: "speedscope.unbalanced",
    one: "close event not matching the open frame repaired",
    many: "close events not matching the open frame repaired",
};

/// A profile type this reader does not know.
pub const UNKNOWN_PROFILE: IssueKind = IssueKind {
    id: "speedscope.unknown-profile",
    one: "profile of unknown type skipped",
    many: "profiles of unknown type skipped",
};

/// A unit that is not a time (`bytes`, `none`) in an evented profile.
pub const UNIT_NOT_TIME: IssueKind = IssueKind {
    id: "speedscope.unit-not-time",
    one: "profile whose unit is not a time: values taken as microseconds",
    many: "profiles whose unit is not a time: values taken as microseconds",
};

/// A sampled profile whose unit is not the one of the file's first profile.
pub const UNIT_MIXED: IssueKind = IssueKind {
    id: "speedscope.unit-mixed",
    one: "profile in another unit than the first profile: its weights taken as they are",
    many: "profiles in another unit than the first profile: their weights taken as they are",
};

/// Frames still open after an evented profile's last event.
pub const UNCLOSED: IssueKind = IssueKind {
    id: "speedscope.unclosed",
    one: "frame still open after the last event closed at the profile's endValue",
    many: "frames still open after the last event closed at the profile's endValue",
};

/// What a profile's unit measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Measure {
    Time,
    Count,
    Bytes,
}

fn measure(unit: Option<&str>) -> Measure {
    match unit {
        Some("bytes") => Measure::Bytes,
        Some(u) if micros_per_unit(u).is_some() => Measure::Time,
        _ => Measure::Count,
    }
}

/// A speedscope file: a JSON object naming speedscope's schema, or holding `profiles` and
/// `shared.frames`.
pub fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(4096)];
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'{')
        && (text::find(head, b"speedscope.app/file-format-schema").is_some()
            || (text::find(head, b"\"profiles\"").is_some()
                && text::find(head, b"\"shared\"").is_some()))
}

/// Parses a speedscope file.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let doc = crate::input::lenient::read_whole(data, |de| doc::read(de));
    from_doc(doc, data.len(), opts)
}

/// [`parse`] of the text `reader` yields, read as it comes: memory holds what the profile
/// uses (each distinct sample stack once), not the text nor a JSON tree of it.
pub fn parse_reader(reader: impl Read, opts: &ParseOptions) -> Result<Profile> {
    let (doc, len) = crate::input::lenient::read_streamed(reader, |de| doc::read(de));
    from_doc(doc, len, opts)
}

/// The profile of a file read into `doc`, `len` bytes long.
fn from_doc(doc: serde_json::Result<Doc>, len: usize, opts: &ParseOptions) -> Result<Profile> {
    let doc = doc.map_err(|e| crate::input::lenient::json_error("speedscope", e))?;
    let profiles = doc
        .profiles
        .as_deref()
        .ok_or_else(|| Error::invalid("speedscope JSON without a `profiles` list"))?;
    let shared = doc.frames.as_deref().unwrap_or(&[]);
    let evented = profiles.iter().any(|p| p.kind.as_str() == Some("evented"));
    let py_spy = doc
        .exporter
        .as_str()
        .is_some_and(|e| e.starts_with("py-spy"));
    // A file with any timed profile is timed (counts cannot be made times, times rounded to
    // counts could vanish); else the first sampled profile's measure decides.
    let sampled_measures: Vec<Measure> = profiles
        .iter()
        .filter(|p| p.kind.as_str() == Some("sampled"))
        .map(|p| measure(p.unit.as_str()))
        .collect();
    let first_measure = if sampled_measures.contains(&Measure::Time) {
        Measure::Time
    } else {
        sampled_measures.first().copied().unwrap_or(Measure::Count)
    };
    let (unit, file_measure) = match (evented, py_spy, first_measure) {
        (true, _, _) => (Unit::Microseconds, Measure::Time),
        (false, true, _) => (Unit::Samples, Measure::Count),
        (false, false, Measure::Time) => (Unit::Microseconds, Measure::Time),
        (false, false, Measure::Count) => (Unit::Samples, Measure::Count),
        (false, false, Measure::Bytes) => (Unit::Bytes, Measure::Bytes),
    };
    let weighing = if py_spy && !evented {
        Weighing::CountSamples
    } else {
        Weighing::Weights(file_measure)
    };
    let mut profile = Profile::new(InputKind::Speedscope, unit);
    let mut budget = ExpansionBudget::for_input(len);
    let mut pseudo: Vec<FrameId> = Vec::new();
    let frames: Vec<FrameId> = shared
        .iter()
        .map(|f| {
            let name = f.name.as_str().unwrap_or("<unknown>");
            // The category is read from the whole path, as every other reader does: the short
            // form has lost where the file lives.
            let path = f.file.as_str();
            let file = path.map(|p| pyframe::short_path(p, opts));
            let line = f.line.as_i64();
            let label = pyframe::sampled_label(name, file, line, opts);
            if folded::is_root_frame(&label) {
                let id = profile.frames.intern(&label, Category::Synthetic);
                pseudo.push(id);
                return id;
            }
            let category = pyframe::category(name, path, opts);
            profile.frames.intern(&label, category)
        })
        .collect();
    // Every sample asks whether its first frame is one of these: sorted and unique, a file
    // naming 50,000 copies of one thread frame costs a lookup, not a scan (it took 34 s).
    pseudo.sort_unstable();
    pseudo.dedup();
    for (index, p) in profiles.iter().enumerate() {
        let roots = roots(p, index, &mut profile);
        let scale = p.unit.as_str().and_then(micros_per_unit);
        match p.kind.as_str() {
            Some("sampled") => {
                let frames = Frames {
                    ids: &frames,
                    pseudo: &pseudo,
                };
                let merge = !opts.keep_order;
                sampled(
                    p,
                    &doc.stacks.list,
                    &roots,
                    &frames,
                    weighing,
                    merge,
                    &mut profile,
                )?;
            }
            Some("evented") => {
                if scale.is_none() {
                    profile.diagnostics.note_many(UNIT_NOT_TIME, 1, None);
                }
                let scale = scale.unwrap_or(1.0);
                evented_profile(p, &roots, &frames, scale, &mut budget, &mut profile)?;
            }
            _ => profile.diagnostics.note_many(UNKNOWN_PROFILE, 1, None),
        }
    }
    if profile.stack_count() == 0 {
        return Err(Error::no_data("speedscope file without samples or events"));
    }
    let total = folded::checked_total(&profile)?;
    let fact = match unit {
        Unit::Microseconds => "exact_us",
        Unit::Samples => "samples",
        Unit::Bytes => "bytes",
    };
    profile.facts.insert(fact, total);
    Ok(profile)
}

/// How many microseconds one unit is; `None` for `none`, `bytes` and unknown units.
fn micros_per_unit(unit: &str) -> Option<f64> {
    match unit {
        "seconds" => Some(1e6),
        "milliseconds" => Some(1e3),
        "microseconds" => Some(1.0),
        "nanoseconds" => Some(1e-3),
        _ => None,
    }
}

/// The root frames of a profile, from its name.
fn roots(p: &ProfileDoc, index: usize, profile: &mut Profile) -> Vec<FrameId> {
    let name = p.name.as_str().unwrap_or("");
    root_labels(name, index)
        .iter()
        .map(|l| profile.frames.intern(l, Category::Synthetic))
        .collect()
}

/// py-spy's `Thread TID "NAME"` / `Process PID Thread TID "NAME"` as dump-style roots.
fn root_labels(name: &str, index: usize) -> Vec<String> {
    let (process, thread) = match name.strip_prefix("Process ") {
        Some(rest) => match rest.split_once(" Thread ") {
            Some((pid, t)) => (Some(pid), Some(t)),
            None => (None, None),
        },
        None => (None, name.strip_prefix("Thread ")),
    };
    let thread = thread.and_then(|t| {
        let (tid, rest) = t.split_once(' ').unwrap_or((t, ""));
        let rest = rest.trim();
        let quoted = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
        (!tid.is_empty() && (rest.is_empty() || quoted.is_some()))
            .then(|| pyframe::thread_label(tid, quoted))
    });
    match (process, thread) {
        (Some(pid), Some(t)) => vec![pyframe::process_label(pid, None), t],
        (None, Some(t)) => vec![t],
        _ if name.is_empty() => vec![format!("profile {}", index + 1)],
        _ => vec![name.to_string()],
    }
}

/// The shared frames, and which of them are py-spy's own root frames.
struct Frames<'a> {
    ids: &'a [FrameId],
    /// `process PID:"CMDLINE"` and `thread (TID): NAME` frames, which py-spy puts at the root
    /// of every sample with `--subprocesses` or `--threads`. Sorted, no duplicates.
    pseudo: &'a [FrameId],
}

/// How a sampled profile's samples weigh.
#[derive(Clone, Copy, Debug)]
enum Weighing {
    /// One per sample (py-spy's files).
    CountSamples,
    /// The sample's weight, converted into the file's measure.
    Weights(Measure),
}

/// A sampled profile: `samples[i]` lists frame indexes root first, `weights[i]` its weight.
/// A sample that starts with py-spy's own process or thread frames gets no root from the
/// profile's name: it already says where it belongs, with the command line.
fn sampled(
    p: &ProfileDoc,
    stacks: &[Box<[u64]>],
    roots: &[FrameId],
    frames: &Frames<'_>,
    weighing: Weighing,
    merge: bool,
    profile: &mut Profile,
) -> Result<()> {
    let mut weights = p.weights();
    let unit = p.unit.as_str();
    // Microseconds per unit when the file is timed; 1 (values as they are) otherwise.
    let scale = match weighing {
        Weighing::Weights(file) if measure(unit) != file => {
            let kind = if file == Measure::Time {
                UNIT_NOT_TIME
            } else {
                UNIT_MIXED
            };
            profile.diagnostics.note_many(kind, 1, None);
            1.0
        }
        Weighing::Weights(Measure::Time) => unit.and_then(micros_per_unit).unwrap_or(1.0),
        _ => 1.0,
    };
    let mut clock = Clock::default();
    let mut ids = Vec::new();
    // What each distinct stack became in this profile: a stack naming an unknown frame
    // (`None`), or its entry, to which its later samples add (memory for the distinct stacks).
    let mut entries: HashMap<u32, Option<usize>> = HashMap::new();
    'samples: for &s in &p.samples {
        let raw = weights.next().unwrap_or(1.0);
        let weight = match weighing {
            Weighing::CountSamples => 1,
            Weighing::Weights(_) => clock.advance(raw.max(0.0) * scale),
        };
        match entries.get(&s) {
            Some(None) => {
                profile.diagnostics.note_many(BAD_FRAME, 1, None);
                continue;
            }
            Some(&Some(entry)) => {
                if weight > 0 {
                    profile
                        .add_weight(entry, weight)
                        .ok_or_else(|| Error::invalid("sample counts add up to more than 2^64"))?;
                }
                continue;
            }
            None => {}
        }
        ids.clear();
        for &f in stacks[s as usize].iter() {
            match usize::try_from(f).ok().and_then(|f| frames.ids.get(f)) {
                Some(&id) => ids.push(id),
                None => {
                    profile.diagnostics.note_many(BAD_FRAME, 1, None);
                    if merge {
                        entries.insert(s, None);
                    }
                    continue 'samples;
                }
            }
        }
        if ids
            .first()
            .is_none_or(|f| frames.pseudo.binary_search(f).is_err())
        {
            ids.splice(0..0, roots.iter().copied());
        }
        if weight > 0 {
            profile.push_stack(&ids, weight, 0);
            if merge {
                entries.insert(s, Some(profile.stack_count() - 1));
            }
        }
    }
    Ok(())
}

/// An evented profile: `O` opens a frame, `C` closes it; the time between events goes to the
/// open stack.
fn evented_profile(
    p: &ProfileDoc,
    roots: &[FrameId],
    frames: &[FrameId],
    scale: f64,
    budget: &mut ExpansionBudget,
    profile: &mut Profile,
) -> Result<()> {
    let events = &p.events;
    let mut open: Vec<FrameId> = roots.to_vec();
    let base = roots.len();
    // How many times each frame is open above `base`.
    let mut opened: HashMap<FrameId, u32> = HashMap::new();
    let mut clock = Clock::default();
    let mut last: Option<f64> = None;
    for e in events {
        let (Some(kind), Some(at)) = (e.kind.as_str(), e.at.as_f64()) else {
            profile.diagnostics.note_many(BAD_FRAME, 1, None);
            continue;
        };
        let Some(&frame) = e
            .frame
            .as_u64()
            .and_then(|f| usize::try_from(f).ok())
            .and_then(|f| frames.get(f))
        else {
            profile.diagnostics.note_many(BAD_FRAME, 1, None);
            continue;
        };
        if let Some(prev) = last {
            let weight = clock.advance((at - prev).max(0.0) * scale);
            if open.len() > base && weight > 0 {
                budget.spend(&profile.frames, &open)?;
                profile.push_stack(&open, weight, 0);
            }
        }
        last = Some(at);
        match kind {
            "O" => {
                open.push(frame);
                *opened.entry(frame).or_default() += 1;
            }
            // A close of a frame that is not open is answered by the count: searching the
            // stack for it made 50,000 opens and 50,000 stray closes take 36 s. A search that
            // finds it removes what it passed over, so searches cost what they remove.
            "C" if opened.get(&frame).is_none_or(|&n| n == 0) => {
                profile.diagnostics.note_many(UNBALANCED, 1, None);
            }
            "C" => {
                let i = open[base..]
                    .iter()
                    .rposition(|&f| f == frame)
                    .map_or(base, |i| base + i);
                if i + 1 != open.len() {
                    profile.diagnostics.note_many(UNBALANCED, 1, None);
                }
                for closed in open.drain(i..) {
                    opened.entry(closed).and_modify(|n| *n -= 1);
                }
            }
            _ => profile.diagnostics.note_many(BAD_FRAME, 1, None),
        }
    }
    if open.len() > base {
        // speedscope closes what is left at the profile's end; so do we, and say so.
        profile
            .diagnostics
            .note_many(UNCLOSED, (open.len() - base) as u64, None);
        let end = p.end_value.as_f64();
        if let (Some(end), Some(prev)) = (end, last) {
            let weight = clock.advance((end - prev).max(0.0) * scale);
            if weight > 0 {
                budget.spend(&profile.frames, &open)?;
                profile.push_stack(&open, weight, 0);
            }
        }
    }
    Ok(())
}

/// Rounds a running sum instead of each step, so rounded steps add up to the rounded total.
#[derive(Default)]
struct Clock {
    exact: f64,
    rounded: u64,
}

impl Clock {
    fn advance(&mut self, by: f64) -> u64 {
        self.exact += by;
        let now = self.exact.round().max(0.0) as u64;
        let step = now.saturating_sub(self.rounded);
        self.rounded = self.rounded.max(now);
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_spy_profile_names_become_dump_roots() {
        for (input, expected) in [
            (
                "Thread 5091 \"MainThread\"",
                vec!["thread (5091) \"MainThread\""],
            ),
            ("Thread 18929 \"\"", vec!["thread (18929)"]),
            (
                "Process 7 Thread 8 \"w\"",
                vec!["process (7)", "thread (8) \"w\""],
            ),
            ("CPU profile", vec!["CPU profile"]),
            ("", vec!["profile 1"]),
        ] {
            assert_eq!(root_labels(input, 0), expected, "{input}");
        }
    }

    #[test]
    fn the_clock_conserves_totals() {
        let mut c = Clock::default();
        let steps: u64 = (0..10).map(|_| c.advance(0.3)).sum();
        assert_eq!(steps, 3);
    }

    #[test]
    fn sampled_weights_count_in_the_profiles_unit() {
        // speedscope's own fixture (sample/profiles/speedscope/0.1.2): it shows a;b;c 5,
        // a;b;d 4, a;b 5, 14 s in all.
        let data = br#"{"$schema":"https://www.speedscope.app/file-format-schema.json",
          "profiles":[{"type":"sampled","name":"p","unit":"seconds","startValue":0,
            "endValue":14,"samples":[[0,1,2],[0,1,2],[0,1,3],[0,1,2],[0,1]],
            "weights":[1,1,4,3,5]}],
          "shared":{"frames":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}}"#;
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.unit, Unit::Microseconds);
        assert_eq!(
            p.folded_lines(),
            vec![
                ("p;a;b".to_string(), 5_000_000),
                ("p;a;b;c".to_string(), 5_000_000),
                ("p;a;b;d".to_string(), 4_000_000),
            ]
        );
        let none = String::from_utf8_lossy(data).replace("seconds", "none");
        let p = parse(none.as_bytes(), &ParseOptions::default()).unwrap();
        assert_eq!((p.unit, p.total()), (Unit::Samples, 14));
        let bytes = String::from_utf8_lossy(data).replace("seconds", "bytes");
        let p = parse(bytes.as_bytes(), &ParseOptions::default()).unwrap();
        assert_eq!((p.unit, p.total()), (Unit::Bytes, 14));
    }

    #[test]
    fn a_timed_profile_after_a_counted_one_keeps_its_time() {
        let data = br#"{"$schema":"https://www.speedscope.app/file-format-schema.json",
          "profiles":[{"type":"sampled","name":"n","unit":"none","samples":[[0]],"weights":[3]},
            {"type":"sampled","name":"t","unit":"milliseconds","samples":[[0]],
             "weights":[0.25]}],
          "shared":{"frames":[{"name":"a"}]}}"#;
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.unit, Unit::Microseconds);
        assert_eq!(
            p.folded_lines(),
            vec![("n;a".to_string(), 3), ("t;a".to_string(), 250)]
        );
        assert_eq!(p.diagnostics.count(UNIT_NOT_TIME), 1);
    }

    #[test]
    fn an_event_left_open_is_closed_at_the_end_value() {
        // speedscope's sample/profiles/speedscope/invalid/incomplete-trace.json
        let data = br#"{"$schema":"https://www.speedscope.app/file-format-schema.json",
          "shared":{"frames":[{"name":"A"}]},"profiles":[{"type":"evented","name":"p1",
          "unit":"milliseconds","startValue":0,"endValue":100,
          "events":[{"type":"O","frame":0,"at":0}]}]}"#;
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.folded_lines(), vec![("p1;A".to_string(), 100_000)]);
        assert_eq!(p.diagnostics.count(UNCLOSED), 1);
    }

    #[test]
    fn evented_profiles_weigh_time() {
        let data = br#"{"$schema":"https://www.speedscope.app/file-format-schema.json",
          "shared":{"frames":[{"name":"a"},{"name":"b"}]},
          "profiles":[{"type":"evented","name":"p","unit":"milliseconds","startValue":0,
            "endValue":10,"events":[{"type":"O","at":0,"frame":0},{"type":"O","at":2,"frame":1},
            {"type":"C","at":5,"frame":1},{"type":"C","at":10,"frame":0}]}]}"#;
        let p = parse(data, &ParseOptions::default()).unwrap();
        assert_eq!(p.unit, Unit::Microseconds);
        assert_eq!(
            p.folded_lines(),
            vec![("p;a".to_string(), 7000), ("p;a;b".to_string(), 3000)]
        );
    }
}
