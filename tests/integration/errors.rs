//! Bad input: a clear message naming the file, exit status 2, no panic.

use crate::common;

use std::fs;

use common::run;

fn check(args: &[&str], stdin: Vec<u8>, expected: &str) {
    let out = run(args, stdin);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end(), expected);
    assert!(out.stdout.is_empty());
}

#[test]
fn an_empty_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.log");
    fs::write(&path, "").unwrap();
    let p = path.to_str().unwrap();
    check(
        &[p],
        Vec::new(),
        &format!(
            "importflame: {p}: empty input, expected an importtime log, pstats file or py-spy output"
        ),
    );
}

#[test]
fn a_binary_file_is_an_error() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 & 0x1F)
        .collect();
    check(
        &["-"],
        bytes,
        "importflame: <stdin>: no \"import time:\" rows, pstats or py-spy data found (the input looks like binary data that is not a pstats file (pstats starts with a marshalled dict, byte 0x7B); tried pstats, speedscope, gecko, tachyon-jsonl, tachyon-flamegraph, pyspy, tachyon-dump, importtime, austin, tachyon-collapsed, folded)",
    );
}

#[test]
fn a_text_file_with_no_rows_is_an_error() {
    check(
        &["samples/importtime/pytest/pytest_stdout.log"],
        Vec::new(),
        "importflame: samples/importtime/pytest/pytest_stdout.log: no \"import time:\" rows, pstats or py-spy data found (the input looks like text; tried pstats, speedscope, gecko, tachyon-jsonl, tachyon-flamegraph, pyspy, tachyon-dump, importtime, austin, tachyon-collapsed, folded)",
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let out = run(&["no/such/file.log"], Vec::new());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("importflame: no/such/file.log: "));
}

#[test]
fn a_directory_is_an_error() {
    check(
        &["samples"],
        Vec::new(),
        "importflame: samples: is a directory, expected a file",
    );
}

#[test]
fn forcing_importtime_on_a_log_without_rows_says_what_to_do() {
    check(
        &["--from", "importtime", "-"],
        b"hello\n".to_vec(),
        "importflame: <stdin>: no \"import time:\" rows found (run Python with -X importtime and capture stderr)",
    );
}

#[test]
fn an_output_path_in_a_missing_directory_is_an_error() {
    let out = run(
        &[
            "samples/importtime/single/py311_json.log",
            "-o",
            "no/such/dir/g.svg",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("importflame: no/such/dir/g.svg: "));
}

#[test]
fn a_gzip_bomb_stops_at_the_size_limit() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b'\n'; 1 << 20];
    for _ in 0..8 {
        std::io::Write::write_all(&mut gz, &zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    let out = run(&["--max-input-size", "1M", "-"], bomb);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 1048576 bytes"));
}

#[test]
fn a_truncated_pstats_file_exits_2_naming_the_byte() {
    let data = fs::read(common::repo("samples/pstats/py37_workload.prof")).unwrap();
    // From 2 bytes on, the dict and its first key type say "pstats".
    for cut in [2, 3, 100, data.len() / 2, data.len() - 1] {
        let out = run(&["-"], data[..cut].to_vec());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "cut at {cut}: {err}");
        assert!(
            err.starts_with("importflame: <stdin>: byte "),
            "cut at {cut}: {err}"
        );
        assert!(!err.contains("panicked"));
    }
}
