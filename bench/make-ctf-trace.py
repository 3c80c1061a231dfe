#!/usr/bin/env python3
"""Writes a kernel-like CTF 1.8 trace for the viewer benchmark: N events over C per-CPU streams,
sched_switch (LTTng kernel field names: prev_comm/prev_tid/next_comm/next_tid), irq_handler_entry
and syscall_entry_openat, in 64 KiB packets with packet headers and contexts like LTTng writes them.

    bench/make-ctf-trace.py OUT_DIR [EVENTS] [CPUS] [PROCESSES]

With PROCESSES > 0 it writes what an LTTng session with per-PID buffers leaves behind: one trace
directory per process under OUT_DIR (own metadata and UUID), each with one stream per CPU in small
4 KiB packets, EVENTS spread over all of them -- thousands of streams, many traces to merge.

babeltrace2 reads the result (the benchmark script checks that)."""
import os
import random
import struct
import sys
import uuid

out = sys.argv[1]
events = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
cpus = int(sys.argv[3]) if len(sys.argv) > 3 else 4
processes = int(sys.argv[4]) if len(sys.argv) > 4 else 0
PACKET = 4 * 1024 if processes > 0 else 64 * 1024
trace_uuid = uuid.UUID("5e1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8")

metadata = """/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 32; align = 8; signed = true; } := int32_t;
typealias integer { size = 64; align = 8; signed = true; } := int64_t;

trace {
	major = 1;
	minor = 8;
	uuid = "%s";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t  uuid[16];
		uint32_t stream_id;
	};
};

env {
	hostname = "bench";
	domain = "kernel";
	tracer_name = "ringside-bench";
};

clock {
	name = "monotonic";
	uuid = "%s";
	description = "Monotonic Clock";
	freq = 1000000000;
	offset = 0;
};

typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

struct packet_context {
	uint64_clock_monotonic_t timestamp_begin;
	uint64_clock_monotonic_t timestamp_end;
	uint64_t content_size;
	uint64_t packet_size;
	uint64_t events_discarded;
	uint32_t cpu_id;
};

struct event_header {
	uint32_t id;
	uint64_clock_monotonic_t timestamp;
};

stream {
	id = 0;
	event.header := struct event_header;
	packet.context := struct packet_context;
};

event {
	name = "sched_switch";
	id = 0;
	stream_id = 0;
	fields := struct {
		integer { size = 8; align = 8; signed = 1; encoding = UTF8; base = 10; } prev_comm[16];
		int32_t prev_tid;
		int32_t prev_prio;
		int64_t prev_state;
		integer { size = 8; align = 8; signed = 1; encoding = UTF8; base = 10; } next_comm[16];
		int32_t next_tid;
		int32_t next_prio;
	};
};

event {
	name = "irq_handler_entry";
	id = 1;
	stream_id = 0;
	fields := struct {
		int32_t irq;
		string name;
	};
};

event {
	name = "syscall_entry_openat";
	id = 2;
	stream_id = 0;
	fields := struct {
		int32_t dfd;
		string filename;
		int32_t flags;
		uint16_t mode;
	};
};
"""
clock_uuid = uuid.UUID("0f1e2d3c-4b5a-4968-8776-655443322110")

tasks = [(0, "swapper")] + [(1000 + 7 * i, name) for i, name in enumerate(
    ["bash", "make", "cc1", "ld", "kworker/0:1", "rcu_sched", "sshd", "systemd", "postgres", "nginx",
     "python3", "node", "java", "git", "vim", "cargo", "swift-frontend", "ksoftirqd/0", "dbus-daemon"])]
irq_names = [b"eth0", b"nvme0q1", b"i8042", b"ahci", b"xhci_hcd", b"timer"]
files = [b"/etc/ld.so.cache", b"/usr/lib/x86_64-linux-gnu/libc.so.6", b"/proc/self/status", b"/tmp/out.o",
         b"/home/user/project/src/main.c"]
HEADER = struct.Struct("<I16sI")
CONTEXT = struct.Struct("<QQQQQI")
EVENT_HEADER = struct.Struct("<IQ")


def comm(name):
    return name.encode()[:15].ljust(16, b"\0")


def write_trace(directory, trace_uuid, events, seed):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "metadata"), "w") as f:
        f.write(metadata % (trace_uuid, clock_uuid))
    rng = random.Random(seed)
    per_cpu = events // cpus
    for cpu in range(cpus):
        t = 1_000_000_000 + cpu * 331
        running = 0
        since_switch = 0
        payloads = []
        for n in range(per_cpu):
            t += 200 + rng.randrange(20_000)
            if since_switch > rng.randrange(12):
                since_switch = 0
                pick = rng.randrange(10)
                nxt = 0 if pick < 3 else 1 + rng.randrange(5 if pick < 6 else len(tasks) - 1)
                prev_tid, prev_name = tasks[running]
                next_tid, next_name = tasks[nxt]
                body = comm(prev_name) + struct.pack("<iiq", prev_tid, 120, rng.randrange(2)) + comm(next_name) + \
                    struct.pack("<ii", next_tid, 120)
                payloads.append((0, t, body))
                running = nxt
            else:
                since_switch += 1
                if running == 0 or rng.randrange(8) == 0:
                    payloads.append((1, t, struct.pack("<i", 16 + rng.randrange(6)) + irq_names[rng.randrange(6)] + b"\0"))
                else:
                    payloads.append((2, t, struct.pack("<i", -100) + files[rng.randrange(5)] + b"\0" +
                                     struct.pack("<iH", 0o2000000, 0o644)))
        with open(os.path.join(directory, "channel0_%d" % cpu), "wb") as f:
            i = 0
            while i < len(payloads):
                chunk = []
                size = HEADER.size + CONTEXT.size
                j = i
                while j < len(payloads) and size + EVENT_HEADER.size + len(payloads[j][2]) <= PACKET:
                    size += EVENT_HEADER.size + len(payloads[j][2])
                    j += 1
                body = b"".join(EVENT_HEADER.pack(e, ts) + p for e, ts, p in payloads[i:j])
                header = HEADER.pack(0xC1FC1FC1, trace_uuid.bytes, 0)
                context = CONTEXT.pack(payloads[i][1], payloads[j - 1][1], size * 8, PACKET * 8, 0, cpu)
                packet = header + context + body
                f.write(packet + b"\0" * (PACKET - len(packet)))
                i = j


if processes > 0:
    for k in range(processes):
        write_trace(os.path.join(out, "pid-%05d" % (4000 + k)), uuid.UUID(int=trace_uuid.int + k), events // processes, k)
    print("wrote %d events in %d per-process traces of %d CPU streams to %s" % (events // processes * processes, processes, cpus, out))
else:
    write_trace(out, trace_uuid, events, 7)
    print("wrote %d events on %d CPUs to %s" % (events // cpus * cpus, cpus, out))
