//! Which code imported each module: module bodies placed under their importers.
//!
//! Every module body (`<module>`, called once, only by `exec`) ran inside one import, under
//! `exec` under importlib under the code that imported it. pstats merges all imports into one
//! importlib subgraph, so a walk that follows edge shares sends every body to wherever `exec`
//! carries the most time: directly under the root `exec` of `python -m cProfile`, far from its
//! importer. The file still holds enough to match bodies to importers:
//!
//! - **capacity**: a function `X` outside the import system that calls into it (an
//!   *importer*: a module body, a function with a lazy import, pytest's assertion-rewriting
//!   loader that `exec`s test modules) spent exactly `Σ ct(X → importlib)` in imports, and the
//!   bodies it imported fit in that time (the rest is importlib's own work, a few percent);
//! - **calls**: `X` entered the import system `Σ nc(X → entry)` times, and each entry loads at
//!   most one body it can be charged with (besides the `__init__`s of parent packages that
//!   `import a.b.c` loads on the way), so an importer with one call left takes a body only
//!   when that body fills what is left of its capacity;
//! - **packages**: `a/b/c.py` is mostly imported by its package `a/b/__init__.py`, else by a
//!   sibling in `a/b/`, else by a module of an enclosing directory (`a/__init__.py`, or
//!   `py.py` beside the `_pytest` package it imports) or of a subpackage (`a/b/d/e.py`, as
//!   `email/mime/base.py` imports `email.policy`). Below a top-level module (`socket.py` in
//!   the standard library's directory) only packages relate (`email/utils.py` imports it),
//!   not `site-packages` inside that directory; packages are the directories of the
//!   `__init__.py` files in the profile. A relative path such as the script's or `<string>`
//!   is in no package, and code at a `<…>` path (`<frozen ntpath>`) is no sibling of the
//!   script either. Only then by unrelated code. Never by code that can only run once the
//!   body has started ([`can_host`]): its own file's functions, and for a package's
//!   `__init__.py` any module inside the package.
//!
//! `exec` counts as an import only for a *loader* (a function importlib calls, such as
//! pytest's assertion-rewriting `exec_module`, and runpy's `_run_code`, which runs the module
//! of `python -m`): any other caller of `exec` runs code strings
//! (`dataclasses`, `namedtuple`, sympy's `parse_expr`), whose `<string>` frames are no bodies,
//! and the walk draws those under that caller's own `exec` (see [`Imports::exec_string_factor`]).
//!
//! Bodies are matched greedily. First a loader's: its `exec` ran the bodies it loaded with
//! nothing in between, so the test modules and `conftest.py` files whose times sum to that
//! `exec` time (to 10⁻⁵) are its. Then the near-certain pairs: a body of at least 2% of the
//! profile whose time an importer with one or two import entries matches to within 0.2%.
//! Then the importers with a single import entry, larger first: when exactly one unmatched
//! body fills such an importer's capacity to within the last-body slack, that body is its
//! (the lazy `from shop import report` inside `report()`, which a sibling module with a call
//! to spare would otherwise take). Then those with a package candidate, larger first, each
//! to the fitting candidate of the closest package tier with the least capacity left (best
//! fit, so big importers stay free for big bodies), then the rest by best fit alone, larger
//! first, once every package match is made (a small body whose related importers are full
//! would otherwise spend the spare call of an unrelated big importer that a big body of its
//! own package tree still needs). The rest are imports that several importers could
//! equally have made (BENCHMARKS.md measures how much: on a pytest run, three quarters of
//! the `<module>`-chain time sits under a body another importer could hold with every other
//! body in its true place). A body left without a fitting importer goes to one whose full
//! capacity could have held it (closest package tier, else the most time left) rather than
//! under the root `exec`. The match is a guess and counted as inferred time; it never moves
//! time between functions.
//!
//! Each importer also gets one *chain* of import-system functions from itself to `exec`: the
//! path whose weakest edge carries the most cumulative time (for `import x` in CPython 3.11:
//! `_find_and_load → _find_and_load_unlocked → _load_unlocked → exec_module →
//! _call_with_frames_removed → exec`), under which its bodies are drawn.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::trampoline::{Trampolines, WORK_KINDS};
use super::{CallGraph, FuncName, NONE};

/// Bodies matched to importers, and the chain to draw between them.
#[derive(Debug, Default)]
pub(super) struct Imports {
    /// Per function: the module bodies it imported (empty for most).
    pub hosted: Vec<Vec<u32>>,
    /// Per function: true for a module body matched to an importer (not drawn under any
    /// other `exec`).
    pub matched: Vec<bool>,
    /// Per function: true for a module body (drawn only under its importer, or under a root
    /// `exec` when unmatched).
    pub body: Vec<bool>,
    /// Per importer with bodies: the import-system functions from it down to `exec`.
    pub chain: Vec<Vec<u32>>,
    /// The builtin `exec`, when the file has one.
    pub exec: Option<u32>,
    /// Per function: true for the import system and for loaders (their `exec` runs only the
    /// bodies they load, drawn under their importers, never code strings).
    pub runs_bodies: Vec<bool>,
    /// Time `exec` spent for callers that run code strings (neither the import system nor a
    /// loader): the non-body callees of `exec` (`<string>` frames) belong under those.
    pub exec_strings_ct: f64,
    /// Time of `exec`'s non-body callees, and of the bodies no importer took (the script).
    pub exec_nonbody_ct: f64,
    pub exec_unmatched_ct: f64,
    /// Which callees importlib's `_call_with_frames_removed` can have under each caller.
    pub trampolines: Trampolines,
}

impl Imports {
    /// Whether `f`'s calls of `exec` run code strings: it is neither the import system nor a
    /// loader (and not `exec` itself).
    pub(super) fn runs_strings(&self, f: u32) -> bool {
        self.exec != Some(f) && !self.runs_bodies.get(f as usize).copied().unwrap_or(true)
    }

    /// The factor on the walk's scale for the non-body callees (`<string>` code) of an `exec`
    /// context: none under importlib or a loader (that `exec` ran one body); under code that
    /// runs strings, that code's share of the strings' time (`flow / exec_strings_ct` instead
    /// of the context's share of all of `exec`, most of which is imports); at a root, what
    /// the root call leaves after the script's body.
    pub(super) fn exec_string_factor(
        &self,
        parent: Option<u32>,
        exec_ct: f64,
        flow: f64,
        own: f64,
        scale: f64,
    ) -> f64 {
        match parent {
            Some(p) if self.runs_bodies[p as usize] => 0.0,
            Some(_) if self.exec_strings_ct > 0.0 => exec_ct / self.exec_strings_ct,
            Some(_) => 1.0,
            None if self.exec_nonbody_ct > 0.0 && scale > 0.0 => {
                let left = flow - own - self.exec_unmatched_ct * scale;
                (left / (self.exec_nonbody_ct * scale)).clamp(0.0, 1.0)
            }
            None => 1.0,
        }
    }
}

/// Names of the functions through which code enters the import system; calls into them count
/// as import attempts of the caller.
const ENTRIES: [&str; 6] = [
    "_find_and_load",
    "_handle_fromlist",
    "_gcd_import",
    "import_module",
    "<built-in method builtins.exec>",
    "<built-in method builtins.__import__>",
];

/// Relative capacity an importer may leave unused when it takes its last body: importlib's
/// own work per import (finding, reading, unmarshalling) is a few percent of a body's time.
const LAST_SLACK: f64 = 0.05;
/// And in seconds, for small imports where that work is most of the time.
const LAST_SLACK_ABS: f64 = 0.002;

/// Bodies of at least this share of the profile's own time are first matched to an importer
/// with at most two import entries whose capacity they fill to within [`TIGHT_SLACK`].
const TIGHT_MIN_SHARE: f64 = 0.02;
/// Relative slack of such a near-certain match.
const TIGHT_SLACK: f64 = 0.002;
/// And absolute, in seconds.
const TIGHT_SLACK_ABS: f64 = 0.0005;

/// Most bodies the one-import pass looks at per importer (a window holding more is no
/// single fit anyway).
const SINGLE_SCAN: usize = 64;

/// A loader's `exec` ran the bodies it loaded with nothing in between: their times sum to
/// its edge's time to within float rounding of the profiler's clock.
const EXEC_SLACK: f64 = 1e-5;
/// And in seconds.
const EXEC_SLACK_ABS: f64 = 2e-6;
/// Most bodies one loader's subset search considers, and most steps it takes.
const MAX_LOADER_BODIES: usize = 64;
const MAX_SUBSET_STEPS: usize = 100_000;

