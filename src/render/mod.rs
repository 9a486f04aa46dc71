//! Output: one module per format, and the [`Sink`] they write to (stdout, or a file replaced
//! atomically so a failed run never leaves half an artifact).

pub mod folded;
pub mod html;
pub mod json;
pub mod speedscope;
pub mod svg;
pub mod table;
pub mod verdicts;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostics;
use crate::error::{Error, Result};
use crate::fold::Folded;
use crate::model::{InputKind, Unit};

/// The output formats of `-f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Interactive flame graph.
    Svg,
    /// An HTML page holding the interactive flame graph.
    Html,
    /// Collapsed stacks.
    Folded,
    /// Machine-readable tree, table and diagnostics.
    Json,
    /// A file speedscope.app opens.
    Speedscope,
    /// Top-N table for the terminal.
    Text,
    /// Top-N table as GitHub-flavoured Markdown.
    Markdown,
}

impl OutputFormat {
    /// The extensions [`from_extension`](Self::from_extension) knows, for messages.
    pub const EXTENSIONS: &'static str =
        ".svg, .html, .folded, .txt (text table), .json, .speedscope.json, .md";

    /// The format an output file name implies (`.svg`, `.html`, `.folded`, `.txt` for the
    /// text table, `.json`, `.speedscope.json`, `.md`).
    pub fn from_extension(path: &Path) -> Option<OutputFormat> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".speedscope.json") {
            return Some(OutputFormat::Speedscope);
        }
        let ext = name.rsplit('.').next()?;
        match ext {
            "svg" => Some(OutputFormat::Svg),
            "html" | "htm" => Some(OutputFormat::Html),
            "folded" => Some(OutputFormat::Folded),
            "txt" => Some(OutputFormat::Text),
            "json" => Some(OutputFormat::Json),
            "md" | "markdown" => Some(OutputFormat::Markdown),
            _ => None,
        }
    }
}

/// What one input contributed, for titles, JSON and diagnostics.
#[derive(Clone, Debug)]
pub struct InputSummary {
    /// Input name as given.
    pub name: String,
    /// Which parser read it.
    pub kind: InputKind,
    /// Named facts (`modules`, `reports`, ...).
    pub facts: std::collections::BTreeMap<&'static str, u64>,
    /// What was skipped, repaired or guessed.
    pub diagnostics: Diagnostics,
}

/// How the SVG looks.
#[derive(Clone, Debug, Default)]
pub struct SvgOptions {
    /// Title; a descriptive one is made when `None`.
    pub title: Option<String>,
    /// Subtitle; a summary of the diagnostics when `None`.
    pub subtitle: Option<String>,
    /// Image width in pixels (default 1200).
    pub width: Option<usize>,
    /// Frames narrower than this percent of the width are left out (default 0.1).
    pub min_width: Option<f64>,
    /// Time in input order instead of merged by name.
    pub flamechart: bool,
    /// Icicle: roots at the top.
    pub inverted: bool,
    /// Bottom-up: each stack drawn leaf first (inferno's reversed stack order).
    pub reverse: bool,
}

/// Everything a renderer may show.
pub struct Report<'a> {
    /// The stacks.
    pub folded: &'a Folded,
    /// Per-input summaries, in input order.
    pub inputs: &'a [InputSummary],
    /// SVG look.
    pub svg: &'a SvgOptions,
    /// Rows in tables.
    pub top: usize,
}

/// Writes `report` in `format`.
pub fn render(report: &Report<'_>, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        OutputFormat::Svg => svg::write(report, out),
        OutputFormat::Html => html::write(report, out),
        OutputFormat::Folded => folded::write(report.folded, out),
        OutputFormat::Json => json::write(report, out),
        OutputFormat::Speedscope => speedscope::write(report, out),
        OutputFormat::Text => table::write_text(report, out),
        OutputFormat::Markdown => table::write_markdown(report, out),
    }
}

/// Formats a weight for people: `850 µs`, `12.3 ms`, `1.25 s`, or `1,234 samples`.
pub fn human(weight: u64, unit: Unit) -> String {
    match unit {
        Unit::Microseconds => human_us(weight),
        Unit::Samples if weight == 1 => "1 sample".to_string(),
        Unit::Samples => format!("{} samples", thousands(weight)),
    }
}

/// `850 µs`, `12.3 ms`, `1.25 s`.
pub fn human_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where output goes: stdout, or a file that is replaced only when everything succeeded.
pub enum Sink {
    /// Standard output.
    Stdout,
    /// A file path, written through a temporary file in the same directory.
    File(PathBuf),
}

impl Sink {
    /// Runs `body` against the sink. For a file, `body` writes to a temporary file that
    /// replaces the target only on success; on error it is removed and the old file stays.
    pub fn write_with(&self, body: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        match self {
            Sink::Stdout => {
                let stdout = io::stdout();
                let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
                body(&mut out)?;
                out.flush()?;
                Ok(())
            }
            Sink::File(path) => replace_file(path, body),
        }
    }
}

