#!/usr/bin/env bash
# Live reading speed: can ringside's reader keep up with RATE events per second across CPUs without
# losing events on its own side? A load program makes getppid() calls (two events each:
# syscalls:sys_enter_getppid and sys_exit_getppid) while `ringside live --summary` reads, decodes and
# walks every record. Printed: events the kernel wrote, events ringside decoded, events the kernel
# lost (its buffer overran: counted separately), events lost on ringside's side (must be 0), and the
# CPU ringside used. As a reference in the same run, the same load with a plain page copier
# (bench/live-rawcopy.c: poll and read pages, no decoding) reading the same kind of instance.
#
# Usage: bench/live-rate.sh [EVENTS_PER_SECOND=1000000] [SECONDS=5] [RUNS=3]
# Needs root and tracefs. Viewer CPU use at 100k events/s: bench/live-viewer-cpu.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-1000000}
SECONDS_RUN=${2:-5}
RUNS=${3:-3}
T=/sys/kernel/tracing
out=bench/out
mkdir -p "$out"
swift build -c release --static-swift-stdlib --product ringside >/dev/null
gcc -O2 -pthread -o "$out/live-load" bench/live-load.c
gcc -O2 -o "$out/live-rawcopy" bench/live-rawcopy.c
BIN=.build/release/ringside
CALLS=$((RATE / 2))
export RINGSIDE_STATE_DIR="$out/state"
ticks=$(getconf CLK_TCK)

cpu_seconds() { # pid -> user+system seconds so far
    awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"
}

for run in $(seq 1 "$RUNS"); do
    # ringside
    "$BIN" live --summary --buffer-size 32768 --duration "$((SECONDS_RUN + 2))s" \
        -e syscalls:sys_enter_getppid -e syscalls:sys_exit_getppid > "$out/live-summary.txt" 2>"$out/live-stderr.txt" &
    rpid=$!
    sleep 1
    start_cpu=$(cpu_seconds $rpid)
    made=$("$out/live-load" 2 "$CALLS" "$SECONDS_RUN")
    end_cpu=$(cpu_seconds $rpid)
    wait $rpid
    decoded=$(awk -F'decoded=' '/^total:/ { split($2, a, " "); print a[1] }' "$out/live-summary.txt")
    read_k=$(awk -F'kernel_read=' '/^total:/ { split($2, a, " "); print a[1] }' "$out/live-summary.txt")
    lost_k=$(awk -F'kernel_lost=' '/^total:/ { split($2, a, " "); print a[1] }' "$out/live-summary.txt")
    events=$((made * 2))
    cpu=$(awk -v a="$start_cpu" -v b="$end_cpu" -v s="$SECONDS_RUN" 'BEGIN { printf "%.1f", (b - a) / s * 100 }')

    # reference: raw page copy, no decoding
    inst="ringside-bench-ref-$$"
    mkdir "$T/instances/$inst"
    echo 32768 > "$T/instances/$inst/buffer_size_kb"
    echo 1 > "$T/instances/$inst/events/syscalls/sys_enter_getppid/enable"
    echo 1 > "$T/instances/$inst/events/syscalls/sys_exit_getppid/enable"
    "$out/live-rawcopy" "$T/instances/$inst" > /dev/null &
    cpid=$!
    sleep 1
    ref_start=$(cpu_seconds $cpid)
    ref_made=$("$out/live-load" 2 "$CALLS" "$SECONDS_RUN")
    ref_end=$(cpu_seconds $cpid)
    echo 0 > "$T/instances/$inst/tracing_on"
    kill -INT $cpid
    wait $cpid || true
    ref_lost=0
    for d in "$T/instances/$inst"/per_cpu/cpu*; do
        ref_lost=$((ref_lost + $(awk '/^overrun:|^dropped events:|^commit overrun:/ { s += $NF } END { print s + 0 }' "$d/stats")))
    done
    rmdir "$T/instances/$inst"
    ref_cpu=$(awk -v a="$ref_start" -v b="$ref_end" -v s="$SECONDS_RUN" 'BEGIN { printf "%.1f", (b - a) / s * 100 }')

    printf 'run %d: load %d events (%.0f/s); ringside decoded %s, kernel handed over %s, ringside-side loss %d, kernel lost %s, ringside CPU %s%% of one core | raw page copy reference: kernel lost %d of %d, CPU %s%% (ringside/reference CPU %s)\n' \
        "$run" "$events" "$(awk -v e="$events" -v s="$SECONDS_RUN" 'BEGIN { print e / s }')" "$decoded" "$read_k" \
        "$((read_k - decoded))" "$lost_k" "$cpu" "$ref_lost" "$((ref_made * 2))" "$ref_cpu" \
        "$(awk -v a="$cpu" -v b="$ref_cpu" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }')"
done
