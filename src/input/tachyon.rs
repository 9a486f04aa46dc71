//! CPython 3.15's own sampling profiler, `python -m profiling.sampling` ("Tachyon", PEP 799;
//! FORMATS.md §5). Its `--pstats` output is read by the pstats parser; this module reads the
//! others, each in its own submodule with the usual `sniff` and `parse`:
//!
//! - [`collapsed`]: `--collapsed`, folded stacks rooted at `tid:N`;
//! - [`dump`]: `dump -a PID`, traceback-style blocks, root first;
//! - [`gecko`]: `--gecko`, the Firefox Profiler's processed format;
//! - [`jsonl`]: `--jsonl`, aggregates only: refused with advice;
//! - [`html`]: `--flamegraph`, an HTML page with the tree embedded.
//!
//! Frames are written as py-spy writes them, `qualname (file:line)`, so a 3.15 profile and a
//! py-spy one of the same program share frame names; threads are `thread (TID)` roots.

use crate::diagnostics::IssueKind;

/// Frames this reader could not take apart, kept as printed.
pub const RAW_FRAME: IssueKind = IssueKind {
    id: "tachyon.raw-frame",
    one: "frame not in `file:function:line` form kept as printed",
    many: "frames not in `file:function:line` form kept as printed",
};

pub mod collapsed {
    //! `--collapsed` (FORMATS.md §5): folded stacks, every one rooted at `tid:N`, frames
    //! `basename:qualname:line` (line may be `-1`; a bare `<GC>` frame can be a leaf):
    //!
    //! ```text
    //! tid:2162;threading.py:Thread._bootstrap:1181;threading.py:Thread.run:1161;spy_threads.py:sleeper:34 2882
    //! ```
    //!
    //! Read with the folded reader; `tid:N` becomes `thread (N)` and a frame becomes
    //! `qualname (basename:line)`. Counts are kept as they are.

    use std::borrow::Cow;

    use crate::error::Result;
    use crate::input::{ParseOptions, folded, pyframe, text};
    use crate::model::{Category, InputKind, Profile, Unit};

    /// The first non-empty line starts with `tid:DIGITS;` (or is `tid:N COUNT`).
    pub fn sniff(data: &[u8]) -> bool {
        let head = &data[..data.len().min(1 << 16)];
        let Some((_, line)) = text::lines(head).find(|(_, l)| !l.trim_ascii().is_empty()) else {
            return false;
        };
        let Some(rest) = line.strip_prefix(b"tid:") else {
            return false;
        };
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        digits > 0 && matches!(rest.get(digits), Some(b';' | b' ' | b'\t')) && folded::sniff(head)
    }

    /// Parses `--collapsed` output.
    pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
        let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
        let mut raw = 0u64;
        folded::parse_into(&mut profile, data, &mut |frame, index| {
            if index == 0
                && let Some(tid) = frame.strip_prefix("tid:")
                && !tid.is_empty()
                && tid.bytes().all(|b| b.is_ascii_digit())
            {
                return (
                    Cow::Owned(pyframe::thread_label(tid, None)),
                    Category::Synthetic,
                );
            }
            match split_frame(frame) {
                Some((file, name, line)) => {
                    let category = pyframe::category(name, Some(file), opts);
                    (
                        Cow::Owned(pyframe::label(name, Some(file), Some(line))),
                        category,
                    )
                }
                None => {
                    if !(frame.starts_with('<') && frame.ends_with('>')) {
                        raw += 1;
                    }
                    (Cow::Borrowed(frame), pyframe::category(frame, None, opts))
                }
            }
        })?;
        profile.diagnostics.note_many(super::RAW_FRAME, raw, None);
        Ok(profile)
    }

    /// `threading.py:Thread.run:1161` -> (file, qualname, line); the line may be `-1`.
    pub(crate) fn split_frame(frame: &str) -> Option<(&str, &str, i64)> {
        let (rest, line) = frame.rsplit_once(':')?;
        let line: i64 = line.parse().ok()?;
        let (file, name) = rest.split_once(':')?;
        (!file.is_empty() && !name.is_empty()).then_some((file, name, line))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn frames_split_into_file_name_line() {
            for (input, expected) in [
                (
                    "threading.py:Thread.run:1161",
                    Some(("threading.py", "Thread.run", 1161)),
                ),
                (
                    "<frozen runpy>:_run_module_as_main:201",
                    Some(("<frozen runpy>", "_run_module_as_main", 201)),
                ),
                ("__init__:__init__:-1", Some(("__init__", "__init__", -1))),
                ("<GC>", None),
                ("a:b", None),
            ] {
                assert_eq!(split_frame(input), expected, "{input}");
            }
        }
    }
}

