#!/usr/bin/env bash
# CTF dump speed: ringside against babeltrace2 on the same LTTng-UST trace, side by side.
#
#   bench/ctf-dump.sh [ITERATIONS] [REPEAT]
#
# Builds ringside in release mode, records the trace once (bench/ctf-make-trace.sh; the default
# 143000 rounds make about 2 million events), then times, REPEAT times each (default 3):
#   - `ringside dump --format babeltrace` vs `babeltrace2`, both to /dev/null;
#   - a full decode: `ringside dump --format stats` (every field of every event decoded) and
#     `ringside dump --format json` vs `babeltrace2 -o dummy`;
# and prints the best times, their ratios, and peak resident memory (/usr/bin/time -v) of ringside
# on this trace and on a 10-times-smaller one, to show memory stays flat.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-143000}
repeat=${2:-3}
swift build -c release --product ringside >/dev/null
ringside=.build/release/ringside
trace=$(bench/ctf-make-trace.sh "$iterations")
small=$(bench/ctf-make-trace.sh $((iterations / 10)))
export TZ=UTC

# best wall time in seconds of REPEAT runs of a command (output to /dev/null)
best() {
    local best=""
    for _ in $(seq "$repeat"); do
        local t
        t=$( { /usr/bin/time -f "%e" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}
peak_kb() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}'
}
ratio() { awk "BEGIN{printf \"%.1fx\", $1 / $2}"; }

events=$($ringside dump --format stats "$trace" | awk '/^events/ {print $2}')
size=$(du -sm "$trace" | cut -f1)
echo "trace: $trace ($events events, $size MB)"
printf '%-48s %10s\n' "command" "best s"
bt_text=$(best babeltrace2 "$trace")
rs_text=$(best "$ringside" dump --format babeltrace "$trace")
printf '%-48s %10s\n' "babeltrace2 TRACE > /dev/null" "$bt_text"
printf '%-48s %10s   ratio %s\n' "ringside dump --format babeltrace > /dev/null" "$rs_text" "$(ratio "$bt_text" "$rs_text")"
bt_dummy=$(best babeltrace2 -o dummy "$trace")
rs_stats=$(best "$ringside" dump --format stats "$trace")
rs_json=$(best "$ringside" dump --format json "$trace")
printf '%-48s %10s\n' "babeltrace2 -o dummy TRACE" "$bt_dummy"
printf '%-48s %10s   ratio %s\n' "ringside dump --format stats (full decode)" "$rs_stats" "$(ratio "$bt_dummy" "$rs_stats")"
printf '%-48s %10s   ratio %s\n' "ringside dump --format json > /dev/null" "$rs_json" "$(ratio "$bt_dummy" "$rs_json")"
echo "peak resident memory (KB), small trace ($(du -sm "$small" | cut -f1) MB) -> this trace:"
for format in babeltrace stats json; do
    printf '  %-12s %8s -> %8s\n' "$format" "$(peak_kb "$ringside" dump --format $format "$small")" "$(peak_kb "$ringside" dump --format $format "$trace")"
done
printf '  %-12s %8s -> %8s\n' "babeltrace2" "$(peak_kb babeltrace2 "$small")" "$(peak_kb babeltrace2 "$trace")"
