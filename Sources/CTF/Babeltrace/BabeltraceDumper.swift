import Foundation
import TraceKit

/// `dump --format babeltrace`: writes a set of CTF traces exactly as `babeltrace2 PATH` does with
/// its default `sink.text.pretty` options, and its discarded-events warnings on standard error.
///
/// Streams are decoded and formatted in chunks on worker threads (one chunk ahead per stream);
/// this thread merges them in babeltrace2's muxer order and adds the time and delta columns,
/// which depend on the merged order. The output is the same with any number of threads.
public final class BabeltraceDumper {
    private let traces: [CTFTrace]
    @exclusivity(unchecked)
    private var clock = BabeltraceClockWriter()
    @exclusivity(unchecked)
    private var lastTimestamp: Int64?
    @exclusivity(unchecked)
    private var warnings: BabeltraceWarnings
    /// Lines being built; handed to the output in large chunks.
    @exclusivity(unchecked)
    private var line = TextBuffer(capacity: 1 << 18)
    /// Whether to format on worker threads (the result is identical either way).
    public var parallel = true
    /// Worker threads when `parallel` (default: one per core; tests ask for more).
    var workerCount: Int?
    /// Packet bytes per part of a stream formatted on its own (tests make parts of every packet).
    var partBytes = CTFDataStream.defaultPartBytes
    /// `--filter`: makes the event filter of each stream (by index in trace then stream order; each
    /// is used on one thread). Rejected events print nothing, and the lines of the others are the
    /// lines babeltrace2 prints for them (time deltas still count from the previous event of the
    /// traces, as in `babeltrace2 | grep`). Discarded-events warnings are not filtered.
    public var makeFilter: ((Int) throws -> (EventRecord) -> Bool)?

    /// Fails when a trace of the set is not a CTF trace.
    public init(set: TraceSet) throws {
        var traces: [CTFTrace] = []
        for trace in set.traces {
            guard let ctf = trace as? CTFTrace else {
                throw TraceError(file: trace.path, "--format babeltrace needs CTF traces")
            }
            traces.append(ctf)
        }
        self.traces = traces
        warnings = BabeltraceWarnings(traces: traces)
    }

    deinit {
        line.deallocate()
    }

    /// The env-derived words babeltrace2 prints after the time: hostname, then `:procname` and
    /// `:(vpid)` for per-process traces.
    static func header(of trace: CTFTrace) -> [UInt8] {
        var text = ""
        var printed = false
        if case .string(let host)? = trace.environmentValue("hostname") {
            text += host
            printed = true
        }
        if case .string(let procname)? = trace.environmentValue("procname") {
            text += (printed ? ":" : "") + procname
            printed = true
        }
        if case .integer(let vpid)? = trace.environmentValue("vpid") {
            text += (printed ? ":" : "") + "(\(vpid))"
            printed = true
        }
        if printed { text += " " }
        return Array(text.utf8)
    }

    /// Writes every record between `begin` and `end` (inclusive, nanoseconds from the origin)
    /// to `out`, and warnings to `errors`.
    public func dump(to out: OutputBuffer, errors: OutputBuffer, begin: Int64? = nil, end: Int64? = nil) throws {
        try out.flush()
        try dump(sink: { bytes in
            out.write(bytes)
            try out.flush()
        }, errors: errors, begin: begin, end: end)
    }

