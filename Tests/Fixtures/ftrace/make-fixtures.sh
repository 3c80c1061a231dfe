#!/usr/bin/env bash
# Records the ftrace test fixtures on this machine and writes trace-cmd's reports beside them as
# golden files. Needs root, tracefs, trace-cmd, gcc and python3. Every recording uses its own tracefs
# instance (removed by `trace-cmd extract -B`, and again on exit) and the uprobes it adds are removed.
#
# trace-cmd record cannot run here (the function tracer is not permitted), so events are enabled
# through tracefs and the buffers read with `trace-cmd extract`; the files are then made small by
# minimize-tracedat.py and rewritten in the other file versions by `trace-cmd convert`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
tracefs=/sys/kernel/tracing
[ -e $tracefs/trace ] || mount -t tracefs nodev $tracefs
work=$(mktemp -d)
instances=()
probes_added=0
cleanup() {
    for i in "${instances[@]}"; do
        d=$tracefs/instances/$i
        [ -d "$d" ] || continue
        echo 0 > "$d/events/enable" 2>/dev/null || true
        rmdir "$d" 2>/dev/null || true
    done
    if [ $probes_added = 1 ]; then
        echo '-:ringside_fixture/target' >> $tracefs/uprobe_events 2>/dev/null || true
        echo '-:ringside_fixture/target_ret' >> $tracefs/uprobe_events 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

new_instance() {  # NAME BUFFER_KB: sets $dir (no subshell, so cleanup knows the instance)
    local name=ringside-fixture-$1-$$
    instances+=("$name")
    mkdir $tracefs/instances/$name
    echo "$2" > $tracefs/instances/$name/buffer_size_kb
    dir=$tracefs/instances/$name
}

enable() {  # INSTANCE_DIR EVENT...
    local dir=$1; shift
    for e in "$@"; do
        [ -e "$dir/events/$e/enable" ] && echo 1 > "$dir/events/$e/enable"
    done
    return 0
}

workload() {  # INSTANCE_DIR: a little of everything
    local dir=$1
    # (a marker write fails on a CPU outside the instance's tracing_cpumask)
    echo "héllo wörld ✓ marker from ringside" > "$dir/trace_marker" || true
    ls / > /dev/null
    sleep 0.05
    dd if=/dev/zero of="$work/file" bs=16k count=4 conv=fsync status=none
    rm -f "$work/file"
    python3 - <<'PY'
import os, signal, socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.send(b'x' * 3000); a.recv(4000); c.close(); a.close(); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'hi', ('127.0.0.1', 9)); u.close()
signal.signal(signal.SIGUSR1, lambda *a: None); os.kill(os.getpid(), signal.SIGUSR1)
t = threading.Timer(0.01, lambda: None); t.start(); t.join()
os.sched_yield()
PY
    echo "second marker: ünïcödé → done" > "$dir/trace_marker" || true
}

extract() {  # OUTPUT.dat INSTANCE_NAME...
    local dat=$1; shift
    local args=()
    for i in "$@"; do args+=(-B "$i"); done
    (cd "$work" && trace-cmd extract "${args[@]}" -o "$dat" > /dev/null 2>&1)
}

variants() {  # BASE RAW.dat: write BASE-v6.dat, BASE-v7.dat (zstd) and optional others
    local base=$1 raw=$2; shift 2
    trace-cmd convert -i "$raw" -o "$work/v6.dat" --file-version 6 --compression none > /dev/null 2>&1
    python3 "$here/minimize-tracedat.py" "$work/v6.dat" "$out/$base-v6.dat"
    trace-cmd convert -i "$out/$base-v6.dat" -o "$out/$base-v7.dat" --file-version 7 --compression zstd > /dev/null 2>&1
    for extra in "$@"; do
        case $extra in
            # (this trace-cmd build has no zlib: `trace-cmd list -c`)
            none) trace-cmd convert -i "$out/$base-v6.dat" -o "$out/$base-v7-none.dat" --file-version 7 --compression none > /dev/null 2>&1 ;;
        esac
    done
}

# 1. Every event this kernel has, a mixed workload (small buffer: may drop events under load).
new_instance wide 48
echo 1 > "$dir/events/enable"
workload "$dir"
echo 0 > "$dir/events/enable"
extract "$work/wide.dat" "$(basename "$dir")"
variants wide "$work/wide.dat" none

