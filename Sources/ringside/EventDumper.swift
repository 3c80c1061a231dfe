import TraceIO
import TraceKit

/// Writes every record of a trace set in one format, in time order.
struct EventDumper {
    let set: TraceSet
    let format: DumpFormat
    /// `--begin`/`--end`: first and last times printed (inclusive), in the set's time domain.
    var begin: Int64? = nil
    var end: Int64? = nil
    /// `--filter`: only matching records reach the formatters.
    var filter: EventFilter? = nil

    func dump(to out: OutputBuffer) throws {
        if filter != nil && (format == .babeltrace || format == .traceCmd || format == .traceCmdRaw) {
            throw ValidationFailure("--filter works with --format text and json (\(format.rawValue) prints exactly what its tool prints)")
        }
        switch format {
        case .babeltrace:
            // The CTF reader's own pipeline: per-stream formatting in parallel, merged in order.
            try BabeltraceDump.run(set: set, to: out, begin: begin, end: end)
        case .traceCmd, .traceCmdRaw:
            try TraceCmdDump.dump(set, raw: format == .traceCmdRaw, to: out)
        case .stats:
            // Decodes every field of every event, streams in parallel; prints counts.
            try StatsDump.run(set: set, to: out)
        case .text:
            let formatter = TextFormatter()
            try forEachRecord { try formatter.write($0, of: set, to: out); try out.flushIfNeeded() }
        case .json:
            let formatter = JSONLinesFormatter()
            try forEachRecord { try formatter.write($0, of: set, to: out); try out.flushIfNeeded() }
        }
    }

    /// Calls `body` for every record between `begin` and `end`, in time order.
    private func forEachRecord(_ body: (EventRecord) throws -> Void) throws {
        let merger = try DumpFilter.makeMerger(for: set, filter: filter)
        if let begin { try merger.seek(toTimestamp: begin) }
        while let record = merger.current, record.timestamp <= end ?? .max {
            try body(record)
            try merger.advance()
        }
    }
}
