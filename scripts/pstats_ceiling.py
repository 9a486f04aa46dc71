#!/usr/bin/env python3
"""How right can any tool be about a pstats file's stacks? Programs with the same pstats file.

A pstats file keeps, per function and per caller->callee pair, call counts and own/cumulative
time; not the stacks. This script records a program's whole calling-context tree, then builds
*other* trees that give the same pstats file: every call count equal and every tt/ct equal to
the nanosecond (checked by recomputing the file with cProfile's recursion rules). A tool reading
the file cannot tell these programs apart, so whatever it draws is scored against all of them;
the best score any output can reach on average over them is a ceiling for every method.

  pstats_ceiling.py record OUT SCRIPT [ARGS...]   OUT.tree.gz (the tree), OUT.prof, OUT.truth.gz
  pstats_ceiling.py ceiling OUT [SECONDS] [--modules] [--shapes=N] [--views=V,..]
                              [--rounds=N] [--floor=F] [--resume]
                                                   alternatives (OUT.alternatives.gz) and
                                                   ceilings (JSON); --modules: trade module
                                                   bodies only; --shapes: N traded programs,
                                                   each trading in another order; SECONDS 0:
                                                   no trades (large trees: each trade is a
                                                   linear program over the whole tree);
                                                   --views: the views alternatives are made
                                                   against (modules,last3,exact), --rounds:
                                                   how many per view and shape (4), --floor:
                                                   every alternative keeps at least that share
                                                   of each call's own time where it was;
                                                   --resume: start from OUT.alternatives.gz
                                                   (its trees, no new trades), more rounds
  pstats_ceiling.py write OUT INDEX DEST [OLD=NEW]  program INDEX (0: the recorded one, also
                                                   without a ceiling run) as DEST.prof +
                                                   DEST.truth.gz, paths rewritten

Alternatives come from two moves, both checked by recomputing the whole file:
  * own-time redistribution on the same tree shape: a linear program over every node's own time
    whose equalities are every tt and ct of the file (the true tree is one feasible point; each
    vertex found with another cost vector is another program);
  * subtrees traded between two contexts of the function that calls them (for module bodies:
    the `exec` running module A under importer P traded with module B's under Q), with own
    times solved again by the same linear program so the file stays the same; kept only where
    that is feasible and the call counts stay equal. The traded program keeps at least 10-50%
    of every call's own time where it was (an LP vertex alone puts 0 ns on many calls).
The ceiling per view (exact stack, last 3 frames, `<module>` chain) is the maximum over all
outputs F of the mean of score(F, program) over the programs found: a greedy water-filling
(each stack's score is concave piecewise-linear in F's weight there). New alternatives are added
against the current best F (minimise the time on F's stacks), a few rounds per view.

Needs numpy and scipy (`pip install numpy scipy`); not part of the tool or its tests.
"""
import gzip
import json
import marshal
import os
import sys
import time

EXEC = "~:0:<built-in method builtins.exec>"


# ---------------------------------------------------------------- recording ----------------
def c_name(fn):
    """cProfile's name for a C function (Modules/_lsprof.c normalizeUserObj), no address."""
    name = getattr(fn, "__name__", "?")
    owner = getattr(fn, "__self__", None)
    mod = getattr(fn, "__module__", None)
    if owner is None:
        return "<%s.%s>" % (mod, name) if isinstance(mod, str) and mod != "builtins" else "<%s>" % name
    for k in type(owner).__mro__:
        if name in k.__dict__:
            text = repr(k.__dict__[name])
            return text.split(" at 0x")[0] + ">" if " at 0x" in text else text
    return "<built-in method %s.%s>" % (mod, name) if isinstance(mod, str) else "<built-in method %s>" % name


