import CTF
import TraceIO
import TraceKit

/// `dump --format babeltrace`: babeltrace2's text on standard output, its warnings on standard error.
enum BabeltraceDump {
    static func run(set: TraceSet, to out: OutputBuffer, begin: Int64?, end: Int64?) throws {
        let dumper = try BabeltraceDumper(set: set)
        let errors = FileOutput.buffer(fd: 2)
        try dumper.dump(to: out, errors: errors, begin: begin, end: end)
    }
}
