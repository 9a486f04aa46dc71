//! CPython 3.15 text outputs: `dump`, the `--flamegraph` page (its iterative JSON scanner),
//! and `--jsonl` detection.
#![no_main]

use importflame::input::{ParseOptions, tachyon};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions::default();
    let _ = tachyon::dump::sniff(data);
    let _ = tachyon::dump::parse(data, &opts);
    let _ = tachyon::html::sniff(data);
    let _ = tachyon::html::parse(data, &opts);
    let _ = tachyon::jsonl::sniff(data);
});