pub mod dump {
    //! `python -m profiling.sampling dump -a PID` (FORMATS.md §5): one block per thread, root
    //! first (the reverse of py-spy), traceback style, the source line under each frame:
    //!
    //! ```text
    //! Stack dump for PID 2169, thread 2179 (on CPU; most recent call last):
    //!   File "/home/u/prj/app/spy_threads.py", line 57, in pool_task
    //!     return len(hash_chain(bytes([i]), 200000))
    //! Stack dump, thread 2178 (has GIL, on CPU; most recent call last):
    //! ```
    //!
    //! Each block is one sample under `process (PID)` and `thread (TID) [STATUS]`: the status is
    //! part of the thread frame here, as printed. Threads whose status has an `idle` part
    //! (`idle`, `main thread, idle`) are left out unless `--idle`, and kept when every thread
    //! is idle, as for py-spy dumps. Source lines are context, not frames.

    use crate::error::{Error, Position, Result};
    use crate::input::pyspy::{ALL_IDLE, IDLE_SKIPPED, UNKNOWN_LINE};
    use crate::input::{ParseOptions, folded, pyframe, text};
    use crate::model::{Category, InputKind, Profile, Unit};

    /// A `Stack dump` header line within the first lines.
    pub fn sniff(data: &[u8]) -> bool {
        let head = &data[..data.len().min(1 << 16)];
        text::lines(head)
            .take(50)
            .any(|(_, l)| parse_header(&String::from_utf8_lossy(&l)).is_some())
    }

    /// `Stack dump for PID 2169, thread 2179 (on CPU; most recent call last):` ->
    /// (pid, tid, status).
    fn parse_header(line: &str) -> Option<(Option<&str>, &str, &str)> {
        let rest = line.strip_prefix("Stack dump")?;
        let (pid, rest) = match rest.strip_prefix(" for PID ") {
            Some(r) => {
                let (pid, r) = r.split_once(',')?;
                (Some(pid.trim()), r)
            }
            None => (None, rest.strip_prefix(',')?),
        };
        let rest = rest.trim_start().strip_prefix("thread ")?;
        let (tid, rest) = rest.split_once(" (")?;
        let status = rest
            .strip_suffix("):")?
            .trim_end_matches("most recent call last")
            .trim_end_matches([';', ' ']);
        Some((pid, tid, status))
    }

    /// `  File "/x/threading.py", line 1181, in Thread._bootstrap` -> (file, line, name).
    fn parse_file_line(line: &str) -> Option<(&str, i64, &str)> {
        let rest = line.strip_prefix("  File \"")?;
        let (file, rest) = rest.rsplit_once("\", line ")?;
        let (number, name) = rest.split_once(", in ")?;
        Some((file, number.trim().parse().ok()?, name))
    }

    struct Block {
        process: String,
        thread: String,
        idle: bool,
        frames: Vec<(String, Category)>,
        at: Position,
    }

