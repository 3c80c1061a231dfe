#!/usr/bin/env bash
# How long an event takes to reach ringside's output: `ringside live --print` runs in its private
# instance; markers carrying the CLOCK_MONOTONIC time they were written go into that instance's
# trace_marker every 50 ms; the time each one is printed is compared with the time it was written.
# The requirement is that events reach the screen within 100 ms. As a reference in the same run,
# `cat trace_pipe` of another instance (the kernel's own text reader) gets the same markers.
#
# Usage: bench/live-latency.sh [MARKERS=60]     (needs root and tracefs)
set -euo pipefail
cd "$(dirname "$0")/.."
MARKERS=${1:-60}
swift build -c release --static-swift-stdlib --product ringside >/dev/null
export RINGSIDE_STATE_DIR=bench/out/state
mkdir -p bench/out
python3 - "$MARKERS" <<'PY'
import os, subprocess, sys, threading, time, statistics
markers = int(sys.argv[1])
T = "/sys/kernel/tracing"
proc = subprocess.Popen([".build/release/ringside", "live", "--print"], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, bufsize=0)
inst = f"{T}/instances/ringside-{proc.pid}"
ref = f"{T}/instances/ringside-latency-ref-{os.getpid()}"
for _ in range(200):
    if os.path.exists(inst + "/trace_marker"):
        break
    time.sleep(0.05)
os.mkdir(ref)
refproc = subprocess.Popen(["cat", ref + "/trace_pipe"], stdout=subprocess.PIPE, bufsize=0)
seen = {"ringside": {}, "reference": {}}
def reader(name, stream):
    buf = b""
    while True:
        chunk = stream.read(4096) if hasattr(stream, "read") else b""
        if not chunk:
            return
        now = time.monotonic_ns()
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            i = line.find(b"lat-")
            if i >= 0:
                seen[name][int(line[i + 4:].split()[0])] = now
threads = [threading.Thread(target=reader, args=("ringside", proc.stdout), daemon=True),
           threading.Thread(target=reader, args=("reference", refproc.stdout), daemon=True)]
for t in threads:
    t.start()
time.sleep(0.5)
fa = os.open(inst + "/trace_marker", os.O_WRONLY)
fb = os.open(ref + "/trace_marker", os.O_WRONLY)
sent = []
for i in range(markers):
    t = time.monotonic_ns()
    os.write(fa, f"lat-{t}".encode())
    os.write(fb, f"lat-{t}".encode())
    sent.append(t)
    time.sleep(0.05)
time.sleep(0.5)
# Close the marker files first: an open file keeps the instance busy.
os.close(fa); os.close(fb)
proc.send_signal(2)
proc.wait(timeout=10)
refproc.kill()
refproc.wait()
os.rmdir(ref)
for name in ("ringside", "reference"):
    lat = sorted((seen[name][t] - t) / 1e6 for t in sent if t in seen[name])
    if not lat:
        print(f"{name}: no markers seen"); continue
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    if os.environ.get("VERBOSE"): print(name, [round(x) for x in lat])
    print(f"{name:9s}: {len(lat)}/{len(sent)} markers seen; latency ms: median {p(0.5):.1f}, p95 {p(0.95):.1f}, max {lat[-1]:.1f}")
PY
