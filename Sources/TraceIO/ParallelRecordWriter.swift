import Foundation
import TraceKit

/// Writes every record of a trace set in time order, formatted by a `StreamRecordFormatter` per
/// stream (per part of a stream): streams are read and formatted in chunks on worker threads, in
/// parts when their trace allows it (`PartitionedStreams`, earliest parts first, see `PartPool`),
/// and this thread interleaves the formatted records exactly as `EventMerger` orders them (time,
/// then the set's tie-break, then stream order). The output is the same with any number of threads.
///
/// Errors behave as in a merge loop over `TraceSet.makeMerger()`: a stream that yields no record
/// at all (it cannot be opened: damage before its first record) is left out and its error thrown
/// once everything else was written; a stream that fails later stops the output at the place of
/// its failure in merge order, after everything before it was written (and flushed).
public final class ParallelRecordWriter {
    /// Tells whether a record is written (one instance per stream part, called on the thread
    /// formatting it).
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
    /// Worker threads when `parallel` (default: one per core; tests ask for more).
    public var workerCount: Int?

    /// - Parameter makeFormatter: a new formatter for a stream of `set.traces[trace]`.
    public init(set: TraceSet, makeFormatter: @escaping (_ trace: Int) -> StreamRecordFormatter) {
        self.set = set
        self.makeFormatter = makeFormatter
    }

    public func write(to out: OutputBuffer) throws {
        var streams: [(trace: Int, stream: Int)] = []
        for (t, trace) in set.traces.enumerated() {
            for s in trace.streams.indices { streams.append((t, s)) }
        }
        guard !streams.isEmpty else { return }
        let workers = parallel ? (workerCount ?? ProcessInfo.processInfo.activeProcessorCount) : 0
        // Parts need no seek: a time range reads each stream whole from its first record in range.
        let ranges: [[PartRange]] = streams.map { t, s in
            if workers > 1, self.begin == nil, let trace = self.set.traces[t] as? PartitionedStreams {
                return trace.partRanges(ofStream: s)
            }
            return [PartRange(first: 0, end: .max, time: .min)]
        }
        // A few chunks per stream stay in memory: bound the total whatever the stream count.
        let chunksAhead = 4
        let chunkBytes = max(1 << 14, min(1 << 18, (64 << 20) / ((chunksAhead + 1) * streams.count)))
        let set = self.set, begin = self.begin, end = self.end ?? .max
        let makeFormatter = self.makeFormatter, makeFilter = self.makeFilter
        let pool = PartPool<RecordChunk>(streams: ranges, chunkLimit: chunksAhead * streams.count,
                                         makeChunk: { RecordChunk(capacity: chunkBytes + (chunkBytes >> 2)) }) {
            index, part, range in
            let (t, s) = streams[index]
            let trace = set.traces[t]
            let cursor: EventStream
            if range.first == 0 && range.end == .max {
                cursor = try trace.openStream(s)
                if let begin { try cursor.seek(toTimestamp: begin) }
            } else {
                guard let partitioned = trace as? PartitionedStreams else { throw TraceError(file: trace.path, "no parts") }
                cursor = try partitioned.openStream(s, part: range)
            }
            let writer = PartRecordWriter(cursor: cursor, formatter: makeFormatter(t), filter: try makeFilter?(index),
                                          trace: Int32(t), end: end, chunkBytes: chunkBytes,
                                          endsStream: range.end == .max)
            return { writer.fill($0) }
        }
        pool.start(workers: workers > 1 ? workers : 0)
        defer { pool.stop() }
        let sources = streams.indices.map { RecordSource(chunk: pool.current($0)) }
        /// Makes source `i`'s next chunk current; false at the end of its stream.
        func takeNextChunk(_ i: Int) -> Bool {
            let more = pool.advance(i)
            sources[i].chunk = pool.current(i)
            sources[i].position = 0
            return more
        }
        var merge = SourceMerge(sources: sources, tieBreak: set.tieBreak)
        // Every stream's first chunk. A stream that fails before its first record is left out:
        // the others are written, then its error is reported.
        var unopened: Error?
        for (i, s) in sources.enumerated() {
            _ = takeNextChunk(i)
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
                if !takeNextChunk(top) || !s.hasEntry {
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
    /// Set when the part of the stream being formatted ended after these records.
    @exclusivity(unchecked) var endsPart = false
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
        endsPart = false
        failure = nil
        failsAtLastEntry = false
    }

    @inline(__always)
    func text(of i: Int) -> UnsafeRawBufferPointer {
        let start = i == 0 ? 0 : ends[i - 1]
        return UnsafeRawBufferPointer(rebasing: text.bytes[start..<ends[i]])
    }
}

extension RecordChunk: PoolChunk {
    var endsStream: Bool { isLast }
    var isEmpty: Bool { records.isEmpty && failure == nil }
    var lastTime: Int64? { records.last?.timestamp }

    func fail(_ error: Error) {
        reset()
        failure = error
        isLast = true
    }
}

/// The merge's side of one stream: the chunk being merged and the next record's place in it.
final class RecordSource {
    @exclusivity(unchecked) var chunk: RecordChunk
    @exclusivity(unchecked) var position = 0

    init(chunk: RecordChunk) { self.chunk = chunk }

    var hasEntry: Bool { position < chunk.count }
}

/// Formats the records of one part of a stream (or the whole stream) into chunks; used by one
/// thread at a time.
private final class PartRecordWriter {
    private let cursor: EventStream
    private let formatter: StreamRecordFormatter
    private let filter: ParallelRecordWriter.RecordPredicate?
    private let trace: Int32
    private let end: Int64
    private let chunkBytes: Int
    /// Whether the cursor's end is the stream's (else the part's: the stream goes on).
    private let endsStream: Bool

    init(cursor: EventStream, formatter: StreamRecordFormatter, filter: ParallelRecordWriter.RecordPredicate?,
         trace: Int32, end: Int64, chunkBytes: Int, endsStream: Bool) {
        self.cursor = cursor
        self.formatter = formatter
        self.filter = filter
        self.trace = trace
        self.end = end
        self.chunkBytes = chunkBytes
        self.endsStream = endsStream
        formatter.attach(cursor)
    }

    deinit { formatter.close() }

    /// Formats records into `chunk` until it holds about `chunkBytes` of text.
    func fill(_ chunk: RecordChunk) {
        chunk.reset()
        while chunk.text.count < chunkBytes && chunk.records.count < 1 << 14 {
            guard var record = cursor.current else {
                if endsStream { chunk.isLast = true } else { chunk.endsPart = true }
                return
            }
            guard record.timestamp <= end else {
                chunk.isLast = true
                return
            }
            record.trace = trace
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
