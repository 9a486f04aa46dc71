//! `--flamegraph` (FORMATS.md §5): a self-contained HTML page whose data is one line
//! `const EMBEDDED_DATA = {"name": 3, "value": 10, "children": [{"name": 1, "value": 7,
//! "children": […], "filename": 2, "lineno": 5, "funcname": 4, "threads": [2134]}],
//! "strings": ["…"]};`.
//!
//! **(from CPython's `FlamegraphCollector` source, unverified here: there is no sample.)**
//! The tree is d3-flamegraph's: each node's `value` counts its samples including its
//! children's; `name`, `funcname` and `filename` are indexes into the root's `strings`
//! (plain strings are accepted too); `lineno` is a number. A node's self weight is its value
//! minus its children's (nodes under 0.1% are left out of the page, so their samples stay
//! with the parent): the root's value is conserved. With a single top function CPython makes
//! it the root, named `Program Root: …`.
//!
//! The JSON is read by a small iterative scanner, not into a `serde_json::Value`: a tree
//! nests two JSON levels per frame, and serde_json stops at 128 levels (about 60 frames,
//! fewer than many real stacks), while dropping a deep `Value` would recurse. Scalars are
//! still decoded by serde_json.

use serde_json::Number;

use crate::diagnostics::IssueKind;
use crate::error::{Error, Result};
use crate::input::{ParseOptions, folded, pyframe, text};
use crate::model::{Category, ExpansionBudget, FrameId, InputKind, Profile, Unit};

/// The marker before the data.
const MARKER: &[u8] = b"const EMBEDDED_DATA = ";

/// Children whose values add up to more than their parent's.
pub const OVERFULL: IssueKind = IssueKind {
    id: "flamegraph.overfull",
    one: "node whose children outweigh it: self weight set to 0",
    many: "nodes whose children outweigh them: self weight set to 0",
};

/// An HTML page (first non-blank byte `<`) holding the embedded flame graph data.
pub fn sniff(data: &[u8]) -> bool {
    let data = data.strip_prefix(text::UTF8_BOM).unwrap_or(data);
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'<') && text::find(data, MARKER).is_some()
}

/// A name: an index into `strings`, or the text itself.
#[derive(Clone, Debug)]
enum Text {
    Index(u64),
    Plain(String),
}

/// One tree node as read.
#[derive(Debug, Default)]
struct Node {
    parent: Option<usize>,
    name: Option<Text>,
    funcname: Option<Text>,
    filename: Option<Text>,
    lineno: Option<i64>,
    value: u64,
}

/// What the scanner is inside of.
enum Open {
    /// An object; `node` when it is a tree node; `key` the key whose value comes next.
    Object {
        node: Option<usize>,
        key: Option<String>,
    },
    /// An array; `children_of` when it is a node's `children`, `strings` for the root's
    /// string table.
    Array {
        children_of: Option<usize>,
        strings: bool,
    },
}

/// A JSON scalar.
enum Scalar {
    Str(String),
    Num(Number),
    Other,
}

/// The tree and string table of the embedded data.
#[derive(Default)]
struct Tree {
    nodes: Vec<Node>,
    strings: Vec<String>,
}

fn bad(what: &str, at: usize) -> Error {
    Error::invalid(format!(
        "CPython --flamegraph page: its EMBEDDED_DATA is not valid JSON ({what} at byte \
         {at} of the data); record with --collapsed or --gecko instead"
    ))
}

