//! Which functions may appear twice on one walked path, and which ran in one context only.
//!
//! Three facts of a cProfile file that plain edge shares ignore, all from call counts:
//!
//! - **Nesting through a dispatcher.** pluggy runs every pytest hook through
//!   `HookCaller.__call__ → _hookexec → _multicall`, and hook implementations call other hooks,
//!   so a test function runs five `_multicall` frames deep. Such a function has recursive calls
//!   (`nc > cc`: called while already running). A walk that never enters a function twice
//!   hangs every nested hook's implementations directly under the first hook call. The walk
//!   may enter a *re-enterable* function again when a function that is never recursive
//!   (`nc == cc`) lies between: that bounds every path (each such function at most once on
//!   it), keeps mutual recursion folded into the outer call (its time is inside that
//!   call's, as cProfile counts it; direct recursion: below), and lets
//!   `pytest_runtestloop → __call__` open a new hook context. The import system, `exec` and
//!   module bodies keep their own rule ([`super::imports`]), and so does a function whose
//!   callers give only call counts (the `profile` module's files), whose nested contexts'
//!   times could only be guessed.
//!   Heavy mutual recursion is drawn through all the same: a hop that carries at least 0.03%
//!   of the profile's time enters such a function again with none between (and direct
//!   recursion past its unrolled levels, below), up to 4 times on a path (`walk.rs`).
//!   sympy's cached functions call each other through its cache's one `wrapper`
//!   (`wrapper → Function.__new__ → _new_ → wrapper`, 5.2 s of the recorded workload under
//!   that one triple), and folded into the outer call, what ran below the inner `wrapper`
//!   was drawn under every context of the outer one. Last 3 frames rose by
//!   0.1–1.3 points on every recording (the workload 80.1% → 80.8%), `<module>` chains moved
//!   by −0.7 to +0.2; the extra paths can push a large file's walk past its budget, which then
//!   walks at a higher flow threshold (the workload's from 10 to 80 µs). Re-entering every
//!   hop so was measured before and cost more than it gained (BENCHMARKS.md).
//! - **Called once.** A function with one call in the whole run (`nc == 1`: a session hook
//!   implementation, `main`, a test function) ran in exactly one context of its caller. So,
//!   mostly, did a function whose only caller is a re-enterable dispatcher (each hook
//!   implementation, called by `_multicall` from the one place its hook is called): pytest
//!   calls `pytest_runtest_makereport` three times per test, always from `call_and_report`.
//!   The walk places such a function whole (its full cumulative time along the edge) in one
//!   context of the caller, instead of a share in every context: the one, of all a first walk
//!   saw, whose room is closest to its time (`walk.rs`, `best_fits`). (Extending this to
//!   every function with a single caller, such as the generator that only `sum` resumes,
//!   made the sympy recordings worse: `sum` runs in many contexts.) Module bodies are placed
//!   by [`super::imports`] instead.
//! - **Direct recursion.** `f → f` (a tree walk such as minidom's `writexml`, `fact`,
//!   `merge_sort`) is drawn frame under frame instead of folded into the outer call: cProfile's
//!   `f → f` pair holds the cumulative time of the outermost recursive call and the own time
//!   of all of them, so each level takes that edge's share of the level above (the file's
//!   ratio, the same at every level), as deep as the recursive calls per outer call would go
//!   in a line (`(nc − cc) / cc + 1`) and at most [`MAX_UNROLL`] frames. The depth of a real
//!   recursion varies per call; pstats cannot say how, so this is the file's average shape.
//!   Folding it hid the frames under the leaf: on the recorded `pstats_imports.py` runs the
//!   last three frames were right for 88.0% and 90.2% of the time, drawn so for 92.7% and
//!   93.3%; on the sympy workload 67.1% and 73.3%.
//!
//! All three are off for the sampling profiler's files, whose `cc`/`nc` count samples.

use super::imports::Imports;
use super::{CallGraph, FuncName};

