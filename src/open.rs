//! `--open`: show the written graph in the default browser.
//!
//! The platform's own opener does it (`open` on macOS, `start` on Windows, `xdg-open`
//! elsewhere); `IMPORTFLAME_OPENER` names another program (a browser, or a test's fake). The
//! opener is waited for, so no zombie is left; a failure is a warning, never an exit status,
//! because the graph itself was written.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

/// The environment variable naming the program that opens a graph.
pub const OPENER_VAR: &str = "IMPORTFLAME_OPENER";

/// Opens `path` in the default viewer; the error says what was tried.
pub fn open(path: &Path) -> Result<(), String> {
    let (program, mut args) = opener();
    args.push(path.as_os_str().to_owned());
    let shown = program.to_string_lossy().into_owned();
    let status = Command::new(&program)
        .args(&args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {shown} to open {}: {e}", path.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} could not open {} ({status}); set {OPENER_VAR} to a browser",
            path.display()
        ))
    }
}

/// The program and its leading arguments.
fn opener() -> (OsString, Vec<OsString>) {
    if let Some(program) = std::env::var_os(OPENER_VAR).filter(|p| !p.is_empty()) {
        return (program, Vec::new());
    }
    if cfg!(target_os = "macos") {
        ("open".into(), Vec::new())
    } else if cfg!(windows) {
        // `start` is a cmd built-in; its first quoted argument is a window title.
        ("cmd".into(), vec!["/C".into(), "start".into(), "".into()])
    } else {
        ("xdg-open".into(), Vec::new())
    }
}