/// Reads the value starting at `data[0]` (after the marker) into a [`Tree`], iteratively.
fn scan(data: &[u8]) -> Result<Tree> {
    let mut tree = Tree::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    let mut started = false;
    loop {
        while data
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b',' || *b == b':')
        {
            i += 1;
        }
        if started && stack.is_empty() {
            return Ok(tree);
        }
        let Some(&b) = data.get(i) else {
            return Err(bad("unexpected end", i));
        };
        // In an object, a string in key position is a key.
        if let Some(Open::Object { key, .. }) = stack.last_mut()
            && key.is_none()
            && b == b'"'
        {
            let (s, end) = string(data, i)?;
            *key = Some(s);
            i = end;
            continue;
        }
        match b {
            b'[' if !started => return Err(bad("expected an object", i)),
            b'{' | b'[' => {
                // The slot this container fills, and whether it is a node / children.
                let (parent_key, parent_node, children_of) = match stack.last_mut() {
                    Some(Open::Object { node, key }) => (key.take(), *node, None),
                    Some(Open::Array { children_of, .. }) => (None, None, *children_of),
                    None => (None, None, None),
                };
                if b == b'{' {
                    let is_node = !started || children_of.is_some();
                    let node = is_node.then(|| {
                        tree.nodes.push(Node {
                            parent: children_of,
                            ..Node::default()
                        });
                        tree.nodes.len() - 1
                    });
                    stack.push(Open::Object { node, key: None });
                } else {
                    let key = parent_key.as_deref();
                    stack.push(Open::Array {
                        children_of: parent_node.filter(|_| key == Some("children")),
                        strings: parent_node == Some(0) && key == Some("strings"),
                    });
                }
                started = true;
                i += 1;
            }
            b'}' | b']' => {
                let closes_object = matches!(stack.last(), Some(Open::Object { .. }));
                if stack.is_empty() || closes_object != (b == b'}') {
                    return Err(bad("unbalanced bracket", i));
                }
                stack.pop();
                i += 1;
            }
            _ => {
                if !started {
                    return Err(bad("expected an object", i));
                }
                let (value, end) = scalar(data, i)?;
                i = end;
                match stack.last_mut() {
                    Some(Open::Object { node, key }) => {
                        if let (Some(n), Some(k)) = (*node, key.take()) {
                            assign(&mut tree.nodes[n], &k, value);
                        }
                    }
                    Some(Open::Array { strings: true, .. }) => {
                        if let Scalar::Str(s) = value {
                            tree.strings.push(s);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn assign(node: &mut Node, key: &str, value: Scalar) {
    let text = |v: Scalar| match v {
        Scalar::Str(s) => Some(Text::Plain(s)),
        Scalar::Num(n) => n.as_u64().map(Text::Index),
        Scalar::Other => None,
    };
    match key {
        "name" => node.name = text(value),
        "funcname" => node.funcname = text(value),
        "filename" => node.filename = text(value),
        "lineno" => {
            if let Scalar::Num(n) = value {
                node.lineno = n.as_i64();
            }
        }
        "value" => {
            if let Scalar::Num(n) = value {
                node.value = n.as_u64().unwrap_or(0);
            }
        }
        _ => {}
    }
}

/// A JSON string starting at `data[at]` (a `"`): its text and the index after it.
fn string(data: &[u8], at: usize) -> Result<(String, usize)> {
    let mut i = at + 1;
    while let Some(&b) = data.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => {
                let s = serde_json::from_slice::<String>(&data[at..=i])
                    .map_err(|_| bad("bad string", at))?;
                return Ok((s, i + 1));
            }
            _ => i += 1,
        }
    }
    Err(bad("unterminated string", at))
}

/// A scalar starting at `data[at]`: string, number, `true`, `false` or `null`.
fn scalar(data: &[u8], at: usize) -> Result<(Scalar, usize)> {
    if data[at] == b'"' {
        let (s, end) = string(data, at)?;
        return Ok((Scalar::Str(s), end));
    }
    let len = data[at..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
        .count();
    let token = &data[at..at + len];
    match token {
        b"true" | b"false" | b"null" => Ok((Scalar::Other, at + len)),
        _ => serde_json::from_slice::<Number>(token)
            .map(|n| (Scalar::Num(n), at + len))
            .map_err(|_| bad("unexpected token", at)),
    }
}

/// Parses the tree embedded in a `--flamegraph` page.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let start = text::find(data, MARKER)
        .ok_or_else(|| Error::no_data("HTML page without `const EMBEDDED_DATA = {…}`"))?
        + MARKER.len();
    let tree = scan(&data[start..])?;
    let resolve = |t: &Option<Text>| -> Option<String> {
        match t.as_ref()? {
            Text::Plain(s) => Some(s.clone()),
            Text::Index(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| tree.strings.get(i))
                .cloned(),
        }
    };
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); tree.nodes.len()];
    for (i, n) in tree.nodes.iter().enumerate() {
        if let Some(p) = n.parent {
            children[p].push(i);
        }
    }
    let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
    let mut budget = ExpansionBudget::for_input(data.len());
    let mut path: Vec<FrameId> = Vec::new();
    // (node, its depth in `path`)
    let mut todo: Vec<(usize, usize)> = if tree.nodes.is_empty() {
        Vec::new()
    } else {
        vec![(0, 0)]
    };
    while let Some((index, depth)) = todo.pop() {
        let node = &tree.nodes[index];
        path.truncate(depth);
        let func = resolve(&node.funcname);
        let (label, category) = match (index, func) {
            (0, _) => (
                resolve(&node.name).unwrap_or_else(|| "all".to_string()),
                Category::Synthetic,
            ),
            (_, Some(func)) => {
                let file = resolve(&node.filename);
                let category = pyframe::category(&func, file.as_deref(), opts);
                let short = file.as_deref().map(|f| pyframe::short_path(f, opts));
                (
                    pyframe::sampled_label(&func, short, node.lineno, opts),
                    category,
                )
            }
            (_, None) => {
                let name = resolve(&node.name).unwrap_or_else(|| "<unknown>".to_string());
                let category = pyframe::category_of_label(&name, opts);
                (name, category)
            }
        };
        path.push(profile.frames.intern(&label, category));
        let inner: u64 = children[index]
            .iter()
            .map(|&c| tree.nodes[c].value)
            .fold(0, u64::saturating_add);
        if inner > node.value {
            profile.diagnostics.note_many(OVERFULL, 1, None);
        }
        let own = node.value.saturating_sub(inner);
        if own > 0 {
            budget.spend(&profile.frames, &path)?;
            profile.push_stack(&path, own, 0);
        }
        todo.extend(children[index].iter().rev().map(|&c| (c, depth + 1)));
    }
    if profile.stack_count() == 0 {
        return Err(Error::no_data("CPython --flamegraph page with no samples"));
    }
    let total = folded::checked_total(&profile)?;
    profile.facts.insert("samples", total);
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scanner_reads_nodes_and_strings() {
        let tree = scan(
            br#"{"name": 0, "value": 3, "stats": {"a": [1, {"b": null}]}, "children": [{"name": "x\"y", "value": 2, "children": [], "lineno": -1}], "strings": ["root", "\u00e9"]};"#,
        )
        .unwrap();
        assert_eq!(tree.nodes.len(), 2);
        assert_eq!(tree.nodes[1].parent, Some(0));
        assert_eq!(tree.nodes[1].lineno, Some(-1));
        assert!(matches!(&tree.nodes[1].name, Some(Text::Plain(s)) if s == "x\"y"));
        assert_eq!(tree.strings, vec!["root", "é"]);
    }

    #[test]
    fn broken_data_is_an_error() {
        for input in [
            &b"{\"a\": [}"[..],
            b"{\"a\": ",
            b"[1]",
            b"{\"a\": tru}",
            b"{\"a\": \"x",
        ] {
            assert!(scan(input).is_err(), "{:?}", String::from_utf8_lossy(input));
        }
    }
}
