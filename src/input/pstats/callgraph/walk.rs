//! The walk from a call graph to stacks: roots, the depth-first walk with its refinements,
//! attaching what it missed, apportioning each function's microseconds over the paths, and
//! counting which time is exact (see the parent module for the method).

use ahash::HashMap;

use super::ahead::{Cores, Stop, stopped};
use super::class_bodies::ClassBodies;
use super::contexts::Contexts;
use super::imports::{self, Imports};
use super::margins::{self, Margins};
use super::trampoline::Trampolines;
use super::{CallGraph, Edge, NONE};

mod cut;

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
    /// Most frames over all the paths one walk visits (each path's depth): what the stacks'
    /// folded text and the graph cost grows with.
    pub frames: usize,
}

impl Budget {
    /// How often the threshold is raised before the walk keeps what it has.
    pub const RETRIES: u32 = 6;
}

impl Default for Budget {
    /// 2 million paths, 50 million edge visits and 3 million frames: well under a second in
    /// release builds on the 17,000-function sympy profiles, and the folded text of the stacks
    /// (about 40 bytes a frame) stays near 120 MB however deep the imports nest.
    fn default() -> Self {
        Budget {
            paths: 2_000_000,
            edge_visits: 50_000_000,
            frames: 3_000_000,
        }
    }
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

/// Share of the profile's time a function must carry to be walked from as a root of its own
/// when no root reaches it (one thousandth: a visible frame).
const ORPHAN_SHARE: f64 = 1e-3;

/// A function called once fits a context when its cumulative time, less this share, fits in
/// what the context's cumulative time leaves: the context's own estimate can fall a little
/// short of the true one.
const FIT_SLACK: f64 = 0.03;

/// How often a function may already be on the stack that an edge's own time is attached to:
/// recursion and re-entered dispatchers put it there legitimately (`…;g;f;…;g;f`), and the
/// bound keeps a pathological chain from growing one stack without end.
const MAX_REPEATS: usize = 32;

/// Share of the profile's time that functions called once and placed nowhere must carry for
/// the walk to be redone with them shared out.
const HOMELESS_SHARE: f64 = 1e-3;

/// How often the walk is redone with the best fits of the walk before.
const FIT_PASSES: u32 = 1;

/// How often the walk is redone for functions called once that found no room.
const PLACEMENT_PASSES: u32 = 1;

/// What one walk made.
struct WalkOut {
    nodes: Vec<PathNode>,
    /// True when it stopped at its [`Budget`].
    budget_hit: bool,
    /// Per function: true when the walk visited it (the importlib chain drawn between an
    /// importer and its bodies does not count: its frames walk no callees).
    reached: Vec<bool>,
    /// Per function called once: true when a context took it.
    placed: Vec<bool>,
    /// In a recording walk, every context each such function could have gone to.
    seen: Vec<Seen>,
}

/// A context a function called once could have gone to, as one walk saw it.
#[derive(Clone, Copy, Debug)]
struct Seen {
    func: u32,
    /// The context's path, hashed ([`mix`] over its functions).
    context: u64,
    /// What the context's cumulative time leaves after its own time.
    room: f64,
    /// The function's cumulative time.
    ct: f64,
}

/// A hop carrying at least this share of the profile's own time enters a re-enterable function
/// already on the path even with no never-recursive function between (contexts.rs).
const HEAVY_REENTRY_SHARE: f64 = 3e-4;

/// Most times one function is on a path through such heavy re-entries.
const MAX_HEAVY_REENTRIES: usize = 4;

/// Most candidate contexts one walk records (32 bytes each).
const MAX_SEEN: usize = 4_000_000;

/// splitmix64's finaliser: path hashes that differ in any frame differ everywhere.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// For every function called once, the context with the best fit among all those a walk
/// saw, larger functions first: the one whose room left is closest to the function's time,
/// within [`FIT_SLACK`]. The walk's own choice is the first context with room in walk order,
/// which hands a small leftover of an early context to a function that ran elsewhere.
fn best_fits(by_func: Vec<Seen>) -> HashMap<u32, u64> {
    // The contexts, by rank.
    let mut contexts: Vec<u64> = by_func.iter().map(|s| s.context).collect();
    contexts.sort_unstable();
    contexts.dedup();
    let rank_of = |c: u64| contexts.binary_search(&c).expect("a recorded context") as u32;
    // In one pass over the entries: each context's largest room it was seen with (rooms are
    // never negative or NaN: the walk takes them `.max(0.0)`), and each entry's sort key.
    // Larger functions first, then by function and context. Sorted as one `u128` each
    // (the time's bits, the function, the context's rank), which holds every field the
    // fitting reads: comparing the three fields of `workload.prof`'s 52,424 entries took
    // 3–4 ms, on the path every later walk waits for. Entries equal in all three are one
    // context seen twice, whose order does not change the fits.
    let mut left = vec![0.0f64; contexts.len()];
    let mut keys: Vec<u128> = Vec::with_capacity(by_func.len());
    for s in &by_func {
        let rank = rank_of(s.context);
        left[rank as usize] = left[rank as usize].max(s.room);
        let larger_first = !ordered_bits(s.ct);
        keys.push((u128::from(larger_first) << 64) | (u128::from(s.func) << 32) | u128::from(rank));
    }
    drop(by_func);
    keys.sort_unstable();
    // (function, context rank, the function's time), in that order.
    let entries: Vec<(u32, usize, f64)> = keys
        .iter()
        .map(|&k| {
            let ct = f64::from_bits(unordered_bits(!((k >> 64) as u64)));
            ((k >> 32) as u32, (k as u32) as usize, ct)
        })
        .collect();
    let mut out = HashMap::default();
    let mut i = 0;
    while i < entries.len() {
        let (f, _, ct) = entries[i];
        let mut j = i;
        let mut best: Option<(f64, usize)> = None;
        while j < entries.len() && entries[j].0 == f {
            let (_, r, ct) = entries[j];
            let room = left[r];
            if ct * (1.0 - FIT_SLACK) <= room {
                let miss = (room - ct).abs();
                if best.is_none_or(|(m, _)| miss < m) {
                    best = Some((miss, r));
                }
            }
            j += 1;
        }
        if let Some((_, r)) = best {
            left[r] = (left[r] - ct).max(0.0);
            out.insert(f, contexts[r]);
        }
        i = j;
    }
    out
}

/// `x`'s bits made to sort as [`f64::total_cmp`] orders the values.
fn ordered_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The inverse of [`ordered_bits`].
fn unordered_bits(o: u64) -> u64 {
    if o >> 63 == 1 { o & !(1 << 63) } else { !o }
}

/// The two rules under which what a function calls depends on its caller: importlib's
/// trampoline runs the work its caller hands it (trampoline.rs), `__build_class__` the class
/// bodies of its caller's file (class_bodies.rs).
#[derive(Clone, Copy)]
struct Handing<'a> {
    trampolines: &'a Trampolines,
    class_bodies: &'a ClassBodies,
}

