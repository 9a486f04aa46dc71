//! The Python developer's install (issue 17): a wheel built by maturin from a clean clone,
//! installed into a fresh virtual environment, gives a working `importflame` command.
//!
//! It builds a release binary (minutes on a small machine), so `cargo test` skips it and
//! `.ci/run` runs it: `cargo test --test integration wheel:: -- --ignored`. It needs `git`, `python3` with
//! `venv`, and maturin (on PATH or as `python3 -m maturin`; `.ci/run` installs it from PyPI).
//! Nothing is downloaded here: the Cargo dependencies come from the local registry cache
//! (`locked = true` in pyproject.toml) and pip installs the wheel with `--no-index`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::repo;

fn checked(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `maturin` on PATH, else the maturin module of `python3`.
fn maturin() -> Command {
    let on_path = Command::new("maturin")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        Command::new("maturin")
    } else {
        let mut c = Command::new("python3");
        c.args(["-m", "maturin"]);
        c
    }
}

fn bin_dir(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts")
    } else {
        venv.join("bin")
    }
}

#[test]
#[ignore = "builds a wheel; .ci/run runs it"]
fn pip_installs_a_working_importflame_from_a_clean_clone() {
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("importflame");
    let dist = dir.path().join("dist");
    let venv = dir.path().join("venv");

    // What is committed, nothing else: a file the build needs but git does not hold fails here.
    checked(
        "git clone",
        Command::new("git")
            .args(["clone", "--quiet", "--no-local"])
            .arg(repo(""))
            .arg(&clone)
            .output()
            .unwrap(),
    );
    assert!(
        clone.join("pyproject.toml").is_file(),
        "pyproject.toml is committed"
    );

    // The build cache lives in this checkout's target/ so that CI builds it once; the sources
    // are the clone's.
    checked(
        "maturin build",
        maturin()
            .args(["build", "--release", "--out"])
            .arg(&dist)
            .current_dir(&clone)
            .env("CARGO_TARGET_DIR", repo("target/wheel"))
            .output()
            .unwrap(),
    );
    let wheels: Vec<PathBuf> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "one wheel: {wheels:?}");
    let wheel_name = wheels[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        wheel_name.starts_with(&format!("importflame-{version}-py3-none-")),
        "a binary wheel for any Python 3: {wheel_name}"
    );

    checked(
        "python3 -m venv",
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .unwrap(),
    );
    checked(
        "pip install",
        Command::new(bin_dir(&venv).join("python"))
            .args(["-m", "pip", "install", "--quiet", "--no-index"])
            .arg(&wheels[0])
            .output()
            .unwrap(),
    );

    let installed = bin_dir(&venv).join("importflame");
    assert!(installed.is_file(), "the wheel installs bin/importflame");
    let out = checked(
        "importflame --version",
        Command::new(&installed).arg("--version").output().unwrap(),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("importflame {version}\n")
    );

    let out = checked(
        "the installed importflame",
        Command::new(&installed)
            .arg(repo("samples/importtime/single/py311_requests.log"))
            .args(["-q", "-f", "text", "--top", "3"])
            .output()
            .unwrap(),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.starts_with("Import time: 111.6 ms in 247 modules (1 report)"),
        "{table}"
    );
    assert!(
        table.contains("requests                106.2 ms  95.1%"),
        "{table}"
    );

    // And the command Python developers came for: run their program under it.
    let out = checked(
        "importflame run",
        Command::new(&installed)
            .args(["run", "-q", "-o", "json.folded", "--"])
            .arg(bin_dir(&venv).join("python"))
            .args(["-c", "import json"])
            .current_dir(dir.path())
            .output()
            .unwrap(),
    );
    assert!(out.stdout.is_empty());
    let folded = std::fs::read_to_string(dir.path().join("json.folded")).unwrap();
    assert!(
        folded.lines().any(|l| l.starts_with("python #1;json ")),
        "{folded}"
    );
}
