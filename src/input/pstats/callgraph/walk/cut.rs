//! What the flow threshold cut, given back its last three frames.
//!
//! The walk follows only paths that carry more than its threshold, and a large profile raises
//! the threshold until the walk fits its budget (pytest on `pytest_project`: from 6 µs to
//! 379 µs, with 7,358 of 9,115 functions reached only below it). Apportioning then gives each
//! function's time under a caller edge no walked path follows a node of its own under that
//! caller's heaviest node, so the last two frames hold what the edge says; but the callees
//! below such an edge had their time on whichever contexts the walk did reach. dataclasses'
//! `_create_fn`, walked only under `_init_fn` (15 ms) and cut under `_repr_fn`, `_cmp_fn`,
//! `_frozen_get_del_attr` and `_hash_fn` (2–8 ms each, over many contexts), drew all 34 ms of
//! its `exec` under `_init_fn`.
//!
//! So before apportioning, every caller edge `a → f` no walked path follows gets a node of `f`
//! under `a`'s heaviest node, with the callees of `f` below it; and a walked pair `a → f`
//! whose contexts reached none of a callee `g` gets `g` under its heaviest `f` node under `a`.
//! Each such callee's share is the edge's own time at the scale of the caller edge
//! (`tt(f → g) · ct(a → f) / ct(f)`, times `f`'s fitted factor for `a`: margins.rs), which
//! apportioning weighs against the walked nodes as it weighs those against each other: the
//! per-edge totals, and so conservation, do not change. Only shares of at least the walk's
//! base threshold are added, at most as many nodes as the walk made.
//!
//! Measured with `cct.py` (last 3 frames): pytest on `pytest_project` 85.6 → 87.9%, the same
//! with the collector off 88.0 → 90.9%, the sympy workload 84.3 → 86.8%; the other recordings
//! 0.1–0.4 point up, exact stacks and `<module>` chains level (BENCHMARKS.md).
//!
//! Limits: a node goes under the caller's heaviest context only, and one level down (two
//! where the callee's own caller edge is filled after it, from the node made for it);
//! functions whose callees depend on the caller (importlib's trampoline, `__build_class__`),
//! `exec` and module bodies, which the import matching places, get none.

use ahash::{HashMap, HashSet};

use super::super::imports::Imports;
use super::{CallGraph, Handing, Hops, NONE, PathNode, heaviest_nodes};

/// What the fill reads besides the nodes.
pub(super) struct Cut<'a> {
    pub imports: &'a Imports,
    pub hops: &'a Hops,
    pub handing: Handing<'a>,
    /// Functions the walk placed whole in one context: they get no other.
    pub once: &'a [bool],
    /// Smallest share added: the walk's base threshold, seconds.
    pub floor: f64,
}

impl CallGraph {
    /// Adds the nodes described in the module docs to `nodes`.
    pub(super) fn fill_cut_paths(&self, nodes: &mut Vec<PathNode>, cut: &Cut) {
        let Cut {
            imports,
            hops,
            handing,
            once,
            floor,
        } = *cut;
        let n = self.funcs.len();
        let most = nodes.len();
        let best = heaviest_nodes(nodes, n);
        // Each pair's (parent's function, function) heaviest node, and each triple present.
        let mut best_pair: HashMap<(u32, u32), u32> = HashMap::default();
        let mut triples: HashSet<(u32, u32, u32)> = HashSet::default();
        // Every node by (parent node, function): none is added twice under one parent.
        let mut children: HashMap<(u32, u32), u32> = HashMap::default();
        for (i, node) in nodes.iter().enumerate() {
            if node.func == NONE || node.parent == NONE {
                continue;
            }
            children.insert((node.parent, node.func), i as u32);
            let parent = &nodes[node.parent as usize];
            let b = best_pair
                .entry((parent.func, node.func))
                .or_insert(i as u32);
            if node.own > nodes[*b as usize].own {
                *b = i as u32;
            }
            if parent.parent != NONE {
                triples.insert((nodes[parent.parent as usize].func, parent.func, node.func));
            }
        }
        let mut added = 0usize;
        for f in 0..n as u32 {
            let func = &self.funcs[f as usize];
            if func.ct <= 0.0
                || handing.depends(f)
                || imports.exec == Some(f)
                || imports.body.get(f as usize).copied().unwrap_or(false)
            {
                continue;
            }
            for e in self.real_callers(f) {
                let a = e.caller;
                let (Some(ct), Some(tt)) = (e.ct, e.tt) else {
                    continue;
                };
                // An edge holding more than its caller's own entry leads nowhere: the walk
                // made `f` a root instead.
                if a == f
                    || best[a as usize] == NONE
                    || handing.depends(a)
                    || self.exceeds_caller(e)
                {
                    continue;
                }
                if added >= most {
                    return;
                }
                let walked = best_pair.get(&(a, f)).copied();
                // Under the caller's heaviest node: the node of `f` made there already (as a
                // callee of `a`'s own edge above, or for a second edge of the pair: a caller
                // can come twice, two keys of one function), or a new one.
                let under = match walked {
                    Some(i) => i,
                    None => *children.entry((best[a as usize], f)).or_insert_with(|| {
                        nodes.push(PathNode {
                            parent: best[a as usize],
                            func: f,
                            own: tt.max(0.0),
                        });
                        added += 1;
                        (nodes.len() - 1) as u32
                    }),
                };
                let scale = ct.max(0.0) / func.ct;
                let factors = hops.fitted.factors(f, a).map(|(k, _)| k);
                for (j, h) in hops.of(f).iter().enumerate() {
                    let g = h.callee;
                    let share = h.tt * scale;
                    if g == f
                        || once.get(g as usize).copied().unwrap_or(false)
                        || h.tt < 0.0
                        || share < floor
                        || imports.body.get(g as usize).copied().unwrap_or(false)
                        // Present already: walked, or added here for another edge of the pair.
                        || !triples.insert((a, f, g))
                        || children.contains_key(&(under, g))
                    {
                        continue;
                    }
                    let own = share * factors.map_or(1.0, |k| f64::from(k[j]));
                    if own > 0.0 && own.is_finite() {
                        nodes.push(PathNode {
                            parent: under,
                            func: g,
                            own,
                        });
                        children.insert((under, g), (nodes.len() - 1) as u32);
                        added += 1;
                    }
                }
            }
        }
    }
}
