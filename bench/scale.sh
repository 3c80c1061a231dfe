#!/usr/bin/env bash
# Scale: how the viewer copes with big traces, and with traces ten times bigger.
#
#   bench/scale.sh [all|ctf|kernel|ftrace|perpid]...     (default: all)
#
# For each trace (generated once, cached in bench/traces/), runs the release binary in a real
# terminal (tmux 160x45) and prints:
#   - first screen: from starting the process to the first frame drawn (RINGSIDE_FRAME_LOG), cold
#     (page cache dropped first, when allowed: trace, binary and libraries read from disk) and warm
#     (the same run again at once);
#   - index: time until the background index is complete, and the trace bytes indexed per second,
#     cold (read from disk while browsing) and warm (best of 3 `view --measure-index` runs with the
#     trace in the page cache: the speed of indexing itself, target >= 1 GB/s on CTF);
#   - peak RSS: the process's VmHWM after browsing while indexing, then G, g, statistics, zoom, fit,
#     and a jump to an event number once the index is complete.
# Then the ratios of each trace ten times bigger to its base: first screen (target: just as fast)
# and peak memory (target: at most 2x). Targets: first screen <= 300 ms, peak RSS < 200 MB.
#
# Traces: a real LTTng-UST trace of 2 M events / 190 MB (bench/ctf-make-trace.sh, needs LTTng) and
# its 10x (20 M events / 1.9 GB); a kernel-like CTF trace with scheduler switches, 2 M and 20 M
# events (bench/make-ctf-trace.py); a kernel trace.dat of 3 M and 30 M events
# (bench/ftrace-record.sh, needs root and tracefs); per-PID buffers of 1000 processes (1000
# traces, 2000 streams, 400 k events).
set -euo pipefail
cd "$(dirname "$0")/.."
what=("${@:-all}")
want() { for w in "${what[@]}"; do [ "$w" = all ] || [ "$w" = "$1" ] && return 0; done; return 1; }

swift build -c release --static-swift-stdlib --product ringside >/dev/null
bin=$(swift build -c release --show-bin-path)/ringside
mkdir -p bench/traces bench/out
socket=ringside-scale-$$
log=$(mktemp -p bench/out scale.XXXXXX)
trap 'tmux -L $socket kill-server 2>/dev/null || true; rm -f "$log"' EXIT

results=()

# first_screen PATH: starts the viewer, prints the milliseconds to its first frame, and quits.
first_screen() {
    local trace=$1 start first
    : > "$log"
    tmux -L $socket kill-server 2>/dev/null || true
    start=$(date +%s%N)
    tmux -L $socket new-session -d -x 160 -y 45 \
        "env RINGSIDE_INDEX_CACHE=off RINGSIDE_FRAME_LOG=$log TERM=xterm-256color LANG=C.UTF-8 $bin $trace; sleep 2"
    for _ in $(seq 500); do grep -q first-frame "$log" 2>/dev/null && break; sleep 0.01; done
    first=$(awk '/first-frame/ {print $2}' "$log")
    tmux -L $socket send-keys q; sleep 0.2
    tmux -L $socket kill-server 2>/dev/null || true
    echo $(( (first - start) / 1000000 ))
}

# warm_index PATH: the complete index with the trace in the page cache (the indexing itself, not
# the disk), best of 3 runs of `view --measure-index` (no terminal, no saved index).
warm_index() {
    local best=""
    for _ in 1 2 3; do
        local s
        s=$(RINGSIDE_INDEX_CACHE=off "$bin" view --measure-index "$1" | sed -n 's/.* index \([0-9.]*\) s .*/\1/p')
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
    done
    echo "$best"
}

