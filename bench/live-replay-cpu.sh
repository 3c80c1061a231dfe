#!/usr/bin/env bash
# CPU cost of the live decode path, without the kernel in the measurement: pages recorded from a
# getppid() flood (bench/live-make-replay.sh) replayed through `ringside live --replay --summary`
# (page copy and index, per-CPU streams, time-ordered merge of every record). Reference in the same
# run: `trace-cmd report` of the same events from the trace.dat file (it also renders text, so it
# does more per event; the ratio shows the order of magnitude) and ringside's own
# `dump --format trace-cmd` of that file.
# Usage: bench/live-replay-cpu.sh [RUNS=3]      (needs root and tracefs for the first run only)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
dir=bench/out/live-replay
mkdir -p bench/out
[ -f "$dir/cpu0.pages" ] && [ -f "$dir/trace.dat" ] || bench/live-make-replay.sh "$dir" 1 >/dev/null
swift build -c release --static-swift-stdlib --product ringside >/dev/null
BIN=.build/release/ringside
events=$("$BIN" live --replay "$dir" --summary | awk -F'decoded=' '/^total:/ { split($2, a, " "); print a[1] }')
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{ print $1 + $2 }'; }
for run in $(seq 1 "$RUNS"); do
    live=$(cpu "$BIN" live --replay "$dir" --summary)
    dump=$(cpu "$BIN" dump --format trace-cmd "$dir/trace.dat")
    report=$(cpu trace-cmd report -N -t "$dir/trace.dat")
    awk -v e="$events" -v l="$live" -v d="$dump" -v r="$report" -v n="$run" 'BEGIN {
        printf "run %d: %d events; live replay %.2fs CPU (%.2f M events/s per core, %.0f ns/event); ringside dump %.2fs; trace-cmd report %.2fs (report/live %.1fx)\n",
            n, e, l, e / l / 1e6, l / e * 1e9, d, r, r / l }'
done
