//! Helpers shared by the integration tests: running the binary, and a small text report of a
//! parsed sample for snapshots.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use importflame::fold::{self, FoldOptions, Named};
use importflame::input::{self, ParseOptions, Source};
use importflame::model::Profile;

/// Runs the importflame binary with `args`, feeding `stdin` from a thread.
pub fn run(args: &[&str], stdin: Vec<u8>) -> Output {
    run_in(args, stdin, Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Like [`run`], from `dir`.
pub fn run_in(args: &[&str], stdin: Vec<u8>, dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&stdin);
    });
    let out = child.wait_with_output().expect("the binary runs");
    feeder.join().unwrap();
    out
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Parses a sample with default options.
pub fn load(path: &Path) -> Profile {
    load_with(path, &ParseOptions::default())
}

/// Parses a sample.
pub fn load_with(path: &Path, opts: &ParseOptions) -> Profile {
    input::load(&Source::Path(path.to_path_buf()), None, opts)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The folded lines of one profile, through the parallel fold with `jobs` threads.
pub fn folded(profile: &Profile, jobs: usize) -> Vec<(String, u64)> {
    let named = [Named {
        name: "x".into(),
        profile,
    }];
    fold::fold(
        &named,
        &FoldOptions {
            jobs,
            ..FoldOptions::default()
        },
    )
    .unwrap()
    .lines
    .to_vec()
}

/// A readable summary for a snapshot: counts, diagnostics, then every folded line.
pub fn report(path: &Path) -> String {
    report_profile(&load(path))
}

/// The same for an already parsed profile.
pub fn report_profile(profile: &Profile) -> String {
    let lines = folded(profile, 2);
    let mut out = String::new();
    out.push_str(&format!("kind: {}\n", profile.kind.name()));
    out.push_str(&format!("unit: {}\n", profile.unit.name()));
    out.push_str(&format!("reports: {}\n", profile.reports.len()));
    out.push_str(&format!("stacks: {}\n", profile.stack_count()));
    out.push_str(&format!("distinct stacks: {}\n", lines.len()));
    out.push_str(&format!("total: {}\n", profile.total()));
    for (k, v) in &profile.facts {
        out.push_str(&format!("fact {k}: {v}\n"));
    }
    for e in profile.diagnostics.entries() {
        out.push_str(&format!("note: {}\n", e.message()));
    }
    out.push_str("folded:\n");
    for (stack, w) in lines {
        out.push_str(&format!("{stack} {w}\n"));
    }
    out
}

/// The self times of an importtime log's timed rows, read from the text without the parser:
/// `(module name, self time in µs)` for every `import time: SELF | CUMULATIVE | NAME` row
/// (anywhere on its line), in file order. Headers and `cached` rows have no number and are
/// left out; a negative self time is kept as written.
pub fn importtime_rows(path: &Path) -> Vec<(String, i64)> {
    let data = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&data);
    let mut rows = Vec::new();
    for line in text.lines() {
        let Some(at) = line.rfind("import time:") else {
            continue;
        };
        let fields: Vec<&str> = line[at + 12..].split('|').collect();
        if let [self_us, _, name] = fields[..]
            && let Ok(self_us) = self_us.trim().parse::<i64>()
        {
            rows.push((name.trim().to_string(), self_us));
        }
    }
    rows
}

/// The sum of max(self, 0) over [`importtime_rows`]: the total a graph of the log must show.
pub fn importtime_self_total(path: &Path) -> u64 {
    importtime_rows(path)
        .iter()
        .map(|(_, us)| (*us).max(0) as u64)
        .sum()
}

/// Runs `f` with insta writing snapshots to the top-level `snapshots/` folder.
pub fn with_snapshots(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f);
}

/// Peak resident memory of a child: its `VmHWM`, read every millisecond until it exits (a
/// run of a few milliseconds is then read near its end too, not only as it starts).
/// (`wait4`'s `ru_maxrss` would not do: Linux carries the spawning process's peak across
/// `exec`, and this test process is far larger than the child.)
#[cfg(target_os = "linux")]
pub fn peak_rss_of(mut command: Command) -> (std::process::ExitStatus, u64) {
    let mut child = command.spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kib * 1024);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The files of `paths` that read as a profile, with it, in order (READMEs, programs and
/// pstats printouts under `samples/` do not read, and are left out).
pub fn profiles_of(paths: Vec<PathBuf>) -> impl Iterator<Item = (PathBuf, Profile)> {
    paths.into_iter().filter_map(|path| {
        let profile = input::load(&Source::Path(path.clone()), None, &ParseOptions::default());
        profile.ok().map(|profile| (path, profile))
    })
}

/// Asserts that a run exited with status 0, showing its stderr when it did not.
pub fn assert_success(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
