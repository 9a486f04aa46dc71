//! The SVG as a browser gets it: order of a flame chart, escaping, titles.

use crate::common;

use common::run;

const THREE_IMPORTS: &str = "import time: self [us] | cumulative | imported package\n\
import time:       100 |        100 | first\n\
import time:        50 |         50 |   second_child\n\
import time:       200 |        250 | second\n\
import time:       300 |        300 | third\n";

/// `(title, x)` of every frame rectangle.
fn frames(svg: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<title>") {
        rest = &rest[i + 7..];
        let end = rest.find("</title>").unwrap();
        let title = rest[..end].to_string();
        let x_at = rest.find("x=\"").unwrap() + 3;
        let x_end = rest[x_at..].find('"').unwrap();
        let x = rest[x_at..x_at + x_end]
            .trim_end_matches('%')
            .parse()
            .unwrap();
        out.push((title, x));
    }
    out
}

fn x_of(frames: &[(String, f64)], name: &str) -> f64 {
    frames
        .iter()
        .find(|(t, _)| t.starts_with(&format!("{name} (")))
        .unwrap_or_else(|| panic!("{name} in {frames:?}"))
        .1
}

#[test]
fn a_flame_chart_draws_imports_left_to_right_in_the_order_they_happened() {
    let out = run(&["--flamechart"], THREE_IMPORTS.as_bytes().to_vec());
    let svg = String::from_utf8(out.stdout).unwrap();
    let f = frames(&svg);
    assert!(x_of(&f, "first") < x_of(&f, "second"));
    assert!(x_of(&f, "second") < x_of(&f, "third"));
    assert!(x_of(&f, "second") <= x_of(&f, "second_child"));
}

#[test]
fn tooltips_show_milliseconds_and_share() {
    let out = run(&[], THREE_IMPORTS.as_bytes().to_vec());
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(
        svg.contains("<title>third (300 µs, 46.15%)</title>"),
        "{svg}"
    );
    assert!(svg.contains("Import time: 650 µs in 4 modules (1 report)"));
}

#[test]
fn hostile_module_names_are_escaped() {
    let log = "import time: self [us] | cumulative | imported package\n\
               import time:       100 |        100 | <script>alert(1)</script>&\"'\n";
    let out = run(&[], log.as_bytes().to_vec());
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(!svg.contains("<script>alert"), "raw script tag in the SVG");
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
}

#[test]
fn a_flame_chart_of_a_3_15_lazy_import_shows_it_after_its_importer() {
    let out = run(
        &[
            "--flamechart",
            "-q",
            "samples/importtime/single/py315_lazy_argparse.log",
        ],
        Vec::new(),
    );
    let svg = String::from_utf8(out.stdout).unwrap();
    let f = frames(&svg);
    // argparse's `lazy import _colorize` is resolved when help is formatted: a late top-level
    // tree, drawn to the right of argparse, where it happened.
    assert!(x_of(&f, "_colorize") > x_of(&f, "argparse"));
}

#[test]
fn a_small_graph_matches_its_svg_snapshot() {
    // Pins what inferno draws (and what importflame adds: titles, colours, legend), so a
    // change of inferno or of the rendering shows up as a reviewable diff.
    let out = run(&["--width", "600"], THREE_IMPORTS.as_bytes().to_vec());
    assert!(out.status.success());
    let svg = String::from_utf8(out.stdout).unwrap();
    common::with_snapshots(|| insta::assert_snapshot!("svg__three_imports", svg));
}

/// `1234` as `1,234`: the one style of count every title uses, written out here apart from
/// the crate's own formatter.
fn with_separator(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Titles wrote "4,936 modules (1234 reports)": modules had the thousands separator, reports
/// and runs did not. Every count in a title has it now, in the SVG and the tables alike.
#[test]
fn every_count_in_a_title_has_the_thousands_separator() {
    let reports = 1234;
    let log = THREE_IMPORTS.repeat(reports);
    let modules = log
        .lines()
        .filter(|l| l.starts_with("import time:") && !l.contains("imported package"))
        .count();
    assert_eq!(modules, 4 * reports);
    let title = format!(
        "in {} modules ({} reports)",
        with_separator(modules),
        with_separator(reports)
    );
    for args in [&[][..], &["-f", "text"], &["-f", "markdown"]] {
        let out = run(args, log.as_bytes().to_vec());
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(&title), "{args:?}: {title}");
    }
    // Combined runs: the drawn run's 4 modules, and the number of runs.
    let out = run(&["-f", "text", "--runs", "median"], log.as_bytes().to_vec());
    let text = String::from_utf8(out.stdout).unwrap();
    let runs = format!("in 4 modules (median of {} runs)", with_separator(reports));
    assert!(text.lines().next().unwrap().ends_with(&runs), "{text}");
}
