//! What a frame *is* across runs and edits, for `diff` and `check`: the function's name and
//! file without its line number (an edit above a function moves it, it stays the same
//! function), the module a file is, built-in names without memory addresses, and the names
//! closest to a typo.

use std::borrow::Cow;

/// A frame label taken apart: `count_primes (shop/pricing.py:14)` is the name
/// `count_primes`, the file `shop/pricing.py` and the line 14. A module name (importtime) or a
/// built-in has neither file nor line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// The function (or module, or built-in) name.
    pub name: &'a str,
    /// The file, when the label has one.
    pub file: Option<&'a str>,
    /// The line, when the label has one.
    pub line: Option<u32>,
}

/// Takes a label apart (py-spy's `name (file:line)` form, FORMATS.md §3.3).
pub fn parts(label: &str) -> Parts<'_> {
    let (name, location) = crate::input::pyframe::split_label(label);
    let Some(location) = location else {
        return Parts {
            name: label,
            file: None,
            line: None,
        };
    };
    let file = crate::input::pyframe::location_file(location);
    let line = location
        .get(file.len() + 1..)
        .and_then(|l| l.parse::<u32>().ok());
    Parts {
        name,
        file: Some(file),
        line,
    }
}

/// The label without its line number: `count_primes (shop/pricing.py)`. Labels without a line
/// are returned as they are.
pub fn without_line(label: &str) -> Cow<'_, str> {
    let p = parts(label);
    match (p.file, p.line) {
        (Some(file), Some(_)) => Cow::Owned(format!("{} ({file})", p.name)),
        _ => Cow::Borrowed(label),
    }
}

/// The dotted module a Python file is: `shop/report.py` is `shop.report`,
/// `json/__init__.py` is `json`. `None` for a file that is not Python source.
pub fn module_of_file(file: &str) -> Option<String> {
    let stem = file.strip_suffix(".py")?;
    let stem = stem
        .strip_suffix("/__init__")
        .or_else(|| stem.strip_suffix("\\__init__"))
        .unwrap_or(stem);
    let dotted: String = stem
        .trim_start_matches(['/', '\\', '.'])
        .chars()
        .map(|c| if c == '/' || c == '\\' { '.' } else { c })
        .collect();
    (!dotted.is_empty()).then_some(dotted)
}

/// True when `module` is `target` or ends in `.target` (a path shown with a prefix the user
/// did not type, `src/shop/report.py` for `shop.report`).
pub fn module_matches(module: &str, target: &str) -> bool {
    module == target
        || module
            .strip_suffix(target)
            .is_some_and(|head| head.ends_with('.'))
}

/// Built-in names with a memory address (`<built-in method __new__ of type object at
/// 0x7f45a1b2c3d0>`) differ in every run: the address is replaced by `…`, so the frame has one
/// name in every profile.
pub fn strip_addresses(label: &str) -> Cow<'_, str> {
    if !label.contains(" at 0x") {
        return Cow::Borrowed(label);
    }
    let mut out = String::with_capacity(label.len());
    let mut rest = label;
    while let Some(i) = rest.find(" at 0x") {
        let hex_start = i + " at 0x".len();
        let hex_len = rest[hex_start..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        if hex_len < 4 {
            out.push_str(&rest[..hex_start]);
            rest = &rest[hex_start..];
            continue;
        }
        out.push_str(&rest[..i]);
        rest = &rest[hex_start + hex_len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Edit distance counting an insertion, deletion, substitution or swap of two neighbours as
/// one edit (optimal string alignment): `sypmy` is one edit from `sympy`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Up to `n` of `candidates` closest to `word`, closest first, ties by name; names further
/// than half of `word`'s length (at least 2 edits) are not offered.
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let limit = (word.chars().count() / 2).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort_unstable();
    scored.dedup();
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_into_name_file_and_line() {
        assert_eq!(
            parts("count_primes (shop/pricing.py:14)"),
            Parts {
                name: "count_primes",
                file: Some("shop/pricing.py"),
                line: Some(14)
            }
        );
        assert_eq!(parts("sympy.core").file, None);
        assert_eq!(
            parts("<built-in method builtins.len>").name,
            "<built-in method builtins.len>"
        );
        assert_eq!(without_line("f (a.py:3)"), "f (a.py)");
        assert_eq!(without_line("numpy"), "numpy");
    }

    #[test]
    fn files_name_their_module() {
        assert_eq!(
            module_of_file("shop/report.py").as_deref(),
            Some("shop.report")
        );
        assert_eq!(module_of_file("json/__init__.py").as_deref(), Some("json"));
        assert_eq!(module_of_file("pricing.py").as_deref(), Some("pricing"));
        assert_eq!(module_of_file("libc.so.6"), None);
        assert!(module_matches("src.shop.report", "shop.report"));
        assert!(!module_matches("shop.xreport", "report"));
    }

    #[test]
    fn memory_addresses_leave_built_in_names() {
        assert_eq!(
            strip_addresses("<built-in method __new__ of type object at 0x7f45a1b2c3d0>"),
            "<built-in method __new__ of type object>"
        );
        assert_eq!(
            strip_addresses("<method 'append' of 'list' objects>"),
            "<method 'append' of 'list' objects>"
        );
        assert_eq!(strip_addresses("meet at 0xford"), "meet at 0xford");
    }

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(edit_distance("sypmy", "sympy"), 1);
        assert_eq!(edit_distance("shop.reprot", "shop.report"), 1);
        assert_eq!(edit_distance("numpy", "numpy"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest(
                "shop.reprot",
                ["shop.report", "shop", "sympy.core", "shop.pricing"],
                3
            ),
            ["shop.report"]
        );
    }
}
