//! From a pstats dict to stacks (FORMATS.md §2.1, §2.7).
//!
//! pstats keeps per-function totals and caller→callee edges, never stacks, so stacks are
//! inferred. The walk follows §2.7: start at every root call, scale each callee by the share of
//! its cumulative time that flows along the edge (`edge ct`; for plain-int caller values, as in
//! the `profile` module and the sampling profiler, `ct(g) · calls(f→g) / max(nc(g), Σ calls
//! into g)`), never enter a function already on the path (recursion and cycles are inside the
//! outer call's time), and keep the path on an explicit stack (sympy profiles have 17,000
//! functions).
//!
//! **Conservation.** The walk only decides *where* time goes, never *how much*: each function
//! f owns `T(f) = round(tt(f) · 10⁶)` microseconds (f64 product, rounded half away from zero;
//! negative or NaN own times count as 0), and `T(f)` is handed out over the walk's paths that
//! end in f, in proportion to the own time the walk brought there, by the largest-remainder
//! method on integer weights. So for every function the stacks ending in it sum exactly to
//! `T(f)`, and the profile's total is `Σ T(f)`, exact to the microsecond (it can differ from
//! `round(Σ tt · 10⁶)` by the per-function rounding, at most half a microsecond per function).
//! A function the walk did not reach with at least [`MIN_FLOW`] (raised when the graph is too
//! big for the walk's [`Budget`]) is attached under the heaviest stack of one of its callers; one that no
//! caller chain reaches (only called inside a cycle with no root call) goes under a synthetic
//! [`Step::NoRoot`] frame. Stacks deeper than the depth limit lose middle frames, never their
//! leaf. Nothing is dropped.
//!
//! **Exact or apportioned.** A function's time is *exact* when one caller chain leads to it
//! from a root call (each function on the way has one caller besides itself and no root calls
//! of its own): its stack is certain. All other time is *apportioned*: split by edge shares,
//! an estimate. [`WalkSummary`] reports both; for `-m cProfile` files nearly everything is
//! apportioned, because the root `exec` is also called by importlib for every imported module.
//! The same fact limits the shape: the walk cannot tell the root `exec` from importlib's, so
//! module bodies run by imports appear directly under the root `exec` (each time conserved).

use std::collections::HashMap;
use std::rc::Rc;

use crate::error::{Error, Position, Result};

use super::marshal::{DictEntry, Value};
use imports::Imports;

mod imports;

/// Paths whose incoming cumulative time is below this many seconds are not walked: they would
/// get less than half a microsecond each. Their functions still get their time (attached under
/// a caller's heaviest stack when no other path reaches them).
pub const MIN_FLOW: f64 = 0.5e-6;

/// The walk also skips paths carrying less than this share of the profile's own time: one
/// millionth is a thousand times narrower than the graph's default minimum width, so no
/// drawn frame changes, while a 15,000-function profile yields half as many stacks and is
/// drawn twice as fast. Functions only such paths reach are attached like the others above.
pub const RELATIVE_MIN_FLOW: f64 = 1e-6;

/// How the walk is bounded. When a walk would pass these, it is redone with an 8 times higher
/// flow threshold (up to [`Budget::RETRIES`] times), so that a huge graph still gets a complete,
/// coarser walk instead of one that explored its first roots and starved the rest.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Most paths one walk visits (about 24 bytes each).
    pub paths: usize,
    /// Most caller→callee edges one walk looks at: a function with thousands of callees
    /// (`exec`, `getattr`) visited on many paths costs far more than its paths.
    pub edge_visits: usize,
}

impl Budget {
    /// How often the threshold is raised before the walk keeps what it has.
    pub const RETRIES: u32 = 6;
}

impl Default for Budget {
    /// 2 million paths and 50 million edge visits: well under a second in release builds on
    /// the 17,000-function sympy profiles.
    fn default() -> Self {
        Budget {
            paths: 2_000_000,
            edge_visits: 50_000_000,
        }
    }
}

/// Largest own time accepted for one function, and for the whole profile, in microseconds
/// (2^60 µs, 36,000 years): roomy enough for a `profile.Profile(time.perf_counter_ns)` run,
/// whose int nanoseconds pstats reads as seconds, yet sums stay far from `u64` overflow and
/// the apportioning's `u128` products (2^60 · 2^40) stay exact.
const MAX_US: u64 = 1 << 60;

/// How a function is named in a key's third field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FuncName {
    /// A string: the function name (or a built-in's description).
    Plain(Rc<str>),
    /// A code object, as `python -m profile` stores the script's entry: its own name, file and
    /// first line.
    Code {
        /// `co_name`.
        name: Rc<str>,
        /// `co_filename`.
        file: Rc<str>,
        /// `co_firstlineno`.
        line: i64,
    },
}

/// A pstats key `(filename, line, funcname)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncKey {
    /// The file (`~` for cProfile built-ins, empty for `profile` built-ins).
    pub file: Rc<str>,
    /// The definition line (the executing line in sampling-profiler files; may be negative).
    pub line: i64,
    /// The name.
    pub name: FuncName,
}

impl FuncKey {
    /// The `profile` module's fake `('profile', 0, 'profiler')` entry (FORMATS.md §2.2).
    pub fn is_profiler_frame(&self) -> bool {
        &*self.file == "profile"
            && self.line == 0
            && matches!(&self.name, FuncName::Plain(n) if &**n == "profiler")
    }
}

/// One function's statistics.
#[derive(Clone, Debug)]
pub struct Func {
    /// Its key.
    pub key: FuncKey,
    /// Primitive (non-recursive) calls; samples on top for a sampling profiler.
    pub cc: u64,
    /// All calls; samples anywhere on the stack for a sampling profiler.
    pub nc: u64,
    /// Own time in seconds.
    pub tt: f64,
    /// Cumulative time in seconds.
    pub ct: f64,
    /// Offset of its key in the file, for messages.
    pub at: u64,
    /// Own time in whole microseconds, as apportioned (see the module docs).
    pub own_us: u64,
}