def record(script, args):
    """Runs SCRIPT under a profiler that keeps the calling-context tree.

    Returns (funcs, nodes): node i = [func index, parent index, calls, own ns]; node 0 is the
    root. The first event is the c_call of `exec`, as under `python -m cProfile`.
    """
    clock = time.perf_counter_ns
    funcs, index, codekey = [], {}, {}
    nodes, kids, stack, last = [[None, -1, 0, 0]], [{}], [0], [clock()]

    def enter(key, now):
        top = stack[-1]
        nodes[top][3] += now - last[0]
        f = index.get(key)
        if f is None:
            f = index[key] = len(funcs)
            funcs.append(key)
        child = kids[top].get(f)
        if child is None:
            child = kids[top][f] = len(nodes)
            nodes.append([f, top, 0, 0])
            kids.append({})
        nodes[child][2] += 1
        stack.append(child)
        last[0] = now

    def leave(now):
        if len(stack) > 1:
            nodes[stack.pop()][3] += now - last[0]
            last[0] = now

    def prof(frame, event, arg):
        now = clock()
        if event == "call":
            c = frame.f_code
            k = codekey.get(c)
            if k is None:
                k = codekey[c] = "%s:%d:%s" % (c.co_filename, c.co_firstlineno, c.co_name)
            enter(k, now)
        elif event == "c_call":
            enter("~:0:" + c_name(arg), now)
        elif event in ("return", "c_return", "c_exception"):
            leave(now)

    sys.argv = [script] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    code = compile(open(script, "rb").read(), script, "exec")
    env = {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__}
    sys.setprofile(prof)
    try:
        exec(code, env)
    except SystemExit:
        pass
    finally:
        sys.setprofile(None)
    while len(stack) > 1:
        leave(clock())
    return funcs, nodes


def save(path, funcs, nodes):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({"funcs": funcs, "nodes": nodes}, f)


