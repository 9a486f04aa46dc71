//! `python -X importtime` logs: the row parser, the tree rebuild, and `--tee`, whose output
//! must be the input minus the rows, byte for byte and in order.
#![no_main]

use std::io::Read;

use importflame::input::{ParseOptions, decode, importtime, tee, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = importtime::sniff(data);
    let opts = ParseOptions {
        cached: data.first().is_some_and(|b| b & 1 == 1),
        ..ParseOptions::default()
    };
    let _ = importtime::parse(data, &opts);

    // `--tee` copies the decoded text (a gzip or UTF-16 input shows as UTF-8 text), so the
    // checks below hold against what the decoding layer makes of the input; an input it
    // refuses (a broken gzip stream) is refused by both.
    let mut decoded = Vec::new();
    let decodes = decode::decode(data, u64::MAX)
        .and_then(|mut reader| reader.read_to_end(&mut decoded).map_err(decode::error));
    let mut teed = Vec::new();
    let Ok(copy) = tee::copy(data, &mut teed, u64::MAX) else {
        assert!(
            decodes.is_err(),
            "tee::copy refused an input the decoder reads"
        );
        return;
    };
    assert!(
        decodes.is_ok(),
        "tee::copy read an input the decoder refuses"
    );
    assert_eq!(copy, decoded, "tee::copy returns the whole decoded input");
    let data = &decoded[..];
    // Each input line comes out whole, or, when it holds a row, cut where the row starts.
    let mut out = &teed[..];
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
