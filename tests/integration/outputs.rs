//! The outputs and CI commands of issue 6: speedscope files that speedscope accepts, runs
//! combined, diff and check with their exit codes.

use crate::common;

use std::process::Command;

use common::{assert_success, repo, run};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn concat(path: &str, times: usize) -> Vec<u8> {
    std::fs::read(repo(path)).unwrap().repeat(times)
}

/// Validates `json` against speedscope's own schema with Python's `jsonschema`, which `.ci/run`
/// installs. A missing python3 or jsonschema is a failure that says so (the test that calls
/// this is `#[ignore]`d, and `.ci/run` runs it).
fn validate_speedscope(json: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.speedscope.json");
    std::fs::write(&file, json).unwrap();
    let schema = repo("tests/data/speedscope-file-format-schema.json");
    let script = "import json, sys, jsonschema\n\
                  jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .arg(&schema)
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No module named 'jsonschema'") => {
            panic!("python3 has no jsonschema (pip install jsonschema; .ci/run installs it)")
        }
        Ok(o) => panic!(
            "speedscope schema validation failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("the speedscope schema test needs python3: {e}"),
    }
}

/// The speedscope outputs both tests below look at: a plain run and a flame chart.
fn speedscope_outputs() -> Vec<Vec<u8>> {
    [
        vec![
            "-f",
            "speedscope",
            "samples/importtime/single/py311_many_libs.log",
        ],
        vec![
            "-f",
            "speedscope",
            "--flamechart",
            "samples/importtime/multiproc/threads_import.log",
        ],
    ]
    .iter()
    .map(|args| {
        let out = run(args, Vec::new());
        assert!(out.status.success(), "{args:?}");
        out.stdout
    })
    .collect()
}

