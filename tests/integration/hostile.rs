//! Hostile input (issue 8): whatever the bytes, the binary exits 0 or 2 with a message naming
//! the input, never panics (exit 101), never lets a frame name become markup in the SVG, keeps
//! its memory within a small multiple of the input, leaves an existing `-o` file alone when it
//! fails, leaves no temporary file behind, and with `--tee` loses no byte of the input.
//!
//! Big inputs are generated here, never committed. Every run goes through [`checked`], so a
//! panic anywhere fails the test that caused it.

use crate::common;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{assert_success, repo, run, run_in};
use importflame::input::{self, Format, ParseOptions};

const BIN: &str = env!("CARGO_BIN_EXE_importflame");

/// Asserts the run ended as bad input must end: status 0 or 2 (never 101, never a signal),
/// no panic message, and on failure one `importflame: NAME: …` line naming `input`.
fn checked(out: Output, input: &str) -> Output {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "panic: {err}");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 2)),
        "status {:?}: {err}",
        out.status
    );
    if code == Some(2) {
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with(&format!("importflame: {input}: ")),
            "the error names {input}: {err}"
        );
    }
    out
}

/// Runs the binary on `args` with `stdin`, checked as above.
fn run_checked(args: &[&str], stdin: Vec<u8>, input: &str) -> Output {
    checked(run(args, stdin), input)
}

/// Parses an SVG written by importflame and checks that it is well-formed XML made only of the
/// elements importflame and inferno write, with inferno's one script and no event handler but
/// the root's `onload`; returns all text content (unescaped) for further checks.
fn assert_safe_svg(svg: &[u8]) -> String {
    use quick_xml::events::Event;
    const ELEMENTS: &[&[u8]] = &[
        b"svg",
        b"defs",
        b"linearGradient",
        b"stop",
        b"style",
        b"script",
        b"rect",
        b"text",
        b"g",
        b"title",
    ];
    let svg = std::str::from_utf8(svg).expect("the SVG is UTF-8");
    // XML 1.0 allows no other control character, nor U+FFFE and U+FFFF.
    let bad = svg.char_indices().find(|&(_, c)| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    });
    assert_eq!(bad, None, "a character XML cannot hold");
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut scripts = 0;
    let mut texts = String::new();
    loop {
        match reader.read_event() {
            Err(e) => panic!(
                "not well-formed XML at byte {}: {e}",
                reader.buffer_position()
            ),
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let name = e.name();
                let name = name.as_ref();
                assert!(
                    ELEMENTS.contains(&name),
                    "injected element <{}>",
                    String::from_utf8_lossy(name)
                );
                scripts += usize::from(name == b"script");
                for attr in e.attributes() {
                    let attr = attr.expect("well-formed attribute");
                    let key = attr.key.as_ref();
                    assert!(
                        !key.starts_with(b"on") || (key == b"onload" && name == b"svg"),
                        "injected handler {}",
                        String::from_utf8_lossy(key)
                    );
                }
            }
            Ok(Event::Text(t)) => texts.push_str(&t.decode().expect("UTF-8 text")),
            Ok(Event::GeneralRef(r)) => {
                let c = match &*r.clone().into_inner() {
                    b"lt" => '<',
                    b"gt" => '>',
                    b"amp" => '&',
                    b"quot" => '"',
                    b"apos" => '\'',
                    _ => r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| panic!("unknown entity {r:?}")),
                };
                texts.push(c);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
        }
    }
    assert_eq!(scripts, 1, "only inferno's own script");
    texts
}

/// Names no parser may turn into markup: tags, entities, quotes, the CDATA end, controls.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "</title></g><script>alert(2)</script>",
    "a & b &amp &lt &#x3c &#0",
    "\"double\" 'single' `back`",
    "]]><script>alert(3)</script><![CDATA[",
    "<!-- comment --> <?pi x?>",
    "ctl\u{1}\u{7}\u{8}\u{b}\u{c}\u{1b}[31m\u{7f}end",
    "<img src=x onerror=alert(4)>",
    "not\u{FFFF}xml\u{FFFE}\u{85}",
];