fn name(g: &CallGraph, f: u32) -> &str {
    match &g.funcs[f as usize].key.name {
        FuncName::Plain(n) => n,
        FuncName::Code { name, .. } => name,
    }
}

fn file(g: &CallGraph, f: u32) -> &str {
    match &g.funcs[f as usize].key.name {
        FuncName::Code { file, .. } => file,
        FuncName::Plain(_) => &g.funcs[f as usize].key.file,
    }
}

/// Whether `f` belongs to the import system: importlib's bootstrap and `import_module`, and
/// the builtins that import and run module code.
fn is_import_system(g: &CallGraph, f: u32) -> bool {
    let file = file(g, f);
    if file == "~" {
        let n = name(g, f);
        return n == "<built-in method builtins.exec>"
            || n == "<built-in method builtins.__import__>"
            || n.starts_with("<built-in method _imp.");
    }
    let file = file.replace('\\', "/");
    file.starts_with("<frozen importlib._bootstrap")
        || file.ends_with("importlib/_bootstrap.py")
        || file.ends_with("importlib/_bootstrap_external.py")
        || file.ends_with("importlib/__init__.py")
}

/// Whether `x` runs module code for the import system (a loader's `exec_module`, called by
/// importlib): only then do its calls of `exec` run module bodies. Ordinary code that calls
/// `exec` runs code strings (`dataclasses`, `namedtuple`, `sympify`), whose `<string>`
/// frames are no module bodies; counting those calls as imports would make such a function
/// look like an importer with spare capacity for bodies it never loaded.
/// (`exec` itself does not count: it calls every module body.)
fn is_loader(g: &CallGraph, system: &[bool], exec: u32, x: u32) -> bool {
    is_runpy_runner(g, x)
        || g.callers[x as usize].iter().any(|&e| {
            let caller = g.edges[e as usize].caller;
            system[caller as usize] && caller != exec
        })
}

/// Whether `x` is `runpy._run_code`, which `python -m module` (and `-m cProfile -m module`,
/// `runpy.run_path`) uses to `exec` the module's code as `__main__`: a loader of that one
/// body, not code that runs strings.
fn is_runpy_runner(g: &CallGraph, x: u32) -> bool {
    name(g, x) == "_run_code" && {
        let file = file(g, x).replace('\\', "/");
        file.ends_with("/runpy.py") || file == "<frozen runpy>" || file == "runpy.py"
    }
}

/// Whether a file is one pytest's assertion-rewriting loader runs: a test module or a
/// `conftest.py` (pytest rewrites only those, plus plugins it is told about).
fn is_test_module(path: &str) -> bool {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    base == "conftest.py"
        || (base.starts_with("test_") && base.ends_with(".py"))
        || base.ends_with("_test.py")
}

/// The first set (largest bodies first, depth first, at most `slots` bodies and
/// [`MAX_SUBSET_STEPS`] steps) of `candidates` (sorted largest first) whose times sum to
/// `target` within [`EXEC_SLACK`].
fn exact_subset(
    candidates: &[u32],
    ct: impl Fn(u32) -> f64,
    target: f64,
    slots: usize,
) -> Option<Vec<u32>> {
    let tol = target * EXEC_SLACK + EXEC_SLACK_ABS;
    let mut chosen: Vec<usize> = Vec::new();
    let mut sum = 0.0;
    let mut steps = 0;
    // Iterative depth-first search: `next` is the candidate to try at the current depth.
    let mut next = 0;
    loop {
        if (sum - target).abs() <= tol && !chosen.is_empty() {
            return Some(chosen.iter().map(|&i| candidates[i]).collect());
        }
        steps += 1;
        if steps > MAX_SUBSET_STEPS {
            return None;
        }
        let room = chosen.len() < slots;
        let pick =
            (next..candidates.len()).find(|&j| room && sum + ct(candidates[j]) <= target + tol);
        match pick {
            Some(j) => {
                chosen.push(j);
                sum += ct(candidates[j]);
                next = j + 1;
            }
            None => {
                let j = chosen.pop()?;
                sum -= ct(candidates[j]);
                next = j + 1;
            }
        }
    }
}

/// Whether `path` names no file but code the interpreter holds (`<frozen ntpath>`,
/// `<string>`): such code is in no directory, so it is no sibling of the script, whose
/// relative path has no directory either.
fn is_pseudo_file(path: &str) -> bool {
    path.starts_with('<')
}

/// The directory of a path and whether the file is a package's `__init__.py`.
fn dir_of(path: &str) -> (&str, bool) {
    match path.rfind(['/', '\\']) {
        Some(i) => (&path[..i], path[i + 1..].starts_with("__init__.")),
        None => ("", path.starts_with("__init__.")),
    }
}

/// The package a module belongs to: its directory, or for `pkg/__init__.py` the directory
/// holding `pkg`.
fn package_of(path: &str) -> &str {
    let (dir, init) = dir_of(path);
    if init { dir_of(dir).0 } else { dir }
}

/// Whether directory `outer` strictly encloses directory `inner`. A relative path
/// (`script.py`, `<string>`) has no directory: it encloses nothing.
fn encloses(outer: &str, inner: &str) -> bool {
    !outer.is_empty()
        && inner.len() > outer.len()
        && inner.starts_with(outer)
        && matches!(inner.as_bytes()[outer.len()], b'/' | b'\\')
}

/// The outermost package holding directory `dir`: the highest of `dir` and the directories
/// above it that is a package (`packages`: the directories of every `__init__.py` in the
/// file). None when no package holds it: a top-level module of the standard library or of
/// `site-packages`, or the script's directory.
fn top_package<'a>(packages: &BTreeSet<&str>, dir: &'a str) -> Option<&'a str> {
    let mut top = None;
    let mut d = dir;
    loop {
        if packages.contains(d) {
            top = Some(d);
        }
        if d.is_empty() {
            return top;
        }
        d = dir_of(d).0;
    }
}

/// Importer `X` as seen from a body in `body_package`: 0 its package's `__init__`, 1 a
/// sibling in its package, 2 a module of an enclosing directory (`a/__init__.py` importing
/// `a.b.c`, `py.py` beside the `_pytest` package it imports) or of a subpackage
/// (`email/mime/base.py` importing `email.policy`, as `from .. import` and `from email import
/// policy` do), 3 anything else. A subdirectory relates only through packages: below a
/// body in a package (`body_top`, its outermost package) any is one; below a top-level
/// module (`socket.py` in the standard library's directory) only one whose outermost package
/// `importer_top` sits beside it (`email/`), not `site-packages`, which holds unrelated code.
/// A relative path (the script's, `<string>`) encloses nothing.
fn tier(
    importer_path: &str,
    body_package: &str,
    body_top: Option<&str>,
    importer_top: Option<&str>,
) -> u8 {
    if is_pseudo_file(importer_path) {
        return 3;
    }
    let (dir, init) = dir_of(importer_path);
    if dir == body_package {
        return if init { 0 } else { 1 };
    }
    let below = encloses(body_package, dir)
        && (body_top.is_some() || importer_top.is_some_and(|t| dir_of(t).0 == body_package));
    if encloses(dir, body_package) || below {
        2
    } else {
        3
    }
}

/// One importer during matching.
struct Importer {
    func: u32,
    /// Seconds of import time not yet filled by matched bodies.
    left: f64,
    /// Import-system entries not yet charged with a body.
    calls: f64,
    /// Its full capacity, for the last-body slack.
    capacity: f64,
    /// All its import-system entries.
    entries: f64,
    /// For a loader: the time its `exec` calls spent in the code they ran (edge `ct` minus
    /// `exec`'s own time there), and how many calls.
    exec_time: f64,
    exec_calls: f64,
}

impl Importer {
    fn fits(&self, ct: f64) -> bool {
        if self.left < ct * 0.999 || self.calls < 1.0 {
            return false;
        }
        self.calls >= 2.0 || self.left - ct <= LAST_SLACK * self.capacity + LAST_SLACK_ABS
    }
}