    /// Parses `dump` output.
    pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
        let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
        let mut blocks: Vec<Block> = Vec::new();
        let mut pid = "?".to_string();
        for (number, line) in text::lines(data) {
            let at = Position::Line(number);
            let line = String::from_utf8_lossy(&line);
            if let Some((p, tid, status)) = parse_header(&line) {
                if let Some(p) = p {
                    pid = p.to_string();
                }
                blocks.push(Block {
                    process: pyframe::process_label(&pid, None),
                    thread: format!("{} [{status}]", pyframe::thread_label(tid, None)),
                    idle: status.split(',').any(|s| s.trim() == "idle"),
                    frames: Vec::new(),
                    at,
                });
                continue;
            }
            if let Some((file, number, name)) = parse_file_line(&line) {
                match blocks.last_mut() {
                    Some(b) => {
                        let short = pyframe::short_path(file, opts);
                        let category = pyframe::category(name, Some(file), opts);
                        b.frames
                            .push((pyframe::label(name, Some(short), Some(number)), category));
                    }
                    None => profile.diagnostics.note(UNKNOWN_LINE, at),
                }
                continue;
            }
            let context = line.starts_with("    ") && !blocks.is_empty();
            if !(context || line.trim().is_empty()) {
                profile.diagnostics.note(UNKNOWN_LINE, at);
            }
        }
        if blocks.is_empty() {
            return Err(Error::no_data(
                "no `Stack dump` blocks found (expected `python -m profiling.sampling dump` output)",
            ));
        }
        let all_idle = blocks.iter().all(|b| b.idle);
        let mut ids = Vec::new();
        for b in blocks {
            if b.idle && !opts.idle {
                if !all_idle {
                    profile.diagnostics.note(IDLE_SKIPPED, b.at);
                    continue;
                }
                profile.diagnostics.note(ALL_IDLE, b.at);
            }
            ids.clear();
            ids.push(profile.frames.intern(&b.process, Category::Synthetic));
            ids.push(profile.frames.intern(&b.thread, Category::Synthetic));
            for (label, category) in &b.frames {
                ids.push(profile.frames.intern(label, *category));
            }
            profile.push_stack(&ids, 1, 0);
        }
        let total = folded::checked_total(&profile)?;
        profile.facts.insert("samples", total);
        Ok(profile)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn headers() {
            for (input, expected) in [
                (
                    "Stack dump for PID 2169, thread 2179 (on CPU; most recent call last):",
                    Some((Some("2169"), "2179", "on CPU")),
                ),
                (
                    "Stack dump, thread 2169 (main thread, idle; most recent call last):",
                    Some((None, "2169", "main thread, idle")),
                ),
                ("Stack dump of nothing", None),
            ] {
                assert_eq!(parse_header(input), expected, "{input}");
            }
        }

        #[test]
        fn file_lines() {
            for (input, expected) in [
                (
                    "  File \"/x/threading.py\", line 1181, in Thread._bootstrap",
                    Some(("/x/threading.py", 1181, "Thread._bootstrap")),
                ),
                ("    self._bootstrap_inner()", None),
            ] {
                assert_eq!(parse_file_line(input), expected, "{input}");
            }
        }
    }
}

pub mod gecko {
    //! `--gecko` (FORMATS.md §5): the Firefox Profiler's *processed* format, one JSON line:
    //!
    //! ```text
    //! {"meta":{"interval":1.2123,…,"version":32,"preprocessedProfileVersion":57,…},"libs":[],
    //!  "threads":[{"name":"Thread-2134","tid":2134,"samples":{"stack":[1,3,11,…],…},
    //!  "stackTable":{"frame":[0,1,2],"prefix":[null,0,1],…},"frameTable":{"func":[0,1,2],
    //!  "line":[201,87,191],…},"funcTable":{"name":[1,3,4],"fileName":[null,null,5],
    //!  "resource":[0,0,1],…},"resourceTable":{"name":[2,5,…]}}],
    //!  "shared":{"stringArray":["(root)","_run_module_as_main","<frozen runpy>",…]}}
    //! ```
    //!
    //! A sample names a stack; a stack is a frame plus a prefix stack (its caller). Stacks are
    //! rebuilt by following prefixes iteratively, at most `stackTable.length` steps (a cycle is
    //! cut and reported). Each thread is one root `thread (TID)` (its name added when it is not
    //! just `Thread-TID`); sample counts (or `samples.weight` when present) are kept.

    use serde_json::Value;

    use crate::diagnostics::IssueKind;
    use crate::error::{Error, Result};
    use crate::input::{ParseOptions, folded, pyframe, text};
    use crate::model::{Category, ExpansionBudget, FrameId, InputKind, Profile, Unit};