#[test]
fn markup_in_folded_frame_names_comes_out_escaped_and_the_svg_stays_xml() {
    let mut input = String::new();
    for (i, name) in HOSTILE.iter().enumerate() {
        input.push_str(&format!("main;{name};leaf{i} {}\n", i + 1));
    }
    let out = run_checked(&["--from", "folded", "-"], input.into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    let text = assert_safe_svg(&out.stdout);
    let svg = String::from_utf8_lossy(&out.stdout);
    assert!(!svg.contains("alert(1)</script>"));
    assert!(
        svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{svg}"
    );
    assert!(text.contains("a & b &amp &lt &#x3c &#0"));
    assert!(text.contains("]]><script>alert(3)</script>"));
    // Control characters leave labels (model::clean_label); XML 1.0 forbids most of them.
    assert!(!svg.contains('\u{1}') && !svg.contains('\u{1b}') && !svg.contains('\u{8}'));
}

#[test]
fn markup_in_importtime_module_names_comes_out_escaped() {
    let mut log = String::from("import time: self [us] | cumulative | imported package\n");
    for name in HOSTILE {
        // `|` cannot be in a module name field; everything else reaches the parser.
        log.push_str(&format!("import time:       120 |        120 |   {name}\n"));
    }
    log.push_str("import time:        50 |       1010 | <svg onload=alert(5)>\n");
    let out = run_checked(&["-"], log.into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    let text = assert_safe_svg(&out.stdout);
    assert!(text.contains("<svg onload=alert(5)>"), "{text}");
    assert!(text.contains("<script>alert(1)</script>"));
}

#[test]
fn markup_in_the_input_name_title_and_subtitle_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "<script src=x.js> & \"x\" ]]>\u{1}\u{FFFF}.log";
    fs::copy(
        repo("samples/importtime/single/py311_json.log"),
        dir.path().join(name),
    )
    .unwrap();
    fs::copy(
        repo("samples/importtime/single/py37_json.log"),
        dir.path().join("]]>.log"),
    )
    .unwrap();
    let out = checked(
        run_in(
            &[
                name,
                "]]>.log",
                "--title",
                "</text><script>alert(7)</script>",
                "--subtitle",
                "]]><![CDATA[ & <b>",
            ],
            Vec::new(),
            dir.path(),
        ),
        name,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = assert_safe_svg(&out.stdout);
    assert!(text.contains("</text><script>alert(7)</script>"));
    let shown = "<script src=x.js> & \"x\" ]]>  .log";
    assert!(text.contains(shown), "{text}");
    // Without --subtitle the input names are the subtitle.
    let out = checked(run_in(&[name], Vec::new(), dir.path()), name);
    assert!(assert_safe_svg(&out.stdout).contains(shown));
}

#[test]
fn markup_in_names_keeps_json_and_speedscope_output_valid() {
    let mut input = String::new();
    for (i, name) in HOSTILE.iter().enumerate() {
        input.push_str(&format!("{name};\u{2028}x\"\\{i} 3\n"));
    }
    for format in ["json", "speedscope"] {
        let out = run_checked(
            &["--from", "folded", "-f", format, "-"],
            input.clone().into_bytes(),
            "<stdin>",
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        assert!(doc.to_string().contains("alert(1)"), "{format}");
    }
}

#[test]
fn invalid_utf8_never_stops_a_parser() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "folded",
            b"ma\xffin;le\xc3(af 3\nok;\xed\xa0\x80 2\n".to_vec(),
        ),
        (
            "importtime",
            b"import time: self [us] | cumulative | imported package\n\
              import time:        10 |         10 | bad\xff\xfename\n\
              import time:        20 |         20 | good\n"
                .to_vec(),
        ),
        (
            "pyspy",
            b"Process 1: python x\xff.py\nPython v3.12.1 (/usr/bin/python)\n\n\
              Thread 7 (active): \"Main\xffThread\"\n    f\xfe (a\xff.py:1)\n"
                .to_vec(),
        ),
        (
            "speedscope",
            b"{\"profiles\":[],\"shared\":{\"frames\":[{\"name\":\"\xff\"}]}}".to_vec(),
        ),
    ];
    for (format, bytes) in cases {
        for from in [None, Some(format)] {
            let mut args = vec!["-f", "svg", "-"];
            if let Some(f) = from {
                args.extend(["--from", f]);
            }
            let out = run_checked(&args, bytes.clone(), "<stdin>");
            if out.status.success() {
                assert_safe_svg(&out.stdout);
            }
        }
    }
    // Whole files of invalid UTF-8, and UTF-16 with lone surrogates.
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| 0x80 | (i * 7919 % 128) as u8)
        .collect();
    run_checked(&["-"], junk, "<stdin>");
    run_checked(
        &["-"],
        vec![0xFF, 0xFE, 0x00, 0xD8, b'a', 0, b'\n', 0],
        "<stdin>",
    );
}

/// A cheap deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_and_mangled_samples_never_panic_a_parser() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let opts = ParseOptions::default();
    let mut inputs: Vec<Vec<u8>> = (0..200)
        .map(|_| {
            let len = rng.below(2048);
            (0..len).map(|_| rng.next() as u8).collect()
        })
        .collect();
    for sample in [
        "samples/importtime/single/py311_json.log",
        "samples/formats/pyspy-dump-plain.txt",
        "samples/formats/pyspy-dump-json.json",
        "samples/formats/pyspy-record-raw-threads.txt",
        "samples/formats/pyspy-record-speedscope.json",
        "samples/tachyon/py315_dump.txt",
    ] {
        let bytes = fs::read(repo(sample)).unwrap();
        for _ in 0..60 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                match rng.below(4) {
                    0 => {
                        let i = rng.below(b.len());
                        b[i] = rng.next() as u8;
                    }
                    1 => b.truncate(rng.below(b.len())),
                    2 => {
                        let i = rng.below(b.len());
                        let j = rng.below(b.len());
                        let chunk = b[i.min(j)..i.max(j)].to_vec();
                        let at = rng.below(b.len());
                        b.splice(at..at, chunk);
                    }
                    _ => {
                        let i = rng.below(b.len());
                        b.insert(i, b"<;:|\n\"{[0-9]}"[rng.below(13)]);
                    }
                }
                if b.is_empty() {
                    break;
                }
            }
            inputs.push(b);
        }
    }
    for bytes in &inputs {
        let _ = input::parse_bytes(bytes, None, &opts);
        for (format, _) in Format::ALL {
            let _ = format.parse(bytes, &opts);
        }
    }
    // And a few through the binary, all the way to the SVG.
    for bytes in inputs.iter().step_by(40) {
        let out = run_checked(&["-"], bytes.clone(), "<stdin>");
        if out.status.success() {
            assert_safe_svg(&out.stdout);
        }
    }
}

