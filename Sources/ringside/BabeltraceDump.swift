import CTF
import TraceIO
import TraceKit

/// `dump --format babeltrace`: babeltrace2's text on standard output, its warnings on standard error.
enum BabeltraceDump {
    static func run(set: TraceSet, to out: OutputBuffer, begin: Int64?, end: Int64?,
                    filter: ((Int) throws -> (EventRecord) -> Bool)? = nil) throws {
        let dumper = try BabeltraceDumper(set: set)
        dumper.makeFilter = filter
        // Worker threads pay only when a core is free for them (RINGSIDE_PARALLEL overrides).
        dumper.parallel = EventDumper.parallelOverride ?? CoreAvailability.hasIdleCore
        let errors = FileOutput.buffer(fd: 2)
        try out.flush()
        // Large chunks go straight to standard output.
        try dumper.dump(sink: { try FileOutput.writeAll($0, to: 1) }, errors: errors, begin: begin, end: end)
    }
}
