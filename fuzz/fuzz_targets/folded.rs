//! Folded stacks, CPython 3.15 `--collapsed`, which the folded reader also reads, and Austin's
//! collapsed samples, folded stacks with their own heads and metadata.
#![no_main]

use importflame::input::{ParseOptions, austin, folded, tachyon};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ParseOptions::default();
    let _ = folded::sniff(data);
    if let Ok(profile) = folded::parse(data, &opts) {
        // Labels never keep a `;` or a line break, so folded output splits back the same.
        for i in 0..profile.frames.len() as u32 {
            let name = profile.frames.name(i);
            assert!(!name.contains([';', '\n', '\r']), "{name:?}");
        }
    }
    let _ = tachyon::collapsed::sniff(data);
    let _ = tachyon::collapsed::parse(data, &opts);
    let _ = austin::sniff(data);
    let _ = austin::parse(data, &opts);
});