impl Handing<'_> {
    /// Whether `f`'s callees depend on its caller.
    fn depends(&self, f: u32) -> bool {
        self.trampolines.is_trampoline(f) || self.class_bodies.is_builder(f)
    }

    /// Whether `callee` can run under `via` when `caller` called it.
    fn allows(&self, caller: Option<u32>, via: u32, callee: u32) -> bool {
        self.trampolines.allows(caller, via, callee)
            && self.class_bodies.allows(caller, via, callee)
    }
}

/// Each function's heaviest node (most own time, the first of equals), [`NONE`] where it has
/// none: where what attaches to a function goes.
fn heaviest_nodes(nodes: &[PathNode], n: usize) -> Vec<u32> {
    let mut best = vec![NONE; n];
    for (i, node) in nodes.iter().enumerate() {
        if node.func == NONE {
            continue;
        }
        let b = &mut best[node.func as usize];
        if *b == NONE || node.own > nodes[*b as usize].own {
            *b = i as u32;
        }
    }
    best
}

/// The [`Handing`] rules with the nodes of each function whose callees depend on its caller
/// ([`Handing::depends`]), in node order, kept up to date as nodes are pushed: [`handed_under`]
/// looks through these instead of every node (a scan of all nodes per attached callee took a
/// quarter of the whole run on `workload.prof`).
struct HandingNodes<'a> {
    handing: Handing<'a>,
    /// How many of the nodes have been looked at.
    seen: usize,
    of: HashMap<u32, Vec<u32>>,
}

impl<'a> HandingNodes<'a> {
    fn new(handing: Handing<'a>) -> Self {
        HandingNodes {
            handing,
            seen: 0,
            of: HashMap::default(),
        }
    }

    /// The nodes of `c` among `nodes`, after taking in those pushed since the last call.
    fn of(&mut self, nodes: &[PathNode], c: u32) -> &[u32] {
        for (i, node) in nodes.iter().enumerate().skip(self.seen) {
            if node.func != NONE && self.handing.depends(node.func) {
                self.of.entry(node.func).or_default().push(i as u32);
            }
        }
        self.seen = nodes.len();
        self.of.get(&c).map_or(&[], Vec::as_slice)
    }
}

/// Where a function the walk did not reach is attached under its caller `c`: `c`'s heaviest
/// node, but under a function whose callees depend on its caller ([`Handing`]) the heaviest
/// one whose own caller can hand it `g`, so that what a walk at a raised flow threshold
/// missed (`create_module → _call_with_frames_removed → create_builtin`) is not drawn under
/// the trampoline's heaviest stack, `exec_module → _call_with_frames_removed → exec`'s, nor a
/// class body under another file's `__build_class__`.
fn handed_under(nodes: &[PathNode], handed: &mut HandingNodes, best: u32, c: u32, g: u32) -> u32 {
    let handing = handed.handing;
    if best == NONE || !handing.depends(c) {
        return best;
    }
    let caller_of = |i: usize| {
        let p = nodes[i].parent;
        (p != NONE).then(|| nodes[p as usize].func)
    };
    if handing.allows(caller_of(best as usize), c, g) {
        return best;
    }
    let mut found: Option<usize> = None;
    for &i in handed.of(nodes, c) {
        let i = i as usize;
        if handing.allows(caller_of(i), c, g) && found.is_none_or(|b| nodes[i].own > nodes[b].own) {
            found = Some(i);
        }
    }
    found.map_or(best, |i| i as u32)
}

/// A path the walk has yet to visit.
struct Todo {
    func: u32,
    parent: u32,
    depth: usize,
    /// Seconds of cumulative time flowing in.
    flow: f64,
    /// Own time in this context, when the caller edge says it.
    own: Option<f64>,
    /// Calls into this context: the edge's calls for a function placed whole, else the
    /// caller context's share of them, like the flow.
    calls: f64,
}

/// One caller→callee edge as the walk reads it, for every context of the caller.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hop {
    pub(super) callee: u32,
    /// Seconds of cumulative time along the edge per unit of the caller's scale
    /// ([`CallGraph::edge_flow`]).
    pub(super) flow: f64,
    /// The callee's own time under this caller (`tt`, at least 0), or -1 when the edge
    /// carries none.
    pub(super) tt: f64,
    /// Calls along the edge.
    pub(super) calls: f64,
}

