#!/usr/bin/env bash
# Records ringside's CTF fixtures with lttng-tools and the tracepoint provider in provider/, then
# writes babeltrace2's output for each as golden files.
#
# Needs: lttng-tools, liblttng-ust-dev, babeltrace2, a C compiler, root (for lttng-sessiond).
#
#   Tests/Fixtures/ctf/make-fixtures.sh
#
# Traces (under traces/), each well under 1 MB:
#   ust-all-uid      every field type, per-UID buffers, contexts, 2 threads on both CPUs, lossless
#   ust-all-pid      the same with per-PID buffers (babeltrace2 shows procname and vpid)
#   ust-discard      discard mode with tiny buffers: lost events and babeltrace2's warnings
#   ust-overwrite    overwrite (flight recorder) mode: only the last packets, gaps in packet numbers
#   ust-all-bt2      ust-all-uid rewritten by `babeltrace2 convert` (inline types, offset_s,
#                    64-bit stream ids)
# Golden files (under golden/): NAME.babeltrace.txt is `TZ=UTC babeltrace2 traces/NAME` standard
# output, NAME.babeltrace.err its standard error with the absolute fixture directory replaced by
# @FIXTURES@ (babeltrace2 names stream files by absolute path).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
make -s -C provider OUT="$build" >/dev/null
workload="$build/workload"

pgrep -x lttng-sessiond >/dev/null || lttng-sessiond --daemonize
session="ringside-fixtures-$$"

# record NAME CHANNEL_OPTIONS CONTEXT_OPTIONS ENV WORKLOAD_ARGS...
record() {
    local name=$1 channel=$2 contexts=$3 env=$4
    shift 4
    rm -rf "traces/$name"
    lttng create "$session" --output="$here/traces/$name" >/dev/null
    # shellcheck disable=SC2086
    lttng enable-channel -u ch0 -s "$session" $channel >/dev/null
    lttng enable-event -u 'ringside:*' -c ch0 -s "$session" >/dev/null
    # shellcheck disable=SC2086
    [ -z "$contexts" ] || lttng add-context -u -c ch0 -s "$session" $contexts >/dev/null
    lttng start "$session" >/dev/null
    env $env "$workload" "$@"
    lttng stop "$session" >/dev/null
    lttng destroy "$session" >/dev/null
    # The LTTng index files are not part of CTF; keep the fixtures small.
    find "traces/$name" -name index -type d -exec rm -rf {} +
}

record ust-all-uid "--subbuf-size=64K --num-subbuf=4 --blocking-timeout=inf" \
    "-t vpid -t vtid -t procname -t pthread_id -t ip" "LTTNG_UST_ALLOW_BLOCKING=1" all 30 2
record ust-all-pid "--buffers-pid --subbuf-size=64K --num-subbuf=4 --blocking-timeout=inf" \
    "-t vtid -t procname" "LTTNG_UST_ALLOW_BLOCKING=1" all 12 2
record ust-discard "--discard --subbuf-size=4K --num-subbuf=2" "-t vtid" "" all 1500 2
record ust-overwrite "--overwrite --subbuf-size=4K --num-subbuf=4" "-t vtid" "" all 1500 2
rm -rf traces/ust-all-bt2
babeltrace2 convert traces/ust-all-uid --output-format=ctf --output=traces/ust-all-bt2 >/dev/null

mkdir -p golden
for name in ust-all-uid ust-all-pid ust-discard ust-overwrite ust-all-bt2; do
    TZ=UTC babeltrace2 "traces/$name" >"golden/$name.babeltrace.txt" 2>"golden/$name.babeltrace.err.raw" || true
    sed "s|$here/traces|@FIXTURES@|g" "golden/$name.babeltrace.err.raw" >"golden/$name.babeltrace.err"
    rm "golden/$name.babeltrace.err.raw"
done
du -sh traces/*
