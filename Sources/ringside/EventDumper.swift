import TraceIO
import TraceKit

/// Writes every record of a trace set in one format, in time order.
struct EventDumper {
    let set: TraceSet
    let format: DumpFormat
    /// `--begin`/`--end`: first and last times printed (inclusive), in the set's time domain.
    var begin: Int64? = nil
    var end: Int64? = nil

    func dump(to out: OutputBuffer) throws {
        let merger = try set.makeMerger()
        if let begin { try merger.seek(toTimestamp: begin) }
        switch format {
        case .text:
            let formatter = TextFormatter()
            while let record = merger.current, record.timestamp <= end ?? .max {
                try formatter.write(record, of: set, to: out)
                try out.flushIfNeeded()
                try merger.advance()
            }
        case .json:
            let formatter = JSONLinesFormatter()
            while let record = merger.current, record.timestamp <= end ?? .max {
                try formatter.write(record, of: set, to: out)
                try out.flushIfNeeded()
                try merger.advance()
            }
        case .babeltrace:
            try BabeltraceDump.run(set: set, merger: merger, to: out, begin: begin, end: end)
        case .traceCmd, .traceCmdRaw:
            try TraceCmdDump.dump(set, raw: format == .traceCmdRaw, to: out)
        }
    }
}
