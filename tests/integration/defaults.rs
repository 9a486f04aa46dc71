//! Defaults a person expects (issue 17): what importflame does when an option is left out, on a
//! terminal (a real pseudo-terminal from `openpty`), and the wording of what it says.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{repo, run, run_in};

const SAMPLE: &str = "samples/importtime/single/py311_requests.log";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A pseudo-terminal: what importflame writes to it is read from the master side.
#[cfg(unix)]
mod pty {
    use std::fs::File;
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};

    pub struct Pty {
        pub master: File,
        pub slave: OwnedFd,
    }

    pub fn open() -> Pty {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two new descriptors, owned from here on.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty");
        // SAFETY: both descriptors were just opened and nothing else owns them.
        unsafe {
            Pty {
                master: File::from_raw_fd(master),
                slave: OwnedFd::from_raw_fd(slave),
            }
        }
    }

    /// Everything written to the terminal once every slave end is closed (Linux then
    /// reports EIO, which ends the read).
    pub fn drain(mut master: File) -> String {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Waits at most 20 s: a bare importflame that waits on the terminal must fail the test, not
/// hang it.
fn wait_bounded(mut child: std::process::Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("importflame waited on the terminal instead of printing its usage");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn bare_importflame_on_a_terminal_prints_the_usage_instead_of_waiting() {
    let terminal = pty::open();
    let child = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .stdin(Stdio::from(terminal.slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_bounded(child);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("importflame: nothing to read"), "{err}");
    assert!(
        err.contains("Usage: importflame [OPTIONS] [INPUT]..."),
        "{err}"
    );
    assert!(
        err.contains("\n  run "),
        "the usage lists the run command: {err}"
    );
}

/// Runs importflame in `dir` with stdout on a terminal; returns its stderr, exit status and
/// what the terminal showed.
#[cfg(unix)]
fn on_a_terminal(args: &[&str], dir: &Path, stdin: Stdio) -> (Output, String) {
    let terminal = pty::open();
    let child = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(Stdio::from(terminal.slave))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The parent's copy of the slave end went into the Command, which is dropped with it.
    let out = wait_bounded(child);
    (out, pty::drain(terminal.master))
}

#[cfg(unix)]
#[test]
fn an_svg_bound_for_a_terminal_goes_to_a_file_named_after_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo(SAMPLE);
    let (out, shown) = on_a_terminal(&[sample.to_str().unwrap(), "-q"], dir.path(), Stdio::null());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!shown.contains("<?xml"), "no XML on the terminal: {shown}");
    assert_eq!(stderr(&out), "importflame: wrote py311_requests.svg\n");
    let svg = fs::read_to_string(dir.path().join("py311_requests.svg")).unwrap();
    assert!(svg.contains("<title>requests (106.2 ms, 95.13%)</title>"));
}

#[cfg(unix)]
#[test]
fn an_svg_of_stdin_bound_for_a_terminal_goes_to_importflame_svg() {
    let dir = tempfile::tempdir().unwrap();
    let input = fs::File::open(repo(SAMPLE)).unwrap();
    let (out, shown) = on_a_terminal(&[], dir.path(), Stdio::from(input));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!shown.contains("<svg"), "{shown}");
    assert!(stderr(&out).contains("importflame: wrote importflame.svg"));
    assert!(dir.path().join("importflame.svg").is_file());
}

#[cfg(unix)]
#[test]
fn the_default_file_never_replaces_the_input_itself() {
    let dir = tempfile::tempdir().unwrap();
    // Folded stacks in a file that happens to be called graph.svg.
    fs::write(dir.path().join("graph.svg"), "a;b 3\na;c 2\n").unwrap();
    let (out, _) = on_a_terminal(&["graph.svg"], dir.path(), Stdio::null());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "importflame: wrote graph.importflame.svg\n");
    assert_eq!(
        fs::read_to_string(dir.path().join("graph.svg")).unwrap(),
        "a;b 3\na;c 2\n"
    );
}

