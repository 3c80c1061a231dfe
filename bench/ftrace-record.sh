#!/usr/bin/env bash
# Records a real kernel trace.dat (v7, zstd) of about EVENTS events on this machine, for the
# ftrace benchmarks. Usage: bench/ftrace-record.sh OUTPUT.dat [EVENTS]
# Needs root and tracefs. Works in a private instance (removed afterwards, even on failure).
set -euo pipefail
out=$1
events=${2:-3000000}
tracefs=/sys/kernel/tracing
[ -e $tracefs/trace ] || mount -t tracefs nodev $tracefs
instance=ringside-bench-$$
dir=$tracefs/instances/$instance
cleanup() {
    if [ -d "$dir" ]; then
        echo 0 > "$dir/tracing_on" 2>/dev/null || true
        echo 0 > "$dir/events/enable" 2>/dev/null || true
        rmdir "$dir" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM
mkdir "$dir"
# ~100 bytes per event, spread over the CPUs; the buffer must hold all of them (no drops).
cpus=$(nproc)
kb=$(( events * 110 / 1024 / cpus + 4096 ))
echo "$kb" > "$dir/buffer_size_kb"
for e in sched/sched_switch sched/sched_wakeup sched/sched_waking sched/sched_stat_runtime \
         raw_syscalls/sys_enter raw_syscalls/sys_exit syscalls/sys_enter_read syscalls/sys_exit_read \
         syscalls/sys_enter_write syscalls/sys_exit_write kmem/kmalloc kmem/kfree kmem/kmem_cache_alloc \
         kmem/kmem_cache_free timer/hrtimer_start timer/hrtimer_expire_entry irq/irq_handler_entry; do
    [ -e "$dir/events/$e/enable" ] && echo 1 > "$dir/events/$e/enable"
done
echo 1 > "$dir/tracing_on"
# Each 1-byte copy is a read and a write: about 8 syscall events per byte.
count=$(( events / 8 ))
dd if=/dev/zero of=/dev/null bs=1 count=$count status=none
echo 0 > "$dir/tracing_on"
trace-cmd extract -B "$instance" -o "$out" >/dev/null 2>&1
trap - EXIT
cleanup
