#!/usr/bin/env python3
"""Runs the whole-command comparisons of BENCHMARKS.md; started by scripts/bench.sh.

Each table is one hyperfine run, so its commands share the machine's state; wall times are
medians with min-max, and every figure is also given as a ratio to importflame producing the
same kind of output. Issue 18's table is timed in alternating rounds instead (every command
once per round, in turn, as the issue measured it), so that a drift of the machine's speed
during the run moves every command alike and not only the ones hyperfine ran at that time.
Peak RSS (GNU time, one extra run; for a pipeline the largest process) and output size come
from one more run of each command. Standard library only.
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path("target/bench")
OUT = BENCH / "out"
RESULTS = BENCH / "results"
QUICK = os.environ.get("QUICK") == "1"
# ONLY=pstats,pyspy reruns some tables; results.md is put together from every table's last run.
ONLY = [t for t in os.environ.get("ONLY", "").split(",") if t]
TABLES = ["issue18", "single", "x200", "pytest", "pstats", "pyspy", "scaling", "jobs"]

IF = "target/release/importflame"
VENV = BENCH / "venv" / "bin"
ITC = f"{VENV}/importtime-convert -o flamegraph.pl"
TUNA = f"{VENV}/tuna --no-browser"
FLAMEPROF = f"{VENV}/python -m flameprof"
# inferno's --minwidth is a percentage of the total; importflame passes its --min-width (0.1)
# to the same option, so the comparison prunes the same frames.
INF = f"{BENCH}/cargo/bin/inferno-flamegraph --minwidth 0.1"

LOG = f"{BENCH}/inputs/many_libs_x1.log"
LOG200 = f"{BENCH}/inputs/many_libs_x200.log"
PYTEST = "samples/importtime/pytest/pytest_combined.log"
PYSPY = "samples/pyspy/record_busy_raw.txt"
# Made by scripts/bench.sh: a real report repeated to 2 GB of rows, gzipped; the recording
# above repeated to 60 MB.
LOG2G = f"{BENCH}/inputs/requests_2g.log.gz"
PYSPY60 = f"{BENCH}/inputs/pyspy_raw_60mb.txt"
PLAIN_FOLD = "python3 scripts/plain_fold.py"


def largest_pstats():
    """The largest .prof sample (workload.prof until more land)."""
    profs = sorted(Path("samples/pstats").glob("*.prof"), key=lambda p: p.stat().st_size)
    return str(profs[-1]) if profs else "samples/pstats/workload.prof"


PSTATS = largest_pstats()


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=False, **kw)


def folded_copy(name, source, *flags):
    """importflame's folded output of `source`: the file inferno renders as the floor."""
    path = BENCH / "inputs" / f"{name}.folded"
    # Made again on every run, so the floor always renders this build's output.
    extra = " ".join(flags)
    if sh(f"{IF} -q {extra} {source} -f folded -o {path}").returncode != 0:
        return None
    return str(path)


def human_time(s):
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def human_size(n):
    if n is None:
        return "-"
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def ratio(value, base):
    if value is None or not base:
        return "-"
    r = value / base
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def output_size(prefix):
    total = 0
    found = False
    for p in OUT.glob(prefix.name + ".*"):
        found = True
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        else:
            total += p.stat().st_size
    return total if found else None