def load(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        d = json.load(f)
    return d["funcs"], d["nodes"]


# ------------------------------------------------------------- tree helpers -----------------
def children(nodes):
    kids = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        if n[1] >= 0:
            kids[n[1]].append(i)
    return kids


def preorder(nodes, kids):
    order, todo = [], [0]
    while todo:
        i = todo.pop()
        order.append(i)
        todo.extend(reversed(kids[i]))
    return order


def renumber(nodes):
    """Preorder numbering, so every parent comes before its children."""
    order = preorder(nodes, children(nodes))
    new = {old: j for j, old in enumerate(order)}
    return [[nodes[o][0], new[nodes[o][1]] if o else -1, nodes[o][2], nodes[o][3]] for o in order]


def inclusive(nodes):
    incl = [n[3] for n in nodes]
    for i in range(len(nodes) - 1, 0, -1):
        incl[nodes[i][1]] += incl[i]
    return incl


def outer_flags(nodes, kids):
    """cProfile's recursion rules: is the function / the caller->callee pair already running?"""
    f_outer, p_outer = [False] * len(nodes), [False] * len(nodes)
    active, pairs = {}, {}
    todo = [(c, False) for c in reversed(kids[0])]
    while todo:
        i, done = todo.pop()
        f = nodes[i][0]
        pair = (nodes[nodes[i][1]][0], f)
        if done:
            active[f] -= 1
            pairs[pair] -= 1
            continue
        f_outer[i], p_outer[i] = not active.get(f), not pairs.get(pair)
        active[f] = active.get(f, 0) + 1
        pairs[pair] = pairs.get(pair, 0) + 1
        todo.append((i, True))
        todo.extend((c, False) for c in reversed(kids[i]))
    return f_outer, p_outer


def stats(nodes):
    """The pstats file of a tree: {func: [cc, nc, tt, ct, {caller: [cc, nc, tt, ct]}]}, ns."""
    kids = children(nodes)
    incl = inclusive(nodes)
    f_outer, p_outer = outer_flags(nodes, kids)
    out = {}
    for i in range(1, len(nodes)):
        f, calls, own = nodes[i][0], nodes[i][2], nodes[i][3]
        caller = nodes[nodes[i][1]][0]
        e = out.setdefault(f, [0, 0, 0, 0, {}])
        e[1] += calls
        e[2] += own
        if f_outer[i]:
            e[0] += calls
            e[3] += incl[i]
        if caller is not None:
            s = e[4].setdefault(caller, [0, 0, 0, 0])
            s[1] += calls
            s[2] += own
            if p_outer[i]:
                s[0] += calls
                s[3] += incl[i]
    return out


def counts(st):
    return {f: (e[0], e[1], {c: (s[0], s[1]) for c, s in e[4].items()}) for f, e in st.items()}


def worst_time_difference(a, b):
    """Largest |tt or ct difference| over every entry and pair, ns (inf if shapes differ)."""
    worst = 0
    for f, e in a.items():
        e2 = b.get(f)
        if e2 is None or e2[4].keys() != e[4].keys():
            return float("inf")
        worst = max(worst, abs(e[2] - e2[2]), abs(e[3] - e2[3]))
        for c, s in e[4].items():
            worst = max(worst, abs(s[2] - e2[4][c][2]), abs(s[3] - e2[4][c][3]))
    return worst


def write_prof(path, funcs, nodes):
    def key(f):
        file, line, name = funcs[f].split(":", 2)
        return (file, int(line), name)

    out = {key(f): (v[0], v[1], v[2] / 1e9, v[3] / 1e9,
                    {key(c): (s[1], s[0], s[2] / 1e9, s[3] / 1e9) for c, s in v[4].items()})
           for f, v in stats(nodes).items()}  # callers' counts swap places, as cProfile writes
    with open(path, "wb") as fh:
        marshal.dump(out, fh)


def node_paths(nodes):
    """Per node: its path (tuple of func indices, root first); the root's is ()."""
    tup = [()] * len(nodes)
    for i in range(1, len(nodes)):
        tup[i] = tup[nodes[i][1]] + (nodes[i][0],)
    return tup


def path_times(nodes):
    """{path (tuple of func indices, root first): own ns}."""
    out = {}
    for i, p in enumerate(node_paths(nodes)):
        if i and nodes[i][3]:
            out[p] = out.get(p, 0) + nodes[i][3]
    return out


def write_truth(path, funcs, nodes):
    """The repo's truth format: `U<TAB>ns` (the unit), a key table (`K<TAB>file:line:name`),
    then `i.j.k<TAB>ns` per path, root first. Nanoseconds, so that the file's every tt and ct
    can be checked against the paths to well under a microsecond."""
    times = path_times(nodes)
    used = sorted({f for p in times for f in p}, key=lambda f: funcs[f])
    num = {f: j for j, f in enumerate(used)}
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("U\tns\n")
        for fid in used:
            f.write("K\t%s\n" % funcs[fid])
        for p, ns in sorted(times.items(), key=lambda kv: [num[x] for x in kv[0]]):
            f.write(".".join(str(num[x]) for x in p) + "\t%d\n" % ns)


# ------------------------------------------------------------ the linear program ------------
def solve_own_times(nodes, target, cost, floor=None):
    """Own times >= 0 on this tree shape giving `target`'s every tt and ct; None if infeasible.

    Variables: own'(v) and incl'(v) per node; incl'(v) = own'(v) + sum incl'(children).
    """
    import numpy as np
    import scipy.sparse as sparse
    from scipy.optimize import linprog

    n, m = len(nodes), len(nodes) - 1
    kids = children(nodes)
    f_outer, p_outer = outer_flags(nodes, kids)
    rows, cols, vals, rhs = [], [], [], []
    for i in range(1, n):
        r = len(rhs)
        rows += [r, r]
        cols += [m + i - 1, i - 1]
        vals += [1.0, -1.0]
        for c in kids[i]:
            rows.append(r)
            cols.append(m + c - 1)
            vals.append(-1.0)
        rhs.append(0.0)
    groups = {}
    for i in range(1, n):
        f, g = nodes[i][0], nodes[nodes[i][1]][0]
        groups.setdefault((2, f, None), []).append(i - 1)
        if f_outer[i]:
            groups.setdefault((3, f, None), []).append(m + i - 1)
        if g is not None:
            groups.setdefault((2, f, g), []).append(i - 1)
            if p_outer[i]:
                groups.setdefault((3, f, g), []).append(m + i - 1)
    for (field, f, g), idx in groups.items():
        e = target.get(f)
        if e is None or (g is not None and g not in e[4]):
            return None
        r = len(rhs)
        rows += [r] * len(idx)
        cols += idx
        vals += [1.0] * len(idx)
        rhs.append((e[field] if g is None else e[4][g][field]) / 1e6)  # ms: moderate numbers
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(rhs), 2 * m))
    bounds = (0, None)
    if floor is not None:  # at least this share of each node's own time stays where it is
        lower = np.concatenate([[floor * nodes[i][3] / 1e6 for i in range(1, n)], np.zeros(m)])
        bounds = np.column_stack([lower, np.full(2 * m, np.inf)])
    res = linprog(np.concatenate([cost, np.zeros(m)]), A_eq=a, b_eq=np.array(rhs),
                  bounds=bounds, method="highs")
    if res.status != 0:
        return None
    out = [list(x) for x in nodes]
    for i in range(1, n):
        out[i][3] = int(round(res.x[i - 1] * 1e6))
    return out


