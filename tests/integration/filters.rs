//! Frame filters (issue 19) on real samples of every input kind. Each expected value is
//! worked out here from the unfiltered folded lines with the same regular expression, by plain
//! string work, and compared with what the filter made: the exact lines and weights, the time
//! a `--drop` removed and a `--focus` kept, and the total an `--exclude` must keep.

use crate::common;

use std::collections::BTreeMap;

use importflame::filter::pattern::{IMPORTLIB, Pattern};
use importflame::filter::{Action, EXCLUDED_ROOT, Filters};
use importflame::model::Profile;
use regex::Regex;

use common::{folded, load, repo, run};

/// A sample, and three patterns that each match some but not all of its stacks.
struct Case {
    path: &'static str,
    focus: &'static str,
    exclude: &'static str,
    drop: &'static str,
}

const CASES: &[Case] = &[
    Case {
        path: "samples/importtime/single/py312_numpy.log",
        focus: r"^numpy\._core$",
        exclude: r"^numpy\._core$",
        drop: r"^numpy\.linalg",
    },
    Case {
        path: "samples/pstats/py37_workload.prof",
        focus: r"^json_round_trips ",
        exclude: IMPORTLIB,
        drop: r"^merge_sort ",
    },
    Case {
        path: "samples/pyspy/dumps_x50_spy_busy.txt",
        focus: r"^fib ",
        exclude: r"^fib ",
        drop: r"^merge_sort ",
    },
    Case {
        path: "samples/pyspy/record_subprocesses_raw.txt",
        focus: r"multiprocessing/pool\.py",
        exclude: IMPORTLIB,
        drop: r"multiprocessing/util\.py",
    },
];

fn pattern(source: &str) -> Pattern {
    Pattern::new(source).unwrap()
}

/// Folded lines as a map, for comparing line sets.
fn lines(profile: &Profile) -> BTreeMap<String, u64> {
    folded(profile, 2).into_iter().collect()
}

/// A folded line split into its report root (importtime logs have one) and its frames.
fn split(stack: &str, has_report: bool) -> (Option<&str>, Vec<&str>) {
    let mut parts: Vec<&str> = stack.split(';').collect();
    let report = has_report.then(|| parts.remove(0));
    (report, parts)
}

fn join(report: Option<&str>, frames: &[&str]) -> String {
    report
        .into_iter()
        .chain(frames.iter().copied())
        .collect::<Vec<_>>()
        .join(";")
}

fn add(map: &mut BTreeMap<String, u64>, stack: String, weight: u64) {
    *map.entry(stack).or_default() += weight;
}

#[test]
fn exclude_keeps_the_total_and_moves_callees_up_on_every_input_kind() {
    for case in CASES {
        let profile = load(&repo(case.path));
        let has_report = !profile.reports.is_empty();
        let re = Regex::new(case.exclude).unwrap();
        let mut expected = BTreeMap::new();
        for (stack, weight) in lines(&profile) {
            let (report, frames) = split(&stack, has_report);
            let mut kept: Vec<&str> = frames.into_iter().filter(|f| !re.is_match(f)).collect();
            if kept.is_empty() {
                kept.push(EXCLUDED_ROOT);
            }
            add(&mut expected, join(report, &kept), weight);
        }
        let filters = Filters {
            exclude: vec![pattern(case.exclude)],
            ..Filters::default()
        };
        let filtered = filters.apply(&profile);
        assert_eq!(filtered.total(), profile.total(), "{}", case.path);
        assert_eq!(lines(&filtered), expected, "{}", case.path);
        let applied = filtered.filtered.as_ref().unwrap();
        assert_eq!(applied.total_before, profile.total());
        assert!(
            applied.uses[0].frames > 0,
            "{}: the pattern matches",
            case.path
        );
    }
}

