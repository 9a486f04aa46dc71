#!/usr/bin/env python3
"""The plain-Python reference fold for BENCHMARKS.md: `python -X importtime` rows on stdin to
folded stacks on stdout, one `python #N` root per report, self times as weights, with nothing
but the standard library: what a short script does, to measure importflame's fold against.
No repairs (negative self times are clamped to 0, nothing else is checked)."""

import sys
from collections import defaultdict

MARKER = "import time:"


def main():
    sums = defaultdict(int)
    report = 0
    pending = []  # finished rows whose parent has not printed: (depth, name, self, children)

    def flush():
        def emit(prefix, node):
            _, name, own, children = node
            path = f"{prefix};{name}"
            sums[path] += max(own, 0)
            for child in children:
                emit(path, child)

        for node in pending:
            emit(f"python #{report}", node)
        pending.clear()

    for line in sys.stdin:
        at = line.rfind(MARKER)
        if at < 0:
            continue
        fields = line[at + len(MARKER):].rstrip("\r\n").split("|")
        if len(fields) != 3:
            continue
        own, _, field = fields
        if own.strip().startswith("self"):
            flush()
            report += 1
            continue
        try:
            own = int(own)
        except ValueError:
            continue
        name = field[1:].lstrip(" ")
        depth = (len(field) - 1 - len(name)) // 2
        first = len(pending)
        while first > 0 and pending[first - 1][0] > depth:
            first -= 1
        children = pending[first:]
        del pending[first:]
        pending.append((depth, name, own, children))
    flush()
    out = sys.stdout
    for stack in sorted(sums):
        out.write(f"{stack} {sums[stack]}\n")


if __name__ == "__main__":
    sys.setrecursionlimit(100000)
    main()