# measure NAME PATH: one run in tmux (indexing from scratch: no saved index); appends
# "NAME first_ms index_s bytes peak_mb events warm_first_ms" to results.
measure() {
    local name=$1 trace=$2
    local bytes
    bytes=$(du -sb "$trace" | cut -f1)
    : > "$log"
    tmux -L $socket kill-server 2>/dev/null || true
    # Drop the trace from the page cache so the first screen is measured cold... when allowed.
    sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true
    local start
    start=$(date +%s%N)
    tmux -L $socket new-session -d -x 160 -y 45 \
        "env RINGSIDE_INDEX_CACHE=off RINGSIDE_FRAME_LOG=$log TERM=xterm-256color LANG=C.UTF-8 $bin $trace; sleep 2"
    for _ in $(seq 500); do grep -q first-frame "$log" 2>/dev/null && break; sleep 0.01; done
    local first
    first=$(awk '/first-frame/ {print $2}' "$log")
    # Browse while the index is being built: list moves, end and back, zoom.
    for k in j j NPage NPage G g l + + - 0; do tmux -L $socket send-keys "$k"; sleep 0.05; done
    for _ in $(seq 6000); do grep -q index-complete "$log" 2>/dev/null && break; sleep 0.05; done
    local done_ns events
    done_ns=$(awk '/index-complete/ {print $2}' "$log")
    events=$(awk '/index-complete/ {print $3}' "$log")
    # Browse the whole trace: end, back, statistics, zoom in and out, fit, jump to an event.
    for k in G k k g NPage s; do tmux -L $socket send-keys "$k"; sleep 0.1; done
    sleep 1
    for k in Escape + + + + - - 0 G g; do tmux -L $socket send-keys "$k"; sleep 0.1; done
    tmux -L $socket send-keys t; tmux -L $socket send-keys -l "#$(( ${events:-2} / 2 ))"; tmux -L $socket send-keys Enter
    sleep 0.5
    local pid peak
    pid=$(pgrep -P "$(tmux -L $socket list-panes -F '#{pane_pid}' | head -1)" -x ringside || true)
    peak=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$pid/status 2>/dev/null || echo "?")
    tmux -L $socket send-keys q; sleep 0.3
    tmux -L $socket kill-server 2>/dev/null || true
    local first_ms=$(( (first - start) / 1000000 ))
    local warm_ms
    warm_ms=$(first_screen "$trace")
    local index_s warm_index
    index_s=$(awk -v a="$start" -v b="${done_ns:-0}" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    warm_index=$(warm_index "$trace")
    printf "%-14s %7.0f MB %10s events  first screen cold %4d ms warm %4d ms  index cold %6s s (%4.2f GB/s) warm %6s s (%4.2f GB/s)  peak RSS %4s MB\n" \
        "$name" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "${events:-?}" "$first_ms" "$warm_ms" "$index_s" \
        "$(awk -v b="$bytes" -v s="$index_s" 'BEGIN { print (s > 0 ? b / s / 1e9 : 0) }')" "$warm_index" \
        "$(awk -v b="$bytes" -v s="$warm_index" 'BEGIN { print (s > 0 ? b / s / 1e9 : 0) }')" "$peak"
    results+=("$name $first_ms $index_s $bytes $peak ${events:-0} $warm_ms")
}

ratio() {
    local base=$1 big=$2 b g
    b=$(printf '%s\n' "${results[@]}" | awk -v n="$base" '$1 == n')
    g=$(printf '%s\n' "${results[@]}" | awk -v n="$big" '$1 == n')
    [ -n "$b" ] && [ -n "$g" ] || return 0
    echo "$b" "$g" | awk '{ printf "%-14s vs %-14s events x%.1f: first screen cold %d -> %d ms (x%.2f), warm %d -> %d ms (x%.2f), peak RSS %d -> %d MB (x%.2f)\n",
        $1, $8, $13 / ($6 > 0 ? $6 : 1), $2, $9, $9 / ($2 > 0 ? $2 : 1), $7, $14, $14 / ($7 > 0 ? $7 : 1), $5, $12, $12 / ($5 > 0 ? $5 : 1) }'
}

if want ctf && command -v lttng >/dev/null; then
    small=$(bench/ctf-make-trace.sh 143000)
    big=$(bench/ctf-make-trace.sh 1430000)
    measure ctf-ust-2M "$small"
    measure ctf-ust-20M "$big"
fi
if want kernel; then
    [ -f bench/traces/ui-2000k/metadata ] || python3 bench/make-ctf-trace.py bench/traces/ui-2000k 2000000 4 >/dev/null
    [ -f bench/traces/ui-20000k/metadata ] || python3 bench/make-ctf-trace.py bench/traces/ui-20000k 20000000 4 >/dev/null
    measure ctf-kernel-2M bench/traces/ui-2000k
    measure ctf-kernel-20M bench/traces/ui-20000k
fi
if want ftrace && [ "$(id -u)" = 0 ] && [ -d /sys/kernel/tracing ]; then
    [ -s bench/traces/ftrace-3m.dat ] || bench/ftrace-record.sh bench/traces/ftrace-3m.dat 3000000
    [ -s bench/traces/ftrace-30m.dat ] || bench/ftrace-record.sh bench/traces/ftrace-30m.dat 30000000
    measure ftrace-3M bench/traces/ftrace-3m.dat
    measure ftrace-30M bench/traces/ftrace-30m.dat
fi
if want perpid; then
    [ -d bench/traces/perpid-1000/pid-04999 ] || python3 bench/make-ctf-trace.py bench/traces/perpid-1000 400000 2 1000 >/dev/null
    measure perpid-1000 bench/traces/perpid-1000
fi
echo "-- ten times bigger"
ratio ctf-ust-2M ctf-ust-20M
ratio ctf-kernel-2M ctf-kernel-20M
ratio ftrace-3M ftrace-30M
echo "targets: first screen <= 300 ms and as fast at 10x; peak RSS < 200 MB and at most x2 at 10x (2 cores shared with builds: times are noisy)"
