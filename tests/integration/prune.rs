//! Cutting what the flame graph never draws before it is stored (issue 18): the SVG must be
//! the same bytes as without the cut, and a long log must take memory for what is drawn.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;
use importflame::cli::Cli;
use importflame::fold::{self, FoldOptions, Named};
use importflame::input::{self, ParseOptions, Source};
use importflame::model::Profile;
use importflame::render::{self, Report};

#[cfg(target_os = "linux")]
use crate::common::peak_rss_of;
use crate::common::{assert_success, files_under, profiles_of, repo, run};

/// Every importtime sample, and logs made of several of them (reports of very different
/// sizes, so that whole reports and deep subtrees fall under the threshold).
fn logs(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for group in ["single", "multiproc", "pytest", "edge"] {
        let mut found: Vec<PathBuf> =
            std::fs::read_dir(repo(&format!("samples/importtime/{group}")))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
        found.sort();
        paths.extend(found);
    }
    let mixed = dir.join("mixed.log");
    let mut text = Vec::new();
    for name in [
        "py311_many_libs",
        "py311_json",
        "py311_pandas",
        "py311_failed_imports",
    ] {
        for _ in 0..3 {
            text.extend(
                std::fs::read(repo(&format!("samples/importtime/single/{name}.log"))).unwrap(),
            );
        }
    }
    std::fs::write(&mixed, text).unwrap();
    paths.push(mixed);
    paths
}

/// The SVG that the library draws of `path` with these parse options, as `importflame PATH`
/// would (its defaults).
fn svg_of(path: &Path, parse: &ParseOptions) -> (String, Profile) {
    let config = Cli::try_parse_from(["importflame", path.to_str().unwrap()])
        .unwrap()
        .into_config()
        .unwrap();
    let profile = input::load(&Source::Path(path.to_path_buf()), None, parse).unwrap();
    let name = path.display().to_string();
    let profiles = vec![(name.clone(), profile)];
    let named = [Named {
        name,
        profile: &profiles[0].1,
    }];
    let folded = fold::fold(&named, &FoldOptions::default()).unwrap();
    let inputs = importflame::summaries(&profiles);
    let report = Report {
        folded: &folded,
        inputs: &inputs,
        svg: &config.svg,
        top: config.top,
    };
    let mut out = Vec::new();
    render::render(&report, config.format, &mut out).unwrap();
    let (_, profile) = profiles.into_iter().next().unwrap();
    (String::from_utf8(out).unwrap(), profile)
}

#[test]
fn cutting_never_drawn_subtrees_leaves_every_svg_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut cut_somewhere = false;
    for path in logs(dir.path()) {
        if input::load(&Source::Path(path.clone()), None, &ParseOptions::default()).is_err() {
            continue; // pytest's stdout: no rows
        }
        let (whole, all) = svg_of(&path, &ParseOptions::default());
        let pruned_opts = ParseOptions {
            prune_below: Some(0.1),
            ..ParseOptions::default()
        };
        let (pruned, kept) = svg_of(&path, &pruned_opts);
        assert_eq!(
            kept.total(),
            all.total(),
            "{}: time conserved",
            path.display()
        );
        assert!(kept.stack_count() <= all.stack_count());
        cut_somewhere |= kept.stack_count() < all.stack_count();
        assert!(pruned == whole, "{}: the SVG changed", path.display());
        // The binary cuts on its own (its default output is this SVG) and draws the same.
        let out = dir.path().join("out.svg");
        let ran = run(
            &[path.to_str().unwrap(), "-q", "-o", out.to_str().unwrap()],
            Vec::new(),
        );
        assert_success(&ran);
        assert!(
            std::fs::read_to_string(&out).unwrap() == whole,
            "{}",
            path.display()
        );
    }
    assert!(
        cut_somewhere,
        "some sample had a subtree narrower than 0.1%"
    );
}

