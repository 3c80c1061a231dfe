import TraceIO
import TraceKit

/// Writes every record of a trace set in one format, in time order.
struct EventDumper {
    let set: TraceSet
    let format: DumpFormat
    /// `--filter`: only matching records reach the formatters.
    var filter: EventFilter? = nil

    func dump(to out: OutputBuffer) throws {
        let merger = try DumpFilter.makeMerger(for: set, filter: filter)
        switch format {
        case .text:
            let formatter = TextFormatter()
            while let record = merger.current {
                try formatter.write(record, of: set, to: out)
                try out.flushIfNeeded()
                try merger.advance()
            }
        case .json:
            let formatter = JSONLinesFormatter()
            while let record = merger.current {
                try formatter.write(record, of: set, to: out)
                try out.flushIfNeeded()
                try merger.advance()
            }
        case .babeltrace, .traceCmd, .traceCmdRaw:
            throw ValidationFailure("--format \(format.rawValue) is not available yet")
        }
    }
}
