//! The command line as users run it: paths, stdin, -o, -f, --tee, exit codes and messages.

use crate::common;

use std::fs;

use common::{repo, run, run_in};

const SAMPLE: &str = "samples/importtime/edge/many_libs_crlf.log";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_path_and_stdin_give_the_same_bytes() {
    let by_path = run(&["-f", "folded", SAMPLE], Vec::new());
    let by_stdin = run(&["-f", "folded", "-"], fs::read(repo(SAMPLE)).unwrap());
    let by_nothing = run(&["-f", "folded"], fs::read(repo(SAMPLE)).unwrap());
    assert!(by_path.status.success(), "{}", stderr(&by_path));
    let weights: u64 = String::from_utf8(by_path.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(weights, common::importtime_self_total(&repo(SAMPLE)));
    assert_eq!(by_path.stdout, by_stdin.stdout);
    assert_eq!(by_path.stdout, by_nothing.stdout);
}

#[test]
fn svg_goes_to_stdout_by_default_and_is_interactive() {
    let out = run(&["samples/importtime/single/py311_json.log"], Vec::new());
    assert!(out.status.success());
    let svg = stdout(&out);
    assert!(svg.starts_with("<?xml"));
    assert!(
        svg.contains("<script"),
        "zoom and search need inferno's script"
    );
    assert!(
        svg.contains("Import time: 17.7 ms in 48 modules (1 report)"),
        "title"
    );
    assert!(svg.contains("json.decoder ("), "tooltips name modules");
}

#[test]
fn output_is_deterministic_across_runs_and_thread_counts() {
    let a = run(
        &["-j", "1", "samples/importtime/pytest/pytest_combined.log"],
        Vec::new(),
    );
    let b = run(
        &["-j", "4", "samples/importtime/pytest/pytest_combined.log"],
        Vec::new(),
    );
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn gzip_input_is_read_transparently() {
    let plain = fs::read(repo(SAMPLE)).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let compressed = gz.finish().unwrap();
    let a = run(&["-f", "folded", "-"], compressed);
    let b = run(&["-f", "folded", "-"], plain);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn the_output_extension_picks_the_format_and_the_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for (name, starts) in [
        ("g.svg", "<?xml"),
        ("g.folded", "python #1;"),
        ("g.json", "{"),
        ("g.md", "### Import time"),
    ] {
        let path = dir.path().join(name);
        let out = run(&[SAMPLE, "-o", path.to_str().unwrap()], Vec::new());
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        let body = fs::read_to_string(&path).unwrap();
        assert!(body.starts_with(starts), "{name}: {}", &body[..40]);
    }
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

/// `-o -` wrote a file named `-` in the working directory instead of stdout.
#[test]
fn dash_as_the_output_writes_stdout_and_no_file_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo(SAMPLE);
    let out = run_in(
        &[sample.to_str().unwrap(), "-f", "folded", "-o", "-"],
        Vec::new(),
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("python #1;"), "{}", stdout(&out));
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file written"
    );
    let out = run_in(
        &["--tee", sample.to_str().unwrap(), "-o", "-"],
        Vec::new(),
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-o - (stdout)"), "{}", stderr(&out));
}

#[test]
fn a_failed_run_leaves_an_existing_output_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.svg");
    fs::write(&path, "previous graph").unwrap();
    let empty = dir.path().join("empty.log");
    fs::write(&empty, "").unwrap();
    let out = run(
        &[empty.to_str().unwrap(), "-o", path.to_str().unwrap()],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&path).unwrap(), "previous graph");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file left"
    );
}

#[test]
fn tee_passes_pytest_output_through_and_writes_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("imports.svg");
    let input = fs::read(repo("samples/importtime/pytest/pytest_combined.log")).unwrap();
    let out = run(
        &["--tee", "-q", "-o", graph.to_str().unwrap()],
        input.clone(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read_to_string(&graph).unwrap().starts_with("<?xml"));
    let teed = stdout(&out);
    assert!(
        teed.contains("PASSED") || teed.contains("passed"),
        "pytest's own output comes through"
    );
    assert!(!teed.contains("import time:"), "rows are not copied");
    // Tee output plus the rows is the input, byte for byte: cut every row (from its last
    // marker to the end of its line) out of the input and the tee output is what is left.
    let mut expected = Vec::new();
    for line in input.split_inclusive(|&b| b == b'\n') {
        let marker = b"import time:";
        match line.windows(marker.len()).rposition(|w| w == marker) {
            Some(at) => expected.extend_from_slice(&line[..at]),
            None => expected.extend_from_slice(line),
        }
    }
    assert_eq!(out.stdout, expected);
}

