#!/usr/bin/env python3
"""Checks importflame on fresh, real profiles made by the interpreters given on the command line.

For each interpreter it writes, in a scratch directory, an importtime log (-X importtime), a
cProfile file and a profile-module file of a small workload, then runs importflame -f json on
each and compares the total with what the interpreter itself says:

- importtime: the sum of max(self, 0) over all rows;
- pstats: the sum over functions of tt in whole microseconds, rounded half away from zero
  (importflame's documented rounding), read by the interpreter's own marshal module.

Usage: scripts/check-real-profiles.py [--importflame PATH] PYTHON [PYTHON ...]
Exit status 1 if any total differs.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

WORKLOAD = r'''
import json, decimal, fractions, email.mime.text, importlib
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
def walk(d, depth):
    return [walk(d, depth - 1) for _ in range(2)] if depth else json.dumps(d)
def main():
    fib(18)
    walk({"a": [1, 2, 3]}, 8)
    sum(fractions.Fraction(i, i + 1) for i in range(1, 300))
    decimal.Decimal(1) / decimal.Decimal(7)
    importlib.import_module("email.mime.multipart")
main()
'''

TOTALS = r'''
import marshal, sys
def r(x):
    return int(math.floor(abs(x) * 1e6 + 0.5)) * (1 if x >= 0 else -1)
import math
stats = marshal.load(open(sys.argv[1], "rb"))
print(sum(max(r(v[2]), 0) for k, v in stats.items() if isinstance(v, tuple)))
'''


def importflame_total(binary, path):
    out = subprocess.run([binary, "-q", "-f", "json", path], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return json.loads(out.stdout)["total"], ""


def importtime_truth(path):
    total = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            at = line.rfind("import time:")
            if at < 0:
                continue
            parts = line[at + 12:].split("|")
            if len(parts) != 3:
                continue
            try:
                total += max(int(parts[0]), 0)
            except ValueError:
                pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--importflame", default=os.path.join("target", "release", "importflame"))
    ap.add_argument("pythons", nargs="+")
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "workload.py")
        with open(script, "w") as f:
            f.write(WORKLOAD)
        for py in args.pythons:
            version = subprocess.run([py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     capture_output=True, text=True).stdout.strip()
            log = os.path.join(tmp, f"importtime-{version}.log")
            with open(log, "w") as err:
                subprocess.run([py, "-X", "importtime", script], stderr=err, stdout=subprocess.DEVNULL, cwd=tmp)
            checks = [("importtime", log, importtime_truth(log))]
            for module in ("cProfile", "profile"):
                prof = os.path.join(tmp, f"{module}-{version}.prof")
                subprocess.run([py, "-m", module, "-o", prof, "workload.py"], cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                truth = subprocess.run([py, "-c", TOTALS, prof], capture_output=True, text=True)
                expected = int(truth.stdout) if truth.returncode == 0 else None
                checks.append((module, prof, expected))
            for kind, path, expected in checks:
                got, err = importflame_total(args.importflame, path)
                ok = got is not None and got == expected
                failures += not ok
                print(f"{'ok  ' if ok else 'FAIL'} python {version} {kind:10} expected {expected} got {got} {err}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
