//! Class bodies run where their `class` statement is: under a caller in their own file.
//!
//! `class C: …` runs C's body through `builtins.__build_class__`, which the code holding the
//! statement calls: a module body, a function, or the body of an enclosing class, all in the
//! file that defines C (the body's `co_filename`). pstats merges every class statement of
//! the run into one `__build_class__` entry, so plain edge shares draw each class body under
//! every caller's `__build_class__` in proportion to its time, and a best fit by time alone
//! put pandas' `ArrowExtensionArray` under `urllib3/_collections.py`'s class statements. On
//! the recorded pytest run of `pytest_project` (1,100 class bodies) the frame above
//! `__build_class__` was wrong for 96% of its callees' own time.
//!
//! So the walk follows `__build_class__ → body` only in contexts whose caller is in the
//! body's file, and takes the body's time there over those contexts alone: each such
//! context's share is multiplied by a boost, the builder's cumulative time over what the
//! body's file's edges into it carry (all of the body's calls are in those
//! edges). A body called once goes whole into one of those contexts (`contexts.rs`). The
//! builder's other callees, the metaclass methods, share what each context leaves once its
//! bodies are placed ([`ClassBodies::context`]).
//!
//! A class body is a callee of `__build_class__` whose only callers are `__build_class__`
//! and whose name is no dunder name: the builder also calls metaclass methods
//! (`ABCMeta.__new__`, `__init_subclass__`, `__prepare__`, `__mro_entries__`), which run for
//! classes of any file and keep plain shares. A body whose file has no edge into the builder
//! (a caller the file lost) keeps plain shares too.

use ahash::HashMap;

use super::walk::Hops;
use super::{CallGraph, FuncName};

/// No file: the function is no class body, or its file calls no builder.
const NO_FILE: u32 = u32::MAX;

/// Per function, what the class-body rule knows of it.
#[derive(Debug, Default)]
pub(super) struct ClassBodies {
    /// Per function: true for `__build_class__` (cProfile's and the `profile` module's).
    builder: Vec<bool>,
    /// Per function: its file, interned (every function with a file).
    file: Vec<u32>,
    /// Per function: its file when it is a class body the rule places, else [`NO_FILE`].
    home: Vec<u32>,
    /// Per builder and file with placed bodies: what a context called from that file holds.
    by_file: HashMap<(u32, u32), FileBodies>,
    /// Per builder: the cumulative time of its callees that are no placed class body (the
    /// metaclass methods), seconds.
    meta_flow: Vec<f64>,
}

/// One file's class bodies under one builder.
#[derive(Clone, Copy, Debug)]
struct FileBodies {
    /// How much larger a body's share is in a context called from the file: the builder's
    /// cumulative time over what the file's edges into it carry.
    boost: f64,
    /// The bodies' cumulative time, seconds.
    flow: f64,
}

/// What the rule says of one context of a builder ([`ClassBodies::context`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct BuilderContext {
    /// The caller's file.
    file: u32,
    /// Multiplier of the plain share of a body of that file.
    boost: f64,
    /// The share of each metaclass callee's time, as the walk's scale is one.
    meta_scale: f64,
}

impl ClassBodies {
    pub(super) fn new(g: &CallGraph, hops: &Hops) -> ClassBodies {
        let n = g.funcs.len();
        let builder: Vec<bool> = g.funcs.iter().map(|f| is_builder(&f.key)).collect();
        if !builder.iter().any(|&b| b) {
            return ClassBodies::default();
        }
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let file: Vec<u32> = g
            .funcs
            .iter()
            .map(|f| {
                let next = ids.len() as u32;
                *ids.entry(&f.key.file).or_insert(next)
            })
            .collect();
        // What each file's edges into a builder carry, per builder.
        let mut into: HashMap<(u32, u32), f64> = HashMap::default();
        for c in 0..n as u32 {
            for h in hops.of(c) {
                if builder[h.callee as usize] && h.flow.is_finite() && h.flow > 0.0 {
                    *into.entry((h.callee, file[c as usize])).or_insert(0.0) += h.flow;
                }
            }
        }
        let mut home = vec![NO_FILE; n];
        let mut by_file: HashMap<(u32, u32), FileBodies> = HashMap::default();
        for f in 0..n {
            let func = &g.funcs[f];
            if builder[f] || !is_class_name(&func.key.name) || !has_file(&func.key.file) {
                continue;
            }
            let mut callers = g.real_callers(f as u32).map(|e| e.caller).peekable();
            let Some(&b) = callers.peek() else { continue };
            if !builder[b as usize] || !callers.all(|c| c == b) {
                continue;
            }
            let ct = g.funcs[b as usize].ct;
            let Some(&from_file) = into.get(&(b, file[f])) else {
                continue;
            };
            if !(ct.is_finite() && ct > 0.0) {
                continue;
            }
            home[f] = file[f];
            by_file.entry((b, file[f])).or_insert(FileBodies {
                boost: (ct / from_file).max(1.0),
                flow: 0.0,
            });
        }
        // One pass over each builder's callees: the placed bodies' time per file, the rest
        // the metaclass calls'. (Callee edges are in the file's order, so each file's sum
        // adds its bodies in function order.)
        let mut meta_flow = vec![0.0; n];
        for b in (0..n).filter(|&b| builder[b]) {
            for h in hops.of(b as u32).iter().filter(|h| h.flow.is_finite()) {
                match home[h.callee as usize] {
                    NO_FILE => meta_flow[b] += h.flow.max(0.0),
                    at => {
                        let bodies = by_file.get_mut(&(b as u32, at));
                        bodies.expect("a placed body's file").flow += h.flow.max(0.0);
                    }
                }
            }
        }
        ClassBodies {
            builder,
            file,
            home,
            by_file,
            meta_flow,
        }
    }

