import Glibc
import TraceIO
import TraceKit

/// The whole of `trace-cmd report -N -t [-R] FILE` for trace.dat traces: the `cpus=N` header,
/// then every record of every buffer merged by time, instance records prefixed with their
/// instance name.
public struct TraceCmdReport {
    public let traces: [TraceDatTrace]
    public let raw: Bool
    /// Render CPU streams on worker threads (same output). Nil: when the trace is big enough for it
    /// to pay (raw output is always rendered in order, as libtraceevent's state depends on it).
    public var parallel: Bool?
    /// `--filter`: makes the record filter of each CPU stream (by index in report order; each is
    /// used on one thread). Rejected events print nothing; a `CPU:N [K EVENTS DROPPED]` line prints
    /// only when the event after the drop is printed, as with `trace-cmd report -F`.
    public var makeFilter: ((Int) throws -> (EventRecord) -> Bool)?
    /// Worker threads when rendering in parallel (default: one per core; tests ask for more).
    var workerCount: Int?
    /// Pages per part of a CPU stream (default: `partBytes` of pages; tests make small parts).
    var partPages: Int?
    /// Where the lines go in large chunks, straight (e.g. to a file descriptor) instead of being
    /// copied into the `OutputBuffer` first; what that buffer holds is flushed before each chunk.
    public var directSink: OutputBuffer.Sink?

    public init(traces: [TraceDatTrace], raw: Bool, parallel: Bool? = nil) {
        self.traces = traces
        self.raw = raw
        self.parallel = parallel
    }

