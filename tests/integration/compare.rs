//! Before/after comparisons of issue 15, on the real pairs of `samples/compare/` (how they
//! were made: `samples/compare/README.md`): `import sympy` made lazy (three importtime runs per
//! side), a cProfile pair whose slow function was fixed while an edit moved every function's
//! line, and a pair whose slow spot moved to another function.

use crate::common::{repo, run};

const BEFORE_LOG: &str = "samples/compare/imports-before.log.gz";
const AFTER_LOG: &str = "samples/compare/imports-after.log.gz";
const AFTER_AGAIN_LOG: &str = "samples/compare/imports-after-again.log.gz";
const BEFORE_PROF: &str = "samples/compare/before.prof";
const AFTER_PROF: &str = "samples/compare/after.prof";
const REGRESSED_PROF: &str = "samples/compare/regressed.prof";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args, Vec::new());
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}{}", stdout(&out), stderr(&out)))
}

/// The `<g>` of the frame whose tooltip starts with `title`: (tooltip, fill).
fn frame<'a>(svg: &'a str, title: &str) -> Option<(&'a str, &'a str)> {
    let at = svg.find(&format!("<title>{title}"))?;
    let body = &svg[at + "<title>".len()..];
    let tooltip = &body[..body.find("</title>")?];
    let fill_at = body.find("fill=\"")? + "fill=\"".len();
    let fill = &body[fill_at..fill_at + body[fill_at..].find('"')?];
    Some((tooltip, fill))
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_graph_draws_a_removed_subtree_as_a_blue_block_with_a_legend() {
    let out = run(&["diff", "-q", BEFORE_LOG, AFTER_LOG], Vec::new());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let svg = stdout(&out);
    // sympy is only in BEFORE: drawn (as wide as BEFORE's), in the "removed" blue.
    let (tooltip, fill) = frame(&svg, "sympy:").expect("sympy is drawn");
    assert!(tooltip.ends_with("→ 0 µs (-1.17 s, -100.0%)"), "{tooltip}");
    assert_eq!(fill, "rgb(40,105,225)");
    // Colour follows the total: shop.report lost almost all its time, so it is blue too.
    let (tooltip, fill) = frame(&svg, "shop.report:").unwrap();
    assert!(
        tooltip.starts_with("shop.report: 1.28 s → 39.9 ms"),
        "{tooltip}"
    );
    assert!(
        fill.starts_with("rgb(4") || fill.starts_with("rgb(5"),
        "{fill}"
    );
    assert!(svg.contains("id=\"legend\""));
    for label in [
        "removed",
        "same",
        "new",
        "width: every stack of either side",
    ] {
        assert!(svg.contains(label), "legend: {label}");
    }
}

#[test]
fn every_command_prints_the_same_combined_total() {
    let diff = json(&["diff", "-q", BEFORE_LOG, AFTER_LOG, "-f", "json"]);
    let runs: Vec<u64> = diff["before_runs"]["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(runs.len(), 3);
    let mut sorted = runs.clone();
    sorted.sort_unstable();
    // The median run itself: a real run, not a sum of per-stack medians.
    assert_eq!(diff["before_total"].as_u64(), Some(sorted[1]));
    for (mode, expected) in [
        ("median", sorted[1]),
        ("min", sorted[0]),
        ("mean", runs.iter().sum::<u64>() / 3),
        ("sum", runs.iter().sum::<u64>()),
    ] {
        let check = json(&[
            "check",
            "-q",
            BEFORE_LOG,
            "--budget",
            "total=10s",
            "--runs",
            mode,
            "-f",
            "json",
        ]);
        assert_eq!(
            check["total"].as_u64(),
            Some(expected),
            "check --runs {mode}"
        );
        assert_eq!(check["runs_mode"], mode);
        assert_eq!(check["rules"][0]["value"].as_u64(), Some(expected));
        let graph = json(&["-q", BEFORE_LOG, "--runs", mode, "-f", "json"]);
        assert_eq!(
            graph["total"].as_u64(),
            Some(expected),
            "render --runs {mode}"
        );
        let d = json(&[
            "diff", "-q", BEFORE_LOG, AFTER_LOG, "--runs", mode, "-f", "json",
        ]);
        assert_eq!(
            d["before_total"].as_u64(),
            Some(expected),
            "diff --runs {mode}"
        );
    }
    let baseline = json(&[
        "check",
        "-q",
        AFTER_LOG,
        "--baseline",
        BEFORE_LOG,
        "-f",
        "json",
    ]);
    let rule = &baseline["rules"][0];
    assert_eq!(rule["value"], diff["after_total"]);
    assert!(
        rule["measured"]
            .as_str()
            .unwrap()
            .starts_with("1.42 s -> 166.2 ms"),
        "{rule}"
    );
    let text = stdout(&run(
        &[
            "check",
            "-q",
            BEFORE_LOG,
            "--budget",
            "total=10s",
            "--runs",
            "min",
        ],
        Vec::new(),
    ));
    assert!(text.contains("measured on the fastest of 3 runs"), "{text}");
}

#[test]
fn the_report_says_whether_a_change_is_larger_than_the_noise() {
    let faster = json(&["diff", "-q", BEFORE_LOG, AFTER_LOG, "-f", "json"]);
    assert_eq!(faster["noise"]["verdict"], "beyond");
    assert_eq!(faster["noise"]["slower"], false);
    assert_eq!(faster["noise"]["u"], 0.0);
    // Two sets of runs of the same program: the 10% difference is noise.
    let same = json(&["diff", "-q", AFTER_LOG, AFTER_AGAIN_LOG, "-f", "json"]);
    assert_eq!(same["noise"]["verdict"], "within");
    let text = stdout(&run(
        &["diff", "-q", AFTER_LOG, AFTER_AGAIN_LOG, "-f", "text"],
        Vec::new(),
    ));
    assert!(text.contains("runs took 161.5 ms to 191.4 ms"), "{text}");
    assert!(text.contains("within the run-to-run noise"), "{text}");
}

#[test]
fn a_significant_regression_gate_does_not_flap_on_noise() {
    // AFTER_AGAIN -> AFTER is 11% slower, within the noise.
    let plain = run(
        &[
            "diff",
            "-q",
            AFTER_AGAIN_LOG,
            AFTER_LOG,
            "-f",
            "text",
            "--fail-on",
            "regression=5%",
        ],
        Vec::new(),
    );
    assert_eq!(plain.status.code(), Some(1), "{}", stdout(&plain));
    let significant = run(
        &[
            "diff",
            "-q",
            AFTER_AGAIN_LOG,
            AFTER_LOG,
            "-f",
            "text",
            "--fail-on",
            "significant-regression=5%",
        ],
        Vec::new(),
    );
    assert_eq!(
        significant.status.code(),
        Some(0),
        "{}",
        stdout(&significant)
    );
    // Lazy sympy undone: slower beyond the noise.
    let real = run(
        &[
            "diff",
            "-q",
            AFTER_LOG,
            BEFORE_LOG,
            "-f",
            "json",
            "--fail-on",
            "significant-regression=10%",
        ],
        Vec::new(),
    );
    assert_eq!(real.status.code(), Some(1));
    // One run per side cannot tell noise: a usage error, not a silent pass.
    let one = run(
        &[
            "diff",
            "-q",
            AFTER_PROF,
            BEFORE_PROF,
            "--fail-on",
            "significant-regression=10%",
            "-f",
            "text",
        ],
        Vec::new(),
    );
    assert_eq!(one.status.code(), Some(2));
    assert!(stderr(&one).contains("several runs"), "{}", stderr(&one));
}

#[test]
fn a_budget_naming_nothing_is_an_error_offering_the_closest_names() {
    let out = run(
        &[
            "check",
            "-q",
            AFTER_LOG,
            "--budget",
            "shop.reprot=1ms",
            "--forbid",
            "sypmy",
        ],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--budget shop.reprot: no module or function of that name")
            && stderr(&out).contains("closest: shop.report"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bare_number_on_a_time_profile_asks_for_a_unit() {
    for input in [AFTER_LOG, AFTER_PROF] {
        let out = run(&["check", "-q", input, "--budget", "total=1"], Vec::new());
        assert_eq!(out.status.code(), Some(2), "{input}");
        assert!(
            stderr(&out).contains("write 1ms, 1s or 1us"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_forbidden_name_one_edit_from_an_imported_module_passes_with_a_warning() {
    let out = run(&["check", BEFORE_LOG, "--forbid", "sypmy"], Vec::new());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--forbid sypmy: not imported, but sympy is (a typo?)"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("not imported (sympy is: a typo?)"));
}

#[test]
fn percentages_of_the_total_are_budgets_for_every_kind_of_input() {
    for (input, target) in [
        (BEFORE_LOG, "sympy"),
        (BEFORE_PROF, "_is_prime"),
        ("samples/pyspy/record_busy_raw.txt", "total"),
    ] {
        let v = json(&[
            "check",
            "-q",
            input,
            "--budget",
            &format!("{target}=20%"),
            "-f",
            "json",
        ]);
        let total = v["total"].as_u64().unwrap();
        let limit = v["rules"][0]["limit"].as_str().unwrap().to_string();
        let value = v["rules"][0]["value"].as_u64().unwrap();
        assert!(limit.starts_with("20% = "), "{limit}");
        assert_eq!(
            v["rules"][0]["pass"],
            value as f64 <= (total as f64 * 0.2).round(),
            "{input}"
        );
        assert!(value > 0, "{input}: {target} measured");
    }
}

#[test]
fn a_module_budget_on_pstats_measures_the_module_frame_of_its_file() {
    let v = json(&[
        "check",
        "-q",
        BEFORE_PROF,
        "--budget",
        "pricing=10s",
        "-f",
        "json",
    ]);
    let graph = json(&["-q", BEFORE_PROF, "-f", "json"]);
    let module = graph["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "<module> (pricing.py:1)")
        .expect("the script's module frame");
    assert_eq!(v["rules"][0]["value"], module["total"]);
    // A module the profile never ran is an error, not 0 µs and a pass.
    let out = run(
        &["check", "-q", BEFORE_PROF, "--budget", "shop=1ms"],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_function_that_moved_lines_is_moved_not_appeared_and_disappeared() {
    let v = json(&[
        "diff",
        "-q",
        BEFORE_PROF,
        AFTER_PROF,
        "-f",
        "json",
        "--top",
        "50",
    ]);
    let appeared = names(&v["appeared"]);
    let disappeared = names(&v["disappeared"]);
    assert!(
        !appeared
            .iter()
            .chain(&disappeared)
            .any(|n| n.starts_with("count_primes")),
        "{appeared:?} {disappeared:?}"
    );
    let moved = v["moved"].as_array().unwrap();
    let count_primes = moved
        .iter()
        .find(|m| m["after_name"] == "count_primes (pricing.py:23)")
        .unwrap_or_else(|| panic!("{moved:?}"));
    assert_eq!(count_primes["before_name"], "count_primes (pricing.py:15)");
    // The fixed function is the one row of the drop, its callers folded into it.
    let shrank = &v["shrank"][0];
    assert_eq!(shrank["name"], "_is_prime (pricing.py:14)");
    assert!(shrank["callers"].as_u64().unwrap() >= 3, "{shrank}");
}

#[test]
fn memory_addresses_are_not_part_of_frame_names() {
    for args in [
        vec!["diff", "-q", BEFORE_PROF, AFTER_PROF, "-f", "folded"],
        vec!["diff", "-q", BEFORE_PROF, AFTER_PROF, "-f", "json"],
        vec!["-q", BEFORE_PROF, "-f", "folded"],
    ] {
        let out = stdout(&run(&args, Vec::new()));
        assert!(!out.contains(" at 0x"), "{args:?}");
    }
    let folded = stdout(&run(&["-q", BEFORE_PROF, "-f", "folded"], Vec::new()));
    assert!(folded.contains("<built-in method __new__ of type object>"));
    let v = json(&[
        "diff",
        "-q",
        BEFORE_PROF,
        AFTER_PROF,
        "-f",
        "json",
        "--top",
        "50",
    ]);
    let new = names(&v["appeared"]);
    assert!(!new.iter().any(|n| n.contains("__new__")), "{new:?}");
}

#[test]
fn a_moved_slow_spot_shows_as_grew_and_shrank_of_the_two_functions() {
    let v = json(&["diff", "-q", AFTER_PROF, REGRESSED_PROF, "-f", "json"]);
    let grew = names(&v["grew"]);
    assert!(grew[0].starts_with("<genexpr> (pricing.py:"), "{grew:?}");
    assert!(v["grew"][0]["callers"].as_u64().unwrap() >= 1);
    assert!(v["moved"].as_array().unwrap().is_empty());
}

#[test]
fn a_removed_subtree_is_one_row_with_a_module_count() {
    let v = json(&["diff", "-q", BEFORE_LOG, AFTER_LOG, "-f", "json"]);
    let gone = &v["disappeared"];
    assert_eq!(names(gone), ["sympy"]);
    assert!(gone[0]["below"].as_u64().unwrap() > 400, "{gone}");
    let text = stdout(&run(
        &["diff", "-q", BEFORE_LOG, AFTER_LOG, "-f", "text"],
        Vec::new(),
    ));
    assert!(text.contains("sympy [+"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("sympy.")).count(),
        0,
        "{text}"
    );
}

#[test]
fn stderr_gets_a_short_summary_beside_a_graph() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("d.svg");
    let out = run(
        &["diff", BEFORE_LOG, AFTER_LOG, "-o", svg.to_str().unwrap()],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(0));
    let summary: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| !l.starts_with("importflame: ") || l.starts_with("importflame diff:"))
        .map(String::from)
        .collect();
    assert!(summary.len() <= 8, "{summary:#?}");
    assert!(summary[0].starts_with("importflame diff: total 1.42 s -> 166.2 ms"));
    assert!(
        summary.iter().any(|l| l.contains("sympy [+")),
        "{summary:#?}"
    );
    assert!(summary.last().unwrap().contains("-f text"), "{summary:#?}");
    assert!(std::fs::metadata(&svg).unwrap().len() > 10_000);
    let _ = repo;
}

#[test]
fn diff_and_check_help_list_only_what_they_take() {
    let diff = stdout(&run(&["diff", "--help"], Vec::new()));
    for absent in ["--tee", "--flamechart", "speedscope.app", "--budget"] {
        assert!(!diff.contains(absent), "diff --help shows {absent}");
    }
    for present in ["--fail-on", "significant-regression", "--runs", "markdown"] {
        assert!(diff.contains(present), "diff --help lacks {present}");
    }
    let check = stdout(&run(&["check", "--help"], Vec::new()));
    for absent in [
        "--tee",
        "--flamechart",
        "speedscope.app",
        "--width",
        "- svg",
        "--top",
    ] {
        assert!(!check.contains(absent), "check --help shows {absent}");
    }
    for present in ["--budget", "_is_prime=20%", "--runs", "markdown"] {
        assert!(check.contains(present), "check --help lacks {present}");
    }
}
