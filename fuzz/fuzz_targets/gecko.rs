//! CPython 3.15 `--gecko` (Firefox Profiler processed JSON): index tables and prefix chains.
#![no_main]

use importflame::input::{ParseOptions, tachyon};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tachyon::gecko::sniff(data);
    let _ = tachyon::gecko::parse(data, &ParseOptions::default());
});
