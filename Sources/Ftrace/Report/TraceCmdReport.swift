import TraceKit

/// The whole of `trace-cmd report -N -t [-R] FILE` for trace.dat traces: the `cpus=N` header,
/// then every record of every buffer merged by time, instance records prefixed with their
/// instance name.
public struct TraceCmdReport {
    public let traces: [TraceDatTrace]
    public let raw: Bool

    public init(traces: [TraceDatTrace], raw: Bool) {
        self.traces = traces
        self.raw = raw
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
                sources.append(ReportSource(trace: t, stream: cpuStream, label: label, cpu: Int(traces[t].streams[s].cpu)))
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
        let nanoseconds = traces.map { TraceCmdLine.clockCountsNanoseconds($0.file.traceClock) }

        // Merge: earliest timestamp first, ties to the earlier source (trace-cmd's order).
        var heap = MergeHeap(count: sources.count)
        for i in sources.indices where sources[i].stream.current != nil {
            heap.insert(i) { a, b in Self.precedes(sources, a, b) }
        }
        var skipPrefix = Array(repeating: false, count: sources.count)
        let writers = traces.map { TraceCmdLineWriter(catalog: $0.file.catalog, raw: raw) }
        defer { for w in writers { w.deallocate() } }
        // Lines are built in a plain buffer and handed to `out` in batches.
        var line = LineBuffer(capacity: 1 << 17)
        defer { line.deallocate() }
        while let top = heap.top {
            let source = sources[top]
            if let record = source.stream.current {
                switch record.kind {
                case .lostEvents(let count, _):
                    if record.position.offset == 0 {
                        if prefixed { writePrefix(source.label, width: labelWidth, to: &line) }
                        TraceCmdLine.writeDropped(cpu: source.cpu, count: count, to: &line)
                        skipPrefix[top] = true
                    }
                case .event:
                    if prefixed && !skipPrefix[top] { writePrefix(source.label, width: labelWidth, to: &line) }
                    skipPrefix[top] = false
                    writers[source.trace].writeEvent(source.stream.currentData, cpu: source.cpu,
                                                     timestamp: UInt64(bitPattern: record.timestamp),
                                                     nanoseconds: nanoseconds[source.trace], to: &line)
                }
            }
            if line.count >= 1 << 16 {
                line.copy(to: out)
                line.removeAll()
                try out.flushIfNeeded()
            }
            do {
                try source.stream.advance()
            } catch let e as TraceError {
                errors.append(e)
            } catch {
                errors.append(TraceError(file: traces[source.trace].path, "\(error)"))
            }
            if source.stream.current == nil {
                heap.removeTop { a, b in Self.precedes(sources, a, b) }
            } else {
                heap.siftDownTop { a, b in Self.precedes(sources, a, b) }
            }
        }
        line.copy(to: out)
        return errors
    }

    private func writePrefix(_ label: [UInt8]?, width: Int, to out: inout LineBuffer) {
        let text = label ?? []
        if text.count < width { out.write(repeating: 0x20, count: width - text.count) }
        text.withUnsafeBytes { out.write($0) }
        out.write(label == nil ? "  " : ": ")
    }

    @inline(__always)
    private static func precedes(_ sources: [ReportSource], _ a: Int, _ b: Int) -> Bool {
        let ta = UInt64(bitPattern: sources[a].stream.current?.timestamp ?? Int64.max)
        let tb = UInt64(bitPattern: sources[b].stream.current?.timestamp ?? Int64.max)
        return ta != tb ? ta < tb : a < b
    }
}

/// One CPU stream of the report.
private struct ReportSource {
    var trace: Int
    /// Kept alive by `TraceCmdReport.write`'s `streams`.
    unowned(unsafe) var stream: FtraceCPUStream
    /// Instance name or file name printed before lines (nil: no prefix column).
    var label: [UInt8]?
    var cpu: Int
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