def same_file(nodes, target, base_counts, tolerance_ns=1000):
    st = stats(nodes)
    return counts(st) == base_counts and worst_time_difference(target, st) <= tolerance_ns


# ------------------------------------------------------------------- swaps ------------------
def swap_alternative(funcs, nodes, target, seconds, log, modules_only, seed=0):
    """Trades subtrees between contexts while the file stays the same.

    Two subtrees whose roots are called by one function g from two of its contexts (nodes of g)
    trade places: f's subtree under one context of g goes under the other, and f2's the other
    way round (f2 may be f). The g->f and g->f2 pairs keep their counts and times, which are
    sums over g's contexts; neither new parent may already call the function it receives. The
    own times are then solved again so that every tt and ct of the file holds (inclusive times
    above the two places changed); the trade is kept only if that is feasible and every call
    count (cProfile's recursion rules) stays equal. With `modules_only`, only module bodies
    (`exec` nodes running a `<module>`) trade, between importers.
    """
    import numpy as np

    rng = np.random.default_rng(7 + seed)
    is_module = [f.endswith(":<module>") for f in funcs]
    kids = children(nodes)
    incl = inclusive(nodes)
    base_counts = counts(target)
    tin, tout, clock, todo = [0] * len(nodes), [0] * len(nodes), 0, [(0, False)]
    while todo:
        i, done = todo.pop()
        if done:
            tout[i] = clock
            continue
        tin[i], clock = clock, clock + 1
        todo.append((i, True))
        todo.extend((c, False) for c in kids[i])

    def nested(a, b):
        return tin[a] <= tin[b] < tout[a] or tin[b] <= tin[a] < tout[b]

    def importer(i):
        p = nodes[i][1]
        while p > 0 and not is_module[nodes[p][0]]:
            p = nodes[p][1]
        return p

    total = incl[0]
    if modules_only:
        movable = [i for i in range(1, len(nodes))
                   if funcs[nodes[i][0]] == EXEC and any(is_module[nodes[c][0]] for c in kids[i])]
        differ = lambda a, b: importer(a) != importer(b)  # noqa: E731
    else:
        movable = [i for i in range(1, len(nodes)) if incl[i] >= total * 1e-4]
        differ = lambda a, b: nodes[a][1] != nodes[b][1]  # noqa: E731
    groups = {}
    for i in movable:
        groups.setdefault(nodes[nodes[i][1]][0], []).append(i)  # by the calling function
    callee_funcs = [set(nodes[c][0] for c in kids[i]) for i in range(len(nodes))]

    def fits(a, b):
        if nodes[a][0] == nodes[b][0]:
            return True
        return nodes[a][0] not in callee_funcs[nodes[b][1]] and nodes[b][0] not in callee_funcs[nodes[a][1]]
    group_of = {i: key for key, members in groups.items() for i in members}
    # seed 0: largest first, closest partner first; other seeds: another order, for programs
    # of other shapes
    jitter = rng.uniform(0.5, 1.5, len(nodes)) if seed else np.ones(len(nodes))
    body = set(i for i in movable if funcs[nodes[i][0]] == EXEC)
    # module bodies first: their trades are the ones most often feasible
    movable.sort(key=lambda i: (i not in body, -incl[i] * jitter[i]))
    accepted, used, best, start, tried = [], set(), None, time.time(), 0
    shape = [None]  # the last accepted trial, with the true own times moved along

    def attempt(batch):
        trial = [list(x) for x in nodes]
        for x, y in accepted + batch:
            trial[x][1], trial[y][1] = nodes[y][1], nodes[x][1]
        trial = renumber(trial)
        if len(trial) != len(nodes):  # a trade made a node its own ancestor
            return None
        if counts(stats([[x[0], x[1], x[2], 0] for x in trial])) != base_counts:
            return None
        solved = solve_own_times(trial, target, rng.random(len(trial) - 1))
        if solved is None or not same_file(solved, target, base_counts):
            return None
        shape[0] = trial
        return solved

    for a in movable:
        if time.time() - start > seconds:
            break
        if a in used:
            continue
        partners = [b for b in groups[group_of[a]]
                    if b != a and b not in used and differ(a, b) and not nested(a, b)
                    and 0.5 * incl[a] <= incl[b] <= incl[a] and fits(a, b)]
        partners.sort(key=lambda b: incl[a] - incl[b])
        partners = partners[:3] if not seed else list(rng.permutation(partners[:6])[:3])
        for b in partners:
            tried += 1
            solved = attempt([(a, b)])
            if solved is not None:
                accepted.append((a, b))
                used |= {a, b}
                best = solved
                log("traded %s and %s subtrees of %.2f and %.2f ms" % (
                    funcs[nodes[a][0]].rsplit(":", 1)[-1], funcs[nodes[b][0]].rsplit(":", 1)[-1],
                    incl[a] / 1e6, incl[b] / 1e6))
                break
    log("%d trades of %d tried" % (len(accepted), tried))
    if best is not None:
        # the traded program as a plausible run: every call keeps part of its own time (an LP
        # vertex puts 0 ns on many calls); the largest share that is feasible
        for share in (0.5, 0.3, 0.1):
            plausible = solve_own_times(shape[0], target, np.zeros(len(nodes) - 1), floor=share)
            if plausible is not None and same_file(plausible, target, base_counts):
                log("the traded program keeps at least %d%% of every call's own time" % (share * 100))
                return plausible, accepted
    return best, accepted