#[test]
fn speedscope_weights_add_up_to_the_end_value() {
    for json in speedscope_outputs() {
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let weights: u64 = v["profiles"][0]["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_u64().unwrap())
            .sum();
        assert_eq!(
            weights,
            v["profiles"][0]["endValue"].as_u64().unwrap(),
            "weights add up to the total"
        );
    }
}

#[test]
#[ignore = "needs python3 with jsonschema; .ci/run runs it"]
fn speedscope_output_matches_speedscopes_file_format_schema() {
    for json in speedscope_outputs() {
        validate_speedscope(&json);
    }
}

#[test]
fn identical_runs_combined_by_median_equal_one_run() {
    let one = run(
        &[
            "-f",
            "folded",
            "--merge",
            "samples/importtime/single/py311_json.log",
        ],
        Vec::new(),
    );
    for how in ["median", "min", "mean"] {
        let five = run(
            &["-f", "folded", "--runs", how, "-"],
            concat("samples/importtime/single/py311_json.log", 5),
        );
        assert_eq!(stdout(&five), stdout(&one), "--runs {how}");
    }
    let sum = run(
        &["-f", "json", "--runs", "sum", "-"],
        concat("samples/importtime/single/py311_json.log", 5),
    );
    let v: serde_json::Value = serde_json::from_slice(&sum.stdout).unwrap();
    assert_eq!(v["total"].as_u64().unwrap(), 5 * 17681);
}

#[test]
fn merge_and_runs_together_are_a_usage_error() {
    let out = run(
        &[
            "--merge",
            "--runs",
            "min",
            "samples/importtime/single/py311_json.log",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "importflame: --merge and --runs both combine reports: pick one\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn check_exits_0_when_every_rule_passes_and_1_when_one_fails() {
    let pass = run(
        &[
            "check",
            "samples/importtime/single/py311_json.log",
            "--budget",
            "total=1s",
            "--forbid",
            "numpy",
        ],
        Vec::new(),
    );
    assert_eq!(pass.status.code(), Some(0), "{}", stdout(&pass));
    assert!(stdout(&pass).contains("2 of 2 rules passed"));
    let fail = run(
        &[
            "check",
            "samples/importtime/single/py311_json.log",
            "--budget",
            "total=1ms",
            "--budget",
            "json=100s",
        ],
        Vec::new(),
    );
    assert_eq!(fail.status.code(), Some(1));
    let table = stdout(&fail);
    assert!(table.contains("total") && table.contains("FAIL"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("json ") && l.ends_with("pass")),
        "{table}"
    );
}

#[test]
fn check_forbids_a_module_and_its_submodules() {
    let out = run(
        &[
            "check",
            "samples/importtime/single/py311_requests.log",
            "--forbid",
            "urllib3",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("imported: "), "{}", stdout(&out));
}

#[test]
fn check_compares_with_a_baseline() {
    let base = "samples/importtime/single/py311_requests.log";
    let same = run(
        &["check", base, "--baseline", base, "--max-regression", "1%"],
        Vec::new(),
    );
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    // pandas imports far more than requests: a huge regression.
    let worse = run(
        &[
            "check",
            "samples/importtime/single/py311_pandas.log",
            "--baseline",
            base,
            "--max-regression",
            "10%",
        ],
        Vec::new(),
    );
    assert_eq!(worse.status.code(), Some(1));
}

#[test]
fn check_usage_errors_exit_2() {
    for args in [
        vec!["check", "samples/importtime/single/py311_json.log"],
        vec![
            "check",
            "samples/importtime/single/py311_json.log",
            "--budget",
            "total=fast",
        ],
        vec![
            "check",
            "samples/importtime/single/py311_json.log",
            "--budget",
            "total=1s",
            "-f",
            "svg",
        ],
    ] {
        let out = run(&args, Vec::new());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn check_markdown_is_a_table_for_the_job_summary() {
    let out = run(
        &[
            "check",
            "-f",
            "markdown",
            "samples/importtime/single/py311_json.log",
            "--budget",
            "total=1s",
        ],
        Vec::new(),
    );
    let md = stdout(&out);
    assert!(md.contains("| rule | measured | limit | verdict |"), "{md}");
    assert!(
        md.contains("| total | 17.7 ms | 1.00 s | ✅ pass |"),
        "{md}"
    );
}

#[test]
fn diff_fails_on_a_regression_over_the_threshold() {
    let before = "samples/importtime/single/py311_requests.log";
    let after = "samples/importtime/single/py311_pandas.log";
    let out = run(
        &[
            "diff",
            before,
            after,
            "-f",
            "json",
            "--fail-on",
            "regression=10%",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fail_on"]["failed"], true);
    assert!(
        v["appeared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "pandas")
    );
    let ok = run(
        &[
            "diff",
            after,
            before,
            "-f",
            "text",
            "--fail-on",
            "regression=50ms",
        ],
        Vec::new(),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("disappeared:"));
}

#[test]
fn diff_draws_both_sides_and_writes_their_stacks() {
    let out = run(
        &[
            "diff",
            "-q",
            "samples/importtime/single/py311_requests.log",
            "samples/importtime/single/py313_requests.log",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(0));
    let svg = stdout(&out);
    assert!(svg.starts_with("<?xml"));
    assert!(svg.contains("Diff: 111.6 ms → 113.4 ms (+1.6%)"), "title");
    // Tooltips carry both sides' totals of the frame (issue 15).
    assert!(svg.contains("<title>all: 111.6 ms → 113.4 ms (+1.8 ms, +1.6%)</title>"));
    let folded = stdout(&run(
        &[
            "diff",
            "-f",
            "folded",
            "samples/importtime/single/py311_requests.log",
            "samples/importtime/single/py313_requests.log",
        ],
        Vec::new(),
    ));
    assert!(
        folded.lines().all(|l| l.rsplitn(3, ' ').count() == 3),
        "difffolded lines carry two counts"
    );
    // The two columns are the before and after graphs: each sums to its log's self time.
    let (mut before, mut after) = (0u64, 0u64);
    for line in folded.lines() {
        let mut counts = line.rsplitn(3, ' ');
        after += counts.next().unwrap().parse::<u64>().unwrap();
        before += counts.next().unwrap().parse::<u64>().unwrap();
    }
    assert_eq!(
        (before, after),
        (
            common::importtime_self_total(&repo("samples/importtime/single/py311_requests.log")),
            common::importtime_self_total(&repo("samples/importtime/single/py313_requests.log")),
        )
    );
}

#[test]
fn diff_of_two_kinds_of_input_is_a_usage_error() {
    let out = run(
        &[
            "diff",
            "samples/importtime/single/py311_json.log",
            "samples/pstats/py37_workload.prof",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("same kind"));
}

#[test]
fn diff_works_for_pstats_and_py_spy_inputs() {
    let p = run(
        &[
            "diff",
            "-q",
            "-f",
            "json",
            "samples/pstats/workload.prof",
            "samples/pstats/py314_workload.prof",
        ],
        Vec::new(),
    );
    assert_success(&p);
    let v: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
    assert_eq!(v["unit"], "us");
    let s = run(
        &[
            "diff",
            "-q",
            "-f",
            "json",
            "samples/pyspy/record_busy_raw.txt",
            "samples/pyspy/record_threads_raw.txt",
        ],
        Vec::new(),
    );
    assert_success(&s);
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["unit"], "samples");
}

#[test]
fn check_budgets_a_function_of_a_pstats_profile() {
    let out = run(
        &[
            "check",
            "-q",
            "samples/pstats/workload_profile_module.prof",
            "--budget",
            "main=10s",
            "--budget",
            "merge_sort=1ms",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let table = stdout(&out);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("main ") && l.ends_with("pass")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("merge_sort ") && l.ends_with("FAIL")),
        "{table}"
    );
}
