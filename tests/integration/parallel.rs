//! Output is the same bytes on every thread count: every sample of every kind is folded with
//! 1 and with 2 to 8 threads (and written as `-f folded` with 1, 2 and 4), and a few are
//! rendered to SVG with -j 1 and -j 4.

use crate::common;

use common::{folded, run};
use importflame::fold::{self, FoldOptions, Named};
use importflame::model::Profile;

#[test]
fn every_sample_folds_to_the_same_lines_on_any_thread_count() {
    let mut parsed = 0;
    for (path, profile) in common::profiles_of(common::files_under(&common::repo("samples"))) {
        parsed += 1;
        let one = folded(&profile, 1);
        for jobs in [2, 3, 8] {
            assert_eq!(
                folded(&profile, jobs),
                one,
                "{} with {jobs} threads",
                path.display()
            );
        }
        assert_eq!(
            one,
            profile.folded_lines(),
            "{}: parallel fold = reference fold",
            path.display()
        );
        let buffer = folded_text(&profile, 1);
        for jobs in [1, 2, 4] {
            assert_eq!(
                written_folded(&profile, jobs),
                buffer,
                "{}: -f folded written in pieces with {jobs} threads = the renderers' buffer",
                path.display()
            );
        }
    }
    assert!(parsed >= 60, "only {parsed} samples parsed");
}

fn options(jobs: usize) -> FoldOptions {
    FoldOptions {
        jobs,
        ..FoldOptions::default()
    }
}

fn named(profile: &Profile) -> [Named<'_>; 1] {
    [Named {
        name: "x".into(),
        profile,
    }]
}

/// The folded lines in the one buffer the renderers read ([`fold::fold`]).
fn folded_text(profile: &Profile, jobs: usize) -> String {
    let folded = fold::fold(&named(profile), &options(jobs)).unwrap();
    folded.lines.as_str().to_string()
}

/// `-f folded` as the binary writes it ([`fold::fold_for_output`]): a piece at a time.
fn written_folded(profile: &Profile, jobs: usize) -> String {
    let mut out = Vec::new();
    fold::fold_for_output(&named(profile), &options(jobs))
        .unwrap()
        .write(&mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_svg_is_the_same_bytes_with_one_thread_and_four() {
    for sample in [
        "samples/importtime/single/py311_many_libs.log",
        "samples/pstats/workload.prof",
        "samples/pyspy/record_subprocesses_raw.txt",
        "samples/tachyon/py315_gecko.json",
    ] {
        let one = run(&["-q", "-j", "1", sample], Vec::new());
        let four = run(&["-q", "-j", "4", sample], Vec::new());
        assert!(one.status.success(), "{sample}");
        assert_eq!(one.stdout, four.stdout, "{sample}");
    }
}

/// Reports are parsed on several threads (issue 18): a log of many reports, with repairs in
/// them, large enough to be streamed and cut into segments, gives the same folded bytes and
/// the same diagnostics with 1, 2 and 3 threads, read from a file and from standard input.
#[test]
fn a_long_multi_report_log_parses_to_the_same_bytes_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    for name in [
        "single/py311_failed_imports.log",
        "single/py311_importlib_orphans.log",
        "multiproc/threads_import.log",
        "pytest/pytest_combined.log",
        "single/py311_many_libs.log",
    ] {
        log.extend(std::fs::read(common::repo(&format!("samples/importtime/{name}"))).unwrap());
    }
    // A header cutting a report short, and a failure message after its report closed.
    log.extend(
        b"import time: self [us] | cumulative | imported package\n\
          import time:        40 |         40 |     deep_child\n\
          import time: self [us] | cumulative | imported package\n\
          import time:        40 |         40 | late_failure\n"
            .iter(),
    );
    let log = log.repeat(8);
    let mut log = log;
    log.extend(b"ModuleNotFoundError: No module named 'late_failure'\n");
    assert!(
        log.len() > 2 << 20,
        "streamed, and more than one batch per thread"
    );
    let path = dir.path().join("many_reports.log");
    std::fs::write(&path, &log).unwrap();
    let path = path.to_str().unwrap();
    let one = run(&["-j", "1", path, "-f", "folded"], Vec::new());
    assert!(one.status.success());
    let stderr = String::from_utf8_lossy(&one.stderr);
    for repair in [
        "negative self",
        "cut unfinished reports short",
        "failed imports",
    ] {
        assert!(stderr.contains(repair), "{repair}: {stderr}");
    }
    let reports = String::from_utf8_lossy(&one.stdout)
        .lines()
        .filter_map(|l| l.split(';').next())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(reports > 40, "{reports} reports");
    for jobs in ["2", "3"] {
        let file = run(&["-j", jobs, path, "-f", "folded"], Vec::new());
        assert_eq!(file.stdout, one.stdout, "-j {jobs}, a file");
        assert_eq!(file.stderr, one.stderr, "-j {jobs}, a file");
        let stdin = run(&["-j", jobs, "-", "-f", "folded"], log.clone());
        assert_eq!(stdin.stdout, one.stdout, "-j {jobs}, standard input");
    }
}

/// `-f folded` is laid out and written a piece at a time (issue 18), not from the one buffer
/// the renderers read: a log of 20 reports (43,000 lines) makes dozens of pieces, which come
/// out as that buffer on 1, 2 and 4 threads, to standard output and to a file. (Every sample
/// is checked the same way in `every_sample_folds_to_the_same_lines_on_any_thread_count`.)
#[test]
fn folded_output_of_many_pieces_is_the_renderers_buffer_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reports.log");
    let report = std::fs::read(common::repo(
        "samples/importtime/single/py311_many_libs.log",
    ))
    .unwrap();
    std::fs::write(&path, report.repeat(20)).unwrap();
    let profile = common::load(&path);
    let text = folded_text(&profile, 1);
    assert!(
        text.lines().count() > 40_000
            && text.contains("\npython #1;")
            && text.contains("\npython #20;"),
        "{} lines of 20 reports",
        text.lines().count()
    );
    assert_eq!(written_folded(&profile, 2), text);
    let path = path.to_str().unwrap();
    for jobs in ["1", "2", "4"] {
        let out = run(&["-q", "-j", jobs, path, "-f", "folded"], Vec::new());
        assert!(out.status.success(), "-j {jobs}");
        assert!(
            out.stdout == text.as_bytes(),
            "-j {jobs}: not the renderers' buffer"
        );
        let file = dir.path().join(format!("j{jobs}.folded"));
        let out = run(
            &["-q", "-j", jobs, path, "-o", file.to_str().unwrap()],
            Vec::new(),
        );
        assert!(out.status.success(), "-j {jobs} -o");
        assert!(
            std::fs::read(&file).unwrap() == text.as_bytes(),
            "-j {jobs} -o"
        );
    }
}
