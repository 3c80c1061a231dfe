#!/usr/bin/env bash
# ringside dump --format trace-cmd against trace-cmd report -N -t on real kernel trace.dat files
# (v7, zstd) recorded on this machine, both writing to /dev/null, side by side in the same run.
# Prints the time ratio (target: ringside at least 10 times faster) and the peak resident memory of
# ringside for a small and a 10-times-larger trace (memory must stay flat as the file grows).
#
# Usage: bench/ftrace-dump.sh [RUNS]     (traces are recorded once and cached in bench/traces/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build -c release --product ringside > /dev/null
ringside=.build/release/ringside
mkdir -p bench/traces
big=bench/traces/ftrace-3m.dat
small=bench/traces/ftrace-300k.dat
[ -f $big ] || bench/ftrace-record.sh $big 3000000
[ -f $small ] || bench/ftrace-record.sh $small 300000

# Same bytes as trace-cmd (checked once per run of the script).
if ! cmp -s <($ringside dump --format trace-cmd $big) <(trace-cmd report -N -t $big 2>/dev/null); then
    echo "ringside output differs from trace-cmd report on $big" >&2
    exit 1
fi
events=$(trace-cmd report -N -t $big 2>/dev/null | wc -l)

measure() {  # prints "seconds max_rss_kb"
    /usr/bin/time -f "%e %M" "$@" > /dev/null 2> /tmp/ringside-bench-time.$$ || true
    tail -1 /tmp/ringside-bench-time.$$
}

echo "trace: $big ($events lines, $(du -h $big | cut -f1))"
printf "%-4s %12s %12s %8s\n" run trace-cmd ringside ratio
best_tc=999999; best_rs=999999
for r in $(seq 1 "$runs"); do
    read -r tc _ < <(measure trace-cmd report -N -t $big)
    read -r rs _ < <(measure $ringside dump --format trace-cmd $big)
    printf "%-4s %11ss %11ss %7.1fx\n" "$r" "$tc" "$rs" "$(echo "$tc / $rs" | bc -l)"
    best_tc=$(echo "if ($tc < $best_tc) $tc else $best_tc" | bc -l)
    best_rs=$(echo "if ($rs < $best_rs) $rs else $best_rs" | bc -l)
done
printf "best %11ss %11ss %7.1fx\n" "$best_tc" "$best_rs" "$(echo "$best_tc / $best_rs" | bc -l)"

read -r _ rss_small < <(measure $ringside dump --format trace-cmd $small)
read -r _ rss_big < <(measure $ringside dump --format trace-cmd $big)
echo "peak RSS: $(du -h $small | cut -f1) trace ${rss_small} KB, $(du -h $big | cut -f1) trace ${rss_big} KB"
rm -f /tmp/ringside-bench-time.$$
