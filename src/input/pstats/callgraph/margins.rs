//! How a function's callees split over its callers: a table fitted to both margins the file
//! gives, instead of every callee in proportion to each caller's cumulative time.
//!
//! For a function `f` with callers `a_i` and callees `g_j`, the file holds, per caller edge,
//! the time below `f` under that caller (`ct(a_i → f) − tt(a_i → f)`, the row margin), and per
//! callee edge its cumulative time (`ct(f → g_j)`, the column margin). Plain edge shares put
//! `g_j` under `a_i` in proportion to `ct(a_i → f)`: a module body whose `from x import y`
//! loads a large submodule through `_handle_fromlist` then also gets most of the `hasattr`
//! calls that `_handle_fromlist` made for every other module's names.
//!
//! The table starts from what each kind of callee follows. The own-like part of a callee's
//! time (its own time's share of its time under `f`: all of it for a leaf such as `hasattr`)
//! is taken to run in step with `f`'s own work, so it goes to the callers in proportion to
//! `tt(a_i → f)`; the rest (an import below `_handle_fromlist`) goes in proportion to the
//! room each caller's margin has left once those parts are placed. The table is then scaled,
//! rows and columns in turn (iterative proportional fitting), towards every row adding up to
//! its margin and every column to its own: the callees' totals stay what the file says, and
//! each caller gets about as much below `f` as its edge holds. (Starting from either
//! proportion alone, the fit ends at the same table as plain shares scaled to the rows; that
//! was tried before and lost: BENCHMARKS.md.)
//!
//! In the import system (`_handle_fromlist`) each cell of the start is also weighed by how
//! alike the caller's time below `f` per call and one call of the callee are: a call there
//! does one piece of work, so the importer whose one call took 109 µs loaded the 108 µs
//! submodule, not the one whose 40 calls took 1 µs each ([`per_call_likeness`]).
//!
//! The walk multiplies a callee's share in a context of `f` by the table's cell for that
//! context's caller over the plain share. Only functions the file describes fully get a
//! table: cProfile edge tuples on every caller, no direct recursion except
//! `_handle_fromlist`'s star imports (drawn level under level, [`super::contexts`]), and
//! neither `exec`, module bodies, importlib's trampoline nor `__build_class__`, whose callees
//! [`super::imports`], [`super::trampoline`] and [`super::class_bodies`] decide.
//!
//! Limits: a caller is only the function right above `f`, so deeper context is still shared
//! by flow; and the fit keeps the start's proportions between callees, so a callee that ran
//! under one caller only (the lazy imports that `hasattr` sets off in one star import) is
//! still spread over every caller with room. The pair's call counts bound how many callers
//! it can have; that is not used.

use super::CallGraph;
use super::class_bodies::ClassBodies;
use super::contexts::Contexts;
use super::imports::Imports;
use super::walk::{Hop, Hops};

/// Marks the row of a function's root calls (a path with no parent).
pub(super) const ROOT: u32 = u32::MAX;

/// Most cells one function's table may have: the fit costs a few passes over them.
const MAX_CELLS: usize = 1 << 16;

/// Most cells over all tables (4 bytes each).
const MAX_TOTAL_CELLS: usize = 1 << 22;

/// Passes of row and column scaling. The recorded programs' scores moved by under 0.1 point
/// between 4, 24 and 100 passes: the seed carries the information, the fit only trims it.
const PASSES: usize = 8;

/// A function whose callee edges add up to more or less than what its caller edges leave
/// below it by more than this share is described inconsistently (timer rounding on tiny
/// functions, sampled shares): it keeps plain shares.
const MARGIN_MISMATCH: f64 = 0.25;

/// One function's fitted table.
#[derive(Debug)]
struct Table {
    /// Callers, ascending, [`ROOT`] last for root calls.
    rows: Vec<u32>,
    /// Where this table's cells start in [`Margins::cells`] (row-major, a row per caller,
    /// a column per callee edge in hop order).
    start: usize,
    /// Columns: `f`'s hops.
    width: usize,
    /// Per row, its largest cell: what bounds the callee shares the walk looks at.
    largest: Vec<f32>,
}

/// The fitted tables of every function that has one.
#[derive(Debug, Default)]
pub(super) struct Margins {
    tables: Vec<Option<Table>>,
    cells: Vec<f32>,
}

