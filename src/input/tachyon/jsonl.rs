//! `--jsonl` (FORMATS.md §5): records `meta`, `string_table`, `frame_table`, `agg`, `end`:
//!
//! ```text
//! {"type":"meta","v":0,"run_id":"6b4f…","sample_interval_usec":1000,"mode":"wall"}
//! ```
//!
//! They hold per-frame totals only, no stacks, so no flame graph can be rebuilt: reading
//! one is an error that says which output to record instead.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::input::{ParseOptions, text};
use crate::model::Profile;

/// The first line is a JSON object of `"type": "meta"` with a sampling interval.
pub fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    let Some((_, line)) = text::lines(head).find(|(_, l)| !l.trim_ascii().is_empty()) else {
        return false;
    };
    match serde_json::from_slice::<Value>(&line) {
        Ok(v) => {
            v.get("type").and_then(Value::as_str) == Some("meta")
                && (v.get("sample_interval_usec").is_some() || v.get("run_id").is_some())
        }
        Err(_) => false,
    }
}

/// Always an error: the format has no stacks.
pub fn parse(_data: &[u8], _opts: &ParseOptions) -> Result<Profile> {
    Err(Error::no_data(
        "CPython profiling.sampling --jsonl output holds per-function totals, not stacks, so \
         no flame graph can be drawn from it; record with --collapsed, --gecko or --pstats \
         instead",
    ))
}
