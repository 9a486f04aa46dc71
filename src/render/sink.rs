//! Where output goes: stdout, or a file replaced atomically, so a failed run never leaves half
//! an artifact (STYLE.md habit 8). What is not a regular file (`/dev/null`, a FIFO, a
//! process substitution's `/dev/fd/N`) is written in place: renaming over it replaced the
//! device node `/dev/null` itself with a regular file (as root, where `/dev` is writable),
//! and every later reader of `/dev/null` read our output back. A symbolic link is followed,
//! so the file it names is replaced and the link stays.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[cfg(unix)]
use super::interrupt;
use super::writeback::Writeback;
use crate::error::{Error, Result};

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
/// instead of the temporary file's 0600. A path that names something other than a regular
/// file or a directory (a device, a FIFO, a socket) is opened and written in place instead,
/// and a symbolic link is replaced by way of the file it names (see the module doc).
pub fn replace_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let name = path.display().to_string();
    if let Ok(meta) = fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        return write_in_place(path, &name, body);
    }
    let target;
    let path = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            // A dangling link has no file to resolve: its own place is replaced then.
            target = fs::canonicalize(path).ok();
            target.as_deref().unwrap_or(path)
        }
        _ => path,
    };
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
    let mut out = BufWriter::with_capacity(1 << 16, Writeback::new(tmp.as_file()));
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

/// Writes `body` straight into `path`, a device or a FIFO that cannot be replaced.
fn write_in_place(
    path: &Path,
    name: &str,
    body: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::from(e).in_input(name))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    body(&mut out)?;
    out.flush().map_err(|e| Error::from(e).in_input(name))?;
    Ok(())
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
