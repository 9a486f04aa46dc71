//! Files of other producers as their users write them (issue 16): Austin, speedscope with
//! weights, Firefox Profiler profiles, folded files with comments and bad lines. The fixtures in
//! `samples/producers/` are the producers' own (see `samples/README.md` for their licences)
//! or made here following their formats.

use std::fs;

use importflame::input::{Format, ParseOptions, detect, parse_bytes};
use importflame::model::{InputKind, Profile, Unit};

fn read(path: &str) -> Vec<u8> {
    fs::read(format!("samples/producers/{path}"))
        .unwrap_or_else(|e| panic!("samples/producers/{path}: {e}"))
}

fn load(path: &str) -> Profile {
    load_with(path, &ParseOptions::default())
}

fn load_with(path: &str, opts: &ParseOptions) -> Profile {
    parse_bytes(&read(path), None, opts).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn names(p: &Profile) -> Vec<String> {
    p.folded_lines().into_iter().map(|(l, _)| l).collect()
}

/// What Austin's samples add up to, read independently of the reader: the last token of
/// every line that is not metadata; in memory mode only the positive ones, in full mode the
/// first of the three.
fn austin_metric_sum(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let memory = text.lines().any(|l| l.trim() == "# mode: memory");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let metric = l.rsplit(' ').next().unwrap();
            let first: i64 = metric.split(',').next().unwrap().parse().unwrap();
            if memory { first.max(0) } else { first }
        })
        .sum::<i64>() as u64
}

#[test]
fn austin_files_are_detected_and_their_metrics_conserved() {
    for (path, unit) in [
        ("austin-python_austin3.austin", Unit::Microseconds),
        ("austin-python_austin4_head.austin", Unit::Microseconds),
        ("inferno_austin.txt", Unit::Microseconds),
        ("made_austin3_full.austin", Unit::Microseconds),
        ("made_austin4_memory.austin", Unit::Bytes),
    ] {
        let data = read(path);
        assert_eq!(detect::detect(&data).unwrap(), Format::Austin, "{path}");
        let p = load(path);
        assert_eq!(p.kind, InputKind::Austin, "{path}");
        assert_eq!(p.unit, unit, "{path}");
        assert_eq!(p.total(), austin_metric_sum(&data), "{path}");
    }
}

#[test]
fn austin_metadata_lines_are_never_stacks() {
    for path in [
        "austin-python_austin3.austin",
        "austin-python_austin4_head.austin",
        "inferno_austin.txt",
    ] {
        let p = load(path);
        for line in names(&p) {
            assert!(!line.contains('#'), "{path}: {line}");
            assert!(line.starts_with("process ("), "{path}: {line}");
        }
        assert!(p.diagnostics.is_empty(), "{path}: {:?}", p.diagnostics);
    }
}

#[test]
fn austin_frames_read_like_py_spy_frames_under_process_and_thread_roots() {
    // Austin 4: `T<iid>:<tid>` and qualified names.
    let p = load("austin-python_austin4_head.austin");
    let lines = names(&p);
    assert!(
        lines.contains(
            &"process (1155);thread (8306874560);<module> (target34.py);keep_cpu_busy (target34.py)"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l
            .starts_with("process (1155);thread (6148403200);Thread._bootstrap (threading.py);")),
        "{lines:#?}"
    );
    // Austin 3: `T<tid>`, a sample without frames counts under its thread.
    let p = load("austin-python_austin3.austin");
    let lines = p.folded_lines();
    assert!(
        lines.contains(&(
            "process (82848);thread (82848);<no Python frame>".to_string(),
            21
        )),
        "{lines:#?}"
    );
    let keep = ParseOptions {
        keep_lines: true,
        ..ParseOptions::default()
    };
    let p = load_with("austin-python_austin3.austin", &keep);
    assert!(
        names(&p)
            .iter()
            .any(|l| l.ends_with(";keep_cpu_busy (target34.py:32)")),
        "{:#?}",
        names(&p)
    );
}

