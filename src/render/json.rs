//! `-f json`: every number the graph shows, plus the diagnostics, for scripts.
//!
//! The tree is written flat (`nodes` with a `parent` index), never nested, so no depth of
//! input can overflow a stack, in this writer or in the reader's JSON parser.
//!
//! The tree and the stacks are bounded as the SVG is: a node narrower than `--min-width`
//! percent of the total (the SVG's threshold) is not listed; the narrow children of each
//! listed node are merged into one node named [`MERGED`] (its `self` and `total` their sum,
//! `merged` their count), and each stack is cut at its first narrow frame into the stack of
//! that merged node. `bounded` says so: the threshold, and how many nodes and stacks were
//! merged. Totals are exact everywhere, and `frames` lists every frame. `--min-width 0`
//! lists everything.
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
use crate::filter::Applied;
use crate::folded::Folded;
use crate::folded::frame_totals;
use crate::model::Unit;

/// Writes the JSON document.
pub fn write(report: &Report<'_>, out: &mut dyn Write) -> Result<()> {
    let folded = report.folded;
    writeln!(out, "{{")?;
    writeln!(out, "  \"version\": {},", Str(env!("CARGO_PKG_VERSION")))?;
    writeln!(out, "  \"unit\": {},", Str(folded.unit.name()))?;
    writeln!(out, "  \"total\": {},", folded.total())?;
    write_inputs(report, out)?;
    write_frames(folded, out)?;
    let min_width = report.svg.min_width.unwrap_or(0.0);
    let (nodes, leaves) = tree(folded);
    let bounded = bound(&nodes, folded.total(), min_width);
    let (stacks, stacks_merged) = bounded_stacks(folded, &nodes, &leaves, &bounded);
    writeln!(
        out,
        "  \"bounded\": {{\"min_width_percent\": {min_width}, \"threshold\": {}, \"nodes_merged\": {}, \"stacks_merged\": {}}},",
        bounded.threshold, bounded.nodes_merged, stacks_merged
    )?;
    write_nodes(&nodes, &bounded, out)?;
    writeln!(out, "  \"stacks\": [")?;
    for (i, (stack, weight)) in stacks.iter().enumerate() {
        let comma = if i + 1 < stacks.len() { "," } else { "" };
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
        let filters = input
            .filtered
            .as_ref()
            .map(|a| filters_json(a, report.folded.unit))
            .unwrap_or_default();
        writeln!(
            out,
            "    {{\"name\": {}, \"kind\": {}, \"facts\": {{{}}}, \"diagnostics\": [{}]{filters}}}{comma}",
            Str(&input.name),
            Str(input.kind.name()),
            facts.join(", "),
            diags.join(", ")
        )?;
    }
    writeln!(out, "  ],")?;
    Ok(())
}

/// `, "total_before": 1250000, "filters": [{"option": "--drop", "pattern": "test_", "frames": 3,
/// "stacks": 12, "weight": 3400, "message": "…"}]`: what each filter removed or kept, exactly.
pub(super) fn filters_json(applied: &Applied, unit: Unit) -> String {
    let notes = super::filters::notes(applied, unit);
    let mut notes = notes.iter();
    let entries: Vec<String> = applied
        .uses
        .iter()
        .map(|u| {
            let message = if u.frames > 0 {
                notes.next().map_or("null".to_string(), |n| Str(n).to_string())
            } else {
                "null".to_string()
            };
            format!(
                "{{\"option\": {}, \"pattern\": {}, \"frames\": {}, \"stacks\": {}, \"weight\": {}, \"message\": {message}}}",
                Str(u.action.flag()),
                Str(&u.pattern),
                u.frames,
                u.stacks,
                u.weight
            )
        })
        .collect();
    format!(
        ", \"total_before\": {}, \"filters\": [{}]",
        applied.total_before,
        entries.join(", ")
    )
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

/// The name of the node that stands for a listed node's narrow children.
pub const MERGED: &str = "[narrower frames merged]";

/// Rebuilds the drawn tree from the folded lines, with the leaf node of each line. Sorted
/// lines that share a prefix are neighbours, so comparing each line with the previous path is
/// enough.
fn tree(folded: &Folded) -> (Vec<Node<'_>>, Vec<usize>) {
    let mut nodes: Vec<Node<'_>> = Vec::new();
    let mut leaves = Vec::with_capacity(folded.lines.len());
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
        leaves.push(path.last().copied().unwrap_or(0));
    }
    (nodes, leaves)
}

/// Which nodes are listed, and the merged node of each listed parent.
struct Bounded {
    /// The threshold in weight units (the SVG's: `min_width / (100 / total)`).
    threshold: f64,
    /// Per node: its id in the output when listed.
    listed: Vec<Option<usize>>,
    /// Merged nodes in output order: (listed parent, count, total).
    merged: Vec<(Option<usize>, u64, u64)>,
    /// Per listed parent (`None`: the roots), the index of its merged node in `merged`.
    merged_of: ahash::HashMap<Option<usize>, usize>,
    nodes_merged: u64,
}