    /// Whether `f` is `__build_class__`.
    pub(super) fn is_builder(&self, f: u32) -> bool {
        self.builder.get(f as usize).copied().unwrap_or(false)
    }

    /// Whether `callee` can run under `via` when `caller` called it: a class body only under
    /// a caller in its file; every other edge, and a path with no caller, always.
    pub(super) fn allows(&self, caller: Option<u32>, via: u32, callee: u32) -> bool {
        if !self.is_builder(via) {
            return true;
        }
        match (caller, self.home.get(callee as usize)) {
            (Some(c), Some(&home)) if home != NO_FILE => self.file[c as usize] == home,
            _ => true,
        }
    }

    /// What a context of builder `via` called by `caller` holds, given the walk's `flow` in,
    /// `own` time and plain `scale` there: its file's bodies' boost, and the metaclass
    /// callees' scale. They share what the context leaves once its class bodies are placed,
    /// in proportion to it: plain edge shares would hand the context of a file whose classes
    /// are heavy (pydantic models) the metaclass calls of every other file too. `None` for
    /// no builder or a root path.
    pub(super) fn context(
        &self,
        caller: Option<u32>,
        via: u32,
        (flow, own, scale): (f64, f64, f64),
    ) -> Option<BuilderContext> {
        if !self.is_builder(via) {
            return None;
        }
        let file = self.file[caller? as usize];
        let bodies = self.by_file.get(&(via, file));
        let boost = bodies.map_or(1.0, |b| b.boost);
        let placed = bodies.map_or(0.0, |b| b.flow * scale * b.boost);
        let meta = self.meta_flow[via as usize];
        let k = (flow - own - placed).max(0.0) / meta;
        let meta_scale = if meta > 0.0 && k.is_finite() {
            k
        } else {
            scale
        };
        Some(BuilderContext {
            file,
            boost,
            meta_scale,
        })
    }
}

impl BuilderContext {
    /// The share of callee `g`'s time here, as the walk's scale is `scale`; `None` for a
    /// class body of another file.
    pub(super) fn scale_of(&self, bodies: &ClassBodies, g: u32, scale: f64) -> Option<f64> {
        match bodies.home.get(g as usize) {
            Some(&home) if home != NO_FILE => (home == self.file).then_some(scale * self.boost),
            _ => Some(self.meta_scale),
        }
    }

    /// The largest share multiplier of any callee here.
    pub(super) fn largest(&self, scale: f64) -> f64 {
        (scale * self.boost).max(self.meta_scale)
    }
}

/// `__build_class__`: cProfile's `('~', 0, '<built-in method builtins.__build_class__>')`
/// and the `profile` module's `('', 0, '__build_class__')`.
fn is_builder(key: &super::FuncKey) -> bool {
    let FuncName::Plain(name) = &key.name else {
        return false;
    };
    match &*key.file {
        "~" => &**name == "<built-in method builtins.__build_class__>",
        "" => key.line == 0 && &**name == "__build_class__",
        _ => false,
    }
}

/// A class's name, as its body's code object is named: no dunder method, no `<lambda>`-like
/// code (`<module>`, `<genexpr>`). The last dotted part counts (3.15's sampling profiler
/// qualifies names).
fn is_class_name(name: &FuncName) -> bool {
    let name = match name {
        FuncName::Plain(n) => &**n,
        FuncName::Code { name, .. } => &**name,
    };
    let last = name.rsplit('.').next().unwrap_or(name);
    let dunder = last.starts_with("__") && last.ends_with("__");
    !(last.is_empty() || dunder || last.starts_with('<'))
}

/// A file a class body can be in: not a built-in's.
fn has_file(file: &str) -> bool {
    !(file == "~" || file.is_empty())
}