impl Margins {
    pub(super) fn new(
        g: &CallGraph,
        hops: &Hops,
        contexts: &Contexts,
        imports: &Imports,
        class_bodies: &ClassBodies,
    ) -> Self {
        let n = g.funcs.len();
        let mut margins = Margins {
            tables: (0..n).map(|_| None).collect(),
            cells: Vec::new(),
        };
        if g.sampled {
            return margins;
        }
        let roots: Vec<(u32, f64)> = g.roots().into_iter().map(|(f, t, _)| (f, t)).collect();
        let mut root_flow = vec![0.0; n];
        for (f, t) in roots {
            root_flow[f as usize] = t;
        }
        for (f, &root) in root_flow.iter().enumerate() {
            if margins.cells.len() >= MAX_TOTAL_CELLS {
                break;
            }
            // Under recursion the caller edges' times overlap: a call made while `f` runs is
            // in the outer call's edge as well as in its own. A function re-entered through
            // others (a dispatcher, sympy's `sympify`) still gets a table, its plain shares
            // taken over the edges' sum (below). Direct recursion does not, except
            // `_handle_fromlist`'s star imports: with a table, `pstats_mix`'s last 3 frames
            // went from 99.4% to 96.3% (its `f → f` edges hold the outermost call only).
            let import_system = imports.runs_bodies.get(f).copied().unwrap_or(false);
            let direct = contexts.unroll[f] > 1;
            let described = contexts.never_recursive[f]
                || (contexts.reenterable[f] && !direct)
                || (direct && import_system);
            let skip = !described
                || imports.exec == Some(f as u32)
                || imports.body.get(f).copied().unwrap_or(false)
                || imports.trampolines.is_trampoline(f as u32)
                || class_bodies.is_builder(f as u32);
            if skip {
                continue;
            }
            let per_call = import_system;
            if let Some(table) = fit(g, hops, f as u32, root, per_call, &mut margins.cells) {
                margins.tables[f] = Some(table);
            }
        }
        margins
    }

    /// Multiplier of `f`'s callee shares under `caller` ([`ROOT`] for a root path), one per
    /// hop of `f` in hop order; `None` where `f` keeps plain shares.
    /// With them, the largest of them.
    pub(super) fn factors(&self, f: u32, caller: u32) -> Option<(&[f32], f64)> {
        let table = self.tables.get(f as usize)?.as_ref()?;
        let row = table.rows.binary_search(&caller).ok()?;
        let at = table.start + row * table.width;
        Some((
            &self.cells[at..at + table.width],
            f64::from(table.largest[row]),
        ))
    }
}

/// One caller edge of `f` (or its root calls) as the fit reads it.
struct Row {
    /// The caller, [`ROOT`] for root calls.
    caller: u32,
    /// Cumulative time of `f` under this caller: its share of `f`'s contexts.
    flow: f64,
    /// Own time of `f` under this caller.
    own: f64,
    /// Time below `f` under this caller (`flow − own`): the row margin.
    below: f64,
    /// Calls of `f` from this caller.
    calls: f64,
}