/// A function with this many hops has them looked at largest flow first ([`Hops::reaching`]);
/// with fewer, sorting the few that reach the threshold costs more than it saves.
const BY_FLOW_FROM: usize = 16;

/// Every function's callee edges, flows worked out once, side by side in one array: the walk
/// visits a function's edges once per path through it (millions of visits on a large
/// profile), and looking up each edge, its callee's entry and the callee's sums there was
/// most of the walk's instructions (callgrind, issue 18).
pub(super) struct Hops {
    /// Where each function's hops start in `hops` (one more entry at the end).
    starts: Vec<u32>,
    hops: Vec<Hop>,
    /// Per function, its hops' indices (side by side as `hops` are), by flow, largest first,
    /// where it has at least [`BY_FLOW_FROM`] hops (in hop order otherwise): a context deep in
    /// the tree reaches only its first few callees past the flow threshold, and
    /// `__build_class__`'s 1,100 callees or sympy's `_ask`'s 106 were looked at one by one on
    /// every path through them (issue 18).
    by_flow: Vec<u32>,
    /// Per caller of a function, what its hops' shares are multiplied by (margins.rs).
    fitted: Margins,
}

impl Hops {
    fn new(g: &CallGraph) -> Hops {
        let n = g.funcs.len();
        let usable: Vec<bool> = (0..n as u32).map(|f| g.tuple_ct_usable(f)).collect();
        let calls_in: Vec<f64> = (0..n)
            .map(|f| {
                g.callers[f]
                    .iter()
                    .map(|&e| g.edges[e as usize].calls)
                    .sum()
            })
            .collect();
        let mut starts = Vec::with_capacity(n + 1);
        let mut hops = Vec::with_capacity(g.edges.len());
        for callees in &g.callees {
            starts.push(u32::try_from(hops.len()).expect("fewer than 2^32 edges"));
            hops.extend(callees.iter().map(|&e| {
                let edge = &g.edges[e as usize];
                let c = edge.callee as usize;
                Hop {
                    callee: edge.callee,
                    flow: g.edge_flow(edge, calls_in[c], usable[c]),
                    tt: edge.tt.map_or(-1.0, |tt| tt.max(0.0)),
                    calls: edge.calls,
                }
            }));
        }
        starts.push(u32::try_from(hops.len()).expect("fewer than 2^32 edges"));
        let mut by_flow = Vec::with_capacity(hops.len());
        for f in 0..n {
            let out = &hops[starts[f] as usize..starts[f + 1] as usize];
            let at = by_flow.len();
            by_flow.extend(0..out.len() as u32);
            if out.len() >= BY_FLOW_FROM {
                // A flow that is no number is never walked: it goes last.
                let key = |j: u32| {
                    let flow = out[j as usize].flow;
                    if flow.is_nan() {
                        f64::NEG_INFINITY
                    } else {
                        flow
                    }
                };
                by_flow[at..].sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
            }
        }
        Hops {
            starts,
            hops,
            by_flow,
            fitted: Margins::default(),
        }
    }

    /// The indices of `f`'s hops whose flow times `bound` reaches `min_flow`, ascending (hop
    /// order), into `into`; every index when `f` has few hops. No hop left out could reach
    /// `min_flow` with a multiplier of at most `bound`.
    fn reaching(&self, f: u32, bound: f64, min_flow: f64, into: &mut Vec<u32>) {
        into.clear();
        let out = self.of(f);
        if out.len() < BY_FLOW_FROM {
            into.extend(0..out.len() as u32);
            return;
        }
        let range = self.starts[f as usize] as usize..self.starts[f as usize + 1] as usize;
        for &j in &self.by_flow[range] {
            if out[j as usize].flow * bound < min_flow {
                break;
            }
            into.push(j);
        }
        into.sort_unstable();
    }

    /// The hops out of function `f`, in the order of its callee edges.
    pub(super) fn of(&self, f: u32) -> &[Hop] {
        &self.hops[self.starts[f as usize] as usize..self.starts[f as usize + 1] as usize]
    }
}

/// What every walk of one inference reads.
struct Shared<'a> {
    graph: &'a CallGraph,
    budget: Budget,
    imports: &'a Imports,
    /// Which class bodies each `__build_class__` context can run.
    class_bodies: &'a ClassBodies,
    hops: &'a Hops,
    /// The profile's own time, seconds.
    own_total: f64,
    /// A hop carrying at least this much re-enters a function already on the path
    /// ([`HEAVY_REENTRY_SHARE`] of every function's `tt`, seconds).
    heavy_flow: f64,
}

/// Where the walks of one inference stand: the next walk's threshold and placements.
#[derive(Clone)]
struct Walks {
    contexts: Contexts,
    min_flow: f64,
    /// Times the threshold was raised.
    attempt: u32,
    /// None for a walk that records where functions called once could go, then the best
    /// fits it found.
    placements: Option<HashMap<u32, u64>>,
    fitted: u32,
    passes: u32,
}

/// The walk an inference keeps, and the threshold it was walked at.
struct Settled {
    nodes: Vec<PathNode>,
    min_flow: f64,
    budget_hit: bool,
    /// Per function: placed whole in one context by that walk (`Contexts::once`).
    once: Vec<bool>,
}

impl Walks {
    /// What the budget calls for after a walk that passed it: the threshold 8 times higher.
    fn raise(&mut self) {
        self.attempt += 1;
        self.min_flow *= 8.0;
    }