    /// A stack, frame or function index that points nowhere.
    pub const BAD_INDEX: IssueKind = IssueKind {
        id: "gecko.bad-index",
        one: "sample with a table index out of range skipped",
        many: "samples with a table index out of range skipped",
    };

    /// A prefix chain that loops.
    pub const CYCLE: IssueKind = IssueKind {
        id: "gecko.cycle",
        one: "stack whose prefix chain loops cut",
        many: "stacks whose prefix chains loop cut",
    };

    /// Samples of no stack (`null`).
    pub const NULL_STACK: IssueKind = IssueKind {
        id: "gecko.null-stack",
        one: "sample without a stack skipped",
        many: "samples without a stack skipped",
    };

    /// A JSON object with `meta.preprocessedProfileVersion`, or `meta` and `threads`.
    pub fn sniff(data: &[u8]) -> bool {
        let head = &data[..data.len().min(1 << 14)];
        let first = head.iter().find(|b| !b.is_ascii_whitespace());
        first == Some(&b'{')
            && text::find(head, b"\"meta\"").is_some()
            && (text::find(head, b"\"preprocessedProfileVersion\"").is_some()
                || text::find(head, b"\"threads\"").is_some())
    }

    /// Parses a processed Gecko profile.
    pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
        let doc: Value =
            serde_json::from_slice(data).map_err(|e| Error::invalid(format!("gecko JSON: {e}")))?;
        let threads = doc
            .get("threads")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::invalid("gecko profile without a `threads` list"))?;
        if doc.pointer("/meta/preprocessedProfileVersion").is_none()
            && threads.iter().any(|t| t.get("stackTable").is_none())
        {
            return Err(Error::no_data(
                "a Firefox Profiler profile in the raw (unprocessed) Gecko format; only the \
                 processed format that `python -m profiling.sampling --gecko` writes is read",
            ));
        }
        let shared = doc.pointer("/shared/stringArray").and_then(Value::as_array);
        let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
        let mut budget = ExpansionBudget::for_input(data.len());
        for t in threads {
            let strings = t
                .get("stringArray")
                .and_then(Value::as_array)
                .or(shared)
                .map_or(&[][..], Vec::as_slice);
            thread(t, strings, opts, &mut budget, &mut profile)?;
        }
        if profile.stack_count() == 0 {
            return Err(Error::no_data("gecko profile without samples"));
        }
        let total = folded::checked_total(&profile)?;
        profile.facts.insert("samples", total);
        Ok(profile)
    }

    /// `table[column]` as a slice (empty when missing).
    fn column<'a>(t: &'a Value, table: &str, column: &str) -> &'a [Value] {
        t.get(table)
            .and_then(|v| v.get(column))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    }

    fn index(v: Option<&Value>) -> Option<usize> {
        v.and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
    }

    fn thread(
        t: &Value,
        strings: &[Value],
        opts: &ParseOptions,
        budget: &mut ExpansionBudget,
        profile: &mut Profile,
    ) -> Result<()> {
        let sample_stacks = column(t, "samples", "stack");
        let sample_weights = column(t, "samples", "weight");
        let stack_frame = column(t, "stackTable", "frame");
        let stack_prefix = column(t, "stackTable", "prefix");
        let frame_func = column(t, "frameTable", "func");
        let frame_line = column(t, "frameTable", "line");
        let func_name = column(t, "funcTable", "name");
        let func_file = column(t, "funcTable", "fileName");
        let func_line = column(t, "funcTable", "lineNumber");
        let func_resource = column(t, "funcTable", "resource");
        let resource_name = column(t, "resourceTable", "name");
        let string = |i: Option<usize>| i.and_then(|i| strings.get(i)).and_then(Value::as_str);

        // Samples per stack index; weights default to 1.
        let mut counts = vec![0u64; stack_frame.len()];
        for (i, s) in sample_stacks.iter().enumerate() {
            let weight = match sample_weights.get(i) {
                Some(w) => w.as_f64().map_or(1, |w| w.max(0.0).round() as u64),
                None => 1,
            };
            match (s.is_null(), index(Some(s))) {
                (true, _) => profile.diagnostics.note_many(NULL_STACK, 1, None),
                (false, Some(i)) if i < counts.len() => {
                    counts[i] = counts[i].saturating_add(weight);
                }
                _ => profile.diagnostics.note_many(BAD_INDEX, 1, None),
            }
        }
        if counts.iter().all(|&c| c == 0) {
            return Ok(());
        }

        let tid = t
            .get("tid")
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "?".to_string());
        let name = t.get("name").and_then(Value::as_str);
        let name = name.filter(|n| *n != format!("Thread-{tid}"));
        let root = profile
            .frames
            .intern(&pyframe::thread_label(&tid, name), Category::Synthetic);

        // Labels per frame index, computed once.
        let mut labels: Vec<Option<FrameId>> = vec![None; frame_func.len()];
        let mut path: Vec<FrameId> = Vec::new();
        'stacks: for (stack, &count) in counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            path.clear();
            let mut at = Some(stack);
            let mut steps = 0;
            while let Some(s) = at {
                steps += 1;
                if steps > stack_frame.len() {
                    profile.diagnostics.note_many(CYCLE, 1, None);
                    break;
                }
                let Some(frame) = index(stack_frame.get(s)).filter(|&f| f < labels.len()) else {
                    profile.diagnostics.note_many(BAD_INDEX, 1, None);
                    continue 'stacks;
                };
                let id = match labels[frame] {
                    Some(id) => id,
                    None => {
                        let func = index(frame_func.get(frame));
                        let name = string(index(func.and_then(|f| func_name.get(f))))
                            .unwrap_or("<unknown>");
                        let file =
                            string(index(func.and_then(|f| func_file.get(f)))).or_else(|| {
                                let r = index(func.and_then(|f| func_resource.get(f)));
                                string(index(r.and_then(|r| resource_name.get(r))))
                            });
                        let line = frame_line.get(frame).and_then(Value::as_i64).or_else(|| {
                            func.and_then(|f| func_line.get(f)).and_then(Value::as_i64)
                        });
                        let short = file.map(|f| pyframe::short_path(f, opts));
                        let category = pyframe::category(name, file, opts);
                        let id = profile
                            .frames
                            .intern(&pyframe::label(name, short, line), category);
                        labels[frame] = Some(id);
                        id
                    }
                };
                path.push(id);
                at = index(stack_prefix.get(s));
            }
            path.push(root);
            path.reverse();
            budget.spend(&profile.frames, &path)?;
            profile.push_stack(&path, count, 0);
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_looping_prefix_chain_is_cut() {
            let data = br#"{"meta":{"preprocessedProfileVersion":57},"shared":{"stringArray":["f"]},
              "threads":[{"name":"t","tid":1,"samples":{"stack":[0,0]},
              "stackTable":{"frame":[0,0],"prefix":[1,0]},"frameTable":{"func":[0],"line":[3]},
              "funcTable":{"name":[0],"fileName":[null],"resource":[-1]},"resourceTable":{"name":[]}}]}"#;
            let p = parse(data, &ParseOptions::default()).unwrap();
            assert_eq!(p.total(), 2);
            assert_eq!(p.diagnostics.count(CYCLE), 1);
        }
    }
}

