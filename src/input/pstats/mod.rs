//! pstats files (FORMATS.md §2, §5): what `python -m cProfile -o`, `python -m profile -o`,
//! `pstats.Stats.dump_stats` and CPython 3.15's `python -m profiling.sampling run --pstats`
//! write. The file is one marshalled dict, e.g. (cProfile, FORMATS.md §2.5):
//!
//! ```text
//! ('t.py', 3, 'g'): (2, 2, 1.0, 1.0, {('t.py', 1, 'f'): (2, 2, 1.0, 1.0)})
//! ```
//!
//! Bytes become a [`marshal::Value`], the value a [`callgraph::CallGraph`], the graph inferred
//! stacks whose weights are whole microseconds, conserved per function (see [`callgraph`]).
//!
//! Frames are named as py-spy prints them, `function (file:line)`, with paths shortened to
//! what follows `site-packages/`, `dist-packages/` or the stdlib's `lib/pythonX.Y/` (unless
//! [`ParseOptions::full_paths`]). Built-ins keep their own name
//! (`<built-in method builtins.len>`); the `profile` module's `('', 0, 'len')` becomes
//! `<built-in len>`; its fake `('profile', 0, 'profiler')` entry reads `profile:0(profiler)`.
//!
//! Sampling-profiler files carry the *executing* line in their keys, so by default the lines
//! of one function (same file and name) are merged into one frame named `function (file)`, as
//! py-spy's `--nolineno` does; [`ParseOptions::keep_lines`] keeps `function (file:line)`.

pub mod callgraph;
pub mod marshal;

use ahash::HashMap;

use crate::diagnostics::IssueKind;
use crate::error::{Error, Position, Result};
use crate::model::{Category, FrameId, InputKind, Profile, Unit};

use super::ParseOptions;
use super::pyframe::{self, Place};
use callgraph::{CallGraph, Func, FuncName, Step, WalkSummary};
use marshal::{CodeLayout, Reader};

/// Microseconds of own time on stacks inferred from caller/callee pairs (a function with
/// several callers, or below one, had its time split in proportion to edge time).
pub const APPORTIONED_US: IssueKind = IssueKind {
    id: "pstats.apportioned-us",
    one: "µs of own time on inferred stacks (pstats keeps only caller/callee pairs: time of \
          functions reached through several callers is split by each edge's share)",
    many: "µs of own time on inferred stacks (pstats keeps only caller/callee pairs: time of \
           functions reached through several callers is split by each edge's share)",
};

/// Microseconds of own time on exact stacks: a single caller chain from a root call.
pub const EXACT_US: IssueKind = IssueKind {
    id: "pstats.exact-us",
    one: "µs of own time on exact stacks (a single caller chain from a root call)",
    many: "µs of own time on exact stacks (a single caller chain from a root call)",
};

/// The file came from a sampling profiler; counts its samples.
pub const SAMPLED: IssueKind = IssueKind {
    id: "pstats.sampled",
    one: "sample from a sampling profiler (call counts in tooltips are sample counts)",
    many: "samples from a sampling profiler (call counts in tooltips are sample counts)",
};

/// Several executing lines of one function became one frame.
pub const LINES_MERGED: IssueKind = IssueKind {
    id: "pstats.lines-merged",
    one: "function seen at several executing lines shown as one frame (keep lines apart with \
          --keep-lines)",
    many: "functions seen at several executing lines shown as one frame each (keep lines \
           apart with --keep-lines)",
};

/// A negative own time (the `profile` module's calibration can produce them) counts as 0.
pub const NEGATIVE: IssueKind = IssueKind {
    id: "pstats.negative-time",
    one: "function with a negative own time counted as 0",
    many: "functions with a negative own time counted as 0",
};

/// A function only reached by negligible paths was attached under a caller.
pub const ATTACHED: IssueKind = IssueKind {
    id: "pstats.attached",
    one: "function reached only by paths carrying under 0.5 µs or a millionth of the total, \
          attached under a caller's heaviest stack",
    many: "functions reached only by paths carrying under 0.5 µs or a millionth of the total, \
           attached under a caller's heaviest stack",
};

