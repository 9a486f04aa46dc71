//! `-f speedscope`: a file speedscope.app opens (its file-format schema is checked in a test).
//! One sampled profile; each folded stack is one sample whose weight is its µs or count, in
//! the folded order (import order with `--flamechart`).

use std::collections::HashMap;
use std::io::Write;

use super::Report;
use super::json::Str;
use super::svg::title;
use crate::error::Result;
use crate::model::Unit;

/// Writes the speedscope JSON.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let folded = report.folded;
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut samples: Vec<Vec<usize>> = Vec::with_capacity(folded.lines.len());
    let mut weights: Vec<u64> = Vec::with_capacity(folded.lines.len());
    for (stack, weight) in &folded.lines {
        if *weight == 0 {
            continue; // speedscope draws nothing for it, and validators dislike it
        }
        let ids = stack
            .split(';')
            .map(|f| {
                *index.entry(f).or_insert_with(|| {
                    names.push(f);
                    names.len() - 1
                })
            })
            .collect();
        samples.push(ids);
        weights.push(*weight);
    }
    let unit = match folded.unit {
        Unit::Microseconds => "microseconds",
        Unit::Samples => "none",
        Unit::Bytes => "bytes",
    };
    let frames: Vec<String> = names
        .iter()
        .map(|n| format!("{{\"name\":{}}}", Str(n)))
        .collect();
    let samples: Vec<String> = samples
        .iter()
        .map(|s| {
            format!(
                "[{}]",
                s.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    let weights: Vec<String> = weights.iter().map(u64::to_string).collect();
    let name = title(report);
    writeln!(
        out,
        "{{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\
\"exporter\":\"importflame@{}\",\"name\":{},\"activeProfileIndex\":0,\
\"shared\":{{\"frames\":[{}]}},\
\"profiles\":[{{\"type\":\"sampled\",\"name\":{},\"unit\":\"{unit}\",\"startValue\":0,\"endValue\":{},\
\"samples\":[{}],\"weights\":[{}]}}]}}",
        env!("CARGO_PKG_VERSION"),
        Str(&name),
        frames.join(","),
        Str(&name),
        folded.total(),
        samples.join(","),
        weights.join(",")
    )?;
    Ok(())
}