/// A caller→callee edge.
#[derive(Clone, Copy, Debug)]
struct Edge {
    caller: u32,
    callee: u32,
    /// Calls along the edge (cProfile's first field, or the plain int).
    calls: f64,
    /// Cumulative time along the edge, when the value was a cProfile tuple.
    ct: Option<f64>,
    /// The callee's own time under this caller, when the value was a cProfile tuple: exact,
    /// so the last two frames of a stack can be right to the microsecond.
    tt: Option<f64>,
}

/// The whole call graph of one file.
#[derive(Debug, Default)]
pub struct CallGraph {
    /// Functions, in file order (callers without an entry of their own come last).
    pub funcs: Vec<Func>,
    edges: Vec<Edge>,
    callers: Vec<Vec<u32>>,
    callees: Vec<Vec<u32>>,
    /// True when the file carries the sampling profiler's `('__sampled__',)` marker.
    pub sampled: bool,
    /// Functions whose own time was negative or not a number and counts as 0.
    pub negative: Vec<u64>,
    /// Caller keys that have no entry of their own (offsets of the entries naming them).
    pub missing_callers: Vec<u64>,
    /// How many functions were created for such callers (they are not entries of the file).
    pub created_missing: u64,
}

/// One frame of an inferred stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A function, by index into [`CallGraph::funcs`].
    Func(u32),
    /// Frames left out between the top of a deep stack and its leaf.
    Elided,
    /// The synthetic root of functions no root call reaches.
    NoRoot,
}

/// What the walk did, for diagnostics and facts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WalkSummary {
    /// Microseconds of functions reached by a single caller chain from a root (certain stacks).
    pub exact_us: u64,
    /// Microseconds of all other functions (split over inferred stacks).
    pub apportioned_us: u64,
    /// Per function: true when its stacks are certain (counted in `exact_us`).
    pub exact: Vec<bool>,
    /// Functions with own time attached under a caller's heaviest stack.
    pub attached: Vec<u64>,
    /// Functions with own time placed under `[no root]`.
    pub no_root: Vec<u64>,
    /// Stacks shortened with [`Step::Elided`].
    pub elided: u64,
    /// True when even the last walk stopped at its [`Budget`] (later paths then attached).
    pub budget_hit: bool,
    /// The flow threshold (seconds) the walk used: `base_flow` unless the budget raised it.
    pub min_flow: f64,
    /// The threshold the walk started with: [`MIN_FLOW`], or [`RELATIVE_MIN_FLOW`] of the
    /// profile's own time when that is larger.
    pub base_flow: f64,
}

const NONE: u32 = u32::MAX;

/// Whether callees of a context share what its cumulative time leaves after its own time
/// (rather than the function's average split).
const CONTEXT_BOUND: bool = true;

/// A path the walk has yet to visit.
struct Todo {
    func: u32,
    parent: u32,
    depth: usize,
    /// Seconds of cumulative time flowing in.
    flow: f64,
    /// Own time in this context, when the caller edge says it.
    own: Option<f64>,
}

/// A node of the walk tree: one path, ending in `func`.
#[derive(Clone, Copy, Debug)]
struct PathNode {
    parent: u32,
    /// Index of the function, or [`NONE`] for the `[no root]` node.
    func: u32,
    /// Own time (seconds) the walk brought to this path.
    own: f64,
}

impl CallGraph {
    /// Reads the top-level dict of a pstats file.
    pub fn from_value(value: &Value) -> Result<CallGraph> {
        let Value::Dict(entries) = value else {
            return Err(
                Error::invalid("expected a dict (a pstats file) at the top level")
                    .at(Position::Byte(0)),
            );
        };
        let mut builder = Builder::default();
        for entry in entries.iter() {
            builder.entry(entry)?;
        }
        builder.finish()
    }