/// [`ATTACHED`] when the walk's threshold was raised past its base ([`THRESHOLD_RAISED`]
/// gives it): the base's wording would name a threshold the walk did not use.
pub const ATTACHED_RAISED: IssueKind = IssueKind {
    id: "pstats.attached",
    one: "function reached only by paths carrying less than the raised flow threshold, \
          attached under a caller's heaviest stack",
    many: "functions reached only by paths carrying less than the raised flow threshold, \
           attached under a caller's heaviest stack",
};

/// A function no root call reaches was put under a synthetic root.
pub const NO_ROOT: IssueKind = IssueKind {
    id: "pstats.no-root",
    one: "function reached by no root call (only inside a cycle), shown under [no root call]",
    many: "functions reached by no root call (only inside cycles), shown under [no root call]",
};

/// A stack deeper than `max_depth` was shortened.
pub const ELIDED: IssueKind = IssueKind {
    id: "pstats.depth-elided",
    one: "stack deeper than the depth limit shortened with [deeper frames elided]",
    many: "stacks deeper than the depth limit shortened with [deeper frames elided]",
};

/// The walk hit its path budget.
pub const BUDGET: IssueKind = IssueKind {
    id: "pstats.path-budget",
    one: "call-graph walk stopped at its path budget; later functions were attached under \
          their callers",
    many: "call-graph walks stopped at their path budget; later functions were attached \
           under their callers",
};

/// The walk's flow threshold was raised to fit its budget; the count is the threshold in µs.
pub const THRESHOLD_RAISED: IssueKind = IssueKind {
    id: "pstats.threshold-raised",
    one: "µs flow threshold: the call graph has too many paths to walk them all, so paths \
          carrying less were not walked (their functions' time went to a caller's stack)",
    many: "µs flow threshold: the call graph has too many paths to walk them all, so paths \
           carrying less were not walked (their functions' time went to a caller's stack)",
};

/// A caller named in a callers dict has no entry of its own.
pub const MISSING_CALLER: IssueKind = IssueKind {
    id: "pstats.missing-caller",
    one: "caller without an entry of its own, treated as never called",
    many: "callers without an entry of their own, treated as never called",
};

/// Code objects needed a pre-3.11 layout.
pub const OLD_CODE_LAYOUT: IssueKind = IssueKind {
    id: "pstats.old-code-layout",
    one: "file whose code objects were read with a pre-3.11 layout",
    many: "files whose code objects were read with a pre-3.11 layout",
};

/// Label of the frame that stands for left-out middle frames of a deep stack.
pub const ELIDED_FRAME: &str = "[deeper frames elided]";

/// Label of the synthetic root of functions no root call reaches.
pub const NO_ROOT_FRAME: &str = "[no root call]";

/// A marshalled dict (`{`, maybe with FLAG_REF 0x80) whose first key starts a tuple, or `0`
/// when empty. Looking at the second byte keeps JSON (`{"`, `{\n`) out.
pub fn sniff(data: &[u8]) -> bool {
    match data {
        [a, b, ..] => a & 0x7F == b'{' && matches!(b & 0x7F, b'(' | b')' | b'0'),
        _ => false,
    }
}

/// Parses a pstats file into a profile of inferred stacks (weights in µs).
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let (graph, layout) = read_graph(data)?;
    if graph.funcs.is_empty() {
        return Err(Error::no_data("pstats file holds no functions").at(Position::Byte(0)));
    }
    let mut profile = Profile::new(InputKind::Pstats, Unit::Microseconds);
    let frames = intern_frames(&graph, opts, &mut profile);
    let elided = profile.frames.intern(ELIDED_FRAME, Category::Synthetic);
    let no_root = profile.frames.intern(NO_ROOT_FRAME, Category::Synthetic);
    let mut ids: Vec<FrameId> = Vec::new();
    let summary = graph.infer_on(opts.max_depth, opts.jobs, |steps, weight| {
        ids.clear();
        ids.extend(steps.iter().map(|s| match s {
            Step::Func(f) => frames[*f as usize],
            Step::Elided => elided,
            Step::NoRoot => no_root,
        }));
        profile.push_stack(&ids, weight, 0);
    });
    if layout != CodeLayout::Py311 {
        profile
            .diagnostics
            .note_many(OLD_CODE_LAYOUT, 1, Some(Position::Byte(0)));
    }
    mark_exact(&graph, &summary, &frames, &mut profile);
    record(&graph, &summary, &mut profile);
    Ok(profile)
}

