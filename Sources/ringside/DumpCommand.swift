import ArgumentParser
import TraceIO
import TraceKit

/// Output formats of `ringside dump`.
enum DumpFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, babeltrace
    case traceCmd = "trace-cmd"
    case traceCmdRaw = "trace-cmd-raw"
    /// Counts from decoding every field of every event.
    case stats
    /// What opening the traces indexed (CTF packets from their headers, trace.dat pages), without
    /// reading events.
    case index
}

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the events of traces as text or JSON Lines.")

    @Option(name: .long, help: "Output format: text, json, babeltrace (CTF), trace-cmd or trace-cmd-raw (trace.dat), stats (counts from a full decode), index (what opening indexed).")
    var format: DumpFormat = .text

    @Option(name: .long, help: "First time to print (same clock as the output, e.g. 173.8 or 22:50:11.7).")
    var begin: String?

    @Option(name: .long, help: "Last time to print.")
    var end: String?

    @Option(name: .long, help: "Print only events matching EXPR (the viewer's filter language, e.g. 'event == \"sched_switch\" && prev_pid == 42'); with babeltrace and trace-cmd formats, the lines printed are the tool's lines for those events.")
    var filter: String?

    @Argument(help: "Trace directories, trace.dat files, or directories holding several traces.")
    var paths: [String] = []

    func run() throws {
        let eventFilter = try filter.map(DumpFilter.parse)
        FileOutput.ignoreBrokenPipeSignal()
        let set = try TraceOpening.open(paths.isEmpty ? [TraceOpening.bundledSamplePath] : paths)
        let out = FileOutput.buffer()
        do {
            var dumper = EventDumper(set: set, format: format)
            (dumper.begin, dumper.end) = try DumpTimeRange.parse(begin: begin, end: end, set: set)
            dumper.filter = eventFilter
            try dumper.dump(to: out)
            try out.flush()
        } catch is OutputClosed {
            return
        }
    }
}