# ------------------------------------------------------------------ ceilings ----------------
def view_of(funcs, name):
    is_module = [f.endswith(":<module>") for f in funcs]
    return {
        "exact": lambda p: p,
        "last3": lambda p: p[-3:],
        "modules": lambda p: tuple(x for x in p if is_module[x]),
    }[name]


def distribution(times, view):
    d = {}
    for p, w in times.items():
        k = view(p)
        d[k] = d.get(k, 0) + w
    return d


def best_output(dists):
    """max over F with sum F = total of mean_i sum_s min(F_s, D_i[s]) / total, and that F."""
    k, total, segments = len(dists), sum(dists[0].values()), []
    for s in set().union(*dists):
        prev = 0
        for j, v in enumerate(sorted(d.get(s, 0) for d in dists)):
            if v > prev:
                segments.append((k - j, v - prev, s))
            prev = v
    segments.sort(key=lambda x: -x[0])
    left, gain, chosen = total, 0, {}
    for slope, length, s in segments:
        take = min(left, length)
        gain += slope * take
        chosen[s] = chosen.get(s, 0) + take
        left -= take
        if left <= 0:
            break
    return gain / k / total, chosen


def agreement(a, b):
    return sum(min(w, b.get(k, 0)) for k, w in a.items()) / sum(a.values())


