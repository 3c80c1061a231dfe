import Ftrace
import TraceKit

/// Prints a live trace's records as `trace-cmd report -N -t` (or `-R -t`) prints them, as they
/// become visible, in time order across CPUs: `ringside live --print`, and the check that the live
/// path decodes exactly what trace-cmd decodes.
public final class LiveTextPrinter {
    public let trace: LiveTrace
    public let raw: Bool
    private let merger: EventMerger
    private let nanoseconds: Bool
    /// Event records printed so far.
    public private(set) var eventsPrinted = 0
    /// Lost-event notes printed so far.
    public private(set) var lostNotes = 0
    private var line = LineBuffer(capacity: 1 << 12)

    deinit { line.deallocate() }

    public init(trace: LiveTrace, raw: Bool = false) throws {
        self.trace = trace
        self.raw = raw
        nanoseconds = TraceCmdLine.clockCountsNanoseconds(trace.clock)
        var sources: [EventMerger.Source] = []
        for s in trace.streams.indices { sources.append(.init(trace: 0, stream: try trace.openStream(s))) }
        merger = EventMerger(sources: sources)
    }

    /// The `cpus=N` line trace-cmd starts with.
    public func writeHeader(to out: OutputBuffer) {
        out.write("cpus=")
        out.writeDecimal(Int64(trace.cpuCount))
        out.write(byte: 0x0A)
    }

    /// Walks every record visible now and not yet walked without writing them (counting, for
    /// `--summary` and benchmarks); returns how many.
    @discardableResult
    public func skipAvailable() throws -> Int {
        merger.rebuild()
        var walked = 0
        while let record = merger.current {
            if record.isLostEvents {
                if record.position.offset == 0 { lostNotes += 1 }
            } else {
                eventsPrinted += 1
            }
            walked += 1
            try merger.advance()
        }
        return walked
    }

    /// Writes every record visible now and not yet written; returns how many.
    @discardableResult
    public func writeAvailable(to out: OutputBuffer) throws -> Int {
        merger.rebuild()
        var written = 0
        while let record = merger.current {
            switch record.kind {
            case .lostEvents(let count, _):
                // trace-cmd notes drops only for pages whose first item is an event.
                if record.position.offset == 0 {
                    line.removeAll()
                    TraceCmdLine.writeDropped(cpu: Int(record.cpu), count: count, to: &line)
                    out.write(line.bytes)
                    lostNotes += 1
                }
            case .event:
                line.removeAll()
                let nanoseconds = self.nanoseconds, raw = self.raw, catalog = trace.catalog
                var buffer = line
                _ = trace.withData(of: record) { data in
                    TraceCmdLine.writeEvent(data, catalog: catalog, cpu: Int(record.cpu),
                                            timestamp: UInt64(bitPattern: record.timestamp),
                                            nanoseconds: nanoseconds, raw: raw, to: &buffer)
                }
                line = buffer
                out.write(line.bytes)
                eventsPrinted += 1
            }
            written += 1
            try out.flushIfNeeded()
            try merger.advance()
        }
        return written
    }
}