/// Fits `f`'s table, appending its cells, or `None` when `f` keeps plain shares. With
/// `per_call`, the start also weighs each cell by how alike the two per-call times are
/// ([`per_call_likeness`]).
fn fit(
    g: &CallGraph,
    hops: &Hops,
    f: u32,
    root_flow: f64,
    per_call: bool,
    cells: &mut Vec<f32>,
) -> Option<Table> {
    let func = &g.funcs[f as usize];
    if !func.ct.is_finite() || func.ct <= 0.0 {
        return None;
    }
    let mut rows: Vec<Row> = Vec::new();
    for e in g.real_callers(f) {
        let (ct, tt) = (e.ct?, e.tt?);
        if !ct.is_finite() || !tt.is_finite() {
            return None;
        }
        rows.push(Row {
            caller: e.caller,
            flow: ct.max(0.0),
            own: tt.max(0.0),
            below: (ct - tt).max(0.0),
            calls: e.calls,
        });
    }
    if root_flow > 0.0 {
        // Every caller edge carries its `tt` (above), so the root calls' own time is known.
        let own = g.root_own(f)?.min(root_flow);
        let edge_calls: f64 = rows.iter().map(|r| r.calls).sum();
        rows.push(Row {
            caller: ROOT,
            flow: root_flow,
            own,
            below: root_flow - own,
            calls: (func.nc as f64 - edge_calls).max(1.0),
        });
    }
    rows.sort_by_key(|r| r.caller);
    if rows.windows(2).any(|w| w[0].caller == w[1].caller) || rows.len() < 2 {
        return None;
    }
    let out = hops.of(f);
    if out.is_empty() || rows.len() * out.len() > MAX_CELLS {
        return None;
    }
    let below: f64 = rows.iter().map(|r| r.below).sum();
    let cols: f64 = out.iter().map(|h| h.flow).sum();
    let own: f64 = rows.iter().map(|r| r.own).sum();
    // In the import system the rows overlap legitimately: a module body's edge into
    // `_handle_fromlist` holds the imports it set off, whose bodies call it again (pytest on
    // `pytest_project`: the rows add up to 4.69 s, the columns to 3.69 s). Held to the
    // mismatch bound there, `_handle_fromlist` kept plain shares, and its star imports'
    // recursion was spread over every importer.
    if below <= 0.0 || cols <= 0.0 || (!per_call && (below - cols).abs() > MARGIN_MISMATCH * cols) {
        return None;
    }
    // Row margins scaled to the columns' total, so the fit can meet both.
    let row_margin: Vec<f64> = rows.iter().map(|r| r.below * cols / below).collect();
    let width = out.len();
    // Each callee's own-like part (its own time's share of its time under f) follows f's own
    // time per caller; the rest goes where room is left once those parts are placed.
    let own_like = |h: &Hop| {
        if h.flow > 0.0 && h.tt >= 0.0 {
            (h.tt / h.flow).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    let by_own: Vec<f64> = rows
        .iter()
        .map(|r| {
            if own > 0.0 {
                r.own / own
            } else {
                r.below / below
            }
        })
        .collect();
    let own_part: f64 = out.iter().map(|h| own_like(h) * h.flow).sum();
    let left: Vec<f64> = row_margin
        .iter()
        .zip(&by_own)
        .map(|(&margin, &share)| (margin - own_part * share).max(0.0))
        .collect();
    let left_total: f64 = left.iter().sum();
    let by_room: Vec<f64> = if left_total > 0.0 {
        left.iter().map(|l| l / left_total).collect()
    } else {
        rows.iter().map(|r| r.below / below).collect()
    };
    let mut m = vec![0.0f64; rows.len() * width];
    for (i, r) in rows.iter().enumerate() {
        for (j, h) in out.iter().enumerate() {
            let k = own_like(h);
            // Not the star import's inner call (`f → f`): it runs over every name of
            // `__all__`, many pieces of work in one call.
            let alike = if per_call && r.caller != f {
                per_call_likeness(r.below, r.calls, h.flow, h.calls)
            } else {
                1.0
            };
            m[i * width + j] = alike * h.flow * (k * by_own[i] + (1.0 - k) * by_room[i]);
        }
    }
    for _ in 0..PASSES {
        for (i, &target) in row_margin.iter().enumerate() {
            let row = &mut m[i * width..(i + 1) * width];
            let sum: f64 = row.iter().sum();
            let k = if sum > 0.0 { target / sum } else { 0.0 };
            row.iter_mut().for_each(|x| *x *= k);
        }
        for (j, h) in out.iter().enumerate() {
            let sum: f64 = (0..rows.len()).map(|i| m[i * width + j]).sum();
            let k = if sum > 0.0 { h.flow / sum } else { 0.0 };
            (0..rows.len()).for_each(|i| m[i * width + j] *= k);
        }
    }
    // The walk's plain share of cell (i, j): the caller edge's part of f's cumulative time,
    // over the edges' sum where recursion makes them overlap. (Over `ct(f)` there, the table
    // shrank every nested context of a re-entered dispatcher: `py311_pytest`'s exact stacks
    // fell from 24.3% to 7.5%.)
    let flow_in = rows.iter().map(|r| r.flow).sum::<f64>().max(func.ct);
    let start = cells.len();
    for (i, r) in rows.iter().enumerate() {
        for (j, h) in out.iter().enumerate() {
            let plain = r.flow / flow_in * h.flow;
            let factor = if plain > 0.0 {
                m[i * width + j] / plain
            } else {
                1.0
            };
            cells.push(if factor.is_finite() {
                factor as f32
            } else {
                1.0
            });
        }
    }
    let largest = (0..rows.len())
        .map(|i| {
            let row = &cells[start + i * width..start + (i + 1) * width];
            row.iter().copied().fold(0.0, f32::max)
        })
        .collect();
    Some(Table {
        rows: rows.into_iter().map(|r| r.caller).collect(),
        start,
        width,
        largest,
    })
}

/// How alike a caller's time below `f` per call (`below / calls`) and one call of a callee
/// (`flow / callee_calls`) are: the square of the smaller over the larger, 1 when either is
/// unknown.
///
/// In the import system a call does one piece of work (`_handle_fromlist` imports a missing
/// submodule or looks a name up), so the importer whose calls through it are slow is the one
/// whose submodule loads were slow: on the sympy workload, last 3 frames 78.8% → 80.1% and
/// `<module>` chains 72.1% → 75.1%, the other recordings level. Elsewhere a call fans out
/// into loops (sympy's assumptions, `random.choice`), and weighing every table so lost last-3
/// time on the workload (78.0%, 77.9% counting only callees called at most once per call),
/// so only the import system's tables use it (BENCHMARKS.md). Squared, it tells the star
/// imports that `sympy.parsing` runs from `<string>` bodies (52 calls of 4.1 ms, each one
/// recursive call of 4.1 ms) from the submodule loads (19.6 ms per call): pytest on
/// `pytest_project` 87.2% → 87.4% of last 3 frames, the other recordings within 0.04 point.
fn per_call_likeness(below: f64, calls: f64, flow: f64, callee_calls: f64) -> f64 {
    if below <= 0.0 || calls <= 0.0 || flow <= 0.0 || callee_calls <= 0.0 {
        return 1.0;
    }
    let (a, b) = (below / calls, flow / callee_calls);
    (a.min(b) / a.max(b)).powi(2)
}
