#!/usr/bin/env bash
# Makes a replay directory for `ringside live --replay` from a real recording: getppid() calls at
# full speed for SECONDS with syscalls:sys_{enter,exit}_getppid, recorded uncompressed by
# `ringside record`, then the raw pages of each CPU cut out of the trace.dat file, with the format
# files and header the live path needs. Used by bench/live-replay-cpu.sh.
# Usage: bench/live-make-replay.sh OUTDIR [SECONDS=1]      (needs root and tracefs)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?output directory}
SECONDS_RUN=${2:-1}
T=/sys/kernel/tracing
mkdir -p "$dir/formats/syscalls" "$dir/formats/ftrace"
gcc -O2 -pthread -o bench/out/live-load bench/live-load.c
swift build -c release --static-swift-stdlib --product ringside >/dev/null
RINGSIDE_STATE_DIR=bench/out/state .build/release/ringside record --compression none --buffer-size 65536 \
    -e syscalls:sys_enter_getppid -e syscalls:sys_exit_getppid -o "$dir/trace.dat" \
    -- bench/out/live-load 2 100000000 "$SECONDS_RUN" >/dev/null
cp "$T/events/header_page" "$T/events/header_event" "$T/saved_cmdlines" "$dir/"
for e in sys_enter_getppid sys_exit_getppid; do cp "$T/events/syscalls/$e/format" "$dir/formats/syscalls/$e"; done
cp "$T/events/ftrace/print/format" "$dir/formats/ftrace/print"
python3 - "$dir" <<'PY'
import struct, sys
d = sys.argv[1]
f = open(d + "/trace.dat", "rb").read()
p = 10 + f.index(b"\0", 10) - 10 + 1 + 6
p = f.index(b"\0", p) + 1; p = f.index(b"\0", p) + 1
opt, = struct.unpack_from("<Q", f, p)
while opt:
    sid, flags, sd, size = struct.unpack_from("<HHIQ", f, opt)
    q, end, nxt = opt + 16, opt + 16 + size, 0
    while q < end:
        oid, osz = struct.unpack_from("<HI", f, q); q += 6
        data = f[q:q + osz]; q += osz
        if oid == 0:
            nxt, = struct.unpack("<Q", data); break
        if oid == 3:
            r = 8; r = data.index(b"\0", r) + 1; r = data.index(b"\0", r) + 1
            page, n = struct.unpack_from("<II", data, r); r += 8
            for i in range(n):
                cpu, off, sz = struct.unpack_from("<IQQ", data, r); r += 20
                open(f"{d}/cpu{cpu}.pages", "wb").write(f[off:off + sz])
    opt = nxt
PY
# trace.dat stays: bench/live-replay-cpu.sh runs trace-cmd report on it as the reference.
ls -la "$dir"
