//! Inputs over 1 MiB are parsed as they are read (issue 18): folded stacks, py-spy text
//! dumps, Austin, speedscope and Gecko JSON from a file or from standard input, and importtime logs from
//! standard input. Each must give what the whole-buffer parse gives, diagnostics and line
//! numbers included, and speedscope must not take memory in proportion to a JSON tree.

use std::fs;
use std::io::Write;
use std::path::Path;

use importflame::error::Position;
use importflame::input::{self, Format, ParseOptions, Source};
use importflame::model::Profile;

use crate::common::{assert_success, repo, report_profile, run};

/// `text` repeated until it is longer than `bytes`.
fn repeated(text: &[u8], bytes: usize) -> Vec<u8> {
    text.repeat(bytes / text.len() + 1)
}

/// What a parse gave, diagnostics with their first lines, for comparing two parses.
fn summary(profile: &Profile) -> String {
    let mut out = report_profile(profile);
    for e in profile.diagnostics.entries() {
        out.push_str(&format!("{} x{} first {:?}\n", e.kind.id, e.count, e.first));
    }
    out
}

/// `text` gzipped, and as UTF-16 LE with its byte-order mark.
fn encodings(text: &[u8]) -> [(&'static str, Vec<u8>); 3] {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        String::from_utf8_lossy(text)
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    [
        ("plain", text.to_vec()),
        ("gzip", gz.finish().unwrap()),
        ("utf-16", utf16),
    ]
}

/// A py-spy raw recording with everything a folded reader reports: a BOM, CRLF line ends, a
/// comment, a line that is no stack, a fractional and a differential count, an empty stack
/// and an empty frame; over 2 MiB, so it is streamed.
fn long_recording() -> Vec<u8> {
    let raw = fs::read(repo("samples/pyspy/record_subprocesses_raw.txt")).unwrap();
    let raw = String::from_utf8(raw).unwrap().replace('\n', "\r\n");
    let mut text = b"\xEF\xBB\xBF# recorded by py-spy\n".to_vec();
    text.extend(repeated(raw.as_bytes(), 2 << 20));
    text.extend(b"not a stack\na;b 1.5\na;;b 2 3\n 7\n\x1b[1ma;c\x1b[0m 4");
    text
}

/// py-spy text dumps (several, with idle threads, `--locals` blocks and stray lines), over
/// 1 MiB.
fn long_dumps() -> Vec<u8> {
    let mut text = Vec::new();
    for name in [
        "dump_locals.txt",
        "dump_threads.txt",
        "dump_subprocesses.txt",
    ] {
        text.extend(fs::read(repo(&format!("samples/pyspy/{name}"))).unwrap());
    }
    text.extend(b"a line of no dump\n");
    let dumps = fs::read(repo("samples/pyspy/dumps_x50_spy_busy.txt")).unwrap();
    text.extend(repeated(&dumps, 3 << 19));
    text
}

/// A speedscope file of `samples` samples over a few stacks, in seconds, with a sample naming
/// no frame, one that is no list, and weights that are not numbers; about 40 bytes a sample.
fn speedscope_file(samples: usize) -> Vec<u8> {
    let mut out = String::from(
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\
         \"exporter\":\"test\",\"profiles\":[{\"type\":\"sampled\",\"name\":\"Thread 7 \\\"w\\\"\",\
         \"unit\":\"seconds\",\"startValue\":0,\"endValue\":1,\"samples\":[",
    );
    for i in 0..samples {
        if i > 0 {
            out.push(',');
        }
        match i % 7 {
            0 => out.push_str("[0,1,2,3,4,5,6,7,8,9]"),
            1 => out.push_str("[0,1,2,3,4,5,6,7,8,10,11]"),
            2 => out.push_str("[0,1,2,3,4,5,6,12]"),
            3 if i % 1000 == 3 => out.push_str("[0,99]"),
            4 if i % 1000 == 4 => out.push_str("\"no list\""),
            _ => out.push_str("[0,1,2,3,4,5,6,7,8,9,13]"),
        }
    }
    out.push_str("],\"weights\":[");
    for i in 0..samples {
        if i > 0 {
            out.push(',');
        }
        match i % 500 {
            17 => out.push_str("null"),
            18 => out.push_str("0.0025"),
            _ => out.push_str("0.001"),
        }
    }
    out.push_str("]}],\"shared\":{\"frames\":[");
    for f in 0..14 {
        if f > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"name\":\"f{f}\",\"file\":\"/srv/app/m{f}.py\",\"line\":{f},\"col\":null}}"
        ));
    }
    out.push_str("]}}\n");
    out.into_bytes()
}

/// Parses `data` whole ([`input::parse_bytes`]) and as the file `path` holding it, in each
/// encoding, and checks that every parse is the same.
fn assert_streamed_as_whole(dir: &Path, name: &str, data: &[u8], opts: &ParseOptions) {
    assert!(data.len() > 1 << 20, "{name} is long enough to be streamed");
    let whole = summary(&input::parse_bytes(data, None, opts).unwrap());
    for (encoding, bytes) in encodings(data) {
        let path = dir.join(format!("{name}.{encoding}"));
        fs::write(&path, bytes).unwrap();
        let streamed = input::load(&Source::Path(path), None, opts).unwrap();
        assert_eq!(summary(&streamed), whole, "{name}, {encoding}");
    }
}

