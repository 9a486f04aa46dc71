//! pstats input (FORMATS.md §2, §5): snapshots of every sample, conservation of every
//! function's own time against the JSON ground truth (read with serde_json, never with the
//! crate's marshal reader), recursion and cycles, and bad input that must fail cleanly.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use importflame::error::Position;
use importflame::input::ParseOptions;
use importflame::input::pstats;
use importflame::model::{Profile, clean_label};

/// Every `.prof` sample that has a JSON ground truth next to it.
const WITH_TRUTH: &[&str] = &[
    "samples/pstats/workload.prof",
    "samples/pstats/pytest_dash_m.prof",
    "samples/pstats/py314_workload.prof",
    "samples/pstats/py37_workload.prof",
    "samples/pstats/workload_profile_module.prof",
    "samples/pstats/py315_tachyon_workload.prof",
    "samples/pstats/recursion_cprofile.prof",
    "samples/pstats/recursion_profile.prof",
    "samples/pstats/pytest_profiling_combined.prof",
];

fn parse_with(path: &Path, opts: &ParseOptions) -> Profile {
    let data = fs::read(path).unwrap();
    pstats::parse(&data, opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(path: &Path) -> Profile {
    parse_with(path, &ParseOptions::default())
}

/// Unit, stack count, total, facts, diagnostics, then the folded lines: all of them for small
/// profiles, the 40 heaviest for big ones (snapshots stay small).
fn report(path: &Path) -> String {
    let p = parse(path);
    let mut lines = p.folded_lines();
    let mut out = format!(
        "unit: {}\nstacks: {}\ndistinct: {}\ntotal: {}\n",
        p.unit.name(),
        p.stack_count(),
        lines.len(),
        p.total()
    );
    for (k, v) in &p.facts {
        out += &format!("fact {k}: {v}\n");
    }
    for e in p.diagnostics.entries() {
        out += &format!("note: {}\n", e.message());
    }
    if lines.len() > 60 {
        lines.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        lines.truncate(40);
        out += "top 40 by weight:\n";
    }
    for (label, w) in lines {
        out += &format!("{label} {w}\n");
    }
    out
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn small_format_samples_match_their_snapshots() {
    snapshot_settings().bind(|| {
        insta::glob!("../../samples", "formats/pstats-*.prof", |path| {
            insta::assert_snapshot!(report(path));
        });
    });
}

#[test]
fn real_samples_match_their_snapshots() {
    snapshot_settings().bind(|| {
        insta::glob!("../../samples", "pstats/*.prof", |path| {
            insta::assert_snapshot!(report(path));
        });
    });
}

/// The ground truth of `prof`: next to it, or in `samples/pstats/formats-truth/` for the small
/// `samples/formats/` files.
fn read_json(prof: &str) -> serde_json::Value {
    let plain = match prof.strip_prefix("samples/formats/") {
        Some(name) => format!(
            "samples/pstats/formats-truth/{}",
            name.replace(".prof", ".json")
        ),
        None => prof.replace(".prof", ".json"),
    };
    let text = if Path::new(&plain).exists() {
        fs::read_to_string(&plain).unwrap()
    } else {
        let gz = fs::File::open(format!("{plain}.gz")).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    serde_json::from_str(&text).unwrap()
}

/// The documented rounding: `round(tt · 10⁶)` in f64, half away from zero; negative → 0.
fn micros(tt: f64) -> u64 {
    if tt > 0.0 {
        (tt * 1e6).round() as u64
    } else {
        0
    }
}

/// Expected µs per frame label, from the ground truth.
fn expected_by_label(truth: &serde_json::Value, opts: &ParseOptions) -> BTreeMap<String, u64> {
    let sampled = truth["producer"] == "profiling.sampling";
    let mut by_label = BTreeMap::new();
    let key = |e: &serde_json::Value| match e.get("code") {
        Some(c) => (
            c["co_filename"].clone(),
            c["co_firstlineno"].clone(),
            c["co_name"].clone(),
        ),
        None => (
            e["func"][0].clone(),
            e["func"][1].clone(),
            e["func"][2].clone(),
        ),
    };
    let entries = truth["entries"].as_array().unwrap();
    let files: Vec<String> = entries
        .iter()
        .map(|e| key(e).0.as_str().unwrap().to_string())
        .collect();
    let root = pstats::project_root(files.iter().map(String::as_str), opts);
    for e in entries {
        let (file, line, name) = key(e);
        let (label, _) = pstats::frame_label_in(
            file.as_str().unwrap(),
            line.as_i64().unwrap(),
            name.as_str().unwrap(),
            sampled,
            opts,
            root.as_deref(),
        );
        *by_label
            .entry(clean_label(&label).into_owned())
            .or_default() += micros(e["tt"].as_f64().unwrap());
    }
    by_label
}

fn actual_by_label(p: &Profile) -> BTreeMap<String, u64> {
    let mut by_label = BTreeMap::new();
    for s in p.stacks() {
        let leaf = *s.frames.last().unwrap();
        *by_label.entry(p.frames.name(leaf).to_string()).or_default() += s.weight;
    }
    by_label.retain(|_, w| *w > 0);
    by_label
}

fn check_conservation(prof: &str, opts: &ParseOptions) {
    let truth = read_json(prof);
    let p = parse_with(Path::new(prof), opts);
    let mut expected = expected_by_label(&truth, opts);
    expected.retain(|_, w| *w > 0);
    let actual = actual_by_label(&p);
    for (label, want) in &expected {
        assert_eq!(actual.get(label), Some(want), "{prof}: {label}");
    }
    assert_eq!(actual.len(), expected.len(), "{prof}: extra leaves");
    let total: u64 = expected.values().sum();
    assert_eq!(p.total(), total, "{prof}");
    assert_eq!(
        p.facts["exact_us"] + p.facts["apportioned_us"],
        total,
        "{prof}"
    );
    let functions = truth["entries"].as_array().unwrap().len() as u64;
    assert_eq!(p.facts["functions"], functions, "{prof}");
    let calls: u64 = truth["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["nc"].as_u64().unwrap())
        .sum();
    assert_eq!(p.facts["calls"], calls, "{prof}");
}

/// The small hand-checkable files (FORMATS.md §2.5, §2.6 and the demo captures).
fn format_samples() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir("samples/formats")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("pstats-") && n.ends_with(".prof"))
        .map(|n| format!("samples/formats/{n}"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 11);
    names
}

#[test]
fn every_function_keeps_its_own_time_to_the_microsecond() {
    for prof in WITH_TRUTH {
        check_conservation(prof, &ParseOptions::default());
    }
    for prof in format_samples() {
        check_conservation(&prof, &ParseOptions::default());
    }
}

#[test]
fn keeping_sampled_lines_apart_still_conserves_time() {
    let opts = ParseOptions {
        keep_lines: true,
        full_paths: true,
        ..ParseOptions::default()
    };
    check_conservation("samples/pstats/py315_tachyon_workload.prof", &opts);
    check_conservation("samples/pstats/recursion_profile.prof", &opts);
}

#[test]
fn a_tight_depth_limit_elides_frames_but_keeps_every_function_s_time() {
    let opts = ParseOptions {
        max_depth: 4,
        ..ParseOptions::default()
    };
    for prof in [
        "samples/pstats/recursion_cprofile.prof",
        "samples/pstats/py37_workload.prof",
    ] {
        check_conservation(prof, &opts);
        let p = parse_with(Path::new(prof), &opts);
        assert!(p.stacks().all(|s| s.frames.len() <= 4), "{prof}");
        let elided = p
            .stacks()
            .filter(|s| {
                s.frames
                    .iter()
                    .any(|&f| p.frames.name(f) == "[deeper frames elided]")
            })
            .count();
        assert!(elided > 0, "{prof}");
    }
}

#[test]
fn recursion_and_cycles_give_real_paths_without_loops() {
    for prof in [
        "samples/pstats/recursion_cprofile.prof",
        "samples/pstats/recursion_profile.prof",
    ] {
        let p = parse(Path::new(prof));
        // cProfile's `f → f` pairs carry times, so direct recursion is drawn level under
        // level, at most 16 deep; the `profile` module's count-only pairs keep it folded.
        let direct_cap = if prof.contains("cprofile") { 16 } else { 2 };
        let mut deepest = 0;
        for (label, _) in p.folded_lines() {
            let frames: Vec<&str> = label.split(';').collect();
            for name in [
                "fact", "is_even", "is_odd", "walk_a", "walk_b", "walk_c", "deep ",
            ] {
                // The own time a recursive edge carries sits on a stack ending `caller;f`,
                // as in the program, so f may appear twice; heavy mutual recursion is drawn
                // through at most 4 times on a path (contexts.rs), and the `profile`
                // module's count-only pairs never loop further.
                let n = frames.iter().filter(|f| f.starts_with(name)).count();
                let cap = if matches!(name, "fact" | "deep ") {
                    deepest = deepest.max(n);
                    direct_cap
                } else if prof.contains("cprofile") {
                    4
                } else {
                    2
                };
                assert!(n <= cap, "{prof}: {name} repeats in {label}");
            }
        }
        if prof.contains("cprofile") {
            assert_eq!(deepest, 16, "{prof}: recursion drawn level under level");
        }
        let lines = p.folded_lines();
        let has = |suffix: &str| lines.iter().any(|(l, _)| l.ends_with(suffix));
        assert!(
            has(
                "walk_b (programs/recursion_cycles.py:30);walk_c (programs/recursion_cycles.py:35)"
            ),
            "{prof}"
        );
        assert!(
            has(
                "walk_c (programs/recursion_cycles.py:35);walk_a (programs/recursion_cycles.py:25)"
            ),
            "{prof}"
        );
        assert!(
            has(
                "is_even (programs/recursion_cycles.py:17);is_odd (programs/recursion_cycles.py:21)"
            ),
            "{prof}"
        );
    }
}

#[test]
fn the_sampled_marker_is_skipped_and_reported() {
    let p = parse(Path::new("samples/pstats/py315_tachyon_workload.prof"));
    assert_eq!(p.facts["samples"], 1179);
    assert_eq!(p.total(), 1_179_000);
    assert!(p.diagnostics.count(pstats::SAMPLED) == 1179);
    assert!(p.diagnostics.count(pstats::LINES_MERGED) > 0);
    let names: Vec<&str> = (0..p.frames.len() as u32)
        .map(|i| p.frames.name(i))
        .collect();
    assert!(!names.iter().any(|n| n.contains("__sampled__")));
    assert!(names.contains(&"<GC>"));
}

/// The seed workflow's file, `python -m cProfile -m pytest` on `samples/programs/pytest_project`:
/// pytest's `__main__` ran under runpy (`<string>` body → `run_module` → `_run_code` → `exec`),
/// the test's lazy `import sympy` under the test, pandas under the fixture that imports it.
#[test]
fn a_dash_m_pytest_run_draws_pytest_under_runpy_and_imports_under_their_importers() {
    let p = parse(Path::new("samples/pstats/pytest_dash_m.prof"));
    let lines = p.folded_lines();
    let total: u64 = lines.iter().map(|(_, w)| w).sum();
    let under = |pattern: &str| -> u64 {
        lines
            .iter()
            .filter(|(l, _)| l.contains(pattern))
            .map(|(_, w)| w)
            .sum()
    };
    let runpy = "<module> (<string>:1);run_module (<frozen runpy>:201);_run_code (<frozen runpy>:65);\
                 <built-in method builtins.exec>;<module> (pytest/__main__.py:1)";
    // 2.82 of 3.30 s; the rest is run_module finding pytest (its imports) and cProfile's own.
    let main = under(runpy);
    assert!(main * 100 > total * 80, "{main} of {total} µs under runpy");
    assert_eq!(
        under("<module> (pytest/__main__.py:1)"),
        main,
        "pytest's main body is drawn nowhere else"
    );
    // sympy's body (619 ms) under the test that imports it lazily, pandas' (516 ms) under the
    // `frame` fixture of conftest.py.
    let sympy = under("<module> (sympy/__init__.py:1)");
    let sympy_in_test = under("test_symbolic_lazy_import (test_models.py:26);_find_and_load");
    assert!(
        sympy > 500_000 && sympy_in_test >= sympy,
        "{sympy_in_test} of {sympy}"
    );
    let pandas = under("<module> (pandas/__init__.py:1)");
    let pandas_in_fixture = lines
        .iter()
        .filter(|(l, _)| {
            l.contains("frame (conftest.py:6);") && l.contains("<module> (pandas/__init__.py:1)")
        })
        .map(|(_, w)| w)
        .sum::<u64>();
    assert!(
        pandas > 400_000 && pandas_in_fixture == pandas,
        "{pandas_in_fixture} of {pandas}"
    );
}

#[test]
fn the_profile_module_script_entry_is_a_root_named_after_its_code_object() {
    let p = parse(Path::new("samples/pstats/workload_profile_module.prof"));
    let lines = p.folded_lines();
    assert!(
        lines
            .iter()
            .all(|(l, _)| l.starts_with("<module> (workload.py:1)"))
    );
    assert!(lines.iter().any(|(l, _)| l.contains(";<built-in exec>;")));
}

#[test]
fn tooltips_carry_call_counts_and_say_whether_the_stack_is_exact() {
    let p = parse(Path::new("samples/pstats/recursion_cprofile.prof"));
    let detail = |prefix: &str| {
        let id = (0..p.frames.len() as u32)
            .find(|&i| p.frames.name(i).starts_with(prefix))
            .unwrap();
        p.frames.detail(id).unwrap().to_string()
    };
    // fact is called only by main (and itself), main only by the script's body: certain.
    assert_eq!(detail("fact "), "1500/50 calls, time on exact stacks");
    // is_even is called by main and by is_odd: its stacks and is_odd's are inferred.
    assert!(detail("is_odd ").ends_with(", time on inferred stacks"));
}

#[test]
fn sniff_claims_every_sample_and_no_json() {
    for prof in WITH_TRUTH {
        assert!(pstats::sniff(&fs::read(prof).unwrap()), "{prof}");
    }
    for prof in format_samples() {
        assert!(pstats::sniff(&fs::read(&prof).unwrap()), "{prof}");
    }
    let mut others = 0;
    for dir in [
        "samples/formats",
        "samples/pyspy",
        "samples/tachyon",
        "samples/pstats",
    ] {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() && path.extension().is_some_and(|e| e != "prof") {
                let data = fs::read(&path).unwrap();
                assert!(!pstats::sniff(&data), "{}", path.display());
                others += 1;
            }
        }
    }
    assert!(others > 30);
    assert!(!pstats::sniff(b"{\"a\": 1}"));
}

fn assert_clean_error(data: &[u8], what: &str) {
    let err = pstats::parse(data, &ParseOptions::default())
        .err()
        .unwrap_or_else(|| panic!("{what}: parsed"));
    let msg = err.to_string();
    assert!(
        matches!(err.position(), Some(Position::Byte(_))) && msg.contains("byte "),
        "{what}: {msg}"
    );
}

#[test]
fn every_truncation_of_small_files_is_a_clean_error() {
    for prof in [
        "samples/formats/pstats-tiny-cprofile.prof",
        "samples/formats/pstats-tiny-profile.prof",
        "samples/formats/pstats-demo-profile-39.prof",
        "samples/formats/pstats-demo-profile-314.prof",
        "samples/pstats/recursion_profile.prof",
    ] {
        let data = fs::read(prof).unwrap();
        for cut in 0..data.len() {
            assert_clean_error(&data[..cut], &format!("{prof} cut at {cut}"));
        }
    }
}

#[test]
fn truncations_of_real_files_are_clean_errors() {
    for (prof, cuts) in [
        ("samples/pstats/py37_workload.prof", 500),
        ("samples/pstats/workload_profile_module.prof", 200),
        ("samples/pstats/py315_tachyon_workload.prof", 60),
        ("samples/pstats/workload.prof", 30),
    ] {
        let data = fs::read(prof).unwrap();
        let step = (data.len() / cuts).max(1);
        for cut in (1..data.len()).step_by(step).chain([data.len() - 1]) {
            assert_clean_error(&data[..cut], &format!("{prof} cut at {cut}"));
        }
    }
}

#[test]
fn corrupted_lengths_and_references_fail_fast() {
    let tiny = fs::read("samples/formats/pstats-tiny-cprofile.prof").unwrap();
    // FORMATS.md §2.5: byte 1 starts the first key's `)` tuple, byte 3 its file name `FA 04`,
    // byte 24 a reference `72 04000000`.
    for len in [[0, 0, 0, 0x80], [0xFF, 0xFF, 0xFF, 0x7F]] {
        let mut huge = tiny.clone();
        huge.splice(3..6, [b'u'].into_iter().chain(len));
        assert_clean_error(&huge, "2^31 string length");
    }
    let mut nowhere = tiny.clone();
    assert_eq!(nowhere[24], b'r');
    nowhere[25..29].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0x7F]);
    assert_clean_error(&nowhere, "ref to slot 2^31-1");
    let mut big_tuple = tiny.clone();
    big_tuple.splice(1..3, [b'(', 0xFF, 0xFF, 0xFF, 0x7F]);
    assert_clean_error(&big_tuple, "2^31-1 tuple");
    let mut not_a_key = tiny.clone();
    not_a_key[1] = b'N';
    assert_clean_error(&not_a_key, "None key");
    assert_clean_error(b"\xfb0", "empty dict");
}

#[test]
fn random_byte_corruption_never_panics() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for prof in [
        "samples/formats/pstats-tiny-cprofile.prof",
        "samples/formats/pstats-demo-profile-39.prof",
        "samples/formats/pstats-demo-cprofile-314.prof",
        "samples/pstats/recursion_profile.prof",
    ] {
        let data = fs::read(prof).unwrap();
        for _ in 0..1500 {
            let mut bad = data.clone();
            for _ in 0..1 + next() % 3 {
                let i = (next() % bad.len() as u64) as usize;
                bad[i] = next() as u8;
            }
            if let Err(err) = pstats::parse(&bad, &ParseOptions::default()) {
                assert!(err.to_string().contains("byte "), "{prof}: {err}");
            }
        }
    }
}