pub mod jsonl {
    //! `--jsonl` (FORMATS.md §5): records `meta`, `string_table`, `frame_table`, `agg`, `end`:
    //!
    //! ```text
    //! {"type":"meta","v":0,"run_id":"6b4f…","sample_interval_usec":1000,"mode":"wall"}
    //! ```
    //!
    //! They hold per-frame totals only, no stacks, so no flame graph can be rebuilt: reading
    //! one is an error that says which output to record instead.

    use serde_json::Value;

    use crate::error::{Error, Result};
    use crate::input::{ParseOptions, text};
    use crate::model::Profile;

    /// The first line is a JSON object of `"type": "meta"` with a sampling interval.
    pub fn sniff(data: &[u8]) -> bool {
        let head = &data[..data.len().min(1 << 16)];
        let Some((_, line)) = text::lines(head).find(|(_, l)| !l.trim_ascii().is_empty()) else {
            return false;
        };
        match serde_json::from_slice::<Value>(&line) {
            Ok(v) => {
                v.get("type").and_then(Value::as_str) == Some("meta")
                    && (v.get("sample_interval_usec").is_some() || v.get("run_id").is_some())
            }
            Err(_) => false,
        }
    }

    /// Always an error: the format has no stacks.
    pub fn parse(_data: &[u8], _opts: &ParseOptions) -> Result<Profile> {
        Err(Error::no_data(
            "CPython profiling.sampling --jsonl output holds per-function totals, not stacks, so \
             no flame graph can be drawn from it; record with --collapsed, --gecko or --pstats \
             instead",
        ))
    }
}

