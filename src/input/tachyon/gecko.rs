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
//!
//! The same format comes from Firefox and other tools' converters: a profile whose threads
//! belong to several processes (Firefox's parent and content processes each have a
//! `GeckoMain`) gets a root `process (PID) "NAME"` above each thread, and one that CPython did
//! not write is a "Firefox Profiler profile", not a CPython one. Firefox's *raw* profiles
//! (tables as `schema`/`data`) are refused with the way to get a processed one.

mod doc;

use std::io::Read;

use doc::{Doc, Thread};
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
    let doc = crate::input::lenient::read_whole(data, |de| doc::read(de));
    from_doc(doc, data.len(), opts)
}

/// [`parse`] of the text `reader` yields, read as it comes into the columns the profile
/// uses, not into a JSON tree of the text.
pub fn parse_reader(reader: impl Read, opts: &ParseOptions) -> Result<Profile> {
    let (doc, len) = crate::input::lenient::read_streamed(reader, |de| doc::read(de));
    from_doc(doc, len, opts)
}

/// The profile of a file read into `doc`, `len` bytes long.
fn from_doc(doc: serde_json::Result<Doc>, len: usize, opts: &ParseOptions) -> Result<Profile> {
    let doc = doc.map_err(|e| crate::input::lenient::json_error("gecko", e))?;
    let threads = doc
        .threads
        .as_deref()
        .ok_or_else(|| Error::invalid("gecko profile without a `threads` list"))?;
    if let Some(version) = raw_version(&doc, threads) {
        return Err(Error::no_data(format!(
            "a raw (unprocessed) Gecko profile, as Firefox writes it (meta.version {version}, \
             tables in schema/data form), which is not read: open it in \
             https://profiler.firefox.com and save it from there (Upload, then Download), which \
             writes the processed format that is read"
        )));
    }
    let shared = doc.strings.as_deref();
    let mut profile = Profile::new(kind(&doc), Unit::Samples);
    let mut budget = ExpansionBudget::for_input(len);
    // One root per process and thread: Firefox's processes each have a `GeckoMain` thread, and
    // a profile of one process (CPython's) needs no process root.
    let processes: Vec<String> = threads.iter().map(process_label).collect();
    let several = processes.iter().any(|p| *p != processes[0]);
    for (t, process) in threads.iter().zip(&processes) {
        let strings = t.strings.as_deref().or(shared).unwrap_or(&[]);
        let process = several.then_some(process.as_str());
        thread(t, strings, process, opts, &mut budget, &mut profile)?;
    }
    if profile.stack_count() == 0 {
        return Err(Error::no_data(format!(
            "{} without samples",
            profile.kind.name()
        )));
    }
    let total = folded::checked_total(&profile)?;
    profile.facts.insert("samples", total);
    Ok(profile)
}

/// The `meta.version` of a raw Gecko profile: one whose threads keep their samples and stacks
/// as `{"schema": …, "data": […]}` tables (or have no stack table at all), as Firefox and
/// `about:profiling` save them before the Firefox Profiler processes them.
fn raw_version(doc: &Doc, threads: &[Thread]) -> Option<String> {
    let raw = threads
        .iter()
        .any(|t| t.samples_schema || t.stack_table_schema || (!t.has_stack_table && t.has_samples));
    let version = doc
        .version
        .as_ref()
        .map_or("?".to_string(), Value::to_string);
    (raw && !doc.preprocessed).then_some(version)
}

/// CPython 3.15 writes `meta.product` `Python` (and `importedFrom` `Tachyon Sampling
/// Profiler`); anything else is some other program's Firefox Profiler profile.
fn kind(doc: &Doc) -> InputKind {
    let product = doc.product.as_str();
    let imported = doc.imported_from.as_str();
    if product == Some("Python") || imported.is_some_and(|i| i.contains("Tachyon")) {
        InputKind::Tachyon
    } else {
        InputKind::FirefoxProfiler
    }
}

/// `process (PID) "NAME"` of a thread: its `pid`, and its `processName` or else its
/// `processType` (`default`, `tab`); `process (?) …` when the profile has no pids.
fn process_label(t: &Thread) -> String {
    let pid = match &t.pid {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "?".to_string(),
    };
    let name = t.process_name.as_str().or_else(|| t.process_type.as_str());
    pyframe::process_label(&pid, name)
}

fn index(v: Option<&Option<u64>>) -> Option<usize> {
    v.copied().flatten().and_then(|n| usize::try_from(n).ok())
}

fn thread(
    t: &Thread,
    strings: &[Option<String>],
    process: Option<&str>,
    opts: &ParseOptions,
    budget: &mut ExpansionBudget,
    profile: &mut Profile,
) -> Result<()> {
    let stack_frame = &t.stack_frame;
    let stack_prefix = &t.stack_prefix;
    let frame_func = &t.frame_func;
    let frame_line = &t.frame_line;
    let func_name = &t.func_name;
    let func_file = &t.func_file;
    let func_line = &t.func_line;
    let func_resource = &t.func_resource;
    let resource_name = &t.resource_name;
    let string = |i: Option<usize>| i.and_then(|i| strings.get(i)).and_then(Option::as_deref);

    // Samples per stack index; weights default to 1.
    let mut counts = vec![0u64; stack_frame.len()];
    for (i, s) in t.sample_stack.iter().enumerate() {
        let weight = t.sample_weight.get(i).map_or(1, |w| w.0);
        match s.0 {
            doc::NULL => profile.diagnostics.note_many(NULL_STACK, 1, None),
            i if i != doc::NOT_INDEX && (i as u128) < counts.len() as u128 => {
                let i = i as usize;
                counts[i] = counts[i].saturating_add(weight);
            }
            _ => profile.diagnostics.note_many(BAD_INDEX, 1, None),
        }
    }
    if counts.iter().all(|&c| c == 0) {
        return Ok(());
    }

    let tid = t
        .tid
        .as_ref()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| "?".to_string());
    let name = t.name.as_str();
    let name = name.filter(|n| *n != format!("Thread-{tid}"));
    let root = profile
        .frames
        .intern(&pyframe::thread_label(&tid, name), Category::Synthetic);
    let process_root = process.map(|p| profile.frames.intern(p, Category::Synthetic));

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
                // The walk is work even when its stack is dropped: a 20,000-long chain whose
                // root points nowhere, sampled at every level, took 9 s for 258 KB.
                budget.spend(&profile.frames, &path)?;
                continue 'stacks;
            };
            let id = match labels[frame] {
                Some(id) => id,
                None => {
                    let func = index(frame_func.get(frame));
                    let name =
                        string(index(func.and_then(|f| func_name.get(f)))).unwrap_or("<unknown>");
                    let file = string(index(func.and_then(|f| func_file.get(f)))).or_else(|| {
                        let r = index(func.and_then(|f| func_resource.get(f)));
                        string(index(r.and_then(|r| resource_name.get(r))))
                    });
                    let line = frame_line
                        .get(frame)
                        .copied()
                        .flatten()
                        .or_else(|| func.and_then(|f| func_line.get(f)).copied().flatten());
                    let short = file.map(|f| pyframe::short_path(f, opts));
                    let category = pyframe::category(name, file, opts);
                    let id = profile
                        .frames
                        .intern(&pyframe::sampled_label(name, short, line, opts), category);
                    labels[frame] = Some(id);
                    id
                }
            };
            path.push(id);
            at = index(stack_prefix.get(s));
        }
        path.push(root);
        path.extend(process_root);
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