/// `--tee` cuts a row out from its marker, counted in the raw line: hyperlinks before a
/// mid-line row (`<link>tests/test_data.py</link>::test_x import time: …`) stay in the copy
/// whole, and the graph is the one drawn from the same log without `--tee`.
#[test]
fn tee_keeps_hyperlinks_before_a_mid_line_row_whole() {
    let input = fs::read(repo("samples/made/pytest_combined_hyperlinks.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.folded");
    let out = run(
        &["--tee", "-q", "-o", graph.to_str().unwrap()],
        input.clone(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut expected = Vec::new();
    for line in input.split_inclusive(|&b| b == b'\n') {
        let marker = b"import time:";
        match line.windows(marker.len()).rposition(|w| w == marker) {
            Some(at) => expected.extend_from_slice(&line[..at]),
            None => expected.extend_from_slice(line),
        }
    }
    assert_eq!(out.stdout, expected);
    let teed = stdout(&out);
    assert!(
        teed.contains("\x1b]8;;\x1b\\::test_pandas_groupby "),
        "the link is kept whole"
    );
    let plain = run(
        &[
            "-f",
            "folded",
            "samples/importtime/pytest/pytest_combined.log",
        ],
        Vec::new(),
    );
    assert_eq!(fs::read(&graph).unwrap(), plain.stdout);
}

/// `--tee` used to read raw bytes: a `.gz` or UTF-16 log exited 2 and dumped the undecoded
/// bytes to stdout. It now reads through the same decoding layer as every input: the graph is
/// the one drawn without `--tee`, and what passes through is the decoded text.
#[test]
fn tee_reads_gzip_and_utf16_logs_like_every_other_input() {
    let plain = fs::read(repo(SAMPLE)).unwrap();
    let text = String::from_utf8(plain.clone()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).unwrap();
    let gzipped = gz.finish().unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    // Big-endian with its mark (`Out-File -Encoding BigEndianUnicode`) was "binary data".
    let mut utf16be = vec![0xFE, 0xFF];
    utf16be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let expected_graph = run(&["-f", "folded", "-"], plain.clone());
    assert!(
        expected_graph.status.success(),
        "{}",
        stderr(&expected_graph)
    );
    let plain_graph = dir.path().join("plain.folded");
    let plain_tee = run(&["--tee", "-q", "-o", plain_graph.to_str().unwrap()], plain);
    assert!(plain_tee.status.success(), "{}", stderr(&plain_tee));
    assert_eq!(fs::read(&plain_graph).unwrap(), expected_graph.stdout);
    for (name, input) in [("gz", gzipped), ("utf16", utf16), ("utf16be", utf16be)] {
        let graph = dir.path().join(format!("{name}.folded"));
        let out = run(&["--tee", "-q", "-o", graph.to_str().unwrap()], input);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(
            fs::read(&graph).unwrap(),
            expected_graph.stdout,
            "{name}: the graph is the one drawn from the plain log"
        );
        assert_eq!(
            out.stdout, plain_tee.stdout,
            "{name}: the decoded text passes through"
        );
    }
}

#[test]
fn tee_without_an_output_file_writes_importflame_svg_and_names_it() {
    // Exiting 2 at once made pytest, piped into importflame, die of SIGPIPE mid-run.
    let dir = tempfile::tempdir().unwrap();
    let input = fs::read(repo("samples/importtime/pytest/pytest_combined.log")).unwrap();
    let out = run_in(&["--tee", "-q"], input, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("passed"),
        "pytest's output still comes through"
    );
    assert_eq!(stderr(&out), "importflame: wrote importflame.svg\n");
    let svg = fs::read_to_string(dir.path().join("importflame.svg")).unwrap();
    assert!(
        svg.contains("<title>numpy ("),
        "the graph holds the imports"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_quietly_with_status_0() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args([
            "-f",
            "folded",
            "samples/importtime/single/py311_many_libs.log",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, like `| head -0`
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn warnings_go_to_stderr_one_line_per_kind_and_q_silences_them() {
    let out = run(
        &[
            "-f",
            "folded",
            "samples/importtime/multiproc/threads_import.log",
        ],
        Vec::new(),
    );
    let err = stderr(&out);
    assert!(err.contains("importflame: samples/importtime/multiproc/threads_import.log: 8 rows with negative self time set to 0"), "{err}");
    let quiet = run(
        &[
            "-q",
            "-f",
            "folded",
            "samples/importtime/multiproc/threads_import.log",
        ],
        Vec::new(),
    );
    assert!(quiet.stderr.is_empty());
    assert_eq!(quiet.stdout, out.stdout);
}

/// A warning names the file; a file name holding an ESC and a newline must reach the terminal
/// as one line with both replaced by spaces (errors were already cleaned, warnings were not).
#[test]
fn a_warning_prints_a_file_name_with_control_characters_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil\x1b[2J\nforged.log");
    fs::copy(
        repo("samples/importtime/multiproc/threads_import.log"),
        &path,
    )
    .unwrap();
    let out = run(&["-f", "folded", path.to_str().unwrap()], Vec::new());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = dir.path().join("evil [2J forged.log");
    let prefix = format!("importflame: {}: ", shown.display());
    let err = stderr(&out);
    // Four kinds of repair in this log, one line each, every one naming the cleaned file.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err:?}");
    for line in &lines {
        assert!(line.starts_with(&prefix), "{line:?}");
    }
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(lines.contains(&&*format!(
        "{prefix}8 rows with negative self time set to 0 (threads importing concurrently) (first at line 63)"
    )));
}

#[test]
fn text_and_markdown_tables_list_the_slowest_modules() {
    let text = stdout(&run(
        &[
            "-f",
            "text",
            "--top",
            "5",
            "samples/importtime/single/py311_pandas.log",
        ],
        Vec::new(),
    ));
    assert!(text.contains("top 5 by cumulative"), "{text}");
    assert!(text.contains("pandas"), "{text}");
    let md = stdout(&run(
        &[
            "-f",
            "markdown",
            "samples/importtime/single/py311_pandas.log",
        ],
        Vec::new(),
    ));
    assert!(md.contains("| frame | cumulative | % | self | % |"), "{md}");
}

#[test]
fn json_output_parses_and_carries_totals_and_diagnostics() {
    let out = run(
        &[
            "-f",
            "json",
            "samples/importtime/multiproc/threads_import.log",
        ],
        Vec::new(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unit"], "us");
    let total = v["total"].as_u64().unwrap();
    let stacks: u64 = v["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["weight"].as_u64().unwrap())
        .sum();
    assert_eq!(total, stacks);
    let roots: u64 = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["parent"].is_null())
        .map(|n| n["total"].as_u64().unwrap())
        .sum();
    assert_eq!(roots, total);
    assert!(
        v["inputs"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == "importtime.negative-self")
    );
}

#[test]
fn several_inputs_keep_their_own_roots() {
    let out = run(
        &[
            "-f",
            "folded",
            "samples/importtime/single/py37_json.log",
            "samples/importtime/single/py315_json.log",
        ],
        Vec::new(),
    );
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("samples/importtime/single/py37_json.log;python #1;"))
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("samples/importtime/single/py315_json.log;python #1;"))
    );
}

#[test]
fn merge_folds_all_reports_into_one_tree() {
    let text = stdout(&run(
        &[
            "--merge",
            "-f",
            "folded",
            "samples/importtime/multiproc/multiproc_stderr.log",
        ],
        Vec::new(),
    ));
    assert!(!text.contains("python #"));
}

#[test]
fn flamechart_keeps_import_order() {
    let text = stdout(&run(
        &[
            "--flamechart",
            "-f",
            "folded",
            "samples/importtime/single/py311_json.log",
        ],
        Vec::new(),
    ));
    let first: Vec<&str> = text.lines().take(2).collect();
    assert!(
        first[0].starts_with("python #1;_frozen_importlib_external "),
        "{first:?}"
    );
    assert!(
        first[1].starts_with("python #1;_frozen_importlib_external;_io "),
        "{first:?}"
    );
}
