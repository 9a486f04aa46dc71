//! Python frame labels shared by the sampling-profiler parsers (FORMATS.md §3, §5).
//!
//! Every sampled format ends up with py-spy's frame text, `function (file:line)`, so a py-spy
//! dump, a py-spy recording and a CPython 3.15 profile of the same program fold into the same
//! frames:
//!
//! ```text
//!     Thread.run (threading.py:982)
//!     0x7f89062a3f16 (libc.so.6)
//! ```
//!
//! The helpers here build and take apart such labels, shorten absolute paths the way py-spy
//! does (`/usr/lib/python3.11/json/encoder.py` becomes `json/encoder.py`), and pick the frame's
//! [`Category`] for colouring.
//!
//! This is the one place that names and categorises Python code for every reader: [`place`]
//! tells from a path whether a file is installed, in the standard library or the user's own
//! (POSIX and Windows paths alike), and [`module_category`] does the same for a module name
//! (importtime). pstats frames use [`place`] too, so `C:\Python311\Lib\json\decoder.py` is
//! stdlib `json\decoder.py` in a py-spy frame and in a pstats frame alike.

use std::borrow::Cow;

use crate::model::Category;
// py-spy prints stdlib files relative to the library directory (`threading.py`,
// `multiprocessing/pool.py`): only the list of stdlib names tells them from the user's own.
use crate::stdlib::is_stdlib_module;

use super::ParseOptions;

/// Directory names after which an installed package's own path starts.
const PACKAGE_DIRS: &[&str] = &["site-packages", "dist-packages"];

/// The stdlib's directory: `python3.11` (POSIX, `lib/python3.11`; also `python2.7` and the
/// free-threaded `python3.13t`) or `Lib` (Windows).
fn is_lib_dir(part: &str) -> bool {
    part == "Lib"
        || part
            .strip_prefix("python")
            .map(|v| v.strip_suffix('t').unwrap_or(v))
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(major, minor)| {
                [major, minor]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
}

/// Where a Python source file lives, from its path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place<'a> {
    /// Below `site-packages` or `dist-packages`: the path from the package's own directory.
    Installed(&'a str),
    /// Below the stdlib's directory (`lib/python3.11/`, Windows `Lib\`): the path from there.
    Stdlib(&'a str),
    /// `<frozen importlib._bootstrap>`: the stdlib, frozen into the interpreter.
    Frozen,
    /// Another `<...>` pseudo-file: `<string>`, `<stdin>`.
    Special,
    /// Anything else: the user's own code, or a path already shortened.
    Own,
}

/// Where `path` lives: the last package or stdlib directory with something below it decides
/// (a virtualenv's `Lib\site-packages\x` is installed, not stdlib).
pub fn place(path: &str) -> Place<'_> {
    if path.starts_with("<frozen") {
        return Place::Frozen;
    }
    if path.starts_with('<') {
        return Place::Special;
    }
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let Some(i) = parts[..parts.len() - 1]
        .iter()
        .rposition(|p| PACKAGE_DIRS.contains(p) || is_lib_dir(p))
    else {
        return Place::Own;
    };
    let skip: usize = parts[..=i].iter().map(|p| p.len() + 1).sum();
    let rest = &path[skip..];
    if PACKAGE_DIRS.contains(&parts[i]) {
        Place::Installed(rest)
    } else {
        Place::Stdlib(rest)
    }
}

/// True for an absolute path, POSIX (`/x`), UNC or rooted (`\\x`) or with a drive (`C:\x`).
pub fn is_absolute(path: &str) -> bool {
    path.starts_with(['/', '\\']) || path.as_bytes().get(1..3) == Some(b":\\")
}

/// The top-level package of a path below `site-packages` or of a short form: its first part
/// without `.py`.
fn top_package(rest: &str) -> &str {
    let top = rest.split(['/', '\\']).next().unwrap_or(rest);
    top.strip_suffix(".py").unwrap_or(top)
}

/// The category of a file at `place`, `None` for the user's own code ([`Place::Own`]): each
/// reader knows what its own paths mean there.
pub fn place_category(place: Place<'_>, first_party: &[String]) -> Option<Category> {
    match place {
        Place::Installed(rest) if first_party.iter().any(|p| p == top_package(rest)) => {
            Some(Category::FirstParty)
        }
        Place::Installed(_) => Some(Category::SitePackages),
        Place::Stdlib(_) | Place::Frozen => Some(Category::Stdlib),
        Place::Special => Some(Category::Other),
        Place::Own => None,
    }
}

/// Colour class of a module name (`json.decoder`): `--first-party` packages, the standard
/// library, tests, or else installed.
pub fn module_category(name: &str, first_party: &[String]) -> Category {
    let top = name.split('.').next().unwrap_or(name);
    known_module(top, first_party).unwrap_or(
        if top == "conftest" || top == "tests" || top == "test" || top.starts_with("test_") {
            Category::FirstParty
        } else {
            Category::SitePackages
        },
    )
}

/// The category a top-level module name alone decides: `--first-party` first, then the stdlib.
fn known_module(top: &str, first_party: &[String]) -> Option<Category> {
    if first_party.iter().any(|p| p == top) {
        Some(Category::FirstParty)
    } else if is_stdlib_module(top) {
        Some(Category::Stdlib)
    } else {
        None
    }
}

/// The file part of a frame as py-spy shows it: the path below `site-packages` or below the
/// stdlib's `lib/pythonX.Y`, else the base name. With `--full-paths` the path is kept whole.
/// CPython 3.15 and py-spy's JSON and speedscope outputs carry absolute paths; shortening them
/// makes their frames equal to the ones of py-spy's text output.
pub fn short_path<'a>(path: &'a str, opts: &ParseOptions) -> &'a str {
    if opts.full_paths {
        return path;
    }
    match place(path) {
        Place::Installed(rest) | Place::Stdlib(rest) => rest,
        Place::Frozen | Place::Special => path,
        Place::Own => path.rsplit(['/', '\\']).next().unwrap_or(path),
    }
}