#[test]
fn austin_memory_mode_weighs_bytes_allocated() {
    let p = load("made_austin4_memory.austin");
    assert_eq!(p.unit, Unit::Bytes);
    assert_eq!(p.total(), 65536 + 4096 + 131072 + 8192 + 1024);
    let lines = p.folded_lines();
    assert!(
        lines.contains(&(
            "process (4242);thread (4244) \"interpreter 1\";<module> (sub.py)".to_string(),
            1024
        )),
        "{lines:#?}"
    );
    let notes: Vec<String> = p.diagnostics.entries().map(|e| e.message()).collect();
    assert_eq!(
        notes,
        ["2 memory samples with a negative delta (memory given back) left out (first at line 9)"]
    );
}

#[test]
fn speedscope_weights_are_used_in_the_profiles_unit() {
    // speedscope's own fixture shows a;b;c 5, a;b;d 4, a;b 5: 14 s.
    let p = load("speedscope_simple-sampled.speedscope.json");
    assert_eq!(p.unit, Unit::Microseconds);
    assert_eq!(
        p.folded_lines(),
        vec![
            ("simple.speedscope.json;a;b".to_string(), 5_000_000),
            ("simple.speedscope.json;a;b;c".to_string(), 5_000_000),
            ("simple.speedscope.json;a;b;d".to_string(), 4_000_000),
        ]
    );
    // austin2speedscope's file: 72 samples, microsecond weights adding up to 725,562 µs, the
    // Austin file it was converted from less its one sample without frames (21 µs), which the
    // converter drops.
    let data = read("austin-python_austin3.speedscope.json");
    let doc: serde_json::Value = serde_json::from_slice(&data).unwrap();
    let weights: f64 = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["weights"].as_array().unwrap())
        .map(|w| w.as_f64().unwrap())
        .sum();
    let p = load("austin-python_austin3.speedscope.json");
    assert_eq!(p.unit, Unit::Microseconds);
    assert_eq!(p.total(), weights as u64);
    assert_eq!(
        p.total() + 21,
        austin_metric_sum(&read("austin-python_austin3.austin"))
    );
}

#[test]
fn folded_files_with_comments_and_bad_lines_are_read_and_the_bad_lines_reported() {
    for (path, total, notes) in [
        (
            "inferno_bad-lines.txt",
            31 + 6 + 1 + 19 + 2 + 274 + 274,
            vec!["2 lines that are not `stack count` skipped (first at line 3)"],
        ),
        (
            "speedscope_simple-with-invalids.txt",
            14,
            vec![
                "2 comment lines skipped (first at line 1)",
                "1 line that is not `stack count` skipped (first at line 8)",
            ],
        ),
    ] {
        let data = read(path);
        assert_eq!(detect::detect(&data).unwrap(), Format::Folded, "{path}");
        let p = load(path);
        assert_eq!(p.total(), total, "{path}");
        let got: Vec<String> = p.diagnostics.entries().map(|e| e.message()).collect();
        assert_eq!(got, notes, "{path}");
    }
}