/// Per-function rules of the walk (see the module docs).
#[derive(Clone, Debug, Default)]
pub(super) struct Contexts {
    /// May be entered again on a path that already holds it, past a never-recursive function.
    pub reenterable: Vec<bool>,
    /// Never called while already running (`nc == cc`): entering it makes progress.
    pub never_recursive: Vec<bool>,
    /// Called exactly once, or only by a re-enterable dispatcher, from one caller edge:
    /// placed whole in one context.
    pub once: Vec<bool>,
    /// Most frames of one run of direct recursion (`f → f`) drawn on a path: 1 when the
    /// recursion stays folded into the outer call.
    pub unroll: Vec<u16>,
}

impl Contexts {
    pub(super) fn new(g: &CallGraph, imports: &Imports) -> Contexts {
        let n = g.funcs.len();
        if g.sampled {
            return Contexts {
                reenterable: vec![false; n],
                never_recursive: vec![true; n],
                once: vec![false; n],
                unroll: vec![1; n],
            };
        }
        let import_system = |f: usize| {
            imports.exec == Some(f as u32) || imports.runs_bodies.get(f).copied().unwrap_or(false)
        };
        let reenterable: Vec<bool> = (0..n)
            .map(|f| {
                g.funcs[f].nc > g.funcs[f].cc
                    && !import_system(f)
                    && !runs_modules(&g.funcs[f].key.name)
                    && g.real_callers(f as u32).all(|e| e.ct.is_some())
            })
            .collect();
        let never_recursive = g.funcs.iter().map(|f| f.nc == f.cc).collect();
        let unroll = (0..n)
            .map(|f| {
                let func = &g.funcs[f];
                // A re-enterable function's caller edges all carry their times; in the
                // import system, `_handle_fromlist` runs itself once more for
                // `from package import *` (over `__all__`), and its `f → f` edge says so.
                let self_edge = g
                    .real_callers(f as u32)
                    .find(|e| e.caller == f as u32 && e.ct.is_some() && e.tt.is_some());
                let import_recursion = import_system(f)
                    && imports.exec != Some(f as u32)
                    && !runs_modules(&func.key.name)
                    && self_edge.is_some();
                if !(reenterable[f] || import_recursion) || func.cc == 0 {
                    return 1;
                }
                let recursive: f64 = self_edge.map_or(0.0, |e| e.calls);
                if recursive <= 0.0 {
                    return 1;
                }
                // As deep as the recursive calls per outer call would go in a line.
                let per_call = (recursive / func.cc as f64).ceil() + 1.0;
                per_call.min(f64::from(MAX_UNROLL)) as u16
            })
            .collect();
        let once = (0..n)
            .map(|f| {
                let func = &g.funcs[f];
                let mut callers = g.real_callers(f as u32);
                let (first, second) = (callers.next(), callers.next());
                let one_call = matches!(
                    (first, second),
                    (Some(e), None) if e.calls == func.nc as f64 && e.ct.is_some()
                );
                let dispatched = first.is_some_and(|e| reenterable[e.caller as usize]);
                (func.nc == 1 || dispatched)
                    && func.nc == func.cc
                    && one_call
                    && !imports.body.get(f).copied().unwrap_or(false)
                    && !import_system(f)
            })
            .collect();
        Contexts {
            reenterable,
            never_recursive,
            once,
            unroll,
        }
    }
}

/// Most frames one run of direct recursion is drawn with.
const MAX_UNROLL: u16 = 16;

/// Module bodies and `exec` (cProfile's and the `profile` module's names): their nesting is
/// the imports', drawn by [`super::imports`].
fn runs_modules(name: &FuncName) -> bool {
    matches!(name, FuncName::Plain(n)
        if matches!(&**n, "<module>" | "<built-in method builtins.exec>" | "<built-in exec>"))
        || matches!(name, FuncName::Code { name, .. } if &**name == "<module>")
}
