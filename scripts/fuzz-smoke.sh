#!/usr/bin/env bash
# Fuzz smoke pass: build every cargo-fuzz target in fuzz/ and run each one for a few seconds
# over its committed seeds (fuzz/seeds/TARGET), one at a time: about a minute in all. It checks
# that the targets still build and that the seeds and their first mutations do not crash; the
# long runs are done by hand (see the README's "Bad input" section).
#
# Needs a nightly toolchain and cargo-fuzz; without them it says so and exits 0.
# FUZZ_SECONDS sets the time per target (default 6).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz-smoke: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: skipped: cargo-fuzz is not installed (cargo install cargo-fuzz)"
    exit 0
fi

seconds="${FUZZ_SECONDS:-6}"
# -detect_leaks=0: LeakSanitizer reports glibc's thread-exit bookkeeping (__cxa_thread_atexit)
# of the fold's worker threads as a 64-byte leak; a leak is no hazard for a one-shot CLI.
echo "== fuzz-smoke: building the fuzz targets"
cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
    # New inputs go to a scratch corpus; the committed seeds are only read.
    scratch="$(mktemp -d)"
    echo "== fuzz-smoke: $target (${seconds}s)"
    if ! cargo +nightly fuzz run "$target" "$scratch" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -detect_leaks=0 -print_final_stats=1 2>"$scratch.log"; then
        tail -n 40 "$scratch.log"
        echo "fuzz-smoke: $target failed; the input is in fuzz/artifacts/$target/"
        rm -rf "$scratch" "$scratch.log"
        exit 1
    fi
    grep -E '^stat::number_of_executed_units' "$scratch.log" || true
    rm -rf "$scratch" "$scratch.log"
done
echo "fuzz-smoke: all targets ran ${seconds}s without a crash"