    /// Functions that receive root calls (FORMATS.md §2.7): more calls than their real
    /// callers account for, or no real caller at all. A caller that was itself never called
    /// (`('profile', 0, 'profiler')`, whose only callee is the script's code object) is not a
    /// real caller. Returns `(function, seconds flowing in)`.
    fn roots(&self) -> Vec<(u32, f64)> {
        let mut roots = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            let real: Vec<&Edge> = self.real_callers(i as u32).collect();
            if real.is_empty() {
                roots.push((i as u32, f.ct.max(0.0)));
                continue;
            }
            let from_callers: f64 = real.iter().map(|e| e.calls).sum();
            let root_calls = f.nc as f64 - from_callers;
            if root_calls > 0.0 {
                // Root calls are never recursive, so each carries ct / cc (cc counts
                // outermost calls); a sampler's ct is per sample, so nc divides.
                let per = if !self.sampled && f.cc > 0 {
                    f.cc
                } else {
                    f.nc
                };
                let share = (root_calls / per.max(1) as f64).min(1.0);
                roots.push((i as u32, f.ct.max(0.0) * share));
            }
        }
        roots
    }

    /// Callers that really called: not a never-called entry, and not the `profile` module's
    /// fake `('profile', 0, 'profiler')` frame, whose callee is the script entry (a root).
    fn real_callers(&self, f: u32) -> impl Iterator<Item = &Edge> + '_ {
        self.callers[f as usize]
            .iter()
            .map(|&e| &self.edges[e as usize])
            .filter(|e| {
                let c = &self.funcs[e.caller as usize];
                c.nc > 0 && !c.key.is_profiler_frame()
            })
    }

    /// Seconds of cumulative time flowing along `edge` per unit of the caller's scale: the
    /// edge's own `ct` when cProfile recorded one, else `ct(g)` shared by call counts. The
    /// share's denominator is `nc(g)`, or the sum over its edges when that is larger: a
    /// sampler counts an edge once per occurrence in a stack but `nc` once per sample.
    fn edge_flow(&self, edge: &Edge, calls_in: f64, tuple_ct_usable: bool) -> f64 {
        let g = &self.funcs[edge.callee as usize];
        let per = calls_in.max(g.nc as f64);
        let flow = match edge.ct {
            Some(ct) if tuple_ct_usable => ct,
            _ if per > 0.0 => g.ct * edge.calls / per,
            _ => 0.0,
        };
        if flow.is_finite() { flow.max(0.0) } else { 0.0 }
    }

    /// Whether the edge tuples into `g` carry any cumulative time; when they do not (timer
    /// too coarse), call counts share `ct(g)` instead.
    fn tuple_ct_usable(&self, g: u32) -> bool {
        self.callers[g as usize]
            .iter()
            .any(|&e| self.edges[e as usize].ct.is_some_and(|ct| ct > 0.0))
    }

    /// Infers stacks and hands each one to `emit` (frames root first, weight in µs), in a
    /// deterministic order. `max_depth` (at least 3) bounds the frames of one stack: deeper
    /// stacks keep their top frames, then [`Step::Elided`], then their leaf, so the leaf
    /// function keeps its time.
    pub fn infer(&self, max_depth: usize, emit: impl FnMut(&[Step], u64)) -> WalkSummary {
        self.infer_within(max_depth, Budget::default(), emit)
    }

    /// [`CallGraph::infer`] with an explicit walk budget.
    pub fn infer_within(
        &self,
        max_depth: usize,
        budget: Budget,
        mut emit: impl FnMut(&[Step], u64),
    ) -> WalkSummary {
        let mut summary = WalkSummary::default();
        let own_total: f64 = self.funcs.iter().map(|f| f.own_us as f64 * 1e-6).sum();
        let mut min_flow = MIN_FLOW.max(own_total * RELATIVE_MIN_FLOW);
        summary.base_flow = min_flow;
        let mut nodes = Vec::new();
        let imports = imports::match_imports(self);
        for attempt in 0..=Budget::RETRIES {
            let (walked, hit) = self.walk(min_flow, budget, &imports);
            nodes = walked;
            summary.min_flow = min_flow;
            summary.budget_hit = hit;
            if !hit || attempt == Budget::RETRIES {
                break;
            }
            min_flow *= 8.0;
        }
        self.attach_unreached(&mut nodes, &mut summary);
        let weights = self.apportion(&mut nodes);
        self.count_exact(&imports, &mut summary);
        let max_depth = max_depth.max(3);
        let mut chain = Vec::new();
        let mut steps = Vec::new();
        for (i, &w) in weights.iter().enumerate().filter(|(_, w)| **w > 0) {
            path_to(&nodes, i as u32, &mut chain);
            steps.clear();
            if chain.len() > max_depth {
                summary.elided += 1;
                steps.extend_from_slice(&chain[..max_depth - 2]);
                steps.push(Step::Elided);
                steps.extend(chain.last().copied());
            } else {
                steps.extend_from_slice(&chain);
            }
            emit(&steps, w);
        }
        summary
    }

    /// The depth-first walk of §2.7 from every root, in file order, with three refinements
    /// over plain edge shares (see the module docs): a context's own time comes from its
    /// caller edge's `tt`, its callees share what its cumulative time leaves after that own
    /// time, and module bodies go under the importer [`imports`] matched them to.
    fn walk(&self, min_flow: f64, budget: Budget, imports: &Imports) -> (Vec<PathNode>, bool) {
        let usable: Vec<bool> = (0..self.funcs.len() as u32)
            .map(|g| self.tuple_ct_usable(g))
            .collect();
        let calls_in: Vec<f64> = (0..self.funcs.len() as u32)
            .map(|g| {
                self.callers[g as usize]
                    .iter()
                    .map(|&e| self.edges[e as usize].calls)
                    .sum()
            })
            .collect();
        let mut nodes: Vec<PathNode> = Vec::new();
        let mut on_path = vec![false; self.funcs.len()];
        let mut path: Vec<u32> = Vec::new();
        let mut todo: Vec<Todo> = Vec::new();
        for (root, flow) in self.roots().into_iter().rev() {
            todo.push(Todo {
                func: root,
                parent: NONE,
                depth: 0,
                flow,
                own: self.root_own(root),
            });
        }
        let mut edge_visits = 0usize;
        let mut flows: Vec<(u32, f64, Option<f64>)> = Vec::new();
        while let Some(item) = todo.pop() {
            if nodes.len() >= budget.paths || edge_visits >= budget.edge_visits {
                return (nodes, true);
            }
            let Todo {
                func: f,
                parent,
                depth,
                flow,
                own,
            } = item;
            for g in path.drain(depth..) {
                on_path[g as usize] = false;
            }
            path.push(f);
            on_path[f as usize] = true;
            let func = &self.funcs[f as usize];
            let scale = if func.ct > 0.0 { flow / func.ct } else { 0.0 };
            let own = own.unwrap_or(func.tt.max(0.0) * scale);
            let own = if own.is_finite() { own.max(0.0) } else { 0.0 };
            nodes.push(PathNode {
                parent,
                func: f,
                own,
            });
            let me = (nodes.len() - 1) as u32;
            let mark = todo.len();
            edge_visits += self.callees[f as usize].len();
            // Callees of this context: edge shares, then scaled so that together they fill
            // what the context's cumulative time leaves after its own time.
            flows.clear();
            let is_exec = imports.exec == Some(f);
            let mut sum = 0.0;
            for &e in &self.callees[f as usize] {
                let edge = &self.edges[e as usize];
                let g = edge.callee;
                // Bodies run under the importer they were matched to; unmatched ones (the
                // script itself) under a root `exec` only.
                if is_exec
                    && imports.body[g as usize]
                    && (imports.matched[g as usize] || parent != NONE)
                {
                    continue;
                }
                let t = self.edge_flow(edge, calls_in[g as usize], usable[g as usize]) * scale;
                let t = if t.is_finite() { t } else { 0.0 };
                let child_own = edge.tt.map(|tt| tt.max(0.0) * scale);
                sum += t;
                flows.push((g, t, child_own));
            }
            let factor = if CONTEXT_BOUND && sum > 0.0 && flow > own {
                (flow - own) / sum
            } else {
                1.0
            };
            for &(g, t, child_own) in &flows {
                let t = t * factor;
                if t >= min_flow && !on_path[g as usize] {
                    todo.push(Todo {
                        func: g,
                        parent: me,
                        depth: depth + 1,
                        flow: t,
                        own: child_own.map(|o| o * factor),
                    });
                }
            }
            // Module bodies this function imported, under its chain into importlib.
            let hosted = &imports.hosted[f as usize];
            if !hosted.is_empty() {
                let mut at = me;
                for &c in &imports.chain[f as usize] {
                    nodes.push(PathNode {
                        parent: at,
                        func: c,
                        own: 0.0,
                    });
                    at = (nodes.len() - 1) as u32;
                }
                for &b in hosted {
                    let t = self.funcs[b as usize].ct * scale;
                    if t >= min_flow && !on_path[b as usize] {
                        todo.push(Todo {
                            func: b,
                            parent: at,
                            depth: depth + 1,
                            flow: t,
                            own: None,
                        });
                    }
                }
            }
            todo[mark..].reverse();
        }
        (nodes, false)
    }

    /// Own time of a root call: what the caller edges' own times leave of the function's,
    /// when they carry one.
    fn root_own(&self, f: u32) -> Option<f64> {
        let mut from_edges = 0.0;
        for e in self.real_callers(f) {
            from_edges += e.tt?;
        }
        Some((self.funcs[f as usize].tt - from_edges).max(0.0))
    }

    /// Places every function the walk missed: under the heaviest path of a placed caller
    /// (breadth first, so chains of missed functions follow their callers), else under
    /// `[no root]`, heaviest own time first.
    fn attach_unreached(&self, nodes: &mut Vec<PathNode>, summary: &mut WalkSummary) {
        let n = self.funcs.len();
        let mut best: Vec<u32> = vec![NONE; n];
        for (i, node) in nodes.iter().enumerate() {
            let b = &mut best[node.func as usize];
            if *b == NONE || node.own > nodes[*b as usize].own {
                *b = i as u32;
            }
        }
        let mut queue: std::collections::VecDeque<u32> = (0..n as u32)
            .filter(|&f| best[f as usize] != NONE)
            .collect();
        self.spread(nodes, &mut best, &mut queue, summary, false);
        let mut missing: Vec<u32> = (0..n as u32)
            .filter(|&f| best[f as usize] == NONE && self.funcs[f as usize].own_us > 0)
            .collect();
        missing.sort_by_key(|&f| (std::cmp::Reverse(self.funcs[f as usize].own_us), f));
        let mut no_root = NONE;
        for f in missing {
            if best[f as usize] != NONE {
                continue;
            }
            if no_root == NONE {
                nodes.push(PathNode {
                    parent: NONE,
                    func: NONE,
                    own: 0.0,
                });
                no_root = (nodes.len() - 1) as u32;
            }
            summary.no_root.push(self.funcs[f as usize].at);
            nodes.push(PathNode {
                parent: no_root,
                func: f,
                own: 1.0,
            });
            best[f as usize] = (nodes.len() - 1) as u32;
            queue.push_back(f);
            self.spread(nodes, &mut best, &mut queue, summary, true);
        }
    }

    /// Breadth-first from `queue`: each unplaced callee gets a path under its caller's best.
    fn spread(
        &self,
        nodes: &mut Vec<PathNode>,
        best: &mut [u32],
        queue: &mut std::collections::VecDeque<u32>,
        summary: &mut WalkSummary,
        under_no_root: bool,
    ) {
        while let Some(c) = queue.pop_front() {
            for &e in &self.callees[c as usize] {
                let g = self.edges[e as usize].callee;
                if best[g as usize] != NONE {
                    continue;
                }
                nodes.push(PathNode {
                    parent: best[c as usize],
                    func: g,
                    own: 1.0,
                });
                best[g as usize] = (nodes.len() - 1) as u32;
                let func = &self.funcs[g as usize];
                if func.own_us > 0 {
                    if under_no_root {
                        summary.no_root.push(func.at);
                    } else {
                        summary.attached.push(func.at);
                    }
                }
                queue.push_back(g);
            }
        }
    }

    /// Integer weight of every path node. Each function's `own_us` is split first over its
    /// caller edges by their own times (`tt`; what they leave is the root calls' share), then
    /// each edge's part over the nodes reached through that edge, by the own time the walk
    /// brought there. An edge no walked path follows gets a node under its caller's heaviest
    /// node, so the last two frames hold exactly what the file says. Functions whose caller
    /// values carry no own time (plain counts) are split over all their nodes as before.
    fn apportion(&self, nodes: &mut Vec<PathNode>) -> Vec<u64> {
        let n = self.funcs.len();
        let mut by_func: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut best: Vec<u32> = vec![NONE; n];
        for (i, node) in nodes.iter().enumerate() {
            if node.func != NONE {
                by_func[node.func as usize].push(i as u32);
                let b = &mut best[node.func as usize];
                if *b == NONE || node.own > nodes[*b as usize].own {
                    *b = i as u32;
                }
            }
        }
        let mut weights = vec![0u64; nodes.len()];
        let mut parts: Vec<f64> = Vec::new();
        let mut edges: Vec<(u32, f64)> = Vec::new();
        for (f, own_nodes) in by_func.iter().enumerate() {
            let total = self.funcs[f].own_us;
            if total == 0 || own_nodes.is_empty() {
                continue;
            }
            edges.clear();
            let mut by_edge = true;
            let mut from_edges = 0.0;
            for e in self.real_callers(f as u32) {
                match e.tt {
                    Some(tt) => {
                        edges.push((e.caller, tt.max(0.0)));
                        from_edges += tt.max(0.0);
                    }
                    None => by_edge = false,
                }
            }
            if !by_edge || from_edges <= 0.0 {
                let ids = own_nodes;
                let shares: Vec<f64> = ids.iter().map(|&i| nodes[i as usize].own).collect();
                for (&i, w) in ids.iter().zip(largest_remainder(total, &shares)) {
                    weights[i as usize] = w;
                }
                continue;
            }
            parts.clear();
            parts.extend(edges.iter().map(|&(_, tt)| tt));
            parts.push((self.funcs[f].tt.max(0.0) - from_edges).max(0.0));
            let amounts = largest_remainder(total, &parts);
            let mut leftover = 0u64;
            // Nodes of f grouped by the function of their parent node (NONE for roots).
            let mut groups: HashMap<u32, Vec<u32>> = HashMap::new();
            for &i in own_nodes {
                let p = nodes[i as usize].parent;
                let pf = if p == NONE {
                    NONE
                } else {
                    nodes[p as usize].func
                };
                groups.entry(pf).or_default().push(i);
            }
            for (k, &amount) in amounts.iter().enumerate() {
                if amount == 0 {
                    continue;
                }
                let caller = edges.get(k).map_or(NONE, |&(c, _)| c);
                match groups.get(&caller) {
                    Some(ids) => {
                        let shares: Vec<f64> = ids.iter().map(|&i| nodes[i as usize].own).collect();
                        for (&i, w) in ids.iter().zip(largest_remainder(amount, &shares)) {
                            weights[i as usize] += w;
                        }
                    }
                    // Recursive edges too: their time is in `…;g;f` stacks, so a function
                    // may repeat once (the walk itself never enters one twice).
                    None if caller != NONE
                        && best[caller as usize] != NONE
                        && repeats(nodes, best[caller as usize], f as u32) < 2 =>
                    {
                        nodes.push(PathNode {
                            parent: best[caller as usize],
                            func: f as u32,
                            own: 0.0,
                        });
                        weights.push(amount);
                    }
                    None => leftover += amount,
                }
            }
            if leftover > 0 {
                let ids = own_nodes;
                let shares: Vec<f64> = ids.iter().map(|&i| nodes[i as usize].own).collect();
                for (&i, w) in ids.iter().zip(largest_remainder(leftover, &shares)) {
                    weights[i as usize] += w;
                }
            }
        }
        weights
    }

    /// Marks functions reached by one caller chain from a root with no root calls of their
    /// own on the way: their stacks are certain, not inferred. A function's calls to itself
    /// do not count as another caller: the walk folds direct recursion into the outer call,
    /// so they never put its time on a different stack.
    fn count_exact(&self, imports: &Imports, summary: &mut WalkSummary) {
        let n = self.funcs.len();
        let single = |g: u32| -> bool {
            let (mut other, mut calls) = (None, 0.0);
            for e in self.real_callers(g) {
                calls += e.calls;
                if e.caller != g {
                    if other.is_some() {
                        return false;
                    }
                    other = Some(e);
                }
            }
            other.is_some() && calls >= self.funcs[g as usize].nc as f64
        };
        let mut exact = vec![false; n];
        // Roots whose only callers are themselves; a function called only by itself (two
        // nested comprehensions on one line share a key) has no root call: not certain.
        let pure_root = |g: u32| {
            let mut calls = 0.0;
            for e in self.real_callers(g) {
                if e.caller != g {
                    return false;
                }
                calls += e.calls;
            }
            calls == 0.0 || calls < self.funcs[g as usize].nc as f64
        };
        // The script's body too: a body no importer took, run by a root `exec` (as
        // `python -m cProfile` runs the script), has the one stack `exec;<module>`.
        let exec_is_root = imports.exec.is_some_and(|x| {
            let calls: f64 = self.real_callers(x).map(|e| e.calls).sum();
            calls < self.funcs[x as usize].nc as f64
        });
        let script =
            |g: u32| exec_is_root && imports.body[g as usize] && !imports.matched[g as usize];
        let mut todo: Vec<u32> = (0..n as u32)
            .filter(|&g| pure_root(g) || script(g))
            .collect();
        for &g in &todo {
            exact[g as usize] = true;
        }
        while let Some(c) = todo.pop() {
            for &e in &self.callees[c as usize] {
                let g = self.edges[e as usize].callee;
                if !exact[g as usize] && single(g) {
                    exact[g as usize] = true;
                    todo.push(g);
                }
            }
        }
        for (f, &is_exact) in self.funcs.iter().zip(&exact) {
            if is_exact {
                summary.exact_us += f.own_us;
            } else {
                summary.apportioned_us += f.own_us;
            }
        }
        summary.exact = exact;
    }
}

