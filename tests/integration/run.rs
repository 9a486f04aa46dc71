//! `importflame run -- COMMAND` (issue 17): the command runs with import timing on, its output
//! passes through minus the rows, its exit status is importflame's, and pytest's fd capture
//! does not swallow the imports of collection.
//!
//! These tests run real Python (`python3`, or `IMPORTFLAME_TEST_PYTHON`); the pytest ones need
//! pytest installed for it: those are `#[ignore]`d, so a plain `cargo test` lists them as
//! ignored instead of passing them, and `.ci/run` installs pytest and runs them; a missing
//! tool fails the test with its name.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{repo, run};

fn python() -> String {
    std::env::var("IMPORTFLAME_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs importflame with `args` in `dir`, stdin closed.
fn importflame_in(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap()
}

/// Checks that `python()` runs and can import `module`; a missing tool fails the test, naming
/// it (the tests that need pytest are ignored unless asked for, as `.ci/run` does).
fn python_with(module: &str) -> bool {
    let ok = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} cannot import {module} (.ci/run installs pytest: python3 -m pip install pytest)",
        python()
    );
    ok
}

fn pytest_available() -> bool {
    python_with("pytest")
}

/// A fresh copy of the small pytest project, so the run writes nothing into the repository.
fn pytest_project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("weatherkit");
    copy_tree(&repo("samples/programs/pytest_small"), &root);
    (dir, root)
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" || name == ".pytest_cache" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(name));
        } else {
            fs::copy(entry.path(), to.join(name)).unwrap();
        }
    }
}

fn folded_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn run_passes_output_through_without_rows_and_exits_with_the_command_status() {
    if !python_with("json") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let py = python();
    let out = importflame_in(
        &[
            "run",
            "-q",
            "-o",
            "g.folded",
            "--",
            &py,
            "-c",
            "import sys, json; print('out'); print('err', file=sys.stderr); sys.exit(3)",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out), "out\n");
    assert_eq!(stderr(&out), "err\n", "only the command's own stderr");
    let lines = folded_lines(&dir.path().join("g.folded"));
    assert!(
        lines.iter().any(|l| l.starts_with("python #1;json ")),
        "{lines:?}"
    );
}

