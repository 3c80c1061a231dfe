import Ftrace
import Glibc
import TraceIO
import TraceKit

/// `ringside dump --format trace-cmd|trace-cmd-raw`: the text of `trace-cmd report -N -t [-R]`.
enum TraceCmdDump {
    static func dump(_ set: TraceSet, raw: Bool, filter: ((Int) throws -> (EventRecord) -> Bool)? = nil,
                     to out: OutputBuffer) throws {
        let traces = set.traces.compactMap { $0 as? TraceDatTrace }
        guard traces.count == set.traces.count else {
            throw ValidationFailure("--format \(raw ? "trace-cmd-raw" : "trace-cmd") needs trace.dat files")
        }
        // RINGSIDE_PARALLEL=0|1 forces sequential or threaded rendering (for measurements).
        var report = TraceCmdReport(traces: traces, raw: raw, parallel: EventDumper.parallelOverride)
        report.makeFilter = filter
        // `out` writes to standard output (as for the babeltrace format): large chunks go there
        // straight, without a copy into `out`.
        report.directSink = { try FileOutput.writeAll($0, to: 1) }
        let errors = try report.write(to: out)
        try out.flush()
        guard let first = errors.first else { return }
        for e in errors.dropFirst() { FileHandleOutput.standardError("ringside: \(e)\n") }
        throw first
    }
}
