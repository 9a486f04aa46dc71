//! `py-spy dump` text (and whatever `--from pyspy` falls back to).
#![no_main]

use importflame::input::{ParseOptions, pyspy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pyspy::sniff(data);
    let _ = pyspy::parse(data, &ParseOptions::default());
});