#[test]
fn drop_removes_whole_stacks_and_reports_the_weight_and_count_removed() {
    for case in CASES {
        let profile = load(&repo(case.path));
        let has_report = !profile.reports.is_empty();
        let re = Regex::new(case.drop).unwrap();
        let mut expected = BTreeMap::new();
        let mut removed = 0u64;
        for (stack, weight) in lines(&profile) {
            let (_, frames) = split(&stack, has_report);
            if frames.iter().any(|f| re.is_match(f)) {
                removed += weight;
            } else {
                add(&mut expected, stack, weight);
            }
        }
        let removed_stacks = profile
            .stacks()
            .filter(|s| {
                s.frames
                    .iter()
                    .any(|&f| re.is_match(profile.frames.name(f)))
            })
            .count() as u64;
        assert!(removed > 0 && removed < profile.total(), "{}", case.path);
        let filters = Filters {
            drop: vec![pattern(case.drop)],
            ..Filters::default()
        };
        let filtered = filters.apply(&profile);
        assert_eq!(lines(&filtered), expected, "{}", case.path);
        assert_eq!(filtered.total(), profile.total() - removed, "{}", case.path);
        let u = &filtered.filtered.as_ref().unwrap().uses[0];
        assert_eq!(
            (u.action, u.weight, u.stacks),
            (Action::Drop, removed, removed_stacks),
            "{}",
            case.path
        );
    }
}

#[test]
fn focus_keeps_the_stacks_through_a_match_rerooted_at_the_first_one() {
    for case in CASES {
        let profile = load(&repo(case.path));
        let has_report = !profile.reports.is_empty();
        let re = Regex::new(case.focus).unwrap();
        let root = format!("[focus: {}]", case.focus);
        let mut expected = BTreeMap::new();
        let mut kept = 0u64;
        for (stack, weight) in lines(&profile) {
            let (report, frames) = split(&stack, has_report);
            if let Some(at) = frames.iter().position(|f| re.is_match(f)) {
                let mut path = vec![root.as_str()];
                path.extend_from_slice(&frames[at..]);
                add(&mut expected, join(report, &path), weight);
                kept += weight;
            }
        }
        assert!(kept > 0 && kept < profile.total(), "{}", case.path);
        let filters = Filters {
            focus: Some(pattern(case.focus)),
            ..Filters::default()
        };
        let filtered = filters.apply(&profile);
        assert_eq!(lines(&filtered), expected, "{}", case.path);
        assert_eq!(filtered.total(), kept, "{}", case.path);
        let applied = filtered.filtered.as_ref().unwrap();
        assert_eq!(applied.focus().unwrap().weight, kept);
        assert_eq!(applied.total_before, profile.total());
    }
}

#[test]
fn hide_importlib_leaves_no_import_machinery_and_no_glue_between_importers_and_modules() {
    let machinery = Regex::new(IMPORTLIB).unwrap();
    for path in [
        "samples/pstats/py314_workload.prof",
        "samples/pstats/py37_workload.prof",
        "samples/pyspy/record_subprocesses_raw.txt",
        "samples/tachyon/py315_gecko.json",
    ] {
        let profile = load(&repo(path));
        let before = lines(&profile);
        // `_call_with_frames_removed` calling `__import__` or `exec` is the glue to remove.
        let glued = |stack: &str| {
            stack.contains("_call_with_frames_removed (<frozen importlib._bootstrap>")
                && (stack.contains(">;<built-in method builtins.__import__>")
                    || stack.contains(">;<built-in method builtins.exec>"))
        };
        let filters = Filters {
            hide_importlib: true,
            ..Filters::default()
        };
        let filtered = filters.apply(&profile);
        assert_eq!(filtered.total(), profile.total(), "{path}");
        let after = lines(&filtered);
        for stack in after.keys() {
            assert!(
                stack.split(';').all(|f| !machinery.is_match(f)),
                "{path}: {stack}"
            );
        }
        assert!(before.keys().any(|s| machinery.is_match(s)), "{path}");
        let frames =
            |m: &BTreeMap<String, u64>| m.keys().map(|s| s.split(';').count()).sum::<usize>();
        assert!(frames(&after) < frames(&before), "{path}: frames removed");
        if before.keys().any(|s| glued(s)) {
            let imports = |m: &BTreeMap<String, u64>| {
                m.keys()
                    .map(|s| s.matches("<built-in method builtins.__import__>").count())
                    .sum::<usize>()
            };
            assert!(imports(&after) < imports(&before), "{path}: glue removed");
        }
        let u = &filtered.filtered.as_ref().unwrap().uses[0];
        assert_eq!(u.action, Action::HideImportlib);
    }
}

