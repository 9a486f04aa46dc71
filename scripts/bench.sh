#!/usr/bin/env bash
# Whole-command benchmark: importflame against the tools people run today, on the same inputs,
# side by side in one hyperfine run per input (issue 18's table: in alternating rounds, ROUNDS=N,
# 15 by default). Writes target/bench/results.md (the tables of BENCHMARKS.md) and raw timings
# (hyperfine's JSON) under target/bench/results/.
#
#   scripts/bench.sh            # everything (about 15 minutes on 2 cores)
#   QUICK=1 scripts/bench.sh    # fewer runs, skips the slowest Python runs on the 31 MB log
#
# Everything it installs goes under target/bench/ (never committed): a venv with tuna,
# flameprof and importtime-convert, and a cargo root with inferno-flamegraph. hyperfine and
# GNU time come from apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=target/bench
mkdir -p "$BENCH"

need_apt() { # need_apt COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
        echo "== installing $2 (apt)"
        if [ "$(id -u)" -eq 0 ]; then
            apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
        else
            sudo apt-get update -qq && sudo apt-get install -y -qq "$2" >/dev/null
        fi
    fi
}
need_apt hyperfine hyperfine
need_apt /usr/bin/time time
need_apt python3 python3
python3 -c "import venv, ensurepip" 2>/dev/null || need_apt /nonexistent python3-venv

VENV=$BENCH/venv
if ! "$VENV/bin/python" -c "import tuna, flameprof, importtime_convert" 2>/dev/null; then
    echo "== installing tuna, flameprof, importtime-convert into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet tuna flameprof importtime-convert
fi
if [ ! -x "$BENCH/cargo/bin/inferno-flamegraph" ]; then
    echo "== installing inferno-flamegraph into $BENCH/cargo"
    cargo install --quiet --locked inferno --root "$BENCH/cargo"
fi

echo "== building importflame (release)"
cargo build --release --quiet

echo "== making the inputs under $BENCH/inputs"
mkdir -p "$BENCH/inputs"
LOG=samples/importtime/single/py311_many_libs.log
for n in 1 10 100 200; do
    out=$BENCH/inputs/many_libs_x$n.log
    if [ ! -s "$out" ]; then
        for _ in $(seq "$n"); do cat "$LOG"; done >"$out.tmp"
        mv "$out.tmp" "$out"
    fi
done

# Issue 18: 2 GB of importtime rows as a gzip file (one report of 15 KB, under deflate's 32 KB
# window, repeated: about 23 MB), and a 60 MB py-spy raw recording.
if [ ! -s "$BENCH/inputs/requests_2g.log.gz" ]; then
    python3 -c "
import sys
r = open('samples/importtime/single/py311_requests.log', 'rb').read()
for _ in range((2 << 30) // len(r)):
    sys.stdout.buffer.write(r)
" | gzip -6 >"$BENCH/inputs/requests_2g.log.gz.tmp"
    mv "$BENCH/inputs/requests_2g.log.gz.tmp" "$BENCH/inputs/requests_2g.log.gz"
fi
RAW=samples/pyspy/record_busy_raw.txt
if [ ! -s "$BENCH/inputs/pyspy_raw_60mb.txt" ]; then
    n=$(( 60000000 / $(stat -c %s "$RAW") + 1 ))
    for _ in $(seq "$n"); do cat "$RAW"; done >"$BENCH/inputs/pyspy_raw_60mb.txt.tmp"
    mv "$BENCH/inputs/pyspy_raw_60mb.txt.tmp" "$BENCH/inputs/pyspy_raw_60mb.txt"
fi

exec python3 scripts/bench.py "$@"