/// Matches module bodies to importers (see the module docs). Deterministic: ties go to the
/// earlier function in the file.
pub(super) fn match_imports(g: &CallGraph) -> Imports {
    let n = g.funcs.len();
    let mut out = Imports {
        hosted: vec![Vec::new(); n],
        matched: vec![false; n],
        body: vec![false; n],
        chain: vec![Vec::new(); n],
        trampolines: Trampolines::new(g),
        ..Imports::default()
    };
    let exec = (0..n as u32)
        .find(|&f| file(g, f) == "~" && name(g, f) == "<built-in method builtins.exec>");
    let Some(exec) = exec else { return out };
    out.exec = Some(exec);
    let system: Vec<bool> = (0..n as u32).map(|f| is_import_system(g, f)).collect();
    out.runs_bodies = (0..n as u32)
        .map(|f| system[f as usize] || is_loader(g, &system, exec, f))
        .collect();
    for &e in &g.callers[exec as usize] {
        let edge = &g.edges[e as usize];
        if !out.runs_bodies[edge.caller as usize] {
            out.exec_strings_ct += edge.ct.unwrap_or(0.0).max(0.0);
        }
    }
    // Module bodies: run once, called only by exec.
    let bodies: Vec<u32> = (0..n as u32)
        .filter(|&f| {
            let func = &g.funcs[f as usize];
            name(g, f) == "<module>"
                && func.cc <= 1
                && func.nc <= 1
                && func.ct > 0.0
                && !g.callers[f as usize].is_empty()
                && g.callers[f as usize]
                    .iter()
                    .all(|&e| g.edges[e as usize].caller == exec)
        })
        .collect();
    for &b in &bodies {
        out.body[b as usize] = true;
    }
    // Importers: outside the import system, calling into it.
    let mut importers: Vec<Importer> = Vec::new();
    for x in 0..n as u32 {
        if system[x as usize] || g.funcs[x as usize].nc == 0 {
            continue;
        }
        let (mut capacity, mut calls, mut exec_time, mut exec_calls) = (0.0, 0.0, 0.0, 0.0);
        let loader = out.runs_bodies[x as usize];
        for &e in &g.callees[x as usize] {
            let edge = &g.edges[e as usize];
            if !system[edge.callee as usize] || (edge.callee == exec && !loader) {
                continue;
            }
            capacity += edge.ct.unwrap_or(0.0).max(0.0);
            if ENTRIES.contains(&name(g, edge.callee)) {
                calls += edge.calls;
            }
            if edge.callee == exec {
                exec_time += (edge.ct.unwrap_or(0.0) - edge.tt.unwrap_or(0.0)).max(0.0);
                exec_calls += edge.calls;
            }
        }
        if capacity > 0.0 && calls > 0.0 {
            importers.push(Importer {
                func: x,
                left: capacity,
                calls,
                capacity,
                entries: calls,
                exec_time,
                exec_calls,
            });
        }
    }
    if importers.is_empty() || bodies.is_empty() {
        return out;
    }
    // Importers by directory, for the package tiers (sorted: a directory's subdirectories
    // follow it as one range).
    let mut by_dir: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, imp) in importers.iter().enumerate() {
        by_dir
            .entry(dir_of(file(g, imp.func)).0)
            .or_default()
            .push(i as u32);
    }
    // All importers by capacity left, for best fit among unrelated code.
    let mut by_left: BTreeSet<(u64, u32)> = importers
        .iter()
        .enumerate()
        .map(|(i, imp)| key(imp, i as u32))
        .collect();

    let importer_func: Vec<u32> = importers.iter().map(|imp| imp.func).collect();
    // Directories that are packages: those of the `__init__.py` files in the profile.
    let packages: BTreeSet<&str> = (0..n as u32)
        .map(|f| dir_of(file(g, f)))
        .filter(|&(_, init)| init)
        .map(|(dir, _)| dir)
        .collect();
    // Per importer: the outermost package holding its directory.
    let importer_top: Vec<Option<&str>> = importers
        .iter()
        .map(|imp| top_package(&packages, dir_of(file(g, imp.func)).0))
        .collect();
    // The package-tier candidates of a body: its package's directory, every enclosing one and
    // every subdirectory (see [`tier`] for which of those relate).
    let package_candidates = |body: u32| -> Vec<(u8, u32)> {
        let mut out = Vec::new();
        if is_pseudo_file(file(g, body)) {
            return out;
        }
        let package = package_of(file(g, body));
        let top = top_package(&packages, package);
        // (Unrelated subdirectories, such as all of `site-packages` below the standard
        // library's directory, are left out: only the enclosing walk keeps tier 3.)
        let mut push = |list: &[u32], keep_unrelated: bool| {
            for &i in list {
                let f = importer_func[i as usize];
                let t = tier(file(g, f), package, top, importer_top[i as usize]);
                if f != body && (t < 3 || keep_unrelated) {
                    out.push((t, i));
                }
            }
        };
        let mut dir = package;
        loop {
            if let Some(list) = by_dir.get(dir) {
                push(list, true);
            }
            if dir.is_empty() {
                break;
            }
            dir = dir_of(dir).0;
        }
        if !package.is_empty() {
            let below = by_dir
                .range::<str, _>((Bound::Excluded(package), Bound::Unbounded))
                .take_while(|(d, _)| d.starts_with(package))
                .filter(|(d, _)| encloses(package, d));
            for (_, list) in below {
                push(list, false);
            }
        }
        out
    };
    let first_tier = |body: u32, importers: &[Importer]| -> u8 {
        let ct = g.funcs[body as usize].ct;
        package_candidates(body)
            .into_iter()
            .filter(|&(_, i)| importers[i as usize].fits(ct))
            .map(|(t, _)| t)
            .min()
            .unwrap_or(3)
    };
    let mut host_of: Vec<u32> = vec![NONE; n];
    let own_total: f64 = g.funcs.iter().map(|f| f.tt.max(0.0)).sum();
    let mut by_size = bodies.clone();
    by_size.sort_by(|a, b| {
        g.funcs[*b as usize]
            .ct
            .total_cmp(&g.funcs[*a as usize].ct)
            .then(a.cmp(b))
    });
    // First the loaders' bodies: what a loader's `exec` ran is exactly the bodies' time (no
    // importlib work in between), so a set of test modules that sums to it is theirs.
    for i in 0..importers.len() {
        let imp = &importers[i];
        if imp.exec_calls < 1.0 || imp.exec_time <= 0.0 {
            continue;
        }
        let target = imp.exec_time;
        let slots = imp.exec_calls.min(MAX_LOADER_BODIES as f64) as usize;
        let candidates: Vec<u32> = by_size
            .iter()
            .copied()
            .filter(|&b| {
                !out.matched[b as usize]
                    && is_test_module(file(g, b))
                    && g.funcs[b as usize].ct <= target * (1.0 + EXEC_SLACK) + EXEC_SLACK_ABS
            })
            .collect();
        let ct = |b: u32| g.funcs[b as usize].ct;
        if let Some(set) = exact_subset(&candidates, ct, target, slots) {
            for b in set {
                if can_host(g, &host_of, b, importers[i].func) {
                    take(
                        &mut importers,
                        &mut by_left,
                        &mut out,
                        &mut host_of,
                        b,
                        i as u32,
                        ct(b),
                    );
                }
            }
        }
    }
    // Then the near-certain pairs: a large body whose time an importer with one or two
    // import entries matches to within 0.2% (a coincidence that precise is unlikely).
    for &body in &by_size {
        let ct = g.funcs[body as usize].ct;
        if ct < TIGHT_MIN_SHARE * own_total {
            break;
        }
        if out.matched[body as usize] {
            continue;
        }
        let upper = ct * (1.0 + TIGHT_SLACK) + TIGHT_SLACK_ABS;
        let from = (ct * 0.999).to_bits();
        let found = by_left
            .range((from, 0)..)
            .map(|&(_, i)| i)
            .take_while(|&i| importers[i as usize].left <= upper)
            .find(|&i| {
                let imp = &importers[i as usize];
                imp.entries <= 2.0 && imp.calls >= 1.0 && can_host(g, &host_of, body, imp.func)
            });
        if let Some(i) = found {
            take(
                &mut importers,
                &mut by_left,
                &mut out,
                &mut host_of,
                body,
                i,
                ct,
            );
        }
    }
    // Then the importers that entered the import system once: that import loaded one body
    // (with the `__init__`s of parent packages not loaded yet, small beside it) whose time
    // fills the importer's capacity but for importlib's own work. When exactly one body
    // still unmatched fits that window, no other body can have been that import. Larger
    // importers first.
    let mut singles: Vec<u32> = (0..importers.len() as u32)
        .filter(|&i| {
            let imp = &importers[i as usize];
            imp.entries == 1.0 && imp.calls == 1.0 && imp.exec_calls == 0.0
        })
        .collect();
    singles.sort_by(|&a, &b| {
        importers[b as usize]
            .capacity
            .total_cmp(&importers[a as usize].capacity)
            .then(a.cmp(&b))
    });
    for i in singles {
        // (`fits` for its one call: within 0.1% above, the last-body slack below.)
        let imp = &importers[i as usize];
        let hi = imp.left / 0.999;
        let lo = imp.left - (LAST_SLACK * imp.capacity + LAST_SLACK_ABS);
        let start = by_size.partition_point(|&b| g.funcs[b as usize].ct > hi);
        let mut fitting = by_size[start..]
            .iter()
            .copied()
            .take_while(|&b| g.funcs[b as usize].ct >= lo)
            .take(SINGLE_SCAN)
            .filter(|&b| !out.matched[b as usize] && can_host(g, &host_of, b, imp.func));
        let (Some(body), None) = (fitting.next(), fitting.next()) else {
            continue;
        };
        let ct = g.funcs[body as usize].ct;
        take(
            &mut importers,
            &mut by_left,
            &mut out,
            &mut host_of,
            body,
            i,
            ct,
        );
    }
    let mut order: Vec<(u8, u32)> = bodies
        .iter()
        .filter(|&&b| !out.matched[b as usize])
        .map(|&b| (first_tier(b, &importers), b))
        .collect();
    order.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(
                g.funcs[b.1 as usize]
                    .ct
                    .total_cmp(&g.funcs[a.1 as usize].ct),
            )
            .then(a.1.cmp(&b.1))
    });
    // Bodies no related importer can hold wait for the package matches to finish: taken
    // here, a small body (a tier-1 body whose sibling is full) would spend the spare call
    // of an unrelated big importer that a big body, its true import, still needs.
    let mut unrelated = Vec::new();
    for (_, body) in order {
        let ct = g.funcs[body as usize].ct;
        let mut best: Option<(u8, f64, u32)> = None;
        for (t, i) in package_candidates(body) {
            let imp = &importers[i as usize];
            if t < 3 && imp.fits(ct) && can_host(g, &host_of, body, imp.func) {
                let cand = (t, imp.left, i);
                if best.is_none_or(|b| (cand.0, cand.1, cand.2) < (b.0, b.1, b.2)) {
                    best = Some(cand);
                }
            }
        }
        match best {
            Some((_, _, i)) => take(
                &mut importers,
                &mut by_left,
                &mut out,
                &mut host_of,
                body,
                i,
                ct,
            ),
            None => unrelated.push(body),
        }
    }
    // Then those by best fit among all, larger first: the least capacity left that still
    // holds the body; a bounded scan past importers whose last call cannot take it.
    unrelated.sort_by(|a, b| {
        g.funcs[*b as usize]
            .ct
            .total_cmp(&g.funcs[*a as usize].ct)
            .then(a.cmp(b))
    });
    for body in unrelated {
        let ct = g.funcs[body as usize].ct;
        let from = (ct * 0.999).to_bits();
        let found = by_left
            .range((from, 0)..)
            .take(256)
            .map(|&(_, i)| i)
            .find(|&i| {
                let imp = &importers[i as usize];
                imp.fits(ct) && can_host(g, &host_of, body, imp.func)
            });
        if let Some(i) = found {
            take(
                &mut importers,
                &mut by_left,
                &mut out,
                &mut host_of,
                body,
                i,
                ct,
            );
        }
    }
    // Bodies still unmatched lost their importer's capacity to an earlier wrong match. Under
    // the root `exec` they would be certainly wrong; an importer that could have held them
    // (full capacity) is likelier right: the closest package tier, else the most time left.
    // The script itself stays: no importer's capacity holds it.
    for &body in &by_size {
        if out.matched[body as usize] {
            continue;
        }
        let ct = g.funcs[body as usize].ct;
        let could = |imp: &Importer| imp.capacity >= ct * 0.999;
        let mut best: Option<(u8, f64, u32)> = None;
        for (t, i) in package_candidates(body) {
            let imp = &importers[i as usize];
            if could(imp) && can_host(g, &host_of, body, imp.func) {
                let cand = (t, -imp.left, i);
                if best.is_none_or(|b| cand < b) {
                    best = Some(cand);
                }
            }
        }
        if best.is_none() {
            for &(_, i) in by_left.iter().rev().take(256) {
                let imp = &importers[i as usize];
                if could(imp) && can_host(g, &host_of, body, imp.func) {
                    best = Some((3, -imp.left, i));
                    break;
                }
            }
        }
        if let Some((_, _, i)) = best {
            take(
                &mut importers,
                &mut by_left,
                &mut out,
                &mut host_of,
                body,
                i,
                ct,
            );
        }
    }
    for &e in &g.callees[exec as usize] {
        let edge = &g.edges[e as usize];
        let b = edge.callee as usize;
        if !out.body[b] {
            out.exec_nonbody_ct += edge.ct.unwrap_or(0.0).max(0.0);
        } else if !out.matched[b] {
            out.exec_unmatched_ct += g.funcs[b].ct;
        }
    }
    out.chain = chains(g, &system, exec, &out.hosted, &out.trampolines);
    out
}