/// Adds to each frame's tooltip whether its time sits on exact stacks (a single caller chain
/// from a root call) or on inferred ones; a frame shared by several functions is exact only
/// when all of them are.
fn mark_exact(graph: &CallGraph, summary: &WalkSummary, frames: &[FrameId], profile: &mut Profile) {
    let mut exact: HashMap<FrameId, bool> = HashMap::default();
    for (f, &id) in frames.iter().enumerate() {
        if graph.funcs[f].own_us == 0 && graph.funcs[f].ct <= 0.0 {
            continue;
        }
        let e = exact.entry(id).or_insert(true);
        *e &= summary.exact.get(f).copied().unwrap_or(false);
    }
    let mut sorted: Vec<_> = exact.into_iter().collect();
    sorted.sort_unstable();
    for (id, is_exact) in sorted {
        let detail = profile.frames.detail(id).unwrap_or_default().to_string();
        let stack = if is_exact {
            "time on exact stacks"
        } else {
            "time on inferred stacks"
        };
        let detail = if detail.is_empty() {
            stack.to_string()
        } else {
            format!("{detail}, {stack}")
        };
        profile.frames.set_detail(id, detail);
    }
}

/// Reads the marshal data and its call graph, retrying older code-object layouts when the
/// file holds code objects and the newest layout fails (FORMATS.md §2.4). On failure the
/// error that got furthest into the file is kept: it is the likeliest true cause.
fn read_graph(data: &[u8]) -> Result<(CallGraph, CodeLayout)> {
    let mut best: Option<Error> = None;
    for layout in CodeLayout::ALL {
        let mut reader = Reader::new(data, layout);
        let result = reader.read_whole().and_then(|v| CallGraph::from_value(&v));
        match result {
            Ok(graph) => return Ok((graph, layout)),
            Err(err) => {
                let further = match (&best, err.position()) {
                    (None, _) => true,
                    (Some(b), Some(p)) => b.position().is_none_or(|bp| p > bp),
                    (Some(_), None) => false,
                };
                if further {
                    best = Some(err);
                }
                if !reader.saw_code() {
                    break;
                }
            }
        }
    }
    Err(best.unwrap_or_else(|| Error::invalid("unreadable pstats data")))
}

/// Interns one frame per function (functions with the same label share it) and sets the
/// tooltip detail to the summed call counts.
fn intern_frames(graph: &CallGraph, opts: &ParseOptions, profile: &mut Profile) -> Vec<FrameId> {
    let mut counts: HashMap<FrameId, (u64, u64, u64)> = HashMap::default();
    let mut ids = Vec::with_capacity(graph.funcs.len());
    let root = project_root(graph.funcs.iter().map(|f| key(f).0), opts);
    for f in &graph.funcs {
        let (file, line, name) = key(f);
        let (label, category) =
            frame_label_in(file, line, name, graph.sampled, opts, root.as_deref());
        let id = profile.frames.intern(&label, category);
        let c = counts.entry(id).or_default();
        c.0 = c.0.saturating_add(f.nc);
        c.1 = c.1.saturating_add(f.cc);
        c.2 += 1;
        ids.push(id);
    }
    let mut merged = 0;
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_unstable();
    for (id, (nc, cc, keys)) in sorted {
        profile
            .frames
            .set_detail(id, call_detail(nc, cc, graph.sampled));
        merged += u64::from(keys > 1);
    }
    if graph.sampled && !opts.keep_lines {
        profile.diagnostics.note_many(LINES_MERGED, merged, None);
    }
    ids
}

/// A function's `(file, line, name)`: a code object in a key stands for its own file, first
/// line and name.
fn key(f: &Func) -> (&str, i64, &str) {
    match &f.key.name {
        FuncName::Plain(n) => (&f.key.file, f.key.line, n),
        FuncName::Code { name, file, line } => (file, *line, name),
    }
}

/// `3/1 calls` as pstats prints `nc/cc`; for a sampler, samples on the stack and on top.
fn call_detail(nc: u64, cc: u64, sampled: bool) -> String {
    if sampled {
        format!("{nc} samples on stack, {cc} on top")
    } else if nc == cc {
        format!("{nc} call{}", if nc == 1 { "" } else { "s" })
    } else {
        format!("{nc}/{cc} calls")
    }
}

