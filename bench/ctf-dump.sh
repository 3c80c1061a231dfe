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
swift build -c release --static-swift-stdlib --product ringside >/dev/null
ringside=.build/release/ringside
trace=$(bench/ctf-make-trace.sh "$iterations")
small=$(bench/ctf-make-trace.sh $((iterations / 10)))
export TZ=UTC

# best wall time of REPEAT runs of a command (output to /dev/null), and the CPU time (user + system)
# of that run: "WALL CPU"
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
best() {
    local best="" cpu=""
    for _ in $(seq "$repeat"); do
        /usr/bin/time -f "%e %U %S" -o "$timing" "$@" >/dev/null 2>&1 || true
        local wall user sys
        read -r wall user sys < <(tail -1 "$timing")
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
            best=$wall
            cpu=$(awk "BEGIN{printf \"%.2f\", $user + $sys}")
        fi
    done
    echo "$best $cpu"
}
peak_kb() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}'
}
ratio() { awk "BEGIN{printf \"%.1fx\", $1 / $2}"; }

events=$($ringside dump --format stats "$trace" | awk '/^events/ {print $2}')
size=$(du -sm "$trace" | cut -f1)
echo "trace: $trace ($events events, $size MB); $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
row() {  # label, "wall cpu", reference "wall cpu"
    local wall cpu
    read -r wall cpu <<<"$2"
    if [ -n "${3:-}" ]; then
        local rwall rcpu
        read -r rwall rcpu <<<"$3"
        printf '%-48s %8s %8s   wall ratio %5s   cpu ratio %5s\n' "$1" "$wall" "$cpu" "$(ratio "$rwall" "$wall")" "$(ratio "$rcpu" "$cpu")"
    else
        printf '%-48s %8s %8s\n' "$1" "$wall" "$cpu"
    fi
}
printf '%-48s %8s %8s\n' "command (best of $repeat)" "wall s" "cpu s"
bt_text=$(best babeltrace2 "$trace")
rs_text=$(best "$ringside" dump --format babeltrace "$trace")
row "babeltrace2 TRACE > /dev/null" "$bt_text"
row "ringside dump --format babeltrace > /dev/null" "$rs_text" "$bt_text"
bt_dummy=$(best babeltrace2 -o dummy "$trace")
rs_stats=$(best "$ringside" dump --format stats "$trace")
rs_json=$(best "$ringside" dump --format json "$trace")
row "babeltrace2 -o dummy TRACE" "$bt_dummy"
row "ringside dump --format stats (full decode)" "$rs_stats" "$bt_dummy"
row "ringside dump --format json > /dev/null" "$rs_json" "$bt_dummy"
echo "peak resident memory (KB), small trace ($(du -sm "$small" | cut -f1) MB) -> this trace:"
for format in babeltrace stats json; do
    printf '  %-12s %8s -> %8s\n' "$format" "$(peak_kb "$ringside" dump --format $format "$small")" "$(peak_kb "$ringside" dump --format $format "$trace")"
done
printf '  %-12s %8s -> %8s\n' "babeltrace2" "$(peak_kb babeltrace2 "$small")" "$(peak_kb babeltrace2 "$trace")"