#[test]
fn detection_routes_every_pstats_sample_to_this_parser() {
    use importflame::input::{Format, detect};
    for prof in WITH_TRUTH
        .iter()
        .map(|p| p.to_string())
        .chain(format_samples())
    {
        let data = fs::read(&prof).unwrap();
        assert_eq!(detect::detect(&data).unwrap(), Format::Pstats, "{prof}");
        let p = importflame::input::parse_bytes(&data, None, &ParseOptions::default()).unwrap();
        assert_eq!(p.kind, importflame::model::InputKind::Pstats);
        assert_eq!(p.unit, importflame::model::Unit::Microseconds);
        assert!(p.reports.is_empty());
    }
}

/// Recorded programs with their true stacks (samples/pstats/truth/README.md), and the floor
/// each accuracy view must hold: (exact stack, last 3 frames, caller→callee, `<module>` chain).
const RECORDED: &[(&str, [f64; 4])] = &[
    ("samples/pstats/truth/py311_mix", [0.93, 0.98, 0.99, 0.99]),
    (
        "samples/pstats/truth/py311_imports",
        [0.39, 0.90, 0.99, 0.58],
    ),
    (
        "samples/pstats/truth/py311_pytest",
        [0.20, 0.90, 0.99, 0.49],
    ),
    (
        "samples/pstats/truth/py311_imports_b",
        [0.44, 0.91, 0.99, 0.56],
    ),
    ("samples/pstats/truth/py311_star", [0.47, 0.93, 0.99, 0.65]),
];