/// The frame label and category of a pstats key `(file, line, name)`; for a code object in a
/// key, pass its `co_filename`, `co_firstlineno` and `co_name`. `sampled` says the file came
/// from a sampling profiler, whose lines are merged unless [`ParseOptions::keep_lines`]. Public
/// so tests can map ground-truth keys to frames without reimplementing the naming.
pub fn frame_label(
    file: &str,
    line: i64,
    name: &str,
    sampled: bool,
    opts: &ParseOptions,
) -> (String, Category) {
    frame_label_in(file, line, name, sampled, opts, None)
}

/// [`frame_label`] with the user's own absolute paths shown relative to `root` (from
/// [`project_root`]), so `/home/me/app/src/job.py` reads `src/job.py` like py-spy's short names.
pub fn frame_label_in(
    file: &str,
    line: i64,
    name: &str,
    sampled: bool,
    opts: &ParseOptions,
    root: Option<&str>,
) -> (String, Category) {
    match (file, line) {
        // Built-in names can hold a memory address (`<built-in method __new__ of type object
        // at 0x7f45…>`) that differs in every run: it leaves the name (issue 15).
        ("~", _) => {
            return (
                crate::identity::strip_addresses(name).into_owned(),
                Category::Builtin,
            );
        }
        ("", 0) => return (format!("<built-in {name}>"), Category::Builtin),
        ("profile", 0) => return (format!("profile:0({name})"), Category::Synthetic),
        _ => {}
    }
    let (mut short, category) = shorten(file, opts);
    if category == Category::FirstParty
        && let Some(rest) = root.and_then(|r| short.strip_prefix(r))
        && !rest.is_empty()
    {
        short = rest;
    }
    let label = if line > 0 && (!sampled || opts.keep_lines) {
        format!("{name} ({short}:{line})")
    } else {
        format!("{name} ({short})")
    };
    (label, category)
}

/// The deepest directory holding every absolute path of the user's own code in `files` (the
/// ones not in site-packages or the standard library), with its trailing separator; `None`
/// when there is none or `--full-paths` keeps paths whole. A sampling profiler and installed
/// first-party packages write absolute paths that would otherwise fill the frames.
pub fn project_root<'a>(
    files: impl IntoIterator<Item = &'a str>,
    opts: &ParseOptions,
) -> Option<String> {
    if opts.full_paths {
        return None;
    }
    let mut root: Option<&str> = None;
    for file in files {
        if !pyframe::is_absolute(file) || shorten(file, opts).1 != Category::FirstParty {
            continue;
        }
        let dir = match file.rfind(['/', '\\']) {
            Some(i) => &file[..=i],
            None => continue,
        };
        root = Some(match root {
            None => dir,
            Some(r) => common_dir(r, dir),
        });
    }
    root.filter(|r| r.len() > 1).map(str::to_string)
}

/// The longest common prefix of two directories that ends at a separator.
fn common_dir<'a>(a: &'a str, b: &str) -> &'a str {
    let mut end = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            break;
        }
        if x == '/' || x == '\\' {
            end = i + 1;
        }
    }
    &a[..end]
}

/// The readable part of a path and what kind of code lives there ([`pyframe::place`], the
/// naming every reader shares). A path in no package or stdlib directory is the user's own:
/// pstats keys carry real paths (the script as run), not py-spy's short forms.
fn shorten<'a>(file: &'a str, opts: &ParseOptions) -> (&'a str, Category) {
    let place = pyframe::place(file);
    let category =
        pyframe::place_category(place, &opts.first_party).unwrap_or(Category::FirstParty);
    let short = match place {
        Place::Installed(rest) | Place::Stdlib(rest) if !opts.full_paths => rest,
        _ => file,
    };
    (short, category)
}