# 2. uprobes with fetched arguments and a return probe, plus markers and process events.
gcc -O1 -o "$work/probe-target" "$here/probe-target.c"
offset=$(python3 - "$work/probe-target" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
shoff, = struct.unpack_from('<Q', b, 0x28); shentsize, shnum, shstrndx = struct.unpack_from('<HHH', b, 0x3A)
phoff, = struct.unpack_from('<Q', b, 0x20); phentsize, phnum = struct.unpack_from('<HH', b, 0x36)
secs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
symtab = next(s for s in secs if s[1] == 2); strtab = secs[symtab[6]]
for k in range(symtab[5] // 24):
    name, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', b, symtab[4] + k * 24)
    n = b[strtab[4] + name:b.index(b'\0', strtab[4] + name)]
    if n == b'ringside_probe_target':
        for i in range(phnum):
            ptype, flags, off, vaddr, paddr, filesz, memsz, align = struct.unpack_from('<IIQQQQQQ', b, phoff + i * phentsize)
            if ptype == 1 and vaddr <= value < vaddr + memsz:
                print(hex(value - vaddr + off)); sys.exit(0)
sys.exit(1)
PY
)
echo "p:ringside_fixture/target $work/probe-target:$offset number=%di:s32 wide=%si:s64 text=+0(%dx):string hex=%di:x32" >> $tracefs/uprobe_events
echo "r:ringside_fixture/target_ret $work/probe-target:$offset ret=\$retval:s32" >> $tracefs/uprobe_events
probes_added=1
new_instance uprobes 512
enable "$dir" ringside_fixture sched/sched_process_exec sched/sched_process_fork sched/sched_process_exit \
    sched/sched_process_free signal task
echo "uprobe marker: ☃ snowman" > "$dir/trace_marker"
"$work/probe-target" > /dev/null
"$work/probe-target" > /dev/null
echo 0 > "$dir/events/enable"
extract "$work/uprobes.dat" "$(basename "$dir")"
echo '-:ringside_fixture/target' >> $tracefs/uprobe_events
echo '-:ringside_fixture/target_ret' >> $tracefs/uprobe_events
probes_added=0
variants uprobes "$work/uprobes.dat"

# 3. A lossy recording: a tiny buffer under heavy syscall load drops events.
new_instance lossy 8
enable "$dir" raw_syscalls/sys_enter raw_syscalls/sys_exit sched/sched_switch
dd if=/dev/zero of=/dev/null bs=1 count=40000 status=none
echo 0 > "$dir/events/enable"
extract "$work/lossy.dat" "$(basename "$dir")"
variants lossy "$work/lossy.dat"

# 4. Two instances in one file: one on CPU 0 only (CPU 1 empty), one with the counter clock.
new_instance one 32; a=$dir
new_instance two 32; b=$dir
echo 1 > "$a/tracing_cpumask"
echo counter > "$b/trace_clock"
enable "$a" sched timer/hrtimer_start timer/hrtimer_expire_entry
enable "$b" irq workqueue syscalls/sys_enter_openat syscalls/sys_exit_openat
workload "$a"
echo 0 > "$a/events/enable"; echo 0 > "$b/events/enable"
extract "$work/instances.dat" "$(basename "$a")" "$(basename "$b")"
variants instances "$work/instances.dat"

# 5. The x86-tsc clock (timestamps in clock counts) with block and ext4 events.
new_instance tsc 64
echo x86-tsc > "$dir/trace_clock" 2>/dev/null || echo counter > "$dir/trace_clock"
enable "$dir" block ext4 writeback filemap jbd2
dd if=/dev/zero of="$work/file" bs=8k count=4 conv=fsync status=none
sync "$work/file" || true
echo 0 > "$dir/events/enable"
extract "$work/tsc.dat" "$(basename "$dir")"
variants tsc "$work/tsc.dat"

# Golden files: what trace-cmd prints, once per recording (every file version of a recording must
# print the same text).
for base in wide uprobes lossy instances tsc; do
    trace-cmd report -N -t "$out/$base-v7.dat" > "$out/$base.tc.txt" 2> /dev/null
    trace-cmd report -R -t "$out/$base-v7.dat" > "$out/$base.tcraw.txt" 2> /dev/null
    for f in "$out/$base"-*.dat; do
        trace-cmd report -N -t "$f" 2> /dev/null | cmp -s - "$out/$base.tc.txt" || { echo "$f: trace-cmd output differs from $base-v7.dat" >&2; exit 1; }
        trace-cmd report -R -t "$f" 2> /dev/null | cmp -s - "$out/$base.tcraw.txt" || { echo "$f: trace-cmd -R output differs from $base-v7.dat" >&2; exit 1; }
    done
done
# `trace-cmd report -F EVENT` goldens for `dump --filter` (trace-cmd 3.1.6 crashes at exit after a
# filtered report, losing its buffered output: stdbuf -o0 keeps every line).
stdbuf -o0 trace-cmd report -N -t -F sys_enter "$out/lossy-v7.dat" > "$out/lossy.sys_enter.tc.txt" 2> /dev/null || true
stdbuf -o0 trace-cmd report -N -t -F sched_switch "$out/instances-v7.dat" > "$out/instances.sched_switch.tc.txt" 2> /dev/null || true
ls -la "$out"