#[test]
fn a_folded_line_200000_frames_deep_is_drawn_without_recursion() {
    let frames: Vec<String> = (0..200_000).map(|i| format!("f{}", i % 7)).collect();
    let line = format!("{} 5\n", frames.join(";"));
    // Detected as folded although its count sits 600 KB into the line.
    let out = run_checked(&["-f", "folded", "-"], line.clone().into_bytes(), "<stdin>");
    assert_eq!(
        out.stdout,
        line.as_bytes(),
        "folded output keeps every frame"
    );
    let out = run_checked(&["-"], line.into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    assert_safe_svg(&out.stdout);
}

#[test]
fn an_importtime_log_nested_thousands_deep_is_read_without_recursion() {
    // Each level is indented 2 more spaces, so depth d costs O(d²) bytes: 2,000 levels is 4 MB.
    let depth = 2_000;
    let mut log = String::from("import time: self [us] | cumulative | imported package\n");
    for d in (0..depth).rev() {
        let cumulative = depth - d;
        log.push_str(&format!(
            "import time: {:>9} | {:>10} | {}m{d}\n",
            1,
            cumulative,
            " ".repeat(2 * d)
        ));
    }
    // One row claiming 200,000 levels (missing levels are attached anyway).
    log.push_str(&format!(
        "import time:         7 |          7 | {}deep\n",
        " ".repeat(400_000)
    ));
    log.push_str("import time:         1 |          8 | top\n");
    let out = run_checked(&["-f", "folded", "-"], log.clone().into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    let folded = String::from_utf8(out.stdout).unwrap();
    let longest = folded.lines().map(|l| l.matches(';').count()).max();
    assert_eq!(longest, Some(depth), "every level is kept");
    let out = run_checked(&["-"], log.into_bytes(), "<stdin>");
    assert_safe_svg(&out.stdout);
}

#[test]
fn json_nested_200000_deep_is_an_error_not_a_stack_overflow() {
    let deep_array = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(200_000), "}".repeat(200_000));
    let cases = [
        (
            "speedscope",
            format!("{{\"profiles\":{deep_array},\"shared\":{{}}}}"),
        ),
        (
            "speedscope",
            format!("{{\"profiles\":[],\"shared\":{deep_object}}}"),
        ),
        (
            "gecko",
            format!("{{\"meta\":{deep_object},\"threads\":[]}}"),
        ),
        (
            "pyspy",
            format!("[{{\"thread_id\":1,\"frames\":{deep_array}}}]"),
        ),
        (
            "tachyon-jsonl",
            format!("{{\"type\":\"meta\",\"run_id\":{deep_array}}}"),
        ),
        (
            "tachyon-flamegraph",
            format!("<html>\nconst EMBEDDED_DATA = {deep_object};\n"),
        ),
    ];
    for (format, doc) in cases {
        for from in [None, Some(format)] {
            let mut args = vec!["-f", "folded", "-"];
            if let Some(f) = from {
                args.extend(["--from", f]);
            }
            let out = run_checked(&args, doc.clone().into_bytes(), "<stdin>");
            assert_eq!(out.status.code(), Some(2), "{format}");
        }
    }
}

#[test]
fn a_flamegraph_page_200000_nodes_deep_is_read_iteratively() {
    // d3-flamegraph's tree nests two JSON levels per frame; only the leaf has self weight.
    let depth = 200_000;
    let mut data = String::new();
    for _ in 0..depth {
        data.push_str("{\"name\":\"f\",\"value\":3,\"children\":[");
    }
    data.push_str("{\"name\":\"leaf\",\"value\":3}");
    for _ in 0..depth {
        data.push_str("]}");
    }
    let page = format!("<!DOCTYPE html>\n<script>\nconst EMBEDDED_DATA = {data};\n</script>\n");
    let out = run_checked(&["-f", "folded", "-"], page.into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    let folded = String::from_utf8(out.stdout).unwrap();
    assert!(folded.trim_end().ends_with(";leaf 3"), "{}", &folded[..200]);
}

#[test]
fn an_importtime_log_with_100000_headers_is_read() {
    let mut log = String::new();
    for i in 0..100_000 {
        log.push_str("import time: self [us] | cumulative | imported package\n");
        if i % 1000 == 0 {
            log.push_str("import time:        10 |         10 | m\n");
        }
    }
    let out = run_checked(&["-f", "folded", "-"], log.into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 100);
    // Headers and nothing else is no data, with the usual message.
    let only = "import time: self [us] | cumulative | imported package\n".repeat(100_000);
    let out = run_checked(&["-"], only.into_bytes(), "<stdin>");
    assert_eq!(out.status.code(), Some(2));
}

/// A 50 MB file with no newline at all: plain letters (every sniffer looks, none matches),
/// and one folded stack of 8.7 million frames.
#[test]
fn a_50_mb_line_without_a_newline_is_refused_or_read_in_bounded_memory() {
    const SIZE: usize = 50 << 20;
    let dir = tempfile::tempdir().unwrap();
    type Shape<'a> = (&'a str, &'a [u8], &'a [u8], &'a [&'a str]);
    let shapes: [Shape<'_>; 2] = [
        ("letters", b"x", b"", &["-f", "folded"]),
        (
            "folded",
            b"frame;",
            b"frame 7",
            &["--from", "folded", "-f", "folded"],
        ),
    ];
    for (name, unit, tail, args) in shapes {
        let mut bytes = Vec::with_capacity(SIZE + tail.len());
        while bytes.len() + unit.len() <= SIZE {
            bytes.extend_from_slice(unit);
        }
        bytes.extend_from_slice(tail);
        let path = dir.path().join(format!("{name}.txt"));
        fs::write(&path, &bytes).unwrap();
        let p = path.to_str().unwrap();
        let mut args = args.to_vec();
        args.push(p);
        let run = run_measured(&args, bytes.len());
        let out = checked(run.output, p);
        assert_memory_bounded(run.peak_rss, bytes.len(), name);
        if name == "folded" {
            assert_eq!(out.status.code(), Some(0));
            assert_eq!(out.stdout.len(), bytes.len() + 1, "every frame kept");
        }
    }
}

#[test]
fn a_gzip_bomb_stops_at_the_limit_and_the_flag_raises_it() {
    // A log with one row, then 24 MiB of blanks: about 25 KB compressed.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"import time: self [us] | cumulative | imported package\n")
        .unwrap();
    gz.write_all(b"import time:        11 |         11 | m\n")
        .unwrap();
    let blanks = vec![b' '; 1 << 20];
    for _ in 0..24 {
        gz.write_all(&blanks).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.log.gz");
    fs::write(&path, &bomb).unwrap();
    let p = path.to_str().unwrap();

    let limited = run_measured(&["--max-input-size", "8M", "-f", "folded", p], 8 << 20);
    let out = checked(limited.output, p);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("larger than 8388608 bytes (after decompression)")
            && err.contains("--max-input-size"),
        "{err}"
    );
    assert_memory_bounded(limited.peak_rss, 8 << 20, "gzip bomb at the limit");

    let out = checked(
        run(&["--max-input-size", "32M", "-f", "folded", p], Vec::new()),
        p,
    );
    assert_eq!(out.status.code(), Some(0), "the flag raises the limit");
    assert_eq!(out.stdout, b"python #1;m 11\n");

    // Not gzip after all: a cut stream says so.
    let out = checked(run(&["-"], bomb[..bomb.len() / 2].to_vec()), "<stdin>");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid gzip stream"));
}