/// The sorting trap that a cut must avoid: inferno sorts lines as text, so `a;n 40` (n's own
/// time) and `a;n;x 3` (its children) are split by the sibling `a;n2`, and `n` is drawn as two
/// runs. A cut that wrote `a;n 45` (merging the narrow children into `n`) would move `n2`
/// right by 5 µs: the 0.001% shift of the issue.
#[test]
fn a_cut_keeps_a_frame_split_by_a_sibling_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split.log");
    let mut log = String::from("import time: self [us] | cumulative | imported package\n");
    log.push_str("import time:         3 |          3 |     x\n");
    log.push_str("import time:         2 |          2 |     y\n");
    log.push_str("import time:        40 |         45 |   n\n");
    log.push_str("import time:     20000 |      20000 |   n2\n");
    log.push_str("import time:     40000 |      60045 | a\n");
    std::fs::write(&path, log).unwrap();
    let (whole, all) = svg_of(&path, &ParseOptions::default());
    let (pruned, kept) = svg_of(
        &path,
        &ParseOptions {
            prune_below: Some(0.1),
            ..ParseOptions::default()
        },
    );
    assert_eq!((all.stack_count(), kept.stack_count()), (5, 4));
    assert_eq!(kept.total(), all.total());
    assert!(pruned == whole);
}

/// pytest-profiling's merged `combined.prof` (issue 14): 310 KB whose call graph infers 35 MB
/// of folded stacks, of which the SVG draws about a thousand frames. The SVG must cost what
/// it draws: it never holds the folded text (its peak is not half that text above `-f
/// folded`'s, which writes the text a piece at a time and so peaks near the text's size,
/// issue 18), stays under the 256 MB, and its size is that of the frames drawn.
#[cfg(target_os = "linux")]
#[test]
fn a_pytest_profiling_combined_file_is_drawn_without_its_folded_text() {
    let dir = tempfile::tempdir().unwrap();
    let prof = repo("samples/pstats/pytest_profiling_combined.prof");
    let peak_of = |format: &str, out: &Path| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_importflame"));
        command.args(["-q", "-j", "1", "-f", format]);
        command.arg(&prof).arg("-o").arg(out);
        let (status, peak) = peak_rss_of(command);
        assert!(status.success(), "-f {format}");
        peak
    };
    let folded_path = dir.path().join("combined.folded");
    let folded_peak = peak_of("folded", &folded_path);
    let folded_len = std::fs::metadata(&folded_path).unwrap().len();
    assert!(folded_len > 20 << 20, "{folded_len} bytes of folded stacks");
    let svg_path = dir.path().join("combined.svg");
    let svg_peak = peak_of("svg", &svg_path);
    let peaks = format!(
        "SVG peak {} KiB, -f folded peak {} KiB for {} KiB of text",
        svg_peak >> 10,
        folded_peak >> 10,
        folded_len >> 10
    );
    // The call graph and the walk take about 20 MB of their own (debug build): holding the
    // whole text besides would peak near 45 MB.
    assert!(folded_peak < folded_len + folded_len / 4, "{peaks}");
    assert!(svg_peak < folded_peak + folded_len / 2, "{peaks}");
    assert!(svg_peak < 256 << 20, "SVG peak {} KiB", svg_peak >> 10);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let frames = svg.matches("<title>").count();
    assert!((200..5000).contains(&frames), "{frames} frames drawn");
    assert!(svg.len() < 2 << 20, "{} bytes of SVG", svg.len());
}

/// A real report repeated to `text_bytes` of log, gzipped (one gzip member written many
/// times, as `cat a.gz a.gz` makes: gzip readers join members); returns the report count.
fn long_gzip_log(path: &Path, text_bytes: usize) -> usize {
    use flate2::{Compression, write::GzEncoder};
    let report = std::fs::read(repo("samples/importtime/single/py311_requests.log")).unwrap();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&report).unwrap();
    let member = gz.finish().unwrap();
    let copies = text_bytes / report.len();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for _ in 0..copies {
        file.write_all(&member).unwrap();
    }
    file.into_inner().unwrap().sync_all().unwrap();
    copies
}

