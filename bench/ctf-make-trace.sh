#!/usr/bin/env bash
# Records (once) the LTTng-UST trace the CTF benchmarks read: ITERATIONS rounds of ringside's test
# tracepoints (7 events of every field type per round) from 2 threads on both CPUs, with the vpid,
# vtid, procname, pthread_id and ip contexts, lossless (blocking channel). Prints the trace
# directory.
#
#   bench/ctf-make-trace.sh [ITERATIONS]     default 143000 (about 2 million events, 190 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-143000}
out="bench/traces/ctf-ust-v2-$iterations"
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi

build=bench/traces/provider-build
mkdir -p "$build"
make -s -C Tests/Fixtures/ctf/provider OUT="$(pwd)/$build" >&2

pgrep -x lttng-sessiond >/dev/null || lttng-sessiond --daemonize
session="ringside-bench-$$"
rm -rf "$out"
trap 'lttng destroy "$session" >/dev/null 2>&1 || true' EXIT
lttng create "$session" --output="$(pwd)/$out" >/dev/null
lttng enable-channel -u ch0 -s "$session" --subbuf-size=1M --num-subbuf=8 --blocking-timeout=inf >/dev/null
lttng enable-event -u 'ringside:*' -c ch0 -s "$session" >/dev/null
lttng add-context -u -t vpid -t vtid -t procname -t pthread_id -t ip -c ch0 -s "$session" >/dev/null
lttng start "$session" >/dev/null
LTTNG_UST_ALLOW_BLOCKING=1 "$build/workload" all "$iterations" 2
lttng stop "$session" >/dev/null
lttng destroy "$session" >/dev/null
trap - EXIT
touch "$out/done"
echo "$out"