#[test]
fn empty_directory_missing_and_unreadable_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    fs::write(&empty, "").unwrap();
    let cases = [
        (empty.to_str().unwrap().to_string(), "empty input"),
        (dir.path().to_str().unwrap().to_string(), "is a directory"),
        (
            dir.path().join("missing.log").to_str().unwrap().to_string(),
            if cfg!(unix) { "No such file" } else { "" },
        ),
    ];
    for (path, expected) in &cases {
        let out = checked(run(&[path], Vec::new()), path);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(expected));
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked.log");
        fs::copy(repo("samples/importtime/single/py311_json.log"), &locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        let p = locked.to_str().unwrap();
        let out = checked(run(&[p], Vec::new()), p);
        if fs::read(&locked).is_ok() {
            // Running as root: mode 000 does not deny reads, so the graph is drawn.
            assert_eq!(out.status.code(), Some(0));
        } else {
            assert_eq!(out.status.code(), Some(2));
            assert!(String::from_utf8_lossy(&out.stderr).contains("ermission denied"));
        }
    }
    // A file that opens but cannot be read (even by root): a read error, named.
    #[cfg(target_os = "linux")]
    {
        let out = checked(run(&["/proc/self/mem"], Vec::new()), "/proc/self/mem");
        assert_eq!(out.status.code(), Some(2));
    }
}

/// Every file in `dir`, by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_run_leaves_the_existing_output_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("graph.svg");
    fs::write(&target, "the old graph").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let zero = "import time: self [us] | cumulative | imported package\n\
                import time:         0 |          0 | m\n";
    let failures: [(&[&str], Vec<u8>); 4] = [
        (&["-", "-o", "graph.svg"], b"not a profile\n".to_vec()),
        // Parses, but every weight is 0: the SVG renderer refuses after the fold.
        (&["-", "-o", "graph.svg"], zero.as_bytes().to_vec()),
        (&["missing.log", "-o", "graph.svg"], Vec::new()),
        (&["-", "--tee", "-o", "graph.svg"], b"no rows\n".to_vec()),
    ];
    for (args, stdin) in failures {
        let input = if args[0] == "-" { "<stdin>" } else { args[0] };
        let out = checked(run_in(args, stdin, dir.path()), input);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(fs::read_to_string(&target).unwrap(), "the old graph");
        assert_eq!(listing(dir.path()), ["graph.svg"], "{args:?}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    // An output directory that does not exist: the error names the output path.
    let out = checked(
        run_in(
            &[
                repo("samples/importtime/single/py311_json.log")
                    .to_str()
                    .unwrap(),
                "-o",
                "no/such/dir/g.svg",
            ],
            Vec::new(),
            dir.path(),
        ),
        "no/such/dir/g.svg",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(listing(dir.path()), ["graph.svg"]);
}

/// `-o /dev/null` renamed a regular file over the device node (as root, who may write in
/// `/dev`), so every later reader of `/dev/null` read the graph back: cargo's own probe of
/// rustc failed on it. A FIFO stands for every file that is not regular: written in place,
/// still a FIFO afterwards, its reader given the whole graph.
#[cfg(unix)]
#[test]
fn an_output_that_is_not_a_regular_file_is_written_in_place_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("graph.fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    let log = repo("samples/importtime/single/py311_json.log");
    let out = checked(
        run(
            &[
                log.to_str().unwrap(),
                "-f",
                "folded",
                "-o",
                fifo.to_str().unwrap(),
            ],
            Vec::new(),
        ),
        "fifo",
    );
    assert_success(&out);
    // Checked before the reader is joined: a FIFO renamed over never gets its writer, and
    // the reader would wait for one for ever.
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let read = reader.join().unwrap();
    let folded = run(&[log.to_str().unwrap(), "-f", "folded"], Vec::new());
    assert_eq!(read, folded.stdout);
    assert_eq!(listing(dir.path()), ["graph.fifo"]);
    // /dev/null itself: still the device afterwards (as any user: the temporary file's
    // directory, /dev, was not writable for most, which failed the run instead).
    let out = run(&[log.to_str().unwrap(), "-o", "/dev/null"], Vec::new());
    assert_success(&out);
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

/// A symbolic link as `-o`: the file it names is replaced and the link stays a link.
#[cfg(unix)]
#[test]
fn an_output_through_a_symbolic_link_replaces_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/graph.svg");
    fs::write(&target, "the old graph").unwrap();
    let link = dir.path().join("latest.svg");
    std::os::unix::fs::symlink("real/graph.svg", &link).unwrap();
    let log = repo("samples/importtime/single/py311_json.log");
    let out = run(
        &[log.to_str().unwrap(), "-o", link.to_str().unwrap()],
        Vec::new(),
    );
    assert_success(&out);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&target).unwrap().starts_with("<?xml"));
    assert_eq!(listing(dir.path()), ["latest.svg", "real"]);
    assert_eq!(listing(&dir.path().join("real")), ["graph.svg"]);
}

/// A folded input whose SVG takes a while to draw: many distinct, fairly deep stacks.
fn slow_input() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..60_000 {
        s.push_str(&format!(
            "root;pkg{};mod{};func{};inner{} {}\n",
            i % 13,
            i % 101,
            i % 997,
            i,
            1 + i % 5
        ));
    }
    s.into_bytes()
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_writing_the_output_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.folded");
    fs::write(&input, slow_input()).unwrap();
    let target = dir.path().join("graph.svg");
    fs::write(&target, "the old graph").unwrap();
    let mut interrupted = false;
    for _attempt in 0..5 {
        let mut child = Command::new(BIN)
            .args(["in.folded", "-o", "graph.svg"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the temporary file, then interrupt as Ctrl-C does.
        let seen = (0..20_000).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            listing(dir.path()).iter().any(|n| n.ends_with(".tmp"))
        });
        if seen {
            // SAFETY: kill(2) on our own child's pid; no memory is involved.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        }
        let status = child.wait().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(
            listing(dir.path()),
            ["graph.svg", "in.folded"],
            "no temporary file is left"
        );
        use std::os::unix::process::ExitStatusExt;
        if seen && status.signal() == Some(libc::SIGINT) {
            // Killed by the signal, as without a handler: the shell sees an interrupt.
            assert_eq!(fs::read_to_string(&target).unwrap(), "the old graph");
            interrupted = true;
            break;
        }
        // The run finished before the signal landed: try again from the old file.
        fs::write(&target, "the old graph").unwrap();
    }
    assert!(
        interrupted,
        "the signal never landed while the output was written"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_quietly_with_status_0() {
    let input = slow_input();
    for args in [
        vec!["--from", "folded", "-f", "folded", "-"],
        vec!["--from", "folded", "-"],
    ] {
        let mut child = spawn_piped(&args, Path::new(env!("CARGO_MANIFEST_DIR")));
        // Like `| head -c 10`: read a little, then close the pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = input.clone();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let mut head = [0u8; 10];
        stdout.read_exact(&mut head).unwrap();
        drop(stdout);
        feeder.join().unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{err}");
    }
}

#[test]
fn tee_into_a_closed_pipe_still_writes_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let log = fs::read(repo("samples/importtime/pytest/pytest_combined.log")).unwrap();
    let mut child = spawn_piped(&["--tee", "-o", "graph.svg", "-"], dir.path());
    let mut stdout = child.stdout.take().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&log).is_ok());
    let mut head = [0u8; 10];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    assert!(feeder.join().unwrap(), "the writer is never cut off");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"));
    assert_safe_svg(&fs::read(dir.path().join("graph.svg")).unwrap());
}

