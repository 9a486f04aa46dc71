//! `python -m profiling.sampling dump -a PID` (FORMATS.md §5): one block per thread, root
//! first (the reverse of py-spy), traceback style, the source line under each frame:
//!
//! ```text
//! Stack dump for PID 2169, thread 2179 (on CPU; most recent call last):
//!   File "/home/u/prj/app/spy_threads.py", line 57, in pool_task
//!     return len(hash_chain(bytes([i]), 200000))
//! Stack dump, thread 2178 (has GIL, on CPU; most recent call last):
//! ```
//!
//! Each block is one sample under `process (PID)` and `thread (TID) [STATUS]`: the status is
//! part of the thread frame here, as printed. Threads whose status has an `idle` part
//! (`idle`, `main thread, idle`) are left out unless `--idle`, and kept when every thread
//! is idle, as for py-spy dumps. Source lines are context, not frames.

use crate::error::{Error, Position, Result};
use crate::input::pyspy::{ALL_IDLE, IDLE_SKIPPED, UNKNOWN_LINE};
use crate::input::{ParseOptions, folded, pyframe, text};
use crate::model::{Category, InputKind, Profile, Unit};

/// A `Stack dump` header line within the first lines.
pub fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    text::lines(head)
        .take(50)
        .any(|(_, l)| parse_header(&String::from_utf8_lossy(&l)).is_some())
}

/// `Stack dump for PID 2169, thread 2179 (on CPU; most recent call last):` ->
/// (pid, tid, status).
fn parse_header(line: &str) -> Option<(Option<&str>, &str, &str)> {
    let rest = line.strip_prefix("Stack dump")?;
    let (pid, rest) = match rest.strip_prefix(" for PID ") {
        Some(r) => {
            let (pid, r) = r.split_once(',')?;
            (Some(pid.trim()), r)
        }
        None => (None, rest.strip_prefix(',')?),
    };
    let rest = rest.trim_start().strip_prefix("thread ")?;
    let (tid, rest) = rest.split_once(" (")?;
    let status = rest
        .strip_suffix("):")?
        .trim_end_matches("most recent call last")
        .trim_end_matches([';', ' ']);
    Some((pid, tid, status))
}

/// `  File "/x/threading.py", line 1181, in Thread._bootstrap` -> (file, line, name).
fn parse_file_line(line: &str) -> Option<(&str, i64, &str)> {
    let rest = line.strip_prefix("  File \"")?;
    let (file, rest) = rest.rsplit_once("\", line ")?;
    let (number, name) = rest.split_once(", in ")?;
    Some((file, number.trim().parse().ok()?, name))
}

struct Block {
    process: String,
    thread: String,
    idle: bool,
    frames: Vec<(String, Category)>,
    at: Position,
}

/// Parses `dump` output.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
    let mut blocks: Vec<Block> = Vec::new();
    let mut pid = "?".to_string();
    for (number, line) in text::lines(data) {
        let at = Position::Line(number);
        let line = String::from_utf8_lossy(&line);
        if let Some((p, tid, status)) = parse_header(&line) {
            if let Some(p) = p {
                pid = p.to_string();
            }
            blocks.push(Block {
                process: pyframe::process_label(&pid, None),
                thread: format!("{} [{status}]", pyframe::thread_label(tid, None)),
                idle: status.split(',').any(|s| s.trim() == "idle"),
                frames: Vec::new(),
                at,
            });
            continue;
        }
        if let Some((file, number, name)) = parse_file_line(&line) {
            match blocks.last_mut() {
                Some(b) => {
                    let short = pyframe::short_path(file, opts);
                    let category = pyframe::category(name, Some(file), opts);
                    b.frames.push((
                        pyframe::sampled_label(name, Some(short), Some(number), opts),
                        category,
                    ));
                }
                None => profile.diagnostics.note(UNKNOWN_LINE, at),
            }
            continue;
        }
        let context = line.starts_with("    ") && !blocks.is_empty();
        if !(context || line.trim().is_empty()) {
            profile.diagnostics.note(UNKNOWN_LINE, at);
        }
    }
    if blocks.is_empty() {
        return Err(Error::no_data(
            "no `Stack dump` blocks found (expected `python -m profiling.sampling dump` output)",
        ));
    }
    let all_idle = blocks.iter().all(|b| b.idle);
    let mut ids = Vec::new();
    for b in blocks {
        if b.idle && !opts.idle {
            if !all_idle {
                profile.diagnostics.note(IDLE_SKIPPED, b.at);
                continue;
            }
            profile.diagnostics.note(ALL_IDLE, b.at);
        }
        ids.clear();
        ids.push(profile.frames.intern(&b.process, Category::Synthetic));
        ids.push(profile.frames.intern(&b.thread, Category::Synthetic));
        for (label, category) in &b.frames {
            ids.push(profile.frames.intern(label, *category));
        }
        profile.push_stack(&ids, 1, 0);
    }
    let total = folded::checked_total(&profile)?;
    profile.facts.insert("samples", total);
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        for (input, expected) in [
            (
                "Stack dump for PID 2169, thread 2179 (on CPU; most recent call last):",
                Some((Some("2169"), "2179", "on CPU")),
            ),
            (
                "Stack dump, thread 2169 (main thread, idle; most recent call last):",
                Some((None, "2169", "main thread, idle")),
            ),
            ("Stack dump of nothing", None),
        ] {
            assert_eq!(parse_header(input), expected, "{input}");
        }
    }

    #[test]
    fn file_lines() {
        for (input, expected) in [
            (
                "  File \"/x/threading.py\", line 1181, in Thread._bootstrap",
                Some(("/x/threading.py", 1181, "Thread._bootstrap")),
            ),
            ("    self._bootstrap_inner()", None),
        ] {
            assert_eq!(parse_file_line(input), expected, "{input}");
        }
    }
}