/// The key of an importer in the by-capacity-left index (non-negative f64 bits sort as the
/// numbers do).
fn key(imp: &Importer, i: u32) -> (u64, u32) {
    (imp.left.max(0.0).to_bits(), i)
}

/// Matches `body` to importer `i`.
fn take(
    importers: &mut [Importer],
    by_left: &mut BTreeSet<(u64, u32)>,
    out: &mut Imports,
    host_of: &mut [u32],
    body: u32,
    i: u32,
    ct: f64,
) {
    let imp = &mut importers[i as usize];
    by_left.remove(&key(imp, i));
    imp.left -= ct;
    imp.calls -= 1.0;
    by_left.insert(key(imp, i));
    out.hosted[imp.func as usize].push(body);
    out.matched[body as usize] = true;
    host_of[body as usize] = imp.func;
}

/// Whether importer `x` can have imported `body`: not the body itself, not code that runs
/// inside it already ([`descends`]), and not code that can only run once `body` has started
/// ([`started_before`]).
fn can_host(g: &CallGraph, host_of: &[u32], body: u32, x: u32) -> bool {
    x != body && !descends(host_of, body, x) && !started_before(file(g, body), file(g, x))
}

/// Whether the body of the module at `body_path` must have started before any code of the
/// file at `importer_path` ran, so that this code cannot be what imported it: the same file
/// (a module's functions exist only once its body has run them into being, as
/// `pydantic/__init__.py`'s `__getattr__`), or a package's `__init__.py` and a file inside
/// that package (importlib imports a package before any of its modules, so `pydantic/main.py`
/// finds `pydantic` in `sys.modules`). A script run by its path from inside a package that
/// then imports that package is the exception this misses: its package is left to another
/// importer.
fn started_before(body_path: &str, importer_path: &str) -> bool {
    if body_path == importer_path {
        return true;
    }
    let (package, init) = dir_of(body_path);
    if !init || package.is_empty() {
        return false;
    }
    let dir = dir_of(importer_path).0;
    dir == package || encloses(package, dir)
}

/// Whether importer `x` runs inside `body` already (matching `body` under `x` would make a
/// cycle): follows the matched bodies' importers upward through their hosts.
fn descends(host_of: &[u32], body: u32, x: u32) -> bool {
    // Bodies are matched once, so each has at most one host: the walk up is a chain.
    let mut cur = x;
    for _ in 0..host_of.len() + 1 {
        if cur == body {
            return true;
        }
        if cur == NONE {
            return false;
        }
        cur = host_of[cur as usize];
    }
    true
}