/// Facts and diagnostics of a finished profile.
fn record(graph: &CallGraph, summary: &WalkSummary, profile: &mut Profile) {
    let calls = graph.funcs.iter().fold(0u64, |a, f| a.saturating_add(f.nc));
    let functions = graph.funcs.len() as u64 - graph.created_missing;
    profile.facts.insert("functions", functions);
    profile.facts.insert("calls", calls);
    profile.facts.insert("exact_us", summary.exact_us);
    profile
        .facts
        .insert("apportioned_us", summary.apportioned_us);
    let d = &mut profile.diagnostics;
    if graph.sampled {
        let samples = graph.funcs.iter().fold(0u64, |a, f| a.saturating_add(f.cc));
        profile.facts.insert("samples", samples);
        d.note_many(SAMPLED, samples.max(1), None);
    }
    d.note_many(APPORTIONED_US, summary.apportioned_us, None);
    d.note_many(EXACT_US, summary.exact_us, None);
    note_offsets(d, NEGATIVE, &graph.negative);
    note_offsets(d, MISSING_CALLER, &graph.missing_callers);
    let raised = summary.min_flow > summary.base_flow;
    let attached = if raised { ATTACHED_RAISED } else { ATTACHED };
    note_offsets(d, attached, &summary.attached);
    note_offsets(d, NO_ROOT, &summary.no_root);
    d.note_many(ELIDED, summary.elided, None);
    if raised {
        d.note_many(
            THRESHOLD_RAISED,
            (summary.min_flow * 1e6).round() as u64,
            None,
        );
    }
    if summary.budget_hit {
        d.note_many(BUDGET, 1, None);
    }
}