/// How often function `f` is on the stack of walk node `n`.
fn repeats(nodes: &[PathNode], mut n: u32, f: u32) -> usize {
    let mut count = 0;
    while n != NONE {
        let node = nodes[n as usize];
        count += usize::from(node.func == f);
        n = node.parent;
    }
    count
}

/// The frames of walk node `n`, root first, into `chain`.
fn path_to(nodes: &[PathNode], mut n: u32, chain: &mut Vec<Step>) {
    chain.clear();
    while n != NONE {
        let node = nodes[n as usize];
        chain.push(match node.func {
            NONE => Step::NoRoot,
            f => Step::Func(f),
        });
        n = node.parent;
    }
    chain.reverse();
}

/// Splits `total` into integers proportional to `shares` (equal split when they are all 0)
/// that sum exactly to `total`: floors first, then one more unit to the largest remainders,
/// earlier entries first on ties. Shares become integers (2^40 for the largest) so the
/// arithmetic is exact and the result does not depend on float summation order.
fn largest_remainder(total: u64, shares: &[f64]) -> Vec<u64> {
    if shares.is_empty() {
        return Vec::new();
    }
    let max = shares.iter().copied().fold(0.0f64, f64::max);
    let ints: Vec<u128> = if max > 0.0 {
        shares
            .iter()
            .map(|&s| ((s / max) * (1u64 << 40) as f64).round() as u128)
            .collect()
    } else {
        vec![1; shares.len()]
    };
    let sum: u128 = ints.iter().sum();
    let total = u128::from(total);
    let mut out: Vec<u64> = ints.iter().map(|&w| (total * w / sum) as u64).collect();
    let given: u128 = out.iter().map(|&w| u128::from(w)).sum();
    // The `total - given` (< len) entries with the largest remainders, earlier first on ties.
    // Each remainder is computed once and only those entries are selected: sorting all of
    // them with the u128 key recomputed per comparison was 30% of `-f folded` on
    // workload.prof (callgrind). The keys are distinct, so the chosen set is the same.
    let extra = usize::try_from(total - given).map_or(ints.len(), |k| k.min(ints.len()));
    if extra > 0 {
        let mut keyed: Vec<(std::cmp::Reverse<u128>, usize)> = ints
            .iter()
            .enumerate()
            .map(|(i, &w)| (std::cmp::Reverse(total * w % sum), i))
            .collect();
        if extra < keyed.len() {
            keyed.select_nth_unstable(extra - 1);
        }
        for &(_, i) in &keyed[..extra] {
            out[i] += 1;
        }
    }
    out
}