#[cfg(unix)]
#[test]
fn text_tables_still_print_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let sample = repo(SAMPLE);
    let (out, shown) = on_a_terminal(
        &[sample.to_str().unwrap(), "-f", "text", "--top", "3"],
        dir.path(),
        Stdio::null(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(shown.contains("top 3 by cumulative"), "{shown}");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file written"
    );
    // Each note once: in the table on the terminal, not again on stderr.
    assert_eq!(
        shown.matches("8 failed imports marked").count(),
        1,
        "{shown}"
    );
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn an_svg_into_a_pipe_still_goes_to_stdout() {
    let out = run(&[SAMPLE, "-q"], Vec::new());
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("<?xml"));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn dot_html_writes_a_page_embedding_the_same_svg() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let image = dir.path().join("g.svg");
    for path in [&page, &image] {
        let out = run(&[SAMPLE, "-q", "-o", path.to_str().unwrap()], Vec::new());
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.contains("<title>Import time: 111.6 ms in 247 modules (1 report)</title>"));
    let svg = fs::read_to_string(&image).unwrap();
    let element = &svg[svg.find("<svg ").unwrap()..];
    assert!(
        html.contains(element),
        "the page holds the SVG element byte for byte"
    );
    assert!(!html.contains("<?xml"), "without the XML prolog");
    assert!(html.ends_with("</svg>\n</body>\n</html>\n"));
}

#[test]
fn dot_txt_writes_the_text_table_and_dot_folded_the_stacks() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("top.txt");
    let stacks = dir.path().join("stacks.folded");
    for path in [&table, &stacks] {
        let out = run(&[SAMPLE, "-q", "-o", path.to_str().unwrap()], Vec::new());
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let text = fs::read_to_string(table).unwrap();
    assert!(
        text.starts_with("Import time: 111.6 ms in 247 modules"),
        "{text}"
    );
    assert!(text.contains("top 25 by cumulative"));
    let folded = fs::read_to_string(stacks).unwrap();
    assert!(folded.starts_with("python #1;"), "{}", &folded[..40]);
}

#[test]
fn an_unknown_output_extension_is_refused_naming_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[SAMPLE, "-o", dir.path().join("g.png").to_str().unwrap()],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("g.png: unknown output extension; known: .svg, .html"),
        "{err}"
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A fake browser: a script that records what it was asked to open.
#[cfg(unix)]
fn fake_opener(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("fake-open");
    fs::write(&script, "#!/bin/sh\nprintf '%s\\n' \"$@\" >> \"$0.log\"\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[cfg(unix)]
#[test]
fn open_hands_the_written_graph_to_the_opener() {
    let dir = tempfile::tempdir().unwrap();
    let opener = fake_opener(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args([
            repo(SAMPLE).to_str().unwrap(),
            "-q",
            "-o",
            "g.svg",
            "--open",
        ])
        .env("IMPORTFLAME_OPENER", &opener)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("fake-open.log")).unwrap(),
        "g.svg\n"
    );
    assert!(
        fs::read_to_string(dir.path().join("g.svg"))
            .unwrap()
            .starts_with("<?xml")
    );
}

#[cfg(unix)]
#[test]
fn open_without_an_output_file_writes_the_default_one_and_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let opener = fake_opener(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args([repo(SAMPLE).to_str().unwrap(), "-q", "--open"])
        .env("IMPORTFLAME_OPENER", &opener)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the graph is not also printed");
    assert_eq!(stderr(&out), "importflame: wrote py311_requests.svg\n");
    assert_eq!(
        fs::read_to_string(dir.path().join("fake-open.log")).unwrap(),
        "py311_requests.svg\n"
    );
}

#[cfg(unix)]
#[test]
fn a_failing_opener_is_a_warning_and_the_graph_stays() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_importflame"))
        .args([
            repo(SAMPLE).to_str().unwrap(),
            "-q",
            "-o",
            "g.svg",
            "--open",
        ])
        .env("IMPORTFLAME_OPENER", "false")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("false could not open g.svg"),
        "{}",
        stderr(&out)
    );
    assert!(dir.path().join("g.svg").is_file());
}

