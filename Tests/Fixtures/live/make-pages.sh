#!/usr/bin/env bash
# Records the ring-buffer pages used by the deterministic live tests, on a real kernel (root,
# tracefs, trace-cmd, gcc, python3). Each fixture directory holds:
#   header_page, header_event         events/header_page and events/header_event
#   formats/SYSTEM/EVENT              the format files of the events that occur (plus ftrace/*)
#   saved_cmdlines, stats.cpuN        task names; the kernel's per-CPU counters after reading
#   cpuN.pages                        whole pages read from per_cpu/cpuN/trace_pipe_raw
#   expected.tc.txt, expected.tcraw.txt
#                                     `trace-cmd report -N -t` / `-R -t` of the same pages put into a
#                                     trace.dat by trace-cmd itself (`trace-cmd restore`)
# Usage: Tests/Fixtures/live/make-pages.sh            (rewrites sched-markers/ and lossy/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
T=/sys/kernel/tracing
work=$(mktemp -d)
inst=ringside-fixture-$$
cleanup() {
    [ -d "$T/instances/$inst" ] && rmdir "$T/instances/$inst" || true
    for p in fx_entry fx_exit; do grep -q "ringside/$p " "$T/uprobe_events" && echo "-:ringside/$p" >> "$T/uprobe_events" || true; done
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O1 -g -o "$work/probe-target" "$here/probe-target.c"
off=$(python3 - "$work/probe-target" <<'PY'
import subprocess, sys
out = subprocess.run(["nm", sys.argv[1]], capture_output=True, text=True).stdout
addr = int(next(l.split()[0] for l in out.splitlines() if l.endswith(" probe_target")), 16)
# PIE built by gcc: the text segment maps file offset = vaddr for this small program; check it.
ph = subprocess.run(["readelf", "-lW", sys.argv[1]], capture_output=True, text=True).stdout
for line in ph.splitlines():
    f = line.split()
    if f and f[0] == "LOAD":
        o, v, fs = int(f[1], 16), int(f[2], 16), int(f[4], 16)
        if v <= addr < v + fs:
            print(hex(addr - v + o)); break
PY
)

read_pages() { # instance-dir out-prefix
    python3 - "$1" "$2" <<'PY'
import os, sys, glob
inst, out = sys.argv[1], sys.argv[2]
for d in sorted(glob.glob(inst + "/per_cpu/cpu*")):
    cpu = d.rsplit("cpu", 1)[1]
    fd = os.open(d + "/trace_pipe_raw", os.O_RDONLY | os.O_NONBLOCK)
    with open(f"{out}/cpu{cpu}.pages", "wb") as f:
        while True:
            try:
                page = os.read(fd, 4096)
            except BlockingIOError:
                break
            if not page:
                break
            f.write(page)
    os.close(fd)
    with open(d + "/stats") as s, open(f"{out}/stats.cpu{cpu}", "w") as o:
        o.write(s.read())
PY
}

finish() { # fixture-dir events...
    local dir=$1; shift
    mkdir -p "$dir/formats"
    cp "$T/events/header_page" "$T/events/header_event" "$dir/"
    cp "$T/saved_cmdlines" "$dir/saved_cmdlines"
    for e in ftrace/print ftrace/bputs ftrace/bprint ftrace/raw_data "$@"; do
        mkdir -p "$dir/formats/${e%/*}"
        cp "$T/events/$e/format" "$dir/formats/$e"
    done
    trace-cmd restore -c -o "$work/head.dat" >/dev/null 2>&1
    trace-cmd restore -i "$work/head.dat" -o "$work/restored.dat" "$dir"/cpu*.pages >/dev/null 2>&1
    trace-cmd report -N -t "$work/restored.dat" > "$dir/expected.tc.txt"
    trace-cmd report -R -t "$work/restored.dat" > "$dir/expected.tcraw.txt"
    kallsyms_subset "$dir"
}

kallsyms_subset() { # fixture-dir: the kernel symbols the expected output names, each with the next one
    python3 - "$1" <<'PY'
import re, sys
d = sys.argv[1]
words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", open(d + "/expected.tc.txt", encoding="utf-8", errors="replace").read()))
lines = open("/proc/kallsyms").read().splitlines()
keep = set()
for i, line in enumerate(lines):
    f = line.split()
    if len(f) >= 3 and f[2] in words and f[1] in "tTwW":
        keep.update((i, i + 1))
with open(d + "/kallsyms", "w") as out:
    for i in sorted(keep):
        if i < len(lines):
            out.write(lines[i] + "\n")
PY
}

# 1. Scheduler events, markers (ASCII and not), a uprobe with arguments and its return probe.
dir="$here/sched-markers"; rm -rf "$dir"; mkdir -p "$dir"
echo "p:ringside/fx_entry $work/probe-target:$off value=%di:s64 text=+0(%si):string" >> "$T/uprobe_events"
echo "r:ringside/fx_exit $work/probe-target:$off result=\$retval:s64" >> "$T/uprobe_events"
mkdir "$T/instances/$inst"
I="$T/instances/$inst"
echo 1 > "$I/events/sched/sched_switch/enable"
echo 1 > "$I/events/sched/sched_wakeup/enable"
echo 1 > "$I/events/sched/sched_process_exec/enable"
echo 1 > "$I/events/ringside/fx_entry/enable"
echo 1 > "$I/events/ringside/fx_exit/enable"
echo "fixture start" > "$I/trace_marker"
"$work/probe-target" 4 >/dev/null
echo "non-ASCII: é ✓ 日本" > "$I/trace_marker"
"$work/probe-target" 2 5 >/dev/null
echo "fixture end" > "$I/trace_marker"
echo 0 > "$I/tracing_on"
read_pages "$I" "$dir"
finish "$dir" sched/sched_switch sched/sched_wakeup sched/sched_process_exec ringside/fx_entry ringside/fx_exit
rmdir "$I"

# 2. A lossy recording: a tiny buffer in overwrite mode flooded before anyone reads.
dir="$here/lossy"; rm -rf "$dir"; mkdir -p "$dir"
mkdir "$I"
echo 8 > "$I/buffer_size_kb"
echo 1 > "$I/events/sched/sched_switch/enable"
python3 - "$I/trace_marker" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for i in range(3000):
    os.write(fd, f"flood {i:05d}".encode())
PY
echo 0 > "$I/tracing_on"
read_pages "$I" "$dir"
finish "$dir" sched/sched_switch
rmdir "$I"
ls -la "$here"/sched-markers "$here"/lossy
