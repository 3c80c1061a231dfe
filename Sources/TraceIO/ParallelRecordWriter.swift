import Dispatch
import Foundation
import TraceKit

/// Writes every record of a trace set in time order, formatted by a `StreamRecordFormatter` per
/// stream: streams are read and formatted in chunks on worker threads (a few chunks ahead each),
/// and this thread interleaves the formatted records exactly as `EventMerger` orders them (time,
/// then the set's tie-break, then stream order). The output is the same with any number of threads.
///
/// Errors behave as in a merge loop over `TraceSet.makeMerger()`: a stream that yields no record
/// at all (it cannot be opened: damage before its first record) is left out and its error thrown
/// once everything else was written; a stream that fails later stops the output at the place of
/// its failure in merge order, after everything before it was written (and flushed).
public final class ParallelRecordWriter {
    /// Tells whether a record is written (one instance per stream, called on that stream's thread).
    public typealias RecordPredicate = (EventRecord) -> Bool

    private let set: TraceSet
    private let makeFormatter: (_ trace: Int) -> StreamRecordFormatter
    /// First and last times written (inclusive), in the set's time domain.
    public var begin: Int64?
    public var end: Int64?
    /// Makes the filter of one stream (its index in merge order); nil: every record is written.
    public var makeFilter: ((_ source: Int) throws -> RecordPredicate)?
    /// Whether to format on worker threads (the output is identical either way).
    public var parallel = true

    /// - Parameter makeFormatter: a new formatter for a stream of `set.traces[trace]`.
    public init(set: TraceSet, makeFormatter: @escaping (_ trace: Int) -> StreamRecordFormatter) {
        self.set = set
        self.makeFormatter = makeFormatter
    }

    public func write(to out: OutputBuffer) throws {
        var sources: [RecordSource] = []
        for (t, trace) in set.traces.enumerated() {
            for s in trace.streams.indices {
                sources.append(RecordSource(trace: trace, traceIndex: Int32(t), stream: s, source: sources.count,
                                            formatter: makeFormatter(t)))
            }
        }
        guard !sources.isEmpty else { return }
        // A few chunks per stream stay in memory: bound the total whatever the stream count.
        let chunksAhead = 4
        let chunkBytes = max(1 << 14, min(1 << 18, (64 << 20) / ((chunksAhead + 1) * sources.count)))
        for source in sources {
            source.configure(begin: begin, end: end, makeFilter: makeFilter, chunkBytes: chunkBytes,
                             chunksAhead: chunksAhead)
        }
        let queue: DispatchQueue? = parallel && ProcessInfo.processInfo.activeProcessorCount > 1
            ? DispatchQueue(label: "ringside.records", attributes: .concurrent) : nil
        defer {
            for s in sources { s.finish() }
        }
        for s in sources { s.startProducing(on: queue) }
        var merge = SourceMerge(sources: sources, tieBreak: set.tieBreak)
        // Every stream's first chunk. A stream that fails before its first record is left out:
        // the others are written, then its error is reported.
        var unopened: Error?
        for (i, s) in sources.enumerated() {
            s.takeNextChunk(on: queue)
            if s.hasEntry {
                merge.push(i, timestamp: s.chunk.records[0].timestamp)
            } else if let failure = s.chunk.failure, unopened == nil {
                unopened = failure
            }
        }
        while let top = merge.top {
            // Unretained: `sources` owns the sources, each source its current chunk.
            unowned(unsafe) let s = sources[top]
            unowned(unsafe) let chunk = s.chunk
            let position = s.position
            if chunk.failsAtLastEntry && position == chunk.count - 1, let failure = chunk.failure {
                try out.flush()
                throw failure
            }
            out.write(chunk.text(of: position))
            try out.flushIfNeeded()
            s.position = position + 1
            if position + 1 == chunk.count {
                if let failure = chunk.failure {
                    try out.flush()
                    throw failure
                }
                s.takeNextChunk(on: queue)
                if !s.hasEntry {
                    if let failure = s.chunk.failure {
                        try out.flush()
                        throw failure
                    }
                    merge.popTop()
                    continue
                }
            }
            merge.replaceTop(timestamp: s.chunk.records[s.position].timestamp)
        }
        if let unopened {
            try out.flush()
            throw unopened
        }
    }
}

