//! Output is the same bytes on every thread count: every sample of every kind is folded with
//! 1 and with 2 to 8 threads, and a few are rendered to SVG with -j 1 and -j 4.

use crate::common;

use std::path::{Path, PathBuf};

use common::{folded, run};
use importflame::input::{self, ParseOptions, Source};

fn all_samples(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_samples(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_sample_folds_to_the_same_lines_on_any_thread_count() {
    let mut files = Vec::new();
    all_samples(&common::repo("samples"), &mut files);
    files.sort();
    let mut parsed = 0;
    for path in files {
        // READMEs, programs and pstats printouts are not profiles: they fail to parse.
        let Ok(profile) = input::load(&Source::Path(path.clone()), None, &ParseOptions::default())
        else {
            continue;
        };
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
    }
    assert!(parsed >= 60, "only {parsed} samples parsed");
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
