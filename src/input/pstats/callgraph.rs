//! From a pstats dict to stacks (FORMATS.md §2.1, §2.7).
//!
//! pstats keeps per-function totals and caller→callee edges, never stacks, so stacks are
//! inferred. This file builds the [`CallGraph`] (functions, edges with their call counts, own
//! and cumulative times); `walk.rs` turns it into stacks, `imports.rs` says under which importer
//! each module body ran.
//!
//! **The walk** follows §2.7: start at every root call, scale each callee by the share of its
//! cumulative time that flows along the edge (`edge ct`; for plain-int caller values, as in the
//! `profile` module and the sampling profiler, `ct(g) · calls(f→g) / max(nc(g), Σ calls into
//! g)`), enter a function already on the path only past a never-recursive one (a dispatcher
//! such as pluggy's `_multicall`; cycles are inside the outer call's time, direct recursion
//! is drawn level under level by the `f → f` edge's share: `contexts.rs`), follow importlib's
//! `_call_with_frames_removed` only to the work its caller hands it (`trampoline.rs`) and
//! `__build_class__` only to the class bodies of its caller's file (`class_bodies.rs`), and
//! keep the path on an explicit stack (sympy profiles have 17,000 functions). It uses the
//! other constraints of the file too: a context's own time comes from
//! its caller edge's own time (`tt`), a function called once goes whole into the context
//! that fits it best (`contexts.rs`, `walk.rs`), and module bodies (run once, by `exec`) are
//! drawn under the importer `imports.rs` matched them to instead of under whichever `exec`
//! carries most time.
//!
//! **Conservation.** The walk only decides *where* time goes, never *how much*: each function
//! f owns `T(f) = round(tt(f) · 10⁶)` microseconds (f64 product, rounded half away from zero;
//! negative or NaN own times count as 0). `T(f)` is split over f's caller edges by their own
//! times (what they leave goes to root calls), then each edge's part over the walk's paths
//! through that edge, in proportion to the own time the walk brought there, by the
//! largest-remainder method on integer weights; an edge no walked path follows gets a path
//! under its caller's heaviest one. So for every function the stacks ending in it sum exactly
//! to `T(f)`, and the profile's total is `Σ T(f)`, exact to the microsecond (it can differ
//! from `round(Σ tt · 10⁶)` by the per-function rounding, at most half a microsecond per
//! function). A function the walk did not reach with at least [`MIN_FLOW`] (raised when the
//! graph is too big for the walk's [`Budget`]) is attached under the heaviest stack of one of
//! its callers; one that no caller chain reaches (only called inside a cycle with no root
//! call) goes under a synthetic [`Step::NoRoot`] frame. Stacks deeper than the depth limit
//! lose middle frames, never their leaf. Nothing is dropped.
//!
//! **Exact or apportioned.** A function's time is *exact* when one caller chain leads to it
//! from a root call, or from the script's module body under a root `exec` (each function on
//! the way has one caller besides itself and no root calls of its own): its stack is certain.
//! All other time is *apportioned*: an estimate. [`WalkSummary`] reports both, and which
//! functions are exact.

use ahash::HashMap;
use std::sync::Arc;

use crate::error::{Error, Position, Result};

use super::marshal::{DictEntry, Value};
pub use walk::{Budget, MIN_FLOW, RELATIVE_MIN_FLOW, Step, WalkSummary};

mod ahead;
mod class_bodies;
mod contexts;
mod imports;
mod margins;
mod trampoline;
mod walk;

/// Largest own time accepted for one function, and for the whole profile, in microseconds
/// (2^60 µs, 36,000 years): roomy enough for a `profile.Profile(time.perf_counter_ns)` run,
/// whose int nanoseconds pstats reads as seconds, yet sums stay far from `u64` overflow and
/// the apportioning's `u128` products (2^60 · 2^40) stay exact.
const MAX_US: u64 = 1 << 60;