fn note_offsets(d: &mut crate::diagnostics::Diagnostics, kind: IssueKind, offsets: &[u64]) {
    let first = offsets.iter().min().map(|&b| Position::Byte(b));
    d.note_many(kind, offsets.len() as u64, first);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_claims_marshalled_dicts_but_not_json() {
        for (head, expected) in [
            (&b"\xfb\x29\x03"[..], true),
            (b"{\xa9\x03", true),
            (b"{0", true),
            (b"\xfb0", true),
            (b"{\"a\": 1}", false),
            (b"{\n  \"x\"", false),
            (b"{", false),
            (b"", false),
            (b"import time: self", false),
        ] {
            assert_eq!(sniff(head), expected, "{head:?}");
        }
    }

    #[test]
    fn labels_read_like_py_spy() {
        let o = ParseOptions::default();
        let full = ParseOptions {
            full_paths: true,
            ..ParseOptions::default()
        };
        let mine = ParseOptions {
            first_party: vec!["requests".into()],
            ..ParseOptions::default()
        };
        let keep = ParseOptions {
            keep_lines: true,
            ..ParseOptions::default()
        };
        let site = "/v/lib/python3.11/site-packages/requests/api.py";
        let cases: Vec<(&str, i64, &str, bool, &ParseOptions, &str, Category)> = vec![
            (
                "~",
                0,
                "<built-in method builtins.len>",
                false,
                &o,
                "<built-in method builtins.len>",
                Category::Builtin,
            ),
            ("", 0, "len", false, &o, "<built-in len>", Category::Builtin),
            (
                "profile",
                0,
                "profiler",
                false,
                &o,
                "profile:0(profiler)",
                Category::Synthetic,
            ),
            (
                "demo.py",
                3,
                "f",
                false,
                &o,
                "f (demo.py:3)",
                Category::FirstParty,
            ),
            (
                site,
                14,
                "get",
                false,
                &o,
                "get (requests/api.py:14)",
                Category::SitePackages,
            ),
            (
                site,
                14,
                "get",
                false,
                &full,
                "get (/v/lib/python3.11/site-packages/requests/api.py:14)",
                Category::SitePackages,
            ),
            (
                site,
                14,
                "get",
                false,
                &mine,
                "get (requests/api.py:14)",
                Category::FirstParty,
            ),
            (
                "/usr/lib/python3/dist-packages/six.py",
                1,
                "<module>",
                false,
                &o,
                "<module> (six.py:1)",
                Category::SitePackages,
            ),
            (
                "/usr/lib/python3.15/json/decoder.py",
                332,
                "decode",
                false,
                &o,
                "decode (json/decoder.py:332)",
                Category::Stdlib,
            ),
            (
                "/opt/lib/python3.13t/re/__init__.py",
                1,
                "m",
                false,
                &o,
                "m (re/__init__.py:1)",
                Category::Stdlib,
            ),
            (
                "<frozen importlib._bootstrap>",
                1,
                "_load",
                false,
                &o,
                "_load (<frozen importlib._bootstrap>:1)",
                Category::Stdlib,
            ),
            (
                "<string>",
                1,
                "<module>",
                false,
                &o,
                "<module> (<string>:1)",
                Category::Other,
            ),
            (
                "/a/w.py",
                95,
                "Expr.walk",
                true,
                &o,
                "Expr.walk (/a/w.py)",
                Category::FirstParty,
            ),
            (
                "/a/w.py",
                95,
                "Expr.walk",
                true,
                &keep,
                "Expr.walk (/a/w.py:95)",
                Category::FirstParty,
            ),
            (
                "__init__",
                -1,
                "__init__",
                true,
                &keep,
                "__init__ (__init__)",
                Category::FirstParty,
            ),
            (
                "C:\\Py\\Lib\\site-packages\\x\\y.py",
                2,
                "f",
                false,
                &o,
                "f (x\\y.py:2)",
                Category::SitePackages,
            ),
        ];
        for (file, line, name, sampled, opts, label, category) in cases {
            assert_eq!(
                frame_label(file, line, name, sampled, opts),
                (label.to_string(), category),
                "{file} {line} {name}"
            );
        }
    }

    /// `{('a.py', 1, 'f'): (1, 1, 0.5, 0.5, {}), ('~', 0, 'len'): (2, 2, 0.25, 0.25,
    /// {('a.py', 1, 'f'): (2, 2, 0.25, 0.25)})}` with only the long forms a version 2 writer
    /// (Python 3.0-3.3) uses: no refs, `u` strings, `(` tuples, text and 64-bit numbers.
    #[test]
    fn version_2_long_forms_parse() {
        let mut b = vec![b'{'];
        let key = |b: &mut Vec<u8>, file: &[u8], line: u8, name: &[u8]| {
            b.extend([b'(', 3, 0, 0, 0, b'u', file.len() as u8, 0, 0, 0]);
            b.extend(file);
            b.extend([
                b'I',
                line,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                b'u',
                name.len() as u8,
                0,
                0,
                0,
            ]);
            b.extend(name);
        };
        key(&mut b, b"a.py", 1, b"f");
        b.extend([b'(', 5, 0, 0, 0, b'i', 1, 0, 0, 0, b'l', 1, 0, 0, 0, 1, 0]);
        b.extend([
            b'f', 3, b'0', b'.', b'5', b'f', 3, b'0', b'.', b'5', b'{', b'0',
        ]);
        key(&mut b, b"~", 0, b"len");
        b.extend([b'(', 5, 0, 0, 0, b'i', 2, 0, 0, 0, b'i', 2, 0, 0, 0]);
        b.extend([
            b'f', 4, b'0', b'.', b'2', b'5', b'f', 4, b'0', b'.', b'2', b'5', b'{',
        ]);
        key(&mut b, b"a.py", 1, b"f");
        b.extend([b'(', 4, 0, 0, 0, b'i', 2, 0, 0, 0, b'i', 2, 0, 0, 0]);
        b.extend([
            b'f', 4, b'0', b'.', b'2', b'5', b'f', 4, b'0', b'.', b'2', b'5', b'0', b'0',
        ]);
        assert!(sniff(&b));
        let p = parse(&b, &ParseOptions::default()).unwrap();
        let lines = p.folded_lines();
        assert_eq!(
            lines,
            [
                ("f (a.py:1)".to_string(), 500_000),
                ("f (a.py:1);len".to_string(), 250_000)
            ]
        );
        assert_eq!(p.facts["exact_us"], 750_000);
    }

    #[test]
    fn call_details_read_like_pstats() {
        assert_eq!(call_detail(1, 1, false), "1 call");
        assert_eq!(call_detail(3, 1, false), "3/1 calls");
        assert_eq!(call_detail(9, 2, true), "9 samples on stack, 2 on top");
    }

    #[test]
    fn the_users_absolute_paths_read_relative_to_their_common_directory() {
        let o = ParseOptions::default();
        let files = [
            "/home/u/prj/app/workload.py",
            "/home/u/prj/app/lib/util.py",
            "/usr/lib/python3.15/json/__init__.py",
            "/venv/lib/python3.15/site-packages/sympy/core/cache.py",
            "<frozen runpy>",
            "~",
        ];
        let root = project_root(files, &o);
        assert_eq!(root.as_deref(), Some("/home/u/prj/app/"));
        let (label, _) = frame_label_in(files[1], 3, "f", false, &o, root.as_deref());
        assert_eq!(label, "f (lib/util.py:3)");
        let whole = ParseOptions {
            full_paths: true,
            ..ParseOptions::default()
        };
        assert_eq!(project_root(files, &whole), None);
        assert_eq!(common_dir("C:\\a\\b\\", "C:\\a\\c\\"), "C:\\a\\");
    }
}