/// A frame label in py-spy's form: `name (file:line)`, `name (file)` when the line is unknown
/// (0 or absent), just `name` when there is no file. The file `~` is pstats' mark of a special
/// frame (`('~', 0, '<GC>')`, FORMATS.md §5): CPython's own outputs show just the name.
pub fn label(name: &str, file: Option<&str>, line: Option<i64>) -> String {
    let name = if name.is_empty() { "<unknown>" } else { name };
    let file = file.filter(|f| *f != "~");
    match (file, line) {
        (Some(f), Some(l)) if !f.is_empty() && l != 0 => format!("{name} ({f}:{l})"),
        (Some(f), _) if !f.is_empty() => format!("{name} ({f})"),
        _ => name.to_string(),
    }
}

/// The label of a frame of a sampling profiler: [`label`] without the line, unless
/// [`ParseOptions::keep_lines`]. A sample carries the line that was executing, so without this a
/// function sampled at lines 8 and 9 would be two frames side by side (as 3.15's pstats keys
/// would, see the pstats reader, which merges them the same way).
pub fn sampled_label(
    name: &str,
    file: Option<&str>,
    line: Option<i64>,
    opts: &ParseOptions,
) -> String {
    label(name, file, line.filter(|_| opts.keep_lines))
}

/// [`sampled_label`] for a label already in py-spy's form: `_is_prime (shop/pricing.py:8)`
/// becomes `_is_prime (shop/pricing.py)`, unless [`ParseOptions::keep_lines`]. Labels without a
/// `:LINE` location are returned as they are.
pub fn merge_line<'a>(frame: &'a str, opts: &ParseOptions) -> Cow<'a, str> {
    if opts.keep_lines {
        return Cow::Borrowed(frame);
    }
    let (name, Some(location)) = split_label(frame) else {
        return Cow::Borrowed(frame);
    };
    let file = location_file(location);
    if file.len() == location.len() {
        return Cow::Borrowed(frame);
    }
    Cow::Owned(format!("{name} ({file})"))
}

/// Splits a py-spy frame label into name and location (FORMATS.md §3.3): the location is what
/// follows the last ` (` when the label ends with `)`. Returns the label itself and no location
/// otherwise.
pub fn split_label(label: &str) -> (&str, Option<&str>) {
    if let Some(body) = label.strip_suffix(')')
        && let Some(i) = body.rfind(" (")
    {
        return (&body[..i], Some(&body[i + 2..]));
    }
    (label, None)
}

/// The file of a location `FILE:LINE` or `FILE`: the line is split at the last `:` only when
/// digits follow, so `C:\x.py:3` and `libc.so.6` both work.
pub fn location_file(location: &str) -> &str {
    match location.rsplit_once(':') {
        Some((file, line))
            if !line.is_empty()
                && line
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
        {
            file
        }
        _ => location,
    }
}