/// The rows of `input` as `--tee` sees them: for each line holding a row, the part from its
/// last `import time:` marker on.
fn tee_split(input: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let (mut kept, mut rows) = (Vec::new(), Vec::new());
    for line in input.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        match input::importtime::parse_row(&input::text::clean_line(content)) {
            Some((at, row)) if row != input::importtime::Row::Malformed => {
                let at = input::text::raw_offset(content, at);
                kept.extend_from_slice(&line[..at]);
                rows.extend_from_slice(&line[at..]);
            }
            _ => kept.extend_from_slice(line),
        }
    }
    (kept, rows)
}

#[test]
fn tee_output_plus_the_rows_is_the_input_byte_for_byte() {
    let mut input = Vec::new();
    input.extend_from_slice(b"\xEF\xBB\xBFstarting \xff\xfe\r\n");
    input.extend_from_slice(b"import time: self [us] | cumulative | imported package\r\n");
    input.extend_from_slice(b"import time:        12 |         12 |   a\r\n");
    input.extend_from_slice(b"collecting ... import time:        30 |         42 | b\n");
    input.extend_from_slice(b"import time: not a row at all\n");
    input.extend_from_slice(b"\x1b[32mPASSED\x1b[0m \xc3\x28\n\n\r\n\t\x00\x01 tabs\n");
    input.extend_from_slice(b"\x1b[1mok\x1b[0m import time:   1 |   1 | e\r\n");
    input.extend_from_slice(b"x import time: junk \x1b[0mimport\x1b[1m time:  9 |  9 | d\n");
    input.extend_from_slice(&fs::read(repo("samples/importtime/edge/many_libs_crlf.log")).unwrap());
    input.extend_from_slice(
        &fs::read(repo("samples/importtime/pytest/pytest_combined.log")).unwrap(),
    );
    input.extend_from_slice(
        b"last line without newline \xff import time:         1 |          1 | z",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = checked(
        run_in(
            &["--tee", "-o", "graph.svg", "-"],
            input.clone(),
            dir.path(),
        ),
        "<stdin>",
    );
    assert_eq!(out.status.code(), Some(0));
    let (kept, rows) = tee_split(&input);
    assert_eq!(out.stdout, kept, "tee output is the input minus the rows");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("tabs\n\x1b[1mok\x1b[0m x import time: junk \x1b[0m"));
    assert_eq!(kept.len() + rows.len(), input.len());
    assert!(rows.starts_with(b"import time: self [us]"));
    assert_safe_svg(&fs::read(dir.path().join("graph.svg")).unwrap());
}

#[test]
fn tee_keeps_up_with_a_fast_writer_and_streams_before_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_piped(&["--tee", "-o", "graph.svg", "-"], dir.path());
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // A live pytest run: the first line shows up while the writer is still going.
    stdin.write_all(b"collected 3 items\n").unwrap();
    stdin.flush().unwrap();
    let mut first = [0u8; 18];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"collected 3 items\n");
    // Then a fast writer: ~16 MB as quickly as the pipe takes it, read as it comes.
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        stdout.read_to_end(&mut all).unwrap();
        all
    });
    let mut expected = Vec::new();
    let mut block = Vec::new();
    block.extend_from_slice(b"import time: self [us] | cumulative | imported package\n");
    for i in 0..2000 {
        block
            .extend_from_slice(format!("import time:        {i:>3} |  {i:>9} | m{i}\n").as_bytes());
        block.extend_from_slice(format!("test_{i} PASSED\n").as_bytes());
        expected.extend_from_slice(format!("test_{i} PASSED\n").as_bytes());
    }
    let repeats = (16 << 20) / block.len();
    for _ in 0..repeats {
        stdin.write_all(&block).unwrap();
    }
    drop(stdin);
    let all = reader.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_eq!(all.len(), expected.len() * repeats);
    assert!(all.chunks(expected.len()).all(|c| c == expected));
    assert!(dir.path().join("graph.svg").exists());
}

/// A finished child's output and its peak resident memory.
struct Measured {
    output: Output,
    peak_rss: u64,
}

/// Peak RSS allowed for `input_len` bytes of input: 8× the input plus 128 MiB (the binary, its
/// buffers, a thread pool, and the 64 MiB that expanding formats may always use, see
/// `model::ExpansionBudget`).
fn memory_bound(input_len: usize) -> u64 {
    8 * input_len as u64 + (128 << 20)
}

/// Runs the binary with stdin closed, under an address-space cap (`RLIMIT_DATA` at twice the
/// bound, so a runaway allocation fails instead of taking the machine), and samples the
/// child's `VmHWM` (peak RSS, which the kernel keeps per process) from `/proc` until it exits.
/// `wait4`'s `ru_maxrss` would be simpler but is useless here: it carries the test process's
/// own (large) RSS into the child across fork and exec.
#[cfg(target_os = "linux")]
fn run_measured(args: &[&str], input_len: usize) -> Measured {
    use std::os::unix::process::CommandExt;
    let cap = 2 * memory_bound(input_len);
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: cap as libc::rlim_t,
                rlim_max: cap as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        err.read_to_end(&mut v).unwrap();
        v
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    Measured {
        output: Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        },
        peak_rss: peak_kib * 1024,
    }
}

/// Elsewhere the memory is not measured (reported as 0).
#[cfg(not(target_os = "linux"))]
fn run_measured(args: &[&str], _input_len: usize) -> Measured {
    Measured {
        output: run(args, Vec::new()),
        peak_rss: 0,
    }
}