/// How a function is named in a key's third field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FuncName {
    /// A string: the function name (or a built-in's description).
    Plain(Arc<str>),
    /// A code object, as `python -m profile` stores the script's entry: its own name, file and
    /// first line.
    Code {
        /// `co_name`.
        name: Arc<str>,
        /// `co_filename`.
        file: Arc<str>,
        /// `co_firstlineno`.
        line: i64,
    },
}

/// A pstats key `(filename, line, funcname)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncKey {
    /// The file (`~` for cProfile built-ins, empty for `profile` built-ins).
    pub file: Arc<str>,
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
}

/// Marks "no node" / "no function" in index vectors.
const NONE: u32 = u32::MAX;

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
    use super::walk::largest_remainder;
    use super::*;

    pub(super) fn s(x: &str) -> Value {
        Value::Str(Arc::from(x))
    }

    /// A pstats key in `m.py`, or in the file before a `|` (`~|<built-in method …>`).
    /// `file|name@line`; the file is `m.py` and the line 1 unless given.
    fn key(name: &str) -> Value {
        let (file, name) = name.split_once('|').unwrap_or(("m.py", name));
        let (name, line) = name
            .split_once('@')
            .map_or((name, 1), |(n, l)| (n, l.parse().unwrap()));
        Value::Tuple(Arc::from(vec![s(file), Value::Int(line), s(name)]))
    }

    pub(super) fn dict(pairs: Vec<(Value, Value)>) -> Value {
        Value::Dict(Arc::from(
            pairs
                .into_iter()
                .map(|(key, value)| DictEntry { key, value, at: 0 })
                .collect::<Vec<_>>(),
        ))
    }

    /// A cProfile entry `(nc, nc, tt, ct, {caller: value})`.
    fn stats(nc: i64, tt: f64, ct: f64, callers: Vec<(Value, Value)>) -> Value {
        Value::Tuple(Arc::from(vec![
            Value::Int(nc),
            Value::Int(nc),
            Value::Float(tt),
            Value::Float(ct),
            dict(callers),
        ]))
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
                let value = Value::Tuple(Arc::from(vec![
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

    /// The summed weight of the folded `lines` whose stack (the text before the weight)
    /// `keep` accepts.
    fn weight_where(lines: &[String], keep: impl Fn(&str) -> bool) -> u64 {
        lines
            .iter()
            .filter_map(|l| l.rsplit_once(' '))
            .filter(|(stack, _)| keep(stack))
            .map(|(_, w)| w.parse::<u64>().unwrap())
            .sum()
    }

    fn stacks(g: &CallGraph, max_depth: usize) -> (Vec<String>, WalkSummary) {
        stacks_within(g, max_depth, Budget::default())
    }

    /// The inferred stacks as sorted `name;name weight` lines, walked within `budget`.
    fn stacks_within(
        g: &CallGraph,
        max_depth: usize,
        budget: Budget,
    ) -> (Vec<String>, WalkSummary) {
        let mut out = Vec::new();
        let summary = g.infer_within(max_depth, budget, 1, |steps, w| {
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
            Value::Tuple(Arc::from(vec![
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

    /// `(name, cc, nc, tt, ct, [(caller, calls, tt, ct)])` with cProfile's tuple caller values,
    /// times in µs.
    type TupleRow<'a> = (&'a str, i64, i64, f64, f64, &'a [(&'a str, i64, f64, f64)]);

    fn tuple_graph(funcs: &[TupleRow<'_>]) -> CallGraph {
        let us = |x: f64| Value::Float(x * 1e-6);
        let pairs = funcs
            .iter()
            .map(|(name, cc, nc, tt, ct, callers)| {
                let callers = dict(
                    callers
                        .iter()
                        .map(|&(c, n, tt, ct)| {
                            let value = vec![Value::Int(n), Value::Int(n), us(tt), us(ct)];
                            (key(c), Value::Tuple(Arc::from(value)))
                        })
                        .collect(),
                );
                let value = vec![Value::Int(*cc), Value::Int(*nc), us(*tt), us(*ct), callers];
                (key(name), Value::Tuple(Arc::from(value)))
            })
            .collect();
        CallGraph::from_value(&dict(pairs)).unwrap()
    }

    #[test]
    fn nested_hook_calls_draw_their_implementations_under_the_hook_that_ran_them() {
        // pluggy's shape: main runs the hook `run` through call -> multicall; its
        // implementation calls two more hooks through the same dispatcher, whose pair
        // entries cProfile counts again (nc > cc) while their cumulative times count once.
        let g = tuple_graph(&[
            ("main", 1, 1, 0.0, 100.0, &[]),
            (
                "call",
                1,
                3,
                0.0,
                100.0,
                &[("main", 1, 0.0, 100.0), ("run_impl", 2, 0.0, 60.0)],
            ),
            ("multicall", 1, 3, 0.0, 100.0, &[("call", 3, 0.0, 100.0)]),
            (
                "run_impl",
                1,
                1,
                40.0,
                100.0,
                &[("multicall", 1, 40.0, 100.0)],
            ),
            ("a_impl", 1, 1, 45.0, 45.0, &[("multicall", 1, 45.0, 45.0)]),
            ("b_impl", 1, 1, 15.0, 15.0, &[("multicall", 1, 15.0, 15.0)]),
        ]);
        let (lines, _) = stacks(&g, 100);
        assert_eq!(
            lines,
            [
                "main;call;multicall;run_impl 40",
                "main;call;multicall;run_impl;call;multicall;a_impl 45",
                "main;call;multicall;run_impl;call;multicall;b_impl 15",
            ]
        );
    }

    #[test]
    fn a_function_called_once_goes_whole_to_the_context_it_fits() {
        // dispatch runs for two callers; the 30 µs job fits only under big's call, the 10 µs
        // one only under small's. Edge shares would split each over both.
        let g = tuple_graph(&[
            ("main", 1, 1, 0.0, 42.0, &[]),
            ("big", 1, 1, 1.0, 31.0, &[("main", 1, 1.0, 31.0)]),
            ("small", 1, 1, 1.0, 11.0, &[("main", 1, 1.0, 11.0)]),
            (
                "dispatch",
                2,
                2,
                0.0,
                40.0,
                &[("big", 1, 0.0, 30.0), ("small", 1, 0.0, 10.0)],
            ),
            ("job30", 1, 1, 30.0, 30.0, &[("dispatch", 1, 30.0, 30.0)]),
            ("job10", 1, 1, 10.0, 10.0, &[("dispatch", 1, 10.0, 10.0)]),
        ]);
        let (lines, _) = stacks(&g, 100);
        assert_eq!(
            lines,
            [
                "main;big 1",
                "main;big;dispatch;job30 30",
                "main;small 1",
                "main;small;dispatch;job10 10",
            ]
        );
    }

    #[test]
    fn direct_recursion_is_drawn_frame_under_frame_as_deep_as_its_calls_go() {
        // fact(4): one outer call, three recursive ones, each 10 µs of its own and a 5 µs
        // `mul`. cProfile's `fact → fact` pair counts the cumulative time of the outermost
        // recursive call only (45 µs) and the own time of all three (30 µs).
        let g = tuple_graph(&[
            ("main", 1, 1, 0.0, 60.0, &[]),
            (
                "fact",
                1,
                4,
                40.0,
                60.0,
                &[("main", 1, 10.0, 60.0), ("fact", 3, 30.0, 45.0)],
            ),
            ("mul", 4, 4, 20.0, 20.0, &[("fact", 4, 20.0, 20.0)]),
        ]);
        let (lines, _) = stacks(&g, 100);
        let depth = |line: &str| line.split(';').filter(|f| f.starts_with("fact")).count();
        let weight = |line: &str| line.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap();
        assert!(lines.contains(&"main;fact 10".to_string()), "{lines:?}");
        // Four levels, as three recursive calls of one outer call go, and no deeper.
        for d in 1..=4 {
            assert!(lines.iter().any(|l| depth(l) == d), "{d}: {lines:?}");
        }
        assert!(lines.iter().all(|l| depth(l) <= 4), "{lines:?}");
        // The recursive calls keep their own time, and every microsecond is kept.
        let deeper: u64 = lines
            .iter()
            .filter(|l| depth(l) >= 2 && !l.contains("mul"))
            .map(|l| weight(l))
            .sum();
        assert_eq!(deeper, 30);
        assert_eq!(lines.iter().map(|l| weight(l)).sum::<u64>(), 60);
    }

    #[test]
    fn a_helper_s_callees_follow_what_each_caller_s_edge_left_below_it() {
        // `tally` under `scan` is its own loop and `len`; under `load` a `dumps` round trip.
        // The file sums tally's callees over both callers; the caller edges say how much ran
        // below tally under each (scan 125 µs, load 17 µs). Plain shares by cumulative time
        // gave load 12% of every callee (15 µs of len, where 3 ran).
        let g = tuple_graph(&[
            ("main", 1, 1, 0.0, 192.0, &[]),
            ("scan", 1, 1, 0.0, 173.0, &[("main", 1, 0.0, 173.0)]),
            ("load", 1, 1, 0.0, 19.0, &[("main", 1, 0.0, 19.0)]),
            (
                "tally",
                240,
                240,
                49.0,
                192.0,
                &[("scan", 200, 47.0, 173.0), ("load", 40, 2.0, 19.0)],
            ),
            (
                "len",
                8000,
                8000,
                129.0,
                129.0,
                &[("tally", 8000, 129.0, 129.0)],
            ),
            ("dumps", 40, 40, 1.0, 14.0, &[("tally", 40, 1.0, 14.0)]),
            ("encode", 40, 40, 13.0, 13.0, &[("dumps", 40, 13.0, 13.0)]),
        ]);
        let (lines, _) = stacks(&g, 100);
        let under = |prefix: &str| weight_where(&lines, |stack| stack.starts_with(prefix));
        // Each caller's tally has below it what its edge leaves: ct − tt.
        assert!(under("main;scan;tally;").abs_diff(126) <= 2, "{lines:?}");
        assert!(under("main;load;tally;").abs_diff(17) <= 2, "{lines:?}");
        // The leaf follows tally's own time per caller, the round trip the room left.
        assert!(under("main;load;tally;len").abs_diff(3) <= 2, "{lines:?}");
        assert!(under("main;load;tally;dumps") >= 12, "{lines:?}");
        // Every microsecond is kept.
        assert_eq!(under("main"), 192);
    }

    #[test]
    fn an_importer_whose_calls_through_handle_fromlist_are_slow_gets_the_slow_submodule() {
        // `a` runs `from pkg import sub` once and that loads a 100 µs submodule; `b` runs
        // `_handle_fromlist` 40 times for names already there (a `hasattr` each). Both
        // spent 10 µs in it themselves, so its own time says nothing about who loaded
        // `sub`, and the two margins alone left 18 µs of the load under `b` and 19 µs of
        // `hasattr` under `a`. Per call, `a`'s one call took 109 µs below it, `b`'s 1 µs,
        // the load 108 µs and a `hasattr` 1 µs: each goes where its calls look alike.
        const HFL: &str = "<frozen importlib._bootstrap>|_handle_fromlist";
        const LOAD: &str = "<frozen importlib._bootstrap>|_load_sub";
        let g = tuple_graph(&[
            ("~|<built-in method builtins.exec>", 1, 1, 1.0, 1.0, &[]),
            ("main", 1, 1, 1.0, 170.0, &[]),
            ("a", 1, 1, 0.0, 119.0, &[("main", 1, 0.0, 119.0)]),
            ("b", 1, 1, 0.0, 50.0, &[("main", 1, 0.0, 50.0)]),
            (
                HFL,
                41,
                41,
                20.0,
                169.0,
                &[("a", 1, 10.0, 119.0), ("b", 40, 10.0, 50.0)],
            ),
            (LOAD, 1, 1, 8.0, 108.0, &[(HFL, 1, 8.0, 108.0)]),
            ("work", 1, 1, 100.0, 100.0, &[(LOAD, 1, 100.0, 100.0)]),
            (
                "~|<built-in method builtins.hasattr>",
                40,
                40,
                41.0,
                41.0,
                &[(HFL, 40, 41.0, 41.0)],
            ),
        ]);
        let (lines, _) = stacks(&g, 100);
        let under = |prefix: &str| weight_where(&lines, |stack| stack.starts_with(prefix));
        assert!(
            under("main;a;_handle_fromlist;_load_sub") >= 104,
            "{lines:?}"
        );
        assert!(under("main;b;_handle_fromlist;_load_sub") <= 4, "{lines:?}");
        assert!(under("main;a;_handle_fromlist;<built-in method builtins.hasattr>") <= 4);
        assert_eq!(under("main"), 170);
    }

    #[test]
    fn heavy_mutual_recursion_through_a_cache_wrapper_is_drawn_below_the_inner_call() {
        // sympy's shape: every cached function runs through one `wrapper`, and cached
        // functions call each other: main → wrapper → f → wrapper → f → g. Both `wrapper`
        // and `f` are recursive (nc > cc) and nothing never-recursive lies between, so
        // folded into the outer call all of g (70 µs) was drawn right under the outer f,
        // where it never ran.
        let g = tuple_graph(&[
            ("main", 1, 1, 0.0, 101.0, &[]),
            (
                "wrapper",
                1,
                2,
                2.0,
                100.0,
                &[("main", 1, 1.0, 100.0), ("f", 1, 1.0, 80.0)],
            ),
            ("f", 1, 2, 28.0, 99.0, &[("wrapper", 2, 28.0, 99.0)]),
            // (main calls g once too, so g is no function placed whole.)
            (
                "g",
                2,
                2,
                71.0,
                71.0,
                &[("f", 1, 70.0, 70.0), ("main", 1, 1.0, 1.0)],
            ),
        ]);
        let (lines, _) = stacks(&g, 100);
        let at = weight_where(&lines, |stack| stack == "main;wrapper;f;g");
        let below_inner = weight_where(&lines, |stack| {
            stack.starts_with("main;wrapper;f;wrapper;f;") && stack.ends_with(";g")
        });
        assert!(at < 40, "{lines:?}");
        assert!(below_inner > 30, "{lines:?}");
        assert_eq!(weight_where(&lines, |stack| stack.ends_with(";g")), 71);
    }

    #[test]
    fn class_bodies_run_under_their_own_files_class_statements() {
        // pandas' `ArrowExtensionArray` body was drawn under urllib3's `__build_class__`: a
        // best fit by time alone. Here a.py's body (15 µs) fits b.py's context's room (16 µs)
        // better than its own file's (79 µs), and the metaclass's 79 µs follow what each
        // context leaves (64 and 15), not each context's whole time (65.2 and 13.8).
        const B: &str = "~|<built-in method builtins.__build_class__>";
        let g = tuple_graph(&[
            ("m.py|main", 1, 1, 0.0, 97.0, &[]),
            (
                "a.py|load_a",
                1,
                1,
                0.0,
                80.0,
                &[("m.py|main", 1, 0.0, 80.0)],
            ),
            (
                "b.py|load_b",
                1,
                1,
                0.0,
                17.0,
                &[("m.py|main", 1, 0.0, 17.0)],
            ),
            (
                B,
                2,
                2,
                2.0,
                97.0,
                &[("a.py|load_a", 1, 1.0, 80.0), ("b.py|load_b", 1, 1.0, 17.0)],
            ),
            ("a.py|A", 1, 1, 15.0, 15.0, &[(B, 1, 15.0, 15.0)]),
            ("b.py|B", 1, 1, 1.0, 1.0, &[(B, 1, 1.0, 1.0)]),
            ("meta.py|__new__", 2, 2, 79.0, 79.0, &[(B, 2, 79.0, 79.0)]),
        ]);
        let (lines, _) = stacks(&g, 100);
        let build = "<built-in method builtins.__build_class__>";
        let at = |stack: String| weight_where(&lines, |s| s == stack);
        assert_eq!(at(format!("main;load_a;{build};A")), 15, "{lines:?}");
        assert_eq!(at(format!("main;load_b;{build};B")), 1, "{lines:?}");
        assert_eq!(at(format!("main;load_a;{build};__new__")), 64, "{lines:?}");
        assert_eq!(at(format!("main;load_b;{build};__new__")), 15, "{lines:?}");
    }

    #[test]
    fn an_extension_s_exec_dynamic_runs_under_the_extension_loader_only() {
        // Both loaders' `exec_module` hand `_call_with_frames_removed` their work; merged,
        // the source loader's call (which runs `get_code` first) got most of numpy's and
        // pandas' `exec_dynamic` time on a recorded pytest run.
        const EXT: &str = "<frozen importlib._bootstrap_external>";
        const CWFR: &str = "<frozen importlib._bootstrap>|_call_with_frames_removed";
        let source = format!("{EXT}|exec_module@934");
        let extension = format!("{EXT}|exec_module@1233");
        let get_code = format!("{EXT}|get_code");
        let g = tuple_graph(&[
            ("m.py|main", 1, 1, 0.0, 100.0, &[]),
            (&source, 1, 1, 0.0, 50.0, &[("m.py|main", 1, 0.0, 50.0)]),
            (&extension, 1, 1, 0.0, 50.0, &[("m.py|main", 1, 0.0, 50.0)]),
            (&get_code, 1, 1, 10.0, 10.0, &[(&source, 1, 10.0, 10.0)]),
            (
                CWFR,
                2,
                2,
                0.0,
                90.0,
                &[(&source, 1, 0.0, 40.0), (&extension, 1, 0.0, 50.0)],
            ),
            (
                "~|<built-in method builtins.exec>",
                1,
                1,
                40.0,
                40.0,
                &[(CWFR, 1, 40.0, 40.0)],
            ),
            (
                "~|<built-in method _imp.exec_dynamic>",
                1,
                1,
                50.0,
                50.0,
                &[(CWFR, 1, 50.0, 50.0)],
            ),
        ]);
        let (lines, _) = stacks(&g, 100);
        let ending = |leaf: &str| -> Vec<&String> {
            lines
                .iter()
                .filter(|l| l.rsplit_once(' ').unwrap().0.ends_with(leaf))
                .collect()
        };
        // One stack each, whole: the two `exec_module` frames differ only by line, so two
        // stacks would mean both loaders got a share.
        let dynamic =
            "main;exec_module;_call_with_frames_removed;<built-in method _imp.exec_dynamic>";
        assert_eq!(
            ending("exec_dynamic>"),
            [&format!("{dynamic} 50")],
            "{lines:?}"
        );
        let exec = "main;exec_module;_call_with_frames_removed;<built-in method builtins.exec>";
        assert_eq!(
            ending("builtins.exec>"),
            [&format!("{exec} 40")],
            "{lines:?}"
        );
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

    /// 10 layers of 2 functions `f0`..`f19`, each calling both of the next layer (2^10
    /// paths), function `i` with own time `tt(i)` and cumulative time `ct(i)` (seconds).
    fn layered_graph(tt: impl Fn(usize) -> f64, ct: impl Fn(usize) -> f64) -> CallGraph {
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
            .map(|(i, (n, c))| (n.as_str(), 1, 2, tt(i), ct(i), c.as_slice()))
            .collect();
        graph(&funcs)
    }

    #[test]
    fn an_exploding_graph_gets_a_coarser_complete_walk_within_budget() {
        // 10 layers of 2 functions, each calling both of the next layer: 2^10 paths.
        let g = layered_graph(|_| 0.001, |i| 0.001 * (20 - i / 2 * 2) as f64);
        let small = Budget {
            paths: 300,
            edge_visits: 1_000_000,
            frames: usize::MAX,
        };
        let mut total = 0;
        let summary = g.infer_within(100, small, 1, |_, w| total += w);
        assert_eq!(total, 20 * 1000);
        assert!(summary.min_flow > MIN_FLOW, "{summary:?}");
        let (_, full) = stacks(&g, 100);
        assert_eq!(full.min_flow, MIN_FLOW);
    }

    #[test]
    fn a_module_run_with_dash_m_runs_under_runpy_not_under_the_root_exec() {
        // `python -m cProfile -m app`: the root `exec` runs the `<string>` body
        // `run_module(...)`, and runpy's `_run_code` execs app's `__main__` body. That body
        // is called once, by `exec`, like an imported module's; it ran under runpy.
        const EXEC: &str = "~|<built-in method builtins.exec>";
        let g = tuple_graph(&[
            (
                EXEC,
                1,
                2,
                0.0,
                100.0,
                &[("<frozen runpy>|_run_code@65", 1, 0.0, 95.0)],
            ),
            (
                "<string>|<module>",
                1,
                1,
                1.0,
                100.0,
                &[(EXEC, 1, 1.0, 100.0)],
            ),
            (
                "<frozen runpy>|run_module@201",
                1,
                1,
                2.0,
                99.0,
                &[("<string>|<module>", 1, 2.0, 99.0)],
            ),
            (
                "<frozen runpy>|_run_code@65",
                1,
                1,
                2.0,
                97.0,
                &[("<frozen runpy>|run_module@201", 1, 2.0, 97.0)],
            ),
            (
                "/p/app/__main__.py|<module>",
                1,
                1,
                5.0,
                95.0,
                &[(EXEC, 1, 5.0, 95.0)],
            ),
            (
                "/p/app/__main__.py|main@3",
                1,
                1,
                90.0,
                90.0,
                &[("/p/app/__main__.py|<module>", 1, 90.0, 90.0)],
            ),
        ]);
        let (lines, _) = stacks(&g, 100);
        let runpy = "<built-in method builtins.exec>;<module>;run_module;_run_code;\
                     <built-in method builtins.exec>;<module>";
        assert_eq!(
            lines,
            [
                "<built-in method builtins.exec>;<module> 1".to_string(),
                "<built-in method builtins.exec>;<module>;run_module 2".into(),
                "<built-in method builtins.exec>;<module>;run_module;_run_code 2".into(),
                format!("{runpy} 5"),
                format!("{runpy};main 90"),
            ]
        );
    }

    #[test]
    fn callees_below_an_edge_the_raised_threshold_cut_go_under_that_caller() {
        // dataclasses' shape: `_init_fn` and `_repr_fn` both make functions through
        // `_create_fn`, whose `exec` is most of its time. A budget of four paths raises the
        // threshold past `repr_fn`'s 22 µs, so only `init_fn`'s context is walked; its
        // edge into `create_fn` still holds a fifth of `create_fn`'s time, and so of `exec`'s.
        let g = tuple_graph(&[
            ("main", 1, 1, 0.0, 103.0, &[]),
            ("init_fn", 1, 1, 1.0, 81.0, &[("main", 1, 1.0, 81.0)]),
            ("repr_fn", 1, 1, 2.0, 22.0, &[("main", 1, 2.0, 22.0)]),
            (
                "create_fn",
                2,
                2,
                10.0,
                100.0,
                &[("init_fn", 1, 8.0, 80.0), ("repr_fn", 1, 2.0, 20.0)],
            ),
            ("exec", 2, 2, 90.0, 90.0, &[("create_fn", 2, 90.0, 90.0)]),
        ]);
        let budget = Budget {
            paths: 4,
            edge_visits: 1_000_000,
            frames: usize::MAX,
        };
        let (lines, summary) = stacks_within(&g, 100, budget);
        assert!(summary.min_flow > 22e-6, "repr_fn is cut: {summary:?}");
        assert_eq!(
            lines,
            [
                "main;init_fn 1",
                "main;init_fn;create_fn 8",
                "main;init_fn;create_fn;exec 72",
                "main;repr_fn 2",
                "main;repr_fn;create_fn 2",
                "main;repr_fn;create_fn;exec 18",
            ]
        );
    }

    #[test]
    fn walks_redone_beside_each_other_keep_the_one_thread_stacks() {
        // Each walk at a budget a tenth of the last passes it (2^10 paths, then fewer), so
        // the threshold is raised several times: on several threads every coarser walk runs
        // beside the finer one, nested as deep as the raises go and as many at once as
        // there are threads, and the walk kept must be the one a single thread keeps.
        let g = layered_graph(
            |i| 0.001 * (1 + i % 3) as f64,
            |i| 0.001 * (20 - i / 2 * 2) as f64 * (1.0 + 0.1 * (i % 2) as f64),
        );
        for paths in [40, 120, 300, 2000] {
            let budget = Budget {
                paths,
                edge_visits: 1_000_000,
                frames: usize::MAX,
            };
            let walk_on = |threads| {
                let mut lines = Vec::new();
                let summary = g.infer_within(100, budget, threads, |steps, w| {
                    lines.push(format!("{steps:?} {w}"));
                });
                (lines, summary.min_flow, summary.budget_hit)
            };
            let one = walk_on(1);
            assert!(!one.0.is_empty());
            if paths == 40 {
                assert!(one.1 >= 512.0 * MIN_FLOW, "raised three times: {}", one.1);
            }
            for threads in [2, 3, 4] {
                assert_eq!(walk_on(threads), one, "{threads} threads, {paths} paths");
            }
        }
    }

    #[test]
    fn tuple_and_int_caller_values_mix_in_one_file() {
        // FORMATS.md §2.3: merged files may hold both kinds; each edge is read on its own.
        let tuple = |nc: i64, ct: f64| {
            Value::Tuple(Arc::from(vec![
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
    fn a_heavy_function_whose_caller_entry_was_overwritten_becomes_a_root() {
        // `python -m cProfile -m mod` runs `run_module` from a `<string>` body, whose entry
        // another `<string>` body (an eval) overwrote: the caller's entry holds 0.4 µs, too
        // little to walk, its edge into run_module 10 µs. No walked path reaches run_module,
        // yet it is the whole program: it is walked as a root, not attached in pieces.
        let edge = |tt: f64, ct: f64| {
            Value::Tuple(Arc::from(vec![
                Value::Int(1),
                Value::Int(1),
                Value::Float(tt),
                Value::Float(ct),
            ]))
        };
        let v = dict(vec![
            (key("eval"), stats(1, 0.0, 0.000_000_4, vec![])),
            (
                key("<string>"),
                stats(
                    1,
                    0.0,
                    0.000_000_4,
                    vec![(key("eval"), edge(0.0, 0.000_000_4))],
                ),
            ),
            (
                key("run_module"),
                stats(
                    1,
                    0.000_002,
                    0.000_010,
                    vec![(key("<string>"), edge(0.000_002, 0.000_010))],
                ),
            ),
            (
                key("work"),
                stats(
                    1,
                    0.000_008,
                    0.000_008,
                    vec![(key("run_module"), edge(0.000_008, 0.000_008))],
                ),
            ),
        ]);
        let g = CallGraph::from_value(&v).unwrap();
        let (lines, summary) = stacks(&g, 10);
        // work runs under run_module walked as a root; run_module's own time follows its
        // caller edge, whose own time says it ran under `<string>`.
        assert_eq!(lines, ["eval;<string>;run_module 2", "run_module;work 8"]);
        assert!(summary.attached.is_empty(), "{summary:?}");
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