/// True for a shared library or C source file rather than Python code: `libc.so.6`,
/// `libpython3.11.so.1.0`, `_hashopenssl.c`, `python3.dll`.
fn is_native_file(file: &str) -> bool {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    base.contains(".so")
        || base.ends_with(".dll")
        || base.ends_with(".pyd")
        || base.ends_with(".dylib")
        || base.ends_with(".c")
        || base.ends_with(".h")
        || base.ends_with(".cc")
        || base.ends_with(".cpp")
        || base.ends_with(".rs")
}

/// The category of a Python frame from its function name and file (short or full path).
pub fn category(name: &str, file: Option<&str>, opts: &ParseOptions) -> Category {
    if name.starts_with("0x") && name.len() > 2 && name[2..].bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Category::Native;
    }
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return if name.starts_with('<') && name.ends_with('>') {
            Category::Builtin
        } else {
            Category::Other
        };
    };
    if is_native_file(file) {
        return Category::Native;
    }
    if let Some(category) = place_category(place(file), &opts.first_party) {
        return category;
    }
    if is_absolute(file) {
        return Category::FirstParty;
    }
    // py-spy's short form (`requests/api.py`, `threading.py`): the name says what it can.
    known_module(top_package(file), &opts.first_party).unwrap_or(Category::FirstParty)
}

/// The category of a label already in py-spy's form.
pub fn category_of_label(label: &str, opts: &ParseOptions) -> Category {
    let (name, location) = split_label(label);
    category(name, location.map(location_file), opts)
}

/// The root frame of a thread: `thread (TID) "NAME"`, or `thread (TID)` when it has no name.
/// The TID is in parentheses as in py-spy's `--threads` frames: a label ending in ` <digits>`
/// would be read back as a differential count, and [`crate::model::clean_label`] would append
/// a `_` to it.
pub fn thread_label(tid: &str, name: Option<&str>) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(n) => format!("thread ({tid}) \"{n}\""),
        None => format!("thread ({tid})"),
    }
}

