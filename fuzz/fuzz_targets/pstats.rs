//! pstats files: the marshal reader on its own (every code-object layout), then the whole
//! parser with its call-graph walk.
#![no_main]

use importflame::input::ParseOptions;
use importflame::input::pstats::{self, marshal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for layout in marshal::CodeLayout::ALL {
        let _ = marshal::read_all(data, layout);
    }
    let _ = pstats::sniff(data);
    let _ = pstats::parse(data, &ParseOptions::default());
});
