import CTF
import Glibc
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

    /// RINGSIDE_PARALLEL=0|1 forces sequential or threaded formatting (for measurements; the output
    /// is the same).
    static var parallelOverride: Bool? {
        getenv("RINGSIDE_PARALLEL").map { String(cString: $0) == "1" }
    }

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
        case .text, .json:
            // Streams are decoded and formatted on worker threads, merged in order here.
            let json = format == .json
            let set = self.set
            let writer = ParallelRecordWriter(set: set) { trace -> StreamRecordFormatter in
                if json {
                    // CTF traces have a faster printer of the same text.
                    if set.traces[trace] is CTFTrace { return CTFJSONStreamFormatter(set: set, trace: trace) }
                    return JSONStreamFormatter(set: set, trace: trace)
                }
                return TextStreamFormatter(set: set, trace: trace)
            }
            writer.begin = begin
            writer.end = end
            writer.parallel = Self.parallelOverride ?? true
            if let filter {
                writer.makeFilter = try DumpFilter.makeStreamFilters(filter, for: set)
            }
            try writer.write(to: out)
        }
    }
}
