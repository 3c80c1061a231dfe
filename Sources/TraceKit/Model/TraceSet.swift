/// Several traces read as one: records of all their streams merged by time.
public final class TraceSet {
    public let traces: [Trace]
    /// Orders records with equal timestamps (see `EventMerger.TieBreak`).
    public var tieBreak: EventMerger.TieBreak?

    public init(traces: [Trace], tieBreak: EventMerger.TieBreak? = nil) {
        self.traces = traces
        self.tieBreak = tieBreak
    }

    /// The common time domain: epoch only when every trace is on the epoch.
    public var timeDomain: TimeDomain {
        traces.allSatisfy { $0.timeDomain == .unixEpoch } ? .unixEpoch : .monotonic
    }

    /// The highest CPU count of the traces.
    public var cpuCount: Int { traces.map(\.cpuCount).max() ?? 0 }

    /// A name for display.
    public var name: String {
        traces.count == 1 ? traces[0].name : traces.map(\.name).joined(separator: ", ")
    }

    /// Opens every stream of every trace and merges them, placed on the first record. A stream
    /// that cannot be opened takes part as an `UnreadableStream` (see `EventMerger.openingErrors`),
    /// so the others are still read and stream indices stay the same.
    public func makeMerger() throws -> EventMerger {
        var sources: [EventMerger.Source] = []
        for (t, trace) in traces.enumerated() {
            for s in trace.streams.indices {
                let stream: EventStream
                do {
                    stream = try trace.openStream(s)
                } catch {
                    stream = UnreadableStream(error: error)
                }
                sources.append(.init(trace: Int32(t), stream: stream))
            }
        }
        return EventMerger(sources: sources, tieBreak: tieBreak)
    }

    /// The trace `record` belongs to.
    @inline(__always)
    public func trace(of record: EventRecord) -> Trace { traces[Int(record.trace)] }

    /// The class of `record`.
    public func eventClass(of record: EventRecord) -> EventClass? {
        trace(of: record).eventClass(of: record)
    }

    /// The event name of `record`, or `"(lost events)"` for a lost-events record.
    public func eventName(of record: EventRecord) -> String {
        if record.isLostEvents { return "(lost events)" }
        return eventClass(of: record)?.name ?? "(unknown event \(record.classIndex))"
    }
}
