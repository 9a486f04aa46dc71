//! speedscope JSON, sampled and evented.
#![no_main]

use importflame::input::{ParseOptions, speedscope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = speedscope::sniff(data);
    let _ = speedscope::parse(data, &ParseOptions::default());
});