/// Records of one stream formatted by a worker: their text, end offsets and the records (for the
/// merge order).
final class RecordChunk {
    @exclusivity(unchecked) var text: ByteBuffer
    @exclusivity(unchecked) var records: [EventRecord] = []
    @exclusivity(unchecked) var ends: [Int] = []
    /// Set when the stream ended after these records.
    @exclusivity(unchecked) var isLast = false
    /// Why the stream ended, if it failed: after the last record, or at it when
    /// `failsAtLastEntry` (the record could not be formatted; its text is empty).
    @exclusivity(unchecked) var failure: Error?
    @exclusivity(unchecked) var failsAtLastEntry = false

    init(capacity: Int) {
        text = ByteBuffer(capacity: capacity)
        records.reserveCapacity(1024)
        ends.reserveCapacity(1024)
    }

    deinit { text.deallocate() }

    var count: Int { records.count }

    func reset() {
        text.removeAll()
        records.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        isLast = false
        failure = nil
        failsAtLastEntry = false
    }

    @inline(__always)
    func text(of i: Int) -> UnsafeRawBufferPointer {
        let start = i == 0 ? 0 : ends[i - 1]
        return UnsafeRawBufferPointer(rebasing: text.bytes[start..<ends[i]])
    }
}

/// One stream of the merge: its cursor and formatter (used by one thread at a time), and the
/// chunks going between the worker and the merging thread.
final class RecordSource {
    let trace: Trace
    let traceIndex: Int32
    let stream: Int
    let source: Int
    let formatter: StreamRecordFormatter
    private var begin: Int64?
    private var end: Int64 = .max
    private var makeFilter: ((Int) throws -> ParallelRecordWriter.RecordPredicate)?
    private var chunkBytes = 1 << 16

    // Producer side (one thread at a time, ordered by `lock`).
    private var cursor: EventStream?
    private var filter: ParallelRecordWriter.RecordPredicate?
    private var producedLast = false

    // Shared, guarded by `lock`.
    private let lock = NSCondition()
    private var ready: [RecordChunk] = []
    private var free: [RecordChunk] = []
    private var producing = false

    // Merging side.
    @exclusivity(unchecked) private(set) var chunk: RecordChunk
    @exclusivity(unchecked) var position = 0

    init(trace: Trace, traceIndex: Int32, stream: Int, source: Int, formatter: StreamRecordFormatter) {
        self.trace = trace
        self.traceIndex = traceIndex
        self.stream = stream
        self.source = source
        self.formatter = formatter
        chunk = RecordChunk(capacity: 64)
        chunk.isLast = false
    }

    func configure(begin: Int64?, end: Int64?, makeFilter: ((Int) throws -> ParallelRecordWriter.RecordPredicate)?,
                   chunkBytes: Int, chunksAhead: Int) {
        self.begin = begin
        self.end = end ?? .max
        self.makeFilter = makeFilter
        self.chunkBytes = chunkBytes
        for _ in 0..<max(1, chunksAhead) { free.append(RecordChunk(capacity: chunkBytes + (chunkBytes >> 2))) }
    }

    /// Stops producing and frees the formatter (waits for a running worker).
    func finish() {
        lock.lock()
        producedLast = true
        while producing { lock.wait() }
        lock.unlock()
        formatter.close()
        cursor = nil
    }

    var hasEntry: Bool { position < chunk.count }

    /// Keeps a worker formatting chunks ahead while free chunks remain.
    func startProducing(on queue: DispatchQueue?) {
        lock.lock()
        let start = !producing && !producedLast && !free.isEmpty
        if start { producing = true }
        lock.unlock()
        guard start else { return }
        if let queue {
            queue.async { self.produce() }
        } else {
            produce()
        }
    }