/// Builds the graph entry by entry.
#[derive(Default)]
struct Builder {
    graph: CallGraph,
    index: HashMap<FuncKey, u32>,
    /// (callee, caller key, value, offset) until all entries are known.
    pending: Vec<(u32, FuncKey, Value, u64)>,
}

impl Builder {
    fn entry(&mut self, entry: &DictEntry) -> Result<()> {
        let at = entry.at;
        if is_sampled_marker(&entry.key) {
            self.graph.sampled = true;
            return Ok(());
        }
        let key = func_key(&entry.key).map_err(|e| e.at(Position::Byte(at)))?;
        let Value::Tuple(fields) = &entry.value else {
            return Err(expected_stats(at));
        };
        let [cc, nc, tt, ct, callers] = &fields[..] else {
            return Err(expected_stats(at));
        };
        let (cc, nc) = (count(cc, at)?, count(nc, at)?);
        let (tt, ct) = (seconds(tt, at)?, seconds(ct, at)?);
        let Value::Dict(callers) = callers else {
            return Err(expected_stats(at));
        };
        let id = self.func(key, at);
        let f = &mut self.graph.funcs[id as usize];
        f.cc = f.cc.saturating_add(cc);
        f.nc = f.nc.saturating_add(nc);
        f.tt += tt;
        f.ct += ct;
        for c in callers.iter() {
            let caller = func_key(&c.key).map_err(|e| e.at(Position::Byte(c.at)))?;
            self.pending.push((id, caller, c.value.clone(), c.at));
        }
        Ok(())
    }