    /// Walks until one is kept: redone at a higher threshold while one passes its budget,
    /// then again with the placements it found ([`FIT_PASSES`]) and for what found no room
    /// ([`PLACEMENT_PASSES`]). `None` once `stop` is given.
    ///
    /// With `cores`, what would follow a walk that passes its budget (every walk after it,
    /// at the threshold 8 times higher) starts on a thread of its own beside it, walking once
    /// a core is free, and is stopped when the walk keeps within its budget ([`super::ahead`]).
    /// On a large profile a walk that passes its budget is the dearest step (the first of
    /// `workload.prof`'s five took as long as the other four), and what follows it is then
    /// done by the time it is; the walks that follow may pass the budget too (`workload.prof`'s
    /// walk with placements does), so what follows them runs ahead as well, on the core the
    /// first walk leaves. The same walks decide as on one thread, so the result does not
    /// depend on it. The calling thread holds one of `cores` and still holds one on return.
    fn settle(
        mut self,
        shared: &Shared,
        cores: Option<&Cores>,
        stop: Option<&Stop>,
    ) -> Option<Settled> {
        let g = shared.graph;
        loop {
            if stopped(stop) {
                return None;
            }
            let retry = self.attempt < Budget::RETRIES;
            let walked = match cores {
                Some(cores) if retry => {
                    let mut coarser = self.clone();
                    coarser.raise();
                    let beside_stop = Stop::under(stop);
                    let (walked, after) = std::thread::scope(|scope| {
                        let beside = std::thread::Builder::new()
                            .spawn_scoped(scope, || {
                                if !cores.take(Some(&beside_stop)) {
                                    return None;
                                }
                                let after = coarser.settle(shared, Some(cores), Some(&beside_stop));
                                cores.give();
                                after
                            })
                            .ok();
                        let panicking = cores.stop_on_panic(&beside_stop);
                        let mut walked = g.walk(shared, &self, stop);
                        drop(panicking);
                        if walked.budget_hit {
                            // Not kept: only the flag is, while the walks beside run.
                            walked.nodes = Vec::new();
                            walked.seen = Vec::new();
                        } else {
                            cores.stop(&beside_stop);
                        }
                        cores.give();
                        let after = beside.map(|b| {
                            b.join()
                                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                        });
                        cores.take(None);
                        (walked, after)
                    });
                    match after {
                        Some(after) if walked.budget_hit => return after,
                        _ => walked,
                    }
                }
                _ => g.walk(shared, &self, stop),
            };
            if stopped(stop) {
                return None;
            }
            if walked.budget_hit && retry {
                self.raise();
                continue;
            }
            // A function called once that found no context with room for it (the rooms are
            // estimates) is shared out like the others in another pass.
            let reached = &walked.reached;
            let homeless: Vec<usize> = (0..g.funcs.len())
                .filter(|&f| {
                    self.contexts.once[f]
                        && !walked.placed[f]
                        && g.real_callers(f as u32).any(|e| reached[e.caller as usize])
                })
                .collect();
            if self.fitted < FIT_PASSES && !walked.seen.is_empty() {
                // Walk again with each function in its best-fitting context of all: each
                // walk's structure is closer to the program's, so it sees better contexts.
                // One that fits no context this walk saw is shared out in that walk already.
                self.fitted += 1;
                let chosen = best_fits(walked.seen);
                for f in homeless {
                    if !chosen.contains_key(&(f as u32)) {
                        self.contexts.once[f] = false;
                    }
                }
                self.placements = Some(chosen);
                continue;
            }
            // Another walk only for what can be seen: a thousandth of the profile's time is
            // a frame of about one pixel; less is attached under a caller's heaviest stack.
            let homeless_ct: f64 = homeless.iter().map(|&f| g.funcs[f].ct.max(0.0)).sum();
            if homeless_ct < HOMELESS_SHARE * shared.own_total || self.passes == PLACEMENT_PASSES {
                return Some(Settled {
                    nodes: walked.nodes,
                    min_flow: self.min_flow,
                    budget_hit: walked.budget_hit,
                    once: std::mem::take(&mut self.contexts.once),
                });
            }
            self.passes += 1;
            for f in homeless {
                self.contexts.once[f] = false;
            }
        }
    }
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
    /// Functions that receive root calls (FORMATS.md §2.7): more calls than their real
    /// callers account for, or no real caller at all. A caller that was itself never called
    /// (`('profile', 0, 'profiler')`, whose only callee is the script's code object) is not a
    /// real caller. Returns `(function, seconds flowing in, root calls)`; the calls are at
    /// least one.
    pub(super) fn roots(&self) -> Vec<(u32, f64, f64)> {
        let mut roots = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            let real: Vec<&Edge> = self.real_callers(i as u32).collect();
            if real.is_empty() {
                roots.push((i as u32, f.ct.max(0.0), (f.nc as f64).max(1.0)));
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
                roots.push((i as u32, f.ct.max(0.0) * share, root_calls.max(1.0)));
            }
        }
        roots
    }

    /// Callers that really called: not a never-called entry, and not the `profile` module's
    /// fake `('profile', 0, 'profiler')` frame, whose callee is the script entry (a root).
    pub(super) fn real_callers(&self, f: u32) -> impl Iterator<Item = &Edge> + '_ {
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
        self.infer_within(max_depth, Budget::default(), 1, emit)
    }

    /// [`CallGraph::infer`] on up to `threads` threads (0: as many as the machine has): the
    /// same stacks in the same order, sooner when a walk would pass its budget
    /// ([`CallGraph::infer_within`]).
    pub fn infer_on(
        &self,
        max_depth: usize,
        threads: usize,
        emit: impl FnMut(&[Step], u64),
    ) -> WalkSummary {
        self.infer_within(max_depth, Budget::default(), threads, emit)
    }

    /// [`CallGraph::infer`] with an explicit walk budget, on up to `threads` threads (1: one;
    /// 0: as many as the machine has). With more than one, what would follow each walk if
    /// it passed its budget runs beside it, on as many threads at once (`Walks::settle`);
    /// which walk is kept does not change.
    pub fn infer_within(
        &self,
        max_depth: usize,
        budget: Budget,
        threads: usize,
        mut emit: impl FnMut(&[Step], u64),
    ) -> WalkSummary {
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let cores = (threads > 1).then(|| Cores::new(threads));
        let mut summary = WalkSummary::default();
        let own_total: f64 = self.funcs.iter().map(|f| f.own_us as f64 * 1e-6).sum();
        let min_flow = MIN_FLOW.max(own_total * RELATIVE_MIN_FLOW);
        summary.base_flow = min_flow;
        let imports = imports::match_imports(self);
        let contexts = Contexts::new(self, &imports);
        let mut hops = Hops::new(self);
        let class_bodies = ClassBodies::new(self, &hops);
        hops.fitted = Margins::new(self, &hops, &contexts, &imports, &class_bodies);
        let shared = Shared {
            graph: self,
            budget,
            imports: &imports,
            class_bodies: &class_bodies,
            hops: &hops,
            own_total,
            heavy_flow: HEAVY_REENTRY_SHARE * self.funcs.iter().map(|f| f.tt.max(0.0)).sum::<f64>(),
        };
        let Settled {
            mut nodes,
            min_flow,
            budget_hit,
            once,
        } = Walks {
            contexts,
            min_flow,
            attempt: 0,
            placements: None,
            fitted: 0,
            passes: 0,
        }
        .settle(&shared, cores.as_ref(), None)
        .expect("only a walk beside another is stopped");
        summary.min_flow = min_flow;
        summary.budget_hit = budget_hit;
        let handing = Handing {
            trampolines: &imports.trampolines,
            class_bodies: &class_bodies,
        };
        self.attach_unreached(&mut nodes, &mut summary, handing);
        let cut = cut::Cut {
            imports: &imports,
            hops: &hops,
            handing,
            once: &once,
            floor: summary.base_flow,
        };
        self.fill_cut_paths(&mut nodes, &cut);
        let weights = self.apportion(&mut nodes, handing);
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

    /// The depth-first walk of §2.7 from every root, in file order, with two refinements over
    /// plain edge shares (see the module docs): a context's own time comes from its caller
    /// edge's `tt`, and module bodies go under the importer [`imports`] matched them to.
    fn walk(&self, shared: &Shared, walks: &Walks, stop: Option<&Stop>) -> WalkOut {
        let (budget, imports, hops) = (shared.budget, shared.imports, shared.hops);
        let class_bodies = shared.class_bodies;
        let (min_flow, contexts) = (walks.min_flow, &walks.contexts);
        let placements = walks.placements.as_ref();
        let n = self.funcs.len();
        let mut nodes: Vec<PathNode> = Vec::new();
        // Where each function last is on the current path (depth + 1, 0 when it is not), and
        // per path position what that function's entry replaced and the depth + 1 of the
        // latest never-recursive function at or above it (0 for none).
        let mut last_at = vec![0usize; n];
        let heavy_flow = shared.heavy_flow;
        let mut path: Vec<u32> = Vec::new();
        let mut prev_at: Vec<usize> = Vec::new();
        let mut progress_at: Vec<usize> = Vec::new();
        let mut placed = vec![false; n];
        let mut hash_at: Vec<u64> = Vec::new();
        let mut seen: Vec<Seen> = Vec::new();
        let mut todo: Vec<Todo> = Vec::new();
        for (root, flow, calls) in self.roots().into_iter().rev() {
            todo.push(Todo {
                func: root,
                parent: NONE,
                depth: 0,
                flow,
                own: self.root_own(root),
                calls,
            });
        }
        let mut edge_visits = 0usize;
        let mut frames = 0usize;
        let mut reached = vec![false; n];
        let orphans = self.orphan_candidates();
        let mut next_orphan = 0;
        let mut fits: Vec<(u32, f64)> = Vec::new();
        let mut chosen: Vec<(u32, f64)> = Vec::new();
        // The hops a context looks at (`Hops::reaching`).
        let mut reaching: Vec<u32> = Vec::new();
        // The hop of each callee in `fits`, by callee.
        let mut fit_hops: Vec<(u32, u32)> = Vec::new();
        // Which functions call one called once: only their contexts need the fitting below.
        // (`contexts.once` changes between walks, so this is worked out per walk.)
        let calls_once: Vec<bool> = (0..n as u32)
            .map(|f| hops.of(f).iter().any(|h| contexts.once[h.callee as usize]))
            .collect();
        loop {
            let Some(item) = todo.pop() else {
                // A heavy function no walked path reached: its callers' entries do not lead
                // to it from a root (cProfile keeps one entry per key, so the `<string>` body
                // that `python -m cProfile -m mod` runs can be overwritten by another
                // `<string>` body). It becomes a root of its own rather than being attached
                // in pieces.
                while next_orphan < orphans.len() && reached[orphans[next_orphan] as usize] {
                    next_orphan += 1;
                }
                let Some(&g) = orphans.get(next_orphan) else {
                    break;
                };
                todo.push(Todo {
                    func: g,
                    parent: NONE,
                    depth: 0,
                    flow: self.funcs[g as usize].ct,
                    own: None,
                    calls: self.funcs[g as usize].nc as f64,
                });
                continue;
            };
            // The budget; a walk beside another also stops (checked every 1024 paths) when
            // that one kept within its budget: its result is then never used, so it returns
            // as if it had passed its own.
            if nodes.len() >= budget.paths
                || edge_visits >= budget.edge_visits
                || frames >= budget.frames
                || (nodes.len().is_multiple_of(1024) && stopped(stop))
            {
                return WalkOut {
                    nodes,
                    budget_hit: true,
                    reached,
                    placed,
                    seen,
                };
            }
            let Todo {
                func: f,
                parent,
                depth,
                flow,
                own,
                calls,
            } = item;
            while path.len() > depth {
                let i = path.len() - 1;
                last_at[path[i] as usize] = prev_at[i];
                path.pop();
                prev_at.pop();
                progress_at.pop();
            }
            let parent_hash = if depth == 0 { 0 } else { hash_at[depth - 1] };
            hash_at.truncate(depth);
            hash_at.push(mix(
                parent_hash ^ u64::from(f).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ));
            path.push(f);
            prev_at.push(last_at[f as usize]);
            last_at[f as usize] = depth + 1;
            let progress = if contexts.never_recursive[f as usize] {
                depth + 1
            } else {
                progress_at.last().copied().unwrap_or(0)
            };
            progress_at.push(progress);
            // A function already on the path is entered again only past a never-recursive
            // one (contexts.rs); the import system never.
            let blocked = |g: u32| {
                let at = last_at[g as usize];
                at != 0 && !(contexts.reenterable[g as usize] && progress > at)
            };
            // Direct recursion (`f → f`) is drawn frame under frame, each level taking the
            // recursive edge's share of the one above, up to `contexts.unroll`.
            let unroll = contexts.unroll[f as usize] as usize;
            let recurse = unroll > 1
                && path
                    .iter()
                    .rev()
                    .take(unroll)
                    .take_while(|&&p| p == f)
                    .count()
                    < unroll;
            let func = &self.funcs[f as usize];
            let scale = if func.ct > 0.0 { flow / func.ct } else { 0.0 };
            let call_share = if func.nc > 0 {
                calls / func.nc as f64
            } else {
                0.0
            };
            let own = own.unwrap_or(func.tt.max(0.0) * scale);
            let own = if own.is_finite() { own.max(0.0) } else { 0.0 };
            nodes.push(PathNode {
                parent,
                func: f,
                own,
            });
            reached[f as usize] = true;
            frames += depth + 1;
            let me = (nodes.len() - 1) as u32;
            let mark = todo.len();
            let out = hops.of(f);
            edge_visits += out.len();
            // Callees of this context by edge share. (Rescaling them to fill exactly what the
            // context's cumulative time leaves after its own time was measured and made the
            // large recordings worse: BENCHMARKS.md.)
            let is_exec = imports.exec == Some(f);
            let string_scale = if is_exec {
                let parent = (parent != NONE).then(|| nodes[parent as usize].func);
                scale * imports.exec_string_factor(parent, func.ct, flow, own, scale)
            } else {
                scale
            };
            // Functions called once go whole into one context (contexts.rs): in a recording
            // walk the first with room for them, then the one the recording fitted best.
            // The other callees keep their edge shares: squeezing them into
            // the room left was measured and lost last-3-frame time on the pytest-on-sympy
            // recording (85.2% to 83.3%).
            let mut room = (flow - own).max(0.0);
            fits.clear();
            let caller = (parent != NONE).then(|| nodes[parent as usize].func);
            if !is_exec && calls_once[f as usize] {
                let here = hash_at[depth];
                fit_hops.clear();
                for (j, h) in out.iter().enumerate() {
                    if contexts.once[h.callee as usize]
                        && !blocked(h.callee)
                        && class_bodies.allows(caller, f, h.callee)
                        && h.flow >= min_flow
                        // A dispatcher calls each implementation at most once per call: the
                        // context must have been entered that often.
                        && h.calls <= calls * (1.0 + FIT_SLACK) + 0.5
                    {
                        fits.push((h.callee, h.flow));
                        fit_hops.push((h.callee, j as u32));
                    }
                }
                if placements.is_none() && seen.len() < MAX_SEEN {
                    // Only where it fits the whole room: nowhere else can it go.
                    seen.extend(
                        fits.iter()
                            .filter(|&&(_, ct)| ct * (1.0 - FIT_SLACK) <= room)
                            .map(|&(g, ct)| Seen {
                                func: g,
                                context: here,
                                room,
                                ct,
                            }),
                    );
                }
                // A callee the fitting walk chose a context for goes there, whole, and
                // nowhere else.
                fits.retain(|&(g, _)| !placed[g as usize]);
                chosen.clear();
                fits.retain(|&(g, ct)| match placements.and_then(|p| p.get(&g)) {
                    Some(&c) => {
                        if c == here {
                            chosen.push((g, ct));
                        }
                        false
                    }
                    None => true,
                });
                for &(g, ct) in &chosen {
                    placed[g as usize] = true;
                    room = (room - ct).max(0.0);
                    fits.push((g, -1.0));
                }
                // One too large for the room now never fits it (the room only shrinks), and
                // is left out below anyway: only the rest is sorted (`__build_class__`'s
                // 1,100 class bodies were sorted on every path through it).
                fits.retain(|&(_, ct)| ct < 0.0 || ct * (1.0 - FIT_SLACK) <= room);
                fits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                // Each time the one whose time is closest to the room left, within the
                // slack: of two callees of about one size, each goes to the context that
                // fits it best.
                loop {
                    let (mut below, mut above) = (None, None);
                    for (i, &(_, ct)) in fits.iter().enumerate() {
                        if ct < 0.0 || ct * (1.0 - FIT_SLACK) > room {
                            continue;
                        }
                        if ct > room {
                            above = Some(i);
                        } else {
                            below = Some(i);
                            break;
                        }
                    }
                    let pick = match (below, above) {
                        (Some(b), Some(a)) if fits[a].1 - room < room - fits[b].1 => a,
                        (Some(b), _) => b,
                        (None, Some(a)) => a,
                        (None, None) => break,
                    };
                    let (g, ct) = fits[pick];
                    room = (room - ct).max(0.0);
                    placed[g as usize] = true;
                    fits[pick].1 = -1.0;
                }
                fits.retain(|&(_, ct)| ct < 0.0);
            }
            // A trampoline's callees depend on its caller (trampoline.rs): only those this
            // caller can have, taking the time the others' shares would have had.
            let trampolines = &imports.trampolines;
            let handed = if trampolines.is_trampoline(f) {
                let (mut all, mut allowed) = (0.0, 0.0);
                for h in out {
                    all += h.flow;
                    if trampolines.allows(caller, f, h.callee) {
                        allowed += h.flow;
                    }
                }
                (allowed > 0.0).then(|| (caller, scale * all / allowed))
            } else {
                None
            };
            // Callee shares fitted to this context's caller (margins.rs).
            let factors = hops.fitted.factors(
                f,
                if parent == NONE {
                    margins::ROOT
                } else {
                    nodes[parent as usize].func
                },
            );
            // Class bodies only in their file's contexts, the metaclass calls in what those
            // leave (class_bodies.rs).
            let built = class_bodies.context(caller, f, (flow, own, scale));
            // No callee share is multiplied by more than this: hops whose flow times it
            // stays under the threshold are not looked at (a little more than the product,
            // for its rounding taken the other way round), except the callees called once
            // that fit this context, which go whole.
            let bound = factors.map_or(1.0, |(_, max)| max)
                * scale
                    .max(string_scale)
                    .max(handed.map_or(0.0, |(_, s)| s))
                    .max(built.map_or(0.0, |b| b.largest(scale)));
            hops.reaching(f, bound * (1.0 + 1e-9), min_flow, &mut reaching);
            if !fits.is_empty() && out.len() >= BY_FLOW_FROM {
                fit_hops.sort_unstable();
                for &(g, _) in &fits {
                    let at = fit_hops.partition_point(|&(c, _)| c < g);
                    reaching.push(fit_hops[at].1);
                }
                reaching.sort_unstable();
                reaching.dedup();
            }
            let factors = factors.map(|(k, _)| k);
            for &j in &reaching {
                let j = j as usize;
                let hop = &out[j];
                let g = hop.callee;
                let scale = match handed {
                    Some((caller, _)) if !trampolines.allows(caller, f, g) => continue,
                    Some((_, handed_scale)) => handed_scale,
                    None => match built.map(|b| b.scale_of(class_bodies, g, scale)) {
                        Some(None) => continue,
                        Some(Some(share)) => share,
                        None => scale,
                    },
                };
                // Bodies run under the importer they were matched to; unmatched ones (the
                // script itself) under a root `exec` only.
                if is_exec
                    && imports.body[g as usize]
                    && (imports.matched[g as usize] || parent != NONE)
                {
                    continue;
                }
                if !is_exec && contexts.once[g as usize] {
                    if fits.iter().any(|&(c, _)| c == g) {
                        todo.push(Todo {
                            func: g,
                            parent: me,
                            depth: depth + 1,
                            flow: hop.flow,
                            own: (hop.tt >= 0.0).then_some(hop.tt),
                            calls: hop.calls,
                        });
                    }
                    continue;
                }
                // `exec` runs code strings only for code outside the import system.
                let scale = if is_exec && !imports.body[g as usize] {
                    string_scale
                } else {
                    scale
                };
                let scale = scale * factors.map_or(1.0, |k| f64::from(k[j]));
                let t = hop.flow * scale;
                let t = if t.is_finite() { t } else { 0.0 };
                // `exec` called by code that runs strings is no recursion of the root `exec`
                // that ran the script: it runs other code, drawn under that caller.
                let again = imports.exec == Some(g) && imports.runs_strings(f);
                let again = again || (g == f && recurse);
                // Heavy mutual recursion is drawn through, a few levels deep (contexts.rs);
                // `blocked` first so that only a blocked hop counts its function on the path.
                let again = again
                    || (t >= heavy_flow
                        && contexts.reenterable[g as usize]
                        && blocked(g)
                        && path.iter().filter(|&&p| p == g).count() < MAX_HEAVY_REENTRIES);
                if t >= min_flow && (!blocked(g) || again) {
                    todo.push(Todo {
                        func: g,
                        parent: me,
                        depth: depth + 1,
                        flow: t,
                        own: (hop.tt >= 0.0).then_some(hop.tt * scale),
                        // A context the walk reaches ran at least once.
                        calls: (hop.calls * call_share).max(hop.calls.min(1.0)),
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
                    if t >= min_flow && last_at[b as usize] == 0 {
                        todo.push(Todo {
                            func: b,
                            parent: at,
                            depth: depth + 1,
                            flow: t,
                            own: None,
                            calls: 1.0,
                        });
                    }
                }
            }
            todo[mark..].reverse();
        }
        WalkOut {
            nodes,
            budget_hit: false,
            reached,
            placed,
            seen,
        }
    }

    /// Functions to walk from when no root reaches them, heaviest first: they carry at least
    /// [`ORPHAN_SHARE`] of the profile's time, and a caller's edge into them holds more time
    /// than that caller's own entry (the entry is another function's of the same key).
    fn orphan_candidates(&self) -> Vec<u32> {
        let own_total: f64 = self.funcs.iter().map(|f| f.tt.max(0.0)).sum();
        let mut out: Vec<u32> = (0..self.funcs.len() as u32)
            .filter(|&f| {
                let func = &self.funcs[f as usize];
                func.ct.is_finite()
                    && func.ct >= ORPHAN_SHARE * own_total
                    && func.ct > 0.0
                    && self.real_callers(f).any(|e| self.exceeds_caller(e))
            })
            .collect();
        out.sort_by(|&a, &b| {
            self.funcs[b as usize]
                .ct
                .total_cmp(&self.funcs[a as usize].ct)
                .then(a.cmp(&b))
        });
        out
    }

    /// Whether `edge` holds more time than its caller's own entry: cProfile keeps one entry
    /// per key, and another function of the same key overwrote the caller's, so the edge
    /// leads to its callee from no path a root reaches.
    pub(super) fn exceeds_caller(&self, edge: &Edge) -> bool {
        let caller = self.funcs[edge.caller as usize].ct;
        edge.ct.is_some_and(|ct| ct > caller * 1.01 + 1e-6)
    }

    /// Own time of a root call: what the caller edges' own times leave of the function's,
    /// when they carry one.
    pub(super) fn root_own(&self, f: u32) -> Option<f64> {
        let mut from_edges = 0.0;
        for e in self.real_callers(f) {
            from_edges += e.tt?;
        }
        Some((self.funcs[f as usize].tt - from_edges).max(0.0))
    }

    /// Places every function the walk missed: under the heaviest path of a placed caller
    /// (breadth first, so chains of missed functions follow their callers), else under
    /// `[no root]`, heaviest own time first.
    fn attach_unreached(
        &self,
        nodes: &mut Vec<PathNode>,
        summary: &mut WalkSummary,
        handing: Handing,
    ) {
        let n = self.funcs.len();
        let mut handed = HandingNodes::new(handing);
        let mut best = heaviest_nodes(nodes, n);
        let mut queue: std::collections::VecDeque<u32> = (0..n as u32)
            .filter(|&f| best[f as usize] != NONE)
            .collect();
        self.spread(nodes, &mut best, &mut queue, summary, false, &mut handed);
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
            self.spread(nodes, &mut best, &mut queue, summary, true, &mut handed);
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
        handed: &mut HandingNodes,
    ) {
        while let Some(c) = queue.pop_front() {
            for &e in &self.callees[c as usize] {
                let g = self.edges[e as usize].callee;
                if best[g as usize] != NONE {
                    continue;
                }
                let parent = handed_under(nodes, handed, best[c as usize], c, g);
                nodes.push(PathNode {
                    parent,
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
    /// node, so the last two frames hold exactly what the file says. What the edges leave
    /// (root calls, callers given as plain counts) goes to the other nodes; functions whose
    /// caller values carry no own time at all are split over all their nodes.
    fn apportion(&self, nodes: &mut Vec<PathNode>, handing: Handing) -> Vec<u64> {
        let n = self.funcs.len();
        let mut handed = HandingNodes::new(handing);
        let mut by_func: Vec<Vec<u32>> = vec![Vec::new(); n];
        let best = heaviest_nodes(nodes, n);
        for (i, node) in nodes.iter().enumerate() {
            if node.func != NONE {
                by_func[node.func as usize].push(i as u32);
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
            let mut from_edges = 0.0;
            for e in self.real_callers(f as u32) {
                if let Some(tt) = e.tt {
                    edges.push((e.caller, tt.max(0.0)));
                    from_edges += tt.max(0.0);
                }
            }
            if from_edges <= 0.0 {
                let ids = own_nodes;
                let shares: Vec<f64> = ids.iter().map(|&i| nodes[i as usize].own).collect();
                for (&i, w) in ids.iter().zip(largest_remainder(total, &shares)) {
                    weights[i as usize] = w;
                }
                continue;
            }
            // The edges' own times, then the rest: root calls and callers whose value is a
            // plain count (merged files can mix both).
            parts.clear();
            parts.extend(edges.iter().map(|&(_, tt)| tt));
            parts.push((self.funcs[f].tt.max(0.0) - from_edges).max(0.0));
            let amounts = largest_remainder(total, &parts);
            let mut leftover = 0u64;
            // Nodes of f grouped by the function of their parent node (NONE for roots).
            let mut groups: HashMap<u32, Vec<u32>> = HashMap::default();
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
                if k == edges.len() {
                    let rest: Vec<u32> = groups
                        .iter()
                        .filter(|(pf, _)| !edges.iter().any(|(c, _)| c == *pf))
                        .flat_map(|(_, ids)| ids.iter().copied())
                        .collect();
                    if rest.is_empty() {
                        leftover += amount;
                        continue;
                    }
                    let mut rest = rest;
                    rest.sort_unstable();
                    let shares: Vec<f64> = rest.iter().map(|&i| nodes[i as usize].own).collect();
                    for (&i, w) in rest.iter().zip(largest_remainder(amount, &shares)) {
                        weights[i as usize] += w;
                    }
                    continue;
                }
                let caller = edges[k].0;
                match groups.get(&caller) {
                    Some(ids) => {
                        let shares: Vec<f64> = ids.iter().map(|&i| nodes[i as usize].own).collect();
                        for (&i, w) in ids.iter().zip(largest_remainder(amount, &shares)) {
                            weights[i as usize] += w;
                        }
                    }
                    // Recursive edges too: their time is in `…;g;f` stacks, where `f` may
                    // already be (recursion, or a dispatcher the walk re-entered).
                    None if best[caller as usize] != NONE
                        && repeats(nodes, best[caller as usize], f as u32) < MAX_REPEATS =>
                    {
                        let parent = handed_under(
                            nodes,
                            &mut handed,
                            best[caller as usize],
                            caller,
                            f as u32,
                        );
                        nodes.push(PathNode {
                            parent,
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
pub(super) fn largest_remainder(total: u64, shares: &[f64]) -> Vec<u64> {
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
