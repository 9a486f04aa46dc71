//! `--collapsed` (FORMATS.md §5): folded stacks, every one rooted at `tid:N`, frames
//! `basename:qualname:line` (line may be `-1`; a bare `<GC>` frame can be a leaf):
//!
//! ```text
//! tid:2162;threading.py:Thread._bootstrap:1181;threading.py:Thread.run:1161;spy_threads.py:sleeper:34 2882
//! ```
//!
//! Read with the folded reader; `tid:N` becomes `thread (N)` and a frame becomes
//! `qualname (basename:line)`. Counts are kept as they are.

use std::borrow::Cow;
use std::io::Read;

use crate::error::Result;
use crate::input::{ParseOptions, folded, pyframe, stream, text};
use crate::model::{Category, InputKind, Profile, Unit};

/// The first non-empty line starts with `tid:DIGITS;` (or is `tid:N COUNT`).
pub fn sniff(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    let Some((_, line)) = text::lines(head).find(|(_, l)| !l.trim_ascii().is_empty()) else {
        return false;
    };
    let Some(rest) = line.strip_prefix(b"tid:") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && matches!(rest.get(digits), Some(b';' | b' ' | b'\t')) && folded::sniff(head)
}

/// Parses `--collapsed` output.
pub fn parse(data: &[u8], opts: &ParseOptions) -> Result<Profile> {
    read(opts, |profile, folder| {
        for (number, line) in text::lines(data) {
            folder.line(profile, number, &line)?;
        }
        Ok(())
    })
}

/// [`parse`] of the text `reader` yields, read a chunk at a time.
pub fn parse_reader(reader: impl Read, opts: &ParseOptions) -> Result<Profile> {
    read(opts, |profile, folder| {
        stream::each_line(reader, |number, line| folder.line(profile, number, line))
    })
}

/// Reads the lines `feed` gives a [`folded::Folder`] that renames 3.15's frames.
fn read(
    opts: &ParseOptions,
    feed: impl FnOnce(&mut Profile, &mut folded::Folder<'_, '_>) -> Result<()>,
) -> Result<Profile> {
    let mut profile = Profile::new(InputKind::Tachyon, Unit::Samples);
    let mut raw = 0u64;
    let mapper: &mut folded::FrameMapper<'_> = &mut |frame, index| {
        if index == 0
            && let Some(tid) = frame.strip_prefix("tid:")
            && !tid.is_empty()
            && tid.bytes().all(|b| b.is_ascii_digit())
        {
            return (
                Cow::Owned(pyframe::thread_label(tid, None)),
                Category::Synthetic,
            );
        }
        match split_frame(frame) {
            Some((file, name, line)) => {
                let category = pyframe::category(name, Some(file), opts);
                (
                    Cow::Owned(pyframe::sampled_label(name, Some(file), Some(line), opts)),
                    category,
                )
            }
            None => {
                if !(frame.starts_with('<') && frame.ends_with('>')) {
                    raw += 1;
                }
                (Cow::Borrowed(frame), pyframe::category(frame, None, opts))
            }
        }
    };
    let mut folder = folded::Folder::new(mapper, false, opts);
    feed(&mut profile, &mut folder)?;
    folder.finish(&mut profile)?;
    profile.diagnostics.note_many(super::RAW_FRAME, raw, None);
    Ok(profile)
}

/// `threading.py:Thread.run:1161` -> (file, qualname, line); the line may be `-1`.
pub(crate) fn split_frame(frame: &str) -> Option<(&str, &str, i64)> {
    let (rest, line) = frame.rsplit_once(':')?;
    let line: i64 = line.parse().ok()?;
    let (file, name) = rest.split_once(':')?;
    (!file.is_empty() && !name.is_empty()).then_some((file, name, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_into_file_name_line() {
        for (input, expected) in [
            (
                "threading.py:Thread.run:1161",
                Some(("threading.py", "Thread.run", 1161)),
            ),
            (
                "<frozen runpy>:_run_module_as_main:201",
                Some(("<frozen runpy>", "_run_module_as_main", 201)),
            ),
            ("__init__:__init__:-1", Some(("__init__", "__init__", -1))),
            ("<GC>", None),
            ("a:b", None),
        ] {
            assert_eq!(split_frame(input), expected, "{input}");
        }
    }
}