def ceilings(funcs, nodes, seconds, log, modules_only=False, n_shapes=1,
             views=("modules", "last3", "exact"), rounds=4, floor=None, resumed=None):
    import numpy as np

    target = stats(nodes)
    base_counts = counts(target)
    shapes, trades = [nodes], []
    if resumed:  # an earlier run's programs: its tree shapes trade no more, own times go on
        structure = lambda p: [(n[0], n[1]) for n in p]  # noqa: E731
        seen = [structure(nodes)]
        for p in resumed[1:]:
            if structure(p) not in seen:
                seen.append(structure(p))
                shapes.append(p)
        seconds = 0
    for seed in range(n_shapes if seconds > 0 else 0):
        swap, accepted = swap_alternative(funcs, nodes, target, seconds / 2 / n_shapes, log,
                                          modules_only, seed)
        if swap is not None:
            shapes.append(swap)
            trades.append(len(accepted))
    swap = shapes[1] if len(shapes) > 1 else None
    programs = list(resumed) if resumed else list(shapes)
    times = [path_times(p) for p in programs]  # per program, kept as programs are added
    shape_paths = [node_paths(shape) for shape in shapes]
    report = {"nodes": len(nodes), "functions": len(funcs), "trades": trades,
              "trades_of": "module bodies" if modules_only else "subtrees", "floor": floor}
    rng = np.random.default_rng(11)
    for name in views:
        view = view_of(funcs, name)
        for r in range(rounds):
            dists = [distribution(t, view) for t in times]
            value, chosen = best_output(dists)
            log("%s: %d programs, ceiling %.3f" % (name, len(programs), value))
            for shape, paths in zip(shapes, shape_paths):
                cost = np.array([1.0 if chosen.get(view(p), 0) > 0 else 0.0 for p in paths[1:]])
                alt = solve_own_times(shape, target, cost + 1e-3 * rng.random(len(cost)), floor=floor)
                if alt is not None and same_file(alt, target, base_counts):
                    programs.append(alt)
                    times.append(path_times(alt))
    for name in ("exact", "last3", "modules"):
        view = view_of(funcs, name)
        dists = [distribution(t, view) for t in times]
        report[name] = {
            "ceiling": round(best_output(dists)[0], 4),
            "agreement_with_trade": round(agreement(dists[0], dists[1]), 4) if swap is not None else None,
            "least_agreement_with_truth": round(min(agreement(dists[0], d) for d in dists[1:]), 4),
        }
    report["programs"] = len(programs)
    report["worst_time_difference_ns"] = max(worst_time_difference(target, stats(p)) for p in programs)
    return report, programs



def main(argv):
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    if len(argv) >= 4 and argv[1] == "record":
        os.makedirs(os.path.dirname(argv[2]) or ".", exist_ok=True)
        funcs, nodes = record(argv[3], argv[4:])
        save(argv[2] + ".tree.gz", funcs, nodes)
        write_prof(argv[2] + ".prof", funcs, nodes)
        write_truth(argv[2] + ".truth.gz", funcs, nodes)
        log("recorded %d nodes, %d functions" % (len(nodes), len(funcs)))
    elif len(argv) >= 3 and argv[1] == "ceiling":
        funcs, nodes = load(argv[2] + ".tree.gz")
        modules_only = "--modules" in argv
        option = lambda name, default: next(  # noqa: E731
            (a.split("=", 1)[1] for a in argv if a.startswith("--%s=" % name)), default)
        n_shapes = int(option("shapes", 1))
        views = tuple(option("views", "modules,last3,exact").split(","))
        rounds = int(option("rounds", 4))
        floor = float(option("floor", 0)) or None
        resumed = load(argv[2] + ".alternatives.gz")[1] if "--resume" in argv else None
        argv = [a for a in argv if not a.startswith("--")]
        report, programs = ceilings(funcs, nodes, float(argv[3]) if len(argv) > 3 else 120, log,
                                    modules_only, n_shapes, views, rounds, floor, resumed)
        save(argv[2] + ".alternatives.gz", funcs, programs)
        print(json.dumps(report))
    elif len(argv) >= 5 and argv[1] == "write":
        if argv[3] == "0" and not os.path.exists(argv[2] + ".alternatives.gz"):
            funcs, nodes = load(argv[2] + ".tree.gz")  # the recording itself, no ceiling run
            programs = [nodes]
        else:
            funcs, programs = load(argv[2] + ".alternatives.gz")
        for rule in argv[5:]:  # OLD=NEW: machine paths out of committed files
            old, new = rule.split("=", 1)
            funcs = [new + f[len(old):] if f.startswith(old) else f for f in funcs]
        alt = programs[int(argv[3])]
        write_prof(argv[4] + ".prof", funcs, alt)
        write_truth(argv[4] + ".truth.gz", funcs, alt)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