fn assert_memory_bounded(peak_rss: u64, input_len: usize, what: &str) {
    let bound = memory_bound(input_len);
    assert!(
        peak_rss <= bound,
        "{what}: peak RSS {} MiB for {} MiB of input (bound {} MiB)",
        peak_rss >> 20,
        input_len >> 20,
        bound >> 20
    );
}

#[test]
fn memory_stays_within_a_small_multiple_of_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(&str, PathBuf, Vec<&str>)> = Vec::new();
    let many = dir.path().join("many_libs_x40.log");
    let one = fs::read(repo("samples/importtime/single/py311_many_libs.log")).unwrap();
    fs::write(&many, one.repeat(40)).unwrap();
    cases.push(("importtime x40", many, vec!["-f", "svg"]));
    let raw = dir.path().join("record_x100.txt");
    let one = fs::read(repo("samples/pyspy/record_subprocesses_raw.txt")).unwrap();
    fs::write(&raw, one.repeat(100)).unwrap();
    cases.push(("py-spy raw x100", raw, vec!["-f", "svg"]));
    let deep = dir.path().join("deep.folded");
    let frames: Vec<String> = (0..200_000).map(|i| format!("f{i}")).collect();
    fs::write(&deep, format!("{} 5\n", frames.join(";"))).unwrap();
    cases.push((
        "200,000 deep",
        deep,
        vec!["--from", "folded", "-f", "folded"],
    ));
    for (what, path, mut args) in cases {
        let p = path.to_str().unwrap();
        args.push(p);
        let len = fs::metadata(&path).unwrap().len() as usize;
        let run = run_measured(&args, len);
        let out = checked(run.output, p);
        assert_eq!(out.status.code(), Some(0), "{what}");
        assert_memory_bounded(run.peak_rss, len, what);
    }
}

/// Formats whose stacks share prefixes in the input can describe O(N²) frames of stacks in
/// O(N) bytes: a chain of 20,000 nested frames, every level sampled. 258 KB of Gecko JSON used
/// to take 1.2 GB and a minute; now each is refused once it passes 8× the input plus 64 MiB
/// (walks of stacks that end up dropped count too).
#[test]
fn a_nested_chain_sampled_at_every_level_cannot_expand_quadratically() {
    let n = 20_000usize;
    let chain: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let prefixes: Vec<String> = std::iter::once("null".to_string())
        .chain((0..n - 1).map(|i| i.to_string()))
        .collect();
    let gecko = format!(
        "{{\"meta\":{{\"preprocessedProfileVersion\":57}},\"shared\":{{\"stringArray\":[\"f\"]}},\
         \"threads\":[{{\"name\":\"t\",\"tid\":1,\"samples\":{{\"stack\":[{}]}},\
         \"stackTable\":{{\"frame\":[{}],\"prefix\":[{}]}},\"frameTable\":{{\"func\":[0]}},\
         \"funcTable\":{{\"name\":[0]}},\"resourceTable\":{{\"name\":[]}}}}]}}",
        chain.join(","),
        vec!["0"; n].join(","),
        prefixes.join(",")
    );
    let mut events = Vec::new();
    for i in 0..n {
        events.push(format!("{{\"type\":\"O\",\"frame\":0,\"at\":{i}}}"));
    }
    for i in 0..n {
        events.push(format!("{{\"type\":\"C\",\"frame\":0,\"at\":{}}}", n + i));
    }
    let speedscope = format!(
        "{{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\
         \"shared\":{{\"frames\":[{{\"name\":\"f\"}}]}},\"profiles\":[{{\"type\":\"evented\",\
         \"name\":\"p\",\"unit\":\"microseconds\",\"startValue\":0,\"endValue\":1,\
         \"events\":[{}]}}]}}",
        events.join(",")
    );
    let mut tree = String::new();
    for i in 0..n {
        tree.push_str(&format!(
            "{{\"name\":\"f\",\"value\":{},\"children\":[",
            n - i
        ));
    }
    tree.push_str(&"]}".repeat(n));
    let page = format!("<html>\n<script>\nconst EMBEDDED_DATA = {tree};\n</script>\n");

    // The same chain whose root points nowhere: every walk ends in a bad index, no stack is
    // kept, and the walks alone used to take 9 s.
    let dangling = gecko.replacen("\"prefix\":[null", "\"prefix\":[99999999", 1);
    assert_ne!(dangling, gecko);
    let dir = tempfile::tempdir().unwrap();
    for (name, doc) in [
        ("gecko", gecko),
        ("gecko with a dangling root", dangling),
        ("speedscope", speedscope),
        ("page", page),
    ] {
        let path = dir.path().join(format!("{name}.json"));
        fs::write(&path, &doc).unwrap();
        let p = path.to_str().unwrap();
        let run = run_measured(&["-f", "folded", p], doc.len());
        let out = checked(run.output, p);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("too large to draw"),
            "{name}"
        );
        assert_memory_bounded(run.peak_rss, doc.len(), name);
    }
}

/// pstats: every proper prefix of a real file is an error that names a byte offset, read
/// in-process (thousands of runs), and a few through the binary.
#[test]
fn every_truncation_of_a_real_prof_is_an_error_naming_a_byte() {
    let opts = ParseOptions::default();
    for sample in [
        "samples/formats/pstats-demo-profile-314.prof",
        "samples/pstats/recursion_cprofile.prof",
    ] {
        let bytes = fs::read(repo(sample)).unwrap();
        assert!(input::pstats::parse(&bytes, &opts).is_ok());
        for len in 1..bytes.len() {
            let err = input::pstats::parse(&bytes[..len], &opts)
                .err()
                .unwrap_or_else(|| panic!("{sample} cut at {len} parsed"));
            assert!(
                matches!(err.position(), Some(importflame::error::Position::Byte(b)) if b <= len as u64),
                "{sample} cut at {len}: {err}"
            );
        }
        for len in [1, 2, bytes.len() / 3, bytes.len() - 1] {
            let out = run_checked(&["-"], bytes[..len].to_vec(), "<stdin>");
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(len < 2 || err.contains(": byte "), "cut at {len}: {err}");
        }
    }
}