    private func produce() {
        while true {
            lock.lock()
            guard !producedLast, let next = free.popLast() else {
                producing = false
                lock.broadcast()
                lock.unlock()
                return
            }
            lock.unlock()
            fill(next)
            lock.lock()
            ready.append(next)
            if next.isLast { producedLast = true }
            lock.broadcast()
            lock.unlock()
        }
    }

    /// Makes the next chunk current (waiting for it); an empty chunk means the stream is over.
    func takeNextChunk(on queue: DispatchQueue?) {
        lock.lock()
        if chunk.isLast || chunk.failure != nil {
            // Nothing follows the last chunk.
            lock.unlock()
            chunk.reset()
            chunk.isLast = true
            position = 0
            return
        }
        free.append(chunk)
        lock.unlock()
        startProducing(on: queue)
        lock.lock()
        while ready.isEmpty {
            if !producing {
                lock.unlock()
                startProducing(on: queue)
                lock.lock()
                continue
            }
            lock.wait()
        }
        chunk = ready.removeFirst()
        lock.unlock()
        position = 0
        startProducing(on: queue)
    }

    /// Formats records into `chunk` until it holds about `chunkBytes` of text.
    private func fill(_ chunk: RecordChunk) {
        chunk.reset()
        let cursor: EventStream
        if let open = self.cursor {
            cursor = open
        } else {
            do {
                cursor = try trace.openStream(stream)
                formatter.attach(cursor)
                filter = try makeFilter?(source)
                if let begin { try cursor.seek(toTimestamp: begin) }
            } catch {
                chunk.failure = error
                chunk.isLast = true
                return
            }
            self.cursor = cursor
        }
        let limit = chunkBytes
        while chunk.text.count < limit && chunk.records.count < 1 << 14 {
            guard var record = cursor.current, record.timestamp <= end else {
                chunk.isLast = true
                return
            }
            record.trace = traceIndex
            if filter?(record) ?? true {
                do {
                    try formatter.format(record, into: &chunk.text)
                } catch {
                    chunk.records.append(record)
                    chunk.ends.append(chunk.text.count)
                    chunk.failure = error
                    chunk.failsAtLastEntry = true
                    chunk.isLast = true
                    return
                }
                chunk.records.append(record)
                chunk.ends.append(chunk.text.count)
            }
            do {
                try cursor.advance()
            } catch {
                chunk.failure = error
                chunk.isLast = true
                return
            }
        }
    }
}

/// A min-heap of sources by their current record, in `EventMerger`'s order: time (kept in a flat
/// array), then on equal times the tie-break on the records, then the source order.
private struct SourceMerge {
    let sources: [RecordSource]
    let tieBreak: EventMerger.TieBreak?
    private(set) var members: [Int] = []
    private var timestamps: [Int64]

    init(sources: [RecordSource], tieBreak: EventMerger.TieBreak?) {
        self.sources = sources
        self.tieBreak = tieBreak
        timestamps = Array(repeating: 0, count: sources.count)
        members.reserveCapacity(sources.count)
    }

    var top: Int? { members.first }

    mutating func push(_ i: Int, timestamp: Int64) {
        timestamps[i] = timestamp
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

    /// Restores the order after the top source moved to its next record (at `timestamp`).
    mutating func replaceTop(timestamp: Int64) {
        timestamps[members[0]] = timestamp
        siftDown()
    }

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
        let ta = timestamps[a], tb = timestamps[b]
        if ta != tb { return ta < tb }
        return tied(a, b)
    }

    private func tied(_ a: Int, _ b: Int) -> Bool {
        if let tieBreak {
            let sa = sources[a], sb = sources[b]
            let ra = sa.chunk.records[sa.position], rb = sb.chunk.records[sb.position]
            if tieBreak(ra, rb) { return true }
            if tieBreak(rb, ra) { return false }
        }
        return a < b
    }
}