    fn func(&mut self, key: FuncKey, at: u64) -> u32 {
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let id = self.graph.funcs.len() as u32;
        self.index.insert(key.clone(), id);
        self.graph.funcs.push(Func {
            key,
            cc: 0,
            nc: 0,
            tt: 0.0,
            ct: 0.0,
            at,
            own_us: 0,
        });
        id
    }

    fn finish(mut self) -> Result<CallGraph> {
        let pending = std::mem::take(&mut self.pending);
        for (callee, caller_key, value, at) in pending {
            let caller = match self.index.get(&caller_key) {
                Some(&id) => id,
                None => {
                    self.graph.missing_callers.push(at);
                    self.graph.created_missing += 1;
                    self.func(caller_key, at)
                }
            };
            let (calls, tt, ct) = edge_value(&value, at)?;
            self.graph.edges.push(Edge {
                caller,
                callee,
                calls,
                ct,
                tt,
            });
        }
        let mut g = self.graph;
        let n = g.funcs.len();
        g.callers = vec![Vec::new(); n];
        g.callees = vec![Vec::new(); n];
        for (i, e) in g.edges.iter().enumerate() {
            g.callers[e.callee as usize].push(i as u32);
            g.callees[e.caller as usize].push(i as u32);
        }
        let mut total = 0u64;
        for f in &mut g.funcs {
            if f.tt.is_nan() || f.tt < 0.0 {
                g.negative.push(f.at);
            }
            f.own_us = micros(f.tt)
                .filter(|us| {
                    total = total.saturating_add(*us);
                    total < MAX_US
                })
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "own time {} s takes the profile past 2^60 µs (expected a plausible time)",
                        f.tt
                    ))
                    .at(Position::Byte(f.at))
                })?;
        }
        Ok(g)
    }
}

/// Own time in whole microseconds: `round(tt · 10⁶)`, half away from zero; negative and NaN
/// give 0; `None` when implausibly large.
pub fn micros(tt: f64) -> Option<u64> {
    if tt.is_nan() || tt <= 0.0 {
        return Some(0);
    }
    let us = (tt * 1e6).round();
    (us < MAX_US as f64).then_some(us as u64)
}

fn is_sampled_marker(key: &Value) -> bool {
    matches!(key, Value::Tuple(t) if matches!(&t[..], [Value::Str(s)] if &**s == "__sampled__"))
}

fn expected_stats(at: u64) -> Error {
    Error::invalid("expected a (cc, nc, tt, ct, callers) tuple as the value").at(Position::Byte(at))
}

fn func_key(v: &Value) -> Result<FuncKey> {
    let bad = || Error::invalid("expected a (filename, line, name) key");
    let Value::Tuple(t) = v else {
        return Err(bad());
    };
    let [Value::Str(file), Value::Int(line), name] = &t[..] else {
        return Err(bad());
    };
    let name = match name {
        Value::Str(s) => FuncName::Plain(s.clone()),
        Value::Code(c) => FuncName::Code {
            name: c.name.clone(),
            file: c.filename.clone(),
            line: c.firstlineno,
        },
        _ => return Err(bad()),
    };
    Ok(FuncKey {
        file: file.clone(),
        line: *line,
        name,
    })
}

fn count(v: &Value, at: u64) -> Result<u64> {
    match v {
        Value::Int(n) if *n >= 0 => Ok(*n as u64),
        Value::BigInt(n) if *n >= 0.0 => Ok(u64::MAX),
        _ => Err(Error::invalid("expected a non-negative call count").at(Position::Byte(at))),
    }
}

fn seconds(v: &Value, at: u64) -> Result<f64> {
    match v {
        Value::Int(n) => Ok(*n as f64),
        Value::BigInt(n) | Value::Float(n) => Ok(*n),
        _ => Err(Error::invalid("expected a time (int or float)").at(Position::Byte(at))),
    }
}