/// CPython 3.15's `--gecko` sample with its samples repeated past 1 MiB, a `null` and an
/// out-of-range stack among them.
fn long_gecko() -> Vec<u8> {
    let text = fs::read(repo("samples/tachyon/py315_gecko.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&text).unwrap();
    for thread in doc["threads"].as_array_mut().unwrap() {
        let samples = &mut thread["samples"];
        let stacks = samples["stack"].as_array().unwrap().clone();
        let bytes = serde_json::to_vec(&stacks).unwrap().len().max(1);
        let mut long = Vec::new();
        for _ in 0..=(3 << 20) / 2 / bytes {
            long.extend(stacks.iter().cloned());
        }
        long.push(serde_json::Value::Null);
        long.push(serde_json::json!(1_000_000));
        if samples.get("time").is_some() {
            samples["time"] = serde_json::json!(null);
        }
        samples["length"] = serde_json::json!(long.len());
        samples["stack"] = serde_json::Value::Array(long);
    }
    serde_json::to_vec(&doc).unwrap()
}

/// Austin 4 output (a sample line per sample) with its samples repeated past 1 MiB, a frame in
/// no known form and a line that is no sample among them.
fn long_austin() -> Vec<u8> {
    let text = fs::read(repo("samples/producers/austin-python_austin4_head.austin")).unwrap();
    let body: Vec<u8> = text
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"#"))
        .flatten()
        .copied()
        .collect();
    let mut out = text.clone();
    out.extend(b"P1;T0:1;no frame form 5\njunk\n");
    out.extend(repeated(&body, 3 << 19));
    out.extend(b"P1;T0:1;no frame form 7\n");
    out
}

#[test]
fn long_folded_dump_and_speedscope_files_parse_as_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ParseOptions::default();
    let recording = long_recording();
    assert_streamed_as_whole(dir.path(), "recording", &recording, &opts);
    let dumps = long_dumps();
    assert_streamed_as_whole(dir.path(), "dumps", &dumps, &opts);
    let idle = ParseOptions {
        idle: true,
        ..ParseOptions::default()
    };
    assert_streamed_as_whole(dir.path(), "dumps-idle", &dumps, &idle);
    assert_streamed_as_whole(dir.path(), "speedscope", &speedscope_file(40_000), &opts);
    assert_streamed_as_whole(dir.path(), "gecko", &long_gecko(), &opts);
    assert_streamed_as_whole(dir.path(), "austin", &long_austin(), &opts);
    let collapsed = fs::read(repo("samples/tachyon/py315_collapsed_threads.txt")).unwrap();
    let collapsed = repeated(&collapsed, 3 << 19);
    assert_streamed_as_whole(dir.path(), "collapsed", &collapsed, &opts);
    // The notes of the recording: their first lines are the whole text's.
    let p = input::parse_bytes(&recording, None, &opts).unwrap();
    let last = recording.iter().filter(|&&b| b == b'\n').count() as u64;
    let firsts: Vec<(&str, u64, Option<Position>)> = p
        .diagnostics
        .entries()
        .map(|e| (e.kind.id, e.count, e.first))
        .collect();
    let line = |n: u64| Some(Position::Line(n));
    assert!(
        firsts.contains(&("folded.comment", 1, line(1))),
        "{firsts:?}"
    );
    assert!(
        firsts.contains(&("folded.malformed", 1, line(last - 3))),
        "{firsts:?}"
    );
    assert!(
        firsts.contains(&("folded.fraction", 1, line(last - 2))),
        "{firsts:?}"
    );
}

#[test]
fn a_stack_met_again_adds_to_its_first_entry_unless_the_order_is_drawn() {
    let recording = long_recording();
    let merged =
        input::parse_bytes(&recording, Some(Format::Folded), &ParseOptions::default()).unwrap();
    let ordered = ParseOptions {
        keep_order: true,
        ..ParseOptions::default()
    };
    let each = input::parse_bytes(&recording, Some(Format::Folded), &ordered).unwrap();
    let lines: Vec<&[u8]> = recording.split(|&b| b == b'\n').collect();
    let distinct: std::collections::HashSet<&[u8]> = lines.iter().copied().collect();
    assert!(
        each.stack_count() > lines.len() / 2,
        "one entry per line kept in order"
    );
    assert!(
        merged.stack_count() <= distinct.len() && merged.stack_count() * 10 < each.stack_count(),
        "{} entries for {} distinct lines",
        merged.stack_count(),
        distinct.len()
    );
    assert_eq!(merged.total(), each.total());
    assert_eq!(
        crate::common::folded(&merged, 1),
        crate::common::folded(&each, 1)
    );
}