pub mod html {
    //! `--flamegraph` (FORMATS.md §5): a self-contained HTML page whose data is one line
    //! `const EMBEDDED_DATA = {"name": 3, "value": 10, "children": [{"name": 1, "value": 7,
    //! "children": […], "filename": 2, "lineno": 5, "funcname": 4, "threads": [2134]}],
    //! "strings": ["…"]};`.
    //!
    //! **(from CPython's `FlamegraphCollector` source, unverified here: there is no sample.)**
    //! The tree is d3-flamegraph's: each node's `value` counts its samples including its
    //! children's; `name`, `funcname` and `filename` are indexes into the root's `strings`
    //! (plain strings are accepted too); `lineno` is a number. A node's self weight is its value
    //! minus its children's (nodes under 0.1% are left out of the page, so their samples stay
    //! with the parent): the root's value is conserved. With a single top function CPython makes
    //! it the root, named `Program Root: …`.
    //!
    //! The JSON is read by a small iterative scanner, not into a `serde_json::Value`: a tree
    //! nests two JSON levels per frame, and serde_json stops at 128 levels (about 60 frames,
    //! fewer than many real stacks), while dropping a deep `Value` would recurse. Scalars are
    //! still decoded by serde_json.

    use serde_json::Number;

    use crate::diagnostics::IssueKind;
    use crate::error::{Error, Result};
    use crate::input::{ParseOptions, folded, pyframe, text};
    use crate::model::{Category, ExpansionBudget, FrameId, InputKind, Profile, Unit};

    /// The marker before the data.
    const MARKER: &[u8] = b"const EMBEDDED_DATA = ";

    /// Children whose values add up to more than their parent's.
    pub const OVERFULL: IssueKind = IssueKind {
        id: "flamegraph.overfull",
        one: "node whose children outweigh it: self weight set to 0",
        many: "nodes whose children outweigh them: self weight set to 0",
    };

    /// An HTML page (first non-blank byte `<`) holding the embedded flame graph data.
    pub fn sniff(data: &[u8]) -> bool {
        let data = data.strip_prefix(text::UTF8_BOM).unwrap_or(data);
        let first = data.iter().find(|b| !b.is_ascii_whitespace());
        first == Some(&b'<') && text::find(data, MARKER).is_some()
    }

    /// A name: an index into `strings`, or the text itself.
    #[derive(Clone, Debug)]
    enum Text {
        Index(u64),
        Plain(String),
    }

    /// One tree node as read.
    #[derive(Debug, Default)]
    struct Node {
        parent: Option<usize>,
        name: Option<Text>,
        funcname: Option<Text>,
        filename: Option<Text>,
        lineno: Option<i64>,
        value: u64,
    }

    /// What the scanner is inside of.
    enum Open {
        /// An object; `node` when it is a tree node; `key` the key whose value comes next.
        Object {
            node: Option<usize>,
            key: Option<String>,
        },
        /// An array; `children_of` when it is a node's `children`, `strings` for the root's
        /// string table.
        Array {
            children_of: Option<usize>,
            strings: bool,
        },
    }

    /// A JSON scalar.
    enum Scalar {
        Str(String),
        Num(Number),
        Other,
    }

    /// The tree and string table of the embedded data.
    #[derive(Default)]
    struct Tree {
        nodes: Vec<Node>,
        strings: Vec<String>,
    }

    fn bad(what: &str, at: usize) -> Error {
        Error::invalid(format!(
            "CPython --flamegraph page: its EMBEDDED_DATA is not valid JSON ({what} at byte \
             {at} of the data); record with --collapsed or --gecko instead"
        ))
    }

