//! Sampling-profiler inputs: py-spy dumps (text, JSON), folded stacks, speedscope and CPython
//! 3.15's `profiling.sampling` outputs, read from the repository's `samples/`.

use std::collections::BTreeMap;
use std::fs;

use importflame::input::{Format, ParseOptions, detect, folded, parse_bytes};
use importflame::model::Profile;

/// Every sample this reader handles, with the format detection must find.
const SAMPLES: &[(&str, Format)] = &[
    ("pyspy/dump_busy.txt", Format::Pyspy),
    ("pyspy/dump_locals.txt", Format::Pyspy),
    ("pyspy/dump_subprocesses.txt", Format::Pyspy),
    ("pyspy/dump_threads.json", Format::Pyspy),
    ("pyspy/dump_threads.txt", Format::Pyspy),
    ("pyspy/dump_threads_native.txt", Format::Pyspy),
    ("pyspy/dumps_x50_spy_busy.txt", Format::Pyspy),
    ("pyspy/record_busy.speedscope.json", Format::Speedscope),
    (
        "pyspy/record_subprocesses_threads.speedscope.json",
        Format::Speedscope,
    ),
    ("pyspy/record_busy_raw.txt", Format::Folded),
    ("pyspy/record_pytest_raw.txt", Format::Folded),
    ("pyspy/record_subprocesses_raw.txt", Format::Folded),
    ("pyspy/record_threads_raw.txt", Format::Folded),
    ("made/pyspy_dump_threads_hyperlinks.txt", Format::Pyspy),
    ("formats/pyspy-dump-fullfilenames.txt", Format::Pyspy),
    ("formats/pyspy-dump-json-locals.json", Format::Pyspy),
    ("formats/pyspy-dump-json.json", Format::Pyspy),
    ("formats/pyspy-dump-locals.txt", Format::Pyspy),
    ("formats/pyspy-dump-native.txt", Format::Pyspy),
    ("formats/pyspy-dump-plain.txt", Format::Pyspy),
    ("formats/pyspy-dump-py314-locals.txt", Format::Pyspy),
    ("formats/pyspy-dump-py314.txt", Format::Pyspy),
    ("formats/pyspy-dump-py39.txt", Format::Pyspy),
    ("formats/pyspy-dump-subprocesses.json", Format::Pyspy),
    ("formats/pyspy-dump-subprocesses.txt", Format::Pyspy),
    ("formats/pyspy-dump-tty-ansi-crlf.txt", Format::Pyspy),
    ("formats/pyspy-dump-unnamed-thread.txt", Format::Pyspy),
    ("formats/pyspy-record-raw-default.txt", Format::Folded),
    ("formats/pyspy-record-raw-function.txt", Format::Folded),
    ("formats/pyspy-record-raw-gil.txt", Format::Folded),
    ("formats/pyspy-record-raw-idle-threads.txt", Format::Folded),
    ("formats/pyspy-record-raw-native.txt", Format::Folded),
    ("formats/pyspy-record-raw-nolineno.txt", Format::Folded),
    ("formats/pyspy-record-raw-subprocesses.txt", Format::Folded),
    ("formats/pyspy-record-raw-threads.txt", Format::Folded),
    ("formats/pyspy-record-speedscope.json", Format::Speedscope),
    (
        "tachyon/py315_collapsed_threads.txt",
        Format::TachyonCollapsed,
    ),
    ("tachyon/py315_dump.txt", Format::TachyonDump),
    ("tachyon/py315_gecko.json", Format::Gecko),
];

fn read(path: &str) -> Vec<u8> {
    fs::read(format!("samples/{path}")).unwrap_or_else(|e| panic!("samples/{path}: {e}"))
}

fn load(path: &str, opts: &ParseOptions) -> Profile {
    parse_bytes(&read(path), None, opts).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn idle() -> ParseOptions {
    ParseOptions {
        idle: true,
        ..ParseOptions::default()
    }
}

/// The snapshot text: unit, counts, diagnostics, then the folded lines (the 40 heaviest for
/// large inputs).
fn report(p: &Profile) -> String {
    let lines = p.folded_lines();
    let mut out = format!(
        "kind: {}\nunit: {}\nstacks: {}\ndistinct: {}\ntotal: {}\n",
        p.kind.name(),
        p.unit.name(),
        p.stack_count(),
        lines.len(),
        p.total()
    );
    for e in p.diagnostics.entries() {
        out.push_str(&format!("diagnostic: {}\n", e.message()));
    }
    out.push('\n');
    let mut shown = lines.clone();
    if lines.len() > 60 {
        out.push_str("(the 40 heaviest lines)\n");
        shown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shown.truncate(40);
    }
    for (stack, weight) in shown {
        out.push_str(&format!("{stack} {weight}\n"));
    }
    out
}

fn snapshot_name(path: &str) -> String {
    path.replace(['/', '.'], "_")
}

fn with_snapshots(f: impl FnOnce()) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.bind(f);
}