/// Marshal bytes that claim 2^31 items, point at objects that do not exist, nest 200,000
/// levels deep, or describe 2^60 leaves through references: each an error or a small result,
/// fast, with no panic and no large allocation.
#[test]
fn hostile_marshal_lengths_references_and_nesting_are_refused() {
    use importflame::input::pstats::marshal::{self, CodeLayout};
    let le = |n: u32| n.to_le_bytes();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for (name, code) in [
        ("string", b'u'),
        ("bytes", b's'),
        ("tuple", b'('),
        ("list", b'['),
    ] {
        for n in [1u32 << 31, (1 << 31) - 1, u32::MAX] {
            let mut b = vec![b'{', b'(', code];
            b.extend_from_slice(&le(n));
            b.extend_from_slice(b"abc");
            cases.push((name, b));
        }
    }
    let mut long = vec![b'{', b'(', b'l'];
    long.extend_from_slice(&le(1 << 31));
    cases.push(("long", long));
    for index in [0u32, 5, 1 << 31, u32::MAX] {
        let mut b = vec![b'{', b')', 2, b'r'];
        b.extend_from_slice(&le(index));
        b.extend_from_slice(b"N0");
        cases.push(("reference", b));
    }
    // A reference to the dict that is still being read.
    let mut b = vec![b'{' | 0x80, b')', 1, b'r'];
    b.extend_from_slice(&le(0));
    b.push(b'0');
    cases.push(("self reference", b));
    let mut deep = vec![b'{'];
    for _ in 0..200_000 {
        deep.extend_from_slice(&[b')', 1]);
    }
    deep.push(b'N');
    cases.push(("200,000-deep tuples", deep));
    // Billion laughs: tuple k holds tuple k-1 twice by reference; the last has 2^60 leaves.
    let mut laughs = vec![b'{', b')', 61, 0x80 | b')', 2, b'N', b'N'];
    for k in 0..60u32 {
        laughs.extend_from_slice(&[0x80 | b')', 2, b'r']);
        laughs.extend_from_slice(&le(k));
        laughs.push(b'r');
        laughs.extend_from_slice(&le(k));
    }
    laughs.extend_from_slice(b"i\x01\x00\x00\x000");
    cases.push(("2^60 leaves by reference", laughs));

    for (what, bytes) in &cases {
        for layout in CodeLayout::ALL {
            let _ = marshal::read_all(bytes, layout);
        }
        let err = input::pstats::parse(bytes, &ParseOptions::default());
        assert!(err.is_err(), "{what}");
        let out = run_checked(&["--from", "pstats", "-"], bytes.clone(), "<stdin>");
        assert_eq!(out.status.code(), Some(2), "{what}");
        let msg = String::from_utf8_lossy(&out.stderr);
        assert!(msg.contains(": byte "), "{what}: {msg}");
        assert!(msg.len() < 1000, "{what}: a short message");
    }
}

/// A file cut short says where: a line and column for JSON and text, a byte for binary.
#[test]
fn a_cut_file_is_an_error_naming_the_line_or_byte() {
    let dir = tempfile::tempdir().unwrap();
    for (sample, at) in [
        (
            "samples/formats/pyspy-record-speedscope.json",
            "line 1 column 300",
        ),
        ("samples/formats/pyspy-dump-json.json", "line 14"),
        ("fuzz/seeds/gecko/two_threads.json", "line 1 column 300"),
        ("fuzz/seeds/tachyon/flamegraph.html", "at byte "),
        ("samples/formats/pstats-demo-profile-314.prof", "byte "),
    ] {
        let bytes = fs::read(repo(sample)).unwrap();
        let path = dir.path().join("cut");
        fs::write(&path, &bytes[..300]).unwrap();
        let p = path.to_str().unwrap();
        let out = checked(run(&[p], Vec::new()), p);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(at), "{sample}: {err}");
    }
}

/// Weights come from the input: i64::MIN self times, and totals past 2^64 (one input, or
/// several folded together), used to panic with an overflow in debug builds and wrap in
/// release builds.
#[test]
fn weights_past_2_64_are_an_error_not_an_overflow_panic() {
    let header = "import time: self [us] | cumulative | imported package\n";
    let min = format!(
        "{header}import time: -9223372036854775808 | 1 | a\n\
         import time: -9223372036854775808 | 1 | b\n"
    );
    let out = run_checked(&["-f", "folded", "-"], min.into_bytes(), "<stdin>");
    assert_eq!(out.stdout, b"python #1;a 0\npython #1;b 0\n");
    let max_row = "import time: 9223372036854775807 | 9223372036854775807 | m\n";
    let three = format!(
        "{header}{}{}{}",
        max_row,
        max_row.replace(" m", " n"),
        max_row.replace(" m", " o")
    );
    for format in ["svg", "folded", "json", "text"] {
        let out = run_checked(&["-f", format, "-"], three.clone().into_bytes(), "<stdin>");
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("more than 2^64 us"));
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("half.folded"), "a 9223372036854775807\n").unwrap();
    let out = checked(
        run_in(
            &["half.folded", "half.folded", "half.folded"],
            Vec::new(),
            dir.path(),
        ),
        "half.folded",
    );
    assert_eq!(out.status.code(), Some(2));
    let two = format!("{header}{max_row}{}", max_row.replace(" m", " n"));
    fs::write(dir.path().join("two.log"), two.repeat(2)).unwrap();
    for args in [
        &["diff", "two.log", "two.log", "-f", "text"][..],
        &[
            "check",
            "two.log",
            "--budget",
            "total=1ms",
            "--budget",
            "m=1ms",
        ],
        &["two.log", "--runs", "mean", "-f", "text"],
        &["two.log", "--runs", "sum", "-f", "folded"],
    ] {
        let out = run_in(args, Vec::new(), dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(matches!(out.status.code(), Some(0..=2)), "{args:?}: {err}");
    }
}

