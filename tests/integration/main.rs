//! Every integration test in one binary (as ripgrep does): the crate and the test helpers are
//! linked once instead of once per file. Each module is one area; run one with
//! `cargo test --test integration cli::`.
//!
//! Snapshots live in the top-level `snapshots/` folder; the modules set insta's snapshot path
//! to `../../snapshots` and do not prepend the module path, so snapshot names stay what they
//! were when each file was its own binary.

mod common;

mod browser;
mod cli;
mod compare;
mod defaults;
mod errors;
mod filters;
mod hostile;
mod importtime;
mod outputs;
mod parallel;
mod producers;
mod prune;
mod pstats;
mod pyspy;
mod recipe;
mod run;
mod streaming;
mod svg;
mod wheel;
