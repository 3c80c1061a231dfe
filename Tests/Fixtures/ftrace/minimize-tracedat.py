#!/usr/bin/env python3
"""Rewrites a trace.dat version 6 file (as `trace-cmd convert --file-version 6` writes it) into a
smaller one holding the same records: only the event formats whose ids occur in the data (and all
ftrace formats), and only the kallsyms entries that the data's kernel addresses resolve to (plus the
symbol after each, so lookups end where they did). trace-cmd and ringside read the result alike, so
it serves as a small test fixture. Usage: minimize-tracedat.py IN.dat OUT.dat"""
import bisect
import struct
import sys

src = open(sys.argv[1], 'rb').read()
pos = 0


def take(n):
    global pos
    b = src[pos:pos + n]
    if len(b) != n:
        raise SystemExit('truncated input')
    pos += n
    return b


def u(fmt):
    return struct.unpack(E + fmt, take(struct.calcsize(fmt)))[0]


def cstr():
    global pos
    end = src.index(b'\0', pos)
    s = src[pos:end]
    pos = end + 1
    return s


assert take(10) == b'\x17\x08\x44tracing'
version = cstr()
assert version == b'6', 'needs a version 6 file'
endian = take(1)
E = '>' if endian == b'\x01' else '<'
long_size = take(1)
page_size = u('I')
assert take(12) == b'header_page\0'
header_page = take(u('Q'))
assert take(13) == b'header_event\0'
header_event = take(u('Q'))
ftrace = [take(u('Q')) for _ in range(u('I'))]
systems = []
for _ in range(u('I')):
    name = cstr()
    systems.append((name, [take(u('Q')) for _ in range(u('I'))]))
kallsyms = take(u('I'))
printk = take(u('I'))
cmdlines = take(u('Q'))
cpus = u('I')
assert take(10) == b'options  \0'
options = []
while True:
    oid = u('H')
    if oid == 0:
        break
    options.append((oid, take(u('I'))))
assert take(10) == b'flyrecord\0'
has_clock = any(o == 4 for o, _ in options)


def read_fly():
    cpu_data = [(u('Q'), u('Q')) for _ in range(cpus)]
    clock = take(u('Q')) if has_clock else None
    return cpu_data, clock


top = read_fly()
instances = []
for oid, data in options:
    if oid == 3:
        offset = struct.unpack(E + 'Q', data[:8])[0]
        name = data[8:data.index(b'\0', 8)]
        pos = offset
        assert take(10) == b'flyrecord\0'
        instances.append((name, read_fly()))


def pages(cpu_data):
    for off, size in cpu_data:
        for p in range(off, off + size, page_size):
            yield src[p:p + page_size]


data_offset = 16 if long_size == b'\x08' else 12
ids = set()
addresses = set()
lsize = 8 if long_size == b'\x08' else 4
for cpu_data, _ in [top] + [i[1] for i in instances]:
    for page in pages(cpu_data):
        commit = struct.unpack(E + ('Q' if lsize == 8 else 'I'), page[8:8 + lsize])[0] & ((1 << 27) - 1)
        i = data_offset
        end = data_offset + commit
        while i + 4 <= end:
            w = struct.unpack(E + 'I', page[i:i + 4])[0]
            tl = (w >> 27) if E == '>' else (w & 31)
            if tl == 29:
                n = struct.unpack(E + 'I', page[i + 4:i + 8])[0] if i + 8 <= end else 0
                if n == 0:
                    break
                i += 4 + n
                continue
            if tl in (30, 31):
                i += 8
                continue
            if tl == 0:
                n = (struct.unpack(E + 'I', page[i + 4:i + 8])[0] - 4 + 3) & ~3
                start = i + 8
            else:
                n = tl * 4
                start = i + 4
            rec = page[start:start + n]
            if len(rec) >= 2:
                ids.add(struct.unpack(E + 'H', rec[:2])[0])
            for k in range(0, len(rec) - 7, 4):
                v = struct.unpack(E + 'Q', rec[k:k + 8])[0]
                if v >= 0xffffffff80000000:
                    addresses.add(v)
            i = start + n


def event_id(fmt):
    for line in fmt.split(b'\n'):
        if line.startswith(b'ID:'):
            return int(line[3:].strip())
    return None


systems = [(n, [f for f in fs if event_id(f) in ids]) for n, fs in systems]
systems = [(n, fs) for n, fs in systems if fs]

# kallsyms: keep the symbols the data's addresses fall in, and the one after each.
lines = [l for l in kallsyms.split(b'\n') if l]
syms = []
for l in lines:
    parts = l.split()
    if len(parts) >= 3:
        try:
            syms.append((int(parts[0], 16), l))
        except ValueError:
            pass
syms.sort(key=lambda s: s[0])
starts = [s[0] for s in syms]
keep = set()
for a in addresses:
    k = bisect.bisect_right(starts, a) - 1
    if k >= 0:
        keep.add(k)
        if k + 1 < len(syms):
            keep.add(k + 1)
kallsyms = b''.join(syms[k][1] + b'\n' for k in sorted(keep))

out = bytearray()


def w(fmt, *v):
    out.extend(struct.pack(E + fmt, *v))


out += b'\x17\x08\x44tracing6\0' + endian + long_size
w('I', page_size)
out += b'header_page\0'
w('Q', len(header_page))
out += header_page
out += b'header_event\0'
w('Q', len(header_event))
out += header_event
w('I', len(ftrace))
for f in ftrace:
    w('Q', len(f))
    out += f
w('I', len(systems))
for name, fs in systems:
    out += name + b'\0'
    w('I', len(fs))
    for f in fs:
        w('Q', len(f))
        out += f
w('I', len(kallsyms))
out += kallsyms
w('I', len(printk))
out += printk
w('Q', len(cmdlines))
out += cmdlines
w('I', cpus)
out += b'options  \0'
buffer_patches = []
for oid, data in options:
    w('H', oid)
    w('I', len(data))
    if oid == 3:
        buffer_patches.append(len(out))
    out += data
w('H', 0)


def write_fly(fly):
    cpu_data, clock = fly
    out.extend(b'flyrecord\0')
    table = len(out)
    out.extend(b'\0' * 16 * cpus)
    if clock is not None:
        w('Q', len(clock))
        out.extend(clock)
    return table


def write_data(table, cpu_data):
    for c, (off, size) in enumerate(cpu_data):
        if len(out) % page_size:
            out.extend(b'\0' * (page_size - len(out) % page_size))
        start = len(out) if size else 0
        out.extend(src[off:off + size])
        struct.pack_into(E + 'QQ', out, table + 16 * c, start, size)


top_table = write_fly(top)
write_data(top_table, top[0])
for k, (name, fly) in enumerate(instances):
    struct.pack_into(E + 'Q', out, buffer_patches[k], len(out))
    table = write_fly(fly)
    write_data(table, fly[0])
open(sys.argv[2], 'wb').write(out)