def alternating(rows, rounds):
    """Times every row's command once per round, in turn, after one untimed round: medians,
    min and max of wall time per row, as hyperfine's JSON would give them."""
    times = [[] for _ in rows]
    for r in range(rounds + 1):
        for i, row in enumerate(rows):
            start = time.perf_counter()
            subprocess.run(row["cmd"], shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r:
                times[i].append(time.perf_counter() - start)
        print(f"  round {r}/{rounds}", flush=True)
    return [{"median": statistics.median(t), "min": min(t), "max": max(t), "times": t} for t in times]


def run_table(name, title, commands, big=False, rounds=None):
    """commands: (label, kind, baseline label or None, shell command with {out}); `rounds`:
    timed in that many alternating rounds instead of one hyperfine run."""
    if ONLY and name not in ONLY:
        return "", []
    if rounds and QUICK:
        rounds = 3
    OUT.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for label, kind, base, cmd in commands:
        slug = f"{name}-{len(rows)}"
        rows.append(
            {"label": label, "kind": kind, "base": base, "cmd": cmd.format(out=OUT / slug), "out": OUT / slug}
        )
    print(f"\n== {title}", flush=True)
    # One extra run per command under GNU time: peak RSS, exit status, output size. It also
    # catches tools that fail, so they can be named instead of timed.
    for row in rows:
        for old in OUT.glob(row["out"].name + ".*"):
            sh(f"rm -rf {shlex.quote(str(old))}")
        rss_file = BENCH / "rss.txt"
        wrapped = f"/usr/bin/time -f '%M %x' -o {rss_file} bash -c {shlex.quote(row['cmd'])}"
        done = sh(wrapped, capture_output=True, text=True)
        # GNU time puts "Command exited with non-zero status N" first when the command fails.
        lines = rss_file.read_text().strip().splitlines() if rss_file.exists() else []
        fields = lines[-1].split() if lines else []
        row["rss_kb"] = int(fields[0]) if fields else None
        row["exit"] = done.returncode
        row["error"] = (done.stderr.strip().splitlines() or [""])[-1][:160] if done.returncode else ""
        row["size"] = output_size(row["out"])
    timed = [r for r in rows if r["exit"] == 0]
    if timed and rounds:
        results = alternating(timed, rounds)
        (RESULTS / f"{name}.json").write_text(json.dumps({"results": results}))
        for r, res in zip(timed, results):
            r["median"], r["min"], r["max"] = res["median"], res["min"], res["max"]
            r["runs"] = len(res["times"])
    elif timed:
        runs = ["--runs", "3"] if QUICK else (["--min-runs", "3", "--max-runs", "10"] if big else ["--min-runs", "10", "--max-runs", "30"])
        warmup = [] if big else ["--warmup", "1"]
        args = ["hyperfine", "--style", "basic", "-i", *warmup, *runs, "--export-json", str(RESULTS / f"{name}.json")]
        for r in timed:
            args += [f"--command-name={r['label']}", r["cmd"]]
        subprocess.run(args, check=True)
        results = json.loads((RESULTS / f"{name}.json").read_text())["results"]
        for r, res in zip(timed, results):
            r["median"], r["min"], r["max"] = res["median"], res["min"], res["max"]
            r["runs"] = len(res["times"])
    by_label = {r["label"]: r for r in rows}
    if rounds:
        title += f" ({rounds} alternating rounds)"
    lines = [
        f"### {title}",
        "",
        "| command | wall median (min-max, runs) | × importflame | peak RSS | × | output | × |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        base = by_label.get(r["base"]) if r["base"] else None
        if r["exit"] != 0:
            lines.append(f"| {r['label']} | failed (exit {r['exit']}): `{r['error']}` | | | | | |")
            continue
        spread = f"{human_time(r['median'])} ({human_time(r['min'])}-{human_time(r['max'])}, {r['runs']})"
        rss = r["rss_kb"] * 1024 if r["rss_kb"] is not None else None
        brss = base["rss_kb"] * 1024 if base and base.get("rss_kb") else None
        lines.append(
            "| {} | {} | {} | {} | {} | {} | {} |".format(
                r["label"],
                spread,
                ratio(r.get("median"), base.get("median")) if base else "1",
                human_size(rss),
                ratio(rss, brss) if base else "1",
                human_size(r["size"]),
                ratio(r["size"], base.get("size")) if base else "1",
            )
        )
    lines.append("")
    lines.append("<details><summary>commands</summary>")
    lines.append("")
    for r in rows:
        lines.append(f"- {r['label']}: `{r['cmd']}`")
    lines.append("")
    lines.append("</details>")
    lines.append("")
    text = "\n".join(lines)
    print(text, flush=True)
    (RESULTS / f"{name}.md").write_text(text)
    return text, rows


def identical(paths):
    data = [Path(p).read_bytes() if Path(p).exists() else None for p in paths]
    return all(d is not None and d == data[0] for d in data)


def main():
    sections = []
    svg, folded = "importflame → SVG", "importflame → folded"

    # Issue 18's table, in alternating rounds so that its ratios share the machine's state.
    big_folded = folded_copy("many_libs_x200", LOG200)
    pstats_folded = folded_copy("pstats", PSTATS)
    g2 = "importflame: 2 GB of importtime rows (a 23 MB gzip file) → SVG"
    x200_svg = "importflame: x200 log → SVG"
    spy = "importflame: 60 MB py-spy raw → SVG"
    ps = f"importflame: {PSTATS} → SVG"
    j1 = "importflame -j 1: x200 → folded"
    sections.append(run_table("issue18", "Issue 18: streaming, bounded memory, the render floor, the cores", [
        (g2, "svg", None, f"{IF} -q {LOG2G} -o {{out}}.svg"),
        (x200_svg, "svg", None, f"{IF} -q {LOG200} -o {{out}}.svg"),
        ("inferno-flamegraph on the x200 folded file", "svg", x200_svg, f"{INF} {big_folded} > {{out}}.svg"),
        (spy, "svg", None, f"{IF} -q {PYSPY60} -o {{out}}.svg"),
        ("inferno-flamegraph on the same 60 MB file", "svg", spy, f"{INF} {PYSPY60} > {{out}}.svg"),
        (ps, "svg", None, f"{IF} -q {PSTATS} -o {{out}}.svg"),
        ("inferno-flamegraph on its folded file", "svg", ps, f"{INF} {pstats_folded} > {{out}}.svg"),
        (j1, "folded", None, f"{IF} -q -j 1 {LOG200} -f folded -o {{out}}.folded"),
        ("importflame -j 2: x200 → folded", "folded", j1, f"{IF} -q -j 2 {LOG200} -f folded -o {{out}}.folded"),
        ("plain-Python fold: x200 → folded", "folded", j1, f"{PLAIN_FOLD} < {LOG200} > {{out}}.folded"),
        ("importtime-convert: x200 → folded", "folded", j1, f"{ITC} < {LOG200} > {{out}}.folded"),
    ], big=True, rounds=int(os.environ.get("ROUNDS", "15")))[0])

    log_folded = folded_copy("many_libs_x1", LOG)
    sections.append(run_table("single", f"One importtime report ({Path(LOG).stat().st_size // 1024} KB, 2,167 modules)", [
        (svg, "svg", None, f"{IF} -q {LOG} -o {{out}}.svg"),
        (folded, "folded", None, f"{IF} -q {LOG} -f folded -o {{out}}.folded"),
        ("inferno-flamegraph on importflame's folded (render only)", "svg", svg, f"{INF} {log_folded} > {{out}}.svg"),
        ("importtime-convert → folded", "folded", folded, f"{ITC} < {LOG} > {{out}}.folded"),
        ("importtime-convert \\| inferno-flamegraph → SVG", "svg", svg, f"{ITC} < {LOG} | {INF} > {{out}}.svg"),
        ("tuna → HTML", "html", svg, f"{TUNA} -o {{out}}.tuna {LOG}"),
    ])[0])

    big_folded = folded_copy("many_libs_x200", LOG200)
    size = Path(LOG200).stat().st_size / 1e6
    big = [
        (svg, "svg", None, f"{IF} -q {LOG200} -o {{out}}.svg"),
        (folded, "folded", None, f"{IF} -q {LOG200} -f folded -o {{out}}.folded"),
        ("inferno-flamegraph on importflame's folded (render only)", "svg", svg, f"{INF} {big_folded} > {{out}}.svg"),
    ]
    if not QUICK:
        big += [
            ("importtime-convert → folded", "folded", folded, f"{ITC} < {LOG200} > {{out}}.folded"),
            ("importtime-convert \\| inferno-flamegraph → SVG", "svg", svg, f"{ITC} < {LOG200} | {INF} > {{out}}.svg"),
            ("tuna → HTML", "html", svg, f"{TUNA} -o {{out}}.tuna {LOG200}"),
        ]
    sections.append(run_table("x200", f"The same report 200 times ({size:.0f} MB, 433,600 lines)", big, big=True)[0])

    sections.append(run_table("pytest", "pytest log with rows mid-line (`pytest_combined.log`)", [
        (svg, "svg", None, f"{IF} -q {PYTEST} -o {{out}}.svg"),
        (folded, "folded", None, f"{IF} -q {PYTEST} -f folded -o {{out}}.folded"),
        ("importtime-convert → folded", "folded", folded, f"{ITC} < {PYTEST} > {{out}}.folded"),
        ("importtime-convert \\| inferno-flamegraph → SVG", "svg", svg, f"{ITC} < {PYTEST} | {INF} > {{out}}.svg"),
        ("tuna → HTML", "html", svg, f"{TUNA} -o {{out}}.tuna {PYTEST}"),
    ])[0])

    sections.append(run_table("pstats", f"pstats (`{PSTATS}`)", [
        (svg, "svg", None, f"{IF} -q {PSTATS} -o {{out}}.svg"),
        ("flameprof → SVG", "svg", svg, f"{FLAMEPROF} -o {{out}}.svg {PSTATS}"),
        ("tuna → HTML", "html", svg, f"{TUNA} -o {{out}}.tuna {PSTATS}"),
    ])[0])

    sections.append(run_table("pyspy", f"py-spy raw recording (`{PYSPY}`)", [
        (svg, "svg", None, f"{IF} -q {PYSPY} -o {{out}}.svg"),
        (folded, "folded", None, f"{IF} -q {PYSPY} -f folded -o {{out}}.folded"),
        ("inferno-flamegraph on the raw file (render only)", "svg", svg, f"{INF} {PYSPY} > {{out}}.svg"),
    ])[0])

    scale = []
    for n in (1, 10, 100, 200):
        path = f"{BENCH}/inputs/many_libs_x{n}.log"
        scale.append((f"x{n} → folded", "folded", "x1 → folded", f"{IF} -q {path} -f folded -o {{out}}.folded"))
    for n in (1, 10, 100, 200):
        path = f"{BENCH}/inputs/many_libs_x{n}.log"
        scale.append((f"x{n} → SVG", "svg", "x1 → SVG", f"{IF} -q {path} -o {{out}}.svg"))
    sections.append(run_table("scaling", "Linear in the input: the report repeated 1, 10, 100, 200 times (ratios to x1)", scale, big=True)[0])

    jobs_text, jobs_rows = run_table("jobs", "Parallel fold: threads (31 MB log)", [
        ("-j 1 → folded", "folded", "-j 1 → folded", f"{IF} -q -j 1 {LOG200} -f folded -o {{out}}.folded"),
        ("-j 2 → folded", "folded", "-j 1 → folded", f"{IF} -q -j 2 {LOG200} -f folded -o {{out}}.folded"),
        ("RAYON_NUM_THREADS=1 → folded", "folded", "-j 1 → folded", f"RAYON_NUM_THREADS=1 {IF} -q {LOG200} -f folded -o {{out}}.folded"),
        ("RAYON_NUM_THREADS=2 → folded", "folded", "-j 1 → folded", f"RAYON_NUM_THREADS=2 {IF} -q {LOG200} -f folded -o {{out}}.folded"),
        ("-j 1 → SVG", "svg", "-j 1 → SVG", f"{IF} -q -j 1 {LOG200} -o {{out}}.svg"),
        ("-j 2 → SVG", "svg", "-j 1 → SVG", f"{IF} -q -j 2 {LOG200} -o {{out}}.svg"),
    ], big=True)
    if jobs_rows:
        same_folded = identical([r["out"].with_suffix(".folded") for r in jobs_rows if r["kind"] == "folded"])
        same_svg = identical([r["out"].with_suffix(".svg") for r in jobs_rows if r["kind"] == "svg"])
        jobs_text += f"Outputs identical across thread counts: folded {'yes' if same_folded else 'NO'}, SVG {'yes' if same_svg else 'NO'}.\n"
        print(jobs_text.splitlines()[-1])
        (RESULTS / "jobs.md").write_text(jobs_text)

    cpu = sh("lscpu | grep 'Model name' | sed 's/.*: *//'", capture_output=True, text=True).stdout.strip()
    head = [
        "## Results",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu or 'unknown CPU'}), shared; "
        f"{'QUICK run' if QUICK else 'full run'}; hyperfine, GNU time.",
        "",
    ]
    load = sh("cat /proc/loadavg", capture_output=True, text=True).stdout.split()[:3]
    head[2] = head[2].rstrip(".") + f"; load average at the end {' '.join(load)}."
    tables = [RESULTS / f"{t}.md" for t in TABLES]
    body = "\n".join(t.read_text() for t in tables if t.exists())
    (BENCH / "results.md").write_text("\n".join(head) + "\n" + body)
    print(f"\nwrote {BENCH / 'results.md'}")


if __name__ == "__main__":
    sys.exit(main())
