//! `py-spy dump --json`: the parser only takes the JSON path when the input starts with `[`
//! and names `"thread_id"` and `"frames"`, so those are put in front of every input.
#![no_main]

use importflame::input::{ParseOptions, pyspy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pyspy::parse(data, &ParseOptions::default());
    if data.first() != Some(&b'[') {
        return;
    }
    let mut doc = b"[{\"thread_id\":1,\"frames\":[]},".to_vec();
    doc.extend_from_slice(&data[1..]);
    let idle = ParseOptions {
        idle: true,
        ..ParseOptions::default()
    };
    let _ = pyspy::parse(&doc, &idle);
});
