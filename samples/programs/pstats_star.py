"""Star imports and a helper whose cost depends on its caller: a pstats truth program (issue 14).

`from package import *` runs importlib's `_handle_fromlist` twice: once for `*`, then once more
over the package's `__all__`, a `hasattr` per name. cProfile keeps the second as a
`_handle_fromlist -> _handle_fromlist` pair, and asyncio's `__init__` does it for each of its
submodules. `tally` has two callers that use it differently: under `scan` its time is its own
loop and `len`; under `load` a `json` round trip. A pstats file keeps `tally`'s callees summed
over both callers; only the per-caller edge times say which caller's `tally` did what.

Record (CPython 3.11): `python scripts/pstats_ceiling.py record OUT samples/programs/pstats_star.py`
"""

from asyncio import *  # noqa: F401,F403  (the star imports are the point)
from concurrent.futures import *  # noqa: F401,F403
import json


def tally(items, deep):
    total = 0
    for x in items:
        total += len(x)
    if deep:
        total += len(json.loads(json.dumps(items)))
    return total


def scan():
    words = [str(i) * 3 for i in range(400)]
    return sum(tally(words, False) for _ in range(200))


def load():
    rows = [[i] * 40 for i in range(60)]
    return sum(tally(rows, True) for _ in range(40))


def main():
    print(scan(), load())


if __name__ == "__main__":
    main()
