import TraceIO
import TraceKit

/// `ringside dump --filter EXPR`: records are filtered before any formatter sees them, by wrapping
/// every stream of the merge so that it skips the records the filter rejects.
enum DumpFilter {
    static func parse(_ text: String) throws -> EventFilter {
        do {
            return try EventFilter(text)
        } catch let error as FilterError {
            let pointed = error.pointing(into: text).split(separator: "\n").joined(separator: "\n  ")
            throw ValidationFailure("--filter: \(error)\n  " + pointed)
        }
    }

    /// A maker of per-stream filters for `ParallelRecordWriter`: each stream gets its own compiled
    /// copy of `filter` (filters keep per-record state), evaluated on that stream's thread.
    static func makeStreamFilters(_ filter: EventFilter, for set: TraceSet) throws
        -> (Int) throws -> ParallelRecordWriter.RecordPredicate {
        let context = try self.context(for: set)
        let text = filter.text
        return { _ in
            let own = try EventFilter(text)
            return { own.matches($0, in: context) }
        }
    }

    /// What filters need to know about `set` (`elapsed` counts from its first record).
    static func context(for set: TraceSet) throws -> FilterContext {
        FilterContext(set: set, traceStart: try set.makeMerger().current?.timestamp ?? 0)
    }

    /// The merge of `set`, showing only records `filter` accepts (all records when nil).
    static func makeMerger(for set: TraceSet, filter: EventFilter?) throws -> EventMerger {
        guard let filter else { return try set.makeMerger() }
        let start = try set.makeMerger().current?.timestamp ?? 0
        let context = FilterContext(set: set, traceStart: start)
        var sources: [EventMerger.Source] = []
        for (t, trace) in set.traces.enumerated() {
            for s in trace.streams.indices {
                let stream = FilteringStream(inner: try trace.openStream(s), trace: Int32(t),
                                             filter: filter, context: context)
                try stream.skipRejected()
                sources.append(.init(trace: Int32(t), stream: stream))
            }
        }
        return EventMerger(sources: sources, tieBreak: set.tieBreak)
    }
}

/// A stream that shows only the records a filter accepts.
private final class FilteringStream: EventStream {
    let inner: EventStream
    let trace: Int32
    let filter: EventFilter
    let context: FilterContext

    init(inner: EventStream, trace: Int32, filter: EventFilter, context: FilterContext) {
        self.inner = inner
        self.trace = trace
        self.filter = filter
        self.context = context
    }

    var current: EventRecord? { inner.current }

    func skipRejected() throws {
        while var record = inner.current {
            record.trace = trace
            if filter.matches(record, in: context) { return }
            try inner.advance()
        }
    }

    func advance() throws {
        try inner.advance()
        try skipRejected()
    }

    func seek(to position: StreamPosition) throws {
        try inner.seek(to: position)
        try skipRejected()
    }

    func seek(toTimestamp timestamp: Int64) throws {
        try inner.seek(toTimestamp: timestamp)
        try skipRejected()
    }
}
