//! The CI recipe in `examples/github-actions.yml` runs here against a sample, so it cannot rot.

use std::path::Path;
use std::process::Command;

/// The importflame command lines of the recipe, in order.
fn recipe_commands() -> Vec<String> {
    let yml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions.yml"),
    )
    .unwrap();
    yml.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("importflame "))
        .map(str::to_string)
        .collect()
}

fn run_recipe(budget: &str) -> (Vec<i32>, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    // Five runs of the same program, as the recipe's loop writes them.
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/importtime/single/py311_requests.log"),
    )
    .unwrap();
    std::fs::write(dir.path().join("importtime.log"), sample.repeat(5)).unwrap();
    let summary = dir.path().join("summary.md");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_importflame"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut codes = Vec::new();
    for line in recipe_commands() {
        let status = Command::new("bash")
            .arg("-c")
            .arg(&line)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("IMPORT_BUDGET", budget)
            .status()
            .unwrap();
        codes.push(status.code().unwrap_or(-1));
    }
    let svg = dir.path().join("importtime.svg").exists();
    (
        codes,
        std::fs::read_to_string(&summary).unwrap_or_default(),
        svg,
    )
}

#[test]
fn the_recipe_has_the_three_commands() {
    assert_eq!(recipe_commands().len(), 3, "{:?}", recipe_commands());
}

#[test]
fn the_recipe_passes_within_budget_and_writes_graph_and_summary() {
    let (codes, summary, svg) = run_recipe("10s");
    assert_eq!(codes, vec![0, 0, 0]);
    assert!(svg);
    assert!(summary.contains("| requests |"), "{summary}");
    assert!(summary.contains("✅ pass"), "{summary}");
    assert!(summary.contains("median of 5 runs"), "{summary}");
}

#[test]
fn the_recipe_fails_the_job_over_budget() {
    let (codes, summary, _) = run_recipe("1ms");
    assert_eq!(codes, vec![0, 0, 1]);
    assert!(summary.contains("❌ FAIL"), "{summary}");
}
