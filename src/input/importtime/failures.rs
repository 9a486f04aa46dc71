//! The failure pre-scan: modules the log's own error messages name as failed to import, read
//! once over the whole log before the tree is built (a message can print after its row).

use ahash::HashSet;

use super::text::find;

/// Module names that the log itself says failed to import: `No module named 'x'` and
/// `cannot import name 'y' from 'x'` (which also tried the submodule `x.y`).
pub(super) fn failure_messages(data: &[u8]) -> HashSet<String> {
    let mut names = HashSet::default();
    scan(data, &mut names);
    names
}

/// Adds the names [`failure_messages`] finds in `data` to `names`; a streamed log is scanned
/// a chunk of whole lines at a time (a message never spans lines).
pub(super) fn scan(data: &[u8], names: &mut HashSet<String>) {
    for (needle, submodule) in [
        (&b"No module named '"[..], false),
        (&b"cannot import name '"[..], true),
    ] {
        let mut from = 0;
        while let Some(i) = find(&data[from..], needle) {
            let start = from + i + needle.len();
            from = start;
            let Some(name) = quoted(&data[start..]) else {
                continue;
            };
            if !submodule {
                names.insert(name.to_string());
                continue;
            }
            // `cannot import name 'y' from 'x' (...)`
            let after = &data[start + name.len() + 1..];
            if let Some(rest) = after.strip_prefix(b" from '")
                && let Some(module) = quoted(rest)
            {
                names.insert(format!("{module}.{name}"));
            }
        }
    }
}

/// The text up to the next `'` on the same line, when it looks like a module name.
fn quoted(data: &[u8]) -> Option<&str> {
    let end = data
        .iter()
        .take(512)
        .position(|&b| b == b'\'' || b == b'\n')?;
    if data[end] != b'\'' || end == 0 {
        return None;
    }
    std::str::from_utf8(&data[..end])
        .ok()
        .filter(|s| !s.contains(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_messages_name_the_modules() {
        let names = failure_messages(
            b"ModuleNotFoundError: No module named 'not_a_module'\n\
              ImportError: cannot import name 'not_there' from 'numpy' (/x/numpy/__init__.py)\n",
        );
        assert!(names.contains("not_a_module"));
        assert!(names.contains("numpy.not_there"));
    }
}