#[test]
fn hide_importlib_keeps_the_builtins_exec_that_runs_the_script() {
    let profile = load(&repo("samples/pstats/py37_workload.prof"));
    let filters = Filters {
        hide_importlib: true,
        ..Filters::default()
    };
    let filtered = lines(&filters.apply(&profile));
    let exec_roots: u64 = filtered
        .iter()
        .filter(|(s, _)| s.starts_with("<built-in method builtins.exec>"))
        .map(|(_, w)| w)
        .sum();
    let before: u64 = lines(&profile)
        .iter()
        .filter(|(s, _)| s.starts_with("<built-in method builtins.exec>"))
        .map(|(_, w)| w)
        .sum();
    assert_eq!(exec_roots, before);
}

#[test]
fn a_stack_whose_every_frame_is_excluded_keeps_its_weight_under_one_root() {
    let profile = load(&repo("samples/pyspy/record_subprocesses_raw.txt"));
    let filters = Filters {
        exclude: vec![pattern(".")],
        ..Filters::default()
    };
    let filtered = filters.apply(&profile);
    assert_eq!(
        folded(&filtered, 1),
        vec![(EXCLUDED_ROOT.to_string(), profile.total())]
    );
}

#[test]
fn filters_run_in_order_drop_focus_exclude() {
    let profile = load(&repo("samples/importtime/single/py312_numpy.log"));
    let filters = Filters {
        drop: vec![pattern(r"^numpy\._core\.multiarray$")],
        focus: Some(pattern(r"^numpy\._core$")),
        exclude: vec![pattern(r"^numpy\._core$")],
        ..Filters::default()
    };
    let filtered = filters.apply(&profile);
    let applied = filtered.filtered.as_ref().unwrap();
    let actions: Vec<Action> = applied.uses.iter().map(|u| u.action).collect();
    assert_eq!(actions, [Action::Drop, Action::Focus, Action::Exclude]);
    let (dropped, focused) = (applied.uses[0].weight, applied.uses[1].weight);
    // The focus keeps what the drop left under numpy._core, and exclude changes no total.
    let only_focus = Filters {
        focus: Some(pattern(r"^numpy\._core$")),
        ..Filters::default()
    }
    .apply(&profile);
    assert_eq!(focused, only_focus.total() - dropped);
    assert_eq!(filtered.total(), focused);
    for stack in lines(&filtered).keys() {
        assert!(
            stack.starts_with("python #1;[focus: ^numpy\\._core$]"),
            "{stack}"
        );
        assert!(!stack.contains(";numpy._core;"), "{stack}");
        assert!(!stack.ends_with(";numpy._core"), "{stack}");
    }
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_reports_exactly_what_focus_kept_and_drop_removed() {
    let path = "samples/pstats/py37_workload.prof";
    let profile = load(&repo(path));
    let (focus, drop) = (r"^main \(workload\.py", r"json/");
    let (focus_re, drop_re) = (Regex::new(focus).unwrap(), Regex::new(drop).unwrap());
    let mut kept = 0;
    let mut removed = 0;
    for (stack, weight) in lines(&profile) {
        if stack.split(';').any(|f| drop_re.is_match(f)) {
            removed += weight;
        } else if stack.split(';').any(|f| focus_re.is_match(f)) {
            kept += weight;
        }
    }
    let out = run(
        &["-f", "json", "--focus", focus, "--drop", drop, path],
        Vec::new(),
    );
    let doc = json(&out);
    assert_eq!(doc["total"], kept);
    let input = &doc["inputs"][0];
    assert_eq!(input["total_before"], profile.total());
    let filters = input["filters"].as_array().unwrap();
    assert_eq!(filters[0]["option"], "--drop");
    assert_eq!(filters[0]["weight"], removed);
    assert_eq!(filters[1]["option"], "--focus");
    assert_eq!(filters[1]["weight"], kept);
    let err = stderr(&out);
    assert!(err.contains("--drop /json// removed"), "{err}");
    assert!(
        err.contains("--focus /^main \\(workload\\.py/ kept"),
        "{err}"
    );
}

#[test]
fn the_focused_title_says_what_it_shows_in_svg_text_and_markdown() {
    let path = "samples/importtime/single/py312_numpy.log";
    let profile = load(&repo(path));
    let kept: u64 = Filters {
        focus: Some(pattern("^numpy$")),
        ..Filters::default()
    }
    .apply(&profile)
    .total();
    assert!(kept < profile.total());
    let human = |us: u64| format!("{:.1} ms", us as f64 / 1e3);
    let title = format!(
        "Focus /^numpy$/: {} of {} ({:.1}%) · importtime log",
        human(kept),
        human(profile.total()),
        kept as f64 * 100.0 / profile.total() as f64
    );
    let text = stdout(&run(
        &["-f", "text", "--focus", "^numpy$", path],
        Vec::new(),
    ));
    assert_eq!(text.lines().next(), Some(title.as_str()));
    let md = stdout(&run(
        &["-f", "markdown", "--focus", "^numpy$", path],
        Vec::new(),
    ));
    assert!(md.starts_with("### Focus /^numpy$/:"), "{md}");
    let svg = stdout(&run(&["--focus", "^numpy$", path], Vec::new()));
    assert!(svg.contains(&title), "the SVG title");
}

#[test]
fn drop_is_noted_in_the_svg_subtitle_and_the_table_notes() {
    let path = "samples/importtime/single/py312_numpy.log";
    let svg = stdout(&run(&["--drop", r"^numpy\.linalg", path], Vec::new()));
    assert!(svg.contains("dropped /^numpy\\.linalg/ ("), "subtitle");
    let text = stdout(&run(
        &["-f", "text", "--drop", r"^numpy\.linalg", path],
        Vec::new(),
    ));
    assert!(text.contains("--drop /^numpy\\.linalg/ removed"), "{text}");
}

#[test]
fn anonymize_is_deterministic_and_the_same_in_every_output() {
    let path = "samples/pyspy/record_subprocesses_raw.txt";
    let args = [
        "-f",
        "folded",
        "--anonymize",
        r"multiprocessing[\w/.]*",
        path,
    ];
    let first = run(&args, Vec::new());
    let second = run(
        &[
            "-j",
            "1",
            "-f",
            "folded",
            "--anonymize",
            r"multiprocessing[\w/.]*",
            path,
        ],
        Vec::new(),
    );
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
    let folded = stdout(&first);
    assert!(!folded.contains("multiprocessing"), "{folded}");
    let stand_in = importflame::filter::anonymize::stand_in("multiprocessing/pool.py");
    assert!(
        folded.contains(&format!("<module> ({stand_in})")),
        "{folded}"
    );
    // The same stand-in in the JSON frames and in the SVG.
    let doc = stdout(&run(
        &["-f", "json", "--anonymize", r"multiprocessing[\w/.]*", path],
        Vec::new(),
    ));
    assert!(doc.contains(&stand_in) && !doc.contains("multiprocessing"));
    let svg = stdout(&run(
        &["--anonymize", r"multiprocessing[\w/.]*", path],
        Vec::new(),
    ));
    assert!(svg.contains(&stand_in) && !svg.contains("multiprocessing"));
}

#[test]
fn anonymize_gives_both_sides_of_a_diff_the_same_names() {
    let before = "samples/importtime/single/py311_requests.log";
    let after = "samples/importtime/single/py313_requests.log";
    let out = run(
        &[
            "diff",
            "-f",
            "json",
            "--anonymize",
            r"^(requests|urllib3)[\w.]*",
            before,
            after,
        ],
        Vec::new(),
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    // `inputs` echoes the input names and the pattern as given (the render command's JSON
    // does the same); no frame name outside it may show a hidden module.
    let inputs = doc.as_object_mut().unwrap().remove("inputs").unwrap();
    assert_eq!(inputs[1]["filters"][0]["option"], "--anonymize");
    let frames = doc.to_string();
    assert!(
        !frames.contains("requests.") && !frames.contains("urllib3"),
        "{frames}"
    );
    let plain = stdout(&run(&["diff", "-f", "json", before, after], Vec::new()));
    let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
    // Renaming changes no number: the same totals on both sides.
    assert_eq!(doc["before_total"], plain["before_total"]);
    assert_eq!(doc["after_total"], plain["after_total"]);
}

#[test]
fn diff_and_check_filter_both_sides_before_comparing() {
    let before = "samples/importtime/single/py311_requests.log";
    let after = "samples/importtime/single/py313_requests.log";
    let focus = r"^urllib3$";
    let focused = |path: &str| {
        Filters {
            focus: Some(pattern(focus)),
            ..Filters::default()
        }
        .apply(&load(&repo(path)))
        .total()
    };
    let doc = json(&run(
        &["diff", "-f", "json", "--focus", focus, before, after],
        Vec::new(),
    ));
    assert_eq!(doc["before_total"], focused(before));
    assert_eq!(doc["after_total"], focused(after));
    let svg = stdout(&run(&["diff", "--focus", focus, before, after], Vec::new()));
    assert!(
        svg.contains(" under /^urllib3$/<"),
        "the diff's title says it is focused"
    );

    // check: the total budget is measured on the focused time, so a budget just above it
    // passes and one just below fails.
    let kept = focused(after);
    for (limit, code) in [(kept + 1, 0), (kept - 1, 1)] {
        let budget = format!("total={limit}us");
        let out = run(
            &["check", "--focus", focus, "--budget", &budget, after],
            Vec::new(),
        );
        assert_eq!(out.status.code(), Some(code), "{budget}: {}", stdout(&out));
    }
    // A gate measured on filtered stacks says so in its report.
    let md = stdout(&run(
        &[
            "check",
            "-f",
            "markdown",
            "--drop",
            r"^urllib3",
            "--budget",
            "total=1s",
            after,
        ],
        Vec::new(),
    ));
    assert!(md.contains("`--drop /^urllib3/ removed "), "{md}");
    let text = stdout(&run(
        &["diff", "-f", "text", "--focus", focus, before, after],
        Vec::new(),
    ));
    assert!(
        text.contains(
            "note: samples/importtime/single/py313_requests.log: --focus /^urllib3$/ kept "
        ),
        "{text}"
    );
    // The baseline is filtered too: the same file as its own baseline passes either way.
    let out = run(
        &["check", "--drop", r"^urllib3", "--baseline", after, after],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn an_invalid_pattern_is_exit_2_naming_the_option_and_the_character() {
    for (option, pattern, expected) in [
        ("--focus", "numpy(", "unclosed group at character 6"),
        (
            "--exclude",
            "[a-",
            "unclosed character class at character 1",
        ),
        ("--drop", "a{3,1}", "at character 2"),
        (
            "--anonymize",
            "*",
            "repetition operator missing expression at character 1",
        ),
    ] {
        let out = run(
            &[option, pattern, "samples/importtime/single/py312_numpy.log"],
            Vec::new(),
        );
        assert_eq!(out.status.code(), Some(2), "{option} {pattern}");
        let err = stderr(&out);
        assert!(err.contains(option) && err.contains(expected), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = run(
        &["check", "--budget", "total=1s", "--drop", "(", "x"],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_pattern_that_matches_nothing_is_a_warning_not_an_error() {
    let path = "samples/importtime/single/py312_numpy.log";
    let out = run(
        &[
            "-f",
            "folded",
            "--exclude",
            "no_such_module",
            "--hide-importlib",
            path,
        ],
        Vec::new(),
    );
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("importflame: warning: --exclude /no_such_module/ matches no frame"),
        "{err}"
    );
    assert!(
        err.contains("--hide-importlib found no import-machinery frames"),
        "{err}"
    );
    let plain = run(&["-f", "folded", path], Vec::new());
    assert_eq!(out.stdout, plain.stdout, "nothing matched, nothing changed");
    let quiet = run(&["-q", "--exclude", "no_such_module", path], Vec::new());
    assert!(stderr(&quiet).is_empty());
    // In a diff, a pattern that matches only one side (3.11 imports csv, 3.13 does not) is
    // no warning; one that matches neither is.
    let out = run(
        &[
            "diff",
            "-f",
            "json",
            "--exclude",
            r"^_?csv$",
            "--drop",
            r"^no_such_module$",
            "samples/importtime/single/py311_requests.log",
            "samples/importtime/single/py313_requests.log",
        ],
        Vec::new(),
    );
    let err = stderr(&out);
    assert!(!err.contains("/^_?csv$/ matches no frame"), "{err}");
    assert!(
        err.contains("--drop /^no_such_module$/ matches no frame"),
        "{err}"
    );
    assert!(out.status.success());
}

#[test]
fn weights_past_2_pow_64_stop_with_exit_2_not_a_panic_in_the_filters() {
    let input = b"a;b 18446744073709551615\na;c 18446744073709551615\n".to_vec();
    for args in [
        &["--focus", "a", "-f", "text", "-"][..],
        &["--drop", "b", "--exclude", "a", "-f", "json", "-"][..],
    ] {
        let out = run(args, input.clone());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("more than 2^64"), "{}", stderr(&out));
    }
}

/// The weight the unfiltered `-f folded` output holds through a frame matching `drop`, and
/// its total: what a `--drop` must report having removed and started from, computed apart
/// from it. The stack count is of the profile's stacks as read (folded lines merge stacks
/// that fold to the same line), as `drop_removes_whole_stacks…` counts them.
fn dropped_by_folded_output(path: &str, drop: &str) -> (u64, u64, u64) {
    let re = Regex::new(drop).unwrap();
    let out = run(&["-f", "folded", path], Vec::new());
    assert!(out.status.success(), "{}", stderr(&out));
    let (mut weight, mut total) = (0, 0);
    for line in stdout(&out).lines() {
        let (stack, w) = line.rsplit_once(' ').unwrap();
        let w: u64 = w.parse().unwrap();
        total += w;
        if stack.split(';').any(|f| re.is_match(f)) {
            weight += w;
        }
    }
    let profile = load(&repo(path));
    let stacks = profile
        .stacks()
        .filter(|s| {
            s.frames
                .iter()
                .any(|&f| re.is_match(profile.frames.name(f)))
        })
        .count() as u64;
    (weight, stacks, total)
}

/// The one `--drop` entry of a report's `inputs[]` for `name`, checked against the folded text.
fn assert_drop_entry(doc: &serde_json::Value, name: &str, drop: &str) {
    let (weight, stacks, total) = dropped_by_folded_output(name, drop);
    assert!(
        weight > 0 && weight < total,
        "{name}: the pattern splits it"
    );
    let input = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {doc}"));
    assert_eq!(input["total_before"], total, "{name}");
    let filters = input["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 1, "{name}");
    assert_eq!(filters[0]["option"], "--drop");
    assert_eq!(filters[0]["pattern"], drop);
    assert_eq!(filters[0]["weight"], weight, "{name}");
    assert_eq!(filters[0]["stacks"], stacks, "{name}");
    let message = filters[0]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("--drop /{drop}/ removed {stacks} stacks, ")));
}

#[test]
fn check_and_diff_json_reports_carry_what_the_filters_removed() {
    let before = "samples/importtime/single/py311_requests.log";
    let after = "samples/importtime/single/py313_requests.log";
    let drop = r"^urllib3";
    let (dropped, _, after_total) = dropped_by_folded_output(after, drop);

    let doc = json(&run(
        &[
            "check",
            "-f",
            "json",
            "--drop",
            drop,
            "--budget",
            "total=10s",
            after,
        ],
        Vec::new(),
    ));
    assert_eq!(doc["total"], after_total - dropped);
    assert_drop_entry(&doc, after, drop);
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 1);

    let doc = json(&run(
        &["diff", "-f", "json", "--drop", drop, before, after],
        Vec::new(),
    ));
    assert_drop_entry(&doc, before, drop);
    assert_drop_entry(&doc, after, drop);
    assert_eq!(doc["after_total"], after_total - dropped);

    // Unfiltered reports keep their shape: no `inputs` key.
    let plain = json(&run(&["diff", "-f", "json", before, after], Vec::new()));
    assert!(plain.get("inputs").is_none(), "{plain}");
    let plain = json(&run(
        &["check", "-f", "json", "--budget", "total=10s", after],
        Vec::new(),
    ));
    assert!(plain.get("inputs").is_none(), "{plain}");
}

#[test]
fn the_focused_subtitle_says_its_repair_count_is_the_whole_inputs() {
    // pytest_combined.log has rows repaired across the whole log; a --focus graph shows only
    // part of it, so its subtitle must not present the count as the focused part's.
    let path = "samples/importtime/pytest/pytest_combined.log";
    let whole = stdout(&run(&[path], Vec::new()));
    let count_line = |svg: &str| -> Option<String> {
        let at = svg.find(" skipped, repaired or guessed")?;
        let start = svg[..at].rfind(" · ")? + " · ".len();
        let end = at + svg[at..].find(" (see stderr")?;
        Some(svg[start..end].to_string())
    };
    let plain = count_line(&whole).expect("the log has repairs");
    assert!(!plain.contains("whole input"), "{plain}");
    let focused = stdout(&run(&["--focus", "^pytest$", path], Vec::new()));
    assert_eq!(
        count_line(&focused),
        Some(format!("{plain} in the whole input"))
    );
}