    /// Writes the report. Records of a stream that turns out damaged end at the damage; the
    /// other streams go on. Returns the errors met (the caller reports them after the output).
    public func write(to out: OutputBuffer) throws -> [TraceError] {
        var errors: [TraceError] = []
        let multipleInputs = traces.count > 1
        var sources: [ReportSource] = []
        var streams: [FtraceCPUStream] = []
        defer { withExtendedLifetime(streams) {} }
        var labels: [[UInt8]] = []
        // trace-cmd lists every file's top buffer first, then the instances.
        var order: [(trace: Int, stream: Int, label: [UInt8]?)] = []
        for (t, trace) in traces.enumerated() {
            let fileName = Array(trace.name.utf8)
            for s in trace.streams.indices where trace.file.buffers[trace.bufferOfStream[s]].name.isEmpty {
                order.append((t, s, multipleInputs ? fileName : nil))
            }
        }
        var anyInstance = false
        for (t, trace) in traces.enumerated() {
            for s in trace.streams.indices {
                let buffer = trace.file.buffers[trace.bufferOfStream[s]]
                if !buffer.name.isEmpty {
                    anyInstance = true
                    order.append((t, s, Array(buffer.name.utf8)))
                }
            }
        }
        let prefixed = multipleInputs || anyInstance
        for (t, s, label) in order {
            if let label { labels.append(label) }
            do {
                let stream = try traces[t].openStream(s)
                guard let cpuStream = stream as? FtraceCPUStream else { continue }
                streams.append(cpuStream)
                let filter = try makeFilter?(sources.count)
                sources.append(ReportSource(trace: t, streamIndex: s, stream: cpuStream, label: label,
                                            cpu: Int(traces[t].streams[s].cpu),
                                            filter: filter))
            } catch let e as TraceError {
                errors.append(e)
            }
        }
        let labelWidth = labels.map(\.count).max() ?? 0
        for trace in traces {
            var header = LineBuffer(capacity: 256)
            if multipleInputs { writePrefix(Array(trace.name.utf8), width: labelWidth, to: &header) }
            header.write("cpus=")
            header.writeDecimal(Int64(trace.file.cpuCount))
            header.write(byte: 0x0A)
            header.copy(to: out)
            header.deallocate()
        }
        let nanoseconds = traces.map { $0.file.timestampsInNanoseconds }

        // Each source's line prefix, built once.
        var prefixStorage = LineBuffer(capacity: 256)
        defer { prefixStorage.deallocate() }
        var prefixRanges: [Range<Int>] = []
        for source in sources {
            let start = prefixStorage.count
            if prefixed { writePrefix(source.label, width: labelWidth, to: &prefixStorage) }
            prefixRanges.append(start..<prefixStorage.count)
        }
        let prefixes = prefixRanges.map { UnsafeRawBufferPointer(rebasing: prefixStorage.bytes[$0]) }
        let dataBytes = traces.reduce(UInt64(0)) { total, t in t.file.buffers.flatMap(\.cpus).reduce(total) { $0 + $1.size } }
        let useWorkers = !raw && !sources.isEmpty && (parallel ?? (dataBytes >= 1 << 20 && TraceCmdReport.coresAreIdle))
        if useWorkers {
            try mergeRendered(sources, prefixes: prefixes, nanoseconds: nanoseconds, errors: &errors, to: out)
            return errors
        }
        // Merge: earliest timestamp first, ties to the earlier source (trace-cmd's order). The heap
        // compares cached keys so that ordering touches no stream object.
        let count = sources.count
        // Plain buffers: the loop updates them for every record, without copy-on-write checks.
        let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(1, count))
        keys.initialize(repeating: .max)
        defer { keys.deallocate() }
        let streamRefs = sources.map { Unmanaged.passUnretained($0.stream) }
        let cpus = sources.map(\.cpu)
        let traceOf = sources.map(\.trace)
        var heap = MergeHeap(count: count)
        for i in 0..<count {
            if let r = streamRefs[i].takeUnretainedValue().current {
                keys[i] = UInt64(bitPattern: r.timestamp)
                heap.insert(i) { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
            }
        }
        let skipPrefix = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(1, count))
        skipPrefix.initialize(repeating: false)
        defer { skipPrefix.deallocate() }
        let drops = UnsafeMutableBufferPointer<PendingDrop>.allocate(capacity: max(1, count))
        drops.initialize(repeating: PendingDrop())
        defer { drops.deallocate() }
        let filters = sources.map(\.filter)
        let writers = traces.map { TraceCmdLineWriter(catalog: $0.file.catalog, raw: raw) }
        defer { for w in writers { w.deallocate() } }
        // Lines are built in a plain buffer and handed to `out` in batches.
        var line = LineBuffer(capacity: 1 << 17)
        defer { line.deallocate() }
        while let top = heap.top {
            try streamRefs[top]._withUnsafeGuaranteedRef { stream in
            if let record = stream.current {
                switch record.kind {
                case .lostEvents(let lost, _):
                    if record.position.offset == 0 {
                        if filters[top] != nil {
                            drops[top].hold(lost)
                        } else {
                            line.write(prefixes[top])
                            TraceCmdLine.writeDropped(cpu: cpus[top], count: lost, to: &line)
                            skipPrefix[top] = true
                        }
                    }
                case .event:
                    let t = traceOf[top]
                    if let filter = filters[top] {
                        var tagged = record
                        tagged.trace = Int32(t)
                        let drop = drops[top].take()
                        guard filter(tagged) else { break }
                        if let drop {
                            line.write(prefixes[top])
                            TraceCmdLine.writeDropped(cpu: cpus[top], count: drop, to: &line)
                            skipPrefix[top] = true
                        }
                    }
                    if !skipPrefix[top] { line.write(prefixes[top]) }
                    skipPrefix[top] = false
                    writers[t].writeEvent(stream.currentData, cpu: cpus[top], timestamp: UInt64(bitPattern: record.timestamp),
                                          nanoseconds: nanoseconds[t], to: &line)
                }
            }
            if line.count >= 1 << 16 {
                try hand(&line, to: out)
            }
            do {
                try stream.advance()
            } catch let e as TraceError {
                errors.append(e)
            } catch {
                errors.append(TraceError(file: traces[traceOf[top]].path, "\(error)"))
            }
            if let next = stream.current {
                keys[top] = UInt64(bitPattern: next.timestamp)
                heap.siftDownTop { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
            } else {
                heap.removeTop { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
            }
            }
        }
        try hand(&line, to: out)
        return errors
    }

    /// Passes the lines built so far on (see `directSink`) and empties `line`.
    private func hand(_ line: inout LineBuffer, to out: OutputBuffer) throws {
        defer { line.removeAll() }
        if let directSink {
            try out.flush()
            if line.count > 0 { try directSink(line.bytes) }
        } else {
            line.copy(to: out)
            try out.flushIfNeeded()
        }
    }

    /// Threads pay only when a core is free for them: on a busy machine the hand-offs cost more than
    /// they save.
    static var coresAreIdle: Bool { CoreAvailability.hasIdleCore }

    /// The merge when worker threads render the streams: each CPU stream is cut into parts of
    /// `partPages` pages rendered on their own (ring-buffer pages hold absolute times), the
    /// earliest parts first (`PartPool`), so all cores render even when one CPU holds most of the
    /// records. Lines arrive in chunks per stream and are interleaved by timestamp exactly as the
    /// sequential merge orders records.
    private func mergeRendered(_ sources: [ReportSource], prefixes: [UnsafeRawBufferPointer], nanoseconds: [Bool],
                               errors: inout [TraceError], to out: OutputBuffer) throws {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        defer { pthread_mutex_destroy(lock); lock.deallocate() }
        let count = sources.count
        let workerWriters = traces.map { trace in LineWriterPool { TraceCmdLineWriter(catalog: trace.file.catalog, raw: false, planLock: lock) } }
        let mainWriters = traces.map { TraceCmdLineWriter(catalog: $0.file.catalog, raw: false, planLock: lock) }
        defer {
            for w in mainWriters { w.deallocate() }
        }
        let workers = workerCount ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let pages = partPages ?? max(1, TraceCmdReport.partBytes / max(1, traces.map(\.file.pageSize).max() ?? 4096))
        let ranges = sources.map { source in
            workers > 1 ? ReportPart.ranges(of: self.traces[source.trace], stream: source.streamIndex, pagesPerPart: pages)
                        : [PartRange(first: 0, end: .max, time: .min)]
        }
        let traces = self.traces
        let makeFilter = self.makeFilter
        let pool = PartPool<RenderedChunk>(streams: ranges, chunkLimit: max(8, 4 * count), makeChunk: { RenderedChunk() }) {
            index, part, range in
            let source = sources[index]
            // The first part's filter is the one made with the stream.
            let filter = part == 0 ? source.filter : try makeFilter?(index)
            let renderer = try ReportPart(trace: traces[source.trace], traceIndex: source.trace, stream: source.streamIndex,
                                          range: range,
                                          writers: workerWriters[source.trace], cpu: source.cpu,
                                          nanoseconds: nanoseconds[source.trace], filter: filter)
            return { renderer.fill($0) }
        }
        pool.start(workers: workers > 1 ? workers : 0)
        defer { pool.stop() }
        var chunks = (0..<count).map { pool.current($0) }
        var positions = [Int](repeating: 0, count: count)
        var keys = [UInt64](repeating: .max, count: count)
        var heap = MergeHeap(count: count)
        func settle(_ i: Int) -> Bool {
            // Moves source i to its next entry; false at the end of its stream.
            while true {
                let c = chunks[i]
                if positions[i] < c.entries.count {
                    keys[i] = c.entries[positions[i]].timestamp
                    return true
                }
                if let e = c.error { errors.append(e) }
                guard pool.advance(i) else { return false }
                chunks[i] = pool.current(i)
                positions[i] = 0
            }
        }
        for i in 0..<count where settle(i) {
            heap.insert(i) { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
        }
        var skipPrefix = [Bool](repeating: false, count: count)
        // Per-source values read for every line, out of the source structs (no reference counting).
        let cpus = sources.map(\.cpu)
        let traceOf = sources.map(\.trace)
        var line = LineBuffer(capacity: 1 << 17)
        defer { line.deallocate() }
        while let top = heap.top {
            let chunk = chunks[top]
            let entry = chunk.entries[positions[top]]
            let bytes = UnsafeRawBufferPointer(start: chunk.text.base + entry.start, count: entry.length)
            switch entry.kind {
            case .dropped:
                line.write(prefixes[top])
                line.write(bytes)
                skipPrefix[top] = true
            case .line:
                if !skipPrefix[top] { line.write(prefixes[top]) }
                skipPrefix[top] = false
                line.write(bytes)
            case .deferred:
                if !skipPrefix[top] { line.write(prefixes[top]) }
                skipPrefix[top] = false
                mainWriters[traceOf[top]].writeEvent(bytes, cpu: cpus[top], timestamp: entry.timestamp,
                                                     nanoseconds: nanoseconds[traceOf[top]], to: &line)
            }
            positions[top] += 1
            if line.count >= 1 << 16 {
                try hand(&line, to: out)
            }
            if settle(top) {
                heap.siftDownTop { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
            } else {
                heap.removeTop { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
            }
        }
        try hand(&line, to: out)
    }

    /// Uncompressed page bytes per part of a CPU stream rendered on its own.
    static let partBytes = 2 << 20

    private func writePrefix(_ label: [UInt8]?, width: Int, to out: inout LineBuffer) {
        let text = label ?? []
        if text.count < width { out.write(repeating: 0x20, count: width - text.count) }
        text.withUnsafeBytes { out.write($0) }
        out.write(label == nil ? "  " : ": ")
    }

}

/// One CPU stream of the report.
struct ReportSource {
    var trace: Int
    /// The stream's index in its trace.
    var streamIndex: Int
    /// Kept alive by `TraceCmdReport.write`'s `streams`.
    unowned(unsafe) var stream: FtraceCPUStream
    /// Instance name or file name printed before lines (nil: no prefix column).
    var label: [UInt8]?
    var cpu: Int
    /// `--filter` (nil: every record).
    var filter: ((EventRecord) -> Bool)?
}

/// A `CPU:N [K EVENTS DROPPED]` line waiting for the next event of its CPU: with a filter it prints
/// only if that event does (trace-cmd reports the drop with the record that follows it).
struct PendingDrop {
    private var held = false
    private var count: UInt64?

    mutating func hold(_ count: UInt64?) {
        held = true
        self.count = count
    }

    /// The held drop (its count, nil inside when unknown), forgotten afterwards.
    mutating func take() -> UInt64?? {
        defer { held = false }
        return held ? .some(count) : nil
    }
}

/// A binary min-heap of source indices with the comparison passed in.
struct MergeHeap {
    private(set) var items: [Int] = []

    init(count: Int) { items.reserveCapacity(count) }

    var top: Int? { items.first }

    mutating func insert(_ i: Int, _ less: (Int, Int) -> Bool) {
        items.append(i)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeTop(_ less: (Int, Int) -> Bool) {
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDownTop(less)
        }
    }

    mutating func siftDownTop(_ less: (Int, Int) -> Bool) {
        var parent = 0
        let n = items.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { return }
            var best = left
            if left + 1 < n && less(items[left + 1], items[left]) { best = left + 1 }
            guard less(items[best], items[parent]) else { return }
            items.swapAt(best, parent)
            parent = best
        }
    }
}