/// A pstats key `file:line:name` back from a `--full-paths` frame label `name (file:line)`;
/// built-ins keep their own name and get cProfile's `~:0:` key.
fn label_key(label: &str) -> String {
    if let Some(inner) = label.strip_suffix(')')
        && let Some(open) = inner.rfind(" (")
    {
        let (name, place) = (&inner[..open], &inner[open + 2..]);
        if let Some((file, line)) = place.rsplit_once(':')
            && line.parse::<i64>().is_ok()
        {
            return format!("{file}:{line}:{name}");
        }
    }
    format!("~:0:{label}")
}

/// `key` without the memory addresses CPython puts in some built-in names (`<built-in method
/// __new__ of type object at 0x7f…>`): importflame leaves them out of frame names, so that
/// the same function has the same name in every run (issue 15), and the truth is compared
/// the same way.
fn without_address(key: &str) -> String {
    let mut out = key.to_string();
    while let Some(at) = out.find(" at 0x") {
        let hex_end = out[at + 6..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .map_or(out.len(), |i| at + 6 + i);
        out.replace_range(at..hex_end, "");
    }
    out
}

/// The true stacks: a gzipped key table (`K<TAB>file:line:name`) then one path per line,
/// key indices joined by `.`, a tab and the path's own time: µs, or ns when the file starts
/// with `U<TAB>ns`. Returned in ns.
fn read_truth(path: &str) -> Vec<(Vec<String>, u64)> {
    let raw = fs::read(format!("{path}.truth.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut scale = 1000;
    let mut keys = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(key) = line.strip_prefix("K\t") {
            keys.push(without_address(key));
            continue;
        }
        if line == "U\tns" {
            scale = 1;
            continue;
        }
        let (ids, time) = line.rsplit_once('\t').unwrap();
        let path = ids
            .split('.')
            .map(|i| keys[i.parse::<usize>().unwrap()].clone())
            .collect();
        out.push((path, time.parse::<u64>().unwrap() * scale));
    }
    out
}

/// Share of the true time that sits on the same view of the stack: `min(true, ours)` summed
/// over views, over the true total; the four views of the table in BENCHMARKS.md.
fn accuracy(truth: &[(Vec<String>, u64)], ours: &[(Vec<String>, u64)]) -> [f64; 4] {
    type View = fn(&[String]) -> Vec<String>;
    let views: [View; 4] = [
        |p| p.to_vec(),
        |p| p[p.len().saturating_sub(3)..].to_vec(),
        |p| p[p.len().saturating_sub(2)..].to_vec(),
        |p| {
            p.iter()
                .filter(|k| k.ends_with(":<module>"))
                .cloned()
                .collect()
        },
    ];
    let total: u64 = truth.iter().map(|(_, w)| w).sum();
    views.map(|view| {
        let mut t: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        let mut o: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for (p, w) in truth {
            *t.entry(view(p)).or_default() += w;
        }
        for (p, w) in ours {
            *o.entry(view(p)).or_default() += w;
        }
        let hit: u64 = t
            .iter()
            .map(|(k, &w)| w.min(o.get(k).copied().unwrap_or(0)))
            .sum();
        hit as f64 / total as f64
    })
}

/// The folded lines of a recorded `.prof` with no stack shortened: the true stacks of a pytest
/// run go deeper than the default depth limit.
fn whole_stack_lines(prof: &str) -> Vec<(String, u64)> {
    let opts = ParseOptions {
        max_depth: 10_000,
        ..ParseOptions::default()
    };
    parse_with(Path::new(prof), &opts).folded_lines()
}

/// `from . import models` in `shop/__init__.py` runs importlib's `_handle_fromlist`, which
/// hands `_call_with_frames_removed` the `__import__` that loads the submodule; the same
/// trampoline runs every body's `exec` under `exec_module`. The merged edges drew
/// `_handle_fromlist → _call_with_frames_removed → exec` straight into `models.py`, a stack
/// the program never had (16.6% of the recorded run's time first went wrong there).
#[test]
fn a_from_import_in_a_package_runs_the_submodule_through_import() {
    let lines = whole_stack_lines("samples/pstats/truth/py311_imports.prof");
    let names = |label: &str| -> Vec<String> {
        label
            .split(';')
            .map(|f| f.split(" (").next().unwrap().to_string())
            .collect()
    };
    let mut under_fromlist = 0;
    for (label, w) in &lines {
        let frames = names(label);
        for i in 0..frames.len().saturating_sub(2) {
            if frames[i] == "_handle_fromlist" && frames[i + 1] == "_call_with_frames_removed" {
                assert_eq!(
                    frames[i + 2],
                    "<built-in method builtins.__import__>",
                    "{label}"
                );
                under_fromlist += w;
            }
        }
    }
    assert!(
        under_fromlist > 60_000,
        "{under_fromlist} µs under from-imports"
    );
    let (models, _) = lines
        .iter()
        .filter(|(label, _)| label.contains("shop/models.py:1)"))
        .min_by_key(|(label, _)| label.len())
        .expect("shop/models.py's body has a stack");
    let frames = names(models);
    let at = frames
        .iter()
        .position(|f| f == "_handle_fromlist")
        .expect("models.py is imported by a from-import");
    assert_eq!(
        frames[at..],
        [
            "_handle_fromlist",
            "_call_with_frames_removed",
            "<built-in method builtins.__import__>",
            "_find_and_load",
            "_find_and_load_unlocked",
            "_load_unlocked",
            "exec_module",
            "_call_with_frames_removed",
            "<built-in method builtins.exec>",
            "<module>",
        ]
    );
    assert!(
        models.contains("shop/__init__.py:1);_handle_fromlist"),
        "{models}"
    );
}

/// importlib's `_call_with_frames_removed` runs what its caller hands it; the merged edges
/// drew pairs no CPython has (`exec_module → … → compile`, `create_module → … → __import__`,
/// `exec_module → … → create_dynamic`). Every sample from cProfile (3.7, 3.11, 3.14, a merged
/// pytest-profiling file) and from the `profile` module now draws only real ones.
#[test]
fn importlib_s_trampoline_runs_only_what_its_caller_hands_it_in_every_sample() {
    let bare = |frame: &str| -> String {
        let name = frame.split(" (").next().unwrap();
        let name = name
            .strip_prefix("<built-in method ")
            .or_else(|| name.strip_prefix("<built-in "))
            .and_then(|n| n.strip_suffix('>'))
            .map_or(name, |n| n.rsplit('.').next().unwrap());
        name.rsplit('.').next().unwrap().to_string()
    };
    let handed = |caller: &str| -> &[&str] {
        match caller {
            "_handle_fromlist" | "_find_and_load_unlocked" => &["__import__", "_gcd_import"],
            "source_to_code" => &["compile"],
            "exec_module" => &["exec", "exec_dynamic", "exec_builtin", "get_frozen_object"],
            "create_module" => &["create_dynamic", "create_builtin"],
            "find_spec" => &["find_frozen"],
            _ => &[],
        }
    };
    for prof in [
        "samples/pstats/workload.prof",
        "samples/pstats/py37_workload.prof",
        "samples/pstats/py314_workload.prof",
        "samples/pstats/pytest_profiling_combined.prof",
        "samples/pstats/workload_profile_module.prof",
    ] {
        let p = parse(Path::new(prof));
        let mut pairs = 0;
        for (label, _) in p.folded_lines() {
            let frames: Vec<String> = label.split(';').map(bare).collect();
            for w in frames.windows(3) {
                if w[1] == "_call_with_frames_removed" && !handed(&w[0]).is_empty() {
                    pairs += 1;
                    assert!(handed(&w[0]).contains(&w[2].as_str()), "{prof}: {label}");
                }
            }
        }
        assert!(pairs > 0, "{prof}");
    }
}

/// pytest runs a test five pluggy dispatches deep (`__call__ → _hookexec → _multicall`, once
/// per nested hook): the walk used to enter `_multicall` only once per stack, which hung every
/// test function directly under the first hook call (`main → _main → __call__ → … →
/// pytest_pyfunc_call`), and spread the session hooks' implementations over every hook call.
#[test]
fn pytest_test_functions_sit_under_the_nested_hooks_that_ran_them() {
    let lines = whole_stack_lines("samples/pstats/truth/py311_pytest.prof");
    let (heaviest, _) = lines
        .iter()
        .filter(|(label, _)| {
            label
                .split(';')
                .any(|f| f.starts_with("test_mean_temperature "))
        })
        .max_by_key(|(_, w)| *w)
        .expect("the test function has a stack");
    let frames: Vec<&str> = heaviest
        .split(';')
        .map(|f| f.split(" (").next().unwrap())
        .collect();
    // The recorded program's true stack, from pytest's `main` down to the test.
    let truth = [
        "main",
        "_main",
        "__call__",
        "_hookexec",
        "_multicall",
        "pytest_cmdline_main",
        "wrap_session",
        "_main",
        "__call__",
        "_hookexec",
        "_multicall",
        "pytest_runtestloop",
        "__call__",
        "_hookexec",
        "_multicall",
        "pytest_runtest_protocol",
        "runtestprotocol",
        "call_and_report",
        "from_call",
        "<lambda>",
        "__call__",
        "_hookexec",
        "_multicall",
        "pytest_runtest_call",
        "runtest",
        "__call__",
        "_hookexec",
        "_multicall",
        "pytest_pyfunc_call",
        "test_mean_temperature",
    ];
    let from_main = frames.iter().position(|&f| f == "main").unwrap();
    let ours = &frames[from_main..];
    // Four of the five dispatches are the program's own, in its order: under the session
    // hook, the run loop, the protocol and `call_and_report`'s hook call. (The last one,
    // `pytest_runtest_call → runtest`, is still left out: `pytest_pyfunc_call` fits the
    // `<lambda>`'s hook call too.)
    assert_eq!(&ours[..23], &truth[..23], "{heaviest}");
    let test = ours
        .iter()
        .position(|&f| f == "test_mean_temperature")
        .unwrap();
    assert_eq!(ours[test - 1], "pytest_pyfunc_call", "{heaviest}");
    assert!(ours[..test].iter().filter(|&&f| f == "_multicall").count() >= 4);
    // The session hook's implementation runs in the first hook call only: it fills it.
    for (label, _) in lines
        .iter()
        .filter(|(label, _)| label.contains(";pytest_cmdline_main (_pytest/main.py"))
    {
        let above = label.split(";pytest_cmdline_main (").next().unwrap();
        assert_eq!(above.matches(";_multicall (").count(), 1, "{label}");
    }
}

/// `from asyncio import *` runs importlib's `_handle_fromlist` once for `*` and once more over
/// `__all__` (a `hasattr` per name); cProfile keeps the second as a `_handle_fromlist →
/// _handle_fromlist` pair. Folded into the outer call, that time sat one frame too high, where
/// it is 6% of the sympy workload's last-3-frame loss (its `from sympy import *`). Then drawn,
/// but spread by edge shares over every importer's `_handle_fromlist`: 10.2 ms of the
/// recording's 37.9 ms, 6.8 ms of it under the script's star import. Its caller table now
/// weighs each importer by how alike its time per call and one inner call are (4 ms per call
/// below the script's star import, and per inner call): 36.4 ms there, and 10.9 ms more
/// under `multiprocessing`'s one 13 ms import, which looks alike too.
#[test]
fn a_star_import_draws_handle_fromlist_running_itself_over_all() {
    const FROMLIST: &str = "<frozen importlib._bootstrap>:1207:_handle_fromlist";
    const SCRIPT: &str = "programs/pstats_star.py:1:<module>";
    let base = "samples/pstats/truth/py311_star";
    // Time on stacks with the pair, and on those with it right under the script's body.
    let pair = |keys: &[String]| {
        let at = keys
            .windows(2)
            .position(|w| w[0] == FROMLIST && w[1] == FROMLIST)?;
        Some(at > 0 && keys[at - 1].ends_with(SCRIPT))
    };
    let sums = |stacks: Vec<(Vec<String>, u64)>| {
        let (mut all, mut script) = (0u64, 0u64);
        for (keys, ns) in stacks {
            if let Some(under_script) = pair(&keys) {
                all += ns;
                script += if under_script { ns } else { 0 };
            }
        }
        (all, script)
    };
    let (truth, truth_script) = sums(read_truth(base));
    let (drawn, drawn_script) = sums(recorded_stacks(base));
    assert!(
        truth > 1_000_000 && truth_script * 10 > truth * 9,
        "the recording's star imports run from the script: {truth_script} of {truth} ns"
    );
    let (ratio, script_ratio) = (
        drawn as f64 / truth as f64,
        drawn_script as f64 / truth_script as f64,
    );
    assert!(
        (0.9..1.05).contains(&script_ratio),
        "drawn under the script {drawn_script} ns against {truth_script} ns"
    );
    assert!(
        (0.9..1.4).contains(&ratio),
        "drawn {drawn} ns against {truth} ns"
    );
}

/// Our stacks of the recording `base` (`{base}.prof`, whole and with full paths) as pstats
/// keys, root first, with their time in ns like the truth's.
fn recorded_stacks(base: &str) -> Vec<(Vec<String>, u64)> {
    let opts = ParseOptions {
        full_paths: true,
        max_depth: 10_000,
        ..ParseOptions::default()
    };
    parse_with(Path::new(&format!("{base}.prof")), &opts)
        .folded_lines()
        .into_iter()
        .map(|(label, us)| (label.split(';').map(label_key).collect(), us * 1000))
        .collect()
}

#[test]
fn recorded_programs_get_their_true_stacks_above_the_floors() {
    for (base, floors) in RECORDED {
        let truth = read_truth(base);
        let known: std::collections::HashSet<&String> =
            truth.iter().flat_map(|(p, _)| p.iter()).collect();
        let ours: Vec<(Vec<String>, u64)> = recorded_stacks(base)
            .into_iter()
            .map(|(keys, ns)| (keys.into_iter().filter(|k| known.contains(k)).collect(), ns))
            .collect();
        let got = accuracy(&truth, &ours);
        // Shown with `cargo test recorded_programs -- --nocapture`, for BENCHMARKS.md.
        println!(
            "{base}: exact {:.2}%, last 3 {:.2}%, caller→callee {:.2}%, <module> chain {:.2}%",
            got[0] * 100.0,
            got[1] * 100.0,
            got[2] * 100.0,
            got[3] * 100.0
        );
        for (i, name) in ["exact", "last 3", "caller→callee", "<module> chain"]
            .iter()
            .enumerate()
        {
            assert!(
                got[i] >= floors[i],
                "{base}: {name} {:.4} below its floor {}",
                got[i],
                floors[i]
            );
        }
        // The scorer itself: the truth scored against itself is exact in every view.
        assert_eq!(accuracy(&truth, &truth), [1.0; 4], "{base}");
    }
}

/// Per function and per caller→callee pair of a pstats file: call counts and times (s).
type FileNumbers = BTreeMap<(String, String), ([i64; 2], [f64; 2])>;

/// The numbers of a pstats file, keyed `(caller, callee)` as `file:line:name` (caller `""`
/// for the function's own entry).
fn file_numbers(path: &str) -> FileNumbers {
    use importflame::input::pstats::marshal::{CodeLayout, Value, read_all};
    let data = fs::read(path).unwrap();
    let key = |v: &Value| match v {
        Value::Tuple(t) => match (&t[0], &t[1], &t[2]) {
            (Value::Str(file), Value::Int(line), Value::Str(name)) => {
                without_address(&format!("{file}:{line}:{name}"))
            }
            other => panic!("{path}: a key {other:?}"),
        },
        other => panic!("{path}: a key {other:?}"),
    };
    let numbers = |v: &Value| match v {
        Value::Tuple(t) => {
            let int = |x: &Value| match x {
                Value::Int(i) => *i,
                other => panic!("{path}: a count {other:?}"),
            };
            let float = |x: &Value| match x {
                Value::Float(f) => *f,
                Value::Int(i) => *i as f64,
                other => panic!("{path}: a time {other:?}"),
            };
            ([int(&t[0]), int(&t[1])], [float(&t[2]), float(&t[3])])
        }
        other => panic!("{path}: an entry {other:?}"),
    };
    let Value::Dict(entries) = read_all(&data, CodeLayout::Py311).unwrap() else {
        panic!("{path}: not a dict")
    };
    let mut out = FileNumbers::new();
    for e in entries.iter() {
        let callee = key(&e.key);
        out.insert((String::new(), callee.clone()), numbers(&e.value));
        let Value::Tuple(t) = &e.value else {
            unreachable!()
        };
        let Value::Dict(callers) = &t[4] else {
            panic!("{path}: callers of {callee}")
        };
        for c in callers.iter() {
            out.insert((key(&c.key), callee.clone()), numbers(&c.value));
        }
    }
    out
}

/// The tt and ct (ns) that true stacks give each function and pair, by cProfile's rules: a
/// path's own time is in `tt` of its last frame and of its last pair, and in `ct` of every
/// function and every caller→callee pair on it, once however often they repeat (recursion).
/// A function's own entry is keyed with `own` as its caller.
fn times_of_truth<K: Ord + Clone>(truth: &[(Vec<K>, u64)], own: &K) -> BTreeMap<(K, K), [u64; 2]> {
    let mut out: BTreeMap<(K, K), [u64; 2]> = BTreeMap::new();
    for (path, w) in truth {
        let last = path.len() - 1;
        out.entry((own.clone(), path[last].clone())).or_default()[0] += w;
        if last > 0 {
            out.entry((path[last - 1].clone(), path[last].clone()))
                .or_default()[0] += w;
        }
        let mut on_path = std::collections::BTreeSet::new();
        for (i, f) in path.iter().enumerate() {
            on_path.insert((own.clone(), f.clone()));
            if i > 0 {
                on_path.insert((path[i - 1].clone(), f.clone()));
            }
        }
        for k in on_path {
            out.entry(k).or_default()[1] += w;
        }
    }
    out
}

/// Asserts that true stacks give every `tt` and `ct` of `file` to under a µs (the truths are
/// in ns): `from_paths(caller, callee)` is what [`times_of_truth`] made of them (`caller` is
/// `""` for a function's own entry).
fn assert_truth_gives_the_file(
    name: &str,
    file: &FileNumbers,
    from_paths: impl Fn(&str, &str) -> [u64; 2],
) {
    for ((caller, callee), (_, times)) in file {
        let got = from_paths(caller, callee);
        for (field, (file_s, ns)) in ["tt", "ct"].iter().zip(times.iter().zip(got)) {
            let diff_us = (file_s * 1e9 - ns as f64).abs() / 1e3;
            assert!(
                diff_us < 1.0,
                "{name}: {field} of {caller} → {callee} off by {diff_us} µs"
            );
        }
    }
}

/// Two programs with one pstats file (samples/pstats/truth/README.md): the recorded run of
/// `pstats_imports.py` and a program whose module bodies were traded between importers, with
/// own times solved again so the file stays the same (`scripts/pstats_ceiling.py`). No
/// method that reads only the file can tell them apart, so the `<module>` chains they
/// disagree on cap what any method is sure to get right: at most `(1 + agreement) / 2` on
/// one of the two.
#[test]
fn two_programs_with_one_pstats_file_cap_every_method_s_module_chains() {
    let (a, b) = (
        "samples/pstats/truth/py311_imports_b",
        "samples/pstats/truth/py311_imports_b_traded",
    );
    let (fa, fb) = (
        file_numbers(&format!("{a}.prof")),
        file_numbers(&format!("{b}.prof")),
    );
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "the same functions and pairs"
    );
    for (k, (counts, times)) in &fa {
        let (counts_b, times_b) = &fb[k];
        assert_eq!(counts, counts_b, "{k:?}: call counts");
        for (x, y) in times.iter().zip(times_b) {
            assert!((x - y).abs() < 1e-6, "{k:?}: {x} s and {y} s");
        }
    }
    // Each program's true stacks give the file's every tt and ct, to well under a µs (the
    // truths are in ns), so both really have this file.
    let (ta, tb) = (read_truth(a), read_truth(b));
    for (name, truth) in [(a, &ta), (b, &tb)] {
        let got = times_of_truth(truth, &String::new());
        assert_truth_gives_the_file(name, &fa, |caller, callee| {
            let key = (caller.to_string(), callee.to_string());
            got.get(&key).copied().unwrap_or_default()
        });
    }
    // They differ: two fifths of the time sits in other `<module>` chains.
    let chains = accuracy(&ta, &tb)[3];
    assert!(
        (0.5..0.7).contains(&chains),
        "module chains agree on {chains}"
    );
    let cap = (1.0 + chains) / 2.0;
    assert!(cap < 0.9, "no method is sure of 90% here: cap {cap}");
}

/// Programs with one pstats file, as `NAME.programs.gz` holds them (samples/pstats/truth/README.md):
/// the key table, then per call path its key indices and every program's own time there (ns).
struct Programs {
    keys: Vec<String>,
    /// Per call path (key indices, root first): the own ns of each program on it.
    paths: Vec<(Vec<u32>, Vec<u64>)>,
    count: usize,
}

fn read_programs(base: &str) -> Programs {
    let raw = fs::read(format!("{base}.programs.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut out = Programs {
        keys: Vec::new(),
        paths: Vec::new(),
        count: 0,
    };
    for line in text.lines() {
        if let Some(key) = line.strip_prefix("K\t") {
            out.keys.push(without_address(key));
        } else if let Some(n) = line.strip_prefix("N\t") {
            out.count = n.parse().unwrap();
        } else if line != "U\tns" {
            let (ids, times) = line.split_once('\t').unwrap();
            let path = ids.split('.').map(|i| i.parse().unwrap()).collect();
            let times: Vec<u64> = times.split(',').map(|t| t.parse().unwrap()).collect();
            assert_eq!(times.len(), out.count, "{base}: {line}");
            out.paths.push((path, times));
        }
    }
    out
}

/// The best that any one output can score on whole stacks, on average over programs that all
/// have `total` ns: `max Σ_s mean_k min(F_s, w_ks)` over outputs `F` with `Σ F_s = total`,
/// over `total`. Each path's term is concave and piecewise linear in `F_s`, with slope
/// `(programs with more than F_s there) / n`, so taking the steepest pieces first (water
/// filling) is exact.
fn whole_stack_cap(paths: &[(Vec<u32>, Vec<u64>)], n: usize, total: u64) -> f64 {
    let mut pieces: Vec<(usize, u64)> = Vec::new(); // (programs above, length)
    for (_, times) in paths {
        let mut sorted = times.clone();
        sorted.sort_unstable();
        let mut below = 0;
        for (j, &t) in sorted.iter().enumerate() {
            if t > below {
                pieces.push((n - j, t - below));
                below = t;
            }
        }
    }
    pieces.sort_unstable_by_key(|p| std::cmp::Reverse(p.0));
    let (mut left, mut gain) = (total, 0.0);
    for (above, length) in pieces {
        let take = length.min(left);
        gain += above as f64 * take as f64;
        left -= take;
        if left == 0 {
            break;
        }
    }
    gain / n as f64 / total as f64
}

/// Twenty-eight programs with one pstats file (samples/pstats/truth/README.md): the recorded
/// run of `pstats_imports.py`, six made by trading subtrees between two contexts of their
/// caller, and 21 more that put the own times elsewhere on those seven trees. Each is checked
/// here to give the file's every `tt` and `ct` to under a µs (the call counts were checked
/// when they were made; `programs.gz` keeps none). No method that reads only the file can tell
/// them apart, so no output is sure of more whole-stack time than the best one scores on
/// average over them: under the 50% that issue 14 asks for (BENCHMARKS.md, "How right any
/// method can be"). importflame's own output, scored the same way, stays under that cap.
#[test]
fn programs_with_one_pstats_file_cap_every_method_s_whole_stacks_under_half() {
    let base = "samples/pstats/truth/py311_imports_c";
    let programs = read_programs(base);
    assert!(programs.count >= 20, "{} programs", programs.count);
    let file = file_numbers(&format!("{base}.prof"));
    let index: std::collections::HashMap<&str, u32> = programs
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as u32))
        .collect();
    const OWN: u32 = u32::MAX; // a function's own entry, as file_numbers' caller "".
    let id = |key: &str| *index.get(key).unwrap_or(&(OWN - 1));
    let mut totals = Vec::new();
    for k in 0..programs.count {
        let truth: Vec<(Vec<u32>, u64)> = programs
            .paths
            .iter()
            .filter(|(_, times)| times[k] > 0)
            .map(|(path, times)| (path.clone(), times[k]))
            .collect();
        let got = times_of_truth(&truth, &OWN);
        assert_truth_gives_the_file(&format!("program {k}"), &file, |caller, callee| {
            let caller = if caller.is_empty() { OWN } else { id(caller) };
            got.get(&(caller, id(callee))).copied().unwrap_or_default()
        });
        totals.push(truth.iter().map(|(_, w)| w).sum::<u64>());
    }
    let total = totals[0];
    assert!(
        totals.iter().all(|t| t.abs_diff(total) < 1_000),
        "every program runs as long: {totals:?}"
    );
    // The programs differ: the recorded one and the first traded one agree on little more
    // than two fifths of the time.
    let agree: u64 = programs.paths.iter().map(|(_, t)| t[0].min(t[1])).sum();
    let agreement = agree as f64 / total as f64;
    assert!((0.3..0.6).contains(&agreement), "agreement {agreement}");
    let cap = whole_stack_cap(&programs.paths, programs.count, total);
    assert!((0.4..0.5).contains(&cap), "whole stacks capped at {cap}");
    // importflame's output, on average over the programs, cannot beat the best output.
    let known: std::collections::HashSet<&String> = programs.keys.iter().collect();
    let mut ours: BTreeMap<Vec<u32>, u64> = BTreeMap::new();
    for (keys, ns) in recorded_stacks(base) {
        let path = keys
            .iter()
            .filter(|k| known.contains(k))
            .map(|k| index[k.as_str()])
            .collect();
        *ours.entry(path).or_default() += ns;
    }
    let mean: f64 = (0..programs.count)
        .map(|k| {
            let hit: u64 = programs
                .paths
                .iter()
                .map(|(p, t)| t[k].min(ours.get(p).copied().unwrap_or(0)))
                .sum();
            hit as f64 / total as f64
        })
        .sum::<f64>()
        / programs.count as f64;
    eprintln!("{base}: agreement {agreement:.4}, cap {cap:.4}, importflame {mean:.4}");
    assert!(
        (0.1..=cap).contains(&mean),
        "importflame: {mean} on average, cap {cap}"
    );
}
