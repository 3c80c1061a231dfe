/// Merges any number of time-ordered streams into one time-ordered sequence.
///
/// Equal timestamps are ordered by `tieBreak` when given, then by the order the sources were passed
/// in, so the output is deterministic. A binary heap keeps each step logarithmic in the number of
/// streams (LTTng per-PID sessions may have thousands).
public final class EventMerger {
    /// One stream fed to the merge and the trace it belongs to.
    public struct Source {
        public var trace: Int32
        public var stream: EventStream

        public init(trace: Int32, stream: EventStream) {
            self.trace = trace
            self.stream = stream
        }
    }

    /// Orders two records with equal timestamps: true when the first comes first.
    public typealias TieBreak = (EventRecord, EventRecord) -> Bool

    public private(set) var sources: [Source]

    /// Why streams could not be opened (they take part without records).
    public var openingErrors: [Error] {
        sources.compactMap { ($0.stream as? UnreadableStream)?.error }
    }
    private let tieBreak: TieBreak?
    /// Source indices ordered as a min-heap on their current record.
    private var heap: [Int] = []

    /// Creates the merge and places it on the earliest record.
    public init(sources: [Source], tieBreak: TieBreak? = nil) {
        self.sources = sources
        self.tieBreak = tieBreak
        heap.reserveCapacity(sources.count)
        for i in sources.indices where sources[i].stream.current != nil {
            heap.append(i)
            siftUp(heap.count - 1)
        }
    }

    /// The earliest record not yet consumed, tagged with its trace index; nil at the end.
    public var current: EventRecord? {
        guard let top = heap.first, var record = sources[top].stream.current else { return nil }
        record.trace = sources[top].trace
        return record
    }

    /// Index in `sources` of the stream holding `current`.
    public var currentSourceIndex: Int? { heap.first }

    /// Consumes `current`. If its stream fails, the stream leaves the merge (records of the other
    /// streams stay available) and the error is rethrown.
    public func advance() throws {
        guard let top = heap.first else { return }
        do {
            try sources[top].stream.advance()
        } catch {
            removeTop()
            throw error
        }
        if sources[top].stream.current == nil {
            removeTop()
        } else {
            siftDown(0)
        }
    }

    /// Returns the earliest record and consumes it.
    public func next() throws -> EventRecord? {
        guard let record = current else { return nil }
        try advance()
        return record
    }

    /// Re-reads every source's current record (after seeking the streams directly).
    public func rebuild() {
        heap.removeAll(keepingCapacity: true)
        for i in sources.indices where sources[i].stream.current != nil {
            heap.append(i)
            siftUp(heap.count - 1)
        }
    }

    /// Seeks every stream to `timestamp` and rebuilds the order.
    public func seek(toTimestamp timestamp: Int64) throws {
        for source in sources { try source.stream.seek(toTimestamp: timestamp) }
        rebuild()
    }

    private func removeTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    @inline(__always)
    private func precedes(_ a: Int, _ b: Int) -> Bool {
        // Both sources are in the heap, so both have a current record.
        let ra = sources[a].stream.current!
        let rb = sources[b].stream.current!
        if ra.timestamp != rb.timestamp { return ra.timestamp < rb.timestamp }
        if let tieBreak {
            var ta = ra, tb = rb
            ta.trace = sources[a].trace
            tb.trace = sources[b].trace
            if tieBreak(ta, tb) { return true }
            if tieBreak(tb, ta) { return false }
        }
        return a < b
    }

    private func siftUp(_ start: Int) {
        IndexHeap.siftUp(&heap, from: start, by: precedes)
    }

    private func siftDown(_ start: Int) {
        IndexHeap.siftDown(&heap, from: start, by: precedes)
    }
}