/// The widest path (largest smallest edge ct) from each importer through the import system
/// to `exec`, found once for all importers by a backward search from `exec`. A trampoline
/// (`_call_with_frames_removed`) is one state of the search per kind of work its callers hand
/// it: under `_handle_fromlist` it leads on only to the import call, under `exec_module` only
/// to `exec` ([`Trampolines`]), so no chain takes `_handle_fromlist →
/// _call_with_frames_removed → exec`.
fn chains(
    g: &CallGraph,
    system: &[bool],
    exec: u32,
    hosted: &[Vec<u32>],
    tramps: &Trampolines,
) -> Vec<Vec<u32>> {
    let n = g.funcs.len();
    let members: Vec<usize> = (0..n).filter(|&f| system[f]).collect();
    // States: each function (for a trampoline: its contexts handed work of no known kind),
    // then per trampoline one state for each other kind of work it can be handed.
    let mut first_twin = vec![NONE; n];
    let mut owner: Vec<u32> = Vec::new();
    for &f in &members {
        if tramps.is_trampoline(f as u32) {
            first_twin[f] = u32::try_from(n + owner.len()).expect("fewer than 2^32 states");
            owner.extend(std::iter::repeat_n(f as u32, WORK_KINDS - 1));
        }
    }
    let func_of = |s: usize| if s < n { s as u32 } else { owner[s - n] };
    let state = |tramp: u32, kind: usize| {
        if kind == 0 {
            tramp as usize
        } else {
            first_twin[tramp as usize] as usize + kind - 1
        }
    };
    // The state an edge from `caller` into `callee` arrives at, and the state of `caller`
    // that edge leaves from.
    let into = |caller: u32, callee: u32| {
        if tramps.is_trampoline(callee) {
            state(callee, tramps.caller_state(caller))
        } else {
            callee as usize
        }
    };
    // (A trampoline's edge leaves from the state of its callee's kind and from the state of
    // callers handing work of no known kind, which may hand anything; an edge into a callee
    // of no known kind leaves from every state.)
    let from = |caller: u32, callee: u32| -> Vec<usize> {
        if !tramps.is_trampoline(caller) {
            return vec![caller as usize];
        }
        match tramps.callee_state(callee) {
            0 => (0..WORK_KINDS).map(|k| state(caller, k)).collect(),
            kind => vec![state(caller, kind), caller as usize],
        }
    };
    let states: Vec<usize> = members.iter().copied().chain(n..n + owner.len()).collect();
    // width[s]: best bottleneck from state s to exec; next[s]: the state stepped to.
    let mut width = vec![f64::NEG_INFINITY; n + owner.len()];
    let mut next = vec![NONE; n + owner.len()];
    width[exec as usize] = f64::INFINITY;
    let mut done = vec![false; n + owner.len()];
    loop {
        // Dijkstra on the bottleneck; the import system is small (a few hundred functions).
        let mut pick = usize::MAX;
        for &s in &states {
            if !done[s]
                && width[s] > f64::NEG_INFINITY
                && (pick == usize::MAX || width[s] > width[pick])
            {
                pick = s;
            }
        }
        if pick == usize::MAX {
            break;
        }
        done[pick] = true;
        let p = func_of(pick);
        for &e in &g.callers[p as usize] {
            let edge = &g.edges[e as usize];
            let c = edge.caller;
            if !system[c as usize] || into(c, p) != pick {
                continue;
            }
            for cs in from(c, p) {
                if done[cs] || cs == pick {
                    continue;
                }
                let w = width[pick].min(edge.ct.unwrap_or(0.0));
                if w > width[cs] {
                    width[cs] = w;
                    next[cs] = pick as u32;
                }
            }
        }
    }
    let mut out = vec![Vec::new(); n];
    for x in 0..n {
        if hosted[x].is_empty() {
            continue;
        }
        let mut first = (f64::NEG_INFINITY, NONE);
        for &e in &g.callees[x] {
            let edge = &g.edges[e as usize];
            let c = edge.callee;
            let s = into(x as u32, c);
            if system[c as usize] && width[s] > f64::NEG_INFINITY {
                let w = width[s].min(edge.ct.unwrap_or(0.0));
                if first.1 == NONE || w > first.0 {
                    first = (w, s as u32);
                }
            }
        }
        let mut chain = Vec::new();
        let mut cur = first.1;
        while cur != NONE && chain.len() < 64 {
            let f = func_of(cur as usize);
            chain.push(f);
            if f == exec {
                break;
            }
            cur = next[cur as usize];
        }
        if chain.last() != Some(&exec) {
            chain = vec![exec];
        }
        out[x] = chain;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::tests::{dict, s};
    use super::super::{CallGraph, Step};
    use super::*;
    use crate::input::pstats::marshal::Value;

    /// `(file, name, calls, tt, ct, [(caller file, caller name, calls, ct)])` as cProfile
    /// writes them; a function with one caller has all its own time on that edge.
    type Row<'a> = (
        &'a str,
        &'a str,
        i64,
        f64,
        f64,
        Vec<(&'a str, &'a str, i64, f64)>,
    );

    /// A module body that imports nothing: run once by `exec`, all its time its own.
    fn body(file: &str, secs: f64) -> Row<'_> {
        (file, "<module>", 1, secs, secs, vec![("~", EXEC, 1, secs)])
    }

    fn graph(rows: &[Row<'_>]) -> CallGraph {
        let key =
            |file: &str, name: &str| Value::Tuple(Arc::from(vec![s(file), Value::Int(1), s(name)]));
        let pairs = rows
            .iter()
            .map(|(file, name, calls, tt, ct, callers)| {
                let edge_tt = if callers.len() == 1 { *tt } else { 0.0 };
                let callers = callers
                    .iter()
                    .map(|(cf, cn, n, ct)| {
                        let v = Value::Tuple(Arc::from(vec![
                            Value::Int(*n),
                            Value::Int(*n),
                            Value::Float(edge_tt),
                            Value::Float(*ct),
                        ]));
                        (key(cf, cn), v)
                    })
                    .collect();
                let value = Value::Tuple(Arc::from(vec![
                    Value::Int(*calls),
                    Value::Int(*calls),
                    Value::Float(*tt),
                    Value::Float(*ct),
                    dict(callers),
                ]));
                (key(file, name), value)
            })
            .collect();
        CallGraph::from_value(&dict(pairs)).unwrap()
    }

    const EXEC: &str = "<built-in method builtins.exec>";
    const BOOT: &str = "<frozen importlib._bootstrap>";

    fn find(g: &CallGraph, file: &str, func: &str) -> u32 {
        (0..g.funcs.len() as u32)
            .find(|&f| &*g.funcs[f as usize].key.file == file && name(g, f) == func)
            .unwrap()
    }

    #[test]
    fn package_tiers_rank_the_package_init_then_siblings_then_the_package_tree() {
        let package = package_of("/v/site-packages/pkg/sub/mod.py");
        assert_eq!(package, "/v/site-packages/pkg/sub");
        assert_eq!(package_of("/v/pkg/sub/__init__.py"), "/v/pkg");
        let packages: BTreeSet<&str> = ["/v/site-packages/pkg", "/v/site-packages/pkg/sub"]
            .into_iter()
            .collect();
        let top = top_package(&packages, package);
        assert_eq!(top, Some("/v/site-packages/pkg"));
        let t = |importer: &str| {
            tier(
                importer,
                package,
                top,
                top_package(&packages, dir_of(importer).0),
            )
        };
        assert_eq!(t("/v/site-packages/pkg/sub/__init__.py"), 0);
        assert_eq!(t("/v/site-packages/pkg/sub/other.py"), 1);
        assert_eq!(t("/v/site-packages/pkg/__init__.py"), 2);
        assert_eq!(t("/v/site-packages/pkg/sub/deep/x.py"), 2);
        // A cousin (another subpackage of the outermost package) is no relative.
        assert_eq!(t("/v/site-packages/pkg/other/x.py"), 3);
        assert_eq!(t("/v/site-packages/pkgx/__init__.py"), 3);
        // An enclosing directory relates even when it is no package (`py.py` imports
        // `_pytest._py.path`).
        assert_eq!(t("/v/site-packages/py.py"), 2);
        // A top-level module (`socket.py`) relates to the packages of its directory
        // (`email/utils.py` imports it), not to `site-packages` inside that directory.
        let stdlib = package_of("/v/lib/socket.py");
        let email: BTreeSet<&str> = ["/v/lib/email", "/v/lib/site-packages/pkg"]
            .into_iter()
            .collect();
        let top_of = |p: &'static str| top_package(&email, dir_of(p).0);
        assert_eq!(top_package(&email, stdlib), None);
        let importer = "/v/lib/email/utils.py";
        assert_eq!(tier(importer, stdlib, None, top_of(importer)), 2);
        let importer = "/v/lib/site-packages/pkg/x.py";
        assert_eq!(tier(importer, stdlib, None, top_of(importer)), 3);
        assert_eq!(tier("/v/lib/uuid.py", stdlib, None, None), 1);
        assert_eq!(
            tier(
                "C:\\v\\pkg\\sub\\__init__.py",
                "C:\\v\\pkg\\sub",
                None,
                None
            ),
            0
        );
        // `python -m cProfile script.py` names the script as typed: relative, no package.
        assert_eq!(tier("script.py", package, top, None), 3);
        assert_eq!(tier("<string>", "/v/site-packages/numpy", None, None), 3);
    }

    /// The script imports package `a` (whose `__init__` imports `a/big.py`) and calls `f`,
    /// which imports `b.py` lazily; every body runs through one importlib chain.
    fn imports_graph() -> CallGraph {
        graph(&[
            (
                "~",
                EXEC,
                4,
                0.0,
                1.0,
                vec![(BOOT, "_call_with_frames_removed", 3, 0.7)],
            ),
            (
                "main.py",
                "<module>",
                1,
                0.29,
                1.0,
                vec![("~", EXEC, 1, 1.0)],
            ),
            (
                "main.py",
                "f",
                1,
                0.001,
                0.2,
                vec![("main.py", "<module>", 1, 0.2)],
            ),
            (
                BOOT,
                "_find_and_load",
                3,
                0.0,
                0.7,
                vec![
                    ("main.py", "<module>", 1, 0.5),
                    ("/p/a/__init__.py", "<module>", 1, 0.3),
                    ("main.py", "f", 1, 0.199),
                ],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                3,
                0.0,
                0.7,
                vec![(BOOT, "_find_and_load", 3, 0.7)],
            ),
            (
                "/p/a/__init__.py",
                "<module>",
                1,
                0.2,
                0.5,
                vec![("~", EXEC, 1, 0.5)],
            ),
            body("/p/a/big.py", 0.3),
            body("/p/b.py", 0.199),
        ])
    }

    #[test]
    fn module_bodies_go_to_the_importer_whose_import_time_they_fill() {
        let g = imports_graph();
        let m = match_imports(&g);
        let main = find(&g, "main.py", "<module>");
        let f = find(&g, "main.py", "f");
        let a = find(&g, "/p/a/__init__.py", "<module>");
        let big = find(&g, "/p/a/big.py", "<module>");
        let b = find(&g, "/p/b.py", "<module>");
        assert_eq!(m.hosted[main as usize], [a]);
        assert_eq!(m.hosted[a as usize], [big]);
        assert_eq!(m.hosted[f as usize], [b]);
        // The script itself is no import: it stays under the root exec.
        assert!(m.body[main as usize] && !m.matched[main as usize]);
        let names: Vec<&str> = m.chain[main as usize]
            .iter()
            .map(|&c| name(&g, c))
            .collect();
        assert_eq!(names, ["_find_and_load", "_call_with_frames_removed", EXEC]);
    }

    #[test]
    fn the_walk_draws_each_body_under_its_importer_and_keeps_every_microsecond() {
        let g = imports_graph();
        let mut lines = Vec::new();
        g.infer(100, |steps, w| {
            let names: Vec<String> = steps
                .iter()
                .map(|s| match s {
                    Step::Func(f) => match &*g.funcs[*f as usize].key.file {
                        "~" => "exec".to_string(),
                        BOOT => name(&g, *f).trim_start_matches('_').to_string(),
                        file => format!("{file}:{}", name(&g, *f)),
                    },
                    _ => "?".to_string(),
                })
                .collect();
            lines.push(format!("{} {w}", names.join(";")));
        });
        lines.sort();
        let chain = "find_and_load;call_with_frames_removed;exec";
        assert_eq!(
            lines,
            [
                "exec;main.py:<module> 290000".to_string(),
                format!("exec;main.py:<module>;{chain};/p/a/__init__.py:<module> 200000"),
                format!(
                    "exec;main.py:<module>;{chain};/p/a/__init__.py:<module>;{chain};\
                     /p/a/big.py:<module> 300000"
                ),
                "exec;main.py:<module>;main.py:f 1000".to_string(),
                format!("exec;main.py:<module>;main.py:f;{chain};/p/b.py:<module> 199000"),
            ]
        );
    }

    /// The script imports package `a`, whose `__init__` runs `from . import sub`: importlib's
    /// `_handle_fromlist` hands `_call_with_frames_removed` the `__import__` that loads
    /// `sub.py`, while `exec_module` hands the same trampoline the `exec` of each body.
    fn fromlist_graph() -> CallGraph {
        const IMPORT: &str = "<built-in method builtins.__import__>";
        const CWFR: &str = "_call_with_frames_removed";
        graph(&[
            ("~", EXEC, 3, 0.0, 1.0, vec![(BOOT, CWFR, 2, 0.6)]),
            (
                "main.py",
                "<module>",
                1,
                0.3,
                1.0,
                vec![("~", EXEC, 1, 1.0)],
            ),
            (
                BOOT,
                "_find_and_load",
                2,
                0.0,
                0.7,
                vec![("main.py", "<module>", 1, 0.7), ("~", IMPORT, 1, 0.5)],
            ),
            (
                BOOT,
                "exec_module",
                2,
                0.0,
                0.7,
                vec![(BOOT, "_find_and_load", 2, 0.7)],
            ),
            (
                BOOT,
                CWFR,
                3,
                0.0,
                0.7,
                vec![
                    (BOOT, "exec_module", 2, 0.7),
                    (BOOT, "_handle_fromlist", 1, 0.5),
                ],
            ),
            (
                BOOT,
                "_handle_fromlist",
                1,
                0.0,
                0.5,
                vec![("/p/a/__init__.py", "<module>", 1, 0.5)],
            ),
            ("~", IMPORT, 1, 0.0, 0.5, vec![(BOOT, CWFR, 1, 0.5)]),
            (
                "/p/a/__init__.py",
                "<module>",
                1,
                0.1,
                0.6,
                vec![("~", EXEC, 1, 0.6)],
            ),
            body("/p/a/sub.py", 0.5),
        ])
    }

    #[test]
    fn a_from_import_chain_goes_through_import_not_straight_to_exec() {
        let g = fromlist_graph();
        let m = match_imports(&g);
        let a = find(&g, "/p/a/__init__.py", "<module>");
        let sub = find(&g, "/p/a/sub.py", "<module>");
        assert_eq!(m.hosted[a as usize], [sub]);
        let names =
            |x: u32| -> Vec<&str> { m.chain[x as usize].iter().map(|&c| name(&g, c)).collect() };
        assert_eq!(
            names(a),
            [
                "_handle_fromlist",
                "_call_with_frames_removed",
                "<built-in method builtins.__import__>",
                "_find_and_load",
                "exec_module",
                "_call_with_frames_removed",
                EXEC
            ]
        );
        let main = find(&g, "main.py", "<module>");
        assert_eq!(
            names(main),
            [
                "_find_and_load",
                "exec_module",
                "_call_with_frames_removed",
                EXEC
            ]
        );
        // The walk follows the trampoline the same way: under `_handle_fromlist` it calls
        // `__import__`, never `exec`.
        let mut total = 0;
        g.infer(100, |steps, w| {
            total += w;
            let names: Vec<&str> = steps
                .iter()
                .map(|s| match s {
                    Step::Func(f) => name(&g, *f),
                    _ => "?",
                })
                .collect();
            for pair in names.windows(3) {
                assert_ne!(
                    pair,
                    ["_handle_fromlist", "_call_with_frames_removed", EXEC],
                    "{names:?}"
                );
            }
        });
        assert_eq!(total, 900_000);
    }

    /// The script collects two test modules (pytest's `import_path` → importlib → the
    /// assertion-rewriting loader's `exec`) and lazily imports `lib.py`, whose time is close to
    /// the larger test module's: capacity alone (best fit) would give `test_a` to `lazy`.
    fn loader_graph() -> CallGraph {
        const RW: &str = "/p/_pytest/rewrite.py";
        graph(&[
            (
                "~",
                EXEC,
                4,
                0.0,
                1.0,
                vec![
                    (BOOT, "_call_with_frames_removed", 1, 0.29),
                    (RW, "exec_module", 2, 0.5),
                ],
            ),
            (
                "main.py",
                "<module>",
                1,
                0.15,
                1.0,
                vec![("~", EXEC, 1, 1.0)],
            ),
            (
                "main.py",
                "collect",
                1,
                0.0,
                0.55,
                vec![("main.py", "<module>", 1, 0.55)],
            ),
            (
                "main.py",
                "lazy",
                1,
                0.0,
                0.3,
                vec![("main.py", "<module>", 1, 0.3)],
            ),
            (
                BOOT,
                "_gcd_import",
                2,
                0.05,
                0.55,
                vec![("main.py", "collect", 2, 0.55)],
            ),
            (
                BOOT,
                "_find_and_load",
                1,
                0.0,
                0.3,
                vec![("main.py", "lazy", 1, 0.3)],
            ),
            (
                BOOT,
                "_load_unlocked",
                3,
                0.01,
                0.8,
                vec![
                    (BOOT, "_gcd_import", 2, 0.5),
                    (BOOT, "_find_and_load", 1, 0.3),
                ],
            ),
            (
                RW,
                "exec_module",
                2,
                0.0,
                0.5,
                vec![(BOOT, "_load_unlocked", 2, 0.5)],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                1,
                0.0,
                0.29,
                vec![(BOOT, "_load_unlocked", 1, 0.29)],
            ),
            body("/t/test_a.py", 0.3),
            body("/t/test_b.py", 0.2),
            body("/p/lib.py", 0.29),
        ])
    }

    #[test]
    fn a_loaders_exec_holds_the_test_modules_whose_times_sum_to_what_it_ran() {
        let g = loader_graph();
        let m = match_imports(&g);
        let loader = find(&g, "/p/_pytest/rewrite.py", "exec_module");
        let lazy = find(&g, "main.py", "lazy");
        let a = find(&g, "/t/test_a.py", "<module>");
        let b = find(&g, "/t/test_b.py", "<module>");
        let lib = find(&g, "/p/lib.py", "<module>");
        assert_eq!(m.hosted[loader as usize], [a, b]);
        assert_eq!(m.hosted[lazy as usize], [lib]);
        // A loader runs module code for importlib: its `exec` is drawn with bodies only.
        assert!(m.runs_bodies[loader as usize] && !m.runs_bodies[lazy as usize]);
        assert_eq!(m.chain[loader as usize], [m.exec.unwrap()]);
    }

    #[test]
    fn the_subset_search_finds_the_bodies_that_sum_to_the_target_and_no_other() {
        let times = [0.5, 0.3, 0.25, 0.2, 0.05];
        let ct = |i: u32| times[i as usize];
        let all: Vec<u32> = (0..5).collect();
        // 0.3 + 0.25 is the only pair; 0.5 + 0.05 also sums to 0.55 but comes second
        // largest-first only when 0.5 is tried first: it is, so that set wins.
        assert_eq!(exact_subset(&all, ct, 0.55, 2), Some(vec![0, 4]));
        assert_eq!(exact_subset(&all, ct, 0.75, 2), Some(vec![0, 2]));
        assert_eq!(exact_subset(&all, ct, 0.75, 1), None);
        assert_eq!(
            exact_subset(&all, ct, 0.3 + 0.25 + 0.2, 3),
            Some(vec![0, 2])
        );
        assert_eq!(exact_subset(&all, ct, 0.31, 5), None);
        assert!(is_test_module("/r/tests/test_models.py") && is_test_module("C:\\r\\conftest.py"));
        assert!(is_test_module("/r/models_test.py") && !is_test_module("/r/testing.py"));
    }

    /// The script imports `x.py` and calls `mk`, which `exec`s five code strings (as
    /// `dataclasses` does): `mk`'s `exec` time is no import capacity, though it fits `x.py`
    /// more tightly than the script's import does.
    fn strings_graph() -> CallGraph {
        graph(&[
            (
                "~",
                EXEC,
                7,
                0.0,
                1.0,
                vec![
                    (BOOT, "_call_with_frames_removed", 1, 0.19),
                    ("main.py", "mk", 5, 0.195),
                ],
            ),
            (
                "main.py",
                "<module>",
                1,
                0.6,
                1.0,
                vec![("~", EXEC, 1, 1.0)],
            ),
            (
                "main.py",
                "mk",
                1,
                0.005,
                0.2,
                vec![("main.py", "<module>", 1, 0.2)],
            ),
            (
                BOOT,
                "_find_and_load",
                1,
                0.0,
                0.2,
                vec![("main.py", "<module>", 1, 0.2)],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                1,
                0.01,
                0.2,
                vec![(BOOT, "_find_and_load", 1, 0.2)],
            ),
            body("/p/x.py", 0.19),
            (
                "<string>",
                "<module>",
                5,
                0.195,
                0.195,
                vec![("~", EXEC, 5, 0.195)],
            ),
        ])
    }

    #[test]
    fn exec_of_code_strings_is_no_import_and_its_strings_stay_under_their_caller() {
        let g = strings_graph();
        let m = match_imports(&g);
        let main = find(&g, "main.py", "<module>");
        let mk = find(&g, "main.py", "mk");
        let x = find(&g, "/p/x.py", "<module>");
        assert_eq!(m.hosted[main as usize], [x]);
        assert!(m.hosted[mk as usize].is_empty() && m.runs_strings(mk));
        let mut strings = Vec::new();
        g.infer(100, |steps, w| {
            let names: Vec<&str> = steps
                .iter()
                .filter_map(|s| match s {
                    Step::Func(f) => Some(name(&g, *f)),
                    _ => None,
                })
                .collect();
            if file(
                &g,
                match steps.last() {
                    Some(Step::Func(f)) => *f,
                    _ => return,
                },
            ) == "<string>"
            {
                strings.push((names.join(";"), w));
            }
        });
        // All of its 195 ms under `mk`'s own `exec`, none under the root `exec` that ran
        // the script.
        assert_eq!(
            strings,
            [(format!("{EXEC};<module>;mk;{EXEC};<module>"), 195_000)]
        );
    }

    /// `import pkg.mime.text` inside `summary()` (as `email.mime.text`, loading the package
    /// `__init__`s on the way): `text.py` imports
    /// its sibling `base.py`, which imports `pkg/policy.py` from the package above it (`from
    /// pkg import policy`). Meanwhile `x/c.py`, whose sibling importer `x/a.py` is full once
    /// `x/b.py` is in it, looks for any importer with a spare call.
    fn subpackage_graph() -> CallGraph {
        const TEXT: &str = "/p/pkg/mime/text.py";
        const BASE: &str = "/p/pkg/mime/base.py";
        const A: &str = "/p/x/a.py";
        graph(&[
            (
                "~",
                EXEC,
                9,
                0.0,
                1.2,
                vec![(BOOT, "_call_with_frames_removed", 8, 1.035)],
            ),
            (
                "main.py",
                "<module>",
                1,
                0.095,
                1.2,
                vec![("~", EXEC, 1, 1.2)],
            ),
            (
                "main.py",
                "summary",
                1,
                0.0,
                1.0,
                vec![("main.py", "<module>", 1, 1.0)],
            ),
            (
                "main.py",
                "late",
                1,
                0.0,
                0.03,
                vec![("main.py", "<module>", 1, 0.03)],
            ),
            (
                BOOT,
                "_find_and_load",
                7,
                0.04,
                1.075,
                vec![
                    ("main.py", "<module>", 1, 0.045),
                    (A, "<module>", 1, 0.021),
                    ("main.py", "summary", 1, 1.0),
                    (TEXT, "<module>", 1, 0.96),
                    (BASE, "<module>", 2, 0.925),
                    ("main.py", "late", 1, 0.03),
                ],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                8,
                0.0,
                1.035,
                vec![(BOOT, "_find_and_load", 8, 1.035)],
            ),
            body("/p/pkg/__init__.py", 1e-5),
            body("/p/pkg/mime/__init__.py", 1e-5),
            (A, "<module>", 1, 0.0245, 0.045, vec![("~", EXEC, 1, 0.045)]),
            body("/p/x/b.py", 0.0205),
            body("/p/x/c.py", 0.02),
            (TEXT, "<module>", 1, 0.01, 0.97, vec![("~", EXEC, 1, 0.97)]),
            (BASE, "<module>", 1, 0.025, 0.95, vec![("~", EXEC, 1, 0.95)]),
            body("/p/pkg/policy.py", 0.92),
        ])
    }

    #[test]
    fn a_body_imported_from_a_subpackage_goes_under_that_module_not_the_lazy_import_above() {
        let g = subpackage_graph();
        let m = match_imports(&g);
        let summary = find(&g, "main.py", "summary");
        let text = find(&g, "/p/pkg/mime/text.py", "<module>");
        let base = find(&g, "/p/pkg/mime/base.py", "<module>");
        let policy = find(&g, "/p/pkg/policy.py", "<module>");
        let c = find(&g, "/p/x/c.py", "<module>");
        // summary → text → base → policy, each imported by the one before: `base.py`'s
        // package tree holds `pkg/policy.py`, and `c.py` (no relative of `base.py`) did not
        // spend the spare call `policy.py` needed.
        // (The two tiny `__init__`s, loaded on the way, may go to any of them.)
        let inits = [
            find(&g, "/p/pkg/__init__.py", "<module>"),
            find(&g, "/p/pkg/mime/__init__.py", "<module>"),
        ];
        let hosted = |f: u32| -> Vec<u32> {
            let mut h = m.hosted[f as usize].clone();
            h.retain(|b| !inits.contains(b));
            h
        };
        assert_eq!(hosted(summary), [text]);
        assert_eq!(hosted(text), [base]);
        assert_eq!(hosted(base), [policy]);
        assert!(!m.hosted[base as usize].contains(&c));
        assert_eq!(
            tier("/p/pkg/mime/base.py", "/p/pkg", Some("/p/pkg"), None),
            2
        );
    }

    /// The script imports `shop/models.py` (which imports `dataclasses` and `decimal`) and
    /// calls `report()`, whose one lazy import is `shop/report.py`: a sibling of `models.py`,
    /// which has a call to spare when `report.py` is matched.
    fn single_import_graph() -> CallGraph {
        const MODELS: &str = "/p/shop/models.py";
        graph(&[
            (
                "~",
                EXEC,
                5,
                0.0,
                1.3,
                vec![(BOOT, "_call_with_frames_removed", 4, 1.1)],
            ),
            (
                "main.py",
                "<module>",
                1,
                0.18,
                1.3,
                vec![("~", EXEC, 1, 1.3)],
            ),
            (
                "main.py",
                "report",
                1,
                0.0,
                0.41,
                vec![("main.py", "<module>", 1, 0.41)],
            ),
            (
                BOOT,
                "_find_and_load",
                4,
                0.02,
                1.12,
                vec![
                    ("main.py", "<module>", 1, 0.71),
                    ("main.py", "report", 1, 0.41),
                    (MODELS, "<module>", 2, 0.6),
                ],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                4,
                0.0,
                1.1,
                vec![(BOOT, "_find_and_load", 4, 1.1)],
            ),
            (MODELS, "<module>", 1, 0.1, 0.7, vec![("~", EXEC, 1, 0.7)]),
            body("/lib/dataclasses.py", 0.5),
            body("/lib/decimal.py", 0.1),
            body("/p/shop/report.py", 0.4),
        ])
    }

    #[test]
    fn an_importer_with_one_import_takes_the_one_body_that_fills_it_before_a_sibling_does() {
        let g = single_import_graph();
        let m = match_imports(&g);
        let main = find(&g, "main.py", "<module>");
        let report = find(&g, "main.py", "report");
        let models = find(&g, "/p/shop/models.py", "<module>");
        let dataclasses = find(&g, "/lib/dataclasses.py", "<module>");
        let decimal = find(&g, "/lib/decimal.py", "<module>");
        let rep = find(&g, "/p/shop/report.py", "<module>");
        // `report()` entered the import system once and only `report.py` fits its 0.41 s;
        // `models.py`'s two calls are then `dataclasses` and `decimal`, which fill it.
        assert_eq!(m.hosted[report as usize], [rep]);
        assert_eq!(m.hosted[main as usize], [models]);
        let mut hosted = m.hosted[models as usize].clone();
        hosted.sort();
        let mut want = vec![dataclasses, decimal];
        want.sort();
        assert_eq!(hosted, want);
    }

    /// The script's `import pkg.main` loads `pkg/__init__.py` and then `pkg/main.py`, which
    /// imports `/p/q.py`. `pkg/main.py`'s one import (0.52 s) could hold `pkg/__init__.py`
    /// (0.505 s) by its time, and it is a closer relative than the script.
    fn own_package_graph() -> CallGraph {
        const MAIN: &str = "/p/pkg/main.py";
        graph(&[
            (
                "~",
                EXEC,
                4,
                0.0,
                1.1,
                vec![(BOOT, "_call_with_frames_removed", 3, 1.565)],
            ),
            (
                "script.py",
                "<module>",
                1,
                0.025,
                1.1,
                vec![("~", EXEC, 1, 1.1)],
            ),
            (
                BOOT,
                "_find_and_load",
                3,
                0.03,
                1.595,
                vec![
                    ("script.py", "<module>", 2, 1.075),
                    (MAIN, "<module>", 1, 0.52),
                ],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                3,
                0.0,
                1.565,
                vec![(BOOT, "_find_and_load", 3, 1.565)],
            ),
            body("/p/pkg/__init__.py", 0.505),
            (MAIN, "<module>", 1, 0.04, 0.56, vec![("~", EXEC, 1, 0.56)]),
            body("/p/q.py", 0.5),
        ])
    }

    #[test]
    fn a_package_is_never_imported_by_its_own_modules() {
        let g = own_package_graph();
        let m = match_imports(&g);
        let script = find(&g, "script.py", "<module>");
        let init = find(&g, "/p/pkg/__init__.py", "<module>");
        let main = find(&g, "/p/pkg/main.py", "<module>");
        let q = find(&g, "/p/q.py", "<module>");
        // importlib ran `pkg/__init__.py` before `pkg/main.py` could run at all.
        assert_eq!(m.hosted[main as usize], [q]);
        let mut hosted = m.hosted[script as usize].clone();
        hosted.sort();
        let mut want = vec![init, main];
        want.sort();
        assert_eq!(hosted, want);
        // The rule itself: the package's own file and every file below it, at any depth, and
        // on either separator; not a sibling package, a parent's file, or a plain module.
        assert!(started_before("/p/pkg/__init__.py", "/p/pkg/__init__.py"));
        assert!(started_before("/p/pkg/__init__.py", "/p/pkg/main.py"));
        assert!(started_before("/p/pkg/__init__.py", "/p/pkg/sub/deep.py"));
        assert!(started_before(r"C:\p\pkg\__init__.py", r"C:\p\pkg\main.py"));
        assert!(started_before("/p/q.py", "/p/q.py"));
        assert!(!started_before("/p/pkg/__init__.py", "/p/pkgtools/x.py"));
        assert!(!started_before("/p/pkg/__init__.py", "/p/q.py"));
        assert!(!started_before("/p/pkg/sub/__init__.py", "/p/pkg/main.py"));
        assert!(!started_before("/p/q.py", "/p/pkg/main.py"));
    }

    /// The script (a relative path: no directory) imports two packages with its two import
    /// calls; `b/__init__.py` imports `<frozen ntpath>` and `b/util.py` with its two.
    fn frozen_graph() -> CallGraph {
        const B: &str = "/v/site-packages/b/__init__.py";
        graph(&[
            (
                "~",
                EXEC,
                5,
                0.0,
                2.1,
                vec![(BOOT, "_call_with_frames_removed", 4, 2.085)],
            ),
            (
                "script.py",
                "<module>",
                1,
                0.015,
                2.1,
                vec![("~", EXEC, 1, 2.1)],
            ),
            (
                BOOT,
                "_find_and_load",
                4,
                0.0055,
                2.0905,
                vec![
                    ("script.py", "<module>", 2, 2.085),
                    (B, "<module>", 2, 0.0055),
                ],
            ),
            (
                BOOT,
                "_call_with_frames_removed",
                4,
                0.0,
                2.085,
                vec![(BOOT, "_find_and_load", 4, 2.085)],
            ),
            body("/v/site-packages/a/__init__.py", 1.08),
            (B, "<module>", 1, 0.9945, 1.0, vec![("~", EXEC, 1, 1.0)]),
            body("<frozen ntpath>", 0.003),
            body("/v/site-packages/b/util.py", 0.002),
        ])
    }

    #[test]
    fn a_frozen_module_is_no_sibling_of_a_script_run_by_a_relative_path() {
        let g = frozen_graph();
        let m = match_imports(&g);
        let script = find(&g, "script.py", "<module>");
        let b = find(&g, "/v/site-packages/b/__init__.py", "<module>");
        let a = find(&g, "/v/site-packages/a/__init__.py", "<module>");
        let frozen = find(&g, "<frozen ntpath>", "<module>");
        let util = find(&g, "/v/site-packages/b/util.py", "<module>");
        // Taken as the script's sibling, `<frozen ntpath>` spent one of its two calls, and
        // `a` and `b` went to it only as leftovers.
        let sorted = |f: u32| {
            let mut h = m.hosted[f as usize].clone();
            h.sort();
            h
        };
        let mut want = vec![a, b];
        want.sort();
        assert_eq!(sorted(script), want);
        let mut want = vec![frozen, util];
        want.sort();
        assert_eq!(sorted(b), want);
        assert_eq!(tier("<string>", "", None, None), 3);
        assert_eq!(tier("helper.py", "", None, None), 1);
    }
}