/// A caller value: cProfile's `(nc, cc, tt, ct)` or a plain call count; returns the calls,
/// the edge's own time and its cumulative time (both `None` for a plain count).
fn edge_value(v: &Value, at: u64) -> Result<(f64, Option<f64>, Option<f64>)> {
    match v {
        Value::Tuple(t) => match &t[..] {
            [nc, cc, tt, ct] => {
                count(cc, at)?;
                let tt = seconds(tt, at)?;
                Ok((count(nc, at)? as f64, Some(tt), Some(seconds(ct, at)?)))
            }
            _ => Err(
                Error::invalid("expected a caller value (nc, cc, tt, ct) or a call count")
                    .at(Position::Byte(at)),
            ),
        },
        other => Ok((count(other, at)? as f64, None, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(Rc::from(x))
    }

    fn key(name: &str) -> Value {
        Value::Tuple(Rc::from(vec![s("m.py"), Value::Int(1), s(name)]))
    }

    fn dict(pairs: Vec<(Value, Value)>) -> Value {
        Value::Dict(Rc::from(
            pairs
                .into_iter()
                .map(|(key, value)| DictEntry { key, value, at: 0 })
                .collect::<Vec<_>>(),
        ))
    }

    /// `(name, cc, nc, tt, ct, [(caller, calls)])` with `profile`-style int caller values.
    type Row<'a> = (&'a str, i64, i64, f64, f64, &'a [(&'a str, i64)]);

    fn graph(funcs: &[Row<'_>]) -> CallGraph {
        let pairs = funcs
            .iter()
            .map(|(name, cc, nc, tt, ct, callers)| {
                let callers = dict(
                    callers
                        .iter()
                        .map(|(c, n)| (key(c), Value::Int(*n)))
                        .collect(),
                );
                let value = Value::Tuple(Rc::from(vec![
                    Value::Int(*cc),
                    Value::Int(*nc),
                    Value::Float(*tt),
                    Value::Float(*ct),
                    callers,
                ]));
                (key(name), value)
            })
            .collect();
        CallGraph::from_value(&dict(pairs)).unwrap()
    }

    fn stacks(g: &CallGraph, max_depth: usize) -> (Vec<String>, WalkSummary) {
        let mut out = Vec::new();
        let summary = g.infer(max_depth, |steps, w| {
            let names: Vec<String> = steps
                .iter()
                .map(|s| match s {
                    Step::Func(f) => match &g.funcs[*f as usize].key.name {
                        FuncName::Plain(n) => n.to_string(),
                        FuncName::Code { name, .. } => name.to_string(),
                    },
                    Step::Elided => "…".into(),
                    Step::NoRoot => "[no root]".into(),
                })
                .collect();
            out.push(format!("{} {w}", names.join(";")));
        });
        out.sort();
        (out, summary)
    }

    #[test]
    fn largest_remainder_is_exact_and_stable() {
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), [4, 3, 3]);
        assert_eq!(largest_remainder(5, &[0.0, 0.0]), [3, 2]);
        assert_eq!(largest_remainder(7, &[3.0, 0.0, 1.0]), [5, 0, 2]);
        assert_eq!(largest_remainder(0, &[1.0]), [0]);
        assert_eq!(
            largest_remainder(u64::MAX >> 11, &[1e-300, 1.0])
                .iter()
                .sum::<u64>(),
            u64::MAX >> 11
        );
    }

    #[test]
    fn largest_remainder_gives_what_a_full_sort_gives() {
        // The previous implementation: sort every index by (remainder desc, index).
        fn by_sorting(total: u64, shares: &[f64]) -> Vec<u64> {
            let max = shares.iter().copied().fold(0.0f64, f64::max);
            let ints: Vec<u128> = if max > 0.0 {
                let scale = (1u64 << 40) as f64;
                shares
                    .iter()
                    .map(|&s| ((s / max) * scale).round() as u128)
                    .collect()
            } else {
                vec![1; shares.len()]
            };
            let sum: u128 = ints.iter().sum();
            let total = u128::from(total);
            let mut out: Vec<u64> = ints.iter().map(|&w| (total * w / sum) as u64).collect();
            let given: u128 = out.iter().map(|&w| u128::from(w)).sum();
            let mut order: Vec<usize> = (0..ints.len()).collect();
            order.sort_by_key(|&i| (std::cmp::Reverse(total * ints[i] % sum), i));
            for &i in order.iter().take((total - given) as usize) {
                out[i] += 1;
            }
            out
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..300 {
            let n = 1 + (next() % 40) as usize;
            let shares: Vec<f64> = (0..n)
                .map(|_| match next() % 4 {
                    0 => 0.0,
                    1 => 1.0, // ties
                    _ => (next() % 1000) as f64 / 7.0,
                })
                .collect();
            let total = next() % 100_000;
            assert_eq!(
                largest_remainder(total, &shares),
                by_sorting(total, &shares),
                "round {round}"
            );
        }
    }

    #[test]
    fn micros_rounds_half_away_from_zero_and_clamps_negatives() {
        for (tt, us) in [
            (1.5e-6, 2),
            (2.4e-6, 2),
            (1.0, 1_000_000),
            (-3.0, 0),
            (f64::NAN, 0),
        ] {
            assert_eq!(micros(tt), Some(us), "{tt}");
        }
        assert_eq!(micros(1e300), None);
    }

    #[test]
    fn implausible_times_are_an_error_not_an_overflow() {
        let stats = |tt: f64| {
            Value::Tuple(Rc::from(vec![
                Value::Int(1),
                Value::Int(1),
                Value::Float(tt),
                Value::Float(tt),
                dict(vec![]),
            ]))
        };
        // Each is below the limit alone; together they pass 2^60 µs.
        let v = dict(vec![(key("a"), stats(7e11)), (key("b"), stats(7e11))]);
        let err = CallGraph::from_value(&v).unwrap_err();
        assert!(err.to_string().contains("2^60"), "{err}");
    }

    #[test]
    fn a_diamond_splits_the_shared_callee_by_edge_share() {
        // main calls a and b; both call leaf, a three times, b once.
        let g = graph(&[
            ("main", 1, 1, 0.000_001, 0.000_011, &[]),
            ("a", 1, 1, 0.000_001, 0.000_007, &[("main", 1)]),
            ("b", 1, 1, 0.000_001, 0.000_003, &[("main", 1)]),
            ("leaf", 4, 4, 0.000_008, 0.000_008, &[("a", 3), ("b", 1)]),
        ]);
        let (lines, summary) = stacks(&g, 100);
        assert_eq!(
            lines,
            [
                "main 1",
                "main;a 1",
                "main;a;leaf 6",
                "main;b 1",
                "main;b;leaf 2"
            ]
        );
        assert_eq!(summary.exact_us, 3);
        assert_eq!(summary.apportioned_us, 8);
    }

    #[test]
    fn recursion_does_not_loop_and_keeps_all_time() {
        // rec calls itself twice; a mutual cycle p <-> q under main.
        let g = graph(&[
            ("main", 1, 1, 0.000_001, 0.000_010, &[]),
            (
                "rec",
                1,
                3,
                0.000_003,
                0.000_003,
                &[("main", 1), ("rec", 2)],
            ),
            ("p", 1, 2, 0.000_002, 0.000_006, &[("main", 1), ("q", 1)]),
            ("q", 2, 2, 0.000_004, 0.000_005, &[("p", 2)]),
        ]);
        let (lines, summary) = stacks(&g, 100);
        assert_eq!(lines, ["main 1", "main;p 2", "main;p;q 4", "main;rec 3"]);
        // main and the directly recursive rec are certain; p has two callers, so q is not.
        assert_eq!((summary.exact_us, summary.apportioned_us), (4, 6));
    }

    #[test]
    fn a_cycle_without_root_call_goes_under_no_root() {
        let g = graph(&[
            ("main", 1, 1, 0.000_001, 0.000_001, &[]),
            ("p", 1, 1, 0.000_002, 0.000_003, &[("q", 1)]),
            ("q", 1, 1, 0.000_001, 0.000_003, &[("p", 1)]),
            // Two nested comprehensions on one line share a key: only "itself" calls it.
            ("lc", 4, 4, 0.000_005, 0.000_009, &[("lc", 4)]),
        ]);
        let (lines, summary) = stacks(&g, 100);
        assert_eq!(
            lines,
            [
                "[no root];lc 5",
                "[no root];p 2",
                "[no root];p;q 1",
                "main 1"
            ]
        );
        assert_eq!(summary.no_root.len(), 3);
        assert_eq!((summary.exact_us, summary.apportioned_us), (1, 8));
    }

    #[test]
    fn the_depth_limit_elides_the_middle_and_keeps_the_leaf() {
        let g = graph(&[
            ("a", 1, 1, 0.000_001, 0.000_005, &[]),
            ("b", 1, 1, 0.000_001, 0.000_004, &[("a", 1)]),
            ("c", 1, 1, 0.000_001, 0.000_003, &[("b", 1)]),
            ("d", 1, 1, 0.000_001, 0.000_002, &[("c", 1)]),
            ("e", 1, 1, 0.000_001, 0.000_001, &[("d", 1)]),
        ]);
        let (lines, summary) = stacks(&g, 3);
        assert_eq!(lines, ["a 1", "a;b 1", "a;b;c 1", "a;…;d 1", "a;…;e 1"]);
        assert_eq!(summary.elided, 2);
        assert_eq!(summary.exact_us, 5);
    }

    #[test]
    fn an_exploding_graph_gets_a_coarser_complete_walk_within_budget() {
        // 10 layers of 2 functions, each calling both of the next layer: 2^10 paths.
        let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let mut rows: Vec<(String, Vec<(&str, i64)>)> = Vec::new();
        for i in 0..20 {
            let callers = if i < 2 {
                vec![]
            } else {
                let layer = i / 2 - 1;
                vec![
                    (names[2 * layer].as_str(), 1),
                    (names[2 * layer + 1].as_str(), 1),
                ]
            };
            rows.push((names[i].clone(), callers));
        }
        let funcs: Vec<Row<'_>> = rows
            .iter()
            .enumerate()
            .map(|(i, (n, c))| {
                let ct = 0.001 * (20 - i / 2 * 2) as f64;
                (n.as_str(), 1, 2, 0.001, ct, c.as_slice())
            })
            .collect();
        let g = graph(&funcs);
        let small = Budget {
            paths: 300,
            edge_visits: 1_000_000,
        };
        let mut total = 0;
        let summary = g.infer_within(100, small, |_, w| total += w);
        assert_eq!(total, 20 * 1000);
        assert!(summary.min_flow > MIN_FLOW, "{summary:?}");
        let (_, full) = stacks(&g, 100);
        assert_eq!(full.min_flow, MIN_FLOW);
    }

    #[test]
    fn tuple_and_int_caller_values_mix_in_one_file() {
        // FORMATS.md §2.3: merged files may hold both kinds; each edge is read on its own.
        let stats = |nc: i64, tt: f64, ct: f64, callers: Vec<(Value, Value)>| {
            Value::Tuple(Rc::from(vec![
                Value::Int(nc),
                Value::Int(nc),
                Value::Float(tt),
                Value::Float(ct),
                dict(callers),
            ]))
        };
        let tuple = |nc: i64, ct: f64| {
            Value::Tuple(Rc::from(vec![
                Value::Int(nc),
                Value::Int(nc),
                Value::Float(ct),
                Value::Float(ct),
            ]))
        };
        let v = dict(vec![
            (key("a"), stats(1, 0.000_001, 0.000_004, vec![])),
            (key("b"), stats(1, 0.000_001, 0.000_004, vec![])),
            (
                key("leaf"),
                stats(
                    4,
                    0.000_006,
                    0.000_006,
                    vec![(key("a"), tuple(1, 0.000_003)), (key("b"), Value::Int(3))],
                ),
            ),
        ]);
        let g = CallGraph::from_value(&v).unwrap();
        let (lines, _) = stacks(&g, 10);
        // a's tuple edge says leaf spent 3 µs of its own 6 µs under a; b gets the rest (its
        // int edge says only calls).
        assert_eq!(lines, ["a 1", "a;leaf 3", "b 1", "b;leaf 3"]);
    }

    #[test]
    fn negative_own_time_counts_as_zero_and_is_reported() {
        // The `profile` module subtracts a calibration bias, which can go below zero.
        let g = graph(&[
            ("main", 1, 1, -0.000_003, 0.000_010, &[]),
            ("f", 1, 1, 0.000_013, 0.000_013, &[("main", 1)]),
        ]);
        assert_eq!(g.negative.len(), 1);
        let (lines, summary) = stacks(&g, 100);
        assert_eq!(lines, ["main;f 13"]);
        assert_eq!(summary.exact_us, 13);
    }

    #[test]
    fn tiny_paths_are_attached_to_a_caller_not_lost() {
        // leaf's edge carries too little time to be walked, yet leaf owns 1 µs.
        let g = graph(&[
            ("main", 1, 1, 0.0, 0.000_000_2, &[]),
            ("leaf", 1, 1, 0.000_000_6, 0.000_000_1, &[("main", 1)]),
        ]);
        let (lines, summary) = stacks(&g, 100);
        assert_eq!(lines, ["main;leaf 1"]);
        assert_eq!(summary.attached.len(), 1);
    }
}