#[test]
fn run_draws_the_imports_of_child_processes_too() {
    if !python_with("json") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let py = python();
    let out = importflame_in(
        &[
            "run",
            "-q",
            "-o",
            "g.folded",
            "--",
            &py,
            "-c",
            "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import decimal'])",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = folded_lines(&dir.path().join("g.folded"));
    assert!(
        lines.iter().any(|l| l.starts_with("python #1;subprocess")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("python #2;decimal")),
        "the child's imports are the second report: {lines:?}"
    );
}

#[test]
fn run_without_an_output_file_writes_importflame_svg_and_names_it() {
    if !python_with("json") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let py = python();
    let out = importflame_in(&["run", "-q", "--", &py, "-c", "import json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "importflame: wrote importflame.svg\n");
    let svg = fs::read_to_string(dir.path().join("importflame.svg")).unwrap();
    assert!(svg.contains("<title>json ("), "the graph holds the import");
}

#[test]
fn repeat_runs_the_command_n_times_and_takes_the_median() {
    if !python_with("json") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let py = python();
    let out = importflame_in(
        &[
            "run",
            "--repeat",
            "3",
            "-q",
            "-o",
            "g.json",
            "--",
            &py,
            "-c",
            "import json; print('ran')",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ran\nran\nran\n");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("g.json")).unwrap()).unwrap();
    assert_eq!(json["inputs"][0]["facts"]["reports"], 3);
    // Combined as runs: one tree, no `python #N` report roots.
    let frames = json["frames"].as_array().unwrap();
    assert!(frames.iter().any(|f| f["name"] == "json"));
    assert!(
        !frames.iter().any(|f| f["name"] == "python #1"),
        "{frames:?}"
    );
}

#[test]
fn a_missing_command_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = importflame_in(&["run", "--", "no-such-program-17"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "importflame: cannot run no-such-program-17: command not found\n"
    );
}

#[cfg(unix)]
#[test]
fn a_command_without_python_keeps_its_status_and_says_no_graph_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let failed = importflame_in(&["run", "--", "sh", "-c", "exit 4"], dir.path());
    assert_eq!(failed.status.code(), Some(4));
    assert!(
        stderr(&failed).contains("printed no \"import time:\" rows: no graph written"),
        "{}",
        stderr(&failed)
    );
    let fine = importflame_in(&["run", "--", "true"], dir.path());
    assert_eq!(fine.status.code(), Some(2), "nothing to draw is an error");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[ignore = "needs pytest; .ci/run runs it"]
#[test]
fn run_python_m_pytest_draws_the_test_modules_imports() {
    if !pytest_available() {
        return;
    }
    let (_keep, project) = pytest_project();
    let py = python();
    let out = importflame_in(
        &[
            "run",
            "-o",
            "tests.folded",
            "--",
            &py,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-k",
            "not fails_on_purpose",
        ],
        &project,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 passed, 1 deselected"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("importflame: added --capture=sys to the pytest command"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("import time:"));
    let lines = folded_lines(&project.join("tests.folded"));
    // The test modules import weatherkit, which imports statistics and fractions: all rows
    // printed while pytest collected the tests.
    for module in [
        "weatherkit",
        "weatherkit;statistics",
        "weatherkit;fractions",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.rsplit_once(' ').unwrap().0.ends_with(module)),
            "{module} missing from {} stacks",
            lines.len()
        );
    }

    // The project in the current directory is first-party without --first-party.
    let svg = importflame_in(
        &[
            "run",
            "-q",
            "-o",
            "tests.svg",
            "--",
            &py,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "not fails_on_purpose",
        ],
        &project,
    );
    assert!(svg.status.success(), "{}", stderr(&svg));
    let svg = fs::read_to_string(project.join("tests.svg")).unwrap();
    let at = svg.find("<title>weatherkit (").expect("weatherkit drawn");
    let rect = &svg[at..at + 200];
    // first-party green is rgb(95,190,95) shifted per name by at most 15.
    let fill = rect.split("fill=\"rgb(").nth(1).unwrap();
    let rgb: Vec<i32> = fill
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    assert!(
        (rgb[1] - rgb[0]) == 95 && (rgb[1] - rgb[2]) == 95,
        "weatherkit is coloured first-party: {rgb:?}"
    );
}

#[ignore = "needs pytest; .ci/run runs it"]
#[test]
fn pytests_fd_capture_loses_the_collection_imports_and_run_says_so() {
    if !pytest_available() {
        return;
    }
    let (_keep, project) = pytest_project();
    let py = python();
    let out = importflame_in(
        &[
            "run",
            "-o",
            "fd.folded",
            "--",
            &py,
            "-m",
            "pytest",
            "--capture=fd",
            "-p",
            "no:cacheprovider",
            "-k",
            "not fails_on_purpose",
        ],
        &project,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--capture=fd swallows the import rows"),
        "{}",
        stderr(&out)
    );
    let lines = folded_lines(&project.join("fd.folded"));
    assert!(
        !lines.iter().any(|l| l.contains("weatherkit")),
        "the trap is real: fd capture hides the imports of collection"
    );
}

#[ignore = "needs pytest; .ci/run runs it"]
#[test]
fn a_failing_pytest_run_passes_its_status_and_still_writes_the_graph() {
    if !pytest_available() {
        return;
    }
    let (_keep, project) = pytest_project();
    let py = python();
    let out = importflame_in(
        &[
            "run",
            "-q",
            "-o",
            "all.folded",
            "--",
            &py,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
        ],
        &project,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 failed, 2 passed"),
        "{}",
        stdout(&out)
    );
    let lines = folded_lines(&project.join("all.folded"));
    assert!(
        lines.iter().any(|l| l.contains(";colorsys ")),
        "the failing test module's import is drawn"
    );
}

#[test]
fn a_log_that_fell_into_the_pytest_trap_gets_a_warning_saying_what_to_add() {
    let out = run(
        &["samples/importtime/pytest/pytest_fd_capture.log"],
        Vec::new(),
    );
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "1 pytest session with no imports from collecting its tests: pytest's default fd \
             capture swallows the rows printed while it collects; add --capture=sys (or -s) to \
             pytest, or use `importflame run -- python -m pytest` (first at line 315)"
        ),
        "{err}"
    );
    // A log recorded with -s holds the collection imports: no warning.
    let fine = run(
        &[
            "samples/importtime/pytest/pytest_combined.log",
            "-f",
            "folded",
        ],
        Vec::new(),
    );
    assert!(
        !stderr(&fine).contains("pytest session"),
        "{}",
        stderr(&fine)
    );
}
