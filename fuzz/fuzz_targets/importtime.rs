//! `python -X importtime` logs: the row parser, the tree rebuild, and `--tee`, whose output
//! must be the input minus the rows, byte for byte and in order.
#![no_main]

use importflame::input::{ParseOptions, importtime, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = importtime::sniff(data);
    let opts = ParseOptions {
        cached: data.first().is_some_and(|b| b & 1 == 1),
        ..ParseOptions::default()
    };
    let _ = importtime::parse(data, &opts);

    let mut tee = Vec::new();
    let copy = importtime::tee_copy(data, &mut tee, u64::MAX).expect("reading a slice");
    assert_eq!(copy, data, "tee_copy returns the whole input");
    // Each input line comes out whole, or, when it holds a row, cut where the row starts.
    let mut out = &tee[..];
    for line in data.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let cleaned = text::clean_line(content);
        let keep = match importtime::parse_row(&cleaned) {
            Some((at, row)) if row != importtime::Row::Malformed => {
                let keep = text::raw_offset(content, at);
                // What is kept is exactly the output before the row, colour codes and all.
                assert_eq!(
                    text::clean_line(&content[..keep]),
                    text::clean_line(&cleaned[..at])
                );
                keep
            }
            _ => line.len(),
        };
        assert!(
            out.starts_with(&line[..keep]),
            "tee lost or changed bytes of {:?}",
            String::from_utf8_lossy(line)
        );
        out = &out[keep..];
    }
    assert!(out.is_empty(), "tee wrote bytes that were not in the input");
});