fn bound(nodes: &[Node<'_>], total: u64, min_width: f64) -> Bounded {
    let threshold = if min_width > 0.0 && total > 0 {
        min_width / (100.0 / total as f64)
    } else {
        0.0
    };
    let mut b = Bounded {
        threshold,
        listed: vec![None; nodes.len()],
        merged: Vec::new(),
        merged_of: ahash::HashMap::default(),
        nodes_merged: 0,
    };
    let mut next = 0;
    // Parents come before their children.
    for (i, n) in nodes.iter().enumerate() {
        let parent = match n.parent {
            Some(p) => match b.listed[p] {
                Some(id) => Some(id),
                None => continue, // under a merged node
            },
            None => None,
        };
        if (n.total as f64) < threshold {
            let slot = *b.merged_of.entry(parent).or_insert_with(|| {
                b.merged.push((parent, 0, 0));
                b.merged.len() - 1
            });
            b.merged[slot].1 += 1;
            b.merged[slot].2 += n.total;
            b.nodes_merged += 1;
        } else {
            b.listed[i] = Some(next);
            next += 1;
        }
    }
    b
}

/// The stacks, each cut at its first narrow frame into the stack of that frame's merged node
/// (placed where its first stack was), and how many stacks went into merged ones.
fn bounded_stacks<'f>(
    folded: &'f Folded,
    nodes: &[Node<'_>],
    leaves: &[usize],
    bounded: &Bounded,
) -> (Vec<(std::borrow::Cow<'f, str>, u64)>, u64) {
    let mut merged_lines = 0u64;
    let mut out: Vec<(std::borrow::Cow<'f, str>, u64)> = Vec::with_capacity(folded.lines.len());
    // Merged node index -> its stack in `out`.
    let mut merged_at: ahash::HashMap<usize, usize> = ahash::HashMap::default();
    let mut chain: Vec<usize> = Vec::new();
    for ((stack, &weight), &leaf) in folded.lines.iter().zip(leaves) {
        if bounded.listed[leaf].is_some() {
            out.push((std::borrow::Cow::Borrowed(stack), weight));
            continue;
        }
        // The path root first; its first unlisted node is where the stack is cut.
        chain.clear();
        let mut at = Some(leaf);
        while let Some(i) = at {
            chain.push(i);
            at = nodes[i].parent;
        }
        chain.reverse();
        let depth = chain
            .iter()
            .position(|&i| bounded.listed[i].is_none())
            .unwrap_or(0);
        let parent = if depth == 0 {
            None
        } else {
            bounded.listed[chain[depth - 1]]
        };
        let Some(&slot) = bounded.merged_of.get(&parent) else {
            out.push((std::borrow::Cow::Borrowed(stack), weight));
            continue;
        };
        merged_lines += 1;
        match merged_at.get(&slot) {
            Some(&j) => out[j].1 += weight,
            None => {
                let prefix_end = stack
                    .match_indices(';')
                    .nth(depth.wrapping_sub(1))
                    .map_or(0, |(i, _)| i);
                let label = if depth == 0 {
                    MERGED.to_string()
                } else {
                    format!("{};{MERGED}", &stack[..prefix_end])
                };
                merged_at.insert(slot, out.len());
                out.push((std::borrow::Cow::Owned(label), weight));
            }
        }
    }
    (out, merged_lines)
}

fn write_nodes(nodes: &[Node<'_>], bounded: &Bounded, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "  \"nodes\": [")?;
    let listed = bounded.listed.iter().filter(|l| l.is_some()).count();
    let count = listed + bounded.merged.len();
    let mut written = 0;
    for (n, id) in nodes.iter().zip(&bounded.listed) {
        let Some(id) = id else { continue };
        written += 1;
        let comma = if written < count { "," } else { "" };
        let parent = n
            .parent
            .and_then(|p| bounded.listed[p])
            .map_or("null".to_string(), |p| p.to_string());
        writeln!(
            out,
            "    {{\"id\": {id}, \"parent\": {parent}, \"name\": {}, \"self\": {}, \"total\": {}}}{comma}",
            Str(n.name),
            n.self_weight,
            n.total
        )?;
    }
    for (k, (parent, merged, total)) in bounded.merged.iter().enumerate() {
        written += 1;
        let comma = if written < count { "," } else { "" };
        let parent = parent.map_or("null".to_string(), |p| p.to_string());
        writeln!(
            out,
            "    {{\"id\": {}, \"parent\": {parent}, \"name\": {}, \"self\": {total}, \"total\": {total}, \"merged\": {merged}}}{comma}",
            listed + k,
            Str(MERGED)
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

    #[test]
    fn narrow_children_are_listed_as_one_merged_node_and_their_stacks_cut() {
        // total 1000; at 1% the threshold is 10.
        let folded = Folded {
            unit: Unit::Microseconds,
            lines: [("a", 900), ("a;b", 4), ("a;b;c", 3), ("a;d", 2), ("e", 91)]
                .into_iter()
                .collect(),
            frames: Default::default(),
            drawn_at: None,
        };
        let (nodes, leaves) = tree(&folded);
        let b = bound(&nodes, folded.total(), 1.0);
        assert_eq!(b.threshold, 10.0);
        assert_eq!(b.nodes_merged, 2, "b (with c below it) and d");
        assert_eq!(b.merged, vec![(Some(0), 2, 9)]);
        let (stacks, merged) = bounded_stacks(&folded, &nodes, &leaves, &b);
        let stacks: Vec<(String, u64)> = stacks
            .into_iter()
            .map(|(s, w)| (s.into_owned(), w))
            .collect();
        assert_eq!(
            stacks,
            vec![
                ("a".to_string(), 900),
                (format!("a;{MERGED}"), 9),
                ("e".to_string(), 91)
            ]
        );
        assert_eq!(merged, 3);
        let everything = bound(&nodes, folded.total(), 0.0);
        assert_eq!(everything.nodes_merged, 0);
    }

    #[test]
    fn the_tree_has_one_node_per_drawn_rectangle() {
        let folded = Folded {
            unit: Unit::Microseconds,
            lines: [("a", 5), ("a;b", 3), ("a;b;c", 1), ("d", 2)]
                .into_iter()
                .collect(),
            frames: Default::default(),
            drawn_at: None,
        };
        let (nodes, _) = tree(&folded);
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