    /// Like `dump(to:errors:begin:end:)`, handing the text in large chunks to `sink` (for writing
    /// straight to a file descriptor without another copy).
    public func dump(sink: (UnsafeRawBufferPointer) throws -> Void, errors: OutputBuffer, begin: Int64? = nil,
                     end: Int64? = nil) throws {
        let out = sink
        warnings.lowerBound = begin ?? .min
        warnings.upperBound = end ?? .max
        clock.warn = { [errors] text in
            errors.write(text)
            try? errors.flush()
        }
        let streamCount = traces.reduce(0) { $0 + $1.dataStreams.count }
        // Chunks formatted ahead let the workers keep going while the merge takes lines from
        // other streams; the total stays bounded whatever the stream count.
        let chunksAhead = 16
        let chunkBytes = max(1 << 12, min(1 << 18, (64 << 20) / max(1, (chunksAhead + 1) * streamCount)))
        let workers = parallel ? max(0, workerCount ?? ProcessInfo.processInfo.activeProcessorCount) : 0
        var streams: [(trace: Int, stream: Int)] = []
        var ranges: [[PartRange]] = []
        var texts: [BabeltraceStreamTexts] = []
        for (t, trace) in traces.enumerated() {
            texts.append(BabeltraceStreamTexts(header: Self.header(of: trace),
                                               eventNames: trace.metadata.eventClasses.map { Array(($0.name + ": ").utf8) }))
            for s in trace.dataStreams.indices {
                streams.append((t, s))
                ranges.append(workers > 1 ? trace.dataStreams[s].partRanges(begin: begin, partBytes: partBytes)
                                          : [PartRange(first: 0, end: .max, time: .min)])
            }
        }
        // Each stream's first filter is made here, so that a bad filter fails before any output;
        // later parts make their own (each is used on one thread).
        let firstFilters = try streams.indices.map { try self.makeFilter?($0) }
        let makeFilter = self.makeFilter
        let traces = self.traces
        let pool = PartPool<FormattedChunk>(streams: ranges, chunkLimit: chunksAhead * streamCount,
                                            makeChunk: { FormattedChunk() }) { index, part, range in
            let (t, s) = streams[index]
            let formatter = try BabeltraceStreamFormatter(
                trace: traces[t], traceIndex: t, streamIndex: s, texts: texts[t], firstPacket: range.first,
                endPacket: range.end, begin: part == 0 ? begin : nil, end: end, chunkBytes: chunkBytes)
            formatter.filter = part == 0 ? firstFilters[index] : try makeFilter?(index)
            return { formatter.fill($0) }
        }
        pool.start(workers: workers > 1 ? workers : 0)
        defer { pool.stop() }
        let feeds = streams.enumerated().map { i, stream in
            BabeltraceStreamFeed(traceIndex: stream.trace, streamIndex: stream.stream,
                                 hasClock: traces[stream.trace].dataStreams[stream.stream].streamClass.clock != nil,
                                 current: pool.current(i))
        }
        /// Moves stream `i` to its next chunk with entries; false at its end.
        func advance(_ i: Int) -> Bool {
            let more = pool.advance(i)
            feeds[i].current = pool.current(i)
            feeds[i].position = 0
            return more
        }
        var heap = FormatterHeap(feeds: feeds, traces: traces)
        for (i, f) in feeds.enumerated() {
            _ = advance(i)
            if f.hasEntry {
                heap.push(i)
            } else if let error = f.current.error {
                throw error
            }
        }
        defer {
            try? flushLines(to: out)
            warnings.flushAll(to: errors, clock: &clock)
            try? errors.flush()
        }
        while let top = heap.top {
            let f = feeds[top]
            let entry = f.current.entries[f.position]
            if entry.kind == 0 {
                write(entry, of: f, to: &line)
                if line.count >= 1 << 16 { try flushLines(to: out) }
            } else if entry.kind == 3 {
                if f.hasClock { lastTimestamp = entry.timestamp }
            } else {
                warnings.add(entry, trace: traces[f.traceIndex], traceIndex: f.traceIndex, stream: f.streamIndex)
            }
            f.position += 1
            if !f.hasEntry {
                if let error = f.current.error {
                    try flushLines(to: out)
                    throw error
                }
                if advance(top), f.hasEntry {
                    heap.replaceTop()
                } else if let error = f.current.error {
                    try flushLines(to: out)
                    throw error
                } else {
                    heap.popTop()
                }
            } else {
                heap.replaceTop()
            }
            if warnings.hasPending {
                var bound = Int64.max
                for i in heap.members {
                    let g = feeds[i]
                    bound = min(bound, g.current.entries[g.position].lossFloor)
                }
                warnings.flushReady(bound: bound, to: errors, clock: &clock)
            }
        }
    }

    private func flushLines(to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard line.count > 0 else { return }
        defer { line.removeAll() }
        try sink(line.bytes)
    }

    /// The time and delta columns, then the event's formatted text.
    @inline(__always)
    private func write(_ entry: FormattedEntry, of formatter: BabeltraceStreamFeed, to out: inout TextBuffer) {
        if formatter.hasClock {
            out.append(UInt8(ascii: "["))
            clock.write(entry.timestamp, to: &out)
            out.append("] (")
            if let last = lastTimestamp {
                let delta = UInt64(bitPattern: entry.timestamp &- last)
                out.append(UInt8(ascii: "+"))
                out.appendDecimal(delta / 1_000_000_000)
                out.append(UInt8(ascii: "."))
                out.appendZeroPadded(delta % 1_000_000_000, width: 9)
            } else {
                out.append("+?.?????????")
            }
            out.append(") ")
            lastTimestamp = entry.timestamp
        }
        let text = formatter.current.text.bytes
        out.append(UnsafeRawBufferPointer(rebasing: text[Int(entry.textStart)..<Int(entry.textStart + entry.textLength)]))
    }
}

/// A min-heap of streams by their next entry, in babeltrace2's muxer order.
private struct FormatterHeap {
    let formatters: [BabeltraceStreamFeed]
    let traces: [CTFTrace]
    private(set) var members: [Int] = []

    init(feeds: [BabeltraceStreamFeed], traces: [CTFTrace]) {
        self.formatters = feeds
        self.traces = traces
        members.reserveCapacity(formatters.count)
    }

    var top: Int? { members.first }

    mutating func push(_ i: Int) {
        members.append(i)
        var child = members.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(members[child], members[parent]) else { return }
            members.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popTop() {
        let last = members.removeLast()
        if !members.isEmpty {
            members[0] = last
            siftDown()
        }
    }

    /// Restores the order after the top formatter moved to its next entry.
    mutating func replaceTop() { siftDown() }

    private mutating func siftDown() {
        var parent = 0
        let count = members.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var best = left
            if left + 1 < count && precedes(members[left + 1], members[left]) { best = left + 1 }
            guard precedes(members[best], members[parent]) else { return }
            members.swapAt(best, parent)
            parent = best
        }
    }

    @inline(__always)
    private func precedes(_ a: Int, _ b: Int) -> Bool {
        let fa = formatters[a], fb = formatters[b]
        let ea = fa.current.entries[fa.position], eb = fb.current.entries[fb.position]
        if ea.timestamp != eb.timestamp { return ea.timestamp < eb.timestamp }
        let ra = Self.record(ea, fa), rb = Self.record(eb, fb)
        let order = CTFTieBreak.compare(ra, traces[fa.traceIndex], rb, traces[fb.traceIndex])
        return order != 0 ? order < 0 : a < b
    }

    private static func record(_ e: FormattedEntry, _ f: BabeltraceStreamFeed) -> EventRecord {
        EventRecord(timestamp: e.timestamp, cpu: -1, classIndex: e.classIndex, stream: Int32(f.streamIndex),
                    trace: Int32(f.traceIndex),
                    kind: e.kind == 0 || e.kind == 3 ? .event : .lostEvents(count: nil, since: e.since),
                    position: StreamPosition(unit: 0, offset: 0, clock: 0))
    }
}
