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
        // Per-stream filters: each stream's records are tested on the thread that reads them.
        let makeFilter = try filter.map { try DumpFilter.makeStreamFilters($0, for: set) }
        switch format {
        case .babeltrace:
            // The CTF reader's own pipeline: per-stream formatting in parallel, merged in order.
            try BabeltraceDump.run(set: set, to: out, begin: begin, end: end, filter: makeFilter)
        case .traceCmd, .traceCmdRaw:
            // trace-cmd has no time range: `--begin`/`--end` select records like a filter.
            var select = makeFilter
            if begin != nil || end != nil {
                let low = begin ?? .min, high = end ?? .max
                select = { source in
                    let inner = try makeFilter?(source)
                    return { record in
                        record.timestamp >= low && record.timestamp <= high && (inner?(record) ?? true)
                    }
                }
            }
            try TraceCmdDump.dump(set, raw: format == .traceCmdRaw, filter: select, to: out)
        case .index:
            IndexSummaryDump.run(set: set, to: out)
        case .stats:
            // Decodes every field of every event, streams in parallel; prints counts.
            try StatsDump.run(set: set, to: out, filter: filter, begin: begin, end: end)
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
            writer.makeFilter = makeFilter
            try writer.write(to: out)
        }
    }
}