#[test]
fn every_sample_matches_its_snapshot() {
    with_snapshots(|| {
        for (path, _) in SAMPLES {
            let p = load(path, &ParseOptions::default());
            insta::assert_snapshot!(snapshot_name(path), report(&p));
        }
    });
}

#[test]
fn dumps_with_idle_threads_match_their_snapshots() {
    with_snapshots(|| {
        for path in [
            "pyspy/dump_threads.txt",
            "pyspy/dump_threads.json",
            "tachyon/py315_dump.txt",
        ] {
            let p = load(path, &idle());
            insta::assert_snapshot!(format!("{}_idle", snapshot_name(path)), report(&p));
        }
    });
}

#[test]
fn every_sample_is_detected_without_from() {
    for (path, format) in SAMPLES {
        assert_eq!(detect::detect(&read(path)).ok(), Some(*format), "{path}");
    }
    assert_eq!(
        detect::detect(&read("tachyon/py315_jsonl.jsonl")).ok(),
        Some(Format::TachyonJsonl)
    );
}

/// `Thread` lines of a py-spy text dump: (all, not idle).
fn count_threads(data: &[u8]) -> (u64, u64) {
    let text = String::from_utf8_lossy(data);
    let mut all = 0;
    let mut busy = 0;
    for line in text.lines() {
        // strip ANSI colours the simple way: the TTY sample colours only the TID
        let plain: String = line
            .split('\x1b')
            .enumerate()
            .map(|(i, s)| {
                if i == 0 {
                    s
                } else {
                    s.split_once('m').map_or("", |(_, r)| r)
                }
            })
            .collect();
        if plain.starts_with("Thread ") {
            all += 1;
            if !plain.contains("(idle)") {
                busy += 1;
            }
        }
    }
    (all, busy)
}

#[test]
fn a_dump_yields_one_sample_per_thread() {
    for (path, format) in SAMPLES {
        if *format != Format::Pyspy || path.ends_with(".json") {
            continue;
        }
        let (all, busy) = count_threads(&read(path));
        assert_eq!(load(path, &idle()).total(), all, "{path} with --idle");
        let expected = if busy == 0 { all } else { busy };
        assert_eq!(
            load(path, &ParseOptions::default()).total(),
            expected,
            "{path}"
        );
    }
}

#[test]
fn a_json_dump_yields_one_sample_per_thread_object() {
    for path in [
        "pyspy/dump_threads.json",
        "formats/pyspy-dump-json.json",
        "formats/pyspy-dump-json-locals.json",
        "formats/pyspy-dump-subprocesses.json",
    ] {
        let doc: serde_json::Value = serde_json::from_slice(&read(path)).unwrap();
        let threads = doc.as_array().unwrap();
        let active = threads.iter().filter(|t| t["active"] == true).count() as u64;
        assert_eq!(load(path, &idle()).total(), threads.len() as u64, "{path}");
        let expected = if active == 0 {
            threads.len() as u64
        } else {
            active
        };
        assert_eq!(
            load(path, &ParseOptions::default()).total(),
            expected,
            "{path}"
        );
    }
}

#[test]
fn json_documents_one_after_another_are_several_dumps() {
    let one = read("pyspy/dump_threads.json");
    let mut three = one.clone();
    three.extend_from_slice(&one);
    three.push(b'\n');
    three.extend_from_slice(&one);
    let single = parse_bytes(&one, None, &idle()).unwrap().total();
    let triple = parse_bytes(&three, None, &idle()).unwrap().total();
    assert_eq!(triple, 3 * single);
}

