//! `-f json`: every number the graph shows, plus the diagnostics, for scripts.
//!
//! The tree is written flat (`nodes` with a `parent` index), never nested, so no depth of
//! input can overflow a stack, in this writer or in the reader's JSON parser.
//!
//! ```json
//! {"version": "0.1.0", "unit": "us", "total": 1190,
//!  "inputs": [{"name": "x.log", "kind": "importtime log", "facts": {...}, "diagnostics": [...]}],
//!  "frames": [{"name": "encodings", "category": "stdlib", "self": 600, "total": 1190}],
//!  "nodes": [{"id": 0, "parent": null, "name": "python #1", "self": 0, "total": 1190}],
//!  "stacks": [{"stack": "python #1;encodings", "weight": 600}]}
//! ```

use std::io::Write;

use super::Report;
use crate::error::Result;
use crate::folded::Folded;
use crate::folded::frame_totals;

/// Writes the JSON document.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let folded = report.folded;
    writeln!(out, "{{")?;
    writeln!(out, "  \"version\": {},", Str(env!("CARGO_PKG_VERSION")))?;
    writeln!(out, "  \"unit\": {},", Str(folded.unit.name()))?;
    writeln!(out, "  \"total\": {},", folded.total())?;
    write_inputs(report, out)?;
    write_frames(folded, out)?;
    write_nodes(folded, out)?;
    writeln!(out, "  \"stacks\": [")?;
    for (i, (stack, weight)) in folded.lines.iter().enumerate() {
        let comma = if i + 1 < folded.lines.len() { "," } else { "" };
        writeln!(
            out,
            "    {{\"stack\": {}, \"weight\": {weight}}}{comma}",
            Str(stack)
        )?;
    }
    writeln!(out, "  ]")?;
    writeln!(out, "}}")?;
    Ok(())
}

fn write_inputs(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "  \"inputs\": [")?;
    for (i, input) in report.inputs.iter().enumerate() {
        let facts: Vec<String> = input
            .facts
            .iter()
            .map(|(k, v)| format!("{}: {v}", Str(k)))
            .collect();
        let diags: Vec<String> = input
            .diagnostics
            .entries()
            .map(|e| {
                format!(
                    "{{\"id\": {}, \"count\": {}, \"first\": {}, \"message\": {}}}",
                    Str(e.kind.id),
                    e.count,
                    e.first
                        .map_or("null".to_string(), |p| Str(&p.to_string()).to_string()),
                    Str(&e.message())
                )
            })
            .collect();
        let comma = if i + 1 < report.inputs.len() { "," } else { "" };
        writeln!(
            out,
            "    {{\"name\": {}, \"kind\": {}, \"facts\": {{{}}}, \"diagnostics\": [{}]}}{comma}",
            Str(&input.name),
            Str(input.kind.name()),
            facts.join(", "),
            diags.join(", ")
        )?;
    }
    writeln!(out, "  ],")?;
    Ok(())
}

fn write_frames(folded: &Folded, out: &mut dyn Write) -> Result<()> {
    let totals = frame_totals(folded);
    writeln!(out, "  \"frames\": [")?;
    for (i, t) in totals.iter().enumerate() {
        let category = folded
            .frames
            .get(t.name)
            .map_or("other", |f| f.category.name());
        let comma = if i + 1 < totals.len() { "," } else { "" };
        writeln!(
            out,
            "    {{\"name\": {}, \"category\": {}, \"self\": {}, \"total\": {}}}{comma}",
            Str(t.name),
            Str(category),
            t.self_weight,
            t.total
        )?;
    }
    writeln!(out, "  ],")?;
    Ok(())
}

/// One node per frame rectangle of the graph.
struct Node<'a> {
    parent: Option<usize>,
    name: &'a str,
    self_weight: u64,
    total: u64,
}

/// Rebuilds the drawn tree from the folded lines. Sorted lines that share a prefix are
/// neighbours, so comparing each line with the previous path is enough.
fn tree(folded: &Folded) -> Vec<Node<'_>> {
    let mut nodes: Vec<Node<'_>> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    for (stack, weight) in &folded.lines {
        let mut depth = 0;
        for frame in stack.split(';') {
            let reuse = path.get(depth).is_some_and(|&id| nodes[id].name == frame);
            if !reuse {
                path.truncate(depth);
                nodes.push(Node {
                    parent: path.last().copied(),
                    name: frame,
                    self_weight: 0,
                    total: 0,
                });
                path.push(nodes.len() - 1);
            }
            nodes[path[depth]].total += weight;
            depth += 1;
        }
        path.truncate(depth);
        if let Some(&leaf) = path.last() {
            nodes[leaf].self_weight += weight;
        }
    }
    nodes
}

fn write_nodes(folded: &Folded, out: &mut dyn Write) -> Result<()> {
    let nodes = tree(folded);
    writeln!(out, "  \"nodes\": [")?;
    for (i, n) in nodes.iter().enumerate() {
        let comma = if i + 1 < nodes.len() { "," } else { "" };
        let parent = n.parent.map_or("null".to_string(), |p| p.to_string());
        writeln!(
            out,
            "    {{\"id\": {i}, \"parent\": {parent}, \"name\": {}, \"self\": {}, \"total\": {}}}{comma}",
            Str(n.name),
            n.self_weight,
            n.total
        )?;
    }
    writeln!(out, "  ],")?;
    Ok(())
}

/// `s` as a JSON string literal, quoted and escaped by serde_json, for the renderers that
/// lay their JSON out by hand (one line per record, which serde_json's pretty printer cannot
/// do). Serialising a `str` cannot fail.
pub(super) struct Str<'a>(pub &'a str);

impl std::fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self.0).map_err(|_| std::fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Unit;

    #[test]
    fn the_tree_has_one_node_per_drawn_rectangle() {
        let folded = Folded {
            unit: Unit::Microseconds,
            lines: [("a", 5), ("a;b", 3), ("a;b;c", 1), ("d", 2)]
                .into_iter()
                .collect(),
            frames: Default::default(),
        };
        let nodes = tree(&folded);
        let summary: Vec<(&str, Option<usize>, u64, u64)> = nodes
            .iter()
            .map(|n| (n.name, n.parent, n.self_weight, n.total))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", None, 5, 9),
                ("b", Some(0), 3, 4),
                ("c", Some(1), 1, 1),
                ("d", None, 2, 2)
            ]
        );
    }
}