/// `importflame -f folded` of `data` as the file `path` and from standard input.
fn folded_of_file_and_stdin(path: &Path, data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fs::write(path, data).unwrap();
    let file = run(&["-q", "-f", "folded", path.to_str().unwrap()], Vec::new());
    assert_success(&file);
    let stdin = run(&["-q", "-f", "folded", "-"], data.to_vec());
    assert_success(&stdin);
    (file.stdout, stdin.stdout)
}

#[test]
fn long_standard_input_is_read_as_the_same_file_is() {
    let dir = tempfile::tempdir().unwrap();
    let log = fs::read(repo("samples/importtime/single/py311_many_libs.log")).unwrap();
    let cases = [
        ("recording", long_recording()),
        ("dumps", long_dumps()),
        ("speedscope", speedscope_file(40_000)),
        ("gecko", long_gecko()),
        ("austin", long_austin()),
        ("importtime", repeated(&log, 3 << 19)),
    ];
    for (name, data) in cases {
        for (encoding, bytes) in encodings(&data) {
            let path = dir.path().join(format!("{name}.{encoding}"));
            let (file, stdin) = folded_of_file_and_stdin(&path, &bytes);
            assert!(!file.is_empty(), "{name}");
            assert!(
                file == stdin,
                "{name}, {encoding}: stdin folds as the file does"
            );
        }
    }
}

#[test]
fn a_failure_message_after_its_closed_report_on_long_stdin_marks_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = fs::read(repo("samples/importtime/single/py311_requests.log")).unwrap();
    let mut data = b"import time: self [us] | cumulative | imported package\n\
                     import time:        40 |         40 | not_there\n"
        .to_vec();
    data.extend(repeated(&log, 3 << 19));
    data.extend(b"ModuleNotFoundError: No module named 'not_there'\n");
    for (encoding, bytes) in encodings(&data) {
        let path = dir.path().join(format!("late.{encoding}"));
        let (file, stdin) = folded_of_file_and_stdin(&path, &bytes);
        let text = String::from_utf8_lossy(&stdin);
        assert!(
            text.lines()
                .any(|l| l.ends_with(";not_there (failed) 40") || l == "not_there (failed) 40"),
            "{encoding}: the late message marks its report: {}",
            &text[..text.len().min(300)]
        );
        assert!(file == stdin, "{encoding}: stdin folds as the file does");
    }
}

#[test]
fn a_broken_speedscope_file_names_the_same_place_read_whole_or_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = speedscope_file(40_000);
    let cut = data.len() - 300;
    data.truncate(cut);
    let whole = input::parse_bytes(&data, None, &ParseOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        whole.contains("speedscope JSON: EOF while parsing"),
        "{whole}"
    );
    let path = dir.path().join("broken.json");
    fs::write(&path, &data).unwrap();
    let streamed = input::load(&Source::Path(path.clone()), None, &ParseOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(streamed, format!("{}: {whole}", path.display()));
    let mut data = speedscope_file(40_000);
    let at = data.len() / 2;
    data[at] = b'}';
    let whole = input::parse_bytes(&data, None, &ParseOptions::default())
        .unwrap_err()
        .to_string();
    fs::write(&path, &data).unwrap();
    let streamed = input::load(&Source::Path(path.clone()), None, &ParseOptions::default())
        .unwrap_err()
        .to_string();
    assert!(whole.contains("at line 1 column"), "{whole}");
    assert_eq!(streamed, format!("{}: {whole}", path.display()));
}

/// A 60 MB speedscope file took about 20 times its size as a `serde_json::Value` tree; read
/// by the typed reader it takes a fraction of it: four bytes a sample and the distinct stacks.
#[cfg(target_os = "linux")]
#[test]
fn a_large_speedscope_file_is_read_in_memory_smaller_than_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.speedscope.json");
    let data = speedscope_file(1_800_000);
    let len = data.len() as u64;
    assert!(len > 50_000_000, "{len} bytes");
    fs::write(&path, &data).unwrap();
    drop(data);
    let out = dir.path().join("large.svg");
    let peak_drawing = |input: &std::path::Path| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_importflame"));
        command.args(["-q", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let (status, peak) = crate::common::peak_rss_of(command);
        assert!(status.success());
        peak
    };
    let peak = peak_drawing(&path);
    let svg = fs::read_to_string(&out).unwrap();
    assert!(
        svg.contains("f13 (m13.py)"),
        "the graph draws the file's frames"
    );
    // What the binary takes on a one-sample file (its code and libraries: about 14 MiB for a
    // debug build, which grows with the code) is not the input's; the rest is.
    let tiny = dir.path().join("tiny.speedscope.json");
    fs::write(&tiny, speedscope_file(1)).unwrap();
    // A one-sample run lasts a few milliseconds, and may be read only as it starts (a floor
    // near 0, and the whole binary counted as the input's): the largest of a few runs.
    let floor = (0..5).map(|_| peak_drawing(&tiny)).max().unwrap_or(0);
    let for_input = peak.saturating_sub(floor);
    assert!(
        for_input < len / 3,
        "peak RSS {} MiB ({} MiB on one sample) for {} MiB of speedscope JSON",
        peak >> 20,
        floor >> 20,
        len >> 20
    );
}