/// Peak RSS of `importflame -q LOG -o SVG`, checking that the title counts every report.
#[cfg(target_os = "linux")]
fn peak_rss_drawing(dir: &Path, text_bytes: usize) -> u64 {
    let path = dir.join(format!("long-{text_bytes}.log.gz"));
    let copies = long_gzip_log(&path, text_bytes);
    let out = dir.join("long.svg");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_importflame"));
    command.args([
        "-q",
        "-j",
        "1",
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let (status, peak) = peak_rss_of(command);
    assert!(status.success());
    let svg = std::fs::read_to_string(&out).unwrap();
    // Thousands separated, as every count in a title (2212 copies: "(2,212 reports)").
    let counted = if copies < 1000 {
        copies.to_string()
    } else {
        format!("{},{:03}", copies / 1000, copies % 1000)
    };
    assert!(
        svg.contains(&format!("({counted} reports)")),
        "the title counts every report"
    );
    peak
}

/// The 2 GB gzip log of issue 18 (8.8 GB peak when every row was held: about 4 times the
/// text), scaled down: 4 times the log must not take more memory beyond a small margin, and
/// the larger one takes less memory than its own text.
#[cfg(target_os = "linux")]
#[test]
fn a_long_gzip_log_is_drawn_in_memory_bounded_by_what_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let small = peak_rss_drawing(dir.path(), 8 << 20);
    let large = peak_rss_drawing(dir.path(), 32 << 20);
    assert!(
        large < small + small / 4,
        "peak RSS grew from {} KiB to {} KiB with 4 times the log",
        small >> 10,
        large >> 10
    );
    assert!(
        large < 32 << 20,
        "peak RSS {} KiB for 32 MiB of text",
        large >> 10
    );
}

/// inferno's SVG of folded `lines`, with importflame's `--min-width` and fixed colours.
fn inferno_svg<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut opts = inferno::flamegraph::Options::default();
    opts.min_width = 0.1;
    opts.hash = true;
    opts.deterministic = true;
    let mut out = Vec::new();
    inferno::flamegraph::from_lines(&mut opts, lines, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn inferno_draws_the_drawable_lines_of_every_sample_as_it_draws_all_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = files_under(&repo("samples"));
    paths.extend(
        logs(dir.path())
            .into_iter()
            .filter(|p| p.starts_with(dir.path())),
    );
    let mut drawn = 0;
    let mut fewer = 0;
    for (path, profile) in profiles_of(paths) {
        let named = [Named {
            name: "x".into(),
            profile: &profile,
        }];
        let folded = fold::fold(&named, &FoldOptions::default()).unwrap();
        if folded.total() == 0 {
            continue;
        }
        let all: Vec<&str> = folded.lines.lines_with_weights().collect();
        let kept = render::prune::drawable(all.iter().copied(), 0.1);
        let kept_total: u64 = kept
            .iter()
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(kept_total, folded.total(), "{}", path.display());
        fewer += usize::from(kept.len() < all.len());
        let whole = inferno_svg(all.iter().copied());
        let pruned = inferno_svg(kept.iter().map(AsRef::as_ref));
        assert!(whole == pruned, "{}: the SVG changed", path.display());
        drawn += 1;
    }
    assert!(drawn > 40, "{drawn} samples drawn");
    assert!(fewer > 10, "only {fewer} samples had lines to cut");
}

/// The fold's cut on rank lists (what an SVG is drawn from) must hand inferno exactly the
/// lines the renderer's cut of the whole folded text gives, in the same order, for every
/// sample, at several widths and thread counts; where it cannot (labels that sort lines
/// apart from stacks), it leaves every line to the renderer.
#[test]
fn the_folds_cut_gives_the_renderers_lines_for_every_sample() {
    let mut paths = files_under(&repo("samples"));
    paths.sort();
    let (mut cut, mut left) = (0, 0);
    for (path, profile) in profiles_of(paths) {
        let named = [Named {
            name: "x".into(),
            profile: &profile,
        }];
        let all = fold::fold(&named, &FoldOptions::default()).unwrap();
        if all.total() == 0 {
            continue;
        }
        for (min_width, jobs) in [(0.1, 1), (0.1, 2), (1.0, 2), (0.01, 1)] {
            let opts = FoldOptions {
                jobs,
                drawable: Some(min_width),
                ..FoldOptions::default()
            };
            let folded = fold::fold(&named, &opts).unwrap();
            assert_eq!(folded.total(), all.total(), "{}", path.display());
            if folded.drawn_at.is_none() {
                assert_eq!(folded.lines, all.lines, "{}", path.display());
                left += 1;
                continue;
            }
            assert_eq!(folded.drawn_at, Some(min_width));
            let expected: Vec<String> =
                render::prune::drawable(all.lines.lines_with_weights(), min_width)
                    .into_iter()
                    .map(|l| l.into_owned())
                    .collect();
            let got: Vec<&str> = folded.lines.lines_with_weights().collect();
            assert_eq!(got, expected, "{} at {min_width}%", path.display());
            cut += 1;
        }
    }
    assert!(cut > 150, "{cut} cuts compared");
    assert!(left > 0, "no sample left its cut to the renderer");
}

/// `-f json` of the 15,000-function pstats file was 54 MB of tree: bounded like the SVG, it
/// says what it merged, and every total still adds up.
#[test]
fn json_of_a_large_pstats_file_is_bounded_and_says_what_it_merged() {
    let out = run(&["-f", "json", "samples/pstats/workload.prof"], Vec::new());
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = v["total"].as_u64().unwrap();
    let bounded = &v["bounded"];
    assert_eq!(bounded["min_width_percent"], 0.1);
    assert_eq!(
        bounded["threshold"].as_f64().unwrap(),
        total as f64 / 1000.0
    );
    assert!(bounded["nodes_merged"].as_u64().unwrap() > 1000);
    let nodes = v["nodes"].as_array().unwrap();
    assert!(nodes.len() < 5000, "{} nodes listed", nodes.len());
    let roots: u64 = nodes
        .iter()
        .filter(|n| n["parent"].is_null())
        .map(|n| n["total"].as_u64().unwrap())
        .sum();
    assert_eq!(roots, total);
    let stacks: u64 = v["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["weight"].as_u64().unwrap())
        .sum();
    assert_eq!(stacks, total);
    let merged: u64 = nodes.iter().filter_map(|n| n["merged"].as_u64()).sum();
    assert_eq!(merged, bounded["nodes_merged"].as_u64().unwrap());
    // Every frame is still in the per-frame table.
    let all = run(
        &[
            "-f",
            "json",
            "--min-width",
            "0",
            "samples/pstats/workload.prof",
        ],
        Vec::new(),
    );
    let w: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(w["frames"], v["frames"]);
    assert_eq!(w["bounded"]["nodes_merged"], 0);
    // Unbounded, the tree lists every node: many times what the bounded one keeps (64,365
    // nodes since the pstats walk of issue 14, 2,494 bounded).
    assert!(w["nodes"].as_array().unwrap().len() > 10 * nodes.len());
}

/// A log large enough to be streamed keeps the errors of a whole read: the size limit and a
/// damaged gzip stream, named with the file.
#[test]
fn a_streamed_log_reports_the_size_limit_and_a_cut_gzip_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log.gz");
    long_gzip_log(&path, 3 << 20);
    let name = path.to_str().unwrap();
    let out = run(
        &["-q", "--max-input-size", "2000000", name, "-o", "-"],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(name) && err.contains("larger than 2000000 bytes"),
        "{err}"
    );
    let data = std::fs::read(&path).unwrap();
    std::fs::write(&path, &data[..data.len() - 7]).unwrap();
    let out = run(&["-q", name, "-o", "-"], Vec::new());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(name) && err.contains("not a valid gzip stream"),
        "{err}"
    );
}