/// Writes `path` atomically: a temporary file next to it, flushed and synced, then renamed.
/// The replaced file's permissions are kept; a new file gets the usual 0644-style mode
/// instead of the temporary file's 0600.
pub fn replace_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let name = path.display().to_string();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if path.is_dir() {
        return Err(Error::usage("output is a directory").in_input(&name));
    }
    #[cfg(unix)]
    let armed = interrupt::RemoveOnSignal::new();
    // The name is registered for removal before the file exists, so no signal can find the
    // file there but not its name.
    let tmp = tempfile::Builder::new()
        .prefix(".importflame-")
        .suffix(".tmp")
        .make_in(dir, |path| {
            #[cfg(unix)]
            armed.set(path);
            create_private(path)
        })
        .map_err(|e| Error::from(e).in_input(&name))?;
    let mut out = BufWriter::with_capacity(1 << 16, tmp.as_file());
    body(&mut out)?;
    out.flush().map_err(|e| Error::from(e).in_input(&name))?;
    drop(out);
    let permissions = match fs::metadata(path) {
        Ok(meta) => meta.permissions(),
        Err(_) => default_permissions(tmp.as_file())?,
    };
    tmp.as_file()
        .set_permissions(permissions)
        .map_err(|e| Error::from(e).in_input(&name))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::from(e).in_input(&name))?;
    tmp.persist(path)
        .map_err(|e| Error::from(e.error).in_input(&name))?;
    Ok(())
}

/// `tempfile` removes the temporary `-o` file when it is dropped, which a signal skips: Ctrl-C
/// while a large graph is written would leave `.importflame-XXXX.tmp` next to the output. While
/// a temporary file exists, SIGINT, SIGTERM and SIGHUP first unlink it (async-signal-safe),
/// then the signal's default action runs again, so the process still dies of the signal and
/// the shell sees an interrupt. Plain `libc::signal` is enough here (no new dependency: libc is
/// already built for tempfile); the `ctrlc` crate would add a thread and a pipe for the same.
#[cfg(unix)]
mod interrupt {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::ptr;
    use std::sync::Once;
    use std::sync::atomic::{AtomicPtr, Ordering};

    /// The temporary file to remove, as a C string; null when there is none. Whoever swaps the
    /// pointer out (the handler, or the guard's drop) owns it, so it is freed exactly once.
    static TEMP: AtomicPtr<libc::c_char> = AtomicPtr::new(ptr::null_mut());

    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    extern "C" fn on_signal(signal: libc::c_int) {
        let path = TEMP.swap(ptr::null_mut(), Ordering::SeqCst);
        // SAFETY: unlink, signal and raise are async-signal-safe; `path` came from
        // `CString::into_raw` and nobody else can free it once swapped out here.
        unsafe {
            if !path.is_null() {
                libc::unlink(path);
            }
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }

    fn install() {
        for signal in SIGNALS {
            let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: installing a handler that only calls async-signal-safe functions; a
            // signal the parent set to be ignored (`nohup`, background jobs) stays ignored.
            unsafe {
                if libc::signal(signal, handler) == libc::SIG_IGN {
                    libc::signal(signal, libc::SIG_IGN);
                }
            }
        }
    }

    /// While alive, a terminating signal removes the file at the path last [`set`] first.
    ///
    /// [`set`]: RemoveOnSignal::set
    pub struct RemoveOnSignal;

    impl RemoveOnSignal {
        /// Installs the handlers (once per process).
        pub fn new() -> RemoveOnSignal {
            static INSTALL: Once = Once::new();
            INSTALL.call_once(install);
            RemoveOnSignal
        }

        /// The file to remove from now on.
        pub fn set(&self, path: &Path) {
            if let Ok(path) = CString::new(path.as_os_str().as_bytes()) {
                free(TEMP.swap(path.into_raw(), Ordering::SeqCst));
            }
        }
    }

    impl Drop for RemoveOnSignal {
        fn drop(&mut self) {
            free(TEMP.swap(ptr::null_mut(), Ordering::SeqCst));
        }
    }

    fn free(path: *mut libc::c_char) {
        if !path.is_null() {
            // SAFETY: `path` came from `CString::into_raw` and was swapped out of TEMP, so
            // this is its only owner.
            drop(unsafe { CString::from_raw(path) });
        }
    }
}

/// A new file only its owner can read, as `tempfile` makes them.
fn create_private(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(unix)]
fn default_permissions(_file: &fs::File) -> Result<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(file: &fs::File) -> Result<fs::Permissions> {
    Ok(file.metadata()?.permissions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_read_as_people_write_them() {
        for (us, expected) in [
            (0, "0 µs"),
            (850, "850 µs"),
            (12_345, "12.3 ms"),
            (1_250_000, "1.25 s"),
        ] {
            assert_eq!(human_us(us), expected);
        }
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }

    #[test]
    fn the_output_extension_picks_the_format() {
        for (name, expected) in [
            ("a.svg", Some(OutputFormat::Svg)),
            ("a.folded", Some(OutputFormat::Folded)),
            ("a.txt", Some(OutputFormat::Text)),
            ("a.html", Some(OutputFormat::Html)),
            ("a.json", Some(OutputFormat::Json)),
            ("a.speedscope.json", Some(OutputFormat::Speedscope)),
            ("a.md", Some(OutputFormat::Markdown)),
            ("a", None),
        ] {
            assert_eq!(OutputFormat::from_extension(Path::new(name)), expected);
        }
    }
}