#[test]
fn firefox_profiles_get_one_root_per_process_and_thread() {
    let data = read("firefox_processed-3.json");
    let doc: serde_json::Value = serde_json::from_slice(&data).unwrap();
    let p = load("firefox_processed-3.json");
    assert_eq!(p.kind, InputKind::FirefoxProfiler);
    assert_eq!(p.kind.name(), "Firefox Profiler profile");
    let threads = doc["threads"].as_array().unwrap();
    let main_threads = threads.iter().filter(|t| t["name"] == "GeckoMain").count();
    assert_eq!(main_threads, 2);
    for t in threads {
        let root = format!(
            "process ({}) \"{}\"",
            t["pid"].as_str().unwrap(),
            t["processType"].as_str().unwrap()
        );
        let thread = format!("thread (?) \"{}\"", t["name"].as_str().unwrap());
        let got: u64 = p
            .stacks()
            .filter(|s| p.frames.name(s.frames[0]) == root && p.frames.name(s.frames[1]) == thread)
            .map(|s| s.weight)
            .sum();
        let expected = t["samples"]["stack"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !s.is_null())
            .count() as u64;
        assert_eq!(got, expected, "{root} {thread}");
    }
    // CPython's own gecko output stays a CPython profile with thread roots only.
    let p = parse_bytes(
        &fs::read("samples/tachyon/py315_gecko.json").unwrap(),
        None,
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(p.kind, InputKind::Tachyon);
    assert!(
        p.stacks()
            .all(|s| p.frames.name(s.frames[0]).starts_with("thread ("))
    );
}

#[test]
fn a_raw_gecko_profile_is_named_with_the_way_to_a_processed_one() {
    let err = parse_bytes(
        &read("firefox_gecko-1.json"),
        None,
        &ParseOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("a raw (unprocessed) Gecko profile"), "{err}");
    assert!(err.contains("meta.version 3"), "{err}");
    assert!(err.contains("https://profiler.firefox.com"), "{err}");
}

#[test]
fn a_speedscope_event_left_open_is_closed_at_end_value_and_reported() {
    let p = load("speedscope_incomplete-trace.json");
    // unit `none`: values taken as microseconds, and that is reported too.
    assert_eq!(p.folded_lines(), vec![("p1;A".to_string(), 100)]);
    let notes: Vec<String> = p.diagnostics.entries().map(|e| e.message()).collect();
    assert_eq!(
        notes,
        [
            "1 frame still open after the last event closed at the profile's endValue",
            "1 profile whose unit is not a time: values taken as microseconds"
        ]
    );
}

/// The error for a file, read the way the command line reads it (gunzipped when needed).
fn error_of(path: &str) -> String {
    let source = importflame::input::Source::Path(format!("samples/producers/{path}").into());
    importflame::input::load(&source, None, &ParseOptions::default())
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn other_binary_profiles_are_named_by_their_magic_numbers() {
    for (path, expected) in [
        (
            "made_py2.prof",
            "byte 155: marshal type 'R' (0x52), Python 2's TYPE_STRINGREF: this was written by \
             Python 2",
        ),
        ("made_gperftools.prof", "a gperftools CPU profile (binary)"),
        ("made_perf.data", "a Linux perf.data file"),
        ("made_pprof.pb.gz", "a pprof profile (gzipped protobuf)"),
    ] {
        let err = error_of(path);
        assert!(err.contains(expected), "{path}: {err}");
        assert!(
            err.starts_with(&format!("samples/producers/{path}: ")),
            "{err}"
        );
        assert!(!err.contains("folded stacks found"), "{err}");
    }
}

#[test]
fn a_function_sampled_at_several_lines_is_one_frame_unless_keep_lines() {
    let p = load("made_pyspy_raw_lines.txt");
    assert_eq!(
        p.folded_lines(),
        vec![
            (
                "<module> (shop/app.py);total (shop/pricing.py)".to_string(),
                23
            ),
            (
                "<module> (shop/app.py);total (shop/pricing.py);_is_prime (shop/pricing.py)"
                    .to_string(),
                341
            ),
            ("<no Python frame>".to_string(), 23),
        ]
    );
    // Every line counts, the empty stack too: 387, as py-spy recorded.
    assert_eq!(p.total(), 387);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let keep = ParseOptions {
        keep_lines: true,
        ..ParseOptions::default()
    };
    let p = load_with("made_pyspy_raw_lines.txt", &keep);
    let lines = names(&p);
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("_is_prime (shop/pricing.py:8)"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("_is_prime (shop/pricing.py:9)"))
    );
}

#[test]
fn dumps_of_one_thread_with_and_without_its_name_are_one_root() {
    let p = load("made_pyspy_dumps_same_thread.txt");
    assert_eq!(
        p.folded_lines(),
        vec![
            (
                "process (4100) \"python shop/app.py\";thread (4100) \"MainThread\";\
                 <module> (shop/app.py);total (shop/pricing.py);_is_prime (shop/pricing.py)"
                    .to_string(),
                2
            ),
            (
                "process (4100) \"python shop/app.py\";thread (4107) \"worker-1\";\
                 work (shop/worker.py)"
                    .to_string(),
                2
            ),
        ]
    );
}