#[test]
fn fifty_concatenated_dumps_give_fifty_samples_per_busy_thread() {
    let p = load("pyspy/dumps_x50_spy_busy.txt", &ParseOptions::default());
    let mut per_thread: BTreeMap<String, u64> = BTreeMap::new();
    for s in p.stacks() {
        *per_thread
            .entry(p.frames.name(s.frames[1]).to_string())
            .or_default() += s.weight;
    }
    assert_eq!(
        per_thread,
        BTreeMap::from([("thread (18701)".to_string(), 50)])
    );
    assert!(
        p.stacks()
            .all(|s| p.frames.name(s.frames[0]).starts_with("process (18701) \""))
    );
}

#[test]
fn idle_threads_are_left_out_unless_asked_for() {
    let without = load("pyspy/dump_threads.txt", &ParseOptions::default());
    let with = load("pyspy/dump_threads.txt", &idle());
    let threads = |p: &Profile| {
        p.stacks()
            .map(|s| p.frames.name(s.frames[1]).to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert_eq!(threads(&without), 2); // "hasher" and "pool_0" are active
    assert_eq!(threads(&with), 9);
    assert!(
        without
            .diagnostics
            .entries()
            .any(|e| e.message().starts_with("7 idle thread samples left out"))
    );
    let dump = load("tachyon/py315_dump.txt", &ParseOptions::default());
    assert_eq!(dump.total(), 4); // on CPU x2, waiting for GIL x2
    assert_eq!(load("tachyon/py315_dump.txt", &idle()).total(), 9);
}

/// Sum of the last whitespace token of every line: the simplest reading of folded counts.
fn raw_count_sum(data: &[u8]) -> u64 {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter_map(|t| t.parse::<u64>().ok())
        .sum()
}

/// Sum of the counts of lines that hold nothing but a count (py-spy's raw line for a sample
/// in which no Python frame was found, ` 8`).
fn empty_stack_count_sum(data: &[u8]) -> u64 {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .sum()
}

/// Every sample's total is the sum of its lines' counts, the empty-stack lines included: they
/// are the `<no Python frame>` root (`pyspy/record_pytest_raw.txt` holds one, ` 8`).
#[test]
fn folded_counts_are_conserved() {
    let mut empty = 0;
    for (path, format) in SAMPLES {
        if !matches!(format, Format::Folded | Format::TachyonCollapsed) {
            continue;
        }
        let data = read(path);
        let p = load(path, &ParseOptions::default());
        assert_eq!(p.total(), raw_count_sum(&data), "{path}");
        let no_frame: u64 = p
            .folded_lines()
            .iter()
            .filter(|(stack, _)| stack == "<no Python frame>")
            .map(|(_, w)| w)
            .sum();
        assert_eq!(no_frame, empty_stack_count_sum(&data), "{path}");
        empty += no_frame;
    }
    assert!(empty > 0, "some sample has an empty-stack line");
}

#[test]
fn speedscope_sample_counts_are_conserved() {
    for path in [
        "pyspy/record_busy.speedscope.json",
        "pyspy/record_subprocesses_threads.speedscope.json",
        "formats/pyspy-record-speedscope.json",
    ] {
        let doc: serde_json::Value = serde_json::from_slice(&read(path)).unwrap();
        let samples: u64 = doc["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["samples"].as_array().unwrap().len() as u64)
            .sum();
        assert_eq!(
            load(path, &ParseOptions::default()).total(),
            samples,
            "{path}"
        );
    }
}

#[test]
fn gecko_sample_counts_are_conserved_per_thread() {
    let data = read("tachyon/py315_gecko.json");
    let doc: serde_json::Value = serde_json::from_slice(&data).unwrap();
    let p = load("tachyon/py315_gecko.json", &ParseOptions::default());
    for t in doc["threads"].as_array().unwrap() {
        let tid = t["tid"].to_string();
        let expected = t["samples"]["length"].as_u64().unwrap();
        let got: u64 = p
            .stacks()
            .filter(|s| p.frames.name(s.frames[0]) == format!("thread ({tid})"))
            .map(|s| s.weight)
            .sum();
        assert_eq!(got, expected, "thread {tid}");
    }
}

#[test]
fn folded_output_read_back_gives_the_same_folded_output() {
    for (path, _) in SAMPLES {
        let opts = ParseOptions::default();
        let first = load(path, &opts).folded_lines();
        let text: String = first.iter().map(|(s, w)| format!("{s} {w}\n")).collect();
        let again = folded::parse(text.as_bytes(), &opts)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .folded_lines();
        assert_eq!(first, again, "{path}");
        assert_eq!(
            detect::detect(text.as_bytes()).ok(),
            Some(if first[0].0.starts_with("tid:") {
                Format::TachyonCollapsed
            } else {
                Format::Folded
            }),
            "{path}"
        );
    }
}

#[test]
fn a_process_frame_whose_command_line_holds_semicolons_stays_one_frame() {
    let p = load(
        "pyspy/record_subprocesses_raw.txt",
        &ParseOptions::default(),
    );
    let spawn = "process 19422:\"/home/u/prj/venv311/bin/python -B -c from multiprocessing.spawn import spawn_main: spawn_main(tracker_fd=6, pipe_handle=15) --multiprocessing-fork\"";
    let mut seen = false;
    for s in p.stacks() {
        assert!(p.frames.name(s.frames[0]).starts_with("process 19415:\""));
        if p.frames.name(s.frames[1]) == spawn {
            seen = true;
            assert_eq!(p.frames.name(s.frames[2]), "<module> (<string>)");
        }
    }
    assert!(seen);
    // No frame is a piece of a command line.
    for s in p.stacks() {
        for &f in s.frames {
            assert!(
                !p.frames.name(f).starts_with(" spawn_main("),
                "{}",
                p.frames.name(f)
            );
        }
    }
}

#[test]
fn folded_repairs_are_counted() {
    let data = b"a;b 1.5\na;c 2 3\nnot a stack\n\na;b 2\n";
    let p = parse_bytes(data, Some(Format::Folded), &ParseOptions::default()).unwrap();
    assert_eq!(
        p.folded_lines(),
        vec![("a;b".to_string(), 4), ("a;c".to_string(), 3)]
    );
    let messages: Vec<String> = p.diagnostics.entries().map(|e| e.message()).collect();
    assert_eq!(
        messages,
        vec![
            "1 differential line (two counts): kept the second count (first at line 2)",
            "1 fractional count rounded to an integer (first at line 1)",
            "1 line that is not `stack count` skipped (first at line 3)",
        ]
    );
}

#[test]
fn collapsed_3_15_frames_read_like_py_spy_frames() {
    let data =
        b"tid:7;<frozen runpy>:_run_module_as_main:201;x.py:f:-1;<GC> 3\ntid:7;x.py:<module>:1 2\n";
    let p = parse_bytes(data, None, &ParseOptions::default()).unwrap();
    assert_eq!(
        p.folded_lines(),
        vec![
            ("thread (7);<module> (x.py)".to_string(), 2),
            (
                "thread (7);_run_module_as_main (<frozen runpy>);f (x.py);<GC>".to_string(),
                3
            ),
        ]
    );
}

#[test]
fn jsonl_is_refused_with_advice() {
    let err = parse_bytes(
        &read("tachyon/py315_jsonl.jsonl"),
        None,
        &ParseOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--collapsed"), "{err}");
    assert!(err.contains("--gecko"), "{err}");
    assert!(err.contains("--pstats"), "{err}");
}

/// A `--flamegraph` page built by hand from FORMATS.md §5 and CPython's template: names are
/// indexes into `strings`, values include the children's.
const FLAMEGRAPH_HTML: &str = r#"<!DOCTYPE html>
<html><head><title>Flamegraph</title></head><body><div id="chart"></div>
<script>
const EMBEDDED_DATA = {"name": 0, "value": 10, "children": [{"name": 1, "value": 7, "funcname": 2, "filename": 3, "lineno": 5, "children": [{"name": 4, "value": 4, "funcname": 5, "filename": 6, "lineno": 9, "children": []}]}, {"name": 7, "value": 3, "children": []}], "strings": ["Program Total", "main (/home/u/app.py:5)", "main", "/home/u/app.py", "dumps (json/__init__.py:9)", "dumps", "/usr/lib/python3.15/json/__init__.py", "<GC>"]};
</script></body></html>
"#;

#[test]
fn a_3_15_flamegraph_page_gives_its_tree() {
    let data = FLAMEGRAPH_HTML.as_bytes();
    assert_eq!(detect::detect(data).ok(), Some(Format::TachyonFlamegraph));
    let p = parse_bytes(data, None, &ParseOptions::default()).unwrap();
    assert_eq!(p.total(), 10);
    assert_eq!(
        p.folded_lines(),
        vec![
            ("Program Total;<GC>".to_string(), 3),
            ("Program Total;main (app.py)".to_string(), 3),
            (
                "Program Total;main (app.py);dumps (json/__init__.py)".to_string(),
                4
            ),
        ]
    );
}

#[test]
fn other_html_and_svg_are_named() {
    for (data, expected) in [
        (&b"<!DOCTYPE html>\n<html><body>report</body></html>"[..], "HTML page"),
        (b"<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\"></svg>", "SVG"),
        (
            b"[{\"args\":{},\"cat\":\"py-spy\",\"name\":\"f\",\"ph\":\"B\",\"pid\":1,\"tid\":1,\"ts\":0}]",
            "chrometrace",
        ),
    ] {
        let err = parse_bytes(data, None, &ParseOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn full_paths_keep_json_and_gecko_paths_whole() {
    let opts = ParseOptions {
        full_paths: true,
        idle: true,
        ..ParseOptions::default()
    };
    let p = load("formats/pyspy-dump-json.json", &opts);
    assert!(
        p.folded_lines()
            .iter()
            .any(|(s, _)| s.contains("(/home/user/busy.py)"))
    );
    let p = load("formats/pyspy-dump-json.json", &idle());
    assert!(
        p.folded_lines()
            .iter()
            .any(|(s, _)| s.contains("(busy.py)"))
    );
}

#[test]
fn the_text_and_json_dumps_of_one_program_share_frames() {
    let text = load("formats/pyspy-dump-plain.txt", &idle());
    let json = load("formats/pyspy-dump-json.json", &idle());
    let frames = |p: &Profile| {
        p.folded_lines()
            .iter()
            .map(|(s, _)| {
                s.split_once(';')
                    .unwrap()
                    .1
                    .split_once(';')
                    .unwrap()
                    .1
                    .to_string()
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    // Both captures come from busy.py under 3.11: the same functions, maybe other lines.
    let names = |set: std::collections::BTreeSet<String>| {
        set.iter()
            .map(|s| {
                s.split(';')
                    .map(|f| f.split(" (").next().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(names(frames(&text)), names(frames(&json)));
}

/// Every file under `samples/` that is not in [`SAMPLES`] (importtime logs, pstats files,
/// programs, READMEs) must not be claimed by these readers: importtime and pstats come from
/// their own sniffers, the rest is refused.
#[test]
fn other_inputs_are_not_claimed_by_the_sampling_readers() {
    let mine = [
        Format::Pyspy,
        Format::Folded,
        Format::Speedscope,
        Format::TachyonCollapsed,
        Format::TachyonDump,
        Format::Gecko,
        Format::TachyonJsonl,
        Format::TachyonFlamegraph,
    ];
    let mut todo = vec![std::path::PathBuf::from("samples")];
    let mut checked = 0;
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            let rel = path
                .strip_prefix("samples")
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            // Other producers' files have their own tests (producers.rs).
            if SAMPLES.iter().any(|(p, _)| *p == rel)
                || rel == "tachyon/py315_jsonl.jsonl"
                || rel.starts_with("producers/")
            {
                continue;
            }
            let data = fs::read(&path).unwrap();
            if let Ok(format) = detect::detect(&data) {
                assert!(!mine.contains(&format), "{rel} detected as {format:?}");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

#[test]
fn speedscope_samples_with_py_spy_root_frames_get_no_second_root() {
    let p = load(
        "pyspy/record_subprocesses_threads.speedscope.json",
        &ParseOptions::default(),
    );
    for s in p.stacks() {
        let names: Vec<&str> = s.frames.iter().map(|&f| p.frames.name(f)).collect();
        assert!(names[0].starts_with("process 23463:\""), "{names:?}");
        let roots = names
            .iter()
            .take_while(|n| n.starts_with("process ") || n.starts_with("thread ("))
            .count();
        assert!(roots == 2 || roots == 3, "{names:?}");
        assert!(
            names.iter().filter(|n| n.starts_with("thread (")).count() == 1,
            "{names:?}"
        );
    }
}

/// Cut every sample at a spread of points and flip a byte: parsing may fail but never panics,
/// and whatever it reads still folds.
#[test]
fn truncated_or_damaged_samples_never_panic() {
    for (path, format) in SAMPLES {
        let data = read(path);
        for k in 1..=16 {
            let cut = data.len() * k / 17;
            let mut damaged = data[..cut].to_vec();
            for input in [damaged.clone(), {
                if let Some(b) = damaged.get_mut(cut / 2) {
                    *b = b'"';
                }
                damaged
            }] {
                for from in [None, Some(*format)] {
                    if let Ok(p) = parse_bytes(&input, from, &idle()) {
                        let _ = p.folded_lines();
                    }
                }
            }
        }
    }
}

#[test]
fn from_pyspy_also_reads_py_spy_recordings() {
    for path in [
        "pyspy/record_busy_raw.txt",
        "pyspy/record_busy.speedscope.json",
    ] {
        let data = read(path);
        let by_detection = parse_bytes(&data, None, &ParseOptions::default()).unwrap();
        let by_from = parse_bytes(&data, Some(Format::Pyspy), &ParseOptions::default()).unwrap();
        assert_eq!(
            by_detection.folded_lines(),
            by_from.folded_lines(),
            "{path}"
        );
    }
}

#[test]
fn counts_that_overflow_are_an_error_not_a_panic() {
    let data = b"a;b 18446744073709551615\na;c 18446744073709551615\n";
    let err = parse_bytes(data, None, &ParseOptions::default()).unwrap_err();
    assert!(err.to_string().contains("2^64"), "{err}");
}

#[test]
fn a_flamegraph_page_nested_deeper_than_serde_allows_is_read() {
    let mut tree = String::from(r#"{"name": "leaf", "value": 1, "children": []}"#);
    for _ in 0..5000 {
        tree = format!(r#"{{"name": "f", "value": 1, "children": [{tree}]}}"#);
    }
    let page = format!("<html><script>\nconst EMBEDDED_DATA = {tree};\n</script></html>\n");
    let p = parse_bytes(page.as_bytes(), None, &ParseOptions::default()).unwrap();
    assert_eq!(p.total(), 1);
    assert_eq!(p.stack(0).frames.len(), 5001);
}

#[test]
fn a_damaged_flamegraph_page_is_an_error_naming_it() {
    let page = "<html><script>\nconst EMBEDDED_DATA = {\"name\": 0, \"value\": [};\n</script>";
    let err = parse_bytes(page.as_bytes(), None, &ParseOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("--flamegraph"), "{err}");
    assert!(err.contains("--collapsed"), "{err}");
}

#[test]
fn frames_get_categories_for_colouring() {
    use importflame::model::Category;
    let category_of = |p: &Profile, label: &str| {
        (0..p.frames.len() as u32)
            .find(|&id| p.frames.name(id) == label)
            .map(|id| p.frames.category(id))
    };
    let native = load("pyspy/dump_threads_native.txt", &idle());
    for (label, expected) in [
        ("0x7fc6c7ca3f16 (libc.so.6)", Category::Native),
        (
            "PyThread_acquire_lock_timed (libpython3.11.so.1.0)",
            Category::Native,
        ),
        ("Thread.run (threading.py)", Category::Stdlib),
        ("hash_chain (spy_threads.py)", Category::FirstParty),
        ("thread (18546) \"hasher\"", Category::Synthetic),
    ] {
        assert_eq!(category_of(&native, label), Some(expected), "{label}");
    }
    let full = load("formats/pyspy-dump-fullfilenames.txt", &idle());
    for (label, expected) in [
        (
            "Thread.run (/usr/local/lib/python3.11/threading.py)",
            Category::Stdlib,
        ),
        ("spin (/home/user/busy.py)", Category::FirstParty),
    ] {
        assert_eq!(category_of(&full, label), Some(expected), "{label}");
    }
    let raw = load(
        "pyspy/record_subprocesses_raw.txt",
        &ParseOptions::default(),
    );
    assert_eq!(
        category_of(&raw, "process 19415:\"python spy_multiproc.py 4\""),
        Some(Category::Synthetic)
    );
}

/// py-spy's default short file names (`_pytest/python.py`, `pluggy/_hooks.py`) coloured every
/// installed package first-party; only `--full-filenames` coloured right. Without a path the
/// top-level module name decides: stdlib, `--first-party`, test modules, else a package is
/// third-party. A real `py-spy record -f raw` of a pytest run.
#[test]
fn short_file_names_are_coloured_by_their_top_level_module() {
    use importflame::model::Category;
    let categories = |p: &Profile| -> BTreeMap<String, Category> {
        (0..p.frames.len() as u32)
            .map(|id| (p.frames.name(id).to_string(), p.frames.category(id)))
            .collect()
    };
    let of = |all: &BTreeMap<String, Category>, label: &str| {
        *all.get(label).unwrap_or_else(|| panic!("no frame {label}"))
    };
    let plain = categories(&load(
        "pyspy/record_pytest_raw.txt",
        &ParseOptions::default(),
    ));
    for (label, expected) in [
        (
            "Function.runtest (_pytest/python.py)",
            Category::SitePackages,
        ),
        (
            "HookCaller.__call__ (pluggy/_caller.py)",
            Category::SitePackages,
        ),
        ("<module> (pytest/__main__.py)", Category::SitePackages),
        (
            "test_symbolic_lazy_import (test_models.py)",
            Category::FirstParty,
        ),
        ("_run_code (<frozen runpy>)", Category::Stdlib),
    ] {
        assert_eq!(of(&plain, label), expected, "{label}");
    }
    let by_top = |all: &BTreeMap<String, Category>, top: &str| -> Vec<Category> {
        let mut seen: Vec<Category> = all
            .iter()
            .filter(|(label, _)| label.contains(&format!(" ({top}/")))
            .map(|(_, c)| *c)
            .collect();
        seen.dedup();
        seen
    };
    for top in ["_pytest", "pluggy", "sympy", "pandas", "numpy", "rich"] {
        assert_eq!(by_top(&plain, top), [Category::SitePackages], "{top}");
    }
    for top in ["importlib", "re", "asyncio"] {
        assert_eq!(by_top(&plain, top), [Category::Stdlib], "{top}");
    }
    let mine = ParseOptions {
        first_party: vec!["sympy".into()],
        ..ParseOptions::default()
    };
    let mine = categories(&load("pyspy/record_pytest_raw.txt", &mine));
    assert_eq!(by_top(&mine, "sympy"), [Category::FirstParty]);
    assert_eq!(by_top(&mine, "pluggy"), [Category::SitePackages]);
    // The same rule for a dump: the stdlib's `concurrent/futures/_base.py` and the script.
    let dump = categories(&load("pyspy/dump_threads.txt", &idle()));
    assert_eq!(
        of(&dump, "Future.result (concurrent/futures/_base.py)"),
        Category::Stdlib
    );
    assert_eq!(of(&dump, "main (spy_threads.py)"), Category::FirstParty);
    // And for speedscope, whose frames carry the file apart from the name.
    let speedscope = br#"{"$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": [{"name": "runtest", "file": "_pytest/python.py", "line": 1},
                              {"name": "main", "file": "app.py", "line": 2}]},
        "profiles": [{"type": "sampled", "name": "t", "unit": "none", "startValue": 0,
                      "endValue": 1, "samples": [[1, 0]], "weights": [1]}]}"#;
    let speedscope = categories(&parse_bytes(speedscope, None, &ParseOptions::default()).unwrap());
    // (its label keeps the base name, as for any path not below a package directory)
    assert_eq!(
        of(&speedscope, "runtest (python.py)"),
        Category::SitePackages
    );
    assert_eq!(of(&speedscope, "main (app.py)"), Category::FirstParty);
}

#[test]
fn several_3_15_dumps_are_several_samples() {
    let one = read("tachyon/py315_dump.txt");
    let mut two = one.clone();
    two.extend_from_slice(&one);
    let single = parse_bytes(&one, None, &idle()).unwrap();
    let double = parse_bytes(&two, None, &idle()).unwrap();
    assert_eq!(double.total(), 2 * single.total());
    assert_eq!(double.folded_lines().len(), single.folded_lines().len());
}

/// OSC 8 hyperlinks around file names (a terminal or wrapper that links them; both the ST
/// and the BEL ending) leaked into frames as `8;;file:///…` pieces: the dump reads exactly
/// like the capture it was made from (samples/made/make.py).
#[test]
fn a_dump_with_hyperlinked_file_names_reads_like_the_plain_dump() {
    let linked = load("made/pyspy_dump_threads_hyperlinks.txt", &idle());
    let plain = load("pyspy/dump_threads.txt", &idle());
    assert_eq!(linked.folded_lines(), plain.folded_lines());
    assert_eq!(linked.total(), 9, "one sample per thread");
    for (stack, _) in linked.folded_lines() {
        assert!(
            !stack.contains("file://") && !stack.contains("8;"),
            "{stack}"
        );
    }
    assert!(linked.diagnostics.is_empty(), "{:?}", linked.diagnostics);
}