/// The `category` of frame `name` in `-f json` output.
fn category_of(json: &str, name: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no frame {name}"))["category"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_project_in_the_current_directory_is_first_party_by_default() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"requests\"\nversion = \"1\"\n",
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("src/urllib3")).unwrap();
    fs::write(dir.path().join("src/urllib3/__init__.py"), "").unwrap();
    let sample = repo(SAMPLE);
    let out = run_in(
        &[sample.to_str().unwrap(), "-q", "-f", "json"],
        Vec::new(),
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout(&out);
    assert_eq!(category_of(&json, "requests"), "first-party");
    assert_eq!(category_of(&json, "urllib3.exceptions"), "first-party");
    assert_eq!(category_of(&json, "idna"), "site-packages");
    assert_eq!(category_of(&json, "http.client"), "stdlib");

    let out = run_in(
        &[sample.to_str().unwrap(), "-q", "-f", "json", "--no-project"],
        Vec::new(),
        dir.path(),
    );
    assert_eq!(category_of(&stdout(&out), "requests"), "site-packages");
}

#[test]
fn reverse_puts_the_leaf_functions_at_the_base() {
    let input = b"main;parse;read 5\nmain;render;read 3\nmain;render 2\n".to_vec();
    let normal = stdout(&run(&["-q", "--from", "folded"], input.clone()));
    let reversed = stdout(&run(&["-q", "--from", "folded", "--reverse"], input));
    // Bottom-up, `read` is one frame of 8 samples at the base, its callers above it.
    assert!(
        reversed.contains("<title>read (8 samples, 80.00%)</title>"),
        "{reversed}"
    );
    assert!(reversed.contains("<title>parse (5 samples, 50.00%)</title>"));
    assert!(normal.contains("<title>read (5 samples, 50.00%)</title>"));
    assert!(!normal.contains("<title>read (8 samples"));
}

#[test]
fn every_graph_labels_its_root_bar_and_explains_its_legend() {
    let out = run(
        &["-q", "--from", "folded"],
        b"<module> (<string>:1);f 1\n".to_vec(),
    );
    let svg = stdout(&out);
    assert!(
        svg.contains("<title>all: 1 sample (1 sample, 100%)</title>"),
        "{svg}"
    );
    assert!(svg.contains(">all: 1 sample</text>"));
    assert!(svg.contains(">\norigin unknown\n</text>"), "{svg}");
    assert!(svg.contains("<title>frames with no file to tell their origin"));
    assert!(!svg.contains(">\nother\n</text>"));
}

#[test]
fn text_tables_into_a_pipe_or_file_leave_the_notes_on_stderr_too() {
    // On a terminal the notes are printed once (text_tables_still_print_on_a_terminal); a
    // table piped or written away is not seen, so stderr carries them as for any format.
    let out = run(&[SAMPLE, "-f", "text", "--top", "3"], Vec::new());
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("note: "),
        "the table carries the notes"
    );
    assert!(
        stderr(&out).contains("8 failed imports marked"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("top.txt");
    let out = run(&[SAMPLE, "-o", path.to_str().unwrap()], Vec::new());
    assert!(
        stderr(&out).contains("8 failed imports marked"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn messages_count_and_name_kinds_in_plain_english() {
    let one = run(&["--from", "folded", "-f", "text"], b"f 1\n".to_vec());
    assert!(stdout(&one).contains("1 sample"), "{}", stdout(&one));
    assert!(!stdout(&one).contains("1 samples"), "{}", stdout(&one));

    let out = run(
        &["diff", SAMPLE, "samples/pstats/workload.prof", "-f", "text"],
        Vec::new(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is an importtime log"),
        "{}",
        stderr(&out)
    );

    let md = run(
        &[
            "diff",
            SAMPLE,
            "samples/importtime/single/py313_requests.log",
            "-q",
            "-f",
            "markdown",
        ],
        Vec::new(),
    );
    let md = stdout(&md);
    assert!(
        md.starts_with("### importflame diff: total 111.6 ms → 113.4 ms"),
        "{md}"
    );
    assert!(!md.contains("&gt;"), "{md}");
}

#[test]
fn check_and_diff_help_list_only_the_formats_they_write() {
    // The -f values of the render command, each with its description: not offered here.
    let offered = "A file speedscope.app opens";
    assert!(stdout(&run(&["--help"], Vec::new())).contains(offered));
    let check = stdout(&run(&["check", "--help"], Vec::new()));
    assert!(
        check.contains("Output format: text, markdown or json"),
        "{check}"
    );
    assert!(!check.contains(offered), "{check}");
    let diff = stdout(&run(&["diff", "--help"], Vec::new()));
    assert!(diff.contains("Output format: svg, folded, json, text or markdown"));
    assert!(!diff.contains(offered), "{diff}");
}