/// Starts the binary in `dir` with stdin, stdout and stderr all piped, for tests that talk to
/// it while it runs (closing pipes, streaming `--tee`).
fn spawn_piped(args: &[&str], dir: &Path) -> std::process::Child {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs the binary on `path` and fails if it has not finished after `seconds`: a guard against
/// hangs, far above the normal run time, not a benchmark.
fn run_or_hang(args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).unwrap();
        v
    });
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > seconds {
            child.kill().unwrap();
            panic!("{args:?} still running after {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let stdout = reader.join().unwrap();
    let mut output = child.wait_with_output().unwrap();
    output.stdout = stdout;
    output
}

/// Every speedscope sample asks whether its first frame is one of py-spy's root frames; a file
/// naming one `thread (1): x` frame 200,000 times made that a scan of 200,000 per sample
/// (34 s for 50,000 in a debug build, minutes here).
#[test]
fn a_speedscope_file_repeating_one_thread_frame_is_read_in_one_pass() {
    let n = 200_000;
    let mut doc = String::from(
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"shared\":{\"frames\":[",
    );
    doc.push_str(&"{\"name\":\"thread (1): x\"},".repeat(n));
    doc.push_str("{\"name\":\"f\"}]},\"profiles\":[{\"type\":\"sampled\",\"name\":\"p\",\"unit\":\"none\",\"startValue\":0,\"endValue\":1,\"samples\":[");
    doc.push_str(&vec![format!("[{n}]"); n].join(","));
    doc.push_str("]}]}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pseudo.speedscope.json");
    fs::write(&path, doc).unwrap();
    let p = path.to_str().unwrap();
    let out = checked(run_or_hang(&["-f", "folded", p], 60), p);
    assert_eq!(out.stdout, format!("p;f {n}\n").as_bytes());
}

/// Every importtime row asked whether all pending rows were top-level, by scanning them: a
/// report with 100,000 pending roots and 100,000 rows that repeat its first module took
/// minutes (33 s at half the size). Now a count answers.
#[test]
fn an_importtime_log_with_many_pending_roots_is_read_in_one_pass() {
    let n = 100_000;
    let mut log = String::from("import time: self [us] | cumulative | imported package\n");
    log.push_str("import time:         1 |          1 | a\n");
    for i in 0..n {
        log.push_str(&format!("import time:         1 |          1 | r{i}\n"));
    }
    log.push_str("import time:         1 |          1 |   x\n");
    log.push_str(&"import time:         1 |          1 |   a\n".repeat(n));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pending.log");
    fs::write(&path, log).unwrap();
    let p = path.to_str().unwrap();
    let out = checked(run_or_hang(&["-f", "folded", p], 60), p);
    assert_eq!(out.status.code(), Some(0));
    // a (failed), the roots, and under <unfinished>: x, a, and the repeats as a (failed).
    let folded = String::from_utf8(out.stdout).unwrap();
    assert_eq!(folded.lines().count(), n + 4);
    assert!(folded.contains(&format!("python #1;<unfinished>;a (failed) {}\n", n - 1)));
}

/// Found by the pipeline_svg fuzz target: a py-spy thread status is kept as the frame's
/// tooltip detail, and a control character in it (`active\x17+gil`) reached the SVG raw,
/// which XML cannot hold.
#[test]
fn a_control_character_in_a_py_spy_thread_status_stays_out_of_the_svg() {
    let dump = b"Thread 5091 (active\x17+gil): \"MainThread\"\n    main_loop (busy.py:20)\n    <module> (busy.py:21)\n";
    let out = run_checked(&["-"], dump.to_vec(), "<stdin>");
    assert_eq!(out.status.code(), Some(0));
    let text = assert_safe_svg(&out.stdout);
    assert!(text.contains("active +gil"), "{text}");
}

/// An evented speedscope close searched the whole open stack for its frame: 150,000 opens
/// then 150,000 closes of a frame never opened took minutes (36 s at a third of the size).
#[test]
fn a_speedscope_profile_closing_frames_that_are_not_open_is_read_in_one_pass() {
    let n = 150_000;
    let mut doc = String::from(
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\
         \"shared\":{\"frames\":[{\"name\":\"f\"},{\"name\":\"g\"}]},\"profiles\":[{\
         \"type\":\"evented\",\"name\":\"p\",\"unit\":\"microseconds\",\"startValue\":0,\
         \"endValue\":1,\"events\":[",
    );
    doc.push_str(&"{\"type\":\"O\",\"frame\":0,\"at\":0},".repeat(n));
    doc.push_str(&"{\"type\":\"C\",\"frame\":1,\"at\":0},".repeat(n));
    doc.push_str("{\"type\":\"O\",\"frame\":1,\"at\":0},{\"type\":\"C\",\"frame\":0,\"at\":1}]}]}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("closes.speedscope.json");
    fs::write(&path, doc).unwrap();
    let p = path.to_str().unwrap();
    let out = checked(run_or_hang(&["-f", "folded", p], 60), p);
    assert_eq!(out.status.code(), Some(0));
    let folded = String::from_utf8(out.stdout).unwrap();
    assert_eq!(folded.matches(';').count(), n + 1, "p;f×n;g 1");
    assert!(folded.ends_with(";g 1\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("150001 close events not matching"));
}

/// Module names made to collide in the Fx hash once used for interning (from a fixed starting
/// state: for any first 8 bytes, one second word gives a chosen hash): 20,000 of them took 34 s
/// instead of 0.2 s, growing with the square. The interning map is now ahash, keyed from
/// per-process randomness, which a file cannot target.
#[test]
fn module_names_crafted_to_collide_in_the_hash_are_interned_in_linear_time() {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let printable = |b: u8| (0x21..0x7F).contains(&b) && b != b';' && b != b'|';
    let n = 12_000;
    let mut log = String::from("import time: self [us] | cumulative | imported package\n");
    let mut rng = Rng(88_172_645_463_325_252);
    let mut found = 0;
    while found < n {
        // 8 bytes in b'0'..=b'o', all printable; `;` (0x3B) is skipped.
        let first = (rng.next() & 0x3F3F_3F3F_3F3F_3F3F) + 0x3030_3030_3030_3030;
        if first.to_le_bytes().contains(&b';') {
            continue;
        }
        // Same hash after two words, from the old all-zero starting state.
        let second = first.wrapping_mul(K).rotate_left(5) ^ 0x1234_5678_9abc_def1;
        if second.to_le_bytes().iter().all(|&b| printable(b)) {
            let bytes = [first.to_le_bytes(), second.to_le_bytes()].concat();
            let name = String::from_utf8(bytes).unwrap();
            log.push_str(&format!("import time:         1 |          1 | {name}\n"));
            found += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("colliding.log");
    fs::write(&path, log).unwrap();
    let p = path.to_str().unwrap();
    // 12 s before the fix; a fraction of a second now.
    let out = checked(run_or_hang(&["-f", "folded", p], 10), p);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), n);
}