    /// Reads the value starting at `data[0]` (after the marker) into a [`Tree`], iteratively.
    fn scan(data: &[u8]) -> Result<Tree> {
        let mut tree = Tree::default();
        let mut stack: Vec<Open> = Vec::new();
        let mut i = 0;
        let mut started = false;
        loop {
            while data
                .get(i)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b',' || *b == b':')
            {
                i += 1;
            }
            if started && stack.is_empty() {
                return Ok(tree);
            }
            let Some(&b) = data.get(i) else {
                return Err(bad("unexpected end", i));
            };
            // In an object, a string in key position is a key.
            if let Some(Open::Object { key, .. }) = stack.last_mut()
                && key.is_none()
                && b == b'"'
            {
                let (s, end) = string(data, i)?;
                *key = Some(s);
                i = end;
                continue;
            }
            match b {
                b'[' if !started => return Err(bad("expected an object", i)),
                b'{' | b'[' => {
                    // The slot this container fills, and whether it is a node / children.
                    let (parent_key, parent_node, children_of) = match stack.last_mut() {
                        Some(Open::Object { node, key }) => (key.take(), *node, None),
                        Some(Open::Array { children_of, .. }) => (None, None, *children_of),
                        None => (None, None, None),
                    };
                    if b == b'{' {
                        let is_node = !started || children_of.is_some();
                        let node = is_node.then(|| {
                            tree.nodes.push(Node {
                                parent: children_of,
                                ..Node::default()
                            });
                            tree.nodes.len() - 1
                        });
                        stack.push(Open::Object { node, key: None });
                    } else {
                        let key = parent_key.as_deref();
                        stack.push(Open::Array {
                            children_of: parent_node.filter(|_| key == Some("children")),
                            strings: parent_node == Some(0) && key == Some("strings"),
                        });
                    }
                    started = true;
                    i += 1;
                }
                b'}' | b']' => {
                    let closes_object = matches!(stack.last(), Some(Open::Object { .. }));
                    if stack.is_empty() || closes_object != (b == b'}') {
                        return Err(bad("unbalanced bracket", i));
                    }
                    stack.pop();
                    i += 1;
                }
                _ => {
                    if !started {
                        return Err(bad("expected an object", i));
                    }
                    let (value, end) = scalar(data, i)?;
                    i = end;
                    match stack.last_mut() {
                        Some(Open::Object { node, key }) => {
                            if let (Some(n), Some(k)) = (*node, key.take()) {
                                assign(&mut tree.nodes[n], &k, value);
                            }
                        }
                        Some(Open::Array { strings: true, .. }) => {
                            if let Scalar::Str(s) = value {
                                tree.strings.push(s);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn assign(node: &mut Node, key: &str, value: Scalar) {
        let text = |v: Scalar| match v {
            Scalar::Str(s) => Some(Text::Plain(s)),
            Scalar::Num(n) => n.as_u64().map(Text::Index),
            Scalar::Other => None,
        };
        match key {
            "name" => node.name = text(value),
            "funcname" => node.funcname = text(value),
            "filename" => node.filename = text(value),
            "lineno" => {
                if let Scalar::Num(n) = value {
                    node.lineno = n.as_i64();
                }
            }
            "value" => {
                if let Scalar::Num(n) = value {
                    node.value = n.as_u64().unwrap_or(0);
                }
            }
            _ => {}
        }
    }

    /// A JSON string starting at `data[at]` (a `"`): its text and the index after it.
    fn string(data: &[u8], at: usize) -> Result<(String, usize)> {
        let mut i = at + 1;
        while let Some(&b) = data.get(i) {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    let s = serde_json::from_slice::<String>(&data[at..=i])
                        .map_err(|_| bad("bad string", at))?;
                    return Ok((s, i + 1));
                }
                _ => i += 1,
            }
        }
        Err(bad("unterminated string", at))
    }

    /// A scalar starting at `data[at]`: string, number, `true`, `false` or `null`.
    fn scalar(data: &[u8], at: usize) -> Result<(Scalar, usize)> {
        if data[at] == b'"' {
            let (s, end) = string(data, at)?;
            return Ok((Scalar::Str(s), end));
        }
        let len = data[at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
            .count();
        let token = &data[at..at + len];
        match token {
            b"true" | b"false" | b"null" => Ok((Scalar::Other, at + len)),
            _ => serde_json::from_slice::<Number>(token)
                .map(|n| (Scalar::Num(n), at + len))
                .map_err(|_| bad("unexpected token", at)),
        }
    }

    /// Parses the tree embedded in a `--flamegraph` page.
    pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
        let start = text::find(data, MARKER)
            .ok_or_else(|| Error::no_data("HTML page without `const EMBEDDED_DATA = {…}`"))?
            + MARKER.len();
        let tree = scan(&data[start..])?;
        let resolve = |t: &Option<Text>| -> Option<String> {
            match t.as_ref()? {
                Text::Plain(s) => Some(s.clone()),
                Text::Index(i) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| tree.strings.get(i))
                    .cloned(),
            }
        };
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); tree.nodes.len()];
        for (i, n) in tree.nodes.iter().enumerate() {
            if let Some(p) = n.parent {
                children[p].push(i);
            }
        }
        let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
        let mut budget = ExpansionBudget::for_input(data.len());
        let mut path: Vec<FrameId> = Vec::new();
        // (node, its depth in `path`)
        let mut todo: Vec<(usize, usize)> = if tree.nodes.is_empty() {
            Vec::new()
        } else {
            vec![(0, 0)]
        };
        while let Some((index, depth)) = todo.pop() {
            let node = &tree.nodes[index];
            path.truncate(depth);
            let func = resolve(&node.funcname);
            let (label, category) = match (index, func) {
                (0, _) => (
                    resolve(&node.name).unwrap_or_else(|| "all".to_string()),
                    Category::Synthetic,
                ),
                (_, Some(func)) => {
                    let file = resolve(&node.filename);
                    let category = pyframe::category(&func, file.as_deref(), opts);
                    let short = file.as_deref().map(|f| pyframe::short_path(f, opts));
                    (pyframe::label(&func, short, node.lineno), category)
                }
                (_, None) => {
                    let name = resolve(&node.name).unwrap_or_else(|| "<unknown>".to_string());
                    let category = pyframe::category_of_label(&name, opts);
                    (name, category)
                }
            };
            path.push(profile.frames.intern(&label, category));
            let inner: u64 = children[index]
                .iter()
                .map(|&c| tree.nodes[c].value)
                .fold(0, u64::saturating_add);
            if inner > node.value {
                profile.diagnostics.note_many(OVERFULL, 1, None);
            }
            let own = node.value.saturating_sub(inner);
            if own > 0 {
                budget.spend(&profile.frames, &path)?;
                profile.push_stack(&path, own, 0);
            }
            todo.extend(children[index].iter().rev().map(|&c| (c, depth + 1)));
        }
        if profile.stack_count() == 0 {
            return Err(Error::no_data("CPython --flamegraph page with no samples"));
        }
        let total = folded::checked_total(&profile)?;
        profile.facts.insert("samples", total);
        Ok(profile)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_scanner_reads_nodes_and_strings() {
            let tree = scan(
                br#"{"name": 0, "value": 3, "stats": {"a": [1, {"b": null}]}, "children": [{"name": "x\"y", "value": 2, "children": [], "lineno": -1}], "strings": ["root", "\u00e9"]};"#,
            )
            .unwrap();
            assert_eq!(tree.nodes.len(), 2);
            assert_eq!(tree.nodes[1].parent, Some(0));
            assert_eq!(tree.nodes[1].lineno, Some(-1));
            assert!(matches!(&tree.nodes[1].name, Some(Text::Plain(s)) if s == "x\"y"));
            assert_eq!(tree.strings, vec!["root", "é"]);
        }

        #[test]
        fn broken_data_is_an_error() {
            for input in [
                &b"{\"a\": [}"[..],
                b"{\"a\": ",
                b"[1]",
                b"{\"a\": tru}",
                b"{\"a\": \"x",
            ] {
                assert!(scan(input).is_err(), "{:?}", String::from_utf8_lossy(input));
            }
        }
    }
}
