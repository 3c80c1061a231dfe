#!/usr/bin/env bash
# CPU the live viewer uses while RATE events per second arrive (requirement: under 10% of one core
# at 100,000 events/s). `ringside live` runs in a real terminal (tmux, 160x45) following the
# newest events of syscalls:sys_{enter,exit}_getppid while bench/live-load.c makes RATE/2 calls per
# second; the viewer process's user+system CPU time over the load is divided by its duration.
# Reference in the same run: the same load with `ringside live --summary` (reading and decoding
# without drawing) and with the raw page copier bench/live-rawcopy.c.
# Usage: bench/live-viewer-cpu.sh [RATE=100000] [SECONDS=10]      (needs root, tracefs, tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-100000}
SECONDS_RUN=${2:-10}
out=bench/out
mkdir -p "$out"
swift build -c release --static-swift-stdlib --product ringside >/dev/null
gcc -O2 -pthread -o "$out/live-load" bench/live-load.c
BIN=$PWD/.build/release/ringside
export RINGSIDE_STATE_DIR=$PWD/$out/state
ticks=$(getconf CLK_TCK)
cpu_seconds() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
measure() { # pid -> CPU percent of one core during the load
    local pid=$1 a b
    a=$(cpu_seconds "$pid")
    "$out/live-load" 2 $((RATE / 2)) "$SECONDS_RUN" > /dev/null
    b=$(cpu_seconds "$pid")
    awk -v a="$a" -v b="$b" -v s="$SECONDS_RUN" 'BEGIN { printf "%.1f", (b - a) / s * 100 }'
}
events="-e syscalls:sys_enter_getppid -e syscalls:sys_exit_getppid"

tmux kill-session -t ringside-bench 2>/dev/null || true
tmux new-session -d -s ringside-bench -x 160 -y 45 "RINGSIDE_STATE_DIR=$RINGSIDE_STATE_DIR $BIN live $events"
sleep 3
pid=$(pgrep -n -f "$BIN live -e syscalls")
viewer=$(measure "$pid")
tmux send-keys -t ringside-bench q
sleep 2
tmux kill-session -t ringside-bench 2>/dev/null || true

"$BIN" live --summary $events --duration "$((SECONDS_RUN + 4))s" > "$out/viewer-ref.txt" 2>/dev/null &
spid=$!
sleep 2
summary=$(measure "$spid")
wait $spid

printf 'at %d events/s: live viewer %s%% of one core; reading+decoding without drawing (--summary) %s%%\n' "$RATE" "$viewer" "$summary"
