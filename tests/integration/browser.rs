//! The graphs in a real browser: headless Chromium (Debian's `chromium`), driven by
//! playwright-core (`tests/browser/check.mjs`), types a search and checks the highlighted
//! frames, clicks a frame and checks that it zoomed, and saves screenshots under
//! `target/browser/`. It needs Chromium, node and playwright-core, so it is `#[ignore]`d:
//! `.ci/run` installs them and runs it with `--include-ignored`; run it locally with
//! `cargo test browser -- --include-ignored`. A missing tool is then a failure saying which.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;

fn tools_missing(root: &Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("no Chromium at {chromium}"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node".into());
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        return Some("playwright-core is not installed (npm ci --prefix tests/browser)".into());
    }
    None
}

fn render(args: &[&str], out: &Path) {
    let mut all: Vec<&str> = args.to_vec();
    let out_str = out.to_str().unwrap();
    all.extend(["-q", "-o", out_str]);
    let result = run(&all, Vec::new());
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn graphs_search_and_zoom_in_headless_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if let Some(why) = tools_missing(&root) {
        panic!("the browser test cannot run: {why} (.ci/run installs what it needs)");
    }
    let dir = root.join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let graphs: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["samples/importtime/single/py311_many_libs.log"],
            "importtime.svg",
            "^urllib3",
        ),
        (
            vec![
                "--inverted",
                "samples/importtime/pytest/pytest_combined.log",
            ],
            "importtime-inverted.svg",
            "^numpy",
        ),
        (
            vec![
                "diff",
                "samples/importtime/single/py311_requests.log",
                "samples/importtime/single/py313_requests.log",
            ],
            "diff.svg",
            "^urllib3",
        ),
        (
            vec!["samples/pyspy/record_busy_raw.txt"],
            "pyspy.svg",
            "spy_busy",
        ),
        // Issue 17: `-o report.html` embeds the graph; `--reverse` draws it bottom-up.
        (
            vec!["samples/importtime/single/py311_requests.log"],
            "importtime.html",
            "^urllib3",
        ),
        (
            vec!["--reverse", "samples/pyspy/record_busy_raw.txt"],
            "pyspy-reverse.svg",
            "spy_busy",
        ),
    ];
    for (args, name, term) in graphs {
        let svg = dir.join(name);
        // `diff` takes its options after the subcommand.
        render(&args, &svg);
        let out = Command::new("node")
            .arg(root.join("tests/browser/check.mjs"))
            .arg(term)
            .arg(&svg)
            .output()
            .expect("node runs");
        let report = String::from_utf8_lossy(&out.stdout);
        print!("{report}");
        assert!(
            out.status.success(),
            "{name}: {report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            report.lines().filter(|l| l.starts_with("ok ")).count(),
            3,
            "{report}"
        );
        let shot = name.replace(".svg", ".png").replace(".html", ".png");
        assert!(dir.join(shot).exists());
    }
}
