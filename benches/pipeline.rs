//! Throughput of the parsers and the parallel fold (`cargo bench`).
//!
//! Inputs are the committed samples; the large importtime log (the 2,167-module report 200
//! times over, 31 MB) is built here in memory, never committed. Whole commands against the
//! tools people use today are measured by `scripts/bench.sh` (see BENCHMARKS.md).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use importflame::fold::{self, FoldOptions, Named};
use importflame::input::{self, Format, ParseOptions};
use importflame::render::{self, OutputFormat, Report, SvgOptions};

const MANY_LIBS: &str = "samples/importtime/single/py311_many_libs.log";

fn sample(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The benchmark's big log: `py311_many_libs.log` 200 times (433,600 lines).
fn big_log() -> Vec<u8> {
    sample(MANY_LIBS).repeat(200)
}

fn parse(c: &mut Criterion) {
    let opts = ParseOptions::default();
    let inputs = [
        ("importtime_single", Format::Importtime, sample(MANY_LIBS)),
        ("importtime_x200", Format::Importtime, big_log()),
        (
            "importtime_pytest",
            Format::Importtime,
            sample("samples/importtime/pytest/pytest_combined.log"),
        ),
        (
            "pyspy_raw",
            Format::Folded,
            sample("samples/pyspy/record_busy_raw.txt"),
        ),
        (
            "pstats",
            Format::Pstats,
            sample("samples/pstats/workload.prof"),
        ),
    ];
    let mut group = c.benchmark_group("parse");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for (name, format, data) in &inputs {
        if format.parse(data, &opts).is_err() {
            // The pstats parser lands on another branch; until then there is nothing to time.
            eprintln!("parse/{name}: this build cannot read it, skipped");
            continue;
        }
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| format.parse(black_box(data), &opts).unwrap())
        });
    }
    group.finish();
}

fn fold_jobs(c: &mut Criterion) {
    let data = big_log();
    let profile = input::importtime::parse(&data, &ParseOptions::default()).unwrap();
    let named = [Named {
        name: "x200.log".to_string(),
        profile: &profile,
    }];
    let mut group = c.benchmark_group("fold_importtime_x200");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Bytes(data.len() as u64));
    for jobs in [1, 2] {
        let opts = FoldOptions {
            jobs,
            ..FoldOptions::default()
        };
        group.bench_with_input(BenchmarkId::new("jobs", jobs), &opts, |b, opts| {
            b.iter(|| fold::fold(&named, opts).unwrap())
        });
    }
    group.finish();
}

fn render_outputs(c: &mut Criterion) {
    let data = big_log();
    let profile = input::importtime::parse(&data, &ParseOptions::default()).unwrap();
    let named = [Named {
        name: "x200.log".to_string(),
        profile: &profile,
    }];
    let folded = fold::fold(&named, &FoldOptions::default()).unwrap();
    let summaries = importflame::summaries(&[("x200.log".to_string(), profile.clone())]);
    let svg = SvgOptions {
        width: Some(1200),
        min_width: Some(0.1),
        ..SvgOptions::default()
    };
    let report = Report {
        folded: &folded,
        inputs: &summaries,
        svg: &svg,
        top: 25,
    };
    let mut group = c.benchmark_group("render_importtime_x200");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Bytes(data.len() as u64));
    for (name, format) in [("folded", OutputFormat::Folded), ("svg", OutputFormat::Svg)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(1 << 20);
                render::render(&report, format, &mut out).unwrap();
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse, fold_jobs, render_outputs);
criterion_main!(benches);
