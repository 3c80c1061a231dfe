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
swift build -c release --static-swift-stdlib --product ringside > /dev/null
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

measure() {  # prints "wall_seconds max_rss_kb cpu_seconds"
    /usr/bin/time -f "%e %M %U %S" "$@" > /dev/null 2> /tmp/ringside-bench-time.$$ || true
    tail -1 /tmp/ringside-bench-time.$$ | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
}

echo "trace: $big ($events lines, $(du -h $big | cut -f1)); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(wall time to /dev/null; CPU = user + system time, less sensitive to other load on the machine)"
printf "%-4s %14s %14s %8s %14s %14s %8s\n" run trace-cmd ringside ratio "trace-cmd CPU" "ringside CPU" ratio
best_tc=999999; best_rs=999999; best_tcc=999999; best_rsc=999999
for r in $(seq 1 "$runs"); do
    read -r tc _ tcc < <(measure trace-cmd report -N -t $big)
    read -r rs _ rsc < <(measure $ringside dump --format trace-cmd $big)
    printf "%-4s %13ss %13ss %7.1fx %13ss %13ss %7.1fx\n" "$r" "$tc" "$rs" "$(echo "$tc / $rs" | bc -l)" \
        "$tcc" "$rsc" "$(echo "$tcc / $rsc" | bc -l)"
    best_tc=$(echo "if ($tc < $best_tc) $tc else $best_tc" | bc -l)
    best_rs=$(echo "if ($rs < $best_rs) $rs else $best_rs" | bc -l)
    best_tcc=$(echo "if ($tcc < $best_tcc) $tcc else $best_tcc" | bc -l)
    best_rsc=$(echo "if ($rsc < $best_rsc) $rsc else $best_rsc" | bc -l)
done
# bc prints values below 1 without their leading zero: printf's %f puts it back.
printf "best %12.2fs %12.2fs %7.1fx %12.2fs %12.2fs %7.1fx\n" "$best_tc" "$best_rs" "$(echo "$best_tc / $best_rs" | bc -l)" \
    "$best_tcc" "$best_rsc" "$(echo "$best_tcc / $best_rsc" | bc -l)"

read -r _ rss_small _ < <(measure $ringside dump --format trace-cmd $small)
read -r _ rss_big _ < <(measure $ringside dump --format trace-cmd $big)
echo "peak RSS: $(du -h $small | cut -f1) trace ${rss_small} KB, $(du -h $big | cut -f1) trace ${rss_big} KB"
rm -f /tmp/ringside-bench-time.$$