/// The root frame of a process: `process (PID) "CMDLINE"`, or `process (PID)` when the
/// command line is unknown (py-spy's JSON dump does not carry it).
pub fn process_label(pid: &str, cmdline: Option<&str>) -> String {
    match cmdline.filter(|c| !c.is_empty()) {
        Some(c) => format!("process ({pid}) \"{c}\""),
        None => format!("process ({pid})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shortened_like_py_spy() {
        let opts = ParseOptions::default();
        for (input, expected) in [
            ("/usr/lib/python3.11/json/encoder.py", "json/encoder.py"),
            ("/usr/local/lib/python3.11/threading.py", "threading.py"),
            (
                "/v/lib/python3.11/site-packages/numpy/core/x.py",
                "numpy/core/x.py",
            ),
            ("/home/user/busy.py", "busy.py"),
            ("busy.py", "busy.py"),
            ("<frozen runpy>", "<frozen runpy>"),
            ("C:\\app\\main.py", "main.py"),
            ("C:\\Python311\\Lib\\json\\encoder.py", "json\\encoder.py"),
            ("/usr/lib/python3.13t/json/x.py", "json/x.py"),
            ("/home/u/python3.x/app.py", "app.py"),
        ] {
            assert_eq!(short_path(input, &opts), expected, "{input}");
        }
    }

    #[test]
    fn labels_split_and_categorise() {
        let opts = ParseOptions::default();
        for (input, expected) in [
            ("Thread.run (threading.py:982)", Category::Stdlib),
            ("0x7f89062a3f16 (libc.so.6)", Category::Native),
            ("thread_run (libpython3.11.so.1.0)", Category::Native),
            ("EVP_digest_impl (_hashopenssl.c:524)", Category::Native),
            ("main (busy.py:20)", Category::FirstParty),
            ("get (requests/api.py:73)", Category::FirstParty),
            (
                "get (/v/lib/python3.11/site-packages/requests/api.py:73)",
                Category::SitePackages,
            ),
            (
                "Thread.run (/usr/lib/python3.11/threading.py:982)",
                Category::Stdlib,
            ),
            (
                "_find_and_load (<frozen importlib._bootstrap>:1176)",
                Category::Stdlib,
            ),
            ("<module> (<string>:1)", Category::Other),
            ("<GC>", Category::Builtin),
        ] {
            assert_eq!(category_of_label(input, &opts), expected, "{input}");
        }
    }

    #[test]
    fn a_functions_lines_merge_unless_keep_lines() {
        let opts = ParseOptions::default();
        for (input, expected) in [
            (
                "_is_prime (shop/pricing.py:8)",
                "_is_prime (shop/pricing.py)",
            ),
            ("f (C:\\a.py:3)", "f (C:\\a.py)"),
            ("0x7f (libc.so.6)", "0x7f (libc.so.6)"),
            ("<module> (a.py)", "<module> (a.py)"),
            ("thread (5): main", "thread (5): main"),
            ("plain", "plain"),
        ] {
            assert_eq!(merge_line(input, &opts), expected, "{input}");
        }
        let keep = ParseOptions {
            keep_lines: true,
            ..ParseOptions::default()
        };
        assert_eq!(merge_line("f (a.py:8)", &keep), "f (a.py:8)");
        assert_eq!(sampled_label("f", Some("a.py"), Some(8), &opts), "f (a.py)");
        assert_eq!(
            sampled_label("f", Some("a.py"), Some(8), &keep),
            "f (a.py:8)"
        );
    }

    #[test]
    fn labels_are_built_like_py_spy() {
        assert_eq!(label("f", Some("a.py"), Some(3)), "f (a.py:3)");
        assert_eq!(label("f", Some("libc.so.6"), Some(0)), "f (libc.so.6)");
        assert_eq!(label("f", None, Some(3)), "f");
        assert_eq!(label("f", Some("a.py"), Some(-1)), "f (a.py:-1)");
        assert_eq!(label("<GC>", Some("~"), Some(0)), "<GC>");
    }

    /// `C:\Python311\Lib\json\decoder.py` was stdlib `json\decoder.py` in a py-spy frame but
    /// first-party with its whole path in a pstats frame: both now ask [`place`].
    #[test]
    fn a_windows_stdlib_path_names_the_same_frame_in_every_reader() {
        let o = ParseOptions::default();
        let file = "C:\\Python311\\Lib\\json\\decoder.py";
        assert_eq!(place(file), Place::Stdlib("json\\decoder.py"));
        let pyspy = label("decode", Some(short_path(file, &o)), Some(332));
        let pyspy_category = category("decode", Some(file), &o);
        let pstats = crate::input::pstats::frame_label(file, 332, "decode", false, &o);
        assert_eq!(pyspy, "decode (json\\decoder.py:332)");
        assert_eq!(pyspy_category, Category::Stdlib);
        assert_eq!(pstats, (pyspy, pyspy_category));
    }

    #[test]
    fn places_are_read_from_posix_and_windows_paths() {
        for (path, expected) in [
            (
                "/usr/lib/python3.11/json/decoder.py",
                Place::Stdlib("json/decoder.py"),
            ),
            ("/usr/lib64/python2.7/os.py", Place::Stdlib("os.py")),
            (
                "/opt/lib/python3.13t/re/__init__.py",
                Place::Stdlib("re/__init__.py"),
            ),
            ("C:\\Python311\\Lib\\os.py", Place::Stdlib("os.py")),
            (
                "/v/lib/python3.11/site-packages/numpy/core/x.py",
                Place::Installed("numpy/core/x.py"),
            ),
            (
                "C:\\venv\\Lib\\site-packages\\requests\\api.py",
                Place::Installed("requests\\api.py"),
            ),
            (
                "/usr/lib/python3/dist-packages/six.py",
                Place::Installed("six.py"),
            ),
            ("/home/u/python3.x/app.py", Place::Own),
            ("/home/u/site-packages", Place::Own),
            ("app.py", Place::Own),
            ("<frozen runpy>", Place::Frozen),
            ("<string>", Place::Special),
        ] {
            assert_eq!(place(path), expected, "{path}");
        }
    }

    #[test]
    fn first_party_packages_win_wherever_they_are_installed() {
        let mine = ParseOptions {
            first_party: vec!["requests".into()],
            ..ParseOptions::default()
        };
        let file = "/v/lib/python3.11/site-packages/requests/api.py";
        assert_eq!(category("get", Some(file), &mine), Category::FirstParty);
        assert_eq!(
            category("get", Some("requests/api.py"), &mine),
            Category::FirstParty
        );
        assert_eq!(
            crate::input::pstats::frame_label(file, 1, "get", false, &mine).1,
            Category::FirstParty
        );
        assert_eq!(
            module_category("requests.api", &mine.first_party),
            Category::FirstParty
        );
        assert_eq!(module_category("requests.api", &[]), Category::SitePackages);
        assert_eq!(module_category("json.decoder", &[]), Category::Stdlib);
        assert_eq!(module_category("conftest", &[]), Category::FirstParty);
    }
}
