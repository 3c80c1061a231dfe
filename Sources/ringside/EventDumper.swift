import TraceIO
import TraceKit

/// Writes every record of a trace set in one format, in time order.
struct EventDumper {
    let set: TraceSet
    let format: DumpFormat

    func dump(to out: OutputBuffer) throws {
        let merger = try set.makeMerger()
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
        case .traceCmd, .traceCmdRaw:
            try TraceCmdDump.dump(set, raw: format == .traceCmdRaw, to: out)
        case .babeltrace:
            throw ValidationFailure("--format \(format.rawValue) is not available yet")
        }
    }
}
