//! CPython 3.15's own sampling profiler, `python -m profiling.sampling` ("Tachyon", PEP 799;
//! FORMATS.md §5). Its `--pstats` output is read by the pstats parser; this module reads the
//! others, each in its own submodule with the usual `sniff` and `parse`:
//!
//! - [`collapsed`]: `--collapsed`, folded stacks rooted at `tid:N`;
//! - [`dump`]: `dump -a PID`, traceback-style blocks, root first;
//! - [`gecko`]: `--gecko`, the Firefox Profiler's processed format;
//! - [`jsonl`]: `--jsonl`, aggregates only: refused with advice;
//! - [`html`]: `--flamegraph`, an HTML page with the tree embedded.
//!
//! Frames are written as py-spy writes them, `qualname (file:line)`, so a 3.15 profile and a
//! py-spy one of the same program share frame names; threads are `thread (TID)` roots.

use crate::diagnostics::IssueKind;

/// Frames this reader could not take apart, kept as printed.
pub const RAW_FRAME: IssueKind = IssueKind {
    id: "tachyon.raw-frame",
    one: "frame not in `file:function:line` form kept as printed",
    many: "frames not in `file:function:line` form kept as printed",
};

pub mod collapsed;
pub mod dump;
pub mod gecko;
pub mod html;
pub mod jsonl;
