//! User-given frame patterns: regular expressions (the `regex` crate: linear time whatever the
//! pattern, so a hostile `--exclude` cannot hang the run) matched against a frame's display
//! name, the label the graph shows (`_find_and_load (<frozen importlib._bootstrap>:1165)`,
//! `numpy.core`, `process 19415:"python x.py"`).

use std::fmt;

use regex::Regex;

/// A compiled pattern with the text the user wrote, for messages and titles.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `source`. An invalid pattern is an error that names the character where it
    /// goes wrong: `unclosed group at character 3 of "a(b"`. regex's own message spans three
    /// lines with a caret; its parser (`regex-syntax`, which `regex` is built on) gives the
    /// same facts as data, so the message fits the one-line `importflame: …` form.
    pub fn new(source: &str) -> Result<Pattern, String> {
        match Regex::new(source) {
            Ok(regex) => Ok(Pattern {
                source: source.to_string(),
                regex,
            }),
            Err(err) => Err(explain(source, &err)),
        }
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the pattern matches somewhere in `name` (unanchored, as `grep`).
    pub fn is_match(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }

    /// Every non-overlapping match of the pattern in `name`, replaced by `with(matched)`.
    pub fn replace_all(&self, name: &str, with: impl Fn(&str) -> String) -> String {
        self.regex
            .replace_all(name, |caps: &regex::Captures<'_>| with(&caps[0]))
            .into_owned()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.source)
    }
}

/// One line saying what is wrong with `source` and at which character (1-based, counted in
/// characters as people count them, not bytes).
fn explain(source: &str, err: &regex::Error) -> String {
    use regex_syntax::ast::parse::Parser;
    if let Err(e) = Parser::new().parse(source) {
        let at = source[..e.span().start.offset].chars().count() + 1;
        return format!("{} at character {at} of {source:?}", e.kind());
    }
    if let Err(regex_syntax::Error::Translate(e)) = regex_syntax::Parser::new().parse(source) {
        let at = source[..e.span().start.offset].chars().count() + 1;
        return format!("{} at character {at} of {source:?}", e.kind());
    }
    // Only size limits are left (a pattern that compiles too large): no position to give.
    let text = err.to_string();
    let last = text.lines().last().unwrap_or_default().trim();
    let last = last.strip_prefix("error: ").unwrap_or(last);
    format!(
        "{} in {source:?}",
        last.trim_end_matches('.').to_lowercase()
    )
}

/// `--hide-importlib`: the frames of CPython's import system, frozen into the interpreter
/// (`<frozen importlib._bootstrap>` and `_bootstrap_external`, every Python since 3.3) or run
/// from source (`importlib/_bootstrap.py`). Between an importer and the module body it runs,
/// pstats and py-spy show six or seven of them (`_find_and_load`, `_find_and_load_unlocked`,
/// `_load_unlocked`, `exec_module`, `_call_with_frames_removed`, ...); see
/// samples/pyspy/record_subprocesses_raw.txt.
pub const IMPORTLIB: &str =
    r"<frozen importlib\._bootstrap(_external)?>|importlib[/\\]_bootstrap(_external)?\.py";

/// The built-ins `_call_with_frames_removed` calls: `exec` (the module body) and `__import__`
/// (`from package import submodule`, pstats of 3.7 and 3.14). They are import glue only when
/// their caller is an import-machinery frame; the `builtins.exec` at the root of a cProfile
/// run is the script itself and stays.
pub const IMPORTLIB_GLUE: &str = r"^<built-in method builtins\.(exec|__import__)>$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_pattern_names_the_character() {
        for (pattern, expected) in [
            ("a(b", "unclosed group at character 2 of \"a(b\""),
            (
                "numpy[",
                "unclosed character class at character 6 of \"numpy[\"",
            ),
            ("x{2,1}", "at character 2 of \"x{2,1}\""),
            ("é(", "unclosed group at character 2 of \"é(\""),
            (r"\p{Foo}", "Unicode property not found at character 1"),
            ("a{100000}{100}", "exceeds size limit of 10485760 bytes in"),
        ] {
            let err = Pattern::new(pattern).unwrap_err();
            assert!(err.contains(expected), "{pattern}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn the_importlib_pattern_matches_the_machinery_and_not_importlib_users() {
        let p = Pattern::new(IMPORTLIB).unwrap();
        let glue = Pattern::new(IMPORTLIB_GLUE).unwrap();
        for name in [
            "_find_and_load (<frozen importlib._bootstrap>:1165)",
            "_LoaderBasics.exec_module (<frozen importlib._bootstrap_external>:940)",
            "_find_and_load (importlib/_bootstrap.py:1007)",
        ] {
            assert!(p.is_match(name), "{name}");
        }
        for name in [
            "import_module (importlib/__init__.py:126)",
            "<module> (numpy/__init__.py:1)",
            "importlib",
            "importlib.metadata",
            "<built-in method builtins.exec>",
        ] {
            assert!(!p.is_match(name), "{name}");
        }
        assert!(glue.is_match("<built-in method builtins.__import__>"));
        assert!(!glue.is_match("<built-in method builtins.execfile>"));
    }
}
